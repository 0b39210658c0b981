package metrics

import (
	"fmt"
	"math"
)

// Dash is shown where a value cannot be computed (docs/metrics.md: never 0).
const Dash = "–"

// HumanDuration shows seconds the way people read them: 45s, 12m, 3h 20m,
// 2.4 d. Machine output keeps the seconds.
func HumanDuration(seconds *float64) string {
	if seconds == nil {
		return Dash
	}
	s := *seconds
	neg := ""
	if s < 0 {
		neg, s = "−", -s
	}
	switch {
	case s < 60:
		return fmt.Sprintf("%s%.0fs", neg, s)
	case s < 3600:
		return fmt.Sprintf("%s%.0fm", neg, math.Round(s/60))
	case s < 86400:
		h := math.Floor(s / 3600)
		m := math.Round((s - h*3600) / 60)
		if m == 60 {
			h, m = h+1, 0
		}
		if h == 24 {
			return neg + "1.0 d"
		}
		if m == 0 {
			return fmt.Sprintf("%s%.0fh", neg, h)
		}
		return fmt.Sprintf("%s%.0fh %.0fm", neg, h, m)
	default:
		return fmt.Sprintf("%s%.1f d", neg, s/86400)
	}
}

// HumanPercent shows a rate as a percentage with one decimal: 7.1 %.
func HumanPercent(rate *float64) string {
	if rate == nil {
		return Dash
	}
	return fmt.Sprintf("%.1f %%", *rate*100)
}

// HumanNumber shows a count or rate with at most one decimal.
func HumanNumber(v *float64) string {
	if v == nil {
		return Dash
	}
	if *v == math.Trunc(*v) {
		return fmt.Sprintf("%.0f", *v)
	}
	return fmt.Sprintf("%.1f", *v)
}
