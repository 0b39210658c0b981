package gitlab_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tach-dev/tach/collectors"
	"github.com/tach-dev/tach/collectors/gitlab"
	gt "github.com/tach-dev/tach/collectors/gitlab/gitlabtest"
	"github.com/tach-dev/tach/store"
	"github.com/tach-dev/tach/store/storetest"
)

const filesQuery = "POST /api/graphql TachMergeRequestFiles"

func filesOf(t *testing.T, st *store.Store, repo string, iid int64) []store.ChangeFile {
	t.Helper()
	c := change(t, st, repo, iid)
	m, err := st.FilesOfChanges(bg, []int64{c.ID})
	if err != nil {
		t.Fatal(err)
	}
	return m[c.ID]
}

// A merge request's files come with it: by GraphQL (diffStats: each file's
// new path and lines) or by REST's diffs, which also give a rename's old
// path.
func TestMergeRequestFiles(t *testing.T) {
	project := func() *gt.Project {
		p := billing()
		p.MergeRequests[0].SetDiffs(
			gt.FileDiff{Path: "invoices/api.go", New: true, Additions: 100},
			gt.FileDiff{Path: "invoices/store.go", OldPath: "billing/store.go", Additions: 20, Deletions: 25},
			gt.FileDiff{Path: "billing/legacy.go", Deleted: true, Deletions: 5},
		)
		return p
	}
	want := []store.ChangeFile{
		{Path: "billing/legacy.go", Deletions: 5},
		{Path: "invoices/api.go", Additions: 100},
		{Path: "invoices/store.go", PreviousPath: "billing/store.go", Additions: 20, Deletions: 25},
	}
	for _, api := range []string{"graphql", "rest"} {
		t.Run(api, func(t *testing.T) {
			h := newHarness(t)
			h.srv.AddProject(project())
			p := h.provider(func(o *gitlab.Options) { o.DisableGraphQL = api == "rest" })
			sum := h.sync(bg, p, repo("acme/platform/billing"))
			if err := repoSummary(t, sum, "acme/platform/billing").Err; err != nil {
				t.Fatal(err)
			}
			w := want
			if api == "graphql" {
				// GraphQL's DiffStats has no old path.
				w = append([]store.ChangeFile(nil), want...)
				w[2].PreviousPath = ""
			}
			if got := filesOf(t, h.st, "acme/platform/billing", 1); !reflect.DeepEqual(got, w) {
				t.Errorf("files of !1 = %+v, want %+v", got, w)
			}
			// Files of the merge requests the test left to the fake: its
			// lines spread over Files files.
			if got := filesOf(t, h.st, "acme/platform/billing", 2); len(got) != 2 || got[0].Additions+got[1].Additions != 40 {
				t.Errorf("files of !2 = %+v", got)
			}
			if n := h.srv.Requests(filesQuery); n != 0 {
				t.Errorf("a first sync asked for files apart: %d", n)
			}
		})
	}
}

// filesLines are a dump's change_files lines, without those of closed
// merge requests (a backfill leaves them out).
func filesLines(t *testing.T, st *store.Store, project *gt.Project) string {
	t.Helper()
	closed := map[string]bool{}
	for _, m := range project.MergeRequests {
		if m.State == "closed" {
			closed[fmt.Sprintf("%s | %d | ", project.Path, m.IID)] = true
		}
	}
	var out []string
	for _, l := range strings.Split(dump(t, st), "\n") {
		rest, ok := strings.CutPrefix(l, "change_files: ")
		if !ok {
			continue
		}
		skip := false
		for prefix := range closed {
			skip = skip || strings.HasPrefix(rest, prefix)
		}
		if !skip {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// Merge requests synced before files were collected get them on the next
// sync, 100 a query (by REST, a diffs request each), without a full
// re-sync.
func TestChangeFilesBackfill(t *testing.T) {
	for _, api := range []string{"graphql", "rest"} {
		t.Run(api, func(t *testing.T) {
			h := newHarness(t)
			proj := &gt.Project{Path: "acme/platform/big"}
			proj.MergeRequests = gt.GenerateMergeRequests(230, gt.GenOptions{Start: at(-40 * day), Every: 3 * time.Hour, Prefix: "big"})
			h.srv.AddProject(proj)
			entry := repoWith("acme/platform/big", "merges", "")
			p := h.provider(func(o *gitlab.Options) { o.DisableGraphQL = api == "rest" })
			if sum := h.sync(bg, p, entry); repoSummary(t, sum, entry.Name).Err != nil {
				t.Fatal(repoSummary(t, sum, entry.Name).Err)
			}
			want := filesLines(t, h.st, proj)
			open := 0
			for _, m := range proj.MergeRequests {
				if m.State != "closed" {
					open++
				}
			}

			storetest.ForgetChangeFiles(t, h.st)
			h.srv.ResetCounts()
			sum := h.sync(bg, p, entry)
			if err := repoSummary(t, sum, entry.Name).Err; err != nil {
				t.Fatal(err)
			}
			if got := filesLines(t, h.st, proj); got != want {
				t.Errorf("files after the backfill differ from a sync's:\n%s", diffLines(want, got))
			}
			// By GraphQL, the merge request walk reads the one at its
			// watermark again, with its files; by REST it sees it is
			// stored as it is and leaves it.
			res := repoSummary(t, sum, entry.Name).Resources[collectors.ResourceChangeFiles]
			need := open - 1
			wantReqs := (need + 99) / 100
			if api == "rest" {
				need = open
				wantReqs = open // a diffs request each
			}
			if res == nil || res.New != need || res.Requests != wantReqs {
				t.Errorf("change_files = %+v, want %d new in %d requests", res, need, wantReqs)
			}
			if api == "graphql" && h.srv.Requests(filesQuery) != wantReqs {
				t.Errorf("files queries = %d, want %d", h.srv.Requests(filesQuery), wantReqs)
			}

			h.srv.ResetCounts()
			sum = h.sync(bg, p, entry)
			if n := resourceRequests(sum, entry.Name, collectors.ResourceChangeFiles); n != 0 {
				t.Errorf("a second sync fetched files again: %d requests", n)
			}
		})
	}
}

// A push to a merge request (a Merge Request Hook update with oldrev)
// makes its stored files stale; the next sync fetches them.
func TestWebhookPushMakesFilesStale(t *testing.T) {
	h := newHarness(t)
	proj := &gt.Project{Path: "gitlabhq/gitlab-test"}
	mr := &gt.MergeRequest{IID: 1, Title: "grow", Author: gt.User{Username: "alice"}, CreatedAt: at(-10 * day), UpdatedAt: at(-10 * day), State: "opened"}
	mr.SetDiffs(gt.FileDiff{Path: "a.go", Additions: 3})
	newer := &gt.MergeRequest{IID: 2, Title: "newer", Author: gt.User{Username: "bob"}, CreatedAt: at(-5 * day), UpdatedAt: at(-5 * day), State: "opened"}
	proj.MergeRequests = []*gt.MergeRequest{mr, newer}
	h.srv.AddProject(proj)
	entry := repo("gitlabhq/gitlab-test")
	h.mustSync(entry)

	event := func(action, oldrev string) []byte {
		return editJSON(t, fixture(t, "merge_request.json"), func(m map[string]any) {
			oa := m["object_attributes"].(map[string]any)
			oa["action"], oa["oldrev"] = action, oldrev
			oa["created_at"], oa["updated_at"] = mr.CreatedAt.Format(time.RFC3339), mr.UpdatedAt.Format(time.RFC3339)
		})
	}
	cfg := webhookConfig(entry)
	id := mustRepoID(t, h.st, entry.Name)
	applyHook(t, h.st, cfg, "Merge Request Hook", event("update", ""))
	if need, _ := h.st.ChangesNeedingFiles(bg, id); len(need) != 0 {
		t.Fatalf("an update without a push made files stale: %v", need)
	}
	applyHook(t, h.st, cfg, "Merge Request Hook", event("update", gt.SHA("old head")))
	if need, _ := h.st.ChangesNeedingFiles(bg, id); len(need) != 1 || need[0].Number != 1 {
		t.Fatalf("after a push, needing files = %v, want !1", need)
	}

	h.srv.Edit(func() { mr.SetDiffs(gt.FileDiff{Path: "a.go", Additions: 3}, gt.FileDiff{Path: "b.go", Additions: 9}) })
	h.srv.ResetCounts()
	h.mustSync(entry)
	if n := h.srv.Requests(filesQuery); n != 1 {
		t.Errorf("files queries = %d, want 1", n)
	}
	want := []store.ChangeFile{{Path: "a.go", Additions: 3}, {Path: "b.go", Additions: 9}}
	if got := filesOf(t, h.st, entry.Name, 1); !reflect.DeepEqual(got, want) {
		t.Errorf("files after the push = %+v, want %+v", got, want)
	}
}
