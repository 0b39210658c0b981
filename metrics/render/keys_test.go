package render_test

import (
	"strings"
	"testing"

	"github.com/tach-dev/tach/metrics"
	"github.com/tach-dev/tach/metrics/render"
)

// The change of a headline measure: its arrow follows the sign of the
// change, whichever way is better (the verdict says that).
func TestHumanChange(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	cases := []struct {
		name   string
		c      metrics.KeyComparison
		change string
	}{
		{"faster lead time: a fall", metrics.CompareKey("lead_time", "", metrics.UnitSeconds, true, f(3600), f(7200)), "▼ −50 %"},
		{"more deployments: a rise", metrics.CompareKey("df", "", metrics.UnitPerWeek, false, f(12), f(10)), "▲ +20 %"},
		{"fewer deployments: a fall", metrics.CompareKey("df", "", metrics.UnitPerWeek, false, f(5), f(10)), "▼ −50 %"},
		{"failure rate up", metrics.CompareKey("cfr", "", metrics.UnitRate, true, f(0.12), f(0.10)), "▲ +2.0 pp"},
		{"from zero", metrics.CompareKey("rr", "", metrics.UnitRate, true, f(0.1), f(0)), "▲ +10.0 pp"},
		{"new value from zero", metrics.CompareKey("df", "", metrics.UnitPerWeek, false, f(3), f(0)), "▲ new"},
		{"unchanged", metrics.CompareKey("lt", "", metrics.UnitSeconds, true, f(100), f(100)), "±0"},
		{"too small to show", metrics.CompareKey("lt", "", metrics.UnitSeconds, true, f(1000), f(1001)), "±0"},
		{"no baseline", metrics.CompareKey("lt", "", metrics.UnitSeconds, true, f(1), nil), render.Dash},
	}
	for _, c := range cases {
		if got := render.HumanChange(c.c); got != c.change {
			t.Errorf("%s: change %q, want %q", c.name, got, c.change)
		}
		if c.c.Verdict != "" || c.c.Direction != "" {
			t.Errorf("%s: verdict %q, direction %q before it was judged", c.name, c.c.Verdict, c.c.Direction)
		}
	}
}

// The counts behind both sides of a judged change, the value's side first.
func TestKeyCounts(t *testing.T) {
	n := func(v int) *int { return &v }
	cases := []struct {
		c    metrics.KeyComparison
		want string
	}{
		{metrics.KeyComparison{Key: metrics.KeyChangeFailureRate, Unit: metrics.UnitRate, NUnit: "deployments", N: 15, BaselineN: 70, Count: n(2), BaselineCount: n(1)},
			"2 of 15 vs 1 of 70 deployments"},
		{metrics.KeyComparison{Key: metrics.KeyRecoveryTime, Unit: metrics.UnitSeconds, NUnit: "recoveries", N: 4, BaselineN: 3},
			"median of 4 vs 3 recoveries"},
		{metrics.KeyComparison{Key: metrics.KeyDeploymentFrequency, Unit: metrics.UnitPerWeek, NUnit: "weeks", N: 1, BaselineN: 4, Count: n(12), BaselineCount: n(41)},
			"12 deployments in 1 week vs 41 in 4 weeks"},
		{metrics.KeyComparison{Key: metrics.KeyThroughput, Unit: metrics.UnitPerWeek, NUnit: "weeks", N: 12, BaselineN: 12, Count: n(230), BaselineCount: n(198)},
			"230 changes merged in 12 weeks vs 198 in 12 weeks"},
		{metrics.KeyComparison{Key: metrics.KeyDeploymentFrequency, Unit: metrics.UnitPerWeek, NUnit: "weeks", N: 16, BaselineN: 0, Count: n(107), BaselineCount: n(0), Verdict: metrics.VerdictNotEnoughHistory},
			"107 deployments in 16 weeks vs no data before"}, // the period before lies before the history
		{metrics.KeyComparison{Key: metrics.KeyLeadTime, Unit: metrics.UnitSeconds}, ""}, // not judged
	}
	for _, c := range cases {
		if got := render.KeyCounts(c.c); got != c.want {
			t.Errorf("%s: %q, want %q", c.c.Key, got, c.want)
		}
	}
}

// A partial history names each repo's history start, repos of one start
// together, and the part of the period covered.
func TestHistoryNote(t *testing.T) {
	s := func(v string) *string { return &v }
	p := &metrics.PartialHistory{CoveredFrom: s("2026-01-05T00:00:00Z"), CoveredTo: s("2026-03-02T00:00:00Z"), Repos: []metrics.RepoHistoryStart{
		{Repo: "acme/api", HistoryStart: "2025-12-08T00:00:00Z"}, {Repo: "acme/web", HistoryStart: "2025-12-08T00:00:00Z"},
		{Repo: "acme/new", HistoryStart: "2026-01-05T00:00:00Z"},
	}}
	want := "Partial history: tach holds every record of acme/api and acme/web from 2025-12-08 00:00 UTC; of acme/new from 2026-01-05 00:00 UTC; this window is covered from 2026-01-05 00:00 UTC. Rates per week count only the weeks with data."
	if got := render.HistoryNote(p, "this window"); got != want {
		t.Errorf("%s\nwant %s", got, want)
	}
	p.CoveredFrom, p.CoveredTo = nil, nil
	if got := render.HistoryNote(p, "the previous period"); !strings.HasSuffix(got, "; none of the previous period is covered. Rates per week count only the weeks with data.") {
		t.Errorf("nothing covered: %s", got)
	}
	if render.HistoryNote(nil, "this window") != "" {
		t.Error("a covered window has a note")
	}
}

// A weekly review of a module names it (it said "0 repos"), beside the
// repos it has; a team and repo scopes read as before.
func TestWeeklyScopeName(t *testing.T) {
	team := "platform"
	for _, c := range []struct {
		scope metrics.Scope
		want  string
	}{
		{metrics.Scope{Modules: []string{"acme/shop:checkout"}}, "acme/shop:checkout"},
		{metrics.Scope{Repos: []string{"acme/web"}, Modules: []string{"acme/shop:checkout"}}, "acme/web, acme/shop:checkout"},
		{metrics.Scope{Team: &team, Modules: []string{"acme/shop:checkout"}}, "team platform"},
		{metrics.Scope{Repos: []string{"acme/web"}}, "acme/web"},
		{metrics.Scope{Repos: []string{"acme/web", "acme/api"}}, "2 repos"},
	} {
		if got := render.WeeklyScopeName(c.scope); got != c.want {
			t.Errorf("%+v: %q, want %q", c.scope, got, c.want)
		}
	}
}
