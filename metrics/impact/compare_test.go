package impact_test

import (
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tach-dev/tach/metrics"
	"github.com/tach-dev/tach/metrics/impact"
	"github.com/tach-dev/tach/metrics/render"
)

// The compare engine on synthetic data: a team's deployments, changes,
// failures, incidents and CI runs drawn from known distributions, with or
// without an effect after the break.

// team is how a synthetic team works.
type team struct {
	deploysPerWeek float64 // mean production deployments a week
	weekSigma      float64 // log-sd of each week's rate around it: over-dispersion
	extraChanges   float64 // changes a deployment ships: 1 + Poisson(extraChanges)
	coding         time.Duration
	pickup         time.Duration
	review         time.Duration
	deploy         time.Duration
	sigma          float64 // log-sd of every duration
	size           float64 // median PR size, lines
	failP, reworkP float64
	recovery       time.Duration
	ciPerWeek      float64
	ci             time.Duration
}

var baseline = team{
	deploysPerWeek: 8, weekSigma: 0.3, extraChanges: 0.8,
	coding: 10 * time.Hour, pickup: 3 * time.Hour, review: 6 * time.Hour, deploy: 5 * time.Hour, sigma: 1,
	size: 110, failP: 0.15, reworkP: 0.1, recovery: 3 * time.Hour, ciPerWeek: 20, ci: 9 * time.Minute,
}

func poisson(rng *rand.Rand, lambda float64) int {
	if lambda > 60 {
		return max(0, int(math.Round(lambda+math.Sqrt(lambda)*rng.NormFloat64())))
	}
	l, k, p := math.Exp(-lambda), 0, 1.0
	for {
		p *= rng.Float64()
		if p <= l {
			return k
		}
		k++
	}
}

func lognormal(rng *rand.Rand, median time.Duration, sigma float64) time.Duration {
	return time.Duration(float64(median) * math.Exp(sigma*rng.NormFloat64()))
}

// synth writes what tm does in [from, to) into ds; ids continue from *next.
func synth(rng *rand.Rand, ds *metrics.Dataset, tm team, from, to time.Time, next *int64) {
	id := func() int64 { *next++; return *next }
	for week := from; week.Before(to); week = week.AddDate(0, 0, 7) {
		end := week.AddDate(0, 0, 7)
		if end.After(to) {
			end = to
		}
		span := end.Sub(week)
		rate := tm.deploysPerWeek * math.Exp(tm.weekSigma*rng.NormFloat64()-tm.weekSigma*tm.weekSigma/2) * span.Hours() / (7 * 24)
		for range poisson(rng, rate) {
			at := week.Add(time.Duration(rng.Float64() * float64(span)))
			d := metrics.Deployment{ID: id(), Environment: "production", Status: metrics.StatusSuccess,
				CreatedAt: at.Add(-5 * time.Minute), FinishedAt: at, Production: true}
			if rng.Float64() < tm.failP {
				d.Failed, d.FailureCause = true, "incident"
				d.RecoveredAt, d.RecoveredBy = at.Add(10*time.Minute+lognormal(rng, tm.recovery, tm.sigma)), "incident_resolved"
				ds.Incidents = append(ds.Incidents, metrics.Incident{ID: id(), Title: "outage", CreatedAt: at.Add(10 * time.Minute),
					ResolvedAt: d.RecoveredAt, DeploymentID: d.ID})
			}
			d.Rework = rng.Float64() < tm.reworkP
			for range 1 + poisson(rng, tm.extraChanges) {
				merged := at.Add(-lognormal(rng, tm.deploy, tm.sigma))
				review := merged.Add(-lognormal(rng, tm.review, tm.sigma))
				ready := review.Add(-lognormal(rng, tm.pickup, tm.sigma))
				first := ready.Add(-lognormal(rng, tm.coding, tm.sigma))
				size := int(math.Round(tm.size * math.Exp(tm.sigma*rng.NormFloat64())))
				c := metrics.Change{ID: id(), Title: "feature", Author: "dev", State: "merged",
					CreatedAt: ready, ReadyAt: ready, FirstCommitAt: first, FirstReviewAt: review, MergedAt: merged,
					Additions: size, SizeKnown: true, DeploymentID: d.ID, DeployedAt: at}
				d.ChangeIDs = append(d.ChangeIDs, c.ID)
				ds.Changes = append(ds.Changes, c)
			}
			ds.Deployments = append(ds.Deployments, d)
		}
		for range poisson(rng, tm.ciPerWeek*span.Hours()/(7*24)) {
			start := week.Add(time.Duration(rng.Float64() * float64(span)))
			ds.CIRuns = append(ds.CIRuns, metrics.CIRun{ID: id(), Name: "ci", Status: "completed", Conclusion: "success",
				CreatedAt: start, StartedAt: start, FinishedAt: start.Add(lognormal(rng, tm.ci, 0.4))})
		}
	}
}

// T is the synthetic decision's date, a Monday.
var T = time.Date(2025, 6, 2, 0, 0, 0, 0, time.UTC)

// beforeAfter builds a comparison of W weeks either side of T, with before
// and after drawn from the two team descriptions.
func beforeAfter(seed uint64, before, after team, weeks int, resamples int) impact.Comparison {
	rng := rand.New(rand.NewPCG(seed, 42))
	var ds metrics.Dataset
	var next int64
	from, to := T.AddDate(0, 0, -7*weeks), T.AddDate(0, 0, 7*weeks)
	synth(rng, &ds, before, from, T, &next)
	synth(rng, &ds, after, T, to, &next)
	return explained(
		impact.CompareSide{Label: "before", Dataset: ds, Window: metrics.Window{From: from, To: T}},
		impact.CompareSide{Label: "after", Dataset: ds, Window: metrics.Window{From: T, To: to}},
		impact.CompareOptions{Kind: impact.CompareDate, Rules: metrics.DefaultRules(), Break: T, Resamples: resamples},
	)
}

// explained is Compare with its words written, as the engine gives it.
func explained(before, after impact.CompareSide, opt impact.CompareOptions) impact.Comparison {
	c, err := impact.Compare(before, after, opt)
	if err != nil {
		panic(err) // no Stop: Compare cannot fail
	}
	render.Explain(&c)
	return c
}

func measure(t *testing.T, c impact.Comparison, key string) impact.MeasureComparison {
	t.Helper()
	for _, m := range c.Measures {
		if m.Key == key {
			return m
		}
	}
	t.Fatalf("no measure %q", key)
	return impact.MeasureComparison{}
}

func TestCompareFindsAKnownEffect(t *testing.T) {
	// After the break: pickup and review take a quarter as long (lead time
	// falls by about a quarter), the team deploys twice as often (and so
	// merges twice as much), and PRs grow by half; failures, rework,
	// recovery, coding, deploy and CI time do not change. Over 20 data sets
	// the effects must be found in the right direction nearly every time
	// and never in the wrong one, and the measures with no effect must be
	// flagged about as rarely as the 95 % interval promises.
	after := baseline
	after.pickup, after.review = baseline.pickup/4, baseline.review/4
	after.deploysPerWeek = 2 * baseline.deploysPerWeek
	after.size = 1.5 * baseline.size
	effects := map[string]string{
		"lead_time":            impact.VerdictImproved,
		"pickup_time":          impact.VerdictImproved,
		"review_time":          impact.VerdictImproved,
		"deployment_frequency": impact.VerdictImproved,
		"throughput":           impact.VerdictImproved,
		"pr_size":              impact.VerdictWorsened,
	}
	const sets = 20
	found := map[string]int{}
	flagged := 0
	for seed := range sets {
		c := beforeAfter(uint64(100+seed), baseline, after, 8, 0)
		for _, m := range c.Measures {
			want, isEffect := effects[m.Key]
			switch {
			case isEffect && m.Verdict == want:
				found[m.Key]++
			case isEffect && m.Verdict != impact.VerdictNoClearChange:
				t.Errorf("seed %d: %s in the wrong direction: %s", seed, m.Key, m.Summary)
			case !isEffect && (m.Verdict == impact.VerdictImproved || m.Verdict == impact.VerdictWorsened):
				flagged++
			}
		}
		if seed == 0 {
			t.Log(c.Summary)
			lt := measure(t, c, "lead_time")
			if *lt.Difference >= 0 || *lt.Interval.High >= 0 || *lt.RelativeChange > -0.15 || *lt.PValue > 0.01 {
				t.Errorf("lead time: %s", lt.Summary)
			}
			if lt.ITS == nil || lt.ITS.LevelChange >= 0 {
				t.Errorf("the interrupted time series misses the drop in lead time: %+v", lt.ITS)
			}
			df := measure(t, c, "deployment_frequency")
			if df.Interval.Of != "ratio" || *df.RelativeChange < 0.5 || *df.Interval.High < 2 {
				t.Errorf("deployment frequency: %s", df.Summary)
			}
			if !strings.HasPrefix(c.Summary, "Lead time fell from ") || !strings.Contains(c.Summary, "; pickup time fell from ") ||
				!strings.Contains(c.Summary, "PR size rose from ") || !strings.Contains(c.Summary, "no clear change in ") {
				t.Errorf("summary: %s", c.Summary)
			}
		}
	}
	for key := range effects {
		t.Logf("%-22s effect found in %d/%d data sets", key, found[key], sets)
		// The power to see each effect with 8 weeks a side: durations that
		// halve are always seen; a doubled weekly rate of an over-dispersed
		// count, or PRs half as large again, most of the time.
		need := map[string]int{"deployment_frequency": 15, "throughput": 15, "pr_size": 12}[key]
		if need == 0 {
			need = 19
		}
		if found[key] < need {
			t.Errorf("%s: effect found in %d of %d data sets, want at least %d", key, found[key], sets, need)
		}
	}
	// 7 unaffected measures × 20 sets = 140 verdicts; at 5 % about 7 are
	// expected, and more than 15 has a chance under 0.5 %.
	t.Logf("unaffected measures flagged: %d/140", flagged)
	if flagged > 15 {
		t.Errorf("%d of 140 verdicts on unaffected measures claim a change", flagged)
	}
}

func TestCompareWithNoEffect(t *testing.T) {
	c := beforeAfter(2, baseline, baseline, 8, 0)
	for _, m := range c.Measures {
		if m.Verdict != impact.VerdictNoClearChange {
			t.Errorf("%s: %s", m.Key, m.Summary)
		}
		if m.Interval == nil || m.PValue == nil || m.Before == nil || m.After == nil {
			t.Errorf("%s: missing values: %+v", m.Key, m)
		}
	}
	if !strings.HasPrefix(c.Summary, "No clear change in lead time, deployment frequency, change failure rate") {
		t.Errorf("summary: %s", c.Summary)
	}
}

func TestCompareIsDeterministic(t *testing.T) {
	a := beforeAfter(3, baseline, baseline, 8, 0)
	b := beforeAfter(3, baseline, baseline, 8, 0)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("two runs differ")
	}
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if string(ja) != string(jb) {
		t.Fatal("JSON differs")
	}
}

func TestCompareNotEnoughData(t *testing.T) {
	quiet := baseline
	quiet.deploysPerWeek, quiet.ciPerWeek, quiet.failP = 0.3, 0.2, 0
	c := beforeAfter(4, quiet, quiet, 8, 0)
	for _, key := range []string{"lead_time", "change_failure_rate", "recovery_time", "ci_duration"} {
		if m := measure(t, c, key); m.Verdict != impact.VerdictNotEnoughData || m.Interval != nil || m.PValue != nil {
			t.Errorf("%s: %+v", key, m)
		}
	}
	// Frequency needs 5 weeks on each side, not 5 deployments: 8 quiet
	// weeks are enough to say there is no clear change.
	if m := measure(t, c, "deployment_frequency"); m.NBefore != 8 || m.Verdict == impact.VerdictNotEnoughData {
		t.Errorf("deployment frequency: %+v", m)
	}
	// Four weeks are not.
	c = beforeAfter(4, baseline, baseline, 4, 0)
	if m := measure(t, c, "deployment_frequency"); m.Verdict != impact.VerdictNotEnoughData || m.NBefore != 4 {
		t.Errorf("4 weeks: %+v", m)
	}
	if m := measure(t, c, "lead_time"); !strings.Contains(measure(t, c, "recovery_time").Summary, "needed on each side") && m.Verdict == "" {
		t.Error("no summary")
	}
}

func TestCompareTrendGuard(t *testing.T) {
	// Review time shrinks week by week through both windows, with no step
	// at the break: the plain comparison says "improved", and the trend
	// guard must say it was already falling; the interrupted time series
	// finds no level change.
	rng := rand.New(rand.NewPCG(9, 9))
	var ds metrics.Dataset
	var next int64
	from, to := T.AddDate(0, 0, -56), T.AddDate(0, 0, 56)
	for week := from; week.Before(to); week = week.AddDate(0, 0, 7) {
		k := week.Sub(from).Hours() / (24 * 7)
		tm := baseline
		tm.sigma = 0.3
		tm.deploysPerWeek = 10
		tm.review = time.Duration(float64(20*time.Hour) * (1 - 0.055*k))
		synth(rng, &ds, tm, week, week.AddDate(0, 0, 7), &next)
	}
	c := explained(
		impact.CompareSide{Label: "before", Dataset: ds, Window: metrics.Window{From: from, To: T}},
		impact.CompareSide{Label: "after", Dataset: ds, Window: metrics.Window{From: T, To: to}},
		impact.CompareOptions{Kind: impact.CompareDecision, Rules: metrics.DefaultRules(), Break: T},
	)
	m := measure(t, c, "review_time")
	if m.Verdict != impact.VerdictImproved {
		t.Fatalf("review time: %s", m.Summary)
	}
	if m.PreTrend == nil || !m.PreTrend.Significant || m.PreTrend.SlopePerWeek >= 0 || !m.PreTrend.SameDirection {
		t.Fatalf("trend guard: %+v", m.PreTrend)
	}
	if !strings.Contains(m.Summary, "already falling before") || !strings.Contains(m.Summary, "so part of this change may be that trend") {
		t.Errorf("summary: %s", m.Summary)
	}
	if m.ITS == nil || m.ITS.LevelInterval.Low == nil || *m.ITS.LevelInterval.Low > 0 || *m.ITS.LevelInterval.High < 0 {
		t.Errorf("ITS should see no level change: %+v", m.ITS)
	}
	if len(m.Weekly) != 16 || m.Weekly[0].Week != -8 || m.Weekly[8].Week != 0 || m.Weekly[8].Side != "after" {
		t.Errorf("weekly: %+v", m.Weekly)
	}
	if !strings.Contains(strings.Join(c.Notes, " "), "Already trending before the decision: ") || !strings.Contains(strings.Join(c.Notes, " "), "review time") {
		t.Errorf("notes: %v", c.Notes)
	}
}

func TestComparePartialAfterWindow(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	var ds metrics.Dataset
	var next int64
	from, now := T.AddDate(0, 0, -56), T.AddDate(0, 0, 20).Add(13*time.Hour)
	synth(rng, &ds, baseline, from, now, &next)
	c := explained(
		impact.CompareSide{Label: "before", Dataset: ds, Window: metrics.Window{From: from, To: T}},
		impact.CompareSide{Label: "after", Dataset: ds, Window: metrics.Window{From: T, To: now},
			Planned: metrics.Window{From: T, To: T.AddDate(0, 0, 56)}},
		impact.CompareOptions{Kind: impact.CompareDate, Rules: metrics.DefaultRules(), Break: T},
	)
	if !c.Partial || !c.After.Partial || c.After.Weeks != 2 || c.After.To != "2025-07-28" || c.After.CutAt == nil {
		t.Fatalf("after: %+v", c.After)
	}
	if !strings.HasPrefix(c.Summary, "The after side is partial (21 of 56 days so far). ") {
		t.Errorf("summary: %s", c.Summary)
	}
	// Two whole weeks: not enough for a rate.
	if m := measure(t, c, "deployment_frequency"); m.Verdict != impact.VerdictNotEnoughData {
		t.Errorf("deployment frequency: %s", m.Summary)
	}
	// The rate is still per measured day, not per planned day.
	if m := measure(t, c, "deployment_frequency"); m.After == nil || *m.After < 2 {
		t.Errorf("after rate: %v", m.After)
	}
}

func TestCompareScopesWording(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 6))
	var a, b metrics.Dataset
	var next int64
	from, to := T.AddDate(0, 0, -84), T
	slow := baseline
	slow.pickup, slow.review = 4*baseline.pickup, 4*baseline.review
	synth(rng, &a, slow, from, to, &next)
	synth(rng, &b, baseline, from, to, &next)
	w := metrics.Window{From: from, To: to}
	c := explained(
		impact.CompareSide{Label: "team monolith", Dataset: a, Window: w},
		impact.CompareSide{Label: "team services", Dataset: b, Window: w},
		impact.CompareOptions{Kind: impact.CompareScopes, Rules: metrics.DefaultRules()},
	)
	m := measure(t, c, "review_time")
	if m.Verdict != impact.VerdictImproved || !strings.HasPrefix(m.Summary, "Review time is lower in team services than in team monolith: ") {
		t.Errorf("review time: %s", m.Summary)
	}
	if m.PreTrend != nil || m.ITS != nil || c.At != nil {
		t.Error("a comparison of scopes has no break, trend guard or ITS")
	}
}

// TestCompareStops: a comparison asked to stop part-way returns Stop's
// error at once, wherever it is — observing the weeks, between measures,
// inside a bootstrap — and asks nothing more: a server's request that
// went away costs no more work.
func TestCompareStops(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 42))
	var ds metrics.Dataset
	var next int64
	from, to := T.AddDate(0, 0, -7*26), T.AddDate(0, 0, 7*26)
	synth(rng, &ds, baseline, from, to, &next)
	sides := func() (impact.CompareSide, impact.CompareSide) {
		return impact.CompareSide{Label: "before", Dataset: ds, Window: metrics.Window{From: from, To: T}},
			impact.CompareSide{Label: "after", Dataset: ds, Window: metrics.Window{From: T, To: to}}
	}
	// How often a whole comparison asks.
	asked := 0
	b, a := sides()
	if _, err := impact.Compare(b, a, impact.CompareOptions{Kind: impact.CompareDate, Rules: metrics.DefaultRules(), Break: T,
		Stop: func() error { asked++; return nil }}); err != nil {
		t.Fatal(err)
	}
	// 52 weeks observed, and every 64th of 2,000 resamples of the medians.
	if asked < 52+32*5 {
		t.Fatalf("a whole comparison asked to stop %d times; want every week and every few dozen resamples", asked)
	}
	stopped := errors.New("the client went away")
	for _, at := range []int{1, 27, 60, asked / 2, asked} {
		calls, after := 0, 0
		b, a := sides()
		_, err := impact.Compare(b, a, impact.CompareOptions{Kind: impact.CompareDate, Rules: metrics.DefaultRules(), Break: T,
			Stop: func() error {
				calls++
				if calls > at {
					after++
				}
				if calls >= at {
					return stopped
				}
				return nil
			}})
		if !errors.Is(err, stopped) {
			t.Errorf("stopped at step %d: err %v, want Stop's", at, err)
		}
		if after > 0 {
			t.Errorf("stopped at step %d: %d more steps ran after Stop said to stop", at, after)
		}
	}
}

func TestCleanWindowDays(t *testing.T) {
	at := time.Date(2026, 4, 6, 0, 0, 0, 0, time.UTC)
	day := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d }
	for _, c := range []struct {
		gap   int
		dates []string
		want  int
	}{
		{0, []string{"2026-03-16"}, 21},               // before: [Mar 16, Apr 6) starts on it
		{0, []string{"2026-03-17"}, 14},               // 20 days of room: whole weeks only
		{0, []string{"2026-05-18", "2026-03-02"}, 35}, // the nearer one bounds it
		{7, []string{"2026-04-27"}, 14},               // after: [Apr 13, Apr 27) ends on it
		{0, []string{"2026-04-06"}, 0},                // the same day: nothing separates them
		{0, []string{"2026-04-09"}, 0},                // under a week of room
		{0, nil, 0},
	} {
		var dates []time.Time
		for _, d := range c.dates {
			dates = append(dates, day(d))
		}
		if got := impact.CleanWindowDays(at, c.gap, dates); got != c.want {
			t.Errorf("gap %d, %v: %d, want %d", c.gap, c.dates, got, c.want)
		}
	}
}

// A comparison read from facts (what the engine reads from the rollups)
// is the comparison read from the rows, JSON byte for byte: the facts
// hold the same values, and no statistic depends on their order.
func TestCompareFromFactsIsFromRows(t *testing.T) {
	for seed := range uint64(4) {
		rng := rand.New(rand.NewPCG(seed, 42))
		var ds metrics.Dataset
		var next int64
		weeks := 6 + int(seed)*3
		from, to := T.AddDate(0, 0, -7*weeks), T.AddDate(0, 0, 7*weeks)
		synth(rng, &ds, baseline, from, T, &next)
		synth(rng, &ds, baseline, T, to, &next)
		// The store keeps whole seconds; some changes are bots', some
		// CI runs not finished or cancelled.
		sec := func(t *time.Time) { *t = t.Truncate(time.Second) }
		for i := range ds.Changes {
			c := &ds.Changes[i]
			for _, t := range []*time.Time{&c.CreatedAt, &c.ReadyAt, &c.FirstCommitAt, &c.FirstReviewAt, &c.MergedAt, &c.DeployedAt} {
				sec(t)
			}
			if i%7 == 0 {
				c.Author = "renovate[bot]"
			}
		}
		for i := range ds.Deployments {
			d := &ds.Deployments[i]
			for _, t := range []*time.Time{&d.CreatedAt, &d.FinishedAt, &d.RecoveredAt} {
				sec(t)
			}
		}
		for i := range ds.Incidents {
			sec(&ds.Incidents[i].CreatedAt)
			sec(&ds.Incidents[i].ResolvedAt)
		}
		for i := range ds.CIRuns {
			r := &ds.CIRuns[i]
			for _, t := range []*time.Time{&r.CreatedAt, &r.StartedAt, &r.FinishedAt} {
				sec(t)
			}
			switch i % 11 {
			case 1:
				r.Conclusion = "cancelled"
			case 2:
				r.Conclusion = "failure"
			case 3:
				r.StartedAt = time.Time{}
			}
		}
		for _, rules := range []metrics.Rules{metrics.DefaultRules(), func() metrics.Rules { r := metrics.DefaultRules(); r.IncludeBotChanges = true; return r }()} {
			// The after side cut mid-week, at an instant that is not a whole second.
			cut := to.Add(-50*time.Hour - 300*time.Millisecond)
			measures := []string{"lead_time", "coding_time", "pickup_time", "review_time", "deploy_time", "ci_duration",
				"deployment_frequency", "throughput", "change_failure_rate", "rework_rate"}
			if !impact.FromFacts(measures) || impact.FromFacts(nil) || impact.FromFacts([]string{"lead_time", "pr_size"}) {
				t.Fatal("FromFacts")
			}
			opt := impact.CompareOptions{Kind: impact.ComparePeriods, Rules: rules, Break: T, Resamples: 400, Measures: measures}
			b := impact.CompareSide{Label: "A", Dataset: ds, Window: metrics.Window{From: from, To: T}}
			a := impact.CompareSide{Label: "B", Dataset: ds, Window: metrics.Window{From: T, To: cut}, Planned: metrics.Window{From: T, To: to}}
			fromRows := explained(b, a, opt)
			f := metrics.FactsOf(ds, rules)
			b.Dataset, a.Dataset, b.Facts, a.Facts = metrics.Dataset{}, metrics.Dataset{}, &f, &f
			fromFacts := explained(b, a, opt)
			jr, _ := json.Marshal(fromRows)
			jf, _ := json.Marshal(fromFacts)
			if string(jr) != string(jf) {
				i := 0
				for i < len(jr) && i < len(jf) && jr[i] == jf[i] {
					i++
				}
				lo := max(0, i-300)
				t.Fatalf("seed %d: differs at %d: from facts …%s…, from rows …%s…", seed, i, jf[lo:min(len(jf), i+80)], jr[lo:min(len(jr), i+80)])
			}
		}
	}
}
