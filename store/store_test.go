package store_test

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tach-dev/tach/store"
	"github.com/tach-dev/tach/store/storetest"
)

var ctx = context.Background()

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func mustRepo(t *testing.T, st *store.Store, name string) int64 {
	t.Helper()
	var id int64
	err := st.Write(ctx, func(tx *store.Tx) error {
		var err error
		id, _, err = tx.UpsertRepo(ctx, store.Repo{Provider: store.GitHub, Name: name, DefaultBranch: "main"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestOpenMigratesAndIsIdempotent(t *testing.T) {
	path := storetest.Database(t)
	st, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	v, err := st.SchemaVersion(ctx)
	if err != nil || v < 1 {
		t.Fatalf("schema version = %d, %v; want ≥ 1", v, err)
	}
	st.Close()
	// Opening again applies nothing new and keeps the version.
	st, err = store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	v2, _ := st.SchemaVersion(ctx)
	if v2 != v {
		t.Fatalf("schema version after reopen = %d, want %d", v2, v)
	}
}

func TestOpenExistingRefusesMissingFile(t *testing.T) {
	_, err := store.OpenExisting(ctx, filepath.Join(t.TempDir(), "nope.db"))
	if err == nil {
		t.Fatal("want an error for a missing database")
	}
}

// On PostgreSQL, a database is "missing" when its schema holds no tach
// tables: a wrong URL or search_path, not a new store to create.
func TestOpenExistingRefusesEmptySchema(t *testing.T) {
	base := storetest.SkipUnlessPostgres(t)
	_, err := store.OpenExisting(ctx, storetest.NewSchema(t, base))
	if err == nil || !strings.Contains(err.Error(), "holds no tach database") {
		t.Fatalf("OpenExisting of an empty schema = %v, want a refusal", err)
	}
}

func TestOpenRejectsMissingDirectory(t *testing.T) {
	_, err := store.Open(ctx, filepath.Join(t.TempDir(), "no", "such", "dir", "t.db"))
	if err == nil {
		t.Fatal("want an error for a missing directory")
	}
}

func TestUpsertChangeIsIdempotent(t *testing.T) {
	st := storetest.New(t)
	repo := mustRepo(t, st, "acme/api")
	c := store.Change{
		RepoID: repo, Number: 7, Title: "Add cache", Author: "ada", State: store.StateMerged,
		Labels: []string{"perf"}, CreatedAt: at("2026-01-05T10:00:00Z"), ReadyAt: at("2026-01-05T10:00:00Z"),
		MergedAt: at("2026-01-06T10:00:00Z"), UpdatedAt: at("2026-01-06T10:00:00Z"),
		Additions: 10, Deletions: 2, ChangedFiles: 3, SizeKnown: true, MergeSHA: "abc", BaseBranch: "main",
		Reviews: []store.Review{{ProviderID: "r1", Author: "bob", State: "approved", SubmittedAt: at("2026-01-05T12:00:00Z")}},
	}
	results := []store.Result{}
	for range 3 {
		err := st.Write(ctx, func(tx *store.Tx) error {
			_, res, err := tx.UpsertChange(ctx, c)
			results = append(results, res)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(results) == 2 {
			c.Title = "Add cache for catalog"
		}
	}
	want := []store.Result{store.Inserted, store.Unchanged, store.Updated}
	if !reflect.DeepEqual(results, want) {
		t.Fatalf("results = %v, want %v", results, want)
	}
	got, err := st.ChangeByNumber(ctx, repo, 7)
	if err != nil {
		t.Fatal(err)
	}
	if got.Title != "Add cache for catalog" || !got.SizeKnown || got.Additions != 10 || len(got.Reviews) != 1 ||
		!reflect.DeepEqual(got.Labels, []string{"perf"}) || !got.MergedAt.Equal(c.MergedAt) || !got.FirstCommitAt.IsZero() {
		t.Fatalf("stored change = %+v", got)
	}
}

func TestWriteRollsBackOnError(t *testing.T) {
	st := storetest.New(t)
	repo := mustRepo(t, st, "acme/api")
	boom := errors.New("boom")
	err := st.Write(ctx, func(tx *store.Tx) error {
		if _, _, err := tx.UpsertIncident(ctx, store.Incident{RepoID: repo, Number: 1, Title: "down", CreatedAt: at("2026-01-01T00:00:00Z"), UpdatedAt: at("2026-01-01T00:00:00Z")}); err != nil {
			return err
		}
		if err := tx.SaveSyncState(ctx, store.SyncState{RepoID: repo, Resource: "incidents", Watermark: at("2026-01-01T00:00:00Z"), RateLimitRemaining: -1}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	got, err := st.IncidentsForWindow(ctx, []int64{repo}, at("2025-01-01T00:00:00Z").Unix(), at("2027-01-01T00:00:00Z").Unix())
	if err != nil || len(got) != 0 {
		t.Fatalf("incidents after rollback = %v, %v; want none", got, err)
	}
	ss, err := st.SyncState(ctx, repo, "incidents")
	if err != nil || !ss.Watermark.IsZero() {
		t.Fatalf("watermark after rollback = %v, %v; want none", ss.Watermark, err)
	}
}

func TestDerivedValuesSurviveUpserts(t *testing.T) {
	st := storetest.New(t)
	repo := mustRepo(t, st, "acme/api")
	var depID, changeID, incID int64
	dep := store.Deployment{RepoID: repo, Source: "deployments", ProviderID: "1", Environment: "production", SHA: "abc", Status: "success",
		CreatedAt: at("2026-01-06T11:00:00Z"), FinishedAt: at("2026-01-06T11:05:00Z"), UpdatedAt: at("2026-01-06T11:05:00Z")}
	ch := store.Change{RepoID: repo, Number: 1, Title: "x", Author: "ada", State: store.StateMerged, CreatedAt: at("2026-01-05T10:00:00Z"),
		MergedAt: at("2026-01-06T10:00:00Z"), UpdatedAt: at("2026-01-06T10:00:00Z"), MergeSHA: "abc"}
	inc := store.Incident{RepoID: repo, Number: 9, Title: "down", CreatedAt: at("2026-01-06T12:00:00Z"), UpdatedAt: at("2026-01-06T12:00:00Z")}
	write := func() {
		t.Helper()
		err := st.Write(ctx, func(tx *store.Tx) error {
			var err error
			if depID, _, err = tx.UpsertDeployment(ctx, dep); err != nil {
				return err
			}
			if changeID, _, err = tx.UpsertChange(ctx, ch); err != nil {
				return err
			}
			incID, _, err = tx.UpsertIncident(ctx, inc)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	write()
	d := dep
	d.ID, d.Production, d.Failed, d.FailureCause = depID, true, true, "incident"
	in := inc
	in.ID, in.DeploymentID = incID, depID
	c := ch
	c.ID, c.FirstReviewAt = changeID, at("2026-01-05T11:00:00Z")
	if err := st.SaveDerived(ctx, repo, []store.Change{c}, []store.Deployment{d}, []store.Incident{in}, []store.Link{{depID, changeID}}); err != nil {
		t.Fatal(err)
	}
	write() // a later sync of the same rows must not erase derived values
	from, to := at("2026-01-01T00:00:00Z"), at("2026-02-01T00:00:00Z")
	deps, _ := st.DeploymentsForWindow(ctx, []int64{repo}, from.Unix(), to.Unix())
	changes, _ := st.ChangesForWindow(ctx, []int64{repo}, from.Unix(), to.Unix())
	incs, _ := st.IncidentsForWindow(ctx, []int64{repo}, from.Unix(), to.Unix())
	if len(deps) != 1 || !deps[0].Failed || !deps[0].Production || deps[0].FailureCause != "incident" {
		t.Fatalf("deployments = %+v", deps)
	}
	if len(changes) != 1 || changes[0].DeploymentID != depID || !changes[0].DeployedAt.Equal(dep.FinishedAt) || changes[0].FirstReviewAt.IsZero() {
		t.Fatalf("changes = %+v", changes)
	}
	if len(incs) != 1 || incs[0].DeploymentID != depID {
		t.Fatalf("incidents = %+v", incs)
	}
}

func TestForeignKeysAreEnforced(t *testing.T) {
	st := storetest.New(t)
	err := st.Write(ctx, func(tx *store.Tx) error {
		_, _, err := tx.UpsertChange(ctx, store.Change{RepoID: 999, Number: 1, Title: "x", Author: "a", State: "open",
			CreatedAt: at("2026-01-01T00:00:00Z"), UpdatedAt: at("2026-01-01T00:00:00Z")})
		return err
	})
	if err == nil {
		t.Fatal("want a foreign key error for a change of a repo that does not exist")
	}
}
