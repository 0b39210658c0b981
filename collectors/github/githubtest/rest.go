package githubtest

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// REST answers, shaped like GitHub's documented responses (the fields a
// client reads, with GitHub's names, types and nulls; not every URL field).

func (s *Server) answerREST(req *request, repo *Repo) (int, http.Header, []byte) {
	q := req.r.URL.Query()
	switch req.endpoint {
	case "repo":
		return jsonBody(http.StatusOK, nil, s.repoJSON(repo))
	case "pulls":
		return s.listPulls(req, repo, q)
	case "pull":
		n, _ := strconv.Atoi(req.segs[1])
		for _, p := range repo.PullRequests {
			if p.Number == n {
				return jsonBody(http.StatusOK, nil, s.pullJSON(repo, p, true))
			}
		}
	case "pull_files":
		return s.listPullFiles(req, repo)
	case "contents":
		// GET /repos/{owner}/{repo}/contents/{path}: a file, base64 in
		// lines of 60 as GitHub sends it.
		path := strings.Join(req.segs[1:], "/")
		content, ok := repo.Files[path]
		if !ok {
			return jsonBody(http.StatusNotFound, nil, map[string]any{"message": "Not Found",
				"documentation_url": "https://docs.github.com/rest/repos/contents#get-repository-content", "status": "404"})
		}
		enc := base64.StdEncoding.EncodeToString([]byte(content))
		var lines []string
		for len(enc) > 60 {
			lines, enc = append(lines, enc[:60]), enc[60:]
		}
		lines = append(lines, enc)
		name := path[strings.LastIndexByte(path, '/')+1:]
		return jsonBody(http.StatusOK, nil, map[string]any{"type": "file", "encoding": "base64", "size": len(content), "name": name, "path": path,
			"content": strings.Join(lines, "\n") + "\n", "sha": fmt.Sprintf("%040x", len(content)),
			"url":      s.apiURL("repos", repo.Owner, repo.Name, "contents", path),
			"html_url": fmt.Sprintf("%s/%s/blob/%s/%s", s.URL, repo.FullName(), repo.DefaultBranch, path)})
	case "issues":
		if repo.IssuesDisabled {
			return jsonBody(http.StatusGone, nil, map[string]any{"message": "Issues are disabled for this repo", "documentation_url": "https://docs.github.com/v3/issues/"})
		}
		return s.listIssues(req, repo, q)
	case "runs":
		return s.listRuns(req, repo, q, nil)
	case "workflow_runs":
		wf := req.segs[2]
		return s.listRuns(req, repo, q, func(r *WorkflowRun) bool {
			return strconv.FormatInt(r.WorkflowID, 10) == wf || strings.TrimPrefix(r.Path, ".github/workflows/") == wf
		})
	case "run":
		id, _ := strconv.ParseInt(req.segs[2], 10, 64)
		for _, r := range repo.Runs {
			if r.ID == id {
				return jsonBody(http.StatusOK, nil, s.runJSON(repo, r))
			}
		}
	case "run_attempt":
		id, _ := strconv.ParseInt(req.segs[2], 10, 64)
		n, _ := strconv.Atoi(req.segs[4])
		for _, r := range repo.Runs {
			switch {
			case r.ID != id:
			case n == r.RunAttempt:
				return jsonBody(http.StatusOK, nil, s.runJSON(repo, r))
			case n >= 1 && n <= len(r.Attempts):
				a := r.Attempts[n-1]
				return jsonBody(http.StatusOK, nil, s.runJSON(repo, &a))
			}
		}
	case "deployments":
		return s.listDeployments(req, repo, q)
	case "deployment_statuses":
		id, _ := strconv.ParseInt(req.segs[1], 10, 64)
		for _, d := range repo.Deployments {
			if d.ID == id {
				sts := slices.Clone(d.Statuses)
				slices.Reverse(sts) // newest first
				items := make([]any, len(sts))
				for i, st := range sts {
					items[i] = s.statusJSON(repo, d, st)
				}
				return s.page(req, items, nil)
			}
		}
	case "releases":
		rels := slices.Clone(repo.Releases)
		sort.SliceStable(rels, func(i, j int) bool { return rels[i].CreatedAt.After(rels[j].CreatedAt) })
		items := make([]any, len(rels))
		for i, r := range rels {
			items[i] = s.releaseJSON(repo, r)
		}
		return s.page(req, items, nil)
	case "compare":
		return s.compare(req, repo)
	case "environments", "workflows":
		return s.answerSetup(req, repo) // discover.go
	}
	return jsonBody(http.StatusNotFound, nil, map[string]any{"message": "Not Found", "documentation_url": "https://docs.github.com/rest"})
}

// page answers one page of a list: per_page (default 30, at most 100) and
// page, with a Link header. envelope, when set, wraps the page's items.
func (s *Server) page(req *request, items []any, envelope func(items []any) any) (int, http.Header, []byte) {
	return s.pageOf(req, len(items), func(i int) any { return items[i] }, envelope)
}

// pageOf is page over n items of which only the page's are rendered
// (item(i) renders the i-th): a list of thousands is not rendered whole
// for each of its pages.
func (s *Server) pageOf(req *request, n int, item func(i int) any, envelope func(items []any) any) (int, http.Header, []byte) {
	q := req.r.URL.Query()
	per, _ := strconv.Atoi(q.Get("per_page"))
	if per <= 0 {
		per = 30
	}
	per = min(per, 100)
	pg, _ := strconv.Atoi(q.Get("page"))
	pg = max(pg, 1)
	last := max(1, (n+per-1)/per)
	start := min((pg-1)*per, n)
	end := min(start+per, n)
	hdr := http.Header{}
	link := func(p int, rel string) string {
		u := *req.r.URL
		u.Scheme, u.Host = "http", req.r.Host
		if strings.HasPrefix(s.URL, "https") {
			u.Scheme = "https"
		}
		v := u.Query()
		v.Set("page", strconv.Itoa(p))
		u.RawQuery = v.Encode()
		return fmt.Sprintf(`<%s>; rel="%s"`, u.String(), rel)
	}
	var links []string
	if pg < last {
		links = append(links, link(pg+1, "next"), link(last, "last"))
	}
	if pg > 1 {
		links = append(links, link(1, "first"), link(pg-1, "prev"))
	}
	if len(links) > 0 {
		hdr.Set("Link", strings.Join(links, ", "))
	}
	pageItems := make([]any, 0, end-start)
	for i := start; i < end; i++ {
		pageItems = append(pageItems, item(i))
	}
	if envelope != nil {
		return jsonBody(http.StatusOK, hdr, envelope(pageItems))
	}
	return jsonBody(http.StatusOK, hdr, pageItems)
}

func (s *Server) apiURL(parts ...string) string {
	return s.URL + "/api/v3/" + strings.Join(parts, "/")
}

func (s *Server) userJSON(u User) any {
	if u.Login == "" {
		return nil
	}
	typ := "User"
	if u.Bot {
		typ = "Bot"
	}
	return map[string]any{
		"login": u.Login, "id": u.ID, "node_id": fmt.Sprintf("MDQ6VXNlcj%d", u.ID),
		"avatar_url": s.URL + "/avatars/u/" + strconv.FormatInt(u.ID, 10), "gravatar_id": "",
		"url": s.apiURL("users", u.Login), "html_url": s.URL + "/" + u.Login, "type": typ, "site_admin": false,
	}
}

func ts(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(time.RFC3339)
}

func (s *Server) labelsJSON(repo *Repo, labels []string) []any {
	out := make([]any, len(labels))
	for i, l := range labels {
		out[i] = map[string]any{"id": idOf(repo.FullName() + "#" + l), "node_id": "LA_" + l, "url": s.apiURL("repos", repo.Owner, repo.Name, "labels", url.PathEscape(l)),
			"name": l, "color": "d73a4a", "default": false, "description": nil}
	}
	return out
}

func (s *Server) repoJSON(r *Repo) map[string]any {
	owner := Person(r.Owner)
	owner.Login = r.Owner
	return map[string]any{
		"id": r.ID, "node_id": fmt.Sprintf("R_%d", r.ID), "name": r.Name, "full_name": r.FullName(),
		"private": true, "owner": s.userJSON(owner), "html_url": s.URL + "/" + r.FullName(),
		"description": nil, "fork": r.Fork, "url": s.apiURL("repos", r.Owner, r.Name), "topics": orEmptyList(r.Topics),
		"created_at": ts(r.CreatedAt), "updated_at": ts(r.CreatedAt), "pushed_at": ts(r.CreatedAt),
		"default_branch": r.DefaultBranch, "archived": r.Archived, "disabled": false,
		"visibility": "private", "has_issues": !r.IssuesDisabled,
	}
}

// pullJSON renders a pull request; full adds what only GET /pulls/{n}
// gives (additions, deletions, changed_files, commits, merged, ...).
func (s *Server) pullJSON(repo *Repo, p *PullRequest, full bool) map[string]any {
	state := "open"
	if p.State() != "open" {
		state = "closed"
	}
	headSHA := ""
	if len(p.Commits) > 0 {
		headSHA = p.Commits[len(p.Commits)-1].SHA
	}
	baseSHA := ""
	if len(repo.Commits) > 0 {
		baseSHA = repo.Commits[len(repo.Commits)-1].SHA
	}
	m := map[string]any{
		"url": s.apiURL("repos", repo.Owner, repo.Name, "pulls", strconv.Itoa(p.Number)), "id": p.ID,
		"node_id": fmt.Sprintf("PR_%d", p.ID), "html_url": fmt.Sprintf("%s/%s/pull/%d", s.URL, repo.FullName(), p.Number),
		"number": p.Number, "state": state, "locked": false, "title": p.Title, "user": s.userJSON(p.Author), "body": "",
		"labels": s.labelsJSON(repo, p.Labels), "milestone": nil, "active_lock_reason": nil,
		"created_at": ts(p.CreatedAt), "updated_at": ts(p.UpdatedAt), "closed_at": ts(p.ClosedAt), "merged_at": ts(p.MergedAt),
		"merge_commit_sha": nilIfEmpty(p.MergeCommit), "assignee": nil, "assignees": []any{}, "requested_reviewers": []any{}, "requested_teams": []any{},
		"head":               map[string]any{"label": repo.Owner + ":" + p.HeadRef, "ref": p.HeadRef, "sha": headSHA},
		"base":               map[string]any{"label": repo.Owner + ":" + p.BaseRef, "ref": p.BaseRef, "sha": baseSHA},
		"author_association": "MEMBER", "auto_merge": nil, "draft": p.Draft,
	}
	if full {
		m["merged"] = !p.MergedAt.IsZero()
		m["mergeable"] = nil
		m["merged_by"] = nil
		m["comments"] = 0
		m["review_comments"] = 0
		m["commits"] = len(p.Commits)
		m["additions"] = p.Additions
		m["deletions"] = p.Deletions
		m["changed_files"] = p.ChangedFiles
	}
	return m
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func (s *Server) listPulls(req *request, repo *Repo, q url.Values) (int, http.Header, []byte) {
	state := q.Get("state")
	if state == "" {
		state = "open"
	}
	var prs []*PullRequest
	for _, p := range repo.PullRequests {
		open := p.State() == "open"
		if (state == "open" && !open) || (state == "closed" && open) {
			continue
		}
		if b := q.Get("base"); b != "" && b != p.BaseRef {
			continue
		}
		prs = append(prs, p)
	}
	key := func(p *PullRequest) time.Time { return p.CreatedAt }
	if q.Get("sort") == "updated" {
		key = func(p *PullRequest) time.Time { return p.UpdatedAt }
	}
	asc := q.Get("direction") == "asc"
	sort.SliceStable(prs, func(i, j int) bool {
		a, b := key(prs[i]), key(prs[j])
		if a.Equal(b) {
			return (prs[i].Number < prs[j].Number) == asc
		}
		return a.Before(b) == asc
	})
	items := make([]any, len(prs))
	for i, p := range prs {
		items[i] = s.pullJSON(repo, p, false)
	}
	return s.page(req, items, nil)
}

// listIssues lists issues and pull requests (as GitHub does) with state,
// labels (every label given must be on the issue), since, sort and
// direction.
func (s *Server) listIssues(req *request, repo *Repo, q url.Values) (int, http.Header, []byte) {
	type item struct {
		number           int
		created, updated time.Time
		render           func() map[string]any
		labels           []string
		open             bool
	}
	var all []item
	for _, is := range repo.Issues {
		is := is
		all = append(all, item{is.Number, is.CreatedAt, is.UpdatedAt, func() map[string]any { return s.issueJSON(repo, is) }, is.Labels, is.State() == "open"})
	}
	for _, p := range repo.PullRequests {
		p := p
		all = append(all, item{p.Number, p.CreatedAt, p.UpdatedAt, func() map[string]any { return s.pullAsIssueJSON(repo, p) }, p.Labels, p.State() == "open"})
	}
	state := q.Get("state")
	if state == "" {
		state = "open"
	}
	var want []string
	if l := q.Get("labels"); l != "" {
		want = strings.Split(l, ",")
	}
	var since time.Time
	if v := q.Get("since"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return jsonBody(http.StatusUnprocessableEntity, nil, map[string]any{"message": "Validation Failed", "errors": []any{map[string]any{"field": "since", "code": "invalid"}}})
		}
		since = t
	}
	var kept []item
	for _, it := range all {
		if (state == "open" && !it.open) || (state == "closed" && it.open) {
			continue
		}
		if !since.IsZero() && it.updated.Before(since) {
			continue
		}
		ok := true
		for _, w := range want {
			if !slices.ContainsFunc(it.labels, func(l string) bool { return strings.EqualFold(l, strings.TrimSpace(w)) }) {
				ok = false
			}
		}
		if ok {
			kept = append(kept, it)
		}
	}
	key := func(it item) time.Time { return it.created }
	if q.Get("sort") == "updated" {
		key = func(it item) time.Time { return it.updated }
	}
	asc := q.Get("direction") == "asc"
	sort.SliceStable(kept, func(i, j int) bool {
		a, b := key(kept[i]), key(kept[j])
		if a.Equal(b) {
			return (kept[i].number < kept[j].number) == asc
		}
		return a.Before(b) == asc
	})
	items := make([]any, len(kept))
	for i, it := range kept {
		items[i] = it.render()
	}
	return s.page(req, items, nil)
}

func (s *Server) issueJSON(repo *Repo, is *Issue) map[string]any {
	return map[string]any{
		"url": s.apiURL("repos", repo.Owner, repo.Name, "issues", strconv.Itoa(is.Number)), "repository_url": s.apiURL("repos", repo.Owner, repo.Name),
		"html_url": fmt.Sprintf("%s/%s/issues/%d", s.URL, repo.FullName(), is.Number), "id": is.ID, "node_id": fmt.Sprintf("I_%d", is.ID),
		"number": is.Number, "title": is.Title, "user": s.userJSON(is.Author), "labels": s.labelsJSON(repo, is.Labels),
		"state": is.State(), "locked": false, "assignee": nil, "assignees": []any{}, "milestone": nil, "comments": 0,
		"created_at": ts(is.CreatedAt), "updated_at": ts(is.UpdatedAt), "closed_at": ts(is.ClosedAt),
		"author_association": "MEMBER", "active_lock_reason": nil, "body": "", "state_reason": nil,
	}
}

// pullAsIssueJSON is a pull request as the issues list shows it: an issue
// with a pull_request key.
func (s *Server) pullAsIssueJSON(repo *Repo, p *PullRequest) map[string]any {
	state := "open"
	if p.State() != "open" {
		state = "closed"
	}
	return map[string]any{
		"url": s.apiURL("repos", repo.Owner, repo.Name, "issues", strconv.Itoa(p.Number)), "repository_url": s.apiURL("repos", repo.Owner, repo.Name),
		"html_url": fmt.Sprintf("%s/%s/pull/%d", s.URL, repo.FullName(), p.Number), "id": p.ID + 1, "node_id": fmt.Sprintf("PR_%d", p.ID),
		"number": p.Number, "title": p.Title, "user": s.userJSON(p.Author), "labels": s.labelsJSON(repo, p.Labels),
		"state": state, "locked": false, "assignee": nil, "assignees": []any{}, "milestone": nil, "comments": 0,
		"created_at": ts(p.CreatedAt), "updated_at": ts(p.UpdatedAt), "closed_at": ts(p.ClosedAt),
		"author_association": "MEMBER", "active_lock_reason": nil, "draft": p.Draft, "body": "",
		"pull_request": map[string]any{
			"url":       s.apiURL("repos", repo.Owner, repo.Name, "pulls", strconv.Itoa(p.Number)),
			"html_url":  fmt.Sprintf("%s/%s/pull/%d", s.URL, repo.FullName(), p.Number),
			"diff_url":  fmt.Sprintf("%s/%s/pull/%d.diff", s.URL, repo.FullName(), p.Number),
			"patch_url": fmt.Sprintf("%s/%s/pull/%d.patch", s.URL, repo.FullName(), p.Number),
			"merged_at": ts(p.MergedAt),
		},
	}
}

func (s *Server) runJSON(repo *Repo, r *WorkflowRun) map[string]any {
	base := s.apiURL("repos", repo.Owner, repo.Name, "actions", "runs", strconv.FormatInt(r.ID, 10))
	return map[string]any{
		"id": r.ID, "name": r.Name, "node_id": fmt.Sprintf("WFR_%d", r.ID), "head_branch": r.HeadBranch, "head_sha": r.HeadSHA,
		"path": r.Path, "display_title": r.Name, "run_number": r.RunNumber, "run_attempt": r.RunAttempt, "event": r.Event,
		"status": r.Status, "conclusion": nilIfEmpty(r.Conclusion), "workflow_id": r.WorkflowID,
		"check_suite_id": r.ID + 7, "url": base, "html_url": fmt.Sprintf("%s/%s/actions/runs/%d", s.URL, repo.FullName(), r.ID),
		"pull_requests": []any{}, "created_at": ts(r.CreatedAt), "updated_at": ts(r.UpdatedAt), "run_started_at": ts(r.RunStartedAt),
		"actor": s.userJSON(r.Actor), "triggering_actor": s.userJSON(r.Actor),
		"jobs_url": base + "/jobs", "logs_url": base + "/logs", "workflow_url": s.apiURL("repos", repo.Owner, repo.Name, "actions", "workflows", strconv.FormatInt(r.WorkflowID, 10)),
		"head_commit":     map[string]any{"id": r.HeadSHA, "tree_id": SHA(r.HeadSHA + "tree"), "message": r.Name, "timestamp": ts(r.CreatedAt)},
		"repository":      map[string]any{"id": repo.ID, "name": repo.Name, "full_name": repo.FullName()},
		"head_repository": map[string]any{"id": repo.ID, "name": repo.Name, "full_name": repo.FullName()},
	}
}

// listRuns lists workflow runs newest first in the workflow_runs envelope,
// with GitHub's filters; any of branch, event, status, created, head_sha
// caps the result at 1,000 runs, as GitHub does.
func (s *Server) listRuns(req *request, repo *Repo, q url.Values, keep func(*WorkflowRun) bool) (int, http.Header, []byte) {
	runs := slices.Clone(repo.Runs)
	sort.SliceStable(runs, func(i, j int) bool {
		if runs[i].CreatedAt.Equal(runs[j].CreatedAt) {
			return runs[i].ID > runs[j].ID
		}
		return runs[i].CreatedAt.After(runs[j].CreatedAt)
	})
	from, to, err := parseCreated(q.Get("created"))
	if err != nil {
		return jsonBody(http.StatusUnprocessableEntity, nil, map[string]any{"message": "Validation Failed: created " + err.Error()})
	}
	var kept []*WorkflowRun
	for _, r := range runs {
		if keep != nil && !keep(r) {
			continue
		}
		if b := q.Get("branch"); b != "" && r.HeadBranch != b {
			continue
		}
		if e := q.Get("event"); e != "" && r.Event != e {
			continue
		}
		if st := q.Get("status"); st != "" && r.Status != st && r.Conclusion != st {
			continue
		}
		if h := q.Get("head_sha"); h != "" && r.HeadSHA != h {
			continue
		}
		if (!from.IsZero() && r.CreatedAt.Before(from)) || (!to.IsZero() && !r.CreatedAt.Before(to)) {
			continue
		}
		kept = append(kept, r)
	}
	total := len(kept)
	for _, f := range []string{"branch", "event", "status", "created", "head_sha", "actor", "check_suite_id"} {
		if q.Get(f) != "" && len(kept) > 1000 {
			kept = kept[:1000]
			break
		}
	}
	return s.pageOf(req, len(kept), func(i int) any { return s.runJSON(repo, kept[i]) }, func(items []any) any {
		return map[string]any{"total_count": total, "workflow_runs": items}
	})
}

// parseCreated reads GitHub's created filter: >=D, >D, <=D, <D, D..D, or D
// (dates or times); it returns [from, to).
func parseCreated(v string) (from, to time.Time, err error) {
	if v == "" {
		return
	}
	parse := func(s string) (time.Time, bool, error) {
		if t, err := time.Parse(time.RFC3339, s); err == nil {
			return t, false, nil
		}
		t, err := time.Parse(time.DateOnly, s)
		return t, true, err
	}
	day := func(t time.Time, isDay bool) time.Time {
		if isDay {
			return t.AddDate(0, 0, 1)
		}
		return t.Add(time.Second)
	}
	switch {
	case strings.HasPrefix(v, ">="):
		from, _, err = parse(v[2:])
	case strings.HasPrefix(v, ">"):
		var d bool
		from, d, err = parse(v[1:])
		from = day(from, d)
	case strings.HasPrefix(v, "<="):
		var d bool
		to, d, err = parse(v[2:])
		to = day(to, d)
	case strings.HasPrefix(v, "<"):
		to, _, err = parse(v[1:])
	case strings.Contains(v, ".."):
		a, b, _ := strings.Cut(v, "..")
		if from, _, err = parse(a); err != nil {
			return
		}
		var d bool
		to, d, err = parse(b)
		to = day(to, d)
	default:
		var d bool
		from, d, err = parse(v)
		to = day(from, d)
	}
	return
}

func (s *Server) deploymentJSON(repo *Repo, d *Deployment) map[string]any {
	base := s.apiURL("repos", repo.Owner, repo.Name, "deployments", strconv.FormatInt(d.ID, 10))
	return map[string]any{
		"url": base, "id": d.ID, "node_id": fmt.Sprintf("DE_%d", d.ID), "sha": d.SHA, "ref": d.Ref, "task": d.Task,
		"payload": map[string]any{}, "original_environment": d.Environment, "environment": d.Environment, "description": nil,
		"creator": s.userJSON(d.Creator), "created_at": ts(d.CreatedAt), "updated_at": ts(d.UpdatedAt),
		"statuses_url": base + "/statuses", "repository_url": s.apiURL("repos", repo.Owner, repo.Name),
		"transient_environment": false, "production_environment": strings.EqualFold(d.Environment, "production"),
	}
}

func (s *Server) statusJSON(repo *Repo, d *Deployment, st DeploymentStatus) map[string]any {
	base := s.apiURL("repos", repo.Owner, repo.Name, "deployments", strconv.FormatInt(d.ID, 10))
	return map[string]any{
		"url": base + "/statuses/" + strconv.FormatInt(st.ID, 10), "id": st.ID, "node_id": fmt.Sprintf("DES_%d", st.ID),
		"state": st.State, "creator": s.userJSON(d.Creator), "description": "", "environment": d.Environment,
		"target_url": "", "log_url": "", "environment_url": "", "created_at": ts(st.CreatedAt), "updated_at": ts(st.CreatedAt),
		"deployment_url": base, "repository_url": s.apiURL("repos", repo.Owner, repo.Name),
	}
}

func (s *Server) listDeployments(req *request, repo *Repo, q url.Values) (int, http.Header, []byte) {
	deps := slices.Clone(repo.Deployments)
	sort.SliceStable(deps, func(i, j int) bool {
		if deps[i].CreatedAt.Equal(deps[j].CreatedAt) {
			return deps[i].ID > deps[j].ID
		}
		return deps[i].CreatedAt.After(deps[j].CreatedAt)
	})
	var items []any
	for _, d := range deps {
		if e := q.Get("environment"); e != "" && d.Environment != e {
			continue
		}
		if sha := q.Get("sha"); sha != "" && d.SHA != sha {
			continue
		}
		if ref := q.Get("ref"); ref != "" && d.Ref != ref {
			continue
		}
		items = append(items, s.deploymentJSON(repo, d))
	}
	return s.page(req, items, nil)
}

func (s *Server) releaseJSON(repo *Repo, r *Release) map[string]any {
	base := s.apiURL("repos", repo.Owner, repo.Name, "releases", strconv.FormatInt(r.ID, 10))
	return map[string]any{
		"url": base, "assets_url": base + "/assets", "html_url": fmt.Sprintf("%s/%s/releases/tag/%s", s.URL, repo.FullName(), r.TagName),
		"id": r.ID, "node_id": fmt.Sprintf("RE_%d", r.ID), "tag_name": r.TagName, "target_commitish": repo.DefaultBranch,
		"name": r.Name, "draft": r.Draft, "prerelease": r.Prerelease, "author": s.userJSON(r.Author),
		"created_at": ts(r.CreatedAt), "published_at": ts(r.PublishedAt), "assets": []any{}, "body": "",
		"tarball_url": s.apiURL("repos", repo.Owner, repo.Name, "tarball", r.TagName),
		"zipball_url": s.apiURL("repos", repo.Owner, repo.Name, "zipball", r.TagName),
	}
}

// compare answers GET /compare/BASE...HEAD from the commit graph: the
// commits reachable from HEAD and not from BASE, oldest first (ahead_by,
// total_commits), behind_by the other way round; status identical, ahead,
// behind or diverged. BASE and HEAD are shas (or abbreviations) or the
// default branch's name. An unknown sha (history rewritten by a force push)
// is a 404. Without per_page it lists at most 250 commits; with per_page
// it paginates.
func (s *Server) compare(req *request, repo *Repo) (int, http.Header, []byte) {
	notFound := func() (int, http.Header, []byte) {
		return jsonBody(http.StatusNotFound, nil, map[string]any{"message": "Not Found", "documentation_url": "https://docs.github.com/rest/commits/commits#compare-two-commits"})
	}
	base, head, ok := strings.Cut(req.segs[1], "...")
	if !ok {
		return notFound()
	}
	g := repo.commitGraph()
	find := func(sha string) (int, bool) {
		if sha == repo.DefaultBranch && len(repo.Commits) > 0 {
			return g.find(repo.Commits[len(repo.Commits)-1].SHA)
		}
		return g.find(sha)
	}
	bi, okb := find(base)
	hi, okh := find(head)
	if !okb || !okh {
		return notFound()
	}
	fromBase, fromHead := g.ancestors(bi), g.ancestors(hi)
	var commits []Commit
	mergeBase := bi
	headLog := g.log(hi)
	for k := len(headLog) - 1; k >= 0; k-- { // oldest first
		if i := headLog[k]; !fromBase[i] {
			commits = append(commits, g.nodes[i])
		}
	}
	for _, i := range headLog {
		if fromBase[i] {
			mergeBase = i
			break
		}
	}
	behind := 0
	for i := range fromBase {
		if !fromHead[i] {
			behind++
		}
	}
	ahead := len(commits)
	status := "identical"
	switch {
	case ahead > 0 && behind > 0:
		status = "diverged"
	case ahead > 0:
		status = "ahead"
	case behind > 0:
		status = "behind"
	}
	commitJSON := func(c Commit) map[string]any {
		committed := c.committed()
		parents := []any{}
		for _, p := range c.Parents {
			parents = append(parents, map[string]any{"sha": p, "url": s.apiURL("repos", repo.Owner, repo.Name, "commits", p),
				"html_url": fmt.Sprintf("%s/%s/commit/%s", s.URL, repo.FullName(), p)})
		}
		return map[string]any{
			"sha": c.SHA, "node_id": "C_" + c.SHA[:8], "url": s.apiURL("repos", repo.Owner, repo.Name, "commits", c.SHA),
			"html_url": fmt.Sprintf("%s/%s/commit/%s", s.URL, repo.FullName(), c.SHA),
			"commit": map[string]any{
				"author":    map[string]any{"name": c.Author.Login, "email": c.Author.Login + "@example.com", "date": ts(c.AuthoredAt)},
				"committer": map[string]any{"name": c.Author.Login, "email": c.Author.Login + "@example.com", "date": ts(committed)},
				"message":   c.Message, "tree": map[string]any{"sha": SHA(c.SHA + "tree")}, "comment_count": 0,
			},
			"author": s.userJSON(c.Author), "committer": s.userJSON(c.Author), "parents": parents,
		}
	}
	items := make([]any, len(commits))
	for i, c := range commits {
		items[i] = commitJSON(c)
	}
	envelope := func(page []any) any {
		return map[string]any{
			"url":      s.apiURL("repos", repo.Owner, repo.Name, "compare", req.segs[1]),
			"html_url": fmt.Sprintf("%s/%s/compare/%s", s.URL, repo.FullName(), req.segs[1]),
			"status":   status, "ahead_by": ahead, "behind_by": behind, "total_commits": len(commits),
			"base_commit":       commitJSON(g.nodes[bi]),
			"merge_base_commit": commitJSON(g.nodes[mergeBase]),
			"commits":           page, "files": []any{},
		}
	}
	if req.r.URL.Query().Get("per_page") == "" && req.r.URL.Query().Get("page") == "" {
		return jsonBody(http.StatusOK, nil, envelope(items[:min(len(items), 250)]))
	}
	return s.page(req, items, envelope)
}
