// Package radar owns the rules of the refactor radar (docs/radar.md, and
// the "Refactor radar" rules of docs/metrics.md): from each scope's weekly
// observations of each measure, the trend signals (Theil–Sen slope,
// Mann–Kendall test, Benjamini–Hochberg across the whole radar) and the
// ranking of the scopes; from the window's changes, the hotspots, the
// coupling of modules and their cross-module shares. It is pure: the
// engine hands it plain values and shows what it returns. It imports
// metrics (for the measures' keys) and metrics/stats.
package radar

import (
	"cmp"
	"math"
	"slices"

	"github.com/tach-dev/tach/metrics"
	"github.com/tach-dev/tach/metrics/stats"
)

// The radar's thresholds.
const (
	// MinObservations: a week with fewer observations (changes, runs,
	// deployments) is left out of its series: its median or proportion
	// says more about chance than about the week.
	MinObservations = 3
	// MinWeeks: a series with fewer weeks left gives no signal. On 5
	// points one week decides the test: a perfect rise has p = 0.028,
	// one week out of place makes it 0.086.
	MinWeeks = 6
	// Alpha is the false discovery rate of a radar: a signal is raised
	// when its q-value is below it.
	Alpha = 0.05
	// Confidence is the level of the slope's interval.
	Confidence = 0.95
)

// Kind says how a week's observations make the week's value.
type Kind int

const (
	// Median: the median of the week's observations (durations, sizes).
	Median Kind = iota
	// Proportion: events ÷ trials, all of the scope's trials of the week
	// pooled (failed or rework deployments ÷ deployments).
	Proportion
)

// Measure is one measure the radar watches.
type Measure struct {
	Key           string // as in the JSON: lead_time, review_time, …
	Kind          Kind
	LowerIsBetter bool
}

// The keys of the cycle parts, which the Report nests under cycle_time.
const (
	KeyCodingTime = "coding_time"
	KeyPickupTime = "pickup_time"
	KeyReviewTime = "review_time"
)

// Measures are the radar's measures, in the order it lists them.
var Measures = []Measure{
	{metrics.KeyLeadTime, Median, true},
	{KeyCodingTime, Median, true},
	{KeyPickupTime, Median, true},
	{KeyReviewTime, Median, true},
	{metrics.KeyCI, Median, true},
	{metrics.KeyPRSize, Median, true},
	{metrics.KeyChangeFailureRate, Proportion, true},
	{metrics.KeyReworkRate, Proportion, true},
}

// Scope is what the radar ranks: a module of a repo, or a repo without
// modules as a whole (Module "").
type Scope struct {
	Repo   string
	Module string
}

// Week is one week of one measure of one scope: Values for a Median
// measure, Events of Trials for a Proportion.
type Week struct {
	Week   int // the week's index in the window, 0 the oldest
	Values []float64
	Events int // failed (or rework) deployments
	Trials int // deployments
}

// Series is one measure of one scope, week by week: the weeks in any
// order, each at most once; weeks with no observation may be absent.
type Series struct {
	Scope   Scope
	Measure Measure
	Weeks   []Week
}

// Point is one week kept in a trend.
type Point struct {
	Week         int
	Value        float64
	Observations int
}

// Direction is a signal's direction, by the measure's better side.
type Direction string

const (
	Worsening Direction = "worsening"
	Improving Direction = "improving"
)

// Trend is the radar's verdict on one series.
type Trend struct {
	Scope   Scope
	Measure Measure
	// Points are the weeks with at least MinObservations, in order.
	Points []Point
	// Tested: at least MinWeeks points whose values are not all equal.
	// An untested trend takes no part in the adjustment and is no signal.
	Tested bool
	Slope  stats.TheilSenResult    // per week, with its interval
	Test   stats.MannKendallResult // two-sided, tie-corrected
	// Q is Test.P adjusted by Benjamini–Hochberg over every tested trend
	// of the radar; NaN when not tested.
	Q float64
	// Direction is set when Q < Alpha: the sign of the Mann–Kendall S
	// (the statistic the signal rests on; with many ties the Theil–Sen
	// slope can be 0 while S is not), read by the measure's better side.
	Direction Direction
}

// Signal reports whether the trend raised a signal.
func (t Trend) Signal() bool { return t.Direction != "" }

// Ranked is one scope of the radar with its signals.
type Ranked struct {
	Scope Scope
	Rank  int // 1 the most in need of attention
	// Signals are its trends with a signal: worsening first, then by q.
	Signals   []Trend
	Worsening int
	// Score is Σ −log10(q) over the worsening signals: with the count, the
	// rank's key.
	Score float64
}

// Radar is one run of the radar.
type Radar struct {
	Trends []Trend  // one per series, in the order given
	Scopes []Ranked // every scope of the series, by rank
	Tests  int      // the tested trends: the m of the adjustment
}

// Run computes the radar of a set of series, typically every measure of
// every module and of every repo without modules of a scope: each series'
// weekly values and trend, the adjustment of all their p-values together,
// the signals, and the scopes ranked by their number of worsening signals,
// then their score, then repo and module.
func Run(series []Series) Radar {
	r := Radar{Trends: make([]Trend, len(series))}
	var tested []int
	var ps []float64
	for i, s := range series {
		r.Trends[i] = trend(s)
		if r.Trends[i].Tested {
			tested = append(tested, i)
			ps = append(ps, r.Trends[i].Test.P)
		}
	}
	r.Tests = len(tested)
	for k, q := range stats.BenjaminiHochberg(ps) {
		t := &r.Trends[tested[k]]
		t.Q = q
		if q < Alpha && t.Test.S != 0 {
			t.Direction = Worsening
			if (t.Test.S < 0) == t.Measure.LowerIsBetter {
				t.Direction = Improving
			}
		}
	}
	r.Scopes = rank(r.Trends)
	return r
}

// trend turns one series into its points and, when there are enough, its
// slope and test.
func trend(s Series) Trend {
	t := Trend{Scope: s.Scope, Measure: s.Measure, Q: math.NaN()}
	for _, w := range s.Weeks {
		var p Point
		switch s.Measure.Kind {
		case Median:
			p.Observations = len(w.Values)
			p.Value, _ = stats.Median(w.Values)
		case Proportion:
			p.Observations = w.Trials
			if w.Trials > 0 {
				p.Value = float64(w.Events) / float64(w.Trials)
			}
		}
		if p.Observations >= MinObservations {
			p.Week = w.Week
			t.Points = append(t.Points, p)
		}
	}
	slices.SortFunc(t.Points, func(a, b Point) int { return cmp.Compare(a.Week, b.Week) })
	if len(t.Points) < MinWeeks {
		return t
	}
	x := make([]float64, len(t.Points))
	y := make([]float64, len(t.Points))
	for i, p := range t.Points {
		x[i], y[i] = float64(p.Week), p.Value
	}
	test, ok := stats.MannKendall(y)
	if !ok {
		return t // all values equal
	}
	slope, ok := stats.TheilSen(x, y, Confidence)
	if !ok {
		return t
	}
	t.Tested, t.Test, t.Slope = true, test, slope
	return t
}

// rank groups the trends by scope and orders the scopes.
func rank(trends []Trend) []Ranked {
	var out []Ranked
	index := map[Scope]int{}
	for _, t := range trends {
		i, ok := index[t.Scope]
		if !ok {
			i = len(out)
			index[t.Scope] = i
			out = append(out, Ranked{Scope: t.Scope})
		}
		if !t.Signal() {
			continue
		}
		r := &out[i]
		r.Signals = append(r.Signals, t)
		if t.Direction == Worsening {
			r.Worsening++
			r.Score -= math.Log10(t.Q)
		}
	}
	for i := range out {
		slices.SortStableFunc(out[i].Signals, func(a, b Trend) int {
			if (a.Direction == Worsening) != (b.Direction == Worsening) {
				if a.Direction == Worsening {
					return -1
				}
				return 1
			}
			return cmp.Compare(a.Q, b.Q)
		})
	}
	slices.SortFunc(out, func(a, b Ranked) int {
		return cmp.Or(
			cmp.Compare(b.Worsening, a.Worsening),
			cmp.Compare(b.Score, a.Score),
			cmp.Compare(a.Scope.Repo, b.Scope.Repo),
			cmp.Compare(a.Scope.Module, b.Scope.Module),
		)
	})
	for i := range out {
		out[i].Rank = i + 1
	}
	return out
}
