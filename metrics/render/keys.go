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

// HumanChange shows a comparison's change: "−18 %" (relative), or "+2.1 pp"
// for rates (a difference of percentages is read in points), or "–".
func HumanChange(c metrics.KeyComparison) string {
	switch {
	case c.Diff == nil:
		return Dash
	case c.Direction == "same":
		return "±0"
	case c.Unit == metrics.UnitRate:
		return signed(*c.Diff*100, "%.1f pp")
	case c.Relative == nil:
		return "new"
	}
	return signed(*c.Relative*100, "%.0f %%")
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
