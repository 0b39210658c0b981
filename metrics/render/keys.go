package render

import (
	"fmt"
	"math"

	"github.com/tach-dev/tach/metrics"
)

// The headline measures of two periods side by side: the overview's cards
// and the weekly review's table.

// HumanValue shows a key's value in its unit: "3.5 / week", "2.4 d",
// "7.1 %", "120 lines", or "–".
func HumanValue(unit string, v *float64) string {
	if v == nil {
		return Dash
	}
	switch unit {
	case metrics.UnitPerWeek:
		return HumanNumber(v) + " / week"
	case metrics.UnitSeconds:
		return HumanDuration(v)
	case metrics.UnitRate:
		return HumanPercent(v)
	case metrics.UnitLines:
		return HumanNumber(v) + " lines"
	}
	return HumanNumber(v)
}

// HumanChange shows a comparison's change with an arrow for its sign — ▲
// for a rise, ▼ for a fall, whether that is good or bad (the verdict
// says): "▼ −18 %" (relative), "▲ +2.1 pp" for rates (a difference of
// percentages is read in points), "±0" when too small to show, "▲ new"
// from zero, or "–" when no change is shown.
func HumanChange(c metrics.KeyComparison) string {
	switch {
	case c.Diff == nil:
		return Dash
	case c.Negligible():
		return "±0"
	}
	arrow := "▲ "
	if *c.Diff < 0 {
		arrow = "▼ "
	}
	switch {
	case c.Unit == metrics.UnitRate:
		return arrow + signed(*c.Diff*100, "%.1f pp")
	case c.Relative == nil:
		return arrow + "new"
	}
	return arrow + signed(*c.Relative*100, "%.0f %%")
}

// HumanVerdict is a comparison's verdict: improved, worsened, no clear
// change, not enough data, not enough history; "–" when not judged.
func HumanVerdict(c metrics.KeyComparison) string {
	if c.Verdict == "" {
		return Dash
	}
	return c.Verdict
}

// rateNouns are what the count of a rate per week counts.
var rateNouns = map[string]string{metrics.KeyDeploymentFrequency: "deployments", metrics.KeyThroughput: "changes merged"}

// KeyCounts are the counts behind both sides of a comparison, the value's
// first: "2 of 15 vs 1 of 70 deployments" (a share), "12 in 1 week vs 41
// in 4 weeks" (a rate per week: deployments, changes merged), "median of
// 4 vs 3 recoveries" (a median); "" when not judged.
func KeyCounts(c metrics.KeyComparison) string {
	switch {
	case c.NUnit == "":
		return ""
	case c.Unit == metrics.UnitRate && c.Count != nil && c.BaselineCount != nil:
		return fmt.Sprintf("%d of %d vs %d of %d deployments", *c.Count, c.N, *c.BaselineCount, c.BaselineN)
	case c.Count != nil && c.BaselineCount != nil && c.BaselineN == 0 && c.Verdict == metrics.VerdictNotEnoughHistory:
		// The period before lies wholly before the history: not 0 of
		// anything, but nothing tach read.
		return fmt.Sprintf("%d %s in %s vs no data before", *c.Count, rateNouns[c.Key], plural(c.N, "week"))
	case c.Count != nil && c.BaselineCount != nil:
		return fmt.Sprintf("%d %s in %s vs %d in %s", *c.Count, rateNouns[c.Key], plural(c.N, "week"), *c.BaselineCount, plural(c.BaselineN, "week"))
	}
	return fmt.Sprintf("median of %d vs %d %s", c.N, c.BaselineN, c.NUnit)
}

// KeyInterval is the test behind a verdict: "95 % interval −3h 10m to +1h
// 5m, p = 0.41"; "" when not tested.
func KeyInterval(c metrics.KeyComparison) string {
	if c.Interval == nil {
		return ""
	}
	unit := map[string]string{metrics.UnitRate: "share", metrics.UnitSeconds: "seconds", metrics.UnitLines: "lines", metrics.UnitPerWeek: "per_week"}[c.Unit]
	end := func(v *float64) string {
		switch {
		case v == nil:
			return "∞"
		case c.Interval.Of == "ratio":
			rel := *v - 1
			return FormatPercentChange(&rel)
		}
		return FormatMeasureDifference(unit, v)
	}
	s := "95 % interval " + end(c.Interval.Low) + " to " + end(c.Interval.High)
	if c.PValue != nil {
		s += ", " + FormatP(c.PValue)
	}
	return s
}

// KeyJudgement is a comparison's verdict with the counts behind it, for a
// table cell or a line: "no clear change (2 of 15 vs 1 of 70
// deployments)".
func KeyJudgement(c metrics.KeyComparison) string {
	if counts := KeyCounts(c); counts != "" {
		return HumanVerdict(c) + " (" + counts + ")"
	}
	return HumanVerdict(c)
}

func signed(v float64, format string) string {
	s := fmt.Sprintf(format, math.Abs(v))
	if s == fmt.Sprintf(format, 0.0) {
		return "±" + s
	}
	if v < 0 {
		return "−" + s
	}
	return "+" + s
}
