package store

import (
	"errors"
	"io/fs"
	"os"
	"strings"
)

// The database holds password hashes, session hashes and everything
// synced: its files are for their owner only. SQLite creates the -wal,
// -shm and -journal files with the database file's own permissions (the
// unix VFS sets them so, whatever the umask), so creating the database
// 0600 makes them all 0600.

// privateMode is the permission of every file tach writes a database to.
const privateMode = 0o600

// createPrivate creates an empty file at path, readable and writable by
// its owner only, unless a file is there already. SQLite then opens it as
// a new database and keeps its permissions.
func createPrivate(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, privateMode)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return err
	}
	return f.Close()
}

// isFilePath reports whether a database path names a file of its own, not
// ":memory:" or a "file:" URI (whose options SQLite reads).
func isFilePath(path string) bool {
	return path != ":memory:" && !strings.HasPrefix(path, "file:") && !IsPostgres(path)
}

// ExposedFiles reports the database's files (the database, -wal, -shm)
// that others than their owner may read or write, and the database
// file's mode. A database made before tach created them 0600, or copied
// in, may be.
func (s *Store) ExposedFiles() (fs.FileMode, []string) {
	if !isFilePath(s.path) {
		return 0, nil
	}
	var mode fs.FileMode
	var exposed []string
	for i, f := range []string{s.path, s.path + "-wal", s.path + "-shm"} {
		fi, err := os.Stat(f)
		if err != nil {
			continue
		}
		if i == 0 {
			mode = fi.Mode().Perm()
		}
		if fi.Mode().Perm()&0o077 != 0 {
			exposed = append(exposed, f)
		}
	}
	return mode, exposed
}
