package main

import (
	"context"
	"fmt"
	"os"
	"time"
)

// `tach backup FILE` writes a consistent copy of the database while tach
// runs (a sync may be writing): see store.Backup. To restore, stop tach,
// move the database and its -wal and -shm files aside, copy the backup in
// its place, and start tach again (README, "Backup and restore").

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
