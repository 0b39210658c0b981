package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Backup writes a consistent copy of the database to dest while it is in
// use: VACUUM INTO reads one snapshot (WAL lets a sync keep writing
// meanwhile) into a new, compacted file. The copy is written beside dest
// under a temporary name, checked with PRAGMA integrity_check, switched to
// a rollback journal (one self-contained file), and only then given its
// name, so dest is never a half-written file. An existing dest is never
// overwritten. Like the database, the copy is readable by its owner only.
func (s *Store) Backup(ctx context.Context, dest string) error {
	if s.d.engine() == Postgres {
		return ErrBackupPostgres
	}
	if _, err := os.Lstat(dest); err == nil {
		return fmt.Errorf("backup: %s exists; choose a new file name (tach never overwrites a backup)", dest)
	}
	dir := filepath.Dir(dest)
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return fmt.Errorf("backup: directory %s does not exist", dir)
	}
	suffix := make([]byte, 6)
	if _, err := rand.Read(suffix); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	tmp := filepath.Join(dir, "."+filepath.Base(dest)+".partial-"+hex.EncodeToString(suffix))
	defer removeSQLiteFiles(tmp)

	// A connection of its own: the store's writer stays free for the sync,
	// and its readers for the web.
	// (Not query_only: SQLite counts writing the new file against it.)
	src, err := sql.Open("sqlite", dsn(s.path, false))
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer src.Close()
	// VACUUM INTO writes into an empty file as into a new one, keeping its
	// permissions: the copy is private before it holds anything.
	if err := createPrivate(tmp); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if _, err := src.ExecContext(ctx, `VACUUM INTO ?`, tmp); err != nil {
		return fmt.Errorf("backup: copy %s: %w", s.path, err)
	}
	if err := finishCopy(ctx, tmp); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	// A hard link gives the copy its name only if the name is free, where
	// a rename would replace a file made meanwhile.
	if err := os.Link(tmp, dest); err != nil {
		if _, statErr := os.Lstat(dest); statErr == nil {
			return fmt.Errorf("backup: %s exists; choose a new file name (tach never overwrites a backup)", dest)
		}
		if err := os.Rename(tmp, dest); err != nil {
			return fmt.Errorf("backup: %w", err)
		}
	}
	return nil
}

// ErrBackupPostgres is Backup's error on PostgreSQL: its backups are
// pg_dump's, which `tach backup` explains.
var ErrBackupPostgres = errors.New("backup: a PostgreSQL database is backed up with pg_dump, not by tach")

// finishCopy switches a fresh copy to a rollback journal and checks it.
func finishCopy(ctx context.Context, path string) error {
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	var mode string
	if err := db.QueryRowContext(ctx, `PRAGMA journal_mode = DELETE`).Scan(&mode); err != nil {
		return fmt.Errorf("set journal mode of the copy: %w", err)
	}
	if err := IntegrityCheck(ctx, db); err != nil {
		return fmt.Errorf("the copy failed its check: %w", err)
	}
	return nil
}

// IntegrityCheck runs PRAGMA integrity_check on db and returns nil when it
// answers ok, else an error listing the first problems it found.
func IntegrityCheck(ctx context.Context, db *sql.DB) error {
	rows, err := db.QueryContext(ctx, `PRAGMA integrity_check`)
	if err != nil {
		return fmt.Errorf("integrity check: %w", err)
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return fmt.Errorf("integrity check: %w", err)
		}
		if line != "ok" {
			problems = append(problems, line)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("integrity check: %w", err)
	}
	if len(problems) > 0 {
		if len(problems) > 5 {
			problems = append(problems[:5], "...")
		}
		return errors.New("integrity check: " + strings.Join(problems, "; "))
	}
	return nil
}

// IntegrityCheck checks the store's own file. A PostgreSQL server checks
// its own pages (data checksums, when its cluster has them): nil.
func (s *Store) IntegrityCheck(ctx context.Context) error {
	if s.d.engine() == Postgres {
		return nil
	}
	return IntegrityCheck(ctx, s.read.DB)
}

func removeSQLiteFiles(path string) {
	for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
		os.Remove(path + suffix)
	}
}
