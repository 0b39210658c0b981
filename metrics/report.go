package metrics

import "time"

// Report is every measure of docs/metrics.md for one scope and window. Its
// JSON is the machine output of `tach report metrics --format json` and of
// /api/v1/metrics: fields may be added, never renamed. A pointer is nil
// (JSON null) when the value cannot be computed, never 0.
type Report struct {
	Scope               Scope               `json:"scope"`
	DeploymentFrequency DeploymentFrequency `json:"deployment_frequency"`
	LeadTime            LeadTime            `json:"lead_time"`
	ChangeFailureRate   ChangeFailureRate   `json:"change_failure_rate"`
	RecoveryTime        RecoveryTime        `json:"recovery_time"`
	TimeToRestore       TimeToRestore       `json:"time_to_restore"`
	ReworkRate          ReworkRate          `json:"rework_rate"`
	CycleTime           CycleTime           `json:"cycle_time"`
	Throughput          Throughput          `json:"throughput"`
	PRSize              PRSize              `json:"pr_size"`
	CI                  CI                  `json:"ci"`
	OpenWork            OpenWork            `json:"open_work"`
	// PartialHistory is set when the window starts before the history
	// start of a repo in scope (docs/metrics.md, "Where history starts"):
	// tach does not hold all of that repo's records for part of it.
	PartialHistory *PartialHistory `json:"partial_history"`
}

// PartialHistory says which part of a report's window every repo in scope
// holds all its records for, and which repos' history starts later.
type PartialHistory struct {
	// CoveredFrom and CoveredTo are the part of the window inside every
	// scoped repo's history (RFC 3339); null when no part of it is.
	CoveredFrom *string            `json:"covered_from"`
	CoveredTo   *string            `json:"covered_to"`
	Repos       []RepoHistoryStart `json:"repos"` // the repos whose history does not cover the whole window
}

// RepoHistoryStart is when tach holds a repo's records from.
type RepoHistoryStart struct {
	Repo         string `json:"repo"`
	HistoryStart string `json:"history_start"` // RFC 3339
}

// Scope says what a report covers.
type Scope struct {
	Repos []string `json:"repos"`
	Team  *string  `json:"team"`
	// Modules are the scope's modules as REPO:NAME (only when it has any).
	Modules  []string `json:"modules,omitempty"`
	From     string   `json:"from"` // YYYY-MM-DD, inclusive
	To       string   `json:"to"`   // YYYY-MM-DD, exclusive
	Timezone string   `json:"timezone"`
}

// Tier names. Rework rate has none.
const (
	TierElite  = "elite"
	TierHigh   = "high"
	TierMedium = "medium"
	TierLow    = "low"
)

type DeploymentFrequency struct {
	Deployments              int      `json:"deployments"`
	PerWeek                  *float64 `json:"per_week"`
	DeployDaysPerWeekMedian  *float64 `json:"deploy_days_per_week_median"`
	DeployDaysPerMonthMedian *float64 `json:"deploy_days_per_month_median"`
	Tier                     *string  `json:"tier"`
	FailedAttempts           int      `json:"failed_attempts"`
	SuccessRate              *float64 `json:"deploy_success_rate"` // success ÷ (success + failed attempts)
}

type LeadTime struct {
	Count         int      `json:"count"`
	MedianSeconds *float64 `json:"median_seconds"`
	P75Seconds    *float64 `json:"p75_seconds"`
	P90Seconds    *float64 `json:"p90_seconds"`
	MeanSeconds   *float64 `json:"mean_seconds"`
	Tier          *string  `json:"tier"`
}

type ChangeFailureRate struct {
	Failed      int      `json:"failed"`
	Deployments int      `json:"deployments"`
	Rate        *float64 `json:"rate"`
	Tier        *string  `json:"tier"`
}

type RecoveryTime struct {
	Count         int      `json:"count"`
	MedianSeconds *float64 `json:"median_seconds"`
	P75Seconds    *float64 `json:"p75_seconds"`
	P90Seconds    *float64 `json:"p90_seconds"`
	Tier          *string  `json:"tier"`
	OpenIncidents int      `json:"open_incidents"`
}

type TimeToRestore struct {
	Count         int      `json:"count"`
	MedianSeconds *float64 `json:"median_seconds"`
}

type ReworkRate struct {
	Rework      int      `json:"rework"`
	Deployments int      `json:"deployments"`
	Rate        *float64 `json:"rate"`
}

type CyclePart struct {
	Count         int      `json:"count"`
	MedianSeconds *float64 `json:"median_seconds"`
	P75Seconds    *float64 `json:"p75_seconds"`
}

type CycleTime struct {
	Coding CyclePart `json:"coding"`
	Pickup CyclePart `json:"pickup"`
	Review CyclePart `json:"review"`
	Deploy CyclePart `json:"deploy"`
}

type Throughput struct {
	Merged  int      `json:"merged"`
	PerWeek *float64 `json:"per_week"`
}

type PRSize struct {
	Count       int      `json:"count"`
	MedianLines *float64 `json:"median_lines"`
	P75Lines    *float64 `json:"p75_lines"`
}

type CI struct {
	Runs          int      `json:"runs"`
	MedianSeconds *float64 `json:"median_seconds"`
	P90Seconds    *float64 `json:"p90_seconds"`
	SuccessRate   *float64 `json:"success_rate"`
}

type OpenWork struct {
	Open        int `json:"open"`
	StaleReview int `json:"stale_review"` // waiting for a first review longer than stale_review
}

// WeekReport is the report of one week (Monday to Monday in the rules'
// timezone) of a weekly series: the rows of the weekly review and of every
// trend chart. The first and last weeks of a window that does not start or
// end on a Monday are part weeks (SeriesWeeks): Start and End are where
// the week's part inside the window starts and ends, and Partial is set.
type WeekReport struct {
	Start   time.Time
	End     time.Time
	Partial bool
	Report  Report
	// NoHistory: no repo in scope holds all its records for the whole
	// week (the week is before their history start): its values are not
	// known, and charts show no data, never 0.
	NoHistory bool
	// PartialHistory: some repos in scope, not all, hold all their
	// records for the whole week; its values are of the records tach
	// holds.
	PartialHistory bool
}
