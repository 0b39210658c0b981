// Package render writes every word and number tach shows as text: values
// in their units (2.4 d, 7.1 %, –), the sentences of a comparison and the
// evidence of a suggested decision, the CLI's tables and the Markdown of
// the weekly review. The CLI prints what it returns and the web puts it in
// its pages, so both say the same thing in the same words; web-only
// formatting (hover texts, cells) stays in package web.
//
// It computes nothing: it reads the values of package metrics (reports),
// impact (comparisons, candidates) and review (the weekly review), and
// imports no package above them.
package render

import (
	"fmt"
	"math"
	"strconv"
	"strings"
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
	// Rounded first, so 28.999… (29 changes in a week, as a rate) reads
	// 29, not 29.0.
	if r := math.Round(*v*10) / 10; r == math.Trunc(r) {
		return fmt.Sprintf("%.0f", r)
	}
	return fmt.Sprintf("%.1f", *v)
}

const minusSign = "−"

func formatFloat(v float64, decimals int) string {
	return strings.Replace(strconv.FormatFloat(v, 'f', decimals, 64), "-", minusSign, 1)
}

// FormatMeasureValue shows a value of a measure in its unit: 2.1 d, 115
// lines, 4.2 a week, 7.1 %.
func FormatMeasureValue(unit string, v *float64) string {
	if v == nil {
		return Dash
	}
	switch unit {
	case "seconds":
		return HumanDuration(v)
	case "lines":
		return formatFloat(math.Round(*v), 0) + " lines"
	case "per_week":
		return formatFloat(*v, 1) + " a week"
	case "share":
		return HumanPercent(v)
	}
	return HumanNumber(v)
}

// FormatMeasureDifference shows a signed difference in a measure's unit:
// +3h 20m, −55 lines, +1.2 a week, −13.9 points.
func FormatMeasureDifference(unit string, v *float64) string {
	if v == nil {
		return Dash
	}
	sign := "+"
	if *v < 0 {
		sign = minusSign
	}
	abs := math.Abs(*v)
	switch unit {
	case "seconds":
		return sign + HumanDuration(&abs)
	case "lines":
		return sign + strconv.FormatFloat(math.Round(abs), 'f', 0, 64) + " lines"
	case "per_week":
		return sign + strconv.FormatFloat(abs, 'f', 1, 64) + " a week"
	case "share":
		return sign + strconv.FormatFloat(abs*100, 'f', 1, 64) + " points"
	}
	return sign + strconv.FormatFloat(abs, 'f', 2, 64)
}

// FormatPercentChange shows a relative change: +12 %, −38 %, −4.5 %.
func FormatPercentChange(rel *float64) string {
	if rel == nil {
		return Dash
	}
	pct := *rel * 100
	decimals := 0
	if math.Abs(pct) < 10 && math.Round(pct) != pct {
		decimals = 1
	}
	s := strconv.FormatFloat(math.Abs(pct), 'f', decimals, 64)
	if pct < 0 && s != "0" && s != "0.0" {
		return minusSign + s + " %"
	}
	return "+" + s + " %"
}

// FormatP shows a p-value: p < 0.001, p = 0.012, p = 0.43.
func FormatP(p *float64) string {
	switch {
	case p == nil:
		return Dash
	case *p < 0.001:
		return "p < 0.001"
	case *p < 0.1:
		return "p = " + strconv.FormatFloat(*p, 'f', 3, 64)
	}
	return "p = " + strconv.FormatFloat(*p, 'f', 2, 64)
}

// FormatPValue is FormatP for a table column headed p: < 0.001, 0.012.
func FormatPValue(p *float64) string {
	return strings.TrimPrefix(strings.TrimPrefix(FormatP(p), "p = "), "p ")
}
