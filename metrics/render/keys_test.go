package render_test

import (
	"testing"

	"github.com/tach-dev/tach/metrics"
	"github.com/tach-dev/tach/metrics/render"
)

// The change of a headline measure, and which way it went.
func TestHumanChange(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	cases := []struct {
		name              string
		c                 metrics.KeyComparison
		change, direction string
	}{
		{"faster lead time", metrics.CompareKey("lead_time", "", metrics.UnitSeconds, true, f(3600), f(7200)), "−50 %", "better"},
		{"more deployments", metrics.CompareKey("df", "", metrics.UnitPerWeek, false, f(12), f(10)), "+20 %", "better"},
		{"failure rate up", metrics.CompareKey("cfr", "", metrics.UnitRate, true, f(0.12), f(0.10)), "+2.0 pp", "worse"},
		{"from zero", metrics.CompareKey("rr", "", metrics.UnitRate, true, f(0.1), f(0)), "+10.0 pp", "worse"},
		{"new value from zero", metrics.CompareKey("df", "", metrics.UnitPerWeek, false, f(3), f(0)), "new", "better"},
		{"unchanged", metrics.CompareKey("lt", "", metrics.UnitSeconds, true, f(100), f(100)), "±0", "same"},
		{"too small to show", metrics.CompareKey("lt", "", metrics.UnitSeconds, true, f(1000), f(1001)), "±0", "same"},
		{"no baseline", metrics.CompareKey("lt", "", metrics.UnitSeconds, true, f(1), nil), render.Dash, ""},
	}
	for _, c := range cases {
		if got := render.HumanChange(c.c); got != c.change {
			t.Errorf("%s: change %q, want %q", c.name, got, c.change)
		}
		if c.c.Direction != c.direction {
			t.Errorf("%s: direction %q, want %q", c.name, c.c.Direction, c.direction)
		}
	}
}
