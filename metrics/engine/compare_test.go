package engine_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tach-dev/tach/metrics"
	"github.com/tach-dev/tach/metrics/engine"
	"github.com/tach-dev/tach/metrics/impact"
	"github.com/tach-dev/tach/metrics/render"
	"github.com/tach-dev/tach/store"
	"github.com/tach-dev/tach/store/storetest"
)

// A small organisation in a real store for the comparison glue: two repos
// in team "core" ship one deployment a working day, each carrying two
// changes. On cmpT the api repo's lead time drops from 30 h to 10 h; the
// worker repo does not change. Everything is deterministic.

var (
	cmpStart = time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC) // a Monday
	cmpT     = time.Date(2026, 4, 6, 0, 0, 0, 0, time.UTC) // 13 weeks later
	cmpEnd   = time.Date(2026, 7, 6, 0, 0, 0, 0, time.UTC) // 13 weeks after
)

type cmpOrg struct {
	st      *store.Store
	derive  *engine.Deriver
	reports *engine.Reports
	log     *engine.DecisionLog
}

func newCmpOrg(t *testing.T) cmpOrg {
	t.Helper()
	ctx := context.Background()
	st := storetest.New(t)
	n := int64(0)
	err := st.Write(ctx, func(tx *store.Tx) error {
		for r, name := range []string{"acme/api", "acme/worker"} {
			repo, _, err := tx.UpsertRepo(ctx, store.Repo{Provider: store.GitHub, Name: name, CreatedAt: cmpStart.AddDate(-2, 0, 0)})
			if err != nil {
				return err
			}
			for d := cmpStart; d.Before(cmpEnd); d = d.AddDate(0, 0, 1) {
				if d.Weekday() == time.Saturday || d.Weekday() == time.Sunday {
					continue
				}
				deployAt := d.Add(16 * time.Hour)
				sha := fmt.Sprintf("%s-%s", name, d.Format("20060102"))
				for k := range 2 {
					n++
					lead := 30*time.Hour + time.Duration(k*3+int(n%5))*time.Hour
					if r == 0 && !d.Before(cmpT) {
						lead = 10*time.Hour + time.Duration(k*3+int(n%5))*time.Hour
					}
					first := deployAt.Add(-lead)
					merged := deployAt.Add(-time.Duration(1+k) * time.Hour)
					if _, _, err := tx.UpsertChange(ctx, store.Change{RepoID: repo, Number: n, Title: "Add a feature", Author: "ada",
						State: store.StateMerged, CreatedAt: first.Add(time.Hour), ReadyAt: first.Add(time.Hour), FirstCommitAt: first,
						MergedAt: merged, UpdatedAt: merged, Additions: 50 + int(n%40), SizeKnown: true, MergeSHA: fmt.Sprintf("m%d", n),
						BaseBranch: "main"}); err != nil {
						return err
					}
				}
				if _, _, err := tx.UpsertDeployment(ctx, store.Deployment{RepoID: repo, Source: "deployments", ProviderID: sha,
					Environment: "production", SHA: sha, Status: "success", CreatedAt: deployAt.Add(-5 * time.Minute),
					FinishedAt: deployAt, UpdatedAt: deployAt}); err != nil {
					return err
				}
			}
		}
		if err := tx.ReplaceTeams(ctx, []store.Team{{Name: "core", Repos: []string{"acme/api", "acme/worker"}}}); err != nil {
			return err
		}
		_, err := tx.InsertDecision(ctx, store.Decision{DecidedOn: "2026-04-06", Title: "Move api reads to a replica", Kind: "data-access",
			ScopeRepos: []string{"acme/api"}})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	rules := map[string]metrics.RepoRules{
		"acme/api":    {Source: "deployments", Link: "time"},
		"acme/worker": {Source: "deployments", Link: "time"},
	}
	org := cmpOrg{st: st, derive: engine.NewDeriver(st, metrics.DefaultRules(), rules), reports: engine.NewReports(st, metrics.DefaultRules(), nil)}
	org.log = engine.NewDecisionLog(org.reports)
	if err := org.derive.Derive(ctx); err != nil {
		t.Fatal(err)
	}
	return org
}

func cmpMeasure(t *testing.T, c impact.Comparison, key string) impact.MeasureComparison {
	t.Helper()
	for _, m := range c.Measures {
		if m.Key == key {
			return m
		}
	}
	t.Fatalf("no measure %s", key)
	return impact.MeasureComparison{}
}

func TestCompareDecisionUsesItsScopeAndWindows(t *testing.T) {
	org := newCmpOrg(t)
	c, err := org.log.Compare(context.Background(), engine.CompareRequest{DecisionID: 1}, cmpEnd)
	if err != nil {
		t.Fatal(err)
	}
	if c.Kind != impact.CompareDecision || c.Decision == nil || c.Decision.Title != "Move api reads to a replica" || *c.At != "2026-04-06" {
		t.Fatalf("decision: %+v at %v", c.Decision, c.At)
	}
	// The decision's own scope, acme/api, and 8 weeks either side.
	if strings.Join(c.Before.Repos, ",") != "acme/api" || c.Before.From != "2026-02-09" || c.Before.To != "2026-04-06" ||
		c.After.From != "2026-04-06" || c.After.To != "2026-06-01" || c.Partial || c.Settings.WindowDays != 56 {
		t.Fatalf("sides: %+v / %+v", c.Before, c.After)
	}
	lt := cmpMeasure(t, c, "lead_time")
	if lt.Verdict != impact.VerdictImproved || lt.NBefore != 80 || lt.NAfter != 80 {
		t.Errorf("lead time: %s (n %d/%d)", lt.Summary, lt.NBefore, lt.NAfter)
	}
	if df := cmpMeasure(t, c, "deployment_frequency"); df.Verdict != impact.VerdictNoClearChange || *df.Before != 5 || *df.After != 5 {
		t.Errorf("deployment frequency: %s", df.Summary)
	}
	// No failure at all: the proportions are 0 % on both sides, no change.
	if cfr := cmpMeasure(t, c, "change_failure_rate"); cfr.Verdict != impact.VerdictNoClearChange || *cfr.Before != 0 {
		t.Errorf("change failure rate: %s", cfr.Summary)
	}
	// No incident: recovery cannot be measured, and JSON says null.
	raw, _ := json.Marshal(c)
	var doc struct {
		Measures []map[string]any `json:"measures"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	for _, m := range doc.Measures {
		if m["key"] == "recovery_time" {
			for _, field := range []string{"before", "after", "difference", "interval", "p_value"} {
				if v, ok := m[field]; !ok || v != nil {
					t.Errorf("recovery_time.%s = %v, want null", field, v)
				}
			}
			if m["verdict"] != impact.VerdictNotEnoughData {
				t.Errorf("recovery verdict %v", m["verdict"])
			}
		}
	}

	// A scope given explicitly wins over the decision's: with the worker
	// repo alone nothing changes.
	c, err = org.log.Compare(context.Background(), engine.CompareRequest{DecisionID: 1, Scope: engine.Scope{Repos: []string{"acme/worker"}}}, cmpEnd)
	if err != nil {
		t.Fatal(err)
	}
	if lt := cmpMeasure(t, c, "lead_time"); lt.Verdict != impact.VerdictNoClearChange {
		t.Errorf("worker lead time: %s", lt.Summary)
	}
}

func TestCompareAtWithGapAndPartialAfter(t *testing.T) {
	org := newCmpOrg(t)
	now := cmpT.AddDate(0, 0, 7*4+3).Add(12 * time.Hour) // 4½ weeks after, minus the gap
	c, err := org.log.Compare(context.Background(), engine.CompareRequest{At: cmpT, WindowDays: 42, GapDays: 7, Scope: engine.Scope{Team: "core"}}, now)
	if err != nil {
		t.Fatal(err)
	}
	if c.Kind != impact.CompareDate || c.Decision != nil || c.Before.Team == nil || *c.Before.Team != "core" {
		t.Fatalf("%+v", c.Before)
	}
	if c.Before.From != "2026-02-23" || c.After.From != "2026-04-13" || c.After.To != "2026-05-25" || !c.After.Partial || c.After.Weeks != 3 {
		t.Fatalf("after: %+v", c.After)
	}
	if !strings.HasPrefix(c.Summary, "The after side is partial (24 of 42 days so far). ") {
		t.Errorf("summary: %s", c.Summary)
	}
	// Three whole weeks after: not enough for a weekly rate.
	if df := cmpMeasure(t, c, "deployment_frequency"); df.Verdict != impact.VerdictNotEnoughData {
		t.Errorf("deployment frequency: %s", df.Summary)
	}
	// The first after week is week 1 (the gap is week 0).
	for _, w := range cmpMeasure(t, c, "lead_time").Weekly {
		if w.Side == "after" {
			if w.Week != 1 {
				t.Errorf("first after week = %v, want 1", w.Week)
			}
			break
		}
	}
}

func TestComparePeriodsAndScopes(t *testing.T) {
	org := newCmpOrg(t)
	ctx := context.Background()
	a := metrics.Window{From: cmpStart, To: cmpStart.AddDate(0, 0, 56)}
	b := metrics.Window{From: cmpT.AddDate(0, 0, 14), To: cmpT.AddDate(0, 0, 70)}
	c, err := org.log.Compare(ctx, engine.CompareRequest{PeriodA: a, PeriodB: b, Scope: engine.Scope{Repos: []string{"acme/api"}}}, cmpEnd)
	if err != nil {
		t.Fatal(err)
	}
	if c.Kind != impact.ComparePeriods || c.Before.Label != "period A" || *c.At != "2026-04-20" || c.Settings.WindowDays != 0 {
		t.Fatalf("periods: %+v at %v", c.Before, c.At)
	}
	if lt := cmpMeasure(t, c, "lead_time"); lt.Verdict != impact.VerdictImproved {
		t.Errorf("lead time: %s", lt.Summary)
	}

	// Scope against scope over one period: api (fast after T) against
	// worker.
	sb := engine.Scope{Repos: []string{"acme/worker"}}
	c, err = org.log.Compare(ctx, engine.CompareRequest{Scope: engine.Scope{Repos: []string{"acme/api"}}, ScopeB: &sb, PeriodA: b}, cmpEnd)
	if err != nil {
		t.Fatal(err)
	}
	if c.Kind != impact.CompareScopes || c.At != nil || c.Before.Label != "acme/api" || c.After.Label != "acme/worker" {
		t.Fatalf("scopes: %+v / %+v", c.Before, c.After)
	}
	if lt := cmpMeasure(t, c, "lead_time"); lt.Verdict != impact.VerdictWorsened ||
		!strings.HasPrefix(lt.Summary, "Lead time is higher in acme/worker than in acme/api: ") || lt.PreTrend != nil || lt.ITS != nil {
		t.Errorf("lead time: %s", lt.Summary)
	}
	// Without a period: the last 8 whole weeks before now.
	c, err = org.log.Compare(ctx, engine.CompareRequest{ScopeB: &sb}, cmpEnd.AddDate(0, 0, 3))
	if err != nil {
		t.Fatal(err)
	}
	if c.Before.From != "2026-05-11" || c.Before.To != "2026-07-06" || c.Before.Label != "all repos" {
		t.Errorf("default period: %+v", c.Before)
	}
}

func TestCompareRefusesBadRequests(t *testing.T) {
	org := newCmpOrg(t)
	ctx := context.Background()
	sb := engine.Scope{Team: "core"}
	cases := []struct {
		req     engine.CompareRequest
		want    error
		mention string
	}{
		{engine.CompareRequest{}, engine.ErrBadCompare, "nothing to compare"},
		{engine.CompareRequest{DecisionID: 1, At: cmpT}, engine.ErrBadCompare, "one of"},
		{engine.CompareRequest{At: cmpT, ScopeB: &sb}, engine.ErrBadCompare, "one of"},
		{engine.CompareRequest{PeriodA: metrics.Window{From: cmpT, To: cmpEnd}}, engine.ErrBadCompare, "period B"},
		{engine.CompareRequest{PeriodA: metrics.Window{From: cmpEnd, To: cmpT}, PeriodB: metrics.Window{From: cmpT, To: cmpEnd}}, engine.ErrBadCompare, "empty"},
		{engine.CompareRequest{At: cmpT, WindowDays: 3}, engine.ErrBadCompare, "at least a week"},
		{engine.CompareRequest{At: cmpT, GapDays: -7}, engine.ErrBadCompare, "negative"},
		{engine.CompareRequest{DecisionID: 42}, store.ErrNotFound, "42"},
		{engine.CompareRequest{At: cmpT, Scope: engine.Scope{Team: "nobody"}}, engine.ErrUnknownScope, "nobody"},
		{engine.CompareRequest{At: cmpT, Scope: engine.Scope{Repos: []string{"acme/nope"}}}, engine.ErrUnknownScope, "acme/nope"},
	}
	for _, tc := range cases {
		_, err := org.log.Compare(ctx, tc.req, cmpEnd)
		if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.mention) {
			t.Errorf("%+v: error %v, want %v mentioning %q", tc.req, err, tc.want, tc.mention)
		}
	}
}

func TestCompareIsStableAcrossRuns(t *testing.T) {
	org := newCmpOrg(t)
	a, err := org.log.Compare(context.Background(), engine.CompareRequest{DecisionID: 1}, cmpEnd)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := org.log.Compare(context.Background(), engine.CompareRequest{DecisionID: 1}, cmpEnd)
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if string(ja) != string(jb) {
		t.Error("two runs differ")
	}
}

// TestComparePeriodsApart: two periods far apart read each period's rows,
// not the months between them, and compare exactly as the rows of the
// whole span would.
func TestComparePeriodsApart(t *testing.T) {
	org := newCmpOrg(t)
	ctx := context.Background()
	a := metrics.Window{From: cmpStart, To: cmpStart.AddDate(0, 0, 28)}
	b := metrics.Window{From: cmpEnd.AddDate(0, 0, -35), To: cmpEnd}
	got, err := org.log.Compare(ctx, engine.CompareRequest{PeriodA: a, PeriodB: b}, cmpEnd)
	if err != nil {
		t.Fatal(err)
	}
	r, err := org.reports.Resolve(ctx, engine.Scope{})
	if err != nil {
		t.Fatal(err)
	}
	ds, err := org.reports.Dataset(ctx, r, metrics.Window{From: a.From, To: b.To})
	if err != nil {
		t.Fatal(err)
	}
	want, err := impact.Compare(impact.CompareSide{Label: "period A", Dataset: ds, Window: a, Planned: a},
		impact.CompareSide{Label: "period B", Dataset: ds, Window: b, Planned: b},
		impact.CompareOptions{Kind: impact.ComparePeriods, Rules: metrics.DefaultRules(), Break: b.From})
	if err != nil {
		t.Fatal(err)
	}
	render.Explain(&want)
	want.Before.Repos, want.After.Repos = r.Names, r.Names
	gotJSON, _ := json.Marshal(got)
	wantJSON, _ := json.Marshal(want)
	if string(gotJSON) != string(wantJSON) {
		t.Errorf("periods apart compare differently from the rows of the whole span:\n%s\n%s", gotJSON, wantJSON)
	}
}

// The other decisions inside the windows are named, in the scope compared
// only, and the longest window that avoids them is offered.
func TestCompareFindsConfounders(t *testing.T) {
	org := newCmpOrg(t)
	ctx := context.Background()
	for _, in := range []engine.DecisionInput{
		{Date: "2026-03-16", Title: "Bigger api runners", Kind: "tooling", Repos: []string{"acme/api"}},   // before, in scope: 3 weeks of room
		{Date: "2026-05-18", Title: "Core on-call rota", Kind: "process", Team: "core"},                   // after, in scope: 6 weeks
		{Date: "2026-03-30", Title: "Worker queue", Kind: "architecture", Repos: []string{"acme/worker"}}, // before, another repo
		{Date: "2026-06-15", Title: "Everything later", Kind: "other"},                                    // outside both windows
	} {
		if _, err := org.log.AddDecision(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	c, err := org.log.Compare(ctx, engine.CompareRequest{DecisionID: 1}, cmpEnd)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range c.Confounders {
		got = append(got, fmt.Sprintf("#%d %s %s %.0f", d.ID, d.Date, d.Side, d.Week))
	}
	if strings.Join(got, "; ") != "#2 2026-03-16 before -3; #3 2026-05-18 after 6" {
		t.Errorf("confounders %q", got)
	}
	if c.CleanWindowDays == nil || *c.CleanWindowDays != 21 {
		t.Errorf("clean window %v, want 21 days", c.CleanWindowDays)
	}
	if !strings.HasPrefix(c.Notes[0], `2 other decisions fall in the windows compared: #2 "Bigger api runners" (2026-03-16, before) and #3 "Core on-call rota" (2026-05-18, after). The estimate mixes their effects with this one's. The longest window that avoids them is 3 weeks on each side.`) {
		t.Errorf("note %q", c.Notes[0])
	}
	// The lead time drops at the decision and nowhere else: both estimates
	// agree, so there is nothing to reconcile.
	if lt := cmpMeasure(t, c, "lead_time"); lt.Reconcile != "" {
		t.Errorf("lead time reconciled: %s", lt.Reconcile)
	}
	// Over the team, the worker's decision is one more.
	c, err = org.log.Compare(ctx, engine.CompareRequest{DecisionID: 1, Scope: engine.Scope{Team: "core"}}, cmpEnd)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Confounders) != 3 || *c.CleanWindowDays != 7 {
		t.Errorf("over the team: %d confounders, clean window %v", len(c.Confounders), c.CleanWindowDays)
	}
	// Within the clean window, none is left.
	c, err = org.log.Compare(ctx, engine.CompareRequest{DecisionID: 1, WindowDays: 21}, cmpEnd)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Confounders) != 0 || c.CleanWindowDays != nil {
		t.Errorf("3 weeks each side still hold %+v", c.Confounders)
	}
}
