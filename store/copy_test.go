package store_test

import (
	"errors"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tach-dev/tach/collectors/demo"
	"github.com/tach-dev/tach/metrics"
	"github.com/tach-dev/tach/metrics/engine"
	"github.com/tach-dev/tach/store"
	"github.com/tach-dev/tach/store/storetest"
)

// demoStore is the demo organisation, derived (rollups and all), in a
// fresh database of the engine under test.
func demoStore(t *testing.T) *store.Store {
	t.Helper()
	st := storetest.New(t)
	if _, err := demo.Generate(ctx, st, demo.Options{End: time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)}); err != nil {
		t.Fatal(err)
	}
	rules := map[string]metrics.RepoRules{}
	for name, s := range demo.RepoSettings() {
		rules[name] = metrics.RepoRules{Source: s.Source, Link: s.Link, Environments: regexp.MustCompile(metrics.DefaultProductionEnvironments)}
	}
	if err := engine.NewDeriver(st, metrics.DefaultRules(), rules).Derive(ctx); err != nil {
		t.Fatal(err)
	}
	return st
}

// A copy holds every row the source holds, ids included, and says so
// table by table; a copy of the copy back into the first engine is the
// source again. Run with TACH_TEST_POSTGRES, it copies PostgreSQL into
// SQLite and back.
func TestCopyRoundTrip(t *testing.T) {
	storetest.Long(t)
	src := demoStore(t)
	mid, err := store.Open(ctx, filepath.Join(t.TempDir(), "copy.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer mid.Close()
	var seen []string
	tables, err := src.CopyTo(ctx, mid, store.CopyOptions{Progress: func(tc store.TableCopy) { seen = append(seen, tc.Table) }})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != len(tables) || len(tables) < 20 {
		t.Fatalf("copied %d tables, told of %d", len(tables), len(seen))
	}
	byTable := map[string]store.TableCopy{}
	for _, tc := range tables {
		byTable[tc.Table] = tc
	}
	if byTable["changes"].Rows < 2000 || byTable["rollup_periods"].Rows == 0 || byTable["reviews"].Rows == 0 {
		t.Fatalf("copied %+v", tables)
	}
	back := storetest.New(t)
	again, err := mid.CopyTo(ctx, back, store.CopyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range again {
		if w := byTable[tc.Table]; w.Rows != tc.Rows || w.Checksum != tc.Checksum {
			t.Errorf("%s: %d rows (%s) after the round trip, %d (%s) before", tc.Table, tc.Rows, tc.Checksum, w.Rows, w.Checksum)
		}
	}
	if a, b := storetest.Dump(t, src.Path()), storetest.Dump(t, back.Path()); a != b {
		t.Errorf("the round trip changed rows:\n%s", storetest.Diff(a, b))
	}
	// On PostgreSQL the copy sets each table's foreign keys aside for its
	// COPY and adds them back: every one is there again, and checked.
	if db := storetest.Raw(t, back.Path()); db.IsPostgres() {
		keys := func(path string) []string {
			return storetest.Raw(t, path).Strings(t, `SELECT t.relname || '.' || c.conname || ' ' || pg_get_constraintdef(c.oid) || ' validated=' || c.convalidated
				FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace
				WHERE c.contype = 'f' AND n.nspname = current_schema() ORDER BY 1`)
		}
		before, after := keys(src.Path()), keys(back.Path())
		if len(before) < 10 || strings.Join(before, "\n") != strings.Join(after, "\n") {
			t.Errorf("foreign keys after the copy:\n%s\nbefore:\n%s", strings.Join(after, "\n"), strings.Join(before, "\n"))
		}
	}
	// The copy's rollups are fresh: a report reads them, as the source's.
	var fresh int
	db := storetest.Raw(t, back.Path())
	if err := db.QueryRow(`SELECT COUNT(*) FROM rollup_repos WHERE fresh = 1`).Scan(&fresh); err != nil || fresh == 0 {
		t.Errorf("fresh rollups after the copy: %d, %v", fresh, err)
	}
	// New rows take ids after the copied ones.
	err = back.Write(ctx, func(tx *store.Tx) error {
		_, _, err := tx.UpsertRepo(ctx, store.Repo{Provider: store.GitHub, Name: "acme/after-the-copy"})
		return err
	})
	if err != nil {
		t.Fatalf("a new repo after the copy: %v", err)
	}
}

// A target that holds data is refused, unless told to replace it.
func TestCopyRefusesNonEmptyTarget(t *testing.T) {
	storetest.Long(t)
	src := demoStore(t)
	dst := storetest.New(t)
	mustRepo(t, dst, "acme/already-here")
	g0, _ := dst.Generation(ctx)
	if _, err := src.CopyTo(ctx, dst, store.CopyOptions{}); !errors.Is(err, store.ErrTargetNotEmpty) {
		t.Fatalf("copy into a database with a repo: %v, want ErrTargetNotEmpty", err)
	}
	if repos, _ := dst.Repos(ctx); len(repos) != 1 {
		t.Fatalf("the refused copy wrote: %d repos", len(repos))
	}
	if _, err := src.CopyTo(ctx, dst, store.CopyOptions{Replace: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := dst.RepoByName(ctx, "acme/already-here"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("--replace kept a row of the target: %v", err)
	}
	if g, _ := dst.Generation(ctx); g == g0 {
		t.Error("the copy left the target's generation where it was: a replica's cache would not see it")
	}
}
