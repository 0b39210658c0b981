package metrics_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/tach-dev/tach/collectors/demo"
	"github.com/tach-dev/tach/metrics"
	"github.com/tach-dev/tach/metrics/engine"
	"github.com/tach-dev/tach/metrics/review"
	"github.com/tach-dev/tach/store/storetest"
)

// TestDemoReportsAreTheReference holds what the CLI and the pages show on
// the demo organisation — reports from rollups, a page's view (cached, and
// without rows), its previous period and weeks, the weekly review's two
// reports — to the reference implementation (reference_test.go) over the
// same rows, JSON byte for byte, for scopes, windows (whole weeks, any
// instants, the whole history) and two time zones.
func TestDemoReportsAreTheReference(t *testing.T) {
	storetest.Long(t)
	ctx := context.Background()
	end := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	st := storetest.New(t)
	if _, err := demo.Generate(ctx, st, demo.Options{End: end}); err != nil {
		t.Fatal(err)
	}
	repoRules := map[string]metrics.RepoRules{}
	for name, s := range demo.RepoSettings() {
		repoRules[name] = metrics.RepoRules{Source: s.Source, Link: s.Link}
	}
	if err := engine.NewDeriver(st, metrics.DefaultRules(), repoRules).Derive(ctx); err != nil {
		t.Fatal(err)
	}
	now := end.Add(3*24*time.Hour + 5*time.Hour)
	same := func(what string, got, want any) {
		t.Helper()
		g, err := json.Marshal(got)
		if err != nil {
			t.Fatal(err)
		}
		w, err := json.Marshal(want)
		if err != nil {
			t.Fatal(err)
		}
		if string(g) != string(w) {
			t.Fatalf("%s:\nproduction %s\nreference  %s", what, g, w)
		}
	}
	sameReport := func(what string, got, want metrics.Report) {
		t.Helper()
		// So is where the repos' history starts (history_test.go in the
		// engine checks it).
		want.Scope.Repos, want.Scope.Team, want.PartialHistory = got.Scope.Repos, got.Scope.Team, got.PartialHistory
		same(what, got, want)
	}
	newYork, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip("no tzdata:", err)
	}
	for _, loc := range []*time.Location{time.UTC, newYork} {
		rules := metrics.DefaultRules()
		rules.Location = loc
		eng := engine.NewReports(st, rules, nil)
		// reference computes a report over w at now from the rows a report
		// over from reads. (Which repos and team a report names, and its
		// partial history, are the engine's: sameReport takes them from
		// production's.)
		reference := func(sc engine.Scope, from, w metrics.Window, now time.Time, noCI bool) metrics.Report {
			t.Helper()
			r, err := eng.Resolve(ctx, sc)
			if err != nil {
				t.Fatal(err)
			}
			ds, err := eng.Dataset(ctx, r, from)
			if err != nil {
				t.Fatal(err)
			}
			if noCI {
				ds.CIRuns = nil
			}
			if w, err = eng.WithDataFrom(ctx, r, w); err != nil {
				t.Fatal(err)
			}
			return metrics.Compute(ds, w, rules, now)
		}
		twelve := metrics.LastWholeWeeks(now, 12, loc)
		windows := []metrics.Window{
			twelve,
			{From: end.AddDate(0, -5, 3), To: end.AddDate(0, -1, 11)},
			{From: end.Add(-40*24*time.Hour + 7*time.Hour + 13*time.Second), To: end.Add(-2*time.Hour + 500*time.Millisecond)},
		}
		for _, sc := range []engine.Scope{{}, {Team: "checkout"}, {Repos: []string{"acme/catalog", "acme/web"}}} {
			ws := windows
			if sc.Team == "" && len(sc.Repos) == 0 {
				ws = append(ws, metrics.Window{From: end.AddDate(-2, 0, 0), To: end.AddDate(0, 0, 7)}) // the whole history
			}
			for _, w := range ws {
				rep, err := eng.Report(ctx, sc, w, now)
				if err != nil {
					t.Fatal(err)
				}
				sameReport(loc.String()+" report", rep, reference(sc, w, w, now, false))
			}

			weeks, err := eng.Weekly(ctx, sc, twelve, now)
			if err != nil {
				t.Fatal(err)
			}
			r, _ := eng.Resolve(ctx, sc)
			ds, err := eng.Dataset(ctx, r, twelve)
			if err != nil {
				t.Fatal(err)
			}
			same(loc.String()+" weekly", weeks, metrics.Weekly(ds, twelve, rules, now))

			// A page's view, then the same view an hour later from the
			// cache, without rows: only its open work is new.
			for i, opts := range [][]engine.ViewOption{{engine.WithPrevious()}, {engine.WithPrevious(), engine.WithoutRows()}} {
				at := now.Add(time.Duration(i) * time.Hour)
				v, err := eng.View(ctx, sc, twelve, at, opts...)
				if err != nil {
					t.Fatal(err)
				}
				sameReport(loc.String()+" view report", v.Report(), reference(sc, twelve, twelve, at, false))
				prev, _ := v.PreviousReport()
				sameReport(loc.String()+" view previous report", prev, reference(sc, v.Previous, v.Previous, at, true))
				same(loc.String()+" view weeks", v.Weekly(), metrics.Weekly(ds, twelve, rules, at))
			}

			start := review.LastCompleteWeek(now, loc)
			rev, err := eng.WeeklyReview(ctx, sc, start, now)
			if err != nil {
				t.Fatal(err)
			}
			week, base := review.Windows(start)
			sameReport(loc.String()+" weekly review, the week", rev.This, reference(sc, week, week, now, false))
			sameReport(loc.String()+" weekly review, the baseline", rev.Before, reference(sc, base, base, now, false))
		}
	}
}
