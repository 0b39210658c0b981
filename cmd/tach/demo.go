package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"time"

	"github.com/tach-dev/tach/collectors/demo"
	"github.com/tach-dev/tach/metrics"
	"github.com/tach-dev/tach/metrics/engine"
	"github.com/tach-dev/tach/store"
)

func init() {
	register("demo", "write a demo organisation's data and serve it (no network, no token)", runDemo)
}

func runDemo(ctx context.Context, env *cli, args []string) error {
	fs := newFlags(env, "demo", "[--db FILE] [--listen ADDR] [--no-serve] [--scale N]")
	db := fs.String("db", "tach-demo.db", "database `file` or postgres:// URL to write (replaced if it is an earlier demo)")
	listen := fs.String("listen", "127.0.0.1:8080", "`address` to serve on")
	noServe := fs.Bool("no-serve", false, "only write the database")
	scale := fs.Int("scale", 0, "about this many changes in all, everything else in proportion (default: the demo organisation, about 2,500)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := checkListen(*listen); err != nil {
		return err
	}
	if !*noServe && !loopbackListen(*listen) {
		return errDemoLoopback
	}
	if *scale < 0 {
		return usagef("--scale %d is negative; give a number of changes such as 1000000", *scale)
	}
	if err := writeDemo(ctx, env, *db, *scale); err != nil {
		return err
	}
	if *noServe {
		fmt.Fprintf(env.stdout, "Try: tach report metrics --db %s\n", *db)
		return nil
	}
	st, err := store.OpenExisting(ctx, *db)
	if err != nil {
		return err
	}
	defer st.Close()
	reports := engine.NewReports(st, metrics.DefaultRules(), nil)
	return serve(ctx, env, serveOptions{listen: *listen, st: st, reports: reports, decisions: engine.NewDecisionLog(reports)})
}

// writeDemo generates the demo into a temporary file beside path and moves
// it into place only when it is complete, so an interrupted demo never
// leaves half a database behind. Into PostgreSQL, it writes in place: an
// earlier demo there is emptied first, and an interrupted one is left half
// written (run the demo again).
func writeDemo(ctx context.Context, env *cli, path string, scale int) error {
	if err := refuseNonDemo(ctx, path); err != nil {
		return err
	}
	tmp := path + ".writing"
	if store.IsPostgres(path) {
		tmp = path
	} else {
		removeDB(tmp)
	}
	start := time.Now()
	st, err := store.Open(ctx, tmp)
	if err != nil {
		return err
	}
	if store.IsPostgres(path) {
		err = st.Empty(ctx)
	}
	end := metrics.WeekStart(time.Now(), time.UTC)
	// The file is thrown away unless complete: no fsync while writing (on
	// PostgreSQL, commits that do not wait for the disk).
	var restore func() error
	if err == nil {
		restore, err = st.LoadMode(ctx)
	}
	var sum demo.Summary
	var generated, derived time.Duration
	if err == nil {
		sum, err = demo.Generate(ctx, st, demo.Options{End: end, Scale: scale})
		generated = time.Since(start)
	}
	if err == nil {
		err = engine.NewDeriver(st, metrics.DefaultRules(), demoRepoRules()).Derive(ctx)
		derived = time.Since(start) - generated
	}
	if err == nil {
		err = restore()
	}
	if cerr := st.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		if !store.IsPostgres(path) {
			removeDB(tmp)
		}
		return fmt.Errorf("write demo: %w", err)
	}
	if !store.IsPostgres(path) {
		removeDB(path)
		if err := os.Rename(tmp, path); err != nil {
			return fmt.Errorf("write demo: %w", err)
		}
	}
	name := path
	if store.IsPostgres(path) {
		name = shellQuote(store.RedactURL(path))
	}
	fmt.Fprintln(env.stdout, demo.Describe())
	took := time.Since(start)
	fmt.Fprintf(env.stdout, "\nWrote %s in %s (%.0f rows/s): %s.\n", name, took.Round(time.Millisecond), float64(sum.Rows())/took.Seconds(), sum)
	fmt.Fprintf(env.stdout, "Generated %d rows in %s (%.0f rows/s), derived in %s.\n", sum.Rows(), generated.Round(time.Millisecond),
		float64(sum.Rows())/generated.Seconds(), derived.Round(time.Millisecond))
	fmt.Fprintf(env.stdout, "See what a decision did: tach report compare --decision 1 --db %s (in the dashboard: /compare?decision=1; the log is under /decisions).\n", name)
	return nil
}

// refuseNonDemo keeps `tach demo --db` from replacing a real database.
func refuseNonDemo(ctx context.Context, path string) error {
	if store.IsPostgres(path) {
		return refuseNonDemoPostgres(ctx, path)
	}
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	st, err := store.Open(ctx, path)
	if err != nil {
		return fmt.Errorf("write demo: %s exists and is not a tach database; choose another --db", path)
	}
	defer st.Close()
	if v, err := st.Meta(ctx, store.MetaDemo); err != nil || v == "" {
		return fmt.Errorf("write demo: %s holds synced data, not a demo; choose another --db", path)
	}
	return nil
}

// refuseNonDemoPostgres keeps `tach demo --db postgres://…` from emptying
// a database that holds anything but a demo.
func refuseNonDemoPostgres(ctx context.Context, path string) error {
	st, err := store.Open(ctx, path)
	if err != nil {
		return err
	}
	defer st.Close()
	repos, err := st.Repos(ctx)
	if err != nil {
		return err
	}
	if v, err := st.Meta(ctx, store.MetaDemo); len(repos) > 0 && (err != nil || v == "") {
		return fmt.Errorf("write demo: %s holds synced data, not a demo; choose another database or schema (search_path)", st.Path())
	}
	return nil
}

func removeDB(path string) {
	for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
		os.Remove(path + suffix)
	}
}

// demoRepoRules are the demo repos' deployment settings as metric rules.
func demoRepoRules() map[string]metrics.RepoRules {
	out := map[string]metrics.RepoRules{}
	for name, s := range demo.RepoSettings() {
		out[name] = metrics.RepoRules{Source: s.Source, Link: s.Link, Environments: regexp.MustCompile(metrics.DefaultProductionEnvironments)}
	}
	return out
}
