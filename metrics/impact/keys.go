package impact

import (
	"slices"

	"github.com/tach-dev/tach/metrics"
)

// The headline keys' change against an earlier period — the overview's
// cards, the weekly review's week in numbers — judged by the tests of a
// comparison of the two periods (METRICS.md, "Where history starts, and
// changes against an earlier period"): better or worse only when the
// interval excludes no change, with the minimum sample sizes.

// keyMeasures is the measure of CompareMeasures that tests each key.
var keyMeasures = map[string]string{
	metrics.KeyDeploymentFrequency: "deployment_frequency",
	metrics.KeyLeadTime:            "lead_time",
	metrics.KeyChangeFailureRate:   "change_failure_rate",
	metrics.KeyRecoveryTime:        "recovery_time",
	metrics.KeyReworkRate:          "rework_rate",
	metrics.KeyThroughput:          "throughput",
	metrics.KeyPRSize:              "pr_size",
	metrics.KeyCI:                  "ci_duration",
	metrics.KeyCodingTime:          "coding_time",
	metrics.KeyPickupTime:          "pickup_time",
	metrics.KeyReviewTime:          "review_time",
	metrics.KeyDeployTime:          "deploy_time",
}

// KeyMeasures are the measures of a comparison that judge keys (the
// metrics.Key… names), for CompareOptions.Measures.
func KeyMeasures(keys ...string) []string {
	var out []string
	for _, k := range keys {
		if m, ok := keyMeasures[k]; ok && !slices.Contains(out, m) {
			out = append(out, m)
		}
	}
	return out
}

// JudgeKeys gives each key the verdict of its measure in c — a comparison
// whose before side is the keys' baseline period and whose after side is
// their value's — with the observations and counts behind both sides, the
// interval and the p-value. A key c does not compare is left as it is.
func JudgeKeys(keys []metrics.KeyComparison, c Comparison) {
	for i := range keys {
		k := &keys[i]
		j := slices.IndexFunc(c.Measures, func(m MeasureComparison) bool { return m.Key == keyMeasures[k.Key] })
		if j < 0 {
			continue
		}
		m := c.Measures[j]
		k.Verdict, k.NUnit = m.Verdict, m.NUnit
		k.N, k.BaselineN = m.NAfter, m.NBefore
		k.Count, k.BaselineCount = m.CountAfter, m.CountBefore
		k.PValue = m.PValue
		if m.Interval != nil {
			k.Interval = &metrics.KeyInterval{Low: m.Interval.Low, High: m.Interval.High, Of: m.Interval.Of}
		}
		k.Direction = directionOf(m.Verdict)
	}
}

// NoHistory marks keys whose periods reach before the history start of a
// repo in scope: no change is shown and no verdict given, the counts
// stay.
func NoHistory(keys []metrics.KeyComparison) {
	for i := range keys {
		k := &keys[i]
		k.Verdict, k.Direction = metrics.VerdictNotEnoughHistory, ""
		k.Diff, k.Relative, k.Interval, k.PValue = nil, nil, nil, nil
	}
}

// directionOf is KeyComparison.Direction of a verdict.
func directionOf(verdict string) string {
	switch verdict {
	case VerdictImproved:
		return "better"
	case VerdictWorsened:
		return "worse"
	case VerdictNoClearChange:
		return "same"
	}
	return ""
}
