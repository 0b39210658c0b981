package engine_test

import (
	"cmp"
	"context"
	"encoding/json"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/tach-dev/tach/collectors/demo"
	"github.com/tach-dev/tach/metrics"
	"github.com/tach-dev/tach/metrics/engine"
	"github.com/tach-dev/tach/store"
	"github.com/tach-dev/tach/store/storetest"
)

var demoEnd = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)

func demoRules() map[string]metrics.RepoRules {
	out := map[string]metrics.RepoRules{}
	for name, s := range demo.RepoSettings() {
		out[name] = metrics.RepoRules{Source: s.Source, Link: s.Link}
	}
	return out
}

// demoStore is the demo organisation, derived (with its rollups built).
func demoStore(t *testing.T) (*store.Store, *engine.Reports) {
	t.Helper()
	ctx := context.Background()
	st := storetest.New(t)
	if _, err := demo.Generate(ctx, st, demo.Options{End: demoEnd}); err != nil {
		t.Fatal(err)
	}
	if err := engine.NewDeriver(st, metrics.DefaultRules(), demoRules()).Derive(ctx); err != nil {
		t.Fatal(err)
	}
	return st, engine.NewReports(st, metrics.DefaultRules(), nil)
}

func toJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// rowReport is the report of the facts of the rows a report over w reads:
// what a rollup report must equal. (metrics' TestDemoReportsAreTheReference
// holds both to the reference implementation.)
func rowReport(t *testing.T, eng *engine.Reports, sc engine.Scope, w metrics.Window, now time.Time) metrics.Report {
	t.Helper()
	ctx := context.Background()
	r, err := eng.Resolve(ctx, sc)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := eng.Dataset(ctx, r, w)
	if err != nil {
		t.Fatal(err)
	}
	if w, err = eng.WithDataFrom(ctx, r, w); err != nil {
		t.Fatal(err)
	}
	rep := metrics.ComputeFacts(metrics.FactsOf(ds, eng.Rules()), w, eng.Rules(), now)
	rep.Scope.Repos = r.Names
	if rep.Scope.Repos == nil {
		rep.Scope.Repos = []string{}
	}
	if sc.Team != "" {
		team := sc.Team
		rep.Scope.Team = &team
	}
	return rep
}

// TestRollupReportIsRowReport checks that reports read from rollups are
// the reports computed from the rows' facts, byte for byte, for scopes,
// windows and time zones; and that a repo whose rows change after its
// rollup was built is read from its rows until it is derived again.
func TestRollupReportIsRowReport(t *testing.T) {
	storetest.Long(t)
	ctx := context.Background()
	st, eng := demoStore(t)
	now := demoEnd.Add(3*24*time.Hour + 5*time.Hour)
	scopes := []engine.Scope{{}, {Team: "checkout"}, {Repos: []string{"acme/catalog"}}, {Repos: []string{"acme/web", "acme-platform/infra/terraform"}}}
	windows := []metrics.Window{
		metrics.LastWholeWeeks(now, 12, time.UTC),
		{From: demoEnd.AddDate(0, -5, 3), To: demoEnd.AddDate(0, -1, 11)},
		{From: demoEnd.Add(-40*24*time.Hour + 7*time.Hour + 13*time.Second), To: demoEnd.Add(-2*time.Hour + 500*time.Millisecond)},
	}
	// All of the history (and beyond), for the whole organisation only:
	// from rows, it is the slow one.
	all := metrics.Window{From: demoEnd.AddDate(-2, 0, 0), To: demoEnd.AddDate(0, 0, 7)}
	check := func(eng *engine.Reports, what string, scopes ...engine.Scope) {
		t.Helper()
		for _, sc := range scopes {
			ws := windows
			if sc.Team == "" && len(sc.Repos) == 0 {
				ws = append(ws, all)
			}
			for _, w := range ws {
				got, err := eng.Report(ctx, sc, w, now)
				if err != nil {
					t.Fatal(err)
				}
				want := rowReport(t, eng, sc, w, now)
				want.PartialHistory = got.PartialHistory // the repos' history is not the rows' (history_test.go)
				if g, want := toJSON(t, got), toJSON(t, want); g != want {
					t.Fatalf("%s: %+v %v–%v:\nrollups %s\nrows    %s", what, sc, w.From, w.To, g, want)
				}
			}
			w := windows[0]
			weeks, err := eng.Weekly(ctx, sc, w, now)
			if err != nil {
				t.Fatal(err)
			}
			r, _ := eng.Resolve(ctx, sc)
			ds, _ := eng.Dataset(ctx, r, w)
			if g, want := toJSON(t, weeks), toJSON(t, metrics.WeeklyFacts(metrics.FactsOf(ds, eng.Rules()), w, eng.Rules(), now)); g != want {
				t.Fatalf("%s: weekly %+v differs", what, sc)
			}
		}
	}
	check(eng, "fresh", scopes...)
	fresh := func(want int) {
		t.Helper()
		n, err := engine.FreshRollups(ctx, eng)
		if err != nil || n != want {
			t.Fatalf("%d repos have a fresh rollup (%v), want %d", n, err, want)
		}
	}
	fresh(5)

	// In another time zone, with bots counted.
	rules := metrics.DefaultRules()
	rules.Location, _ = time.LoadLocation("America/New_York")
	rules.IncludeBotChanges = true
	check(engine.NewReports(st, rules, nil), "New York, bots included", scopes[1], scopes[2])

	// Other bot rules: the rollups were built with the default ones, so
	// every repo is read from its rows.
	other := metrics.DefaultRules()
	other.Bots = regexp.MustCompile(`^alice`)
	check(engine.NewReports(st, other, nil), "other bot rules", scopes[1])

	// A CI run written after the derive: catalog's rollup is stale.
	repos, _ := st.Repos(ctx)
	var catalog int64
	for _, r := range repos {
		if r.Name == "acme/catalog" {
			catalog = r.ID
		}
	}
	err := st.Write(ctx, func(tx *store.Tx) error {
		_, _, err := tx.UpsertCIRun(ctx, store.CIRun{RepoID: catalog, ProviderID: "late-1", Name: "ci", Status: "completed", Conclusion: "success",
			CreatedAt: demoEnd.Add(-50 * time.Hour), StartedAt: demoEnd.Add(-50 * time.Hour), FinishedAt: demoEnd.Add(-49 * time.Hour), UpdatedAt: demoEnd.Add(-49 * time.Hour)})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	fresh(4)
	check(eng, "a CI run written since", scopes[2], engine.Scope{Team: "platform"})
	if err := engine.NewDeriver(st, metrics.DefaultRules(), demoRules()).Derive(ctx, catalog); err != nil {
		t.Fatal(err)
	}
	fresh(5)
	check(eng, "derived again", scopes[2])
}

// TestViewFromRollups checks that a page's view — its reports, the
// previous period's, the weeks, the lead times and the slowest changes —
// is the same when it comes from the cache without rows, and that its lead
// times and slowest changes, kept in its facts, are those of its rows.
func TestViewFromRollups(t *testing.T) {
	storetest.Long(t)
	ctx := context.Background()
	_, eng := demoStore(t)
	now := demoEnd.Add(3*24*time.Hour + 5*time.Hour)
	w := metrics.LastWholeWeeks(now, 12, time.UTC)
	for _, sc := range []engine.Scope{{}, {Team: "checkout"}, {Repos: []string{"acme/catalog"}}} {
		v, err := eng.View(ctx, sc, w, now, engine.WithPrevious())
		if err != nil {
			t.Fatal(err)
		}
		lean, err := eng.View(ctx, sc, w, now, engine.WithPrevious(), engine.WithoutRows(), engine.WithSlowestChanges(25))
		if err != nil {
			t.Fatal(err)
		}
		same := func(what string, got, want any) {
			t.Helper()
			if g, w := toJSON(t, got), toJSON(t, want); g != w {
				t.Fatalf("%+v: %s differs:\n%s\n%s", sc, what, g, w)
			}
		}
		same("report", lean.Report(), v.Report())
		gp, _ := lean.PreviousReport()
		wp, _ := v.PreviousReport()
		same("previous report", gp, wp)
		same("weeks", lean.Weekly(), v.Weekly())

		rows := metrics.LeadTimeRows(v.Data, w, v.Rules)
		var want []float64
		for _, r := range rows {
			want = append(want, r.LeadTime.Seconds())
		}
		slices.Sort(want)
		for _, view := range []*engine.View{v, lean} {
			got := slices.Clone(view.LeadTimeSeconds())
			slices.Sort(got)
			same("lead times", got, want)
		}
		slices.SortStableFunc(rows, func(a, b metrics.ChangeTiming) int {
			return cmp.Or(cmp.Compare(b.LeadTime, a.LeadTime), cmp.Compare(a.Change.ID, b.Change.ID))
		})
		ids := func(rows []metrics.ChangeTiming) []int64 {
			var out []int64
			for _, r := range rows {
				out = append(out, r.Change.ID, int64(r.LeadTime))
			}
			return out
		}
		same("slowest changes", ids(lean.SlowestChanges(25)), ids(rows[:min(25, len(rows))]))
	}
}
