package gitlabtest_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"
	"time"

	gt "github.com/tach-dev/tach/collectors/gitlab/gitlabtest"
)

// The commits list is GitLab's: git log's order over the whole graph, or
// the first-parent line with first_parent=true; offset pages with
// x-next-page but no x-total or x-total-pages; ref_name a branch or a sha.
func TestCommitsListAsGitLabDocumentsIt(t *testing.T) {
	srv := gt.New(t)
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(h int) time.Time { return t0.Add(time.Duration(h) * time.Hour) }
	// base ← m1 (merges f1 ← f2, branched off base) ← m2 (merges f3)
	srv.AddProject(&gt.Project{Path: "acme/graph",
		History: []gt.Commit{
			{SHA: gt.SHA("base"), AuthoredAt: at(0)},
			{SHA: gt.SHA("m1"), AuthoredAt: at(5), Parents: []string{gt.SHA("base"), gt.SHA("f2")}},
			{SHA: gt.SHA("m2"), AuthoredAt: at(9), Parents: []string{gt.SHA("m1"), gt.SHA("f3")}},
		},
		Branches: []gt.Commit{
			{SHA: gt.SHA("f1"), AuthoredAt: at(1), Parents: []string{gt.SHA("base")}},
			{SHA: gt.SHA("f2"), AuthoredAt: at(3), Parents: []string{gt.SHA("f1")}},
			{SHA: gt.SHA("f3"), AuthoredAt: at(7), Parents: []string{gt.SHA("m1")}},
		},
	})
	get := func(query string) ([]string, http.Header) {
		t.Helper()
		resp, err := srv.Client().Get(srv.BaseURL() + "/projects/acme%2Fgraph/repository/commits?" + query)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var cs []struct {
			ID        string   `json:"id"`
			ParentIDs []string `json:"parent_ids"`
		}
		if resp.StatusCode != http.StatusOK {
			return nil, resp.Header
		}
		if err := json.NewDecoder(resp.Body).Decode(&cs); err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, c := range cs {
			ids = append(ids, c.ID)
		}
		return ids, resp.Header
	}
	shas := func(names ...string) []string {
		var out []string
		for _, n := range names {
			out = append(out, gt.SHA(n))
		}
		return out
	}
	if got, _ := get("ref_name=main"); !slices.Equal(got, shas("m2", "f3", "m1", "f2", "f1", "base")) {
		t.Errorf("every ancestor: %v", got)
	}
	got, h := get("ref_name=main&first_parent=true&per_page=2")
	if !slices.Equal(got, shas("m2", "m1")) || h.Get("X-Next-Page") != "2" || h.Get("X-Total") != "" || h.Get("X-Total-Pages") != "" {
		t.Errorf("first page of the first-parent line: %v, headers %v", got, h)
	}
	if got, h := get("ref_name=main&first_parent=true&per_page=2&page=2"); !slices.Equal(got, shas("base")) || h.Get("X-Next-Page") != "" {
		t.Errorf("second page: %v, headers %v", got, h)
	}
	if got, _ := get("ref_name=" + gt.SHA("f2") + "&first_parent=true"); !slices.Equal(got, shas("f2", "f1", "base")) {
		t.Errorf("from a sha: %v", got)
	}
	if got, h := get("ref_name=nope"); got != nil {
		t.Errorf("an unknown ref: %v, %v", got, h)
	}
}
