package gitlabtest

import (
	"cmp"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// handle answers a request the faults let through: status, body, headers.
func (s *Server) handle(rt route, r *http.Request) (int, any, http.Header) {
	if rt.gql != nil {
		if s.NoGraphQL {
			return http.StatusNotFound, map[string]string{"message": "404 Not Found"}, nil
		}
		return s.graphql(rt.gql)
	}
	if rt.notFound != "" {
		return http.StatusNotFound, map[string]string{"message": rt.notFound}, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	q := r.URL.Query()
	p := rt.project
	list := func(items []any) (int, any, http.Header) {
		page, h := s.paginate(r, items)
		return http.StatusOK, page, h
	}
	switch strings.TrimPrefix(rt.name, r.Method+" ") {
	case "/projects/:id":
		return http.StatusOK, s.projectJSON(p, false), nil
	case "/groups/:id/projects":
		return list(s.groupProjects(rt.group, q))
	case "/groups/:id/members/all":
		return list(s.groupMembers(rt.group)) // members.go
	case "/projects/:id/merge_requests":
		return list(s.mergeRequests(p, q))
	case "/projects/:id/merge_requests/:iid/commits":
		m := s.mergeRequest(p, rt.iid)
		if m == nil {
			return notFound("404 Not found")
		}
		return list(mapAll(newestFirst(m.Commits), func(c Commit) any { return s.commitJSON(p, c) }))
	case "/projects/:id/merge_requests/:iid/notes":
		m := s.mergeRequest(p, rt.iid)
		if m == nil {
			return notFound("404 Not found")
		}
		return list(s.notes(p, m, q))
	case "/projects/:id/merge_requests/:iid/diffs":
		m := s.mergeRequest(p, rt.iid)
		if m == nil {
			return notFound("404 Not found")
		}
		return list(diffs(m))
	case "/projects/:id/deployments":
		if q.Get("updated_after") != "" && q.Get("order_by") != "updated_at" {
			return http.StatusBadRequest, map[string]string{"message": "400 Bad request - `updated_at` filter and `updated_at` sorting must be paired"}, nil
		}
		return list(s.deployments(p, q))
	case "/projects/:id/environments":
		return list(mapAll(p.Environments, func(e *Environment) any { return s.environmentJSON(p, e) }))
	case "/projects/:id/pipelines":
		return list(s.pipelines(p, q))
	case "/projects/:id/pipelines/:pipeline_id":
		pl := s.pipeline(p, rt.iid)
		if pl == nil {
			return notFound("404 Not found")
		}
		return http.StatusOK, s.pipelineJSON(p, pl, true), nil
	case "/projects/:id/pipelines/:pipeline_id/jobs":
		pl := s.pipeline(p, rt.iid)
		if pl == nil {
			return notFound("404 Not found")
		}
		var jobs []any
		for _, j := range pl.Jobs {
			if !j.Retried || q.Get("include_retried") == "true" {
				jobs = append(jobs, s.jobJSON(p, pl, j))
			}
		}
		return list(jobs)
	case "/projects/:id/jobs":
		return list(s.projectJobs(p, q))
	case "/projects/:id/issues":
		return list(s.issues(p, q))
	case "/projects/:id/releases":
		return list(s.releases(p, q))
	case "/projects/:id/repository/files/:file_path":
		// GET /projects/:id/repository/files/:file_path?ref=…: the file,
		// base64, with an ETag that If-None-Match answers with 304.
		content, ok := p.Files[rt.iid]
		if !ok {
			return notFound("404 File Not Found")
		}
		sum := sha256.Sum256([]byte(content))
		etag := fmt.Sprintf(`W/"%x"`, sum[:8])
		h := http.Header{"Etag": {etag}}
		if r.Header.Get("If-None-Match") == etag {
			return http.StatusNotModified, nil, h
		}
		name := rt.iid[strings.LastIndexByte(rt.iid, '/')+1:]
		return http.StatusOK, map[string]any{"file_name": name, "file_path": rt.iid, "size": len(content), "encoding": "base64",
			"content": base64.StdEncoding.EncodeToString([]byte(content)), "content_sha256": fmt.Sprintf("%x", sum),
			"ref": q.Get("ref"), "blob_id": fmt.Sprintf("%x", sum[:20]), "commit_id": fmt.Sprintf("%040d", 1), "last_commit_id": fmt.Sprintf("%040d", 1)}, h
	case "/projects/:id/repository/compare":
		return s.compare(p, q.Get("from"), q.Get("to"))
	case "/projects/:id/repository/merge_base":
		return s.mergeBase(p, q["refs[]"])
	case "/projects/:id/repository/commits":
		commits, ok := s.commits(p, q)
		if !ok {
			return notFound("404 Commit Not Found")
		}
		// GitLab leaves x-total and x-total-pages out of the commits API's
		// answers (docs.gitlab.com/api/commits, "Pagination response headers").
		page, h := s.paginateWith(r, commits, false)
		return http.StatusOK, page, h
	}
	return notFound("404 Not Found")
}

func notFound(msg string) (int, any, http.Header) {
	return http.StatusNotFound, map[string]string{"message": msg}, nil
}

func mapAll[T any](in []T, f func(T) any) []any {
	out := make([]any, len(in))
	for i, v := range in {
		out[i] = f(v)
	}
	return out
}

// timeParam reads an ISO 8601 query parameter; ok false when absent.
func timeParam(q url.Values, name string) (time.Time, bool) {
	v := q.Get(name)
	if v == "" {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	return t, err == nil
}

// sortBy orders items by the named time (ties by id), asc or desc.
func sortBy[T any](items []T, at func(T) time.Time, id func(T) int64, desc bool) {
	slices.SortStableFunc(items, func(a, b T) int {
		c := cmp.Or(at(a).Compare(at(b)), cmp.Compare(id(a), id(b)))
		if desc {
			return -c
		}
		return c
	})
}

func (s *Server) groupProjects(group string, q url.Values) []any {
	var out []*Project
	for _, p := range s.projects {
		inGroup := strings.HasPrefix(strings.ToLower(p.Path), strings.ToLower(group)+"/")
		direct := inGroup && !strings.Contains(p.Path[len(group)+1:], "/")
		if !inGroup || (!direct && q.Get("include_subgroups") != "true") {
			continue
		}
		if a := q.Get("archived"); a != "" && (a == "true") != p.Archived {
			continue
		}
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b *Project) int { return cmp.Compare(a.ID, b.ID) })
	if q.Get("sort") == "desc" {
		slices.Reverse(out)
	}
	simple := q.Get("simple") == "true"
	return mapAll(out, func(p *Project) any { return s.projectJSON(p, simple) })
}

func (s *Server) mergeRequest(p *Project, iid string) *MergeRequest {
	for _, m := range p.MergeRequests {
		if strconv.FormatInt(m.IID, 10) == iid {
			return m
		}
	}
	return nil
}

// mergeRequests is GET /projects/:id/merge_requests: state, and
// updated_after and updated_before, both inclusive as GitLab's.
func (s *Server) mergeRequests(p *Project, q url.Values) []any {
	after, hasAfter := timeParam(q, "updated_after")
	before, hasBefore := timeParam(q, "updated_before")
	var out []*MergeRequest
	for _, m := range p.MergeRequests {
		if st := q.Get("state"); st != "" && st != "all" && st != m.State {
			continue
		}
		if hasAfter && m.UpdatedAt.Before(after) || hasBefore && m.UpdatedAt.After(before) {
			continue
		}
		out = append(out, m)
	}
	at := func(m *MergeRequest) time.Time { return m.CreatedAt }
	if q.Get("order_by") == "updated_at" {
		at = func(m *MergeRequest) time.Time { return m.UpdatedAt }
	}
	sortBy(out, at, func(m *MergeRequest) int64 { return m.ID }, q.Get("sort") != "asc")
	return mapAll(out, func(m *MergeRequest) any { return s.mergeRequestJSON(p, m) })
}

func newestFirst(cs []Commit) []Commit {
	out := slices.Clone(cs)
	slices.SortStableFunc(out, func(a, b Commit) int { return b.AuthoredAt.Compare(a.AuthoredAt) })
	return out
}

func (s *Server) notes(p *Project, m *MergeRequest, q url.Values) []any {
	ns := slices.Clone(m.Notes)
	sortBy(ns, func(n *Note) time.Time { return n.CreatedAt }, func(n *Note) int64 { return n.ID }, q.Get("sort") != "asc")
	return mapAll(ns, func(n *Note) any { return s.noteJSON(p, m, n) })
}

// fileDiffs are an MR's files: Diffs, or when the test set none, its
// added and deleted lines spread over Files files.
func fileDiffs(m *MergeRequest) []FileDiff {
	if m.Diffs != nil {
		return m.Diffs
	}
	files := max(m.Files, 1)
	if m.Additions+m.Deletions == 0 && m.Files == 0 {
		return []FileDiff{}
	}
	out := make([]FileDiff, files)
	for i := range files {
		adds, dels := m.Additions/files, m.Deletions/files
		if i == 0 {
			adds += m.Additions % files
			dels += m.Deletions % files
		}
		out[i] = FileDiff{Path: fmt.Sprintf("file%d.go", i+1), Additions: adds, Deletions: dels}
	}
	return out
}

// diffs are an MR's files as REST's diffs list them.
func diffs(m *MergeRequest) []any {
	return mapAll(fileDiffs(m), func(d FileDiff) any { return diffJSON(d) })
}

func (s *Server) deployments(p *Project, q url.Values) []any {
	after, hasAfter := timeParam(q, "updated_after")
	var out []*Deployment
	for _, d := range p.Deployments {
		if hasAfter && d.UpdatedAt.Before(after) {
			continue
		}
		if e := q.Get("environment"); e != "" && e != d.Environment {
			continue
		}
		if st := q.Get("status"); st != "" && st != d.Status {
			continue
		}
		out = append(out, d)
	}
	at := func(d *Deployment) time.Time { return time.Unix(d.ID, 0) }
	switch q.Get("order_by") {
	case "updated_at":
		at = func(d *Deployment) time.Time { return d.UpdatedAt }
	case "created_at":
		at = func(d *Deployment) time.Time { return d.CreatedAt }
	}
	sortBy(out, at, func(d *Deployment) int64 { return d.ID }, q.Get("sort") == "desc")
	return mapAll(out, func(d *Deployment) any { return s.deploymentJSON(p, d) })
}

func (s *Server) pipeline(p *Project, id string) *Pipeline {
	for _, pl := range p.Pipelines {
		if strconv.FormatInt(pl.ID, 10) == id {
			return pl
		}
	}
	return nil
}

func (s *Server) pipelines(p *Project, q url.Values) []any {
	after, hasAfter := timeParam(q, "updated_after")
	var out []*Pipeline
	for _, pl := range p.Pipelines {
		if hasAfter && pl.UpdatedAt.Before(after) {
			continue
		}
		if ref := q.Get("ref"); ref != "" && ref != pl.Ref {
			continue
		}
		out = append(out, pl)
	}
	at := func(pl *Pipeline) time.Time { return time.Unix(pl.ID, 0) }
	if q.Get("order_by") == "updated_at" {
		at = func(pl *Pipeline) time.Time { return pl.UpdatedAt }
	}
	sortBy(out, at, func(pl *Pipeline) int64 { return pl.ID }, q.Get("sort") != "asc")
	return mapAll(out, func(pl *Pipeline) any { return s.pipelineJSON(p, pl, false) })
}

// projectJobs is GET /projects/:id/jobs: the jobs of every pipeline,
// retried attempts too, newest (highest id) first, scope[] keeping the
// statuses it names (docs.gitlab.com/api/jobs, "List project jobs").
func (s *Server) projectJobs(p *Project, q url.Values) []any {
	type pipelineJob struct {
		pl *Pipeline
		j  *Job
	}
	var out []pipelineJob
	for _, pl := range p.Pipelines {
		for _, j := range pl.Jobs {
			if scope := q["scope[]"]; len(scope) == 0 || slices.Contains(scope, j.Status) {
				out = append(out, pipelineJob{pl, j})
			}
		}
	}
	slices.SortFunc(out, func(a, b pipelineJob) int { return cmp.Compare(b.j.ID, a.j.ID) })
	return mapAll(out, func(x pipelineJob) any { return s.jobJSON(p, x.pl, x.j) })
}

func (s *Server) issues(p *Project, q url.Values) []any {
	after, hasAfter := timeParam(q, "updated_after")
	var want []string
	if l := q.Get("labels"); l != "" {
		want = strings.Split(l, ",")
	}
	var out []*Issue
	for _, is := range p.Issues {
		if hasAfter && is.UpdatedAt.Before(after) {
			continue
		}
		closed := !is.ClosedAt.IsZero() || is.State == "closed"
		if st := q.Get("state"); (st == "opened" && closed) || (st == "closed" && !closed) {
			continue
		}
		if t := q.Get("issue_type"); t != "" && t != cmp.Or(is.Type, "issue") {
			continue
		}
		// labels= is an AND of labels, as in GitLab
		if !slices.ContainsFunc(want, func(l string) bool { return !slices.Contains(is.Labels, l) }) {
			out = append(out, is)
		}
	}
	at := func(is *Issue) time.Time { return is.CreatedAt }
	if q.Get("order_by") == "updated_at" {
		at = func(is *Issue) time.Time { return is.UpdatedAt }
	}
	sortBy(out, at, func(is *Issue) int64 { return is.ID }, q.Get("sort") != "asc")
	return mapAll(out, func(is *Issue) any { return s.issueJSON(p, is) })
}

func (s *Server) releases(p *Project, q url.Values) []any {
	rs := slices.Clone(p.Releases)
	at := func(r *Release) time.Time { return r.ReleasedAt }
	if q.Get("order_by") == "created_at" {
		at = func(r *Release) time.Time { return r.CreatedAt }
	}
	slices.SortStableFunc(rs, func(a, b *Release) int {
		c := cmp.Or(at(a).Compare(at(b)), cmp.Compare(a.TagName, b.TagName))
		if q.Get("sort") != "asc" {
			return -c
		}
		return c
	})
	now := s.now()
	return mapAll(rs, func(r *Release) any { return s.releaseJSON(p, r, now) })
}

// compare answers from...to from the commit graph: the commits reachable
// from to and not from from, oldest first.
func (s *Server) compare(p *Project, from, to string) (int, any, http.Header) {
	g := graphOf(p)
	if g.commits[from] == nil || g.commits[to] == nil {
		return notFound("404 Ref Not Found")
	}
	base := g.reachable(from)
	var commits []any
	log := g.log(to, false)
	for i := len(log) - 1; i >= 0; i-- {
		if !base[log[i].SHA] {
			commits = append(commits, s.commitJSON(p, *log[i]))
		}
	}
	if commits == nil {
		commits = []any{}
	}
	var last any
	if len(commits) > 0 {
		last = commits[len(commits)-1]
	}
	return http.StatusOK, map[string]any{
		"commit": last, "commits": commits,
		"diffs":           []any{diffJSON(FileDiff{Path: "CHANGELOG.md", Additions: len(commits)})},
		"compare_timeout": false, "compare_same_ref": from == to,
		"web_url": fmt.Sprintf("%s/%s/-/compare/%s...%s", s.URL(), p.Path, from, to),
	}, nil
}
