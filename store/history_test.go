package store_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/tach-dev/tach/store"
	"github.com/tach-dev/tach/store/storetest"
)

// RepoHistory reads changes a page at a time: a repo of more than a few
// pages must come back whole, in number order, each change with its own
// reviews, and without another repo's changes.
func TestRepoHistoryReadsEveryPage(t *testing.T) {
	storetest.Long(t)
	st := storetest.New(t)
	repo := mustRepo(t, st, "acme/api")
	other := mustRepo(t, st, "acme/web")
	const n = 4567 // over two pages, and not a multiple of one
	start := at("2026-01-05T10:00:00Z")
	err := st.Write(ctx, func(tx *store.Tx) error {
		for i := n; i >= 1; i-- { // written out of order
			for _, r := range []int64{repo, other} {
				c := store.Change{RepoID: r, Number: int64(i), Title: fmt.Sprintf("change %d", i), Author: "ada", State: store.StateOpen,
					CreatedAt: start.Add(time.Duration(i) * time.Minute), ReadyAt: start, UpdatedAt: start}
				if r == repo && i%3 == 0 {
					c.Reviews = []store.Review{{ProviderID: fmt.Sprintf("r%d", i), Author: "bob", State: "commented", SubmittedAt: start.Add(time.Hour)}}
				}
				if _, _, err := tx.UpsertChange(ctx, c); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	h, err := st.RepoHistory(ctx, repo)
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Changes) != n {
		t.Fatalf("got %d changes, want %d", len(h.Changes), n)
	}
	for i, c := range h.Changes {
		want := int64(i + 1)
		if c.Number != want || c.RepoID != repo || c.Title != fmt.Sprintf("change %d", want) {
			t.Fatalf("change %d = #%d of repo %d %q, want #%d of repo %d", i, c.Number, c.RepoID, c.Title, want, repo)
		}
		if wantReviews := map[bool]int{true: 1, false: 0}[want%3 == 0]; len(c.Reviews) != wantReviews ||
			(wantReviews == 1 && c.Reviews[0].ProviderID != fmt.Sprintf("r%d", want)) {
			t.Fatalf("#%d has reviews %+v", want, c.Reviews)
		}
	}
	pages := 0
	if _, err := st.RepoHistoryPaged(ctx, repo, func(page []store.Change) error { pages++; return nil }); err != nil {
		t.Fatal(err)
	}
	if pages < 3 {
		t.Fatalf("%d changes came in %d pages; the paging this test means to cover did not happen", n, pages)
	}
}
