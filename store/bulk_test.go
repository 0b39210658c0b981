package store_test

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/tach-dev/tach/store"
	"github.com/tach-dev/tach/store/storetest"
)

// pageOfChanges is a page of changes of two repos: some new, some stored
// as they are, some changed (a column, or only a review).
func pageOfChanges(repos []int64, round int) []store.Change {
	var out []store.Change
	base := at("2026-01-05T10:00:00Z")
	for i := range 150 {
		c := store.Change{
			RepoID: repos[i%2], Number: int64(i/2 + 1), Title: fmt.Sprintf("change %d", i), Author: "ada", State: store.StateOpen,
			Labels: []string{"perf"}, CreatedAt: base.Add(time.Duration(i) * time.Hour), UpdatedAt: base.Add(time.Duration(i) * time.Hour),
		}
		if i%3 == 0 {
			c.Additions, c.Deletions, c.SizeKnown = i, 1, true
		}
		if i%4 == 0 {
			c.Reviews = []store.Review{{ProviderID: fmt.Sprint("r", i), Author: "bob", State: "commented", SubmittedAt: c.CreatedAt.Add(time.Hour)}}
		}
		if round > 0 {
			switch i % 5 {
			case 1:
				c.Title += " (edited)"
			case 2:
				if len(c.Reviews) > 0 {
					c.Reviews[0].State = "approved"
				} else {
					c.Reviews = []store.Review{{ProviderID: fmt.Sprint("late", i), Author: "eve", State: "approved", SubmittedAt: c.CreatedAt.Add(2 * time.Hour)}}
				}
			case 3:
				c.SizeKnown = !c.SizeKnown
			}
		}
		if round > 0 && i >= 140 {
			c.Number += 1000 // new in the second round
		}
		out = append(out, c)
	}
	return out
}

// TestUpsertChangesIsUpsertChange checks that a page upserted at once
// writes the rows, and reports the results, that upserting each change in
// turn does.
func TestUpsertChangesIsUpsertChange(t *testing.T) {
	one, page := storetest.New(t), storetest.New(t)
	repos := func(st *store.Store) []int64 {
		return []int64{mustRepo(t, st, "acme/api"), mustRepo(t, st, "acme/web")}
	}
	r1, r2 := repos(one), repos(page)
	for round := range 3 {
		var want, got []store.Upserted
		err := one.Write(ctx, func(tx *store.Tx) error {
			for _, c := range pageOfChanges(r1, min(round, 1)) {
				id, res, err := tx.UpsertChange(ctx, c)
				if err != nil {
					return err
				}
				want = append(want, store.Upserted{ID: id, Result: res})
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		err = page.Write(ctx, func(tx *store.Tx) error {
			var err error
			got, err = tx.UpsertChanges(ctx, pageOfChanges(r2, min(round, 1)))
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("round %d: results differ:\n got %v\nwant %v", round, got, want)
		}
		if a, b := storetest.Dump(t, one.Path()), storetest.Dump(t, page.Path()); a != b {
			t.Fatalf("round %d: rows differ:\n%s", round, storetest.Diff(a, b))
		}
	}
	// A change twice in one page is upserted in order.
	dup := pageOfChanges(r2, 1)[:3]
	dup = append(dup, dup[0])
	dup[3].Title = "last one wins"
	err := page.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.UpsertChanges(ctx, dup)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	c, err := page.ChangeByNumber(ctx, r2[0], dup[0].Number)
	if err != nil || c.Title != "last one wins" {
		t.Fatalf("duplicate: %+v, %v", c.Title, err)
	}
}

// A NUL in a provider's text is kept by SQLite and stored as U+FFFD by
// PostgreSQL (whose text holds none), on the bulk paths as on the
// one-row ones, and a page written again with it is unchanged.
func TestNULInBulkWrites(t *testing.T) {
	st := storetest.New(t)
	repo := mustRepo(t, st, "acme/api")
	base := at("2026-01-05T10:00:00Z")
	mk := func(n int64, title string) store.Change {
		return store.Change{RepoID: repo, Number: n, Title: title, Author: "a\x00da", State: store.StateOpen, CreatedAt: base, UpdatedAt: base,
			Reviews: []store.Review{{ProviderID: "r\x00", Author: "bob", State: "commented", SubmittedAt: base}}}
	}
	page := []store.Change{mk(1, "fix \x00 this"), mk(2, "plain")}
	write := func() []store.Upserted {
		var ups []store.Upserted
		if err := st.Write(ctx, func(tx *store.Tx) error {
			var err error
			ups, err = tx.UpsertChanges(ctx, page)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return ups
	}
	write()
	nul := "\x00"
	if st.Engine() == store.Postgres {
		nul = "\uFFFD"
	}
	c, err := st.ChangeByNumber(ctx, repo, 1)
	if err != nil {
		t.Fatal(err)
	}
	if c.Title != "fix "+nul+" this" || c.Author != "a"+nul+"da" || len(c.Reviews) != 1 || c.Reviews[0].ProviderID != "r"+nul {
		t.Errorf("read back %+q by %+q, reviews %+q", c.Title, c.Author, c.Reviews[0].ProviderID)
	}
	if st.Engine() == store.SQLite {
		return // the rest is of PostgreSQL's replacement
	}
	for i, u := range write() {
		if u.Result != store.Inserted && u.Result != store.Unchanged {
			t.Errorf("change %d written again: %v", i+1, u.Result)
		}
	}
}
