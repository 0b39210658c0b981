package metrics

import "math"

// KeyComparison is one headline measure in one period against another: the
// overview's "change against the previous period" and the weekly review's
// "this week against the 4 weeks before".
type KeyComparison struct {
	Key           string   `json:"key"`  // the measure's name in the Report JSON
	Name          string   `json:"name"` // for people
	Unit          string   `json:"unit"` // per_week, seconds, rate or lines
	Value         *float64 `json:"value"`
	Baseline      *float64 `json:"baseline"`
	Diff          *float64 `json:"diff"`     // value − baseline
	Relative      *float64 `json:"relative"` // diff ÷ baseline; null when the baseline is 0 or null
	LowerIsBetter bool     `json:"lower_is_better"`
	// Direction is "better", "worse" or "same" ("same" also when the change
	// is below what is shown: under 0.5 % relative, or 0.05 points for a
	// rate); "" when either side is null.
	Direction string `json:"direction"`
}

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
)

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

// CompareKeys compares the headline measures of two reports: the five DORA
// keys, then throughput, PR size and CI duration.
func CompareKeys(value, baseline Report) []KeyComparison {
	out := make([]KeyComparison, 0, len(keyDefs))
	for _, k := range keyDefs {
		out = append(out, CompareKey(k.key, k.name, k.unit, k.lowerIsBetter, k.value(value), k.value(baseline)))
	}
	return out
}

// CompareKey builds one KeyComparison.
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
	switch {
	case negligible(c):
		c.Direction = "same"
	case (diff < 0) == lowerIsBetter:
		c.Direction = "better"
	default:
		c.Direction = "worse"
	}
	return c
}

// negligible reports whether a change is too small to show: it would read
// "±0 %" (or "±0.0 pp" for a rate).
func negligible(c KeyComparison) bool {
	if c.Unit == UnitRate {
		return math.Abs(*c.Diff) < 0.0005
	}
	if c.Relative == nil {
		return *c.Diff == 0
	}
	return math.Abs(*c.Relative) < 0.005
}
