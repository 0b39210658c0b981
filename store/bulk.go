package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// Bulk loading: rows known to be new (a generated demo, a benchmark's
// reference load) go in with a statement per dialect.bulkRows rows (a
// multi-row VALUES list on SQLite, arrays unnested on PostgreSQL), with ids
// the caller assigned (NextIDs), instead of a SELECT and an INSERT per row.
// The rows written are exactly the ones the upserts would write for the
// same values on an empty table: the same columns, the same encoding,
// derived columns left at their defaults.

// IDs are the next free row ids of the tables a bulk load writes.
type IDs struct {
	Change, Deployment, Incident, CIRun int64
}

// NextIDs returns the ids the next rows of each table will take (max + 1),
// for a bulk load that assigns them itself.
func (s *Store) NextIDs(ctx context.Context) (IDs, error) {
	var ids IDs
	for _, t := range []struct {
		table string
		id    *int64
	}{{"changes", &ids.Change}, {"deployments", &ids.Deployment}, {"incidents", &ids.Incident}, {"ci_runs", &ids.CIRun}} {
		if err := s.write.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) + 1 FROM `+t.table).Scan(t.id); err != nil {
			return ids, fmt.Errorf("next ids: %w", err)
		}
	}
	return ids, nil
}

// insertRows writes rows of width cols with one statement per bulkRows rows.
// conflict is appended to each statement (an ON CONFLICT clause, or "").
func (tx *Tx) insertRows(ctx context.Context, verb, table string, cols []string, conflict string, rows int, row func(i int, args []any) []any) error {
	head := verb + ` INTO ` + table + ` (` + strings.Join(cols, ", ") + `) `
	per := tx.d.bulkRows()
	args := make([]any, 0, min(rows, per)*len(cols))
	for start := 0; start < rows; start += per {
		n := min(per, rows-start)
		args = args[:0]
		for i := start; i < start+n; i++ {
			args = row(i, args)
		}
		source, sargs := tx.d.bulkSource(len(cols), n, args)
		if _, err := tx.exec(ctx, head+source+conflict, sargs...); err != nil {
			return fmt.Errorf("insert into %s: %w", table, err)
		}
	}
	return nil
}

// insertReturning is insertRows for an insert whose suffix returns rows
// (RETURNING …): scan reads each.
func (tx *Tx) insertReturning(ctx context.Context, table string, cols []string, suffix string, n int,
	row func(i int, args []any) []any, scan func(*sql.Rows) error) error {
	head := `INSERT INTO ` + table + ` (` + strings.Join(cols, ", ") + `) `
	per := tx.d.bulkRows()
	for start := 0; start < n; start += per {
		part := min(per, n-start)
		args := make([]any, 0, part*len(cols))
		for i := start; i < start+part; i++ {
			args = row(i, args)
		}
		source, sargs := tx.d.bulkSource(len(cols), part, args)
		rows, err := tx.query(ctx, head+source+suffix, sargs...)
		if err != nil {
			return err
		}
		if err := scanEach(rows, scan); err != nil {
			return err
		}
	}
	return nil
}

// scanEach gives each row to scan, and closes rows.
func scanEach(rows *sql.Rows, scan func(*sql.Rows) error) error {
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

var (
	bulkChangeCols = append([]string{"id", "repo_id", "number"}, changeCols...)
	bulkReviewCols = []string{"change_id", "provider_id", "author", "author_is_bot", "state", "submitted_at"}
	bulkDeployCols = append(append([]string{"id", "repo_id", "source", "provider_id"}, deploymentCols...), "range_fetched")
	bulkIncCols    = append([]string{"id", "repo_id", "number"}, incidentCols...)
	bulkCIRunCols  = append([]string{"id", "repo_id", "provider_id"}, ciRunCols...)
)

// reviewRef is review r of change c of a slice of changes.
type reviewRef struct{ c, r int }

// reviewRefs are the reviews of cs, in order.
func reviewRefs(cs []Change) []reviewRef {
	var out []reviewRef
	for i, c := range cs {
		for j := range c.Reviews {
			out = append(out, reviewRef{i, j})
		}
	}
	return out
}

// InsertChanges inserts new changes, with the ids they carry, and their
// reviews. A change that exists already is an error.
func (tx *Tx) InsertChanges(ctx context.Context, cs []Change) error {
	err := tx.insertRows(ctx, "INSERT", "changes", bulkChangeCols, "", len(cs), func(i int, args []any) []any {
		return append(append(args, cs[i].ID, cs[i].RepoID, cs[i].Number), changeVals(cs[i])...)
	})
	if err == nil && len(cs) > 0 {
		err = tx.d.explicitIDs(ctx, tx, "changes")
	}
	if err != nil {
		return err
	}
	reviews := reviewRefs(cs)
	return tx.insertRows(ctx, "INSERT", "reviews", bulkReviewCols, reviewUpsert, len(reviews), func(i int, args []any) []any {
		c := &cs[reviews[i].c]
		r := &c.Reviews[reviews[i].r]
		return append(args, c.ID, r.ProviderID, r.Author, boolInt(r.AuthorIsBot), r.State, r.SubmittedAt.Unix())
	})
}

// InsertDeployments inserts new deployments with the ids they carry.
// ranges[i], when not nil, is deployment i's commit range
// (SetDeploymentRange); ranges may be nil.
func (tx *Tx) InsertDeployments(ctx context.Context, ds []Deployment, ranges [][]string) error {
	err := tx.insertRows(ctx, "INSERT", "deployments", bulkDeployCols, "", len(ds), func(i int, args []any) []any {
		fetched := ranges != nil && ranges[i] != nil
		args = append(append(args, ds[i].ID, ds[i].RepoID, ds[i].Source, ds[i].ProviderID), deploymentVals(ds[i])...)
		return append(args, boolInt(fetched))
	})
	if err == nil && len(ds) > 0 {
		err = tx.d.explicitIDs(ctx, tx, "deployments")
	}
	if err != nil || ranges == nil {
		return err
	}
	type ref struct {
		dep int64
		sha string
	}
	var shas []ref
	for i, r := range ranges {
		for _, sha := range r {
			shas = append(shas, ref{ds[i].ID, sha})
		}
	}
	return tx.insertRows(ctx, "INSERT", "deployment_commits", []string{"deployment_id", "sha"}, " ON CONFLICT DO NOTHING", len(shas), func(i int, args []any) []any {
		return append(args, shas[i].dep, shas[i].sha)
	})
}

// InsertIncidents inserts new incidents with the ids they carry.
func (tx *Tx) InsertIncidents(ctx context.Context, ins []Incident) error {
	err := tx.insertRows(ctx, "INSERT", "incidents", bulkIncCols, "", len(ins), func(i int, args []any) []any {
		return append(append(args, ins[i].ID, ins[i].RepoID, ins[i].Number), incidentVals(ins[i])...)
	})
	if err != nil || len(ins) == 0 {
		return err
	}
	return tx.d.explicitIDs(ctx, tx, "incidents")
}

// InsertCIRuns inserts new CI runs with the ids they carry.
func (tx *Tx) InsertCIRuns(ctx context.Context, runs []CIRun) error {
	err := tx.insertRows(ctx, "INSERT", "ci_runs", bulkCIRunCols, "", len(runs), func(i int, args []any) []any {
		return append(append(args, runs[i].ID, runs[i].RepoID, runs[i].ProviderID), ciRunVals(runs[i])...)
	})
	if err != nil || len(runs) == 0 {
		return err
	}
	return tx.d.explicitIDs(ctx, tx, "ci_runs")
}

// LoadMode tunes the write connection for loading a database that is
// thrown away if the load fails (a demo written to a temporary file): no
// fsync, a larger page cache (on PostgreSQL, commits that do not wait for
// the disk). The returned function restores the defaults.
func (s *Store) LoadMode(ctx context.Context) (restore func() error, err error) {
	return s.d.loadMode(ctx, s.write.DB)
}

// Upserted is what an upsert of one row did.
type Upserted struct {
	ID     int64
	Result Result
}

// UpsertChanges is UpsertChange for a page of changes, with a handful of
// statements instead of several per change: one SELECT per repo finds the
// changes stored already (and their values, compared here), one INSERT
// per bulkRows new changes adds them, an UPDATE is issued only for a change
// whose values differ, and the reviews of the page go in multi-row upserts
// that return the changes they altered. The rows written and the results,
// in the order of cs, are exactly those of UpsertChange called on each.
func (tx *Tx) UpsertChanges(ctx context.Context, cs []Change) ([]Upserted, error) {
	out := make([]Upserted, len(cs))
	type key struct{ repo, number int64 }
	at := make(map[key]int, len(cs))
	byRepo := map[int64][]any{}
	var repos []int64
	for i, c := range cs {
		k := key{c.RepoID, c.Number}
		if _, dup := at[k]; dup {
			// The same change twice in a page: in order, one at a time.
			return tx.upsertChangesOneByOne(ctx, cs)
		}
		at[k] = i
		if _, ok := byRepo[c.RepoID]; !ok {
			repos = append(repos, c.RepoID)
		}
		byRepo[c.RepoID] = append(byRepo[c.RepoID], c.Number)
	}
	// The stored values of the page's changes.
	stored := make(map[int][]any, len(cs))
	cols := "id, " + strings.Join(changeCols, ", ")
	for _, repo := range repos {
		nums := byRepo[repo]
		for start := 0; start < len(nums); start += 500 {
			part := nums[start:min(start+500, len(nums))]
			rows, err := tx.query(ctx, `SELECT number, `+cols+` FROM changes WHERE repo_id = ? AND number IN (`+placeholders(len(part))+`)`,
				append([]any{repo}, part...)...)
			if err != nil {
				return nil, fmt.Errorf("upsert changes: %w", err)
			}
			for rows.Next() {
				vals := make([]any, len(changeCols)+2)
				ptrs := make([]any, len(vals))
				for i := range vals {
					ptrs[i] = &vals[i]
				}
				if err := rows.Scan(ptrs...); err != nil {
					rows.Close()
					return nil, fmt.Errorf("upsert changes: %w", err)
				}
				number, _ := vals[0].(int64)
				stored[at[key{repo, number}]] = vals[1:]
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return nil, fmt.Errorf("upsert changes: %w", err)
			}
		}
	}
	// Update what differs; gather what is new.
	var fresh []int
	set := make([]string, len(changeCols))
	for i, c := range changeCols {
		set[i] = c + " = ?"
	}
	update := `UPDATE changes SET ` + strings.Join(set, ", ") + ` WHERE id = ?`
	for i, c := range cs {
		old, ok := stored[i]
		if !ok {
			fresh = append(fresh, i)
			continue
		}
		id, _ := old[0].(int64)
		out[i] = Upserted{ID: id, Result: Unchanged}
		vals := tx.d.args(changeVals(c)) // as the engine stores them
		if sameValues(old[1:], vals) {
			continue
		}
		if _, err := tx.exec(ctx, update, append(vals, id)...); err != nil {
			return nil, fmt.Errorf("upsert change %d: %w", c.Number, err)
		}
		out[i].Result = Updated
	}
	// Insert the new ones, learning their ids.
	err := tx.insertReturning(ctx, "changes", append([]string{"repo_id", "number"}, changeCols...), ` RETURNING id, repo_id, number`, len(fresh),
		func(i int, args []any) []any {
			c := &cs[fresh[i]]
			return append(append(args, c.RepoID, c.Number), changeVals(*c)...)
		},
		func(rows *sql.Rows) error {
			var id, repo, number int64
			if err := rows.Scan(&id, &repo, &number); err != nil {
				return err
			}
			out[at[key{repo, number}]] = Upserted{ID: id, Result: Inserted}
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("upsert changes: %w", err)
	}
	// Reviews: a change whose reviews changed was updated. Those stored as
	// they are given are not written again: an upsert that finds its row
	// unchanged still locks it, which on PostgreSQL writes the row's page
	// (a re-sync of unchanged pages was a third of SQLite's speed there).
	kept, err := tx.storedReviews(ctx, out)
	if err != nil {
		return nil, fmt.Errorf("upsert reviews: %w", err)
	}
	var refs []reviewRef
	for _, rf := range reviewRefs(cs) {
		r := tx.storedReview(cs[rf.c].Reviews[rf.r])
		if old, ok := kept[reviewKey{out[rf.c].ID, r.ProviderID}]; !ok || !sameReview(old, r) {
			refs = append(refs, rf)
		}
	}
	byID := make(map[int64]int, len(cs))
	for i, u := range out {
		byID[u.ID] = i
	}
	err = tx.insertReturning(ctx, "reviews", bulkReviewCols, reviewUpsert+` RETURNING change_id`, len(refs),
		func(i int, args []any) []any {
			rf := refs[i]
			r := cs[rf.c].Reviews[rf.r]
			return append(args, out[rf.c].ID, r.ProviderID, r.Author, boolInt(r.AuthorIsBot), r.State, r.SubmittedAt.Unix())
		},
		func(rows *sql.Rows) error {
			var changeID int64
			if err := rows.Scan(&changeID); err != nil {
				return err
			}
			if i, ok := byID[changeID]; ok && out[i].Result == Unchanged {
				out[i].Result = Updated
			}
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("upsert reviews: %w", err)
	}
	return out, nil
}

// reviewKey names a stored review.
type reviewKey struct {
	changeID   int64
	providerID string
}

// storedReviews reads the reviews stored for the changes of a page that
// were stored already (not Inserted).
func (tx *Tx) storedReviews(ctx context.Context, page []Upserted) (map[reviewKey]Review, error) {
	var stored []Change
	for _, u := range page {
		if u.Result != Inserted {
			stored = append(stored, Change{ID: u.ID})
		}
	}
	if err := attachReviews(ctx, txQueries{tx}, stored); err != nil {
		return nil, err
	}
	out := map[reviewKey]Review{}
	for _, c := range stored {
		for _, r := range c.Reviews {
			out[reviewKey{c.ID, r.ProviderID}] = r
		}
	}
	return out, nil
}

// storedReview is r as the engine stores it (PostgreSQL: a NUL as U+FFFD).
func (tx *Tx) storedReview(r Review) Review {
	v := tx.d.args([]any{r.ProviderID, r.Author, r.State})
	r.ProviderID, r.Author, r.State = v[0].(string), v[1].(string), v[2].(string)
	return r
}

// sameReview reports whether a stored review holds what an upsert of r
// would write (reviewUpsert's comparison; times in whole seconds).
func sameReview(stored, r Review) bool {
	return stored.Author == r.Author && stored.AuthorIsBot == r.AuthorIsBot && stored.State == r.State &&
		stored.SubmittedAt.Unix() == r.SubmittedAt.Unix()
}

// txQueries lets a write transaction serve where a queryer reads.
type txQueries struct{ tx *Tx }

func (q txQueries) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return q.tx.query(ctx, query, args...)
}

func (tx *Tx) upsertChangesOneByOne(ctx context.Context, cs []Change) ([]Upserted, error) {
	out := make([]Upserted, len(cs))
	for i, c := range cs {
		id, res, err := tx.UpsertChange(ctx, c)
		if err != nil {
			return nil, err
		}
		out[i] = Upserted{id, res}
	}
	return out, nil
}

// sameValues reports whether stored column values (as the driver scans
// them) equal the values an upsert would write, as SQLite's IS compares
// them.
func sameValues(stored, vals []any) bool {
	for i, v := range vals {
		if !sameValue(stored[i], v) {
			return false
		}
	}
	return true
}

func sameValue(stored, v any) bool {
	switch x := v.(type) {
	case nil:
		return stored == nil
	case string:
		switch s := stored.(type) {
		case string:
			return s == x
		case []byte:
			return string(s) == x
		}
		return false
	case int:
		s, ok := stored.(int64)
		return ok && s == int64(x)
	case int64:
		s, ok := stored.(int64)
		return ok && s == x
	}
	return false
}
