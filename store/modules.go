package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Module is a named set of path globs inside a repo: from the config, or
// one per owner of the repo's CODEOWNERS file.
type Module struct {
	RepoID int64
	Repo   string // the repo's name, when read
	Name   string
	Paths  []string // globs from the repo's root (doublestar syntax)
	Source string   // config or codeowners
}

// ReplaceModules makes a repo's modules exactly mods (in their order).
// When the table says it already nothing is written: a write moves the
// generation and so empties the page cache.
func (tx *Tx) ReplaceModules(ctx context.Context, repoID int64, mods []Module) error {
	rows, err := tx.query(ctx, `SELECT name, paths, source FROM modules WHERE repo_id = ? ORDER BY position, name`, repoID)
	if err != nil {
		return fmt.Errorf("replace modules: %w", err)
	}
	var have []Module
	for rows.Next() {
		var m Module
		var paths string
		if err := rows.Scan(&m.Name, &paths, &m.Source); err != nil {
			rows.Close()
			return fmt.Errorf("replace modules: %w", err)
		}
		m.RepoID, m.Paths = repoID, splitLines(paths)
		have = append(have, m)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("replace modules: %w", err)
	}
	same := slices.EqualFunc(have, mods, func(a, b Module) bool {
		return a.Name == b.Name && a.Source == sourceOf(b) && slices.Equal(a.Paths, b.Paths)
	})
	if same {
		return nil
	}
	if _, err := tx.exec(ctx, `DELETE FROM modules WHERE repo_id = ?`, repoID); err != nil {
		return fmt.Errorf("replace modules: %w", err)
	}
	for i, m := range mods {
		if _, err := tx.exec(ctx, `INSERT INTO modules (repo_id, name, paths, source, position) VALUES (?, ?, ?, ?, ?)`,
			repoID, m.Name, strings.Join(m.Paths, "\n"), sourceOf(m), i); err != nil {
			return fmt.Errorf("replace modules: %s: %w", m.Name, err)
		}
	}
	return nil
}

// sourceOf is a module's source: config unless it says otherwise.
func sourceOf(m Module) string {
	if m.Source == "" {
		return "config"
	}
	return m.Source
}

// Modules lists every repo's modules, by repo name, then in their order.
func (s *Store) Modules(ctx context.Context) ([]Module, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT m.repo_id, r.name, m.name, m.paths, m.source FROM modules m
		JOIN repos r ON r.id = m.repo_id ORDER BY r.name, m.position, m.name`)
	if err != nil {
		return nil, fmt.Errorf("list modules: %w", err)
	}
	defer rows.Close()
	var out []Module
	for rows.Next() {
		var m Module
		var paths string
		if err := rows.Scan(&m.RepoID, &m.Repo, &m.Name, &paths, &m.Source); err != nil {
			return nil, fmt.Errorf("list modules: %w", err)
		}
		m.Paths = splitLines(paths)
		out = append(out, m)
	}
	return out, rows.Err()
}

// Codeowners is a repo's CODEOWNERS file as last read.
type Codeowners struct {
	Path    string
	ETag    string
	Content string
}

// CodeownersOf returns the CODEOWNERS file last read for a repo; ok is
// false when none was.
func (s *Store) CodeownersOf(ctx context.Context, repoID int64) (c Codeowners, ok bool, err error) {
	err = s.read.QueryRowContext(ctx, `SELECT path, etag, content FROM codeowners WHERE repo_id = ?`, repoID).Scan(&c.Path, &c.ETag, &c.Content)
	if errors.Is(err, sql.ErrNoRows) {
		return c, false, nil
	}
	if err != nil {
		return c, false, fmt.Errorf("read codeowners: %w", err)
	}
	return c, true, nil
}

// PutCodeowners records the CODEOWNERS file read for a repo.
func (tx *Tx) PutCodeowners(ctx context.Context, repoID int64, c Codeowners) error {
	_, err := tx.exec(ctx, `INSERT INTO codeowners (repo_id, path, etag, content) VALUES (?, ?, ?, ?)
		ON CONFLICT (repo_id) DO UPDATE SET path = excluded.path, etag = excluded.etag, content = excluded.content`,
		repoID, c.Path, c.ETag, c.Content)
	if err != nil {
		return fmt.Errorf("put codeowners: %w", err)
	}
	return nil
}

func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}
