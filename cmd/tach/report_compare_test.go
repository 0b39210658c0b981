package main

import (
	"cmp"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/tach-dev/tach/metrics/impact"
)

// compareJSON runs `tach report compare … --format json` on the demo.
func compareJSON(t *testing.T, args ...string) impact.Comparison {
	t.Helper()
	code, out, errOut := tach(t, append([]string{"report", "compare", "--db", demoDB, "--format", "json"}, args...)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var c impact.Comparison
	if err := json.Unmarshal([]byte(out), &c); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	return c
}

func verdicts(c impact.Comparison) map[string]string {
	out := map[string]string{}
	for _, m := range c.Measures {
		out[m.Key] = m.Verdict
	}
	return out
}

// The demo's decisions carry built-in effects (collectors/demo/org.go); the
// comparison must find them, and no change where none was built in.
func TestReportCompareFindsTheDemoEffects(t *testing.T) {
	cases := []struct {
		decision string
		scope    string
		want     map[string]string
		args     []string
		after    string // the after side's scope, when it differs
	}{
		{"1", "acme/shop-monolith:payments", map[string]string{ // split payments: the module before, the service after
			"lead_time":            impact.VerdictImproved,
			"deployment_frequency": impact.VerdictImproved,
			"review_time":          impact.VerdictImproved,
			"change_failure_rate":  impact.VerdictNoClearChange,
			"pr_size":              impact.VerdictNoClearChange,
		}, nil, "acme/payments"},
		{"1", "checkout", map[string]string{ // the same decision in team checkout's scope
			"lead_time":            impact.VerdictImproved,
			"deployment_frequency": impact.VerdictImproved,
			"change_failure_rate":  impact.VerdictNoClearChange,
			"pr_size":              impact.VerdictNoClearChange,
			"throughput":           impact.VerdictNoClearChange,
		}, []string{"--team", "checkout"}, ""},
		{"2", "acme/catalog", map[string]string{ // cache catalog reads in Redis
			"change_failure_rate":  impact.VerdictImproved,
			"time_to_restore":      impact.VerdictImproved,
			"lead_time":            impact.VerdictNoClearChange,
			"deployment_frequency": impact.VerdictNoClearChange,
		}, nil, ""},
		{"3", "acme/shop-monolith", map[string]string{ // hand-written SQL replaces the ORM
			"pr_size":              impact.VerdictWorsened,
			"review_time":          impact.VerdictWorsened,
			"deployment_frequency": impact.VerdictNoClearChange,
		}, nil, ""},
	}
	for _, tc := range cases {
		c := compareJSON(t, append([]string{"--decision", tc.decision}, tc.args...)...)
		if c.Kind != impact.CompareDecision || c.Decision == nil || c.Settings.Resamples != 2000 || c.Settings.WindowDays != 56 {
			t.Fatalf("decision %s: %+v", tc.decision, c.Decision)
		}
		side := func(s impact.SideSummary) string {
			if s.Team != nil {
				return *s.Team
			}
			return strings.Join(append(slices.Clone(s.Repos), s.Modules...), ",")
		}
		after := cmp.Or(tc.after, tc.scope)
		if side(c.Before) != tc.scope || side(c.After) != after {
			t.Errorf("decision %s: scopes %q before, %q after; want %q, %q", tc.decision, side(c.Before), side(c.After), tc.scope, after)
		}
		got := verdicts(c)
		for key, want := range tc.want {
			if got[key] != want {
				t.Errorf("decision %s (%s): %s is %q, want %q", tc.decision, c.Decision.Title, key, got[key], want)
			}
		}
		if len(c.Measures) != len(impact.CompareMeasures) || c.Summary == "" {
			t.Errorf("decision %s: %d measures, summary %q", tc.decision, len(c.Measures), c.Summary)
		}
	}
}

func TestReportCompareJSONFieldsAndNulls(t *testing.T) {
	code, out, errOut := tach(t, "report", "compare", "--db", demoDB, "--format", "json", "--decision", "3")
	if code != 0 {
		t.Fatal(errOut)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"kind", "decision", "at", "before", "after", "partial", "settings", "measures", "summary", "notes"} {
		if _, ok := doc[key]; !ok {
			t.Errorf("no %q", key)
		}
	}
	fields := []string{"key", "name", "unit", "statistic", "better", "method", "before", "after", "difference", "relative_change",
		"interval", "relative_interval", "p_value", "n_before", "n_after", "verdict", "pre_trend", "its", "weekly", "summary"}
	for _, m := range doc["measures"].([]any) {
		m := m.(map[string]any)
		for _, f := range fields {
			if _, ok := m[f]; !ok {
				t.Errorf("%v: no %q", m["key"], f)
			}
		}
		// The monolith's recovery time has too few recoveries after the
		// decision: its numbers are null, never 0.
		if m["key"] == "recovery_time" && (m["interval"] != nil || m["p_value"] != nil || m["verdict"] != "not enough data") {
			t.Errorf("recovery_time: %v", m)
		}
	}
	// Stable: the same command gives the same bytes.
	_, again, _ := tach(t, "report", "compare", "--db", demoDB, "--format", "json", "--decision", "3")
	if again != out {
		t.Error("two runs differ")
	}
}

func TestReportCompareTextAndMarkdown(t *testing.T) {
	code, out, errOut := tach(t, "report", "compare", "--db", demoDB, "--decision", "2")
	if code != 0 {
		t.Fatal(errOut)
	}
	for _, want := range []string{`tach compare — decision #2 "Cache catalog reads in Redis" (caching), 2026-07-27 · acme/catalog`,
		"before: 2026-06-01 to 2026-07-27 (8 weeks)", "Change failure rate fell from ", "MEASURE", "95 % INTERVAL", "VERDICT",
		"Interrupted time series", "docs/decision-impact.md"} {
		if !strings.Contains(out, want) {
			t.Errorf("text: no %q in\n%s", want, out)
		}
	}
	code, out, errOut = tach(t, "report", "compare", "--db", demoDB, "--decision", "2", "--format", "markdown")
	if code != 0 {
		t.Fatal(errOut)
	}
	for _, want := range []string{"## tach compare — decision #2", "| Measure | Before | After | Change | 95 % interval | p | n | Verdict | Pre-trend |",
		"| Change failure rate |", "**Interrupted time series**"} {
		if !strings.Contains(out, want) {
			t.Errorf("markdown: no %q in\n%s", want, out)
		}
	}
}

// The CLI says what the page says: the other decisions inside the windows
// (decisions 2 and 3 of the demo lie 3 weeks either side of this date),
// and where the before/after and the time series disagree.
func TestReportCompareConfoundersAndReconcile(t *testing.T) {
	code, out, errOut := tach(t, "report", "compare", "--db", demoDB, "--at", "2026-08-17")
	if code != 0 {
		t.Fatal(errOut)
	}
	flat := strings.Join(strings.Fields(out), " ")
	for _, want := range []string{`Note: 2 other decisions fall in the windows compared: #2 "Cache catalog reads in Redis" (2026-07-27, before) and #3`,
		"The longest window that avoids them is 3 weeks on each side."} {
		if !strings.Contains(flat, want) {
			t.Errorf("text: no %q in\n%s", want, out)
		}
	}
	c := compareJSON(t, "--at", "2026-08-17")
	if len(c.Confounders) != 2 || c.CleanWindowDays == nil || *c.CleanWindowDays != 21 {
		t.Errorf("JSON: %d confounders, clean window %v", len(c.Confounders), c.CleanWindowDays)
	}
	code, out, _ = tach(t, "report", "compare", "--db", demoDB, "--decision", "1")
	if code != 0 || !strings.Contains(out, "Where the before/after and the time series disagree:\n- Lead time: the before/after change") {
		t.Errorf("decision 1 does not reconcile its lead time:\n%s", out)
	}
	code, out, _ = tach(t, "report", "compare", "--db", demoDB, "--decision", "1", "--format", "markdown")
	if code != 0 || !strings.Contains(out, "**Where the before/after and the time series disagree**") {
		t.Errorf("markdown:\n%s", out)
	}
}

func TestReportCompareOtherAnchors(t *testing.T) {
	c := compareJSON(t, "--at", "2026-04-27", "--team", "checkout", "--window", "6w", "--gap", "1w")
	if c.Kind != impact.CompareDate || c.Decision != nil || c.Before.From != "2026-03-16" || c.After.From != "2026-05-04" ||
		c.After.To != "2026-06-15" || c.Settings.GapDays != 7 {
		t.Errorf("--at: %+v / %+v", c.Before, c.After)
	}
	c = compareJSON(t, "--period-a", "2026-01-05..2026-03-02", "--period-b", "2026-09-07..2026-11-02", "--repo", "acme/shop-monolith")
	if c.Kind != impact.ComparePeriods || c.Before.To != "2026-03-02" || c.After.From != "2026-09-07" {
		t.Errorf("periods: %+v / %+v", c.Before, c.After)
	}
	c = compareJSON(t, "--repo", "acme/shop-monolith", "--vs-repo", "acme/payments", "--period", "2026-06-01..2026-08-24")
	if c.Kind != impact.CompareScopes || c.Before.Label != "acme/shop-monolith" || c.After.Label != "acme/payments" || c.At != nil {
		t.Errorf("scopes: %+v / %+v", c.Before, c.After)
	}
	c = compareJSON(t, "--team", "checkout", "--vs-team", "platform")
	if c.Kind != impact.CompareScopes || c.Before.Label != "team checkout" || c.After.Label != "team platform" || c.Before.Weeks != 8 {
		t.Errorf("teams: %+v / %+v", c.Before, c.After)
	}
}

func TestReportCompareBadInput(t *testing.T) {
	cases := []struct {
		args    []string
		mention string
	}{
		{nil, "nothing to compare"},
		{[]string{"--decision", "1", "--at", "2026-01-01"}, "one thing to compare"},
		{[]string{"--decision", "x"}, "not a decision id"},
		{[]string{"--decision", "99"}, "decision 99"},
		{[]string{"--at", "2026-02-30"}, "--at"},
		{[]string{"--at", "2026-04-27", "--window", "3d"}, "shorter than a week"},
		{[]string{"--at", "2026-04-27", "--window", "eight"}, "--window"},
		{[]string{"--at", "2026-04-27", "--gap", "-1w"}, "--gap"},
		{[]string{"--period-a", "2026-01-05..2026-03-02"}, "both --period-a and --period-b"},
		{[]string{"--period-a", "2026-01-05", "--period-b", "2026-03-02..2026-04-01"}, "FROM..TO"},
		{[]string{"--period-a", "2026-03-05..2026-03-02", "--period-b", "2026-03-02..2026-04-01"}, "empty"},
		{[]string{"--vs-team", "platform", "--vs-repo", "acme/web"}, "not both"},
		{[]string{"--at", "2026-04-27", "--period", "2026-01-05..2026-03-02"}, "--period goes with"},
		{[]string{"--at", "2026-04-27", "--team", "nobody"}, "nobody"},
		{[]string{"--at", "2026-04-27", "--format", "xml"}, "--format"},
		{[]string{"--at", "2026-04-27", "stray"}, "unexpected argument"},
	}
	for _, tc := range cases {
		code, out, errOut := tach(t, append([]string{"report", "compare", "--db", demoDB}, tc.args...)...)
		lines := strings.Split(strings.TrimSpace(errOut), "\n")
		if code == 0 || len(lines) != 1 || !strings.Contains(errOut, tc.mention) || out != "" {
			t.Errorf("%v: exit %d, stderr %q, stdout %q; want one line mentioning %q", tc.args, code, errOut, out, tc.mention)
		}
	}
}
