package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/tach-dev/tach/store"
	"github.com/tach-dev/tach/store/storetest"
)

// write runs fn in one transaction and fails the test on error.
func write(t *testing.T, st *store.Store, fn func(tx *store.Tx) error) {
	t.Helper()
	if err := st.Write(ctx, fn); err != nil {
		t.Fatal(err)
	}
}

func TestPartialChangeKeepsWhatTheEventDoesNotKnow(t *testing.T) {
	st := storetest.New(t)
	repo := mustRepo(t, st, "acme/api")
	synced := store.Change{
		RepoID: repo, Number: 7, ProviderID: "700", Title: "Add cache", Author: "ada", State: store.StateOpen,
		CreatedAt: at("2026-01-05T10:00:00Z"), ReadyAt: at("2026-01-05T11:00:00Z"), FirstCommitAt: at("2026-01-04T09:00:00Z"),
		UpdatedAt: at("2026-01-05T12:00:00Z"), Additions: 10, Deletions: 2, ChangedFiles: 3, SizeKnown: true, BaseBranch: "main",
	}
	write(t, st, func(tx *store.Tx) error { _, _, err := tx.UpsertChange(ctx, synced); return err })

	// A merge event: no first commit, no size (a review event's pull
	// request has none), a ready time it can only guess.
	ev := synced
	ev.FirstCommitAt, ev.SizeKnown, ev.Additions, ev.Deletions, ev.ChangedFiles = time.Time{}, false, 0, 0, 0
	ev.ReadyAt = ev.CreatedAt
	ev.State, ev.MergedAt, ev.ClosedAt, ev.MergeSHA = store.StateMerged, at("2026-01-06T10:00:00Z"), at("2026-01-06T10:00:00Z"), "abc"
	ev.UpdatedAt = at("2026-01-06T10:00:00Z")
	var res store.Result
	write(t, st, func(tx *store.Tx) error {
		var err error
		_, res, err = tx.UpsertChangePartial(ctx, ev, store.KeepFirstCommit|store.KeepSize|store.KeepReady)
		return err
	})
	if res != store.Updated {
		t.Errorf("result = %v, want updated", res)
	}
	got, err := st.ChangeByNumber(ctx, repo, 7)
	if err != nil {
		t.Fatal(err)
	}
	if !got.FirstCommitAt.Equal(synced.FirstCommitAt) || !got.SizeKnown || got.Additions != 10 || got.ChangedFiles != 3 || !got.ReadyAt.Equal(synced.ReadyAt) {
		t.Errorf("known values were overwritten: %+v", got)
	}
	if got.State != store.StateMerged || !got.MergedAt.Equal(ev.MergedAt) || got.MergeSHA != "abc" || !got.UpdatedAt.Equal(ev.UpdatedAt) {
		t.Errorf("the event's values were not written: %+v", got)
	}

	// The same event again changes nothing.
	write(t, st, func(tx *store.Tx) error {
		var err error
		_, res, err = tx.UpsertChangePartial(ctx, ev, store.KeepFirstCommit|store.KeepSize|store.KeepReady)
		return err
	})
	if res != store.Unchanged {
		t.Errorf("replay result = %v, want unchanged", res)
	}

	// A late event (older than the row) rolls nothing back.
	late := synced
	late.Title, late.UpdatedAt = "Old title", at("2026-01-05T12:30:00Z")
	write(t, st, func(tx *store.Tx) error {
		var err error
		_, res, err = tx.UpsertChangePartial(ctx, late, store.KeepFirstCommit)
		return err
	})
	got, _ = st.ChangeByNumber(ctx, repo, 7)
	if res != store.Unchanged || got.Title != "Add cache" || got.State != store.StateMerged {
		t.Errorf("a late event changed the row: %v %+v", res, got)
	}
}

func TestPartialChangeFillsWhatIsMissing(t *testing.T) {
	st := storetest.New(t)
	repo := mustRepo(t, st, "acme/api")
	// First seen through an event: what it does not know stays empty.
	c := store.Change{RepoID: repo, Number: 1, Title: "x", Author: "ada", State: store.StateOpen,
		CreatedAt: at("2026-01-05T10:00:00Z"), UpdatedAt: at("2026-01-05T10:00:00Z")}
	write(t, st, func(tx *store.Tx) error {
		_, _, err := tx.UpsertChangePartial(ctx, c, store.KeepFirstCommit|store.KeepSize)
		return err
	})
	got, _ := st.ChangeByNumber(ctx, repo, 1)
	if got.SizeKnown || !got.FirstCommitAt.IsZero() {
		t.Fatalf("unknowns were invented: %+v", got)
	}
	// A later event that knows the size fills it in even though the
	// column is kept: there was no value to keep.
	c.SizeKnown, c.Additions, c.UpdatedAt = true, 5, at("2026-01-05T11:00:00Z")
	write(t, st, func(tx *store.Tx) error { _, _, err := tx.UpsertChangePartial(ctx, c, store.KeepSize); return err })
	got, _ = st.ChangeByNumber(ctx, repo, 1)
	if !got.SizeKnown || got.Additions != 5 {
		t.Errorf("size not filled: %+v", got)
	}
	// A sync writes every column, whatever a webhook wrote.
	c.FirstCommitAt, c.UpdatedAt = at("2026-01-04T00:00:00Z"), at("2026-01-05T11:00:00Z")
	write(t, st, func(tx *store.Tx) error { _, _, err := tx.UpsertChange(ctx, c); return err })
	got, _ = st.ChangeByNumber(ctx, repo, 1)
	if !got.FirstCommitAt.Equal(c.FirstCommitAt) {
		t.Errorf("sync did not write first commit: %+v", got)
	}
}

func TestPartialDeploymentKeepsItsFirstOutcome(t *testing.T) {
	st := storetest.New(t)
	repo := mustRepo(t, st, "acme/api")
	d := store.Deployment{RepoID: repo, Source: "deployments", ProviderID: "9", Environment: "production", SHA: "abc", Status: "pending",
		CreatedAt: at("2026-01-06T11:00:00Z"), UpdatedAt: at("2026-01-06T11:00:00Z")}
	up := func(d store.Deployment, keep store.DeploymentKeep) {
		t.Helper()
		write(t, st, func(tx *store.Tx) error { _, _, err := tx.UpsertDeploymentPartial(ctx, d, keep); return err })
	}
	up(d, store.KeepOutcome)
	success := d
	success.Status, success.FinishedAt, success.UpdatedAt = "success", at("2026-01-06T11:05:00Z"), at("2026-01-06T11:05:00Z")
	up(success, store.KeepOutcome)
	// GitHub marks a superseded deployment inactive later: no change of outcome.
	inactive := d
	inactive.Status, inactive.FinishedAt, inactive.UpdatedAt = "canceled", at("2026-01-07T09:00:00Z"), at("2026-01-07T09:00:00Z")
	up(inactive, store.KeepOutcome)
	got, err := st.DeploymentsForWindow(ctx, []int64{repo}, at("2026-01-01T00:00:00Z").Unix(), at("2026-02-01T00:00:00Z").Unix())
	if err != nil || len(got) != 1 {
		t.Fatalf("deployments = %v, %v", got, err)
	}
	if got[0].Status != "success" || !got[0].FinishedAt.Equal(success.FinishedAt) || !got[0].UpdatedAt.Equal(inactive.UpdatedAt) {
		t.Errorf("deployment = %+v; want the first success kept", got[0])
	}

	// Keep a stored created_at and url: an event without them leaves them.
	gl := store.Deployment{RepoID: repo, Source: "deployments", ProviderID: "10", Environment: "production", SHA: "def", Status: "success",
		URL: "https://gitlab.example.com/d/10", CreatedAt: at("2026-01-08T10:00:00Z"), FinishedAt: at("2026-01-08T10:10:00Z"), UpdatedAt: at("2026-01-08T10:10:00Z")}
	up(gl, 0)
	ev := gl
	ev.URL, ev.CreatedAt, ev.UpdatedAt = "", at("2026-01-08T10:10:00Z"), at("2026-01-08T10:10:00Z")
	up(ev, store.KeepCreatedAt|store.KeepURL)
	all, _ := st.DeploymentsForWindow(ctx, []int64{repo}, at("2026-01-01T00:00:00Z").Unix(), at("2026-02-01T00:00:00Z").Unix())
	for _, x := range all {
		if x.ProviderID == "10" && (x.URL != gl.URL || !x.CreatedAt.Equal(gl.CreatedAt)) {
			t.Errorf("kept columns overwritten: %+v", x)
		}
	}
}

func TestPartialIncidentDeleteRespectsLaterUpdates(t *testing.T) {
	st := storetest.New(t)
	repo := mustRepo(t, st, "acme/api")
	in := store.Incident{RepoID: repo, Number: 3, Title: "down", CreatedAt: at("2026-01-06T12:00:00Z"), UpdatedAt: at("2026-01-06T13:00:00Z")}
	write(t, st, func(tx *store.Tx) error { _, _, err := tx.UpsertIncidentPartial(ctx, in, false); return err })
	var deleted bool
	// An "unlabeled" from before the last update arrives late: kept.
	write(t, st, func(tx *store.Tx) error {
		var err error
		deleted, err = tx.DeleteIncidentPartial(ctx, repo, 3, at("2026-01-06T12:30:00Z"))
		return err
	})
	if deleted {
		t.Fatal("a late event deleted a newer incident")
	}
	write(t, st, func(tx *store.Tx) error {
		var err error
		deleted, err = tx.DeleteIncidentPartial(ctx, repo, 3, at("2026-01-06T14:00:00Z"))
		return err
	})
	if !deleted {
		t.Fatal("incident not deleted")
	}
}

func TestTxChangeRead(t *testing.T) {
	st := storetest.New(t)
	repo := mustRepo(t, st, "acme/api")
	write(t, st, func(tx *store.Tx) error {
		if _, err := tx.Change(ctx, repo, 1); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("missing change: %v", err)
		}
		id, _, err := tx.UpsertChange(ctx, store.Change{RepoID: repo, Number: 1, Title: "x", Author: "a", State: "open",
			CreatedAt: at("2026-01-01T00:00:00Z"), UpdatedAt: at("2026-01-01T00:00:00Z")})
		if err != nil {
			return err
		}
		c, err := tx.Change(ctx, repo, 1)
		if err != nil || c.ID != id || c.Title != "x" {
			t.Errorf("change in tx = %+v, %v", c, err)
		}
		if _, err := tx.UpsertReview(ctx, id, store.Review{ProviderID: "r", Author: "Bob", State: "commented", SubmittedAt: at("2026-01-01T01:00:00Z")}); err != nil {
			return err
		}
		has, err := tx.HasReview(ctx, id, "bob", "commented")
		if err != nil || !has {
			t.Errorf("HasReview = %v, %v", has, err)
		}
		return nil
	})
}

// A source that leaves the labels out keeps the stored ones; an incident
// is read back in the transaction by its number.
func TestPartialKeepsLabelsAndReadsIncidents(t *testing.T) {
	st := storetest.New(t)
	repo := mustRepo(t, st, "acme/api")
	c := store.Change{RepoID: repo, Number: 3, ProviderID: "300", Title: "Fix", Author: "ada", State: store.StateOpen,
		Labels: []string{"bug"}, CreatedAt: at("2026-01-05T10:00:00Z"), UpdatedAt: at("2026-01-05T10:00:00Z")}
	write(t, st, func(tx *store.Tx) error { _, _, err := tx.UpsertChange(ctx, c); return err })
	ev := c
	ev.Labels, ev.Title, ev.UpdatedAt = nil, "Fix (edited)", at("2026-01-05T11:00:00Z")
	write(t, st, func(tx *store.Tx) error { _, _, err := tx.UpsertChangePartial(ctx, ev, store.KeepLabels); return err })
	if got, _ := st.ChangeByNumber(ctx, repo, 3); got.Title != "Fix (edited)" || len(got.Labels) != 1 || got.Labels[0] != "bug" {
		t.Errorf("change = %+v, want its labels kept and its title edited", got)
	}

	in := store.Incident{RepoID: repo, Number: 9, ProviderID: "900", Title: "Down", Labels: []string{"incident"},
		CreatedAt: at("2026-01-05T10:00:00Z"), UpdatedAt: at("2026-01-05T10:00:00Z")}
	write(t, st, func(tx *store.Tx) error { _, _, err := tx.UpsertIncidentPartial(ctx, in, false); return err })
	write(t, st, func(tx *store.Tx) error {
		got, err := tx.Incident(ctx, repo, 9)
		if err != nil || got.Title != "Down" || len(got.Labels) != 1 {
			t.Errorf("incident = %+v, %v", got, err)
		}
		if _, err := tx.Incident(ctx, repo, 10); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("a missing incident: %v, want ErrNotFound", err)
		}
		return nil
	})
}
