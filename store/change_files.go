package store

import (
	"cmp"
	"context"
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
	rows := fileRows(files)
	var fetched int
	if err := tx.queryRow(ctx, `SELECT files_fetched FROM changes WHERE id = ? AND repo_id = ?`, changeID, repoID).Scan(&fetched); err != nil {
		return Unchanged, fmt.Errorf("replace files of change %d: %w", changeID, err)
	}
	// A change whose files a webhook made stale still has its old rows.
	stored, err := tx.storedFileRows(ctx, changeID)
	if err != nil {
		return Unchanged, fmt.Errorf("replace files of change %d: %w", changeID, err)
	}
	res := Updated
	switch {
	case fetched == 0 && len(stored) == 0:
		res = Inserted
	case slices.Equal(stored, rows):
		res = Unchanged
	}
	if res != Unchanged {
		if len(stored) > 0 {
			if _, err := tx.exec(ctx, `DELETE FROM change_files WHERE change_id = ?`, changeID); err != nil {
				return Unchanged, fmt.Errorf("replace files of change %d: %w", changeID, err)
			}
		}
		if err := tx.insertFileRows(ctx, repoID, map[int64][]fileRow{changeID: rows}, []int64{changeID}); err != nil {
			return Unchanged, fmt.Errorf("replace files of change %d: %w", changeID, err)
		}
	}
	if fetched == 0 {
		if _, err := tx.exec(ctx, `UPDATE changes SET files_fetched = 1 WHERE id = ?`, changeID); err != nil {
			return Unchanged, fmt.Errorf("replace files of change %d: %w", changeID, err)
		}
	}
	return res, nil
}

// storedFileRows reads a change's rows, sorted by path.
func (tx *Tx) storedFileRows(ctx context.Context, changeID int64) ([]fileRow, error) {
	rs, err := tx.query(ctx, `SELECT p.path, COALESCE(pp.path, ''), f.additions, f.deletions, f.renamed_away
		FROM change_files f JOIN paths p ON p.id = f.path_id LEFT JOIN paths pp ON pp.id = f.previous_path_id
		WHERE f.change_id = ? ORDER BY p.path`, changeID)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out []fileRow
	for rs.Next() {
		var r fileRow
		var away int
		if err := rs.Scan(&r.path, &r.previous, &r.adds, &r.dels, &away); err != nil {
			return nil, err
		}
		r.away = away != 0
		out = append(out, r)
	}
	return out, rs.Err()
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
	byRepo := map[int64][]int64{}
	var repos []int64
	rows := make(map[int64][]fileRow, len(cfs))
	for _, cf := range cfs {
		if _, ok := byRepo[cf.RepoID]; !ok {
			repos = append(repos, cf.RepoID)
		}
		byRepo[cf.RepoID] = append(byRepo[cf.RepoID], cf.ChangeID)
		rows[cf.ChangeID] = fileRows(cf.Files)
	}
	for _, repo := range repos {
		if err := tx.insertFileRows(ctx, repo, rows, byRepo[repo]); err != nil {
			return fmt.Errorf("insert change files: %w", err)
		}
	}
	const chunk = 500
	for start := 0; start < len(cfs); start += chunk {
		part := cfs[start:min(start+chunk, len(cfs))]
		args := make([]any, len(part))
		for i, cf := range part {
			args[i] = cf.ChangeID
		}
		if _, err := tx.exec(ctx, `UPDATE changes SET files_fetched = 1 WHERE id IN (`+placeholders(len(part))+`)`, args...); err != nil {
			return fmt.Errorf("insert change files: %w", err)
		}
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
