package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tach-dev/tach/store"
)

// `tach copy --from tach.db --to postgres://…` moves a database to
// PostgreSQL (or back, or to another file): every table, in one
// transaction each, with every row's id, from one snapshot of the source
// (which may be in use). Each table's row count and checksum are compared
// on both sides afterwards (store.CopyTo). Stop the servers on the source
// before switching them to the copy: rows written after the snapshot are
// not in it.

func init() {
	register("copy", "copy a database to another (SQLite to PostgreSQL and back), checked table by table", runCopy)
}

func runCopy(ctx context.Context, env *cli, args []string) error {
	fs := newFlags(env, "copy", "--from DB --to DB [--replace]")
	from := fs.String("from", "", "the database to copy: a SQLite `file` or a postgres:// URL")
	to := fs.String("to", "", "the database to write: a SQLite `file` (created) or a postgres:// URL (its schema is created)")
	replace := fs.Bool("replace", false, "delete what the target holds first (without it, a target that holds rows is refused)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	switch {
	case *from == "" || *to == "":
		return usagef("tach copy needs --from and --to, for example: tach copy --from tach.db --to postgres://tach@db/tach")
	case *from == *to:
		return usagef("--from and --to name the same database")
	}
	src, err := store.OpenExisting(ctx, *from)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := store.Open(ctx, *to)
	if err != nil {
		return err
	}
	defer dst.Close()

	start := time.Now()
	fmt.Fprintf(env.stdout, "Copying %s to %s\n", src.Path(), dst.Path())
	// A line per table as it is done: a large copy takes minutes.
	fmt.Fprintf(env.stdout, "%-20s %12s  %-16s  %s\n", "TABLE", "ROWS", "CHECKSUM", "TOOK")
	var rows int64
	tables, err := src.CopyTo(ctx, dst, store.CopyOptions{Replace: *replace, Progress: func(tc store.TableCopy) {
		rows += tc.Rows
		fmt.Fprintf(env.stdout, "%-20s %12d  %-16s  %s\n", tc.Table, tc.Rows, tc.Checksum, tc.Took.Round(time.Millisecond))
	}})
	if errors.Is(err, store.ErrTargetNotEmpty) {
		return usagef("%s", err)
	}
	if err != nil {
		return err
	}
	took := time.Since(start)
	fmt.Fprintf(env.stdout, "Copied %d rows of %d tables in %s (%.0f rows/s); each table has as many rows, with the same checksum, on both sides.\n",
		rows, len(tables), took.Round(time.Millisecond), float64(rows)/took.Seconds())
	return nil
}
