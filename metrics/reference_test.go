package metrics

import (
	"testing"
	"time"

	"github.com/tach-dev/tach/metrics/stats"
)

// The reference implementation: every measure of docs/metrics.md computed
// the plain way, from rows, each figure from the row functions the pages
// list under it. Production computes reports from facts (ComputeFacts,
// WeeklyFacts, the engine's aggregates over rollups); the tests hold every
// one of those to these, value for value (TestComputeFactsIsCompute, the
// demo in reference_demo_test.go, and every hand-made case through
// computeBoth). A change to a rule is made in both places, and the tests
// say when they disagree.

// Compute returns every measure of docs/metrics.md for one scope and window,
// from rows Derive has annotated. now is the present, for open work. The
// caller fills Scope.Repos and Scope.Team.
//
// A value with nothing to compute it from is nil (null, "–"), never 0; counts
// are plain ints and may be 0. Each figure is built from one of the exported
// row functions (LeadTimeRows, ProductionDeployments, ...), so the UI can
// show the rows behind it.
func Compute(ds Dataset, w Window, r Rules, now time.Time) Report {
	loc := r.Timezone()
	production := ProductionDeployments(ds, w)
	timings := LeadTimeRows(ds, w, r)
	merged := MergedChanges(ds, w, r)
	return Report{
		Scope: Scope{
			From:     w.From.In(loc).Format(time.DateOnly),
			To:       w.To.In(loc).Format(time.DateOnly),
			Timezone: loc.String(),
		},
		DeploymentFrequency: deploymentFrequency(ds, w, r, production),
		LeadTime:            leadTime(timings),
		ChangeFailureRate:   changeFailureRate(production),
		RecoveryTime:        recoveryTime(ds, w),
		TimeToRestore:       timeToRestore(ds, w),
		ReworkRate:          reworkRate(production),
		CycleTime:           cycleTime(timings),
		Throughput:          throughput(merged, w, loc),
		PRSize:              prSize(merged),
		CI:                  ciSummary(CIRunsIn(ds, w)),
		OpenWork: OpenWork{
			Open:        len(OpenChanges(ds, r, now)),
			StaleReview: len(StaleChanges(ds, r, now)),
		},
	}
}

// deploymentFrequency: a window with no production deployment has no
// frequency (nil rates, medians and tier; count 0), since tach cannot tell
// "did not deploy" from "deployments are not configured for this repo".
func deploymentFrequency(ds Dataset, w Window, r Rules, production []Deployment) DeploymentFrequency {
	failed := len(FailedAttempts(ds, w))
	f := DeploymentFrequency{
		Deployments:    len(production),
		FailedAttempts: failed,
		SuccessRate:    stats.RateOrNil(len(production), len(production)+failed),
	}
	if len(production) == 0 {
		return f
	}
	f.PerWeek = perWeek(len(production), w.withData(), r.Timezone())
	f.DeployDaysPerWeekMedian = stats.MedianOrNil(deployDayCounts(DeployDaysPerWeek(ds, w, r)))
	f.DeployDaysPerMonthMedian = stats.MedianOrNil(deployDayCounts(DeployDaysPerMonth(ds, w, r)))
	f.Tier = DeploymentFrequencyTier(f.DeployDaysPerWeekMedian, f.DeployDaysPerMonthMedian)
	return f
}

// DeployDaysPerMonth returns, for each calendar month wholly inside w (or
// each 4-week block from w.From when none is), its deploy days: the rows
// behind deploy_days_per_month_median.
func DeployDaysPerMonth(ds Dataset, w Window, r Rules) []DeployDays {
	return deployDaysIn(ds, MonthsOrFourWeekBlocks(w.withData(), r.Timezone()), r.Timezone())
}

func deployDayCounts(rows []DeployDays) []float64 {
	out := make([]float64, len(rows))
	for i, row := range rows {
		out[i] = float64(row.Days)
	}
	return out
}

func leadTime(rows []ChangeTiming) LeadTime {
	secs := make([]float64, len(rows))
	for i, row := range rows {
		secs[i] = row.LeadTime.Seconds()
	}
	median := stats.MedianOrNil(secs)
	return LeadTime{
		Count:         len(secs),
		MedianSeconds: median,
		P75Seconds:    stats.PercentileOrNil(secs, 0.75),
		P90Seconds:    stats.PercentileOrNil(secs, 0.90),
		MeanSeconds:   stats.MeanOrNil(secs),
		Tier:          LeadTimeTier(median),
	}
}

func cycleTime(rows []ChangeTiming) CycleTime {
	part := func(of func(ChangeTiming) PartDuration) CyclePart {
		var secs []float64
		for _, row := range rows {
			if p := of(row); p.Known {
				secs = append(secs, p.Duration.Seconds())
			}
		}
		return CyclePart{Count: len(secs), MedianSeconds: stats.MedianOrNil(secs), P75Seconds: stats.PercentileOrNil(secs, 0.75)}
	}
	return CycleTime{
		Coding: part(func(t ChangeTiming) PartDuration { return t.Coding }),
		Pickup: part(func(t ChangeTiming) PartDuration { return t.Pickup }),
		Review: part(func(t ChangeTiming) PartDuration { return t.Review }),
		Deploy: part(func(t ChangeTiming) PartDuration { return t.Deploy }),
	}
}

func changeFailureRate(production []Deployment) ChangeFailureRate {
	failed := 0
	for _, d := range production {
		if d.Failed {
			failed++
		}
	}
	rate := stats.RateOrNil(failed, len(production))
	return ChangeFailureRate{Failed: failed, Deployments: len(production), Rate: rate, Tier: ChangeFailureRateTier(rate)}
}

func recoveryTime(ds Dataset, w Window) RecoveryTime {
	rows := RecoveryRows(ds, w)
	secs := make([]float64, len(rows))
	for i, row := range rows {
		secs[i] = row.Duration.Seconds()
	}
	median := stats.MedianOrNil(secs)
	return RecoveryTime{
		Count:         len(secs),
		MedianSeconds: median,
		P75Seconds:    stats.PercentileOrNil(secs, 0.75),
		P90Seconds:    stats.PercentileOrNil(secs, 0.90),
		Tier:          RecoveryTimeTier(median),
		OpenIncidents: len(OpenIncidents(ds, w)),
	}
}

func timeToRestore(ds Dataset, w Window) TimeToRestore {
	rows := TimeToRestoreRows(ds, w)
	secs := make([]float64, len(rows))
	for i, row := range rows {
		secs[i] = row.Duration.Seconds()
	}
	return TimeToRestore{Count: len(secs), MedianSeconds: stats.MedianOrNil(secs)}
}

func reworkRate(production []Deployment) ReworkRate {
	rework := 0
	for _, d := range production {
		if d.Rework {
			rework++
		}
	}
	return ReworkRate{Rework: rework, Deployments: len(production), Rate: stats.RateOrNil(rework, len(production))}
}

// throughput: like deployment frequency, no merged change means no rate.
func throughput(merged []Change, w Window, loc *time.Location) Throughput {
	return Throughput{Merged: len(merged), PerWeek: perWeek(len(merged), w.withData(), loc)}
}

func prSize(merged []Change) PRSize {
	var lines []float64
	for _, c := range merged {
		if n, ok := PRSizeLines(c); ok {
			lines = append(lines, float64(n))
		}
	}
	return PRSize{Count: len(lines), MedianLines: stats.MedianOrNil(lines), P75Lines: stats.PercentileOrNil(lines, 0.75)}
}

func ciSummary(runs []CIRun) CI {
	var secs []float64
	succeeded := 0
	for _, run := range runs {
		if d, ok := CIRunDuration(run); ok {
			secs = append(secs, d.Seconds())
		}
		if ciSucceeded(run) {
			succeeded++
		}
	}
	return CI{
		Runs:          len(runs),
		MedianSeconds: stats.MedianOrNil(secs),
		P90Seconds:    stats.PercentileOrNil(secs, 0.90),
		SuccessRate:   stats.RateOrNil(succeeded, len(runs)),
	}
}

// Weekly computes a report for each week of w's weekly series, in order:
// its whole weeks and the part weeks at its ends. A week is computed
// exactly as a window of its days would be, so week figures and the
// window's figure agree on what each counts (medians of weeks are not the
// window's median, of course).
func Weekly(ds Dataset, w Window, r Rules, now time.Time) []WeekReport {
	weeks := SeriesWeeks(w, r.Timezone())
	out := make([]WeekReport, 0, len(weeks))
	for _, week := range weeks {
		out = append(out, WeekReport{Start: week.From, End: week.To, Partial: Partial(week, r.Timezone()), Report: Compute(ds, week, r, now)})
	}
	return out
}

// computeBoth is the report of ds over w from its facts, as production
// computes it, after checking that the reference computes the same, JSON
// byte for byte.
func computeBoth(t *testing.T, ds Dataset, w Window, r Rules, now time.Time) Report {
	t.Helper()
	got := ComputeFacts(FactsOf(ds, r), w, r, now)
	if g, want := reportJSON(t, got), reportJSON(t, Compute(ds, w, r, now)); g != want {
		t.Fatalf("window %v–%v: from facts and from rows differ:\nfacts %s\nrows  %s", w.From, w.To, g, want)
	}
	return got
}

// weeklyBoth is WeeklyFacts over ds's facts after checking that the
// reference's Weekly is the same.
func weeklyBoth(t *testing.T, ds Dataset, w Window, r Rules, now time.Time) []WeekReport {
	t.Helper()
	got := WeeklyFacts(FactsOf(ds, r), w, r, now)
	want := Weekly(ds, w, r, now)
	if len(got) != len(want) {
		t.Fatalf("%d weeks from facts, %d from rows", len(got), len(want))
	}
	for i := range want {
		if g, wj := reportJSON(t, got[i].Report), reportJSON(t, want[i].Report); !got[i].Start.Equal(want[i].Start) || !got[i].End.Equal(want[i].End) || got[i].Partial != want[i].Partial || g != wj {
			t.Fatalf("week %d from facts and from rows differ:\nfacts %v %s\nrows  %v %s", i, got[i].Start, g, want[i].Start, wj)
		}
	}
	return got
}
