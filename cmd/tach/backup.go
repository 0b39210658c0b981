package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/tach-dev/tach/store"
)

// `tach backup FILE` writes a consistent copy of the database while tach
// runs (a sync may be writing): see store.Backup. To restore, stop tach,
// move the database and its -wal and -shm files aside, copy the backup in
// its place, and start tach again (README, "Backup and restore").
//
// A PostgreSQL database is backed up with pg_dump, the server's own tool
// (and its operators' usual one): tach says so, and runs it when it is
// installed, or prints the command to run where it is.

func init() {
	register("backup", "write a consistent copy of the database to a new file, while tach runs", runBackup)
}

func runBackup(ctx context.Context, env *cli, args []string) error {
	fs := newFlags(env, "backup", "FILE [--config F | --db F]")
	var src sourceFlags
	src.register(fs)
	pos, err := parseFlagsAndArgs(fs, args, "FILE")
	if err != nil {
		return err
	}
	dest := pos[0]
	database, err := src.database()
	if err != nil {
		return err
	}
	if store.IsPostgres(database) {
		return backupPostgres(ctx, env, database, dest)
	}
	st, err := src.openStore(ctx, true)
	if err != nil {
		return err
	}
	defer st.Close()
	start := time.Now()
	if err := st.Backup(ctx, dest); err != nil {
		return err
	}
	size := int64(0)
	if fi, err := os.Stat(dest); err == nil {
		size = fi.Size()
	}
	fmt.Fprintf(env.stdout, "Wrote %s (%.1f MB) from %s in %s; integrity check: ok.\n",
		dest, float64(size)/1e6, st.Path(), time.Since(start).Round(time.Millisecond))
	return nil
}

// backupPostgres runs pg_dump into dest (a new file), or, without
// pg_dump, explains and prints the command.
func backupPostgres(ctx context.Context, env *cli, database, dest string) error {
	if _, err := os.Lstat(dest); err == nil {
		return fmt.Errorf("backup: %s exists; choose a new file name (tach never overwrites a backup)", dest)
	}
	dir := filepath.Dir(dest)
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return fmt.Errorf("backup: directory %s does not exist", dir)
	}
	d, err := pgDumpOf(database, dest)
	if err != nil {
		return err
	}
	bin, err := exec.LookPath("pg_dump")
	if err != nil {
		fmt.Fprintf(env.stdout, "A PostgreSQL database is backed up with pg_dump, PostgreSQL's own tool, not by tach. pg_dump is not installed here\n"+
			"(Debian and Ubuntu: apt install postgresql-client, of the server's major version or newer); run, where it is:\n\n  %s\n\n"+
			"Restore into an empty database with: pg_restore --no-owner --dbname 'postgres://…' %s\n", d.shown(), shellQuote(dest))
		return errors.New("backup: pg_dump is not installed; run the command printed above where it is")
	}
	// pg_dump writes as it goes: into a temporary name beside dest, given
	// dest's name only once it succeeded.
	suffix := make([]byte, 6)
	rand.Read(suffix)
	tmp := filepath.Join(dir, "."+filepath.Base(dest)+".partial-"+hex.EncodeToString(suffix))
	defer os.Remove(tmp)
	start := time.Now()
	cmd := exec.CommandContext(ctx, bin, d.args(tmp)...)
	cmd.Env = append(os.Environ(), d.env...)
	var stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("backup: pg_dump failed (%v): %s", err, store.Redact(database, errors.New(strings.TrimSpace(stderr.String()))))
	}
	if err := os.Chmod(tmp, 0o600); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if err := os.Link(tmp, dest); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	size := int64(0)
	if fi, err := os.Stat(dest); err == nil {
		size = fi.Size()
	}
	fmt.Fprintf(env.stdout, "Wrote %s (%.1f MB) from %s with pg_dump in %s:\n  %s\n"+
		"Restore into an empty database with: pg_restore --no-owner --dbname 'postgres://…' %s\n",
		dest, float64(size)/1e6, store.RedactURL(database), time.Since(start).Round(time.Millisecond), d.shown(), shellQuote(dest))
	return nil
}

// pgDump is the pg_dump command that backs up a tach database.
type pgDump struct {
	conninfo string   // the URL without its password, with libpq's parameters only
	schemas  []string // the search_path's schemas: tach's tables are there
	env      []string // PGPASSWORD, never on the command line
	dest     string
}

// libpqParams are the URL parameters pg_dump understands; the others are
// settings tach sends at connect (statement_timeout, search_path) or its
// own (pool_max_conns).
var libpqParams = map[string]bool{
	"sslmode": true, "sslrootcert": true, "sslcert": true, "sslkey": true, "sslcrl": true, "sslpassword": true,
	"sslnegotiation": true, "sslsni": true, "connect_timeout": true, "application_name": true, "target_session_attrs": true,
	"channel_binding": true, "gssencmode": true, "krbsrvname": true, "service": true, "passfile": true, "require_auth": true,
}

func pgDumpOf(database, dest string) (pgDump, error) {
	u, err := url.Parse(database)
	if err != nil {
		return pgDump{}, fmt.Errorf("backup: %s is not a URL tach can read", store.RedactURL(database))
	}
	d := pgDump{dest: dest}
	if pw, ok := u.User.Password(); ok {
		d.env = append(d.env, "PGPASSWORD="+pw)
		u.User = url.User(u.User.Username())
	}
	q := u.Query()
	for _, s := range strings.Split(q.Get("search_path"), ",") {
		if s = strings.Trim(strings.TrimSpace(s), `"`); s != "" && s != "$user" {
			d.schemas = append(d.schemas, s)
		}
	}
	for k := range q {
		if !libpqParams[k] {
			q.Del(k)
		}
	}
	u.RawQuery = q.Encode()
	d.conninfo = u.String()
	return d, nil
}

// args are pg_dump's arguments, writing to file.
func (d pgDump) args(file string) []string {
	args := []string{"--format=custom", "--no-owner", "--file=" + file}
	for _, s := range d.schemas {
		args = append(args, "--schema="+s)
	}
	return append(args, "--dbname="+d.conninfo)
}

// shown is the command as a person runs it, with the password left to
// them.
func (d pgDump) shown() string {
	var b strings.Builder
	if len(d.env) > 0 {
		b.WriteString("PGPASSWORD=… ")
	}
	b.WriteString("pg_dump")
	for _, a := range d.args(d.dest) {
		b.WriteString(" " + shellQuote(a))
	}
	return b.String()
}
