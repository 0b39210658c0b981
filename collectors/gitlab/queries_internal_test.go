package gitlab

import (
	"bytes"
	"encoding/json"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/tach-dev/tach/collectors/gitlab/gitlabtest"
)

// postGraphQL sends a query to the fake GitLab and decodes the answer.
func postGraphQL(t *testing.T, srv *gitlabtest.Server, query string, vars map[string]any) map[string]any {
	t.Helper()
	body, _ := json.Marshal(graphqlRequest{Query: query, Variables: vars})
	resp, err := srv.Client().Post(srv.URL()+"/api/graphql", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestEveryQueryIsAcceptedByGitLabsSchema sends each query the collector
// sends, with the variables it sends, to the fake GitLab, which validates
// it field by field against GitLab's published schema: none may be refused.
func TestEveryQueryIsAcceptedByGitLabsSchema(t *testing.T) {
	srv := gitlabtest.New(t)
	end := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	p := srv.AddProject(gitlabtest.GenerateHistory("acme/platform/ledger", gitlabtest.History{
		MergeRequests: 5, Deployments: 2, Pipelines: 4, End: end, Span: 10 * 24 * time.Hour}))
	since := end.Add(-30 * 24 * time.Hour).Format(time.RFC3339)
	page := func(first int) map[string]any {
		return map[string]any{"fullPath": p.Path, "updatedAfter": since, "first": first, "after": nil}
	}
	one := map[string]any{"fullPath": p.Path, "iid": "1", "after": nil}
	olderHalf := page(DefaultGraphQLPageSize) // of a first sync's window
	olderHalf["updatedBefore"] = end.Add(-5 * 24 * time.Hour).Format(time.RFC3339)
	for name, q := range map[string]struct {
		query string
		vars  map[string]any
		conn  string // the connection under project the answer has nodes in
	}{
		"merge requests":                  {mergeRequestsQueryFor(true), page(DefaultGraphQLPageSize), "mergeRequests"},
		"merge requests without closedAt": {mergeRequestsQueryFor(false), page(DefaultGraphQLPageSize), "mergeRequests"},
		"merge requests updated before":   {mergeRequestsQueryFor(true), olderHalf, "mergeRequests"},
		"more notes of a merge request":   {mergeRequestNotesQuery, one, "mergeRequest"},
		"more commits of a merge request": {mergeRequestCommitsQuery, one, "mergeRequest"},
		"pipelines":                       {pipelinesQueryFor(false), page(100), "pipelines"},
		"pipelines with their jobs":       {pipelinesQueryFor(true), page(100), "pipelines"},
		"more jobs of a pipeline":         {pipelineJobsQuery, one, "pipeline"},
	} {
		out := postGraphQL(t, srv, q.query, q.vars)
		if errs, ok := out["errors"]; ok {
			t.Errorf("%s: GitLab refuses the query: %v", name, errs)
			continue
		}
		data, _ := out["data"].(map[string]any)
		project, _ := data["project"].(map[string]any)
		if project[q.conn] == nil {
			t.Errorf("%s: no %s in the answer: %v", name, q.conn, out)
		}
	}
}

// oldMergeRequestsQuery is the merge requests query as tach sent it until
// it met GitLab's schema: MergeRequest has no squashCommitSha.
const oldMergeRequestsQuery = `query TachMergeRequests($fullPath: ID!, $updatedAfter: Time, $first: Int!, $after: String) {
  project(fullPath: $fullPath) {
    mergeRequests(updatedAfter: $updatedAfter, sort: UPDATED_ASC, first: $first, after: $after) {
      pageInfo { hasNextPage endCursor }
      nodes {
        id iid title state draft
        createdAt updatedAt mergedAt closedAt
        targetBranch webUrl mergeCommitSha squashCommitSha diffHeadSha
        author { username bot }
      }
    }
  }
}`

// TestTheOldMergeRequestsQueryIsRefusedAsGitLabRefusesIt checks the fake
// answers a field GitLab lacks as GitLab does: 200, graphql-ruby's error
// with its location, path and extensions, and no data at all.
func TestTheOldMergeRequestsQueryIsRefusedAsGitLabRefusesIt(t *testing.T) {
	srv := gitlabtest.New(t)
	srv.AddProject(&gitlabtest.Project{Path: "acme/platform/ledger"})
	out := postGraphQL(t, srv, oldMergeRequestsQuery, map[string]any{"fullPath": "acme/platform/ledger", "first": 50})
	if _, ok := out["data"]; ok {
		t.Errorf("a refused query has data: %v", out["data"])
	}
	want := []any{map[string]any{
		"message":    "Field 'squashCommitSha' doesn't exist on type 'MergeRequest'",
		"locations":  []any{map[string]any{"line": 8.0, "column": 44.0}},
		"path":       []any{"query TachMergeRequests", "project", "mergeRequests", "nodes", "squashCommitSha"},
		"extensions": map[string]any{"code": "undefinedField", "typeName": "MergeRequest", "fieldName": "squashCommitSha"},
	}}
	if !reflect.DeepEqual(out["errors"], want) {
		got, _ := json.MarshalIndent(out["errors"], "", "  ")
		t.Errorf("errors:\n%s", got)
	}
	// What the collector makes of that answer: the field GitLab refused.
	var u graphqlUnavailable
	for _, e := range out["errors"].([]any) {
		raw, _ := json.Marshal(e)
		var ge graphqlError
		if err := json.Unmarshal(raw, &ge); err != nil {
			t.Fatal(err)
		}
		u.refused = append(u.refused, ge.subject())
	}
	if !u.refuses("MergeRequest.squashCommitSha") {
		t.Errorf("refused %v, want MergeRequest.squashCommitSha", u.refused)
	}
}
