package metrics

import "time"

// The tier tables of docs/metrics.md. Rework rate has none (the reports
// publish none).

// TierRow is one line of a tier table, for the UI to show on hover.
type TierRow struct {
	Tier string `json:"tier"`
	Rule string `json:"rule"`
}

// TierTables holds each tiered measure's table, keyed by its Report JSON
// name, best tier first. The tier functions below implement exactly these.
var TierTables = map[string][]TierRow{
	"deployment_frequency": {
		{TierElite, "elite: deploys on ≥ 5 days in the median week"},
		{TierHigh, "high: deploys on ≥ 1 day in the median week"},
		{TierMedium, "medium: deploys on ≥ 1 day in the median month (calendar months wholly inside the window; 4-week blocks if none is)"},
		{TierLow, "low: less often"},
	},
	"lead_time": {
		{TierElite, "elite: median < 1 day"},
		{TierHigh, "high: median < 1 week"},
		{TierMedium, "medium: median < 30 days"},
		{TierLow, "low: median ≥ 30 days"},
	},
	"change_failure_rate": {
		{TierElite, "elite: ≤ 5 %"},
		{TierHigh, "high: ≤ 10 %"},
		{TierMedium, "medium: ≤ 15 %"},
		{TierLow, "low: > 15 %"},
	},
	"recovery_time": {
		{TierElite, "elite: median < 1 hour"},
		{TierHigh, "high: median < 1 day"},
		{TierMedium, "medium: median < 1 week"},
		{TierLow, "low: median ≥ 1 week"},
	},
}

const (
	day  = 24 * time.Hour
	week = 7 * day
)

// DeploymentFrequencyTier rates the weekly and monthly medians of deploy
// days. nil when the weekly median is nil (no whole week, or no deployment),
// and when only the monthly rule could decide but there is no whole month or
// 4-week block (a window shorter than 4 weeks cannot tell medium from low).
func DeploymentFrequencyTier(weeklyMedianDays, monthlyMedianDays *float64) *string {
	switch {
	case weeklyMedianDays == nil:
		return nil
	case *weeklyMedianDays >= 5:
		return tier(TierElite)
	case *weeklyMedianDays >= 1:
		return tier(TierHigh)
	case monthlyMedianDays == nil:
		return nil
	case *monthlyMedianDays >= 1:
		return tier(TierMedium)
	default:
		return tier(TierLow)
	}
}

// LeadTimeTier rates the median lead time in seconds; nil when it is nil.
func LeadTimeTier(medianSeconds *float64) *string {
	return durationTier(medianSeconds, day, week, 30*day)
}

// ChangeFailureRateTier rates a change failure rate in [0, 1]; nil when it
// is nil. The bounds are inclusive: exactly 5 % is elite.
func ChangeFailureRateTier(rate *float64) *string {
	switch {
	case rate == nil:
		return nil
	case *rate <= 0.05:
		return tier(TierElite)
	case *rate <= 0.10:
		return tier(TierHigh)
	case *rate <= 0.15:
		return tier(TierMedium)
	default:
		return tier(TierLow)
	}
}

// RecoveryTimeTier rates the median failed deployment recovery time in
// seconds; nil when it is nil.
func RecoveryTimeTier(medianSeconds *float64) *string {
	return durationTier(medianSeconds, time.Hour, day, week)
}

// durationTier: elite below the first bound, high below the second, medium
// below the third, low otherwise (bounds exclusive: exactly 1 day is high).
func durationTier(seconds *float64, elite, high, medium time.Duration) *string {
	switch {
	case seconds == nil:
		return nil
	case *seconds < elite.Seconds():
		return tier(TierElite)
	case *seconds < high.Seconds():
		return tier(TierHigh)
	case *seconds < medium.Seconds():
		return tier(TierMedium)
	default:
		return tier(TierLow)
	}
}

func tier(name string) *string { return &name }
