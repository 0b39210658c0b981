package metrics

import (
	"math"
	"slices"
)

// KeyComparison is one headline measure in one period against another: the
// overview's "change against the previous period" and the weekly review's
// "this week against the 4 weeks before". Its values come from the two
// reports; its verdict and the counts behind it from the tests of decision
// impact on the rows of both periods (impact.JudgeKeys), so it says what
// `tach report compare` says of the same periods.
type KeyComparison struct {
	Key           string   `json:"key"`  // the measure's name in the Report JSON
	Name          string   `json:"name"` // for people
	Unit          string   `json:"unit"` // per_week, seconds, rate or lines
	Value         *float64 `json:"value"`
	Baseline      *float64 `json:"baseline"`
	Diff          *float64 `json:"diff"`     // value − baseline
	Relative      *float64 `json:"relative"` // diff ÷ baseline; null when the baseline is 0 or null
	LowerIsBetter bool     `json:"lower_is_better"`
	// Direction is the verdict in the words it had before verdicts:
	// "better" when improved, "worse" when worsened, "same" for no clear
	// change, "" when there is not enough data or history. Deprecated:
	// read Verdict.
	Direction string `json:"direction"`

	// Verdict is improved, worsened or no clear change when the change was
	// tested, not enough data when either side has too few observations
	// for the test, and not enough history when either period reaches
	// before the history start of a repo in scope (then Diff and Relative
	// are null: the change is not shown).
	Verdict string `json:"verdict"`
	// N and BaselineN are the observations each side's test used, in
	// NUnit: changes, recoveries, deployments, runs, or weeks for a rate
	// per week.
	N         int    `json:"n"`
	BaselineN int    `json:"baseline_n"`
	NUnit     string `json:"n_unit"`
	// Count and BaselineCount are the events counted: failed (or rework)
	// deployments of a share, deployments (or merged changes) of a rate
	// per week; null for a median.
	Count         *int `json:"count"`
	BaselineCount *int `json:"baseline_count"`
	// Interval is the test's 95 % interval of the change: of the
	// difference (value − baseline) for medians and shares, of the ratio
	// (value ÷ baseline) for rates; PValue its p-value. Null when not
	// tested.
	Interval *KeyInterval `json:"interval"`
	PValue   *float64     `json:"p_value"`
}

// KeyInterval is a 95 % interval; an infinite end is null.
type KeyInterval struct {
	Low  *float64 `json:"low"`
	High *float64 `json:"high"`
	Of   string   `json:"of"` // difference or ratio
}

// Verdicts of a KeyComparison beside the tests' own (package impact's).
const VerdictNotEnoughHistory = "not enough history"

// Units of KeyComparison.
const (
	UnitPerWeek = "per_week"
	UnitSeconds = "seconds"
	UnitRate    = "rate"
	UnitLines   = "lines"
)

// Key names, as in the Report JSON.
const (
	KeyDeploymentFrequency = "deployment_frequency"
	KeyLeadTime            = "lead_time"
	KeyChangeFailureRate   = "change_failure_rate"
	KeyRecoveryTime        = "recovery_time"
	KeyReworkRate          = "rework_rate"
	KeyThroughput          = "throughput"
	KeyPRSize              = "pr_size"
	KeyCI                  = "ci"
	// The cycle-time parts' keys: judged on the cycle-time page, not
	// among the headline keys (CompareKeys).
	KeyCodingTime, KeyPickupTime, KeyReviewTime, KeyDeployTime = "coding_time", "pickup_time", "review_time", "deploy_time"
)

// DORAKeys are the five DORA keys among the headline keys: the overview's
// cards.
var DORAKeys = []string{KeyDeploymentFrequency, KeyLeadTime, KeyChangeFailureRate, KeyRecoveryTime, KeyReworkRate}

// keyDef says how to read one key from a report.
type keyDef struct {
	key, name, unit string
	lowerIsBetter   bool
	value           func(Report) *float64
}

var keyDefs = []keyDef{
	{KeyDeploymentFrequency, "Deployment frequency", UnitPerWeek, false, func(r Report) *float64 { return r.DeploymentFrequency.PerWeek }},
	{KeyLeadTime, "Lead time for changes", UnitSeconds, true, func(r Report) *float64 { return r.LeadTime.MedianSeconds }},
	{KeyChangeFailureRate, "Change failure rate", UnitRate, true, func(r Report) *float64 { return r.ChangeFailureRate.Rate }},
	{KeyRecoveryTime, "Failed deployment recovery time", UnitSeconds, true, func(r Report) *float64 { return r.RecoveryTime.MedianSeconds }},
	{KeyReworkRate, "Deployment rework rate", UnitRate, true, func(r Report) *float64 { return r.ReworkRate.Rate }},
	{KeyThroughput, "Throughput", UnitPerWeek, false, func(r Report) *float64 { return r.Throughput.PerWeek }},
	{KeyPRSize, "PR size", UnitLines, true, func(r Report) *float64 { return r.PRSize.MedianLines }},
	{KeyCI, "CI duration", UnitSeconds, true, func(r Report) *float64 { return r.CI.MedianSeconds }},
}

// CompareKeys lays the headline measures of two reports side by side:
// the five DORA keys, then throughput, PR size and CI duration. Their
// verdicts are impact.JudgeKeys'.
func CompareKeys(value, baseline Report) []KeyComparison {
	out := make([]KeyComparison, 0, len(keyDefs))
	for _, k := range keyDefs {
		out = append(out, CompareKey(k.key, k.name, k.unit, k.lowerIsBetter, k.value(value), k.value(baseline)))
	}
	return out
}

// OnlyKeys keeps the comparisons of the keys named.
func OnlyKeys(keys []KeyComparison, names ...string) []KeyComparison {
	return slices.DeleteFunc(keys, func(k KeyComparison) bool { return !slices.Contains(names, k.Key) })
}

// CompareKey builds one KeyComparison, not yet judged.
func CompareKey(key, name, unit string, lowerIsBetter bool, value, baseline *float64) KeyComparison {
	c := KeyComparison{Key: key, Name: name, Unit: unit, Value: value, Baseline: baseline, LowerIsBetter: lowerIsBetter}
	if value == nil || baseline == nil {
		return c
	}
	diff := *value - *baseline
	c.Diff = &diff
	if *baseline != 0 {
		rel := diff / *baseline
		c.Relative = &rel
	}
	return c
}

// Negligible reports whether a change is too small to show: it would read
// "±0 %" (or "±0.0 pp" for a rate).
func (c KeyComparison) Negligible() bool {
	if c.Diff == nil {
		return false
	}
	if c.Unit == UnitRate {
		return math.Abs(*c.Diff) < 0.0005
	}
	if c.Relative == nil {
		return *c.Diff == 0
	}
	return math.Abs(*c.Relative) < 0.005
}
