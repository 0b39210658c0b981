package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tach-dev/tach/cmd/tach/config"
	"github.com/tach-dev/tach/collectors"
)

func init() {
	register("sync", "bring the database up to date from GitHub and GitLab", runSync)
}

func runSync(ctx context.Context, env *cli, args []string) error {
	fs := newFlags(env, "sync", "[--config F] [--db F] [--repo R]... [--workers N]")
	var src sourceFlags
	src.register(fs)
	var only repeated
	fs.Var(&only, "repo", "sync only this repo (as named in the config); repeat for several")
	workers := fs.Int("workers", 0, "repos to sync at once (default: the config's sync.workers)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if src.config == "" && src.db != "" {
		return usagef("sync needs a configuration: give --config FILE (see config.example.yaml)")
	}
	cfg, err := src.loadConfig()
	if err != nil {
		return err
	}
	if len(cfg.Repos) == 0 {
		return fmt.Errorf("%s: repos: nothing to sync; add a github or gitlab entry (see config.example.yaml)", cfg.File)
	}
	if err := cfg.CheckSync(); err != nil {
		return err
	}
	log := newLogger(env.stderr, cfg)
	ws, err := src.open(ctx, false)
	if err != nil {
		return err
	}
	defer ws.Close()
	if *workers > 0 {
		cfg.Sync.Workers = *workers
	}
	warnExposed(log, ws.st)
	s, err := newSyncer(cfg, ws.st, log)
	if err != nil {
		return err
	}

	tracker := collectors.NewTracker()
	stopProgress := showProgress(env, log, tracker)
	sum, err := s.Run(ctx, only, tracker)
	stopProgress()
	writeSyncSummary(env.stdout, sum)
	if nc := (*collectors.NotConfiguredError)(nil); errors.As(err, &nc) {
		return usagef("--repo %s is not in the config's repos", nc.Repo)
	}
	if err != nil {
		return err
	}
	if failed := sum.Failed(); len(failed) > 0 {
		names := make([]string, len(failed))
		for i, f := range failed {
			names[i] = f.Repo
		}
		return exitError{fmt.Errorf("sync failed for %d of %d repos (%s); the others are up to date", len(failed), len(sum.Repos), strings.Join(names, ", ")), 1}
	}
	return nil
}

func newLogger(w io.Writer, cfg *config.Config) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.Log.Level}
	if cfg.Log.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// syncColumns are the kinds of rows the sync summary counts, in the words
// of the dashboard; the other resources (repository details, changed
// files, deployed commits) serve these and are not counted apart.
var syncColumns = []struct{ resource, head string }{
	{collectors.ResourceChanges, "PRS/MRS"},
	{collectors.ResourceDeployments, "DEPLOYMENTS"},
	{collectors.ResourceIncidents, "INCIDENTS"},
	{collectors.ResourceCIRuns, "CI RUNS"},
}

// maxSummaryRepo is the widest repo name the summary prints whole: with
// it, the table fits 100 columns.
const maxSummaryRepo = 32

// writeSyncSummary prints, per repo, the rows of each kind that are new
// and updated, the API requests it took and whether it failed; then each
// failure's error, each warning (what a resource could not get wholly)
// and the API requests left per provider. The table fits
// 100 columns; errors follow it on lines of their own.
func writeSyncSummary(w io.Writer, sum *collectors.Summary) {
	if sum == nil {
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	head := []string{"REPO"}
	for _, c := range syncColumns {
		head = append(head, c.head)
	}
	head = append(head, "REQUESTS", "RESULT")
	fmt.Fprintln(w, "Rows synced, new/updated:")
	fmt.Fprintln(tw, strings.Join(head, "\t"))
	left := map[string]collectors.RepoSummary{} // the fewest requests left, per provider
	for _, r := range sum.Repos {
		row := []string{shorten(r.Repo, maxSummaryRepo)}
		for _, c := range syncColumns {
			if rs := r.Resources[c.resource]; rs != nil {
				row = append(row, fmt.Sprintf("%d/%d", rs.New, rs.Updated))
			} else {
				row = append(row, "–")
			}
		}
		result := "ok"
		if len(repoWarnings(r)) > 0 {
			result = "warned"
		}
		if r.Err != nil {
			result = "failed"
		}
		row = append(row, fmt.Sprint(r.Requests), result)
		fmt.Fprintln(tw, strings.Join(row, "\t"))
		if r.RateLimitRemaining >= 0 && r.Requests > 0 {
			if l, ok := left[r.Provider]; !ok || r.RateLimitRemaining < l.RateLimitRemaining {
				left[r.Provider] = r
			}
		}
	}
	tw.Flush()
	for _, r := range sum.Repos {
		if r.Err != nil {
			fmt.Fprintf(w, "%s failed: %v\n", r.Repo, r.Err)
			continue
		}
		for _, warning := range repoWarnings(r) {
			fmt.Fprintf(w, "%s warned: %s\n", r.Repo, warning)
		}
	}
	fmt.Fprintf(w, "\n%d repos, %d API requests, %s.", len(sum.Repos), sum.Requests(), sum.Duration.Round(time.Millisecond))
	providers := make([]string, 0, len(left))
	for p := range left {
		providers = append(providers, p)
	}
	sort.Strings(providers)
	for _, p := range providers {
		l := left[p]
		fmt.Fprintf(w, " %s API: %d requests left", config.Provider(p).Title(), l.RateLimitRemaining)
		if !l.RateLimitReset.IsZero() {
			fmt.Fprintf(w, " until %s", l.RateLimitReset.Local().Format("15:04"))
		}
		fmt.Fprint(w, ".")
	}
	fmt.Fprintln(w)
}

// repoWarnings are what a repo's resources could not get wholly
// (collectors.Sink.Warn), in the order of the resources' names.
func repoWarnings(r collectors.RepoSummary) []string {
	var out []string
	for _, name := range slices.Sorted(maps.Keys(r.Resources)) {
		out = append(out, r.Resources[name].Warnings...)
	}
	return out
}

// shorten cuts s to n characters, ending in "…" when it was longer.
func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// showProgress draws live progress on a terminal, or logs each repo as it
// finishes otherwise. It returns a function that stops it.
func showProgress(env *cli, log *slog.Logger, t *collectors.Tracker) func() {
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		if env.isTTY {
			drawProgress(env.stderr, t, done)
			return
		}
		logged := map[string]bool{}
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		report := func() {
			for _, p := range t.Snapshot() {
				if !p.Done || logged[p.Repo] {
					continue
				}
				logged[p.Repo] = true
				attrs := []any{"repo", p.Repo, "requests", p.Requests, "duration", time.Since(p.Started).Round(time.Millisecond)}
				keys := make([]string, 0, len(p.Items))
				for k := range p.Items {
					keys = append(keys, k)
				}
				sort.Strings(keys)
				for _, k := range keys {
					attrs = append(attrs, k, p.Items[k])
				}
				if p.RateRemaining >= 0 {
					attrs = append(attrs, "rate_limit_left", p.RateRemaining)
				}
				if p.Err != nil {
					log.Error("repo sync failed", append(attrs, "err", p.Err)...)
				} else {
					log.Info("repo synced", attrs...)
				}
			}
		}
		for {
			select {
			case <-tick.C:
				report()
			case <-done:
				report()
				return
			}
		}
	}()
	return func() { close(done); <-stopped }
}
