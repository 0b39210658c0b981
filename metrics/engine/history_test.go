package engine_test

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/tach-dev/tach/metrics"
	"github.com/tach-dev/tach/metrics/engine"
	"github.com/tach-dev/tach/store/storetest"
)

// Where history starts, in a scope of several repos: acme/catalog joined
// the demo late (as if first synced ten weeks before its end), the others
// hold their whole year. A report over a window that starts before
// catalog's history says which part is covered; a week before it has no
// values where catalog is the whole scope, and is partial where other
// repos cover it; no change against a period before it is judged.
func TestHistoryStartInAScope(t *testing.T) {
	storetest.Long(t)
	ctx := context.Background()
	st, eng := demoStore(t)
	joined := demoEnd.AddDate(0, 0, -7*10).Add(14 * time.Hour) // a Monday afternoon
	storetest.SetHistoryStart(t, st, "acme/catalog", joined)
	now := demoEnd.Add(50 * time.Hour)
	twelve := metrics.LastWholeWeeks(now, 12, time.UTC)

	rep, err := eng.Report(ctx, engine.Scope{}, twelve, now)
	if err != nil {
		t.Fatal(err)
	}
	p := rep.PartialHistory
	if p == nil || len(p.Repos) != 1 || p.Repos[0].Repo != "acme/catalog" || p.Repos[0].HistoryStart != "2025-12-22T14:00:00Z" ||
		*p.CoveredFrom != "2025-12-22T14:00:00Z" || *p.CoveredTo != "2026-03-02T00:00:00Z" {
		t.Errorf("partial history %+v", p)
	}
	if rep, _ := eng.Report(ctx, engine.Scope{Team: "checkout"}, twelve, now); rep.PartialHistory != nil {
		t.Errorf("team checkout has no catalog, yet its report is partial: %+v", rep.PartialHistory)
	}

	for _, c := range []struct {
		scope       engine.Scope
		none, parts int // weeks with no history, with part of it
	}{
		{engine.Scope{Repos: []string{"acme/catalog"}}, 3, 0}, // the two weeks before, and the week it joined on a Monday afternoon
		{engine.Scope{}, 0, 3},
		{engine.Scope{Team: "platform"}, 0, 3}, // catalog and terraform
		{engine.Scope{Team: "checkout"}, 0, 0},
	} {
		weeks, err := eng.Weekly(ctx, c.scope, twelve, now)
		if err != nil {
			t.Fatal(err)
		}
		v, err := eng.View(ctx, c.scope, twelve, now, engine.WithPrevious(), engine.WithoutRows())
		if err != nil {
			t.Fatal(err)
		}
		for _, ws := range [][]metrics.WeekReport{weeks, v.Weekly()} {
			marked := map[bool]int{} // NoHistory → weeks, of the weeks marked
			for i, w := range ws {
				if w.NoHistory || w.PartialHistory {
					marked[w.NoHistory]++
				}
				if before := i < 3 && c.scope.Team != "checkout"; before != (w.NoHistory || w.PartialHistory) {
					t.Errorf("%+v: week of %s marked %v/%v", c.scope, w.Start.Format(time.DateOnly), w.NoHistory, w.PartialHistory)
				}
			}
			if marked[true] != c.none || marked[false] != c.parts {
				t.Errorf("%+v: %d weeks without history, %d partial; want %d and %d", c.scope, marked[true], marked[false], c.none, c.parts)
			}
		}
		// The previous period lies before catalog's history: not judged
		// where catalog is in scope.
		for _, k := range v.Keys() {
			if catalog := c.scope.Team != "checkout"; catalog != (k.Verdict == metrics.VerdictNotEnoughHistory) {
				t.Errorf("%+v: %s judged %q", c.scope, k.Key, k.Verdict)
			}
		}
	}

	// A rate per week counts only the weeks with data: catalog's three
	// weeks before its history are not three weeks without deployments.
	cat, err := eng.Report(ctx, engine.Scope{Repos: []string{"acme/catalog"}}, twelve, now)
	if err != nil {
		t.Fatal(err)
	}
	if df := cat.DeploymentFrequency; df.Deployments == 0 || df.PerWeek == nil || math.Abs(*df.PerWeek-float64(df.Deployments)/9) > 1e-9 {
		t.Errorf("catalog's deployments a week over the 9 weeks it covers: %d deployments, %v a week", df.Deployments, deref(df.PerWeek))
	}
	if tp := cat.Throughput; tp.Merged == 0 || tp.PerWeek == nil || math.Abs(*tp.PerWeek-float64(tp.Merged)/9) > 1e-9 {
		t.Errorf("catalog's throughput over the 9 weeks it covers: %d merged, %v a week", tp.Merged, deref(tp.PerWeek))
	}

	// The weekly review of the week after catalog joined compares with
	// weeks before it: not judged; a week whose baseline is inside its
	// history is.
	for _, c := range []struct {
		week   time.Time
		judged bool
	}{{joined.AddDate(0, 0, 7).Truncate(24 * time.Hour), false}, {joined.AddDate(0, 0, 35).Truncate(24 * time.Hour), true}} {
		rev, err := eng.WeeklyReview(ctx, engine.Scope{}, c.week, now)
		if err != nil {
			t.Fatal(err)
		}
		if (rev.Before.PartialHistory == nil) != c.judged {
			t.Errorf("week of %s: baseline partial history %+v", c.week.Format(time.DateOnly), rev.Before.PartialHistory)
		}
		for _, k := range rev.Keys {
			if (k.Verdict != metrics.VerdictNotEnoughHistory) != c.judged {
				t.Errorf("week of %s: %s %q", c.week.Format(time.DateOnly), k.Key, k.Verdict)
			}
		}
	}
}

// A repo created at its provider after its history start has no gap: the
// time before its creation holds nothing to miss. One whose history starts
// after its creation has a gap from its creation on.
func TestHistoryStartBeforeCreation(t *testing.T) {
	storetest.Long(t)
	ctx := context.Background()
	st, eng := demoStore(t)
	payments, err := st.RepoByName(ctx, "acme/payments")
	if err != nil {
		t.Fatal(err)
	}
	now := demoEnd.Add(50 * time.Hour)
	year := metrics.Window{From: demoEnd.AddDate(0, 0, -7*52), To: demoEnd}
	for _, c := range []struct {
		start   time.Time
		partial bool
	}{
		{payments.CreatedAt, false},
		{payments.CreatedAt.Add(-time.Hour), false},
		{payments.CreatedAt.AddDate(0, 0, 3), true},
	} {
		storetest.SetHistoryStart(t, st, "acme/payments", c.start)
		rep, err := eng.Report(ctx, engine.Scope{Repos: []string{"acme/payments"}}, year, now)
		if err != nil {
			t.Fatal(err)
		}
		if (rep.PartialHistory != nil) != c.partial {
			t.Errorf("created %v, history from %v: partial history %+v", payments.CreatedAt, c.start, rep.PartialHistory)
		}
	}
}

// The keys' comparison is heavy work: with every slot of the gate taken,
// a 12-week overview is still answered at once, its keys not judged (no
// verdict, rather than a refused page), and not kept: the next view,
// with the gate free, judges them.
func TestKeysWithTheGateFull(t *testing.T) {
	org, gate := gatedOrg(t, 20*time.Millisecond)
	ctx := context.Background()
	quarter := metrics.Window{From: cmpEnd.AddDate(0, 0, -7*12), To: cmpEnd}
	release := holdSlot(t, gate)
	v, err := org.reports.View(ctx, engine.Scope{}, quarter, cmpEnd, engine.WithPrevious(), engine.WithoutRows())
	release()
	if err != nil {
		t.Fatalf("a 12-week overview with the gate full: %v", err)
	}
	for _, k := range v.Keys() {
		if k.Verdict != "" || k.Direction != "" {
			t.Errorf("%s judged %q without its comparison", k.Key, k.Verdict)
		}
	}
	v, err = org.reports.View(ctx, engine.Scope{}, quarter, cmpEnd, engine.WithPrevious(), engine.WithoutRows())
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range v.Keys() {
		if k.Verdict == "" {
			t.Errorf("%s not judged with the gate free", k.Key)
		}
	}
}

// A repo created after a week neither covers nor misses it: the weeks
// before the demo's history start have no values for the whole
// organisation, though acme/payments, created later, missed nothing then
// (they read as partial, with zeros, before); and the rates are over the
// weeks from the history start.
func TestWeeksBeforeEveryHistoryHaveNoValues(t *testing.T) {
	storetest.Long(t)
	ctx := context.Background()
	st, eng := demoStore(t)
	repos, err := st.Repos(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var start time.Time
	for _, r := range repos {
		if r.Name == "acme/shop-monolith" {
			start = r.HistoryStart
		}
	}
	if start.IsZero() || start.Weekday() != time.Monday {
		t.Fatalf("the demo's history start %v", start)
	}
	w := metrics.Window{From: start.AddDate(0, 0, -7*8), To: start.AddDate(0, 0, 7*8)}
	weeks, err := eng.Weekly(ctx, engine.Scope{}, w, demoEnd)
	if err != nil {
		t.Fatal(err)
	}
	for i, wk := range weeks {
		if before := i < 8; wk.NoHistory != before || wk.PartialHistory {
			t.Errorf("week of %s: no history %v, partial %v", wk.Start.Format(time.DateOnly), wk.NoHistory, wk.PartialHistory)
		}
	}
	rep, err := eng.Report(ctx, engine.Scope{}, w, demoEnd)
	if err != nil {
		t.Fatal(err)
	}
	if df := rep.DeploymentFrequency; df.PerWeek == nil || math.Abs(*df.PerWeek-float64(df.Deployments)/8) > 1e-9 {
		t.Errorf("%d deployments, %v a week; want them over the 8 weeks with data", df.Deployments, deref(df.PerWeek))
	}
}
