package radar

import (
	"math"
)

// Report is a radar as the CLI, /radar and /api/v1/radar show it: the
// scopes ranked, each with its signals, weekly series, cross-module
// share and hotspots, and the module pairs that change together most.
// JSON names are never renamed.
type Report struct {
	Scope    ReportScope   `json:"scope"`
	Tests    int           `json:"tests"` // the m of the Benjamini–Hochberg adjustment
	Modules  []ScopeReport `json:"modules"`
	Coupling []PairReport  `json:"coupling"`
}

// ReportScope says what the radar covers.
type ReportScope struct {
	Repos    []string `json:"repos"`
	Team     *string  `json:"team"`
	Modules  []string `json:"modules,omitempty"` // REPO:NAME, when the radar is of some modules
	From     string   `json:"from"`              // YYYY-MM-DD, inclusive
	To       string   `json:"to"`                // YYYY-MM-DD, exclusive
	Weeks    int      `json:"weeks"`
	Timezone string   `json:"timezone"`
	// WeekStarts are the Mondays of the weeks, oldest first: week i of a
	// series is WeekStarts[i].
	WeekStarts []string `json:"week_starts"`
}

// ScopeReport is one ranked scope: a module, or a repo without modules
// (Module null).
type ScopeReport struct {
	Repo      string         `json:"repo"`
	Module    *string        `json:"module"`
	Rank      int            `json:"rank"`
	Worsening int            `json:"worsening"`
	Score     float64        `json:"score"` // Σ −log10(q) of the worsening signals
	Signals   []SignalReport `json:"signals"`
	// CrossModuleShare is null for a repo without modules, and for a
	// module no change touched.
	CrossModuleShare *float64 `json:"cross_module_share"`
	Changes          int      `json:"changes"` // non-bot changes merged in the window that touch it
	// Series are every measure's weekly values, in the order of Measures.
	Series   []SeriesReport  `json:"series"`
	Hotspots []HotspotReport `json:"hotspots"`
}

// SignalReport is a trend that raised a signal.
type SignalReport struct {
	Measure      string    `json:"measure"`
	Direction    Direction `json:"direction"`
	SlopePerWeek float64   `json:"slope_per_week"` // the measure's unit (seconds, lines, a proportion) per week
	SlopeLow     *float64  `json:"slope_low"`      // its 95 % interval (null when it cannot be computed)
	SlopeHigh    *float64  `json:"slope_high"`
	S            int       `json:"s"` // Mann–Kendall's statistic
	PValue       float64   `json:"p_value"`
	QValue       float64   `json:"q_value"`
	Weeks        int       `json:"weeks"` // weeks kept in the series
}

// SeriesReport is one measure of one scope, week by week.
type SeriesReport struct {
	Measure string        `json:"measure"`
	Tested  bool          `json:"tested"`
	PValue  *float64      `json:"p_value"`
	QValue  *float64      `json:"q_value"`
	Signal  Direction     `json:"signal,omitempty"`
	Points  []PointReport `json:"points"`
}

// PointReport is a kept week of a series: its index in week_starts.
type PointReport struct {
	Week         int     `json:"week"`
	Value        float64 `json:"value"`
	Observations int     `json:"observations"`
}

// HotspotReport is one file of a scope.
type HotspotReport struct {
	Path       string `json:"path"`
	Changes    int    `json:"changes"`
	FixChanges int    `json:"fix_changes"`
	Incidents  int    `json:"incidents"`
	Score      int    `json:"score"`
	URL        string `json:"url,omitempty"` // the file on the provider
}

// PairReport is two modules of a repo changed together.
type PairReport struct {
	Repo    string `json:"repo"`
	A       string `json:"a"`
	B       string `json:"b"`
	Changes int    `json:"changes"`
}

// Signals are the report's signals of a direction over every scope.
func (r Report) Signals(d Direction) int {
	n := 0
	for _, m := range r.Modules {
		for _, s := range m.Signals {
			if s.Direction == d {
				n++
			}
		}
	}
	return n
}

// SignalOf is a trend's signal as the report shows it.
func SignalOf(t Trend) SignalReport {
	return SignalReport{
		Measure: t.Measure.Key, Direction: t.Direction,
		SlopePerWeek: t.Slope.Slope, SlopeLow: finite(t.Slope.Interval.Low), SlopeHigh: finite(t.Slope.Interval.High),
		S: int(t.Test.S), PValue: t.Test.P, QValue: t.Q, Weeks: len(t.Points),
	}
}

// SeriesOf is a trend's weekly values as the report shows them.
func SeriesOf(t Trend) SeriesReport {
	s := SeriesReport{Measure: t.Measure.Key, Tested: t.Tested, Signal: t.Direction, Points: []PointReport{}}
	if t.Tested {
		p, q := t.Test.P, t.Q
		s.PValue = &p
		if !math.IsNaN(q) {
			s.QValue = &q
		}
	}
	for _, p := range t.Points {
		s.Points = append(s.Points, PointReport{Week: p.Week, Value: p.Value, Observations: p.Observations})
	}
	return s
}

// finite is x, or nil when it is not a number JSON can carry.
func finite(x float64) *float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil
	}
	return &x
}
