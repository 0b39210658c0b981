package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"
)

// Rollups (migration 0004) are a cache of the rows a report reads, per
// repo and period, packed by the metric engine: the store keeps the bytes
// and says whether they are still fresh. See 0004_rollups.sql.

// Rollup is a repo's packed facts: one blob per period that has any, and
// one for what is open.
type Rollup struct {
	Version string         // the packing and rules it was built with
	Periods map[int][]byte // period → facts
	Open    []byte
}

// BeginRollup marks a repo's rollup as being built. Call it before reading
// the rows the rollup is built from: a write to them afterwards marks it
// stale, and SaveDerivedRollup then keeps it stale.
func (s *Store) BeginRollup(ctx context.Context, repoID int64) error {
	err := s.Write(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, `INSERT INTO rollup_repos (repo_id, fresh) VALUES (?, 2)
			ON CONFLICT (repo_id) DO UPDATE SET fresh = 2`, repoID)
		return err
	})
	if err != nil {
		return fmt.Errorf("begin rollup of repo %d: %w", repoID, err)
	}
	return nil
}

// DerivedDiff is what a derive step found that differs from what the
// store holds: the rows whose derived values moved, and the links that
// came or went. Rows not in it keep their values.
type DerivedDiff struct {
	Changes     []Change     // first review or approval moved
	Deployments []Deployment // a derived value moved
	Incidents   []Incident   // attributed to another deployment, or to none
	Unlinked    []int64      // changes no longer shipped by the deployment stored (re-linked ones too)
	Linked      []Link       // changes shipped by a deployment not stored
}

// SaveDerivedRollup writes a derive step's findings for one repo as a
// difference (see DerivedDiff), in batches, and the repo's rollup, in one
// transaction. The rollup is fresh unless a row of the repo was written
// since BeginRollup.
func (s *Store) SaveDerivedRollup(ctx context.Context, repoID int64, d DerivedDiff, r Rollup) error {
	err := s.Write(ctx, func(tx *Tx) error {
		if err := tx.saveDerivedDiff(ctx, repoID, d); err != nil {
			return err
		}
		return tx.replaceRollup(ctx, repoID, r)
	})
	if err != nil {
		return fmt.Errorf("save derived values of repo %d: %w", repoID, err)
	}
	return nil
}

func (tx *Tx) saveDerivedDiff(ctx context.Context, repoID int64, d DerivedDiff) error {
	// UPDATE … FROM (the rows) AS v: a statement per bulkRows rows. Each
	// row is guarded by the repo, as SaveDerived's are.
	update := func(table, set string, width, rows int, row func(i int, args []any) []any) error {
		per := tx.d.bulkRows()
		for start := 0; start < rows; start += per {
			n := min(per, rows-start)
			args := make([]any, 0, n*width)
			for i := start; i < start+n; i++ {
				args = row(i, args)
			}
			source, sargs := tx.d.bulkSource(width, n, args)
			q := `UPDATE ` + table + ` SET ` + set + ` FROM (` + source + `) AS v WHERE ` + table + `.id = v.column1 AND ` + table + `.repo_id = ?`
			if _, err := tx.exec(ctx, q, append(sargs, repoID)...); err != nil {
				return err
			}
		}
		return nil
	}
	err := update("changes", "first_review_at = v.column2, first_approval_at = v.column3", 3, len(d.Changes), func(i int, args []any) []any {
		c := d.Changes[i]
		return append(args, c.ID, unix(c.FirstReviewAt), unix(c.FirstApprovalAt))
	})
	if err != nil {
		return err
	}
	err = update("deployments", `production = v.column2, failed_attempt = v.column3, failed = v.column4, failure_cause = v.column5,
		rollback = v.column6, rework = v.column7, recovered_at = v.column8, recovered_by = v.column9`,
		9, len(d.Deployments), func(i int, args []any) []any {
			x := d.Deployments[i]
			return append(args, x.ID, boolInt(x.Production), boolInt(x.FailedAttempt), boolInt(x.Failed), x.FailureCause, boolInt(x.Rollback),
				boolInt(x.Rework), unix(x.RecoveredAt), x.RecoveredBy)
		})
	if err != nil {
		return err
	}
	err = update("incidents", "deployment_id = v.column2", 2, len(d.Incidents), func(i int, args []any) []any {
		in := d.Incidents[i]
		var dep any
		if in.DeploymentID != 0 {
			dep = in.DeploymentID
		}
		return append(args, in.ID, dep)
	})
	if err != nil {
		return err
	}
	for start := 0; start < len(d.Unlinked); start += 500 {
		part := d.Unlinked[start:min(start+500, len(d.Unlinked))]
		if _, err := tx.exec(ctx, `DELETE FROM deployment_changes WHERE change_id IN (`+placeholders(len(part))+`)`, sqlArgs(part)...); err != nil {
			return err
		}
	}
	return tx.insertRows(ctx, "INSERT", "deployment_changes", []string{"deployment_id", "change_id"}, "", len(d.Linked), func(i int, args []any) []any {
		return append(args, d.Linked[i].DeploymentID, d.Linked[i].ChangeID)
	})
}

// periodKey is rollup_periods' key of a repo's period.
func periodKey(repoID int64, period int) int64 { return repoID<<periodBits + int64(period) }

// periodBits is how many low bits of a rollup_periods key are the period.
const periodBits = 20

// MaxPeriod is the largest period a rollup can hold (periods start at 0).
const MaxPeriod = 1<<periodBits - 1

func (tx *Tx) replaceRollup(ctx context.Context, repoID int64, r Rollup) error {
	if _, err := tx.exec(ctx, `DELETE FROM rollup_periods WHERE key BETWEEN ? AND ?`, periodKey(repoID, 0), periodKey(repoID, MaxPeriod)); err != nil {
		return err
	}
	periods := make([]int, 0, len(r.Periods))
	for p := range r.Periods {
		if p < 0 || p > MaxPeriod {
			return fmt.Errorf("rollup period %d out of range", p)
		}
		periods = append(periods, p)
	}
	slices.Sort(periods)
	err := tx.insertRows(ctx, "INSERT", "rollup_periods", []string{"key", "facts"}, "", len(periods), func(i int, args []any) []any {
		return append(args, periodKey(repoID, periods[i]), r.Periods[periods[i]])
	})
	if err != nil {
		return err
	}
	open := r.Open
	if open == nil {
		open = []byte{}
	}
	_, err = tx.exec(ctx, `INSERT INTO rollup_repos (repo_id, version, fresh, open) VALUES (?, ?, 0, ?)
		ON CONFLICT (repo_id) DO UPDATE SET version = excluded.version, open = excluded.open,
			fresh = CASE WHEN rollup_repos.fresh = 2 THEN 1 ELSE 0 END`, repoID, tx.d.versionArg(r.Version), open)
	return err
}

// markRollupStale says a repo's rollup no longer matches its rows.
func (tx *Tx) markRollupStale(ctx context.Context, repoID int64) error {
	_, err := tx.exec(ctx, `UPDATE rollup_repos SET fresh = 0 WHERE repo_id = ? AND fresh != 0`, repoID)
	return err
}

// ReadRollups reads the rollups of repoIDs from one snapshot of the
// database: fresh gets the open facts of each repo whose rollup is fresh
// and was built with version; then period gets each packed period in
// [from, to] of those repos (its bytes valid only during the call; none
// when from > to), in the order of repoIDs, then of periods.
func (s *Store) ReadRollups(ctx context.Context, repoIDs []int64, version string, from, to int,
	fresh func(open map[int64][]byte) error, period func(repoID int64, p int, facts []byte) error) error {
	from, to = max(from, 0), min(to, MaxPeriod)
	if len(repoIDs) == 0 {
		return fresh(map[int64][]byte{})
	}
	if err := s.d.readRollups(ctx, s.read, rollupRead{repoIDs, s.d.versionArg(version), from, to, fresh, period}); err != nil {
		return fmt.Errorf("read rollups: %w", err)
	}
	return nil
}

// rollupRead is what ReadRollups reads, and where it gives it.
type rollupRead struct {
	ids      []int64
	version  any
	from, to int
	fresh    func(open map[int64][]byte) error
	period   func(repoID int64, p int, facts []byte) error
}

// giveOpen gathers the rows of (repo_id, open) that next and scan read,
// ends them with done, and gives them to r.fresh.
func (r rollupRead) giveOpen(next func() bool, scan func(dest ...any) error, done func() error) (map[int64][]byte, error) {
	open := make(map[int64][]byte, len(r.ids))
	var err error
	for err == nil && next() {
		var id int64
		var b []byte
		if err = scan(&id, &b); err == nil {
			open[id] = b
		}
	}
	if derr := done(); err == nil {
		err = derr
	}
	if err == nil {
		err = r.fresh(open)
	}
	return open, err
}

// givePeriods gives r.period each row of (key, facts) that next and scan
// read of a repo in open (the fresh ones), and ends the rows with done.
func (r rollupRead) givePeriods(open map[int64][]byte, next func() bool, scan func() (int64, []byte, error), done func() error) error {
	var err error
	for err == nil && next() {
		var key int64
		var facts []byte
		if key, facts, err = scan(); err == nil {
			if _, ok := open[key>>periodBits]; ok {
				err = r.period(key>>periodBits, int(key&MaxPeriod), facts)
			}
		}
	}
	if derr := done(); err == nil {
		err = derr
	}
	return err
}

// rollupQueries are ReadRollups' two queries over a list of repos
// (d.idTable, given by d.idList): the open facts of the fresh ones, then
// the packed periods in a range of each one's keys.
func rollupQueries(d dialect) (fresh, periods string) {
	return `SELECT x.repo_id, x.open FROM ` + d.idTable() + ` JOIN rollup_repos x ON x.repo_id = j.value
			WHERE x.fresh = 1 AND x.version = ?`,
		`SELECT p.key, p.facts FROM ` + d.idTable() + `
			JOIN rollup_periods p ON p.key BETWEEN j.value * 1048576 + ? AND j.value * 1048576 + ?`
}

// readRollupsInTx is ReadRollups as two queries in a read transaction:
// the fresh repos, then their periods.
func readRollupsInTx(ctx context.Context, read *db, r rollupRead) error {
	tx, err := read.BeginTx(ctx, read.d.snapshot())
	if err != nil {
		return err
	}
	defer tx.Rollback()
	q := &snapshotTx{tx, read.d}
	freshQuery, periodsQuery := rollupQueries(read.d)
	rows, err := q.QueryContext(ctx, freshQuery, read.d.idList(r.ids), r.version)
	if err != nil {
		return err
	}
	open, err := r.giveOpen(rows.Next, rows.Scan, func() error { rows.Close(); return rows.Err() })
	if err != nil {
		return err
	}
	var ids []int64
	for _, id := range r.ids {
		if _, ok := open[id]; ok {
			ids = append(ids, id)
		}
	}
	if r.from > r.to || len(ids) == 0 {
		return nil
	}
	if rows, err = q.QueryContext(ctx, periodsQuery, read.d.idList(ids), r.from, r.to); err != nil {
		return err
	}
	var facts sql.RawBytes
	return r.givePeriods(open, rows.Next, func() (int64, []byte, error) {
		var key int64
		err := rows.Scan(&key, &facts)
		return key, facts, err
	}, func() error { rows.Close(); return rows.Err() })
}

// Generation is a number that moves whenever a rollup is built or turns
// stale: what was computed from fresh rollups stays right while it has
// not moved.
//
// Followed (WatchGeneration), it is answered from memory while the watch
// can vouch for it; else read.
func (s *Store) Generation(ctx context.Context) (int64, error) {
	w := s.gen.Load()
	if w == nil {
		return s.readGeneration(ctx)
	}
	if g, ok := w.gen.get(w); ok {
		return g, nil
	}
	return w.gen.read(func() (int64, error) { return s.readGeneration(ctx) })
}

func (s *Store) readGeneration(ctx context.Context) (int64, error) {
	var g int64
	if err := s.read.QueryRowContext(ctx, `SELECT gen FROM rollup_generation`).Scan(&g); err != nil {
		return 0, fmt.Errorf("read rollup generation: %w", err)
	}
	return g, nil
}

// CIRunTiming is what a report reads of a CI run.
type CIRunTiming struct {
	ID         int64
	RepoID     int64
	Conclusion string
	StartedAt  time.Time
	FinishedAt time.Time
}

// EachCIRunTiming calls fn with the timing of each finished CI run of a
// repo, reading only the columns a report needs, without holding them.
func (s *Store) EachCIRunTiming(ctx context.Context, repoID int64, fn func(CIRunTiming) error) error {
	rows, err := s.read.QueryContext(ctx, `SELECT id, conclusion, started_at, finished_at FROM ci_runs
		WHERE repo_id = ? AND finished_at IS NOT NULL`, repoID)
	if err != nil {
		return fmt.Errorf("read CI timings of repo %d: %w", repoID, err)
	}
	defer rows.Close()
	for rows.Next() {
		r := CIRunTiming{RepoID: repoID}
		var started, finished sql.NullInt64
		if err := rows.Scan(&r.ID, &r.Conclusion, &started, &finished); err != nil {
			return fmt.Errorf("read CI timings of repo %d: %w", repoID, err)
		}
		r.StartedAt, r.FinishedAt = fromUnix(started), fromUnix(finished)
		if err := fn(r); err != nil {
			return err
		}
	}
	return rows.Err()
}

// ChangesByID loads changes by id (with the deployment that shipped each),
// ordered by id; ids not found are left out.
func (s *Store) ChangesByID(ctx context.Context, ids []int64) ([]Change, error) {
	var out []Change
	const batch = 500
	for start := 0; start < len(ids); start += batch {
		part := ids[start:min(start+batch, len(ids))]
		cs, err := s.queryChanges(ctx, "load changes by id", "c.id IN ("+placeholders(len(part))+") ORDER BY c.id", sqlArgs(part)...)
		if err != nil {
			return nil, err
		}
		out = append(out, cs...)
	}
	return out, nil
}
