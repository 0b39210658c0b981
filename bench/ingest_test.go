package bench

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/tach-dev/tach/collectors/demo"
	"github.com/tach-dev/tach/metrics"
	"github.com/tach-dev/tach/store"
)

// ingestChanges is how many changes the ingest benchmark writes each way.
const ingestScale = 20000

// pageSize is how many changes one transaction carries: a page of the
// provider's API, as a sync commits them.
const pageSize = 100

// benchIngest writes the same changes (with their reviews) into the same
// schema twice: through the store's upserts, as a sync does, and as plain
// batched INSERTs (the store's bulk insert: multi-row statements, ids
// given), the fastest SQLite writes these rows on this machine. The ratio
// of the two rates is the figure. With TACH_BENCH_DB, the same on
// PostgreSQL: each run writes into a new schema of its own.
func benchIngest(b *testing.B, e *env) {
	ctx := context.Background()
	dir := b.TempDir()
	src, err := store.Open(ctx, filepath.Join(dir, "source.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer src.Close()
	if _, err := demo.Generate(ctx, src, demo.Options{End: metrics.WeekStart(time.Now(), time.UTC), Scale: ingestScale}); err != nil {
		b.Fatal(err)
	}
	repos, err := src.Repos(ctx)
	if err != nil {
		b.Fatal(err)
	}
	var changes []store.Change
	reviews := 0
	for _, r := range repos {
		h, err := src.RepoHistory(ctx, r.ID)
		if err != nil {
			b.Fatal(err)
		}
		for _, c := range h.Changes {
			c.FirstReviewAt, c.FirstApprovalAt, c.DeploymentID, c.DeployedAt = time.Time{}, time.Time{}, 0, time.Time{}
			changes = append(changes, c)
			reviews += len(c.Reviews)
		}
	}
	rows := len(changes) + reviews

	target := func(name string) (*store.Store, string) {
		database := e.ingestDB(b, dir, name)
		st, err := store.Open(ctx, database)
		if err != nil {
			b.Fatal(err)
		}
		err = st.Write(ctx, func(tx *store.Tx) error {
			for _, r := range repos {
				if _, _, err := tx.UpsertRepo(ctx, r); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		return st, database
	}
	pages := func(fn func(tx *store.Tx, page []store.Change) error) func(st *store.Store) {
		return func(st *store.Store) {
			for start := 0; start < len(changes); start += pageSize {
				page := changes[start:min(start+pageSize, len(changes))]
				if err := st.Write(ctx, func(tx *store.Tx) error { return fn(tx, page) }); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	plain := pages(func(tx *store.Tx, page []store.Change) error { return tx.InsertChanges(ctx, page) })
	upsertOne := pages(func(tx *store.Tx, page []store.Change) error {
		for _, c := range page {
			if _, _, err := tx.UpsertChange(ctx, c); err != nil {
				return err
			}
		}
		return nil
	})
	upsertPage := pages(func(tx *store.Tx, page []store.Change) error {
		_, err := tx.UpsertChanges(ctx, page)
		return err
	})
	timeIt := func(name string, load func(*store.Store), again bool) time.Duration {
		st, database := target(name)
		start := time.Now()
		load(st)
		took := time.Since(start)
		if again {
			// The same rows a second time: a re-sync that finds nothing
			// new, as a scheduled sync is: a run of its own (another
			// process, new connections), after PostgreSQL's autovacuum has
			// analysed the tables the load filled (it does within a minute
			// of 50 rows and a tenth of a table changing). Without those
			// statistics the planner takes repo_id for a rare value and
			// reads every change of the repo for each page.
			if err := st.Close(); err != nil {
				b.Fatal(err)
			}
			if e.pg != "" {
				analyze(b, database)
			}
			var err error
			if st, err = store.Open(ctx, database); err != nil {
				b.Fatal(err)
			}
			start = time.Now()
			load(st)
			took = time.Since(start)
		}
		if err := st.Close(); err != nil {
			b.Fatal(err)
		}
		return took
	}
	oneTx := func(st *store.Store) {
		if err := st.Write(ctx, func(tx *store.Tx) error { return tx.InsertChanges(ctx, changes) }); err != nil {
			b.Fatal(err)
		}
	}
	var tPlain, tOne, tPage, tAgain, tOneTx []time.Duration
	for i := range 3 {
		tPlain = append(tPlain, timeIt(fmt.Sprintf("plain-%d.db", i), plain, false))
		tOne = append(tOne, timeIt(fmt.Sprintf("one-%d.db", i), upsertOne, false))
		tPage = append(tPage, timeIt(fmt.Sprintf("page-%d.db", i), upsertPage, false))
		tAgain = append(tAgain, timeIt(fmt.Sprintf("again-%d.db", i), upsertPage, true))
		tOneTx = append(tOneTx, timeIt(fmt.Sprintf("onetx-%d.db", i), oneTx, false))
	}
	rate := func(d time.Duration) float64 { return float64(rows) / d.Seconds() }
	p, one, page, again := median(tPlain), median(tOne), median(tPage), median(tAgain)
	note := fmt.Sprintf("%d changes with %d reviews, %d changes a transaction, median of 3", len(changes), reviews, pageSize)
	recordNum("ingest", "plain batched INSERT, one transaction", fmt.Sprintf("%.0f rows/s", rate(median(tOneTx))), "", "", "the most "+engineName+" writes these rows on this machine",
		rate(median(tOneTx)), true)
	recordNum("ingest", "plain batched INSERT, a page a transaction (the reference)", fmt.Sprintf("%.0f rows/s", rate(p)), "", "", note, rate(p), true)
	recordNum("ingest", "store upsert, a page at a time (UpsertChanges)", fmt.Sprintf("%.0f rows/s, ratio %.2f", rate(page), p.Seconds()/page.Seconds()),
		"ratio ≥ 0.5", verdict(p.Seconds()/page.Seconds() >= 0.5), "what a sync calls for each page of changes it reads", rate(page), true)
	recordNum("ingest", "store upsert, one change at a time (UpsertChange)", fmt.Sprintf("%.0f rows/s, ratio %.2f", rate(one), p.Seconds()/one.Seconds()),
		"", "", "what a webhook delivery calls: a statement for the change and one for each review, each a round trip to a server", rate(one), true)
	recordNum("ingest", "re-sync of the same rows (nothing changed)", fmt.Sprintf("%.0f rows/s", rate(again)), "", "", "a run of its own, after the statistics are gathered: two SELECTs a page, no write", rate(again), true)
}
