package metrics

import (
	"github.com/tach-dev/tach/metrics/stats"
	"time"
)

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
	f.PerWeek = perWeek(len(production), w, r.Timezone())
	f.DeployDaysPerWeekMedian = stats.MedianOrNil(deployDayCounts(DeployDaysPerWeek(ds, w, r)))
	f.DeployDaysPerMonthMedian = stats.MedianOrNil(deployDayCounts(DeployDaysPerMonth(ds, w, r)))
	f.Tier = DeploymentFrequencyTier(f.DeployDaysPerWeekMedian, f.DeployDaysPerMonthMedian)
	return f
}

func deployDayCounts(rows []DeployDays) []float64 {
	out := make([]float64, len(rows))
	for i, row := range rows {
		out[i] = float64(row.Days)
	}
	return out
}

// perWeek is count ÷ window days × 7, with calendar days of loc (WindowDays);
// nil for an empty count or window.
func perWeek(count int, w Window, loc *time.Location) *float64 {
	days := WindowDays(w, loc)
	if count == 0 || days <= 0 {
		return nil
	}
	return stats.FloatOrNil(float64(count)/days*7, true)
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
	return Throughput{Merged: len(merged), PerWeek: perWeek(len(merged), w, loc)}
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
