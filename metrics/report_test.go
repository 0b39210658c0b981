package metrics

import (
	"reflect"
	"testing"
	"time"
)

// week0 is the 7-day window [Mon 3 March, Mon 10 March) UTC.
var week0 = Window{From: t0, To: t0.AddDate(0, 0, 7)}

// assertNoValues fails for every non-nil pointer and non-zero int in v.
func assertNoValues(t *testing.T, path string, v reflect.Value) {
	t.Helper()
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			t.Errorf("%s = %v, want nil on no data", path, v.Elem())
		}
	case reflect.Int:
		if v.Int() != 0 {
			t.Errorf("%s = %d, want 0", path, v.Int())
		}
	case reflect.Struct:
		for i := range v.NumField() {
			assertNoValues(t, path+"."+v.Type().Field(i).Name, v.Field(i))
		}
	}
}

func TestComputeEmptyWindowIsNilNeverZero(t *testing.T) {
	w := LastWholeWeeks(hr(24*90), 12, time.UTC)
	rep := computeBoth(t, Dataset{}, w, DefaultRules(), hr(24*90))
	v := reflect.ValueOf(rep)
	for i := range v.NumField() {
		if name := v.Type().Field(i).Name; name != "Scope" {
			assertNoValues(t, name, v.Field(i))
		}
	}
	if rep.Scope.From != "2025-03-03" || rep.Scope.To != "2025-05-26" || rep.Scope.Timezone != "UTC" {
		t.Errorf("scope = %+v", rep.Scope)
	}
}

func TestLeadTimeAndCycleTime(t *testing.T) {
	// Hand-annotated rows (as Derive leaves them), hours from t0.
	shippedAt := func(c Change, deployment int64, at time.Time) Change {
		c.DeploymentID, c.DeployedAt = deployment, at
		return c
	}
	c1 := Change{ID: 1, Author: "alice", FirstCommitAt: hr(0), CreatedAt: hr(1), ReadyAt: hr(2), FirstReviewAt: hr(5), MergedAt: hr(8),
		Additions: 10, Deletions: 5, SizeKnown: true}
	// Opened as a draft at 1h, ready at 4h; no commit data (lead from
	// CreatedAt); never reviewed: no pickup or review part.
	c2 := Change{ID: 2, Author: "bob", CreatedAt: hr(1), ReadyAt: hr(4), MergedAt: hr(6), Additions: 100, SizeKnown: true}
	// First commit after its deployment (a rebase): lead −2h, dropped.
	c3 := Change{ID: 3, Author: "bob", FirstCommitAt: hr(12), CreatedAt: hr(1), ReadyAt: hr(1), MergedAt: hr(9)}
	// A bot's change: out of lead time unless IncludeBotChanges.
	c4 := Change{ID: 4, Author: "dependabot[bot]", FirstCommitAt: hr(9), CreatedAt: hr(9), ReadyAt: hr(9), MergedAt: hr(9), Additions: 1, SizeKnown: true}
	// Reviewed on the draft before ready: pickup −0.5h counts as 0.
	c5 := Change{ID: 5, Author: "carol", FirstCommitAt: hr(0), CreatedAt: hr(0), ReadyAt: hr(1), FirstReviewAt: hr(0.5), MergedAt: hr(20),
		Additions: 40, Deletions: 2, SizeKnown: true}
	// Shipped after the window.
	c6 := Change{ID: 6, Author: "alice", FirstCommitAt: hr(150), CreatedAt: hr(150), ReadyAt: hr(150), MergedAt: hr(24*7 + 1)}
	// Merged in the window, not shipped yet.
	c7 := Change{ID: 7, Author: "alice", FirstCommitAt: hr(25), CreatedAt: hr(25), ReadyAt: hr(25), MergedAt: hr(30), Additions: 7, Deletions: 1, SizeKnown: true}
	ds := Dataset{Changes: []Change{
		shippedAt(c1, 1, hr(10)), shippedAt(c2, 1, hr(10)), shippedAt(c3, 1, hr(10)), shippedAt(c4, 1, hr(10)),
		shippedAt(c5, 2, hr(30)), shippedAt(c6, 3, hr(24*7+2)), c7,
	}}
	rep := computeBoth(t, ds, week0, DefaultRules(), hr(24*8))

	// Lead times: c1 10h, c2 9h (from CreatedAt), c5 30h → sorted 9, 10, 30.
	lt := rep.LeadTime
	if lt.Count != 3 {
		t.Fatalf("lead time count = %d, want 3", lt.Count)
	}
	checkFloat(t, "median", lt.MedianSeconds, f(10*hour)) // middle value
	checkFloat(t, "p75", lt.P75Seconds, f(20*hour))       // h=1.5: 10+.5·20
	checkFloat(t, "p90", lt.P90Seconds, f(26*hour))       // h=1.8: 10+.8·20
	checkFloat(t, "mean", lt.MeanSeconds, f(49.0/3*hour)) // (9+10+30)/3
	if str(lt.Tier) != TierElite {                        // 10h < 1 day
		t.Errorf("lead time tier = %s, want elite", str(lt.Tier))
	}

	// Cycle parts of c1, c2, c5:
	//   coding: 2h (2−0), 3h (4−1, ready after the draft), 1h (1−0)
	//   pickup: 3h (5−2), 0 (0.5−1 < 0); c2 has none
	//   review: 3h (8−5), 19.5h (20−0.5); c2 has none
	//   deploy: 2h (10−8), 4h (10−6), 10h (30−20)
	ct := rep.CycleTime
	parts := []struct {
		name        string
		got         CyclePart
		count       int
		median, p75 float64
	}{
		{"coding", ct.Coding, 3, 2 * hour, 2.5 * hour},        // [1 2 3]: p75 h=1.5 → 2.5
		{"pickup", ct.Pickup, 2, 1.5 * hour, 2.25 * hour},     // [0 3]: p75 h=.75 → 2.25
		{"review", ct.Review, 2, 11.25 * hour, 15.375 * hour}, // [3 19.5]: p75 → 3+.75·16.5
		{"deploy", ct.Deploy, 3, 4 * hour, 7 * hour},          // [2 4 10]: p75 h=1.5 → 4+.5·6
	}
	for _, p := range parts {
		if p.got.Count != p.count {
			t.Errorf("%s count = %d, want %d", p.name, p.got.Count, p.count)
		}
		checkFloat(t, p.name+" median", p.got.MedianSeconds, f(p.median))
		checkFloat(t, p.name+" p75", p.got.P75Seconds, f(p.p75))
	}

	// Throughput: merged in the window, bots out: c1 c2 c3 c5 c7 (c6 merged
	// after it, c4 a bot) → 5, and 5 ÷ 7 days × 7 = 5 a week.
	if rep.Throughput.Merged != 5 {
		t.Errorf("merged = %d, want 5", rep.Throughput.Merged)
	}
	checkFloat(t, "throughput per week", rep.Throughput.PerWeek, f(5))

	// PR size: c1 15, c2 100, c5 42, c7 8 (c3's size unknown) → [8 15 42 100]:
	// median (15+42)/2 = 28.5, p75 h=2.25 → 42 + .25·58 = 56.5.
	if rep.PRSize.Count != 4 {
		t.Errorf("PR size count = %d, want 4", rep.PRSize.Count)
	}
	checkFloat(t, "PR size median", rep.PRSize.MedianLines, f(28.5))
	checkFloat(t, "PR size p75", rep.PRSize.P75Lines, f(56.5))

	// With bot changes included, c4 (lead 1h) joins: [1 9 10 30], median 9.5h.
	withBots := DefaultRules()
	withBots.IncludeBotChanges = true
	rep = computeBoth(t, ds, week0, withBots, hr(24*8))
	if rep.LeadTime.Count != 4 || rep.Throughput.Merged != 6 || rep.PRSize.Count != 5 {
		t.Errorf("with bots: lead %d, merged %d, sized %d; want 4, 6, 5", rep.LeadTime.Count, rep.Throughput.Merged, rep.PRSize.Count)
	}
	checkFloat(t, "median with bots", rep.LeadTime.MedianSeconds, f(9.5*hour))

	rows := LeadTimeRows(ds, week0, DefaultRules())
	if rows[0].Change.ID != 1 || rows[0].DeploymentID != 1 || rows[0].LeadTime != 10*time.Hour || rows[1].Pickup.Known {
		t.Errorf("rows = %+v", rows[:2])
	}
}

func TestFailuresReworkAndRecovery(t *testing.T) {
	// Annotated deployments, hours from t0; the window is week0.
	d1 := deployed(1, "a", hr(1)) // failed by an incident, resolved at 5h: 4h
	d1.Failed, d1.FailureCause, d1.RecoveredAt, d1.RecoveredBy = true, FailureCauseIncident, hr(5), RecoveredByIncidentResolved
	d2 := deployed(2, "b", hr(10)) // rolled back by d3 at 12h: 2h
	d2.Failed, d2.FailureCause, d2.RecoveredAt, d2.RecoveredBy = true, FailureCauseRollback, hr(12), RecoveredByRollback
	d3 := deployed(3, "a", hr(12)) // the rollback: rework
	d3.Rollback, d3.Rework = true, true
	d4 := deployed(4, "c", hr(40)) // fine
	d5 := deployed(5, "d", hr(50)) // failed by an incident still open
	d5.Failed, d5.FailureCause = true, FailureCauseIncident
	d6 := deployed(6, "e", hr(30)) // a failed attempt
	d6.Status, d6.FailedAttempt = StatusFailure, true
	d7 := deployed(7, "z", hr(-48)) // failed before the window, recovered in it at 3h: 51h
	d7.Failed, d7.FailureCause, d7.RecoveredAt, d7.RecoveredBy = true, FailureCauseIncident, hr(3), RecoveredByIncidentResolved
	for _, d := range []*Deployment{&d1, &d2, &d3, &d4, &d5, &d7} {
		d.Production = true
	}
	ds := Dataset{
		Deployments: []Deployment{d1, d2, d3, d4, d5, d6, d7},
		Incidents: []Incident{
			{ID: 11, DeploymentID: 1, CreatedAt: hr(2), ResolvedAt: hr(5)},   // restored in 3h
			{ID: 15, DeploymentID: 5, CreatedAt: hr(51)},                     // open, on a deployment in the window
			{ID: 17, DeploymentID: 7, CreatedAt: hr(-24), ResolvedAt: hr(3)}, // restored in 27h
			{ID: 18, DeploymentID: 7, CreatedAt: hr(-40)},                    // open, but d7 finished before the window
			{ID: 19, CreatedAt: hr(-100), ResolvedAt: hr(24 * 8)},            // resolved after the window
		},
	}
	rep := computeBoth(t, ds, week0, DefaultRules(), hr(24*8))

	// Production deployments in the window: d1–d5 (d6 is an attempt, d7 earlier).
	cfr := rep.ChangeFailureRate
	if cfr.Deployments != 5 || cfr.Failed != 3 {
		t.Errorf("CFR %d/%d, want 3/5", cfr.Failed, cfr.Deployments)
	}
	checkFloat(t, "CFR", cfr.Rate, f(0.6))
	if str(cfr.Tier) != TierLow {
		t.Errorf("CFR tier %s, want low", str(cfr.Tier))
	}
	if rep.ReworkRate.Rework != 1 || rep.ReworkRate.Deployments != 5 {
		t.Errorf("rework %+v, want 1 of 5", rep.ReworkRate)
	}
	checkFloat(t, "rework rate", rep.ReworkRate.Rate, f(0.2))

	// Failed attempts: out of CFR, in the success rate: 5 ÷ (5 + 1).
	df := rep.DeploymentFrequency
	if df.Deployments != 5 || df.FailedAttempts != 1 {
		t.Errorf("deployments %d, failed attempts %d; want 5, 1", df.Deployments, df.FailedAttempts)
	}
	checkFloat(t, "deploy success rate", df.SuccessRate, f(5.0/6))
	// Deploy days: Monday (1h, 10h, 12h), Tuesday (40h), Wednesday (50h) → 3
	// in the one week; 5 ÷ 7 × 7 = 5 a week; no month or 4-week block fits
	// in 7 days, but ≥ 1 deploy day a week decides: high.
	checkFloat(t, "per week", df.PerWeek, f(5))
	checkFloat(t, "deploy days/week", df.DeployDaysPerWeekMedian, f(3))
	checkFloat(t, "deploy days/month", df.DeployDaysPerMonthMedian, nil)
	if str(df.Tier) != TierHigh {
		t.Errorf("frequency tier %s, want high", str(df.Tier))
	}

	// Recovery in the window: d2 2h, d1 4h, d7 51h (d5 not recovered).
	rt := rep.RecoveryTime
	if rt.Count != 3 || rt.OpenIncidents != 1 {
		t.Errorf("recovery count %d, open incidents %d; want 3, 1", rt.Count, rt.OpenIncidents)
	}
	checkFloat(t, "recovery median", rt.MedianSeconds, f(4*hour))
	checkFloat(t, "recovery p75", rt.P75Seconds, f(27.5*hour)) // h=1.5: 4+.5·47
	checkFloat(t, "recovery p90", rt.P90Seconds, f(41.6*hour)) // h=1.8: 4+.8·47
	if str(rt.Tier) != TierHigh {                              // 4h < 1 day
		t.Errorf("recovery tier %s, want high", str(rt.Tier))
	}

	// Time to restore: incidents resolved in the window: 3h and 27h.
	if rep.TimeToRestore.Count != 2 {
		t.Errorf("time to restore count %d, want 2", rep.TimeToRestore.Count)
	}
	checkFloat(t, "time to restore", rep.TimeToRestore.MedianSeconds, f(15*hour))
}

func TestDeriveThenCompute(t *testing.T) {
	// A, A (re-run), B, A over one week, one change each for A and B; an
	// incident on B at 7h resolved at 9h; the rollback to A is at 8h.
	a, b := merged(1, hr(0.5), "A"), merged(2, hr(5), "B")
	h := RepoHistory{
		Rules:   DefaultRepoRules(),
		Changes: []Change{a, b},
		Deployments: []Deployment{
			deployed(10, "A", hr(1)), withRange(deployed(11, "A", hr(2))),
			deployed(12, "B", hr(6), "B"), withRange(deployed(13, "A", hr(8))),
		},
		Incidents: []Incident{{ID: 5, CreatedAt: hr(7), ResolvedAt: hr(9)}},
	}
	out := Derive(h, DefaultRules())
	ds := Dataset{Changes: out.Changes, Deployments: out.Deployments, Incidents: out.Incidents}
	rep := computeBoth(t, ds, week0, DefaultRules(), hr(24*8))
	// Only B failed (incident and rollback) → 1 of 4; the rollback is rework.
	if rep.ChangeFailureRate.Failed != 1 || rep.ChangeFailureRate.Deployments != 4 || rep.ReworkRate.Rework != 1 {
		t.Errorf("CFR %+v, rework %+v", rep.ChangeFailureRate, rep.ReworkRate)
	}
	// B recovered at 8h by the rollback, before the incident closed: 2h.
	checkFloat(t, "recovery", rep.RecoveryTime.MedianSeconds, f(2*hour))
	// Lead: A merged 0.5h, first commit −11.5h, shipped 1h → 12.5h; B
	// 5h−12h = −7h first commit, shipped at 6h → 13h. Median 12.75h.
	checkFloat(t, "lead median", rep.LeadTime.MedianSeconds, f(12.75*hour))
}

func TestCI(t *testing.T) {
	run := func(id int64, conclusion string, started, finished time.Time) CIRun {
		return CIRun{ID: id, Status: "completed", Conclusion: conclusion, CreatedAt: started.Add(-time.Hour), StartedAt: started, FinishedAt: finished}
	}
	ds := Dataset{CIRuns: []CIRun{
		run(1, "success", hr(1), hr(1).Add(10*time.Minute)),    // 600 s (queued an hour before: not counted)
		run(2, "failure", hr(2), hr(2).Add(20*time.Minute)),    // 1200 s
		run(3, "cancelled", hr(3), hr(3).Add(time.Minute)),     // left out
		run(4, "neutral", hr(3), hr(3).Add(time.Minute)),       // left out
		run(5, "success", time.Time{}, hr(4)),                  // no start: in the rate only
		run(6, "success", hr(24*7), hr(24*7).Add(time.Minute)), // after the window
	}}
	ci := computeBoth(t, ds, week0, DefaultRules(), hr(24*8)).CI
	if ci.Runs != 3 {
		t.Errorf("runs = %d, want 3", ci.Runs)
	}
	checkFloat(t, "CI median", ci.MedianSeconds, f(900)) // [600 1200]
	checkFloat(t, "CI p90", ci.P90Seconds, f(1140))      // h=.9: 600+.9·600
	checkFloat(t, "CI success rate", ci.SuccessRate, f(2.0/3))
}

func TestOpenWork(t *testing.T) {
	now := hr(24 * 10)
	open := func(id int64, ready time.Time) Change {
		return Change{ID: id, Author: "alice", State: "open", CreatedAt: hr(0), ReadyAt: ready}
	}
	reviewed := open(2, hr(0))
	reviewed.FirstReviewAt = hr(30)
	draft := open(3, time.Time{})
	draft.Draft = true
	botPR := open(5, hr(0))
	botPR.Author = "renovate[bot]"
	mergedPR := open(6, hr(0))
	mergedPR.State = "merged"
	future := open(7, now.Add(time.Hour))
	future.CreatedAt = now.Add(time.Hour)
	ds := Dataset{Changes: []Change{
		open(1, hr(0)),                  // waiting 240h for a first review: stale
		reviewed,                        // reviewed: not stale
		draft,                           // open work, but not waiting for review
		open(4, now.Add(-24*time.Hour)), // ready a day ago: not stale yet
		open(8, now.Add(-48*time.Hour)), // exactly 48h: not longer than stale_review
		botPR,                           // a bot's: left out
		mergedPR,                        // not open
		future,                          // opened after now
	}}
	ow := computeBoth(t, ds, week0, DefaultRules(), now).OpenWork
	if ow.Open != 5 || ow.StaleReview != 1 {
		t.Errorf("open %d, stale %d; want 5 (1 2 3 4 8), 1 (1)", ow.Open, ow.StaleReview)
	}
	if stale := StaleChanges(ds, DefaultRules(), now); len(stale) != 1 || stale[0].ID != 1 {
		t.Errorf("stale = %+v", stale)
	}
}

func TestLeadTimeRowsEdges(t *testing.T) {
	ship := func(c Change) Change { c.DeploymentID, c.DeployedAt = 9, hr(10); return c }
	ds := Dataset{Changes: []Change{
		// First commit exactly at the deployment: lead 0 is dropped.
		ship(Change{ID: 1, Author: "a", FirstCommitAt: hr(10), CreatedAt: hr(10), ReadyAt: hr(10), MergedAt: hr(10)}),
		// No ReadyAt from the provider, not a draft: ready = CreatedAt, so
		// coding = 3h − 1h = 2h.
		ship(Change{ID: 2, Author: "a", FirstCommitAt: hr(1), CreatedAt: hr(3), MergedAt: hr(5)}),
		// No ReadyAt on a draft: no coding part (and no pickup).
		ship(Change{ID: 3, Author: "a", Draft: true, FirstCommitAt: hr(1), CreatedAt: hr(3), FirstReviewAt: hr(4), MergedAt: hr(5)}),
	}}
	rows := LeadTimeRows(ds, week0, DefaultRules())
	if len(rows) != 2 || rows[0].Change.ID != 2 || rows[1].Change.ID != 3 {
		t.Fatalf("rows = %+v, want changes 2 and 3", rows)
	}
	if c := rows[0].Coding; !c.Known || c.Duration != 2*time.Hour {
		t.Errorf("coding with no ReadyAt = %+v, want 2h from CreatedAt", c)
	}
	if r := rows[1]; r.Coding.Known || r.Pickup.Known || !r.Review.Known || r.Review.Duration != time.Hour {
		t.Errorf("draft with no ReadyAt: %+v", r)
	}
}
