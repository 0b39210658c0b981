package githubtest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2025, 5, 1, 12, 0, 0, 0, time.UTC)

func get(t *testing.T, s *Server, path string, hdr map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.BaseURL()+strings.TrimPrefix(path, "/"), nil)
	req.Header.Set("Authorization", "Bearer "+DefaultToken)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, body
}

func graphql(t *testing.T, s *Server, query string, vars map[string]any) map[string]any {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, s.GraphQLURL(), bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+DefaultToken)
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

func newTestRepo(t *testing.T) (*Server, *Repo) {
	s := New(t)
	r := s.AddRepo("acme/api")
	r.AddCommit("initial", t0)
	for i := range 5 {
		pr := r.AddPR("change", Person("alice"), t0.Add(time.Duration(i)*time.Hour))
		if i%2 == 0 {
			r.Merge(pr, t0.Add(time.Duration(i)*time.Hour+30*time.Minute))
		}
	}
	r.AddIssue("incident", t0, "incident")
	return s, r
}

func TestRESTListsPaginateWithLinkAndOmitListFields(t *testing.T) {
	s, _ := newTestRepo(t)
	resp, body := get(t, s, "repos/acme/api/pulls?state=all&per_page=2", nil)
	link := resp.Header.Get("Link")
	if !strings.Contains(link, `rel="next"`) || !strings.Contains(link, `rel="last"`) || !strings.Contains(link, "page=3") {
		t.Errorf("Link = %q", link)
	}
	var items []map[string]any
	if err := json.Unmarshal(body, &items); err != nil || len(items) != 2 {
		t.Fatalf("items = %s", body)
	}
	if _, ok := items[0]["additions"]; ok {
		t.Errorf("a list item carries additions")
	}
	_, body = get(t, s, "repos/acme/api/pulls/1", nil)
	var one map[string]any
	json.Unmarshal(body, &one)
	if _, ok := one["additions"]; !ok {
		t.Errorf("a single pull request lacks additions: %s", body)
	}
	for _, h := range []string{"X-Ratelimit-Limit", "X-Ratelimit-Remaining", "X-Ratelimit-Reset", "X-Ratelimit-Used", "X-Ratelimit-Resource"} {
		if resp.Header.Get(h) == "" {
			t.Errorf("missing %s", h)
		}
	}
}

func TestIssuesListHoldsPullRequests(t *testing.T) {
	s, _ := newTestRepo(t)
	_, body := get(t, s, "repos/acme/api/issues?state=all&per_page=100", nil)
	var items []map[string]any
	json.Unmarshal(body, &items)
	prs := 0
	for _, it := range items {
		if _, ok := it["pull_request"]; ok {
			prs++
		}
	}
	if len(items) != 6 || prs != 5 {
		t.Errorf("items %d, pull requests %d", len(items), prs)
	}
	// labels=a,b means both.
	_, body = get(t, s, "repos/acme/api/issues?state=all&labels=incident,other", nil)
	if strings.TrimSpace(string(body)) != "[]" {
		t.Errorf("labels AND: %s", body)
	}
}

func TestETagAnswers304WithoutCost(t *testing.T) {
	s, _ := newTestRepo(t)
	resp, _ := get(t, s, "repos/acme/api", nil)
	etag := resp.Header.Get("ETag")
	used := resp.Header.Get("X-Ratelimit-Used")
	resp, body := get(t, s, "repos/acme/api", map[string]string{"If-None-Match": etag})
	if resp.StatusCode != http.StatusNotModified || len(body) != 0 {
		t.Errorf("status %d body %q", resp.StatusCode, body)
	}
	if resp.Header.Get("X-Ratelimit-Used") != used {
		t.Errorf("a 304 cost rate limit: used %s → %s", used, resp.Header.Get("X-Ratelimit-Used"))
	}
}

func TestWorkflowRunsEnvelopeAndFilterCap(t *testing.T) {
	s := New(t)
	r := s.AddRepo("acme/api")
	for i := range 1005 {
		r.AddRun("CI", "ci.yml", "main", SHA("x"), t0.Add(time.Duration(i)*time.Minute), "success", t0.Add(time.Duration(i)*time.Minute+time.Second))
	}
	_, body := get(t, s, "repos/acme/api/actions/runs?per_page=100&page=11", nil)
	var page struct {
		TotalCount   int              `json:"total_count"`
		WorkflowRuns []map[string]any `json:"workflow_runs"`
	}
	json.Unmarshal(body, &page)
	if page.TotalCount != 1005 || len(page.WorkflowRuns) != 5 {
		t.Errorf("unfiltered: total %d, last page %d", page.TotalCount, len(page.WorkflowRuns))
	}
	_, body = get(t, s, "repos/acme/api/actions/runs?per_page=100&page=11&branch=main", nil)
	json.Unmarshal(body, &page)
	if len(page.WorkflowRuns) != 0 {
		t.Errorf("a filtered list went past 1,000 runs")
	}
}

func TestCompare(t *testing.T) {
	s := New(t)
	r := s.AddRepo("acme/api")
	a := r.AddCommit("a", t0)
	r.AddCommit("b", t0.Add(time.Hour))
	c := r.AddCommit("c", t0.Add(2*time.Hour))
	_, body := get(t, s, "repos/acme/api/compare/"+a+"..."+c+"?per_page=100", nil)
	var cmp struct {
		Status  string `json:"status"`
		Commits []struct {
			SHA string `json:"sha"`
		} `json:"commits"`
	}
	json.Unmarshal(body, &cmp)
	if cmp.Status != "ahead" || len(cmp.Commits) != 2 || cmp.Commits[1].SHA != c {
		t.Errorf("compare = %s", body)
	}
	resp, _ := get(t, s, "repos/acme/api/compare/"+SHA("gone")+"..."+c, nil)
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown base: %d", resp.StatusCode)
	}
}

func TestGraphQLValidatesAgainstTheSchema(t *testing.T) {
	s, _ := newTestRepo(t)
	out := graphql(t, s, `query{repository(owner:"acme",name:"api"){pullRequests(first:2){nodes{number additionz}}}}`, nil)
	errs, _ := out["errors"].([]any)
	if len(errs) != 1 || !strings.Contains(errs[0].(map[string]any)["message"].(string), "Field 'additionz' doesn't exist on type 'PullRequest'") {
		t.Errorf("unknown field: %v", out)
	}
	if _, ok := out["data"]; ok {
		t.Errorf("a query that fails validation returned data")
	}
	out = graphql(t, s, `query{repository(owner:"acme",name:"api"){pullRequests(frist:2){totalCount}}}`, nil)
	if errs, _ := out["errors"].([]any); len(errs) == 0 {
		t.Errorf("unknown argument accepted: %v", out)
	}
}

func TestGraphQLPaginatesAndReportsRateLimit(t *testing.T) {
	s, _ := newTestRepo(t)
	q := `query($owner:String!$name:String!$after:String){rateLimit{cost remaining resetAt}
		repository(owner:$owner,name:$name){pullRequests(first:2,after:$after,orderBy:{field:UPDATED_AT,direction:DESC},states:[OPEN,MERGED]){
		pageInfo{hasNextPage endCursor} nodes{number state author{login __typename} mergeCommit{oid}
		commits(first:1){nodes{commit{authoredDate}}}}}}}`
	var numbers []float64
	var after any
	for range 5 {
		out := graphql(t, s, q, map[string]any{"owner": "acme", "name": "api", "after": after})
		data := out["data"].(map[string]any)
		if rl := data["rateLimit"].(map[string]any); rl["cost"].(float64) < 1 || rl["remaining"] == nil {
			t.Errorf("rateLimit = %v", rl)
		}
		conn := data["repository"].(map[string]any)["pullRequests"].(map[string]any)
		for _, n := range conn["nodes"].([]any) {
			numbers = append(numbers, n.(map[string]any)["number"].(float64))
		}
		pi := conn["pageInfo"].(map[string]any)
		if !pi["hasNextPage"].(bool) {
			break
		}
		after = pi["endCursor"]
	}
	if len(numbers) != 5 || numbers[0] != 5 {
		t.Errorf("pages gave %v, want the 5 pull requests newest-updated first", numbers)
	}
	out := graphql(t, s, `query{repository(owner:"acme",name:"nope"){id}}`, nil)
	errs, _ := out["errors"].([]any)
	if len(errs) != 1 || errs[0].(map[string]any)["type"] != "NOT_FOUND" {
		t.Errorf("missing repo: %v", out)
	}
}

func TestFaultsAndToken(t *testing.T) {
	s, _ := newTestRepo(t)
	s.Inject(ServerError(502).On("repo").Repeat(1))
	s.Inject(TooManyRequests(7 * time.Second).On("issues").Repeat(1))
	if resp, _ := get(t, s, "repos/acme/api", nil); resp.StatusCode != 502 {
		t.Errorf("first: %d", resp.StatusCode)
	}
	if resp, _ := get(t, s, "repos/acme/api", nil); resp.StatusCode != 200 {
		t.Errorf("second: %d", resp.StatusCode)
	}
	if resp, _ := get(t, s, "repos/acme/api/issues", nil); resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "7" {
		t.Errorf("429: %d %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	s.SetToken("other")
	if resp, body := get(t, s, "repos/acme/api", nil); resp.StatusCode != 401 || !strings.Contains(string(body), "Bad credentials") {
		t.Errorf("bad token: %d %s", resp.StatusCode, body)
	}
	if s.Requests("repo") != 3 || s.Requests("issues") != 1 {
		t.Errorf("counts: %s", s.CountsString())
	}
}

// mergeHistory is a default branch with a squash merge, a merge commit
// (two pull request commits on a side line, the older one committed
// before the squash merge) and a release branch off an older commit.
func mergeHistory(t *testing.T) (*Server, *Repo, map[string]string) {
	s := New(t)
	r := s.AddRepo("acme/api")
	sha := map[string]string{}
	sha["init"] = r.AddCommit("initial", t0)
	squash := r.AddPR("squashed", Person("alice"), t0.Add(time.Hour))
	merged := r.AddPR("merged", Person("bob"), t0.Add(30*time.Minute))
	merged.Commits = []Commit{
		{SHA: SHA("side-1"), Message: "one", Author: Person("bob"), AuthoredAt: t0.Add(40 * time.Minute)},
		{SHA: SHA("side-2"), Message: "two", Author: Person("bob"), AuthoredAt: t0.Add(3 * time.Hour)},
	}
	sha["squash"] = r.Merge(squash, t0.Add(2*time.Hour))
	sha["merge"] = r.MergeWithCommit(merged, t0.Add(4*time.Hour))
	sha["release"] = r.AddSideCommit("hotfix on release-1", t0.Add(5*time.Hour), sha["squash"])
	return s, r, sha
}

const historyQuery = `query($owner: String!, $name: String!, $after: String) {
  rateLimit { cost }
  repository(owner: $owner, name: $name) {
    defaultBranchRef { target { ... on Commit { oid history(first: 2, after: $after) {
      pageInfo { hasNextPage endCursor }
      nodes { oid committedDate parents(first: 10) { nodes { oid } } }
    } } } }
  }
}`

func historyNodes(t *testing.T, out map[string]any) (oids []string, parents [][]string, next string) {
	t.Helper()
	if out["errors"] != nil {
		t.Fatalf("errors: %v", out["errors"])
	}
	h := out["data"].(map[string]any)["repository"].(map[string]any)["defaultBranchRef"].(map[string]any)["target"].(map[string]any)["history"].(map[string]any)
	for _, n := range h["nodes"].([]any) {
		n := n.(map[string]any)
		oids = append(oids, n["oid"].(string))
		var ps []string
		for _, p := range n["parents"].(map[string]any)["nodes"].([]any) {
			ps = append(ps, p.(map[string]any)["oid"].(string))
		}
		parents = append(parents, ps)
	}
	if pi := h["pageInfo"].(map[string]any); pi["hasNextPage"].(bool) {
		next = pi["endCursor"].(string)
	}
	return oids, parents, next
}

func TestCommitHistoryIsGitLogOrderWithParents(t *testing.T) {
	s, _, sha := mergeHistory(t)
	vars := map[string]any{"owner": "acme", "name": "api"}
	var oids []string
	var parents [][]string
	for page := 0; ; page++ {
		out := graphql(t, s, historyQuery, vars)
		if cost := out["data"].(map[string]any)["rateLimit"].(map[string]any)["cost"]; cost != float64(1) {
			t.Errorf("cost = %v, want 1 (2 + 2·1 connections, /100, rounded, at least 1)", cost)
		}
		o, p, next := historyNodes(t, out)
		oids, parents = append(oids, o...), append(parents, p...)
		if next == "" {
			break
		}
		vars["after"] = next
	}
	// git log order: newest committer date first, a merge's side line
	// included; the release branch is not reachable from the tip.
	want := []string{sha["merge"], SHA("side-2"), sha["squash"], SHA("side-1"), sha["init"]}
	if strings.Join(oids, ",") != strings.Join(want, ",") {
		t.Errorf("history =\n%v\nwant\n%v", oids, want)
	}
	if len(parents[0]) != 2 || parents[0][0] != sha["squash"] || parents[0][1] != SHA("side-2") {
		t.Errorf("merge commit parents = %v, want first parent the old tip, then the pull request's head", parents[0])
	}
	if len(parents[3]) != 1 || parents[3][0] != sha["init"] {
		t.Errorf("side-1 parents = %v, want the tip at the pull request's creation", parents[3])
	}
	if s.Requests("graphql.history") != 3 {
		t.Errorf("graphql.history = %d, want 3 (%s)", s.Requests("graphql.history"), s.CountsString())
	}

	// Pinned to a commit, with since; a cursor of another commit's history
	// is refused; backwards pagination is unsupported, as on GitHub.
	out := graphql(t, s, `query($oid: GitObjectID!, $since: GitTimestamp) { repository(owner: "acme", name: "api") {
	  object(oid: $oid) { ... on Commit { history(first: 10, since: $since) { nodes { oid } } } } } }`,
		map[string]any{"oid": sha["squash"], "since": t0.Add(time.Hour).Format(time.RFC3339)})
	nodes := out["data"].(map[string]any)["repository"].(map[string]any)["object"].(map[string]any)["history"].(map[string]any)["nodes"].([]any)
	if len(nodes) != 1 || nodes[0].(map[string]any)["oid"] != sha["squash"] {
		t.Errorf("history of the squash commit since its hour = %v", nodes)
	}
	out = graphql(t, s, historyQuery, map[string]any{"owner": "acme", "name": "api", "after": sha["init"] + " 0"})
	if out["errors"] == nil {
		t.Errorf("a cursor of another commit was taken")
	}
	out = graphql(t, s, `{ repository(owner: "acme", name: "api") { defaultBranchRef { target { ... on Commit { history(last: 2) { nodes { oid } } } } } } }`, nil)
	if errs, _ := out["errors"].([]any); len(errs) == 0 || !strings.Contains(errs[0].(map[string]any)["message"].(string), "backwards pagination unsupported") {
		t.Errorf("last: errors = %v", out["errors"])
	}
}

func TestCompareWalksTheGraph(t *testing.T) {
	s, _, sha := mergeHistory(t)
	compare := func(base, head string) map[string]any {
		t.Helper()
		_, body := get(t, s, "repos/acme/api/compare/"+base+"..."+head+"?per_page=100", nil)
		var c map[string]any
		if err := json.Unmarshal(body, &c); err != nil {
			t.Fatalf("%s...%s: %s", base, head, body)
		}
		return c
	}
	shas := func(c map[string]any) []string {
		var out []string
		for _, x := range c["commits"].([]any) {
			out = append(out, x.(map[string]any)["sha"].(string))
		}
		return out
	}
	c := compare(sha["squash"], sha["merge"])
	if got := shas(c); c["status"] != "ahead" || c["total_commits"] != float64(3) || strings.Join(got, ",") != strings.Join([]string{SHA("side-1"), SHA("side-2"), sha["merge"]}, ",") {
		t.Errorf("squash...merge: %v %v %v", c["status"], c["total_commits"], got)
	}
	if c := compare(sha["merge"], sha["squash"]); c["status"] != "behind" || c["behind_by"] != float64(3) || len(shas(c)) != 0 {
		t.Errorf("merge...squash: %v behind %v", c["status"], c["behind_by"])
	}
	c = compare(sha["merge"], sha["release"])
	if c["status"] != "diverged" || c["ahead_by"] != float64(1) || c["merge_base_commit"].(map[string]any)["sha"] != sha["squash"] {
		t.Errorf("merge...release: %v ahead %v base %v", c["status"], c["ahead_by"], c["merge_base_commit"].(map[string]any)["sha"])
	}
}
