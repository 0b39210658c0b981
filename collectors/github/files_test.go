package github

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tach-dev/tach/collectors"
	"github.com/tach-dev/tach/collectors/github/githubtest"
	"github.com/tach-dev/tach/store"
	"github.com/tach-dev/tach/store/storetest"
)

// manyFiles are n files modified under dir, f001.go upwards.
func manyFiles(dir string, n int) []githubtest.File {
	out := make([]githubtest.File, n)
	for i := range out {
		out[i] = githubtest.File{Path: fmt.Sprintf("%s/f%03d.go", dir, i+1), Additions: i%7 + 1, Deletions: i % 3}
	}
	return out
}

// wantFiles are a fake pull request's files as the store should hold them.
func wantFiles(files []githubtest.File) []store.ChangeFile {
	out := make([]store.ChangeFile, len(files))
	for i, f := range files {
		out[i] = store.ChangeFile{Path: f.Path, Additions: f.Additions, Deletions: f.Deletions}
		if f.Status == "RENAMED" {
			out[i].PreviousPath = f.PreviousPath
		}
	}
	slices.SortFunc(out, func(a, b store.ChangeFile) int { return strings.Compare(a.Path, b.Path) })
	return out
}

// storedFiles are the stored files of a repo's changes, by number.
func storedFiles(t *testing.T, st *store.Store, repo string) map[int64][]store.ChangeFile {
	t.Helper()
	h := history(t, st, repo)
	ids := make([]int64, len(h.Changes))
	for i, c := range h.Changes {
		ids[i] = c.ID
	}
	byID, err := st.FilesOfChanges(bg, ids)
	if err != nil {
		t.Fatal(err)
	}
	out := map[int64][]store.ChangeFile{}
	for _, c := range h.Changes {
		if fs := byID[c.ID]; fs != nil {
			out[c.Number] = fs
		}
	}
	return out
}

// The files come with the pull requests: a page of pull requests is one
// query with their first 100 files each; the pages beyond, of every pull
// request, share follow-up queries; a pull request that renamed a file
// costs a REST page per 100 files for the old paths.
func TestSyncStoresChangedFiles(t *testing.T) {
	srv := githubtest.New(t)
	r := srv.AddRepo("acme/api")
	at := ago(20 * day)
	add := func(title string, files []githubtest.File) *githubtest.PullRequest {
		at = at.Add(time.Hour)
		pr := r.AddPR(title, githubtest.Person("ada"), at)
		if files != nil {
			pr.SetFiles(files...)
		}
		return pr
	}
	renamed := add("move refunds", []githubtest.File{
		{Path: "checkout/cart.go", Status: "MODIFIED", Additions: 10, Deletions: 2},
		{Path: "payments/refund.go", PreviousPath: "checkout/refund.go", Status: "RENAMED", Additions: 1, Deletions: 1},
		{Path: "payments/README.md", PreviousPath: "checkout/README.md", Status: "COPIED", Additions: 3},
	})
	big := add("vendor the client", manyFiles("vendor/client", 250))
	bigRenamed := manyFiles("svc", 130)
	bigRenamed[124].Status, bigRenamed[124].PreviousPath = "RENAMED", "old/f125.go" // on the second page
	open := add("rework the service", bigRenamed)
	plain := add("one file", nil) // the fake's default: one file
	closed := add("abandoned", []githubtest.File{{Path: "x.go", Status: "ADDED", Additions: 5}})
	for _, pr := range []*githubtest.PullRequest{renamed, big, plain} {
		r.Merge(pr, pr.CreatedAt.Add(2*time.Hour))
	}
	r.Close(closed, closed.CreatedAt.Add(time.Hour))

	st := storetest.New(t)
	p, _, _ := newProvider(t, srv)
	mustSync(t, st, p, repoEntry("acme/api", "merges"))
	for ep, want := range map[string]int{"graphql.pullRequests": 1, "graphql.pullRequest": 2, "pull_files": 1 + 2} {
		if got := srv.Requests(ep); got != want {
			t.Errorf("%s requests = %d, want %d (%s)", ep, got, want, srv.CountsString())
		}
	}
	got := storedFiles(t, st, "acme/api")
	for _, pr := range []*githubtest.PullRequest{renamed, big, open, closed} {
		if want := wantFiles(pr.Files); !reflect.DeepEqual(got[int64(pr.Number)], want) {
			t.Errorf("files of #%d (%s): %d stored, want %d; first differences:\n%s", pr.Number, pr.Title,
				len(got[int64(pr.Number)]), len(want), firstDiff(got[int64(pr.Number)], want))
		}
	}
	if fs := got[int64(plain.Number)]; len(fs) != 1 || fs[0].Additions != plain.Additions || fs[0].Deletions != plain.Deletions {
		t.Errorf("files of #%d = %+v, want one with the pull request's lines", plain.Number, fs)
	}
	// A module's changes are found through the path dictionary: the old
	// path of a rename is a path the change touched.
	repo, _ := st.RepoByName(bg, "acme/api")
	paths, err := st.RepoPaths(bg, repo.ID)
	if err != nil {
		t.Fatal(err)
	}
	var oldIDs []int64
	for id, path := range paths {
		if path == "checkout/refund.go" || path == "old/f125.go" {
			oldIDs = append(oldIDs, id)
		}
	}
	touching, err := st.ChangesTouchingPaths(bg, oldIDs)
	if err != nil || len(touching) != 2 {
		t.Errorf("changes touching the renamed files' old paths = %v, %v; want 2", touching, err)
	}
}

func firstDiff(got, want []store.ChangeFile) string {
	var out []string
	for i := 0; i < max(len(got), len(want)) && len(out) < 5; i++ {
		var g, w store.ChangeFile
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		if g != w {
			out = append(out, fmt.Sprintf("  got %+v\n  want %+v", g, w))
		}
	}
	return strings.Join(out, "\n")
}

// filesDump is the change_files table of a dump, without closed changes'
// (a backfill leaves them out).
func filesDump(t *testing.T, st *store.Store, closed []int) string {
	t.Helper()
	var keep []string
	for _, l := range strings.Split(dump(t, st, false), "\n") {
		if !strings.Contains(l, ".go |") {
			continue
		}
		skip := false
		for _, n := range closed {
			skip = skip || strings.HasPrefix(l, fmt.Sprintf("acme/api | %d | ", n))
		}
		if !skip {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}

// Changes synced before files were collected get them on the next sync,
// 100 pull requests a query, without a full re-sync.
func TestChangeFilesBackfill(t *testing.T) {
	srv := githubtest.New(t)
	r := srv.AddRepo("acme/api")
	var prs []*githubtest.PullRequest
	for i := range 150 {
		created := ago(60 * day).Add(time.Duration(i) * time.Hour)
		pr := r.AddPR(fmt.Sprintf("change %d", i+1), githubtest.Person("ada"), created)
		files := manyFiles(fmt.Sprintf("pkg%d", i%9), 1+i%12)
		switch pr.Number {
		case 40:
			files = manyFiles("vendor", 250) // three pages of files
		case 10, 20:
			files[0].Status, files[0].PreviousPath = "RENAMED", "legacy/"+files[0].Path
		}
		pr.SetFiles(files...)
		if pr.Number == 1 {
			r.Close(pr, created.Add(time.Hour)) // never merged: no backfill
		} else {
			r.Merge(pr, created.Add(30*time.Minute))
		}
		prs = append(prs, pr)
	}
	entry := repoEntry("acme/api", "merges")
	st := storetest.New(t)
	p, _, _ := newProvider(t, srv)
	mustSync(t, st, p, entry)
	want := filesDump(t, st, []int{1})
	if !strings.Contains(want, "legacy/pkg") {
		t.Fatalf("the first sync stored no renames:\n%.400s", want)
	}

	storetest.ForgetChangeFiles(t, st)
	srv.ResetCounts()
	sum := mustSync(t, st, p, entry)
	if got := filesDump(t, st, nil); got != want {
		t.Errorf("files after the backfill differ from a sync's:\n%s", diffLines(want, got))
	}
	// The walk reads the newest pull request again (its updated time is in
	// the watermark's overlap) with its files; the other 148 merged ones
	// are 2 queries of 100, and 2 more for the rest of #40's files; #10
	// and #20 renamed a file: a REST page each.
	for ep, n := range map[string]int{"graphql.pullRequests": 1, "graphql.pullRequest": 2 + 2, "pull_files": 2} {
		if got := srv.Requests(ep); got != n {
			t.Errorf("%s requests = %d, want %d (%s)", ep, got, n, srv.CountsString())
		}
	}
	res := repoSummary(t, sum, "acme/api").Resources[collectors.ResourceChangeFiles]
	if res == nil || res.New != 148 || res.Requests != 6 {
		t.Errorf("change_files summary = %+v, want 148 new in 6 requests", res)
	}

	// Then nothing is left to fetch.
	srv.ResetCounts()
	sum = mustSync(t, st, p, entry)
	if res := repoSummary(t, sum, "acme/api").Resources[collectors.ResourceChangeFiles]; res != nil && res.Requests != 0 {
		t.Errorf("a second sync fetched files again: %+v (%s)", res, srv.CountsString())
	}
}

// A push to a pull request (a pull_request synchronize event) makes its
// stored files stale; the next sync fetches them even when the pull
// request is not read again.
func TestWebhookPushMakesFilesStale(t *testing.T) {
	srv := githubtest.New(t)
	r := srv.AddRepo("acme/api")
	pr := r.AddPR("grow", githubtest.Person("ada"), ago(10*day))
	pr.SetFiles(githubtest.File{Path: "a.go", Additions: 3})
	other := r.AddPR("newer", githubtest.Person("bob"), ago(5*day))
	r.Merge(other, ago(5*day).Add(time.Hour))
	entry := repoEntry("acme/api", "merges")
	st := storetest.New(t)
	p, _, _ := newProvider(t, srv)
	mustSync(t, st, p, entry)

	event := func(action string) []byte {
		return edit(t, fixture(t, "pull_request.synchronize.json"), func(m map[string]any) {
			m["action"] = action
			repo := m["repository"].(map[string]any)
			repo["full_name"], repo["name"] = "acme/api", "api"
			repo["owner"].(map[string]any)["login"] = "acme"
			pull := m["pull_request"].(map[string]any)
			pull["number"], pull["id"] = pr.Number, pr.ID
			pull["created_at"], pull["updated_at"] = pr.CreatedAt.Format(time.RFC3339), pr.UpdatedAt.Format(time.RFC3339)
		})
	}
	cfg := webhookConfig(entry)
	apply(t, st, cfg, "pull_request", event("labeled"))
	repo, _ := st.RepoByName(bg, "acme/api")
	if need, _ := st.ChangesNeedingFiles(bg, repo.ID); len(need) != 0 {
		t.Fatalf("a label made files stale: %v", need)
	}
	apply(t, st, cfg, "pull_request", event("synchronize"))
	if need, _ := st.ChangesNeedingFiles(bg, repo.ID); len(need) != 1 || need[0].Number != int64(pr.Number) {
		t.Fatalf("after a push, needing files = %v, want #%d", need, pr.Number)
	}

	srv.Edit(func() {
		pr.SetFiles(githubtest.File{Path: "a.go", Additions: 3}, githubtest.File{Path: "b.go", Additions: 9})
	})
	srv.ResetCounts()
	mustSync(t, st, p, entry)
	if n := srv.Requests("graphql.pullRequest"); n != 1 {
		t.Errorf("files queries = %d, want 1 (%s)", n, srv.CountsString())
	}
	if got, want := storedFiles(t, st, "acme/api")[int64(pr.Number)], wantFiles(pr.Files); !reflect.DeepEqual(got, want) {
		t.Errorf("files after the push = %+v, want %+v", got, want)
	}
}
