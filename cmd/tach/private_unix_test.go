//go:build unix

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tach-dev/tach/collectors/github/githubtest"
	"github.com/tach-dev/tach/store/storetest"
)

// TestCommandsWritePrivateFiles: tach migrate, tach demo, tach sync and
// tach backup make the database (and its -wal and -shm) and the backup
// readable by their owner only: they hold password and session hashes.
func TestCommandsWritePrivateFiles(t *testing.T) {
	storetest.NormalUmask(t)
	dir := t.TempDir()
	private := func(what string, files ...string) {
		t.Helper()
		for _, f := range files {
			m, ok := storetest.Mode(t, f)
			if !ok && (strings.HasSuffix(f, "-wal") || strings.HasSuffix(f, "-shm")) {
				continue // SQLite removes them on a clean close
			}
			if m != 0o600 {
				t.Errorf("%s: %s is %#o (there: %v), want 0600", what, filepath.Base(f), m, ok)
			}
		}
	}
	db := filepath.Join(dir, "new.db")
	if code, _, errOut := tach(t, "migrate", "--db", db); code != 0 {
		t.Fatalf("migrate: %s", errOut)
	}
	private("tach migrate", db, db+"-wal", db+"-shm")

	demoFile := filepath.Join(dir, "demo.db")
	if code, _, errOut := tach(t, "demo", "--no-serve", "--scale", "200", "--db", demoFile); code != 0 {
		t.Fatalf("demo: %s", errOut)
	}
	private("tach demo", demoFile, demoFile+"-wal", demoFile+"-shm")

	gh := githubtest.New(t)
	gh.AddRepo("acme/shop").Generate(githubtest.History{PRs: 3})
	synced := filepath.Join(dir, "synced.db")
	cfg := writeConfigIn(t, dir, "database: synced.db\ngithub:\n  token: "+githubtest.DefaultToken+"\n  base_url: "+gh.BaseURL()+"\nrepos:\n  - github: acme/shop\n")
	if code, out, errOut := tach(t, "sync", "--config", cfg); code != 0 {
		t.Fatalf("sync: %s%s", out, errOut)
	}
	private("tach sync", synced, synced+"-wal", synced+"-shm")

	backup := filepath.Join(dir, "backup.db")
	if code, _, errOut := tach(t, "backup", backup, "--db", demoFile); code != 0 {
		t.Fatalf("backup: %s", errOut)
	}
	private("tach backup", backup)
}

// TestExposedDatabaseWarns: serve and sync say at start when the database
// is readable by others, and how to fix it.
func TestExposedDatabaseWarns(t *testing.T) {
	storetest.NormalUmask(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "tach.db")
	copyFile(t, demoDB, db)
	if err := os.Chmod(db, 0o644); err != nil {
		t.Fatal(err)
	}
	s := startServe(t, "--db", db, "--listen", "127.0.0.1:0")
	s.stop()
	fix := "chmod 600 " + db
	if log := s.stderr.String(); !strings.Contains(log, "readable by other users") || !strings.Contains(log, fix) || strings.Count(log, "readable by other users") != 1 {
		t.Errorf("tach serve does not warn once with %q:\n%s", fix, log)
	}

	gh := githubtest.New(t)
	gh.AddRepo("acme/shop").Generate(githubtest.History{PRs: 1})
	cfg := writeConfigIn(t, dir, "database: tach.db\ngithub:\n  token: "+githubtest.DefaultToken+"\n  base_url: "+gh.BaseURL()+"\nrepos:\n  - github: acme/shop\n")
	code, out, errOut := tach(t, "sync", "--config", cfg)
	if code != 0 || !strings.Contains(errOut, "readable by other users") || !strings.Contains(errOut, fix) {
		t.Errorf("tach sync: exit %d, no warning with %q:\n%s%s", code, fix, out, errOut)
	}
	// Fixed, no warning.
	if err := os.Chmod(db, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, errOut := tach(t, "sync", "--config", cfg); strings.Contains(errOut, "readable by other users") {
		t.Errorf("a private database is reported:\n%s", errOut)
	}
}
