package store_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/tach-dev/tach/store"
	"github.com/tach-dev/tach/store/storetest"
)

// A repo's history start is recorded once, at its first sync: a later
// sync (which reads back from its watermark) leaves it.
func TestInitHistoryStart(t *testing.T) {
	first := at("2026-01-05T10:00:00Z").Add(300 * time.Millisecond)
	st := storetest.New(t)
	id := mustRepo(t, st, "acme/api")
	for i, start := range []time.Time{first, first.AddDate(0, 0, 7)} {
		var set bool
		write(t, st, func(tx *store.Tx) error {
			var err error
			set, err = tx.InitHistoryStart(ctx, id, start)
			return err
		})
		if set != (i == 0) {
			t.Errorf("sync %d: recorded %v", i+1, set)
		}
	}
	// An upsert of the repo (every sync's first step) keeps it too.
	write(t, st, func(tx *store.Tx) error {
		_, _, err := tx.UpsertRepo(ctx, store.Repo{Provider: store.GitHub, Name: "acme/api", URL: "https://github.com/acme/api"})
		return err
	})
	r, err := st.RepoByName(ctx, "acme/api")
	if err != nil {
		t.Fatal(err)
	}
	if want := at("2026-01-05T10:00:01Z"); !r.HistoryStart.Equal(want) {
		t.Errorf("history start %v, want the first sync's start rounded up to the second, %v", r.HistoryStart, want)
	}
}

// Migration 0007 estimates the history start of databases synced before it
// was recorded: the day of each repo's earliest record among the lists a
// first sync reads back (changes by update, deployments, CI runs), or the
// repo's creation when its records begin within 30 days of it; a repo with
// no record has none.
func TestHistoryStartBackfill(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tach.db")
	st, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	repo := func(tx *store.Tx, name string, created time.Time) int64 {
		id, _, err := tx.UpsertRepo(ctx, store.Repo{Provider: store.GitHub, Name: name, CreatedAt: created})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	write(t, st, func(tx *store.Tx) error {
		// Synced with a history: an old pull request updated in it, a
		// deployment and a CI run.
		old := repo(tx, "acme/old", at("2019-04-01T09:00:00Z"))
		if _, _, err := tx.UpsertChange(ctx, store.Change{RepoID: old, Number: 1, ProviderID: "c1", Title: "t", Author: "a", State: "merged",
			CreatedAt: at("2024-02-01T10:00:00Z"), MergedAt: at("2024-02-02T10:00:00Z"), UpdatedAt: at("2025-09-10T15:30:00Z")}); err != nil {
			return err
		}
		if _, _, err := tx.UpsertDeployment(ctx, store.Deployment{RepoID: old, Source: "deployments", ProviderID: "d1", Environment: "production",
			Status: "success", CreatedAt: at("2025-09-12T08:00:00Z"), FinishedAt: at("2025-09-12T08:05:00Z"), UpdatedAt: at("2025-09-12T08:05:00Z")}); err != nil {
			return err
		}
		if _, _, err := tx.UpsertCIRun(ctx, store.CIRun{RepoID: old, ProviderID: "r1", Name: "ci", Conclusion: "success",
			CreatedAt: at("2025-09-11T23:59:00Z"), StartedAt: at("2025-09-11T23:59:30Z"), FinishedAt: at("2025-09-12T00:04:00Z"), UpdatedAt: at("2025-09-12T00:04:00Z")}); err != nil {
			return err
		}
		// Born after the history began: its records start with it.
		young := repo(tx, "acme/young", at("2025-10-01T09:47:00Z"))
		if _, _, err := tx.UpsertCIRun(ctx, store.CIRun{RepoID: young, ProviderID: "r2", Name: "ci", Conclusion: "success",
			CreatedAt: at("2025-10-03T10:30:00Z"), StartedAt: at("2025-10-03T10:31:00Z"), FinishedAt: at("2025-10-03T10:40:00Z"), UpdatedAt: at("2025-10-03T10:40:00Z")}); err != nil {
			return err
		}
		repo(tx, "acme/empty", time.Time{})
		return nil
	})
	st.Close()
	storetest.RemigrateHistoryStart(t, path)
	if st, err = store.Open(ctx, path); err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for name, want := range map[string]time.Time{
		"acme/old":   at("2025-09-10T00:00:00Z"), // the day of the pull request's update, not of its creation
		"acme/young": at("2025-10-01T09:47:00Z"), // its creation
		"acme/empty": {},
	} {
		r, err := st.RepoByName(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		if !r.HistoryStart.Equal(want) {
			t.Errorf("%s: history start %v, want %v", name, r.HistoryStart, want)
		}
	}
}
