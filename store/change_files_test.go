package store_test

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/tach-dev/tach/store"
	"github.com/tach-dev/tach/store/storetest"
)

// writeChange stores a change and returns its id.
func writeChange(t *testing.T, st *store.Store, repo, number int64, state string) int64 {
	t.Helper()
	var id int64
	err := st.Write(ctx, func(tx *store.Tx) error {
		c := store.Change{RepoID: repo, Number: number, Title: "c", Author: "ada", State: state,
			CreatedAt: at("2026-01-05T10:00:00Z"), UpdatedAt: at("2026-01-05T12:00:00Z")}
		if state == store.StateMerged {
			c.MergedAt = at("2026-01-05T12:00:00Z")
		}
		var err error
		id, _, err = tx.UpsertChange(ctx, c)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func replaceFiles(t *testing.T, st *store.Store, repo, change int64, files []store.ChangeFile) store.Result {
	t.Helper()
	var res store.Result
	err := st.Write(ctx, func(tx *store.Tx) error {
		var err error
		res, err = tx.ReplaceChangeFiles(ctx, repo, change, files)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func filesOf(t *testing.T, st *store.Store, change int64) []store.ChangeFile {
	t.Helper()
	m, err := st.FilesOfChanges(ctx, []int64{change})
	if err != nil {
		t.Fatal(err)
	}
	return m[change]
}

// touching returns the numbers of changes touching the paths named.
func touching(t *testing.T, st *store.Store, repo int64, paths ...string) []int64 {
	t.Helper()
	dict, err := st.RepoPaths(ctx, repo)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for id, p := range dict {
		if slices.Contains(paths, p) {
			ids = append(ids, id)
		}
	}
	got, err := st.ChangesTouchingPaths(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestChangeFilesReplacedWholesale(t *testing.T) {
	st := storetest.New(t)
	repo := mustRepo(t, st, "acme/api")
	other := mustRepo(t, st, "acme/web")
	c1 := writeChange(t, st, repo, 1, store.StateMerged)
	c2 := writeChange(t, st, repo, 2, store.StateMerged)
	c3 := writeChange(t, st, other, 1, store.StateMerged)

	files := []store.ChangeFile{
		{Path: "payments/charge.go", Additions: 10, Deletions: 2},
		{Path: "payments/refund.go", PreviousPath: "checkout/refund.go", Additions: 3, Deletions: 1},
	}
	if res := replaceFiles(t, st, repo, c1, files); res != store.Inserted {
		t.Errorf("first fetch: %v, want inserted", res)
	}
	if got := filesOf(t, st, c1); !reflect.DeepEqual(got, files) {
		t.Errorf("files = %+v, want %+v", got, files)
	}
	// The same files again write nothing.
	if res := replaceFiles(t, st, repo, c1, slices.Clone(files)); res != store.Unchanged {
		t.Errorf("same files: %v, want unchanged", res)
	}
	replaceFiles(t, st, repo, c2, []store.ChangeFile{{Path: "checkout/cart.go", Additions: 1}})
	replaceFiles(t, st, other, c3, []store.ChangeFile{{Path: "payments/charge.go", Additions: 1}})

	// A rename touches both its paths; paths are per repo.
	if got := touching(t, st, repo, "checkout/refund.go"); !reflect.DeepEqual(got, []int64{c1}) {
		t.Errorf("changes touching the old path = %v, want [%d]", got, c1)
	}
	if got := touching(t, st, repo, "payments/charge.go", "checkout/cart.go"); !reflect.DeepEqual(got, []int64{c1, c2}) {
		t.Errorf("changes touching = %v, want [%d %d]", got, c1, c2)
	}

	// New commits: the files are replaced, not added to.
	newer := []store.ChangeFile{{Path: "payments/charge.go", Additions: 12, Deletions: 2}}
	if res := replaceFiles(t, st, repo, c1, newer); res != store.Updated {
		t.Errorf("other files: %v, want updated", res)
	}
	if got := filesOf(t, st, c1); !reflect.DeepEqual(got, newer) {
		t.Errorf("files after replacing = %+v, want %+v", got, newer)
	}
	if got := touching(t, st, repo, "checkout/refund.go", "payments/refund.go"); len(got) != 0 {
		t.Errorf("changes touching the renamed file after replacing = %v, want none", got)
	}

}

// A file renamed away and another added at its old path: both rows are
// kept, the added file with its lines.
func TestChangeFilesRenameOverAddedPath(t *testing.T) {
	st := storetest.New(t)
	repo := mustRepo(t, st, "acme/api")
	c := writeChange(t, st, repo, 1, store.StateMerged)
	files := []store.ChangeFile{
		{Path: "api/v1.go", Additions: 40},
		{Path: "api/v1_legacy.go", PreviousPath: "api/v1.go", Additions: 1, Deletions: 1},
	}
	replaceFiles(t, st, repo, c, files)
	if got := filesOf(t, st, c); !reflect.DeepEqual(got, files) {
		t.Errorf("files = %+v, want %+v", got, files)
	}
}

func TestChangesNeedingFiles(t *testing.T) {
	st := storetest.New(t)
	repo := mustRepo(t, st, "acme/api")
	merged := writeChange(t, st, repo, 1, store.StateMerged)
	open := writeChange(t, st, repo, 2, store.StateOpen)
	writeChange(t, st, repo, 3, store.StateClosed) // never merged: not needed
	needing := func() []store.ChangeRef {
		t.Helper()
		got, err := st.ChangesNeedingFiles(ctx, repo)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got, want := needing(), []store.ChangeRef{{ID: open, Number: 2}, {ID: merged, Number: 1}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("needing files = %v, want %v", got, want)
	}
	// A change with no files at all is fetched too.
	if res := replaceFiles(t, st, repo, merged, nil); res != store.Inserted {
		t.Errorf("no files: %v, want inserted", res)
	}
	files := []store.ChangeFile{{Path: "a.go", Additions: 1}}
	replaceFiles(t, st, repo, open, files)
	if got := needing(); len(got) != 0 {
		t.Fatalf("needing files after fetching = %v, want none", got)
	}
	// A webhook says new commits were pushed: needed again, and the next
	// fetch of the same files marks them fetched without writing them.
	var marked bool
	err := st.Write(ctx, func(tx *store.Tx) error {
		var err error
		marked, err = tx.MarkChangeFilesStale(ctx, repo, 2)
		return err
	})
	if err != nil || !marked {
		t.Fatalf("mark stale: %v, %v", marked, err)
	}
	if got, want := needing(), []store.ChangeRef{{ID: open, Number: 2}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("needing files after a push = %v, want %v", got, want)
	}
	if res := replaceFiles(t, st, repo, open, files); res != store.Unchanged {
		t.Errorf("same files after a push: %v, want unchanged", res)
	}
	if got := needing(); len(got) != 0 {
		t.Fatalf("needing files after fetching again = %v, want none", got)
	}
}

// A bulk load stores what one replace per change would.
func TestInsertChangeFilesIsReplace(t *testing.T) {
	files := [][]store.ChangeFile{
		{{Path: "a.go", Additions: 3}, {Path: "b.go", PreviousPath: "old/b.go", Deletions: 2}},
		{{Path: "a.go", Additions: 1, Deletions: 1}},
		nil,
	}
	load := func(bulk bool) *store.Store {
		st := storetest.New(t)
		repo := mustRepo(t, st, "acme/api")
		var cfs []store.ChangeFiles
		for i, fs := range files {
			id := writeChange(t, st, repo, int64(i+1), store.StateMerged)
			if !bulk {
				replaceFiles(t, st, repo, id, fs)
			}
			cfs = append(cfs, store.ChangeFiles{ChangeID: id, RepoID: repo, Files: fs})
		}
		if bulk {
			if err := st.Write(ctx, func(tx *store.Tx) error { return tx.InsertChangeFiles(ctx, cfs) }); err != nil {
				t.Fatal(err)
			}
		}
		return st
	}
	bulk, one := load(true), load(false)
	if a, b := storetest.Dump(t, bulk.Path()), storetest.Dump(t, one.Path()); a != b {
		t.Errorf("bulk load differs from replaces:\n%s", storetest.Diff(b, a))
	}
}

// A page's files are written at once, each change's result and rows as
// ReplaceChangeFiles says, round after round of new, unchanged, changed
// and stale files, in two repos.
func TestReplaceChangesFiles(t *testing.T) {
	I, U, N := store.Inserted, store.Updated, store.Unchanged
	rounds := []struct {
		stale bool // a push marked every change's files stale first
		files [][]store.ChangeFile
		want  []store.Result
	}{
		{files: [][]store.ChangeFile{
			{{Path: "a.go", Additions: 3}, {Path: "b.go", PreviousPath: "old/b.go", Deletions: 2}},
			{{Path: "a.go", Additions: 1, Deletions: 1}},
			nil,
			{{Path: "c.go"}},
		}, want: []store.Result{I, I, I, I}},
		{files: [][]store.ChangeFile{
			{{Path: "b.go", PreviousPath: "old/b.go", Deletions: 2}, {Path: "a.go", Additions: 3}}, // listed in another order
			{{Path: "a.go", Additions: 2, Deletions: 1}},                                           // as many rows, one changed
			nil,
			nil, // emptied
		}, want: []store.Result{N, U, N, U}},
		{stale: true, files: [][]store.ChangeFile{
			{{Path: "a.go", Additions: 3}, {Path: "b.go", PreviousPath: "old/b.go", Deletions: 2}},
			{{Path: "d.go", PreviousPath: "a.go"}, {Path: "a.go"}},
			{{Path: "e.go", Additions: 9}},
			nil,
		}, want: []store.Result{N, U, I, I}},
	}
	st := storetest.New(t)
	repos := []int64{mustRepo(t, st, "acme/api"), mustRepo(t, st, "acme/web")}
	var ids []int64
	for i := range rounds[0].files {
		ids = append(ids, writeChange(t, st, repos[i%2], int64(i+1), store.StateMerged))
	}
	for round, r := range rounds {
		if r.stale {
			for i := range ids {
				if err := st.Write(ctx, func(tx *store.Tx) error {
					_, err := tx.MarkChangeFilesStale(ctx, repos[i%2], int64(i+1))
					return err
				}); err != nil {
					t.Fatal(err)
				}
			}
		}
		var cfs []store.ChangeFiles
		for i, fs := range r.files {
			cfs = append(cfs, store.ChangeFiles{ChangeID: ids[i], RepoID: repos[i%2], Files: fs})
		}
		var got []store.Result
		err := st.Write(ctx, func(tx *store.Tx) error {
			var err error
			got, err = tx.ReplaceChangesFiles(ctx, cfs)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, r.want) {
			t.Errorf("round %d: results %v, want %v", round, got, r.want)
		}
		for i, fs := range r.files {
			if got, want := filesOf(t, st, ids[i]), sortedFiles(fs); !reflect.DeepEqual(got, want) {
				t.Errorf("round %d, change %d: files %+v, want %+v", round, i+1, got, want)
			}
		}
		for _, repo := range repos {
			if refs, err := st.ChangesNeedingFiles(ctx, repo); err != nil || len(refs) > 0 {
				t.Errorf("round %d: changes still needing files: %v, %v", round, refs, err)
			}
		}
	}
	// A change of another repo is refused.
	err := st.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.ReplaceChangesFiles(ctx, []store.ChangeFiles{{ChangeID: ids[0], RepoID: repos[1]}})
		return err
	})
	if err == nil {
		t.Fatal("files of a change written under another repo")
	}
}

// sortedFiles are files as FilesOfChanges gives them back: by path.
func sortedFiles(fs []store.ChangeFile) []store.ChangeFile {
	out := slices.Clone(fs)
	slices.SortFunc(out, func(a, b store.ChangeFile) int { return strings.Compare(a.Path, b.Path) })
	return out
}
