package store

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
)

// ChangeFile is a file a change touched: its path after the change, the
// lines it added and deleted, and for a rename the path before.
type ChangeFile struct {
	Path         string
	PreviousPath string // a rename's old path; "" otherwise
	Additions    int
	Deletions    int
}

// ChangeRef names a stored change.
type ChangeRef struct {
	ID     int64
	Number int64
}

// fileRow is one row of change_files, by path: a file, or a rename's old
// path (away).
type fileRow struct {
	path, previous string
	adds, dels     int
	away           bool
}

// fileRows turns a change's files into its rows: one per path, plus the
// old path of each rename (unless the change also touched that path
// itself: a file renamed away and another added in its place). Sorted by
// path.
func fileRows(files []ChangeFile) []fileRow {
	byPath := make(map[string]*fileRow, len(files))
	var out []*fileRow
	for _, f := range files {
		if r := byPath[f.Path]; r != nil { // listed twice: one row
			r.adds += f.Additions
			r.dels += f.Deletions
			r.previous = cmp.Or(r.previous, f.PreviousPath)
			continue
		}
		r := &fileRow{path: f.Path, previous: f.PreviousPath, adds: f.Additions, dels: f.Deletions}
		if r.previous == r.path {
			r.previous = ""
		}
		byPath[f.Path] = r
		out = append(out, r)
	}
	for _, f := range files {
		if f.PreviousPath == "" || byPath[f.PreviousPath] != nil {
			continue
		}
		r := &fileRow{path: f.PreviousPath, away: true}
		byPath[r.path] = r
		out = append(out, r)
	}
	rows := make([]fileRow, len(out))
	for i, r := range out {
		rows[i] = *r
	}
	slices.SortFunc(rows, func(a, b fileRow) int { return strings.Compare(a.path, b.path) })
	return rows
}

// ReplaceChangeFiles stores a change's files, all of them, in place of
// what was stored, and marks the change's files fetched. It writes
// nothing when the stored files are the same: Unchanged; Inserted when
// the change had no files fetched before, Updated when they differed.
func (tx *Tx) ReplaceChangeFiles(ctx context.Context, repoID, changeID int64, files []ChangeFile) (Result, error) {
	res, err := tx.ReplaceChangesFiles(ctx, []ChangeFiles{{ChangeID: changeID, RepoID: repoID, Files: files}})
	if err != nil {
		return Unchanged, err
	}
	return res[0], nil
}

// ReplaceChangesFiles is ReplaceChangeFiles for the changes of a page,
// with a handful of statements instead of several per change. The rows
// written and the results, in the order of cfs, are those of
// ReplaceChangeFiles called on each.
func (tx *Tx) ReplaceChangesFiles(ctx context.Context, cfs []ChangeFiles) ([]Result, error) {
	out := make([]Result, len(cfs))
	ids := make([]int64, len(cfs))
	seen := make(map[int64]bool, len(cfs))
	for i, cf := range cfs {
		if seen[cf.ChangeID] {
			// The same change twice: in order, one at a time.
			for j := range cfs {
				res, err := tx.ReplaceChangesFiles(ctx, cfs[j:j+1])
				if err != nil {
					return nil, err
				}
				out[j] = res[0]
			}
			return out, nil
		}
		seen[cf.ChangeID] = true
		ids[i] = cf.ChangeID
	}
	fetched, err := tx.filesFetched(ctx, ids)
	if err != nil {
		return nil, err
	}
	// A change whose files a webhook made stale still has its old rows.
	stored, err := tx.storedFileRows(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("replace files of changes: %w", err)
	}
	rows := make(map[int64][]fileRow, len(cfs))
	var written []ChangeFiles
	var replaced, marked []int64
	for i, cf := range cfs {
		f, ok := fetched[cf.ChangeID]
		if !ok || f.repo != cf.RepoID {
			return nil, fmt.Errorf("replace files of change %d: %w", cf.ChangeID, sql.ErrNoRows)
		}
		mine := fileRows(cf.Files)
		old := stored[cf.ChangeID]
		switch {
		case !f.fetched && len(old) == 0:
			out[i] = Inserted
		case slices.Equal(old, mine):
			out[i] = Unchanged
		default:
			out[i] = Updated
		}
		if !f.fetched {
			marked = append(marked, cf.ChangeID)
		}
		if out[i] == Unchanged {
			continue
		}
		if len(old) > 0 {
			replaced = append(replaced, cf.ChangeID)
		}
		rows[cf.ChangeID] = mine
		written = append(written, cf)
	}
	if err := tx.execIDs(ctx, `DELETE FROM change_files WHERE change_id IN (%s)`, replaced); err != nil {
		return nil, fmt.Errorf("replace files of changes: %w", err)
	}
	if err := tx.insertFilesByRepo(ctx, written, rows); err != nil {
		return nil, fmt.Errorf("replace files of changes: %w", err)
	}
	if err := tx.execIDs(ctx, `UPDATE changes SET files_fetched = 1 WHERE id IN (%s)`, marked); err != nil {
		return nil, fmt.Errorf("replace files of changes: %w", err)
	}
	return out, nil
}

// fetchedFlag is a change's repo and whether its files are fetched.
type fetchedFlag struct {
	repo    int64
	fetched bool
}

// filesFetched reads the repo and files_fetched of changes by id.
func (tx *Tx) filesFetched(ctx context.Context, ids []int64) (map[int64]fetchedFlag, error) {
	out := make(map[int64]fetchedFlag, len(ids))
	err := tx.queryIDs(ctx, `SELECT id, repo_id, files_fetched FROM changes WHERE id IN (%s)`, ids, func(rs *sql.Rows) error {
		var id int64
		var f fetchedFlag
		var fetched int
		if err := rs.Scan(&id, &f.repo, &fetched); err != nil {
			return err
		}
		f.fetched = fetched != 0
		out[id] = f
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("replace files of changes: %w", err)
	}
	return out, nil
}

// storedFileRows reads changes' rows, each change's sorted by path.
func (tx *Tx) storedFileRows(ctx context.Context, ids []int64) (map[int64][]fileRow, error) {
	out := map[int64][]fileRow{}
	err := tx.queryIDs(ctx, `SELECT f.change_id, p.path, COALESCE(pp.path, ''), f.additions, f.deletions, f.renamed_away
		FROM change_files f JOIN paths p ON p.id = f.path_id LEFT JOIN paths pp ON pp.id = f.previous_path_id
		WHERE f.change_id IN (%s) ORDER BY f.change_id, p.path`, ids, func(rs *sql.Rows) error {
		var id int64
		var r fileRow
		var away int
		if err := rs.Scan(&id, &r.path, &r.previous, &r.adds, &r.dels, &away); err != nil {
			return err
		}
		r.away = away != 0
		out[id] = append(out[id], r)
		return nil
	})
	return out, err
}

// idChunk is how many ids one IN (…) list of queryIDs and execIDs holds,
// under SQLite's limit of variables.
const idChunk = 500

// queryIDs runs query, whose %s takes a list of placeholders, for ids in
// chunks, and gives each row to scan.
func (tx *Tx) queryIDs(ctx context.Context, query string, ids []int64, scan func(*sql.Rows) error) error {
	for start := 0; start < len(ids); start += idChunk {
		part := ids[start:min(start+idChunk, len(ids))]
		rs, err := tx.query(ctx, fmt.Sprintf(query, placeholders(len(part))), sqlArgs(part)...)
		if err != nil {
			return err
		}
		if err := scanEach(rs, scan); err != nil {
			return err
		}
	}
	return nil
}

// execIDs runs statement, whose %s takes a list of placeholders, for ids
// in chunks.
func (tx *Tx) execIDs(ctx context.Context, statement string, ids []int64) error {
	for start := 0; start < len(ids); start += idChunk {
		part := ids[start:min(start+idChunk, len(ids))]
		if _, err := tx.exec(ctx, fmt.Sprintf(statement, placeholders(len(part))), sqlArgs(part)...); err != nil {
			return err
		}
	}
	return nil
}

// insertFilesByRepo writes the rows (by change id) of the changes cfs
// name, repo after repo in the order they first appear.
func (tx *Tx) insertFilesByRepo(ctx context.Context, cfs []ChangeFiles, rows map[int64][]fileRow) error {
	byRepo := map[int64][]int64{}
	var repos []int64
	for _, cf := range cfs {
		if _, ok := byRepo[cf.RepoID]; !ok {
			repos = append(repos, cf.RepoID)
		}
		byRepo[cf.RepoID] = append(byRepo[cf.RepoID], cf.ChangeID)
	}
	for _, repo := range repos {
		if err := tx.insertFileRows(ctx, repo, rows, byRepo[repo]); err != nil {
			return err
		}
	}
	return nil
}

// insertFileRows writes the rows of changes (in the order of ids) whose
// rows are not stored, taking their paths' ids from the repo's dictionary
// (adding the new ones).
func (tx *Tx) insertFileRows(ctx context.Context, repoID int64, byChange map[int64][]fileRow, ids []int64) error {
	var paths []string
	for _, id := range ids {
		for _, r := range byChange[id] {
			paths = append(paths, r.path)
			if r.previous != "" {
				paths = append(paths, r.previous)
			}
		}
	}
	pathIDs, err := tx.pathIDs(ctx, repoID, paths)
	if err != nil {
		return err
	}
	type ref struct {
		change int64
		row    *fileRow
	}
	var all []ref
	for _, id := range ids {
		rows := byChange[id]
		for i := range rows {
			all = append(all, ref{id, &rows[i]})
		}
	}
	return tx.insertRows(ctx, "INSERT", "change_files",
		[]string{"change_id", "path_id", "additions", "deletions", "previous_path_id", "renamed_away"}, "", len(all),
		func(i int, args []any) []any {
			r := all[i].row
			var prev any
			if r.previous != "" {
				prev = pathIDs[r.previous]
			}
			return append(args, all[i].change, pathIDs[r.path], r.adds, r.dels, prev, boolInt(r.away))
		})
}

// pathIDs returns the dictionary ids of a repo's paths, adding the paths
// it does not hold yet.
func (tx *Tx) pathIDs(ctx context.Context, repoID int64, paths []string) (map[string]int64, error) {
	slices.Sort(paths)
	paths = slices.Compact(paths)
	ids := make(map[string]int64, len(paths))
	if len(paths) == 0 {
		return ids, nil
	}
	err := tx.insertRows(ctx, "INSERT", "paths", []string{"repo_id", "path"}, " ON CONFLICT (repo_id, path) DO NOTHING", len(paths),
		func(i int, args []any) []any { return append(args, repoID, paths[i]) })
	if err != nil {
		return nil, err
	}
	const chunk = 500
	for start := 0; start < len(paths); start += chunk {
		part := paths[start:min(start+chunk, len(paths))]
		args := make([]any, 0, len(part)+1)
		args = append(args, repoID)
		for _, p := range part {
			args = append(args, p)
		}
		rs, err := tx.query(ctx, `SELECT id, path FROM paths WHERE repo_id = ? AND path IN (`+placeholders(len(part))+`)`, args...)
		if err != nil {
			return nil, err
		}
		for rs.Next() {
			var id int64
			var p string
			if err := rs.Scan(&id, &p); err != nil {
				rs.Close()
				return nil, err
			}
			ids[p] = id
		}
		rs.Close()
		if err := rs.Err(); err != nil {
			return nil, err
		}
	}
	return ids, nil
}

// ChangeFiles are the files of one change, for a bulk load.
type ChangeFiles struct {
	ChangeID, RepoID int64
	Files            []ChangeFile
}

// InsertChangeFiles stores the files of changes that have none stored (a
// bulk load's new changes) and marks their files fetched.
func (tx *Tx) InsertChangeFiles(ctx context.Context, cfs []ChangeFiles) error {
	rows := make(map[int64][]fileRow, len(cfs))
	for _, cf := range cfs {
		rows[cf.ChangeID] = fileRows(cf.Files)
	}
	if err := tx.insertFilesByRepo(ctx, cfs, rows); err != nil {
		return fmt.Errorf("insert change files: %w", err)
	}
	ids := make([]int64, len(cfs))
	for i, cf := range cfs {
		ids[i] = cf.ChangeID
	}
	if err := tx.execIDs(ctx, `UPDATE changes SET files_fetched = 1 WHERE id IN (%s)`, ids); err != nil {
		return fmt.Errorf("insert change files: %w", err)
	}
	return nil
}

// MarkChangeFilesStale marks a change's stored files as out of date (new
// commits were pushed to it), so that the next sync fetches them again.
// It reports whether the change was marked (a change not stored, or not
// fetched yet, needs nothing).
func (tx *Tx) MarkChangeFilesStale(ctx context.Context, repoID, number int64) (bool, error) {
	res, err := tx.exec(ctx, `UPDATE changes SET files_fetched = 0 WHERE repo_id = ? AND number = ? AND files_fetched = 1`, repoID, number)
	if err != nil {
		return false, fmt.Errorf("mark files of change %d stale: %w", number, err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// ChangesNeedingFiles are a repo's open and merged changes whose files are
// not stored (synced before files were collected, or made stale by a
// webhook), newest first. Closed changes that were never merged are left
// out: nothing is measured from their files.
func (s *Store) ChangesNeedingFiles(ctx context.Context, repoID int64) ([]ChangeRef, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT id, number FROM changes
		WHERE repo_id = ? AND files_fetched = 0 AND state != 'closed' ORDER BY number DESC`, repoID)
	if err != nil {
		return nil, fmt.Errorf("changes needing files: %w", err)
	}
	defer rows.Close()
	var out []ChangeRef
	for rows.Next() {
		var c ChangeRef
		if err := rows.Scan(&c.ID, &c.Number); err != nil {
			return nil, fmt.Errorf("changes needing files: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("changes needing files: %w", err)
	}
	return out, nil
}

// FilesOfChanges returns the files of the given changes, by change id,
// each change's sorted by path; a change with no files stored has none.
func (s *Store) FilesOfChanges(ctx context.Context, changeIDs []int64) (map[int64][]ChangeFile, error) {
	out := make(map[int64][]ChangeFile, len(changeIDs))
	const chunk = 500
	for start := 0; start < len(changeIDs); start += chunk {
		part := changeIDs[start:min(start+chunk, len(changeIDs))]
		rows, err := s.read.QueryContext(ctx, `SELECT f.change_id, p.path, COALESCE(pp.path, ''), f.additions, f.deletions
			FROM change_files f JOIN paths p ON p.id = f.path_id LEFT JOIN paths pp ON pp.id = f.previous_path_id
			WHERE f.change_id IN (`+placeholders(len(part))+`) AND f.renamed_away = 0 ORDER BY f.change_id, p.path`, sqlArgs(part)...)
		if err != nil {
			return nil, fmt.Errorf("load change files: %w", err)
		}
		for rows.Next() {
			var id int64
			var f ChangeFile
			if err := rows.Scan(&id, &f.Path, &f.PreviousPath, &f.Additions, &f.Deletions); err != nil {
				rows.Close()
				return nil, fmt.Errorf("load change files: %w", err)
			}
			out[id] = append(out[id], f)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("load change files: %w", err)
		}
	}
	return out, nil
}

// RepoPaths returns a repo's path dictionary: every path a stored change
// of the repo touched, by id. A module's globs are matched against it
// once; ChangesTouchingPaths then finds the module's changes.
func (s *Store) RepoPaths(ctx context.Context, repoID int64) (map[int64]string, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT id, path FROM paths WHERE repo_id = ?`, repoID)
	if err != nil {
		return nil, fmt.Errorf("load paths: %w", err)
	}
	defer rows.Close()
	out := map[int64]string{}
	for rows.Next() {
		var id int64
		var p string
		if err := rows.Scan(&id, &p); err != nil {
			return nil, fmt.Errorf("load paths: %w", err)
		}
		out[id] = p
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load paths: %w", err)
	}
	return out, nil
}

// ChangesTouchingPaths returns the ids of the changes that touched any of
// the given paths (dictionary ids) — either path of a rename — ascending.
func (s *Store) ChangesTouchingPaths(ctx context.Context, pathIDs []int64) ([]int64, error) {
	seen := map[int64]bool{}
	const chunk = 500
	for start := 0; start < len(pathIDs); start += chunk {
		part := pathIDs[start:min(start+chunk, len(pathIDs))]
		rows, err := s.read.QueryContext(ctx, `SELECT DISTINCT change_id FROM change_files WHERE path_id IN (`+placeholders(len(part))+`)`, sqlArgs(part)...)
		if err != nil {
			return nil, fmt.Errorf("changes touching paths: %w", err)
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, fmt.Errorf("changes touching paths: %w", err)
			}
			seen[id] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("changes touching paths: %w", err)
		}
	}
	out := make([]int64, 0, len(seen))
	for id := range seen {
		out = append(out, id)
	}
	slices.Sort(out)
	return out, nil
}

// ChangeLines are a change's added and deleted lines in some of its files.
type ChangeLines struct {
	Additions, Deletions int
}

// LinesInPaths returns, for each change that touched any of the given
// paths (dictionary ids; either path of a rename), its added and deleted
// lines in those paths: a module's changes with their size in it.
func (s *Store) LinesInPaths(ctx context.Context, pathIDs []int64) (map[int64]ChangeLines, error) {
	out := map[int64]ChangeLines{}
	const chunk = 500
	for start := 0; start < len(pathIDs); start += chunk {
		part := pathIDs[start:min(start+chunk, len(pathIDs))]
		rows, err := s.read.QueryContext(ctx, `SELECT change_id, SUM(additions), SUM(deletions) FROM change_files
			WHERE path_id IN (`+placeholders(len(part))+`) GROUP BY change_id`, sqlArgs(part)...)
		if err != nil {
			return nil, fmt.Errorf("lines in paths: %w", err)
		}
		for rows.Next() {
			var id int64
			var l ChangeLines
			if err := rows.Scan(&id, &l.Additions, &l.Deletions); err != nil {
				rows.Close()
				return nil, fmt.Errorf("lines in paths: %w", err)
			}
			// A change's paths may fall in several chunks.
			o := out[id]
			out[id] = ChangeLines{o.Additions + l.Additions, o.Deletions + l.Deletions}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("lines in paths: %w", err)
		}
	}
	return out, nil
}
