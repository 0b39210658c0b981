package radar_test

import (
	"math"
	"testing"

	"github.com/tach-dev/tach/metrics"
	"github.com/tach-dev/tach/metrics/radar"
	"github.com/tach-dev/tach/metrics/stats"
)

var (
	reviewTime = radar.Measure{Key: radar.KeyReviewTime, Kind: radar.Median, LowerIsBetter: true}
	cfr        = radar.Measure{Key: metrics.KeyChangeFailureRate, Kind: radar.Proportion, LowerIsBetter: true}
	// throughput is no radar measure: it stands for a measure whose
	// higher side is better.
	throughput = radar.Measure{Key: metrics.KeyThroughput, Kind: radar.Median}
)

// medianWeeks makes one week per value, each with three observations
// whose median is that value.
func medianWeeks(values ...float64) []radar.Week {
	weeks := make([]radar.Week, len(values))
	for i, v := range values {
		weeks[i] = radar.Week{Week: i, Values: []float64{v - 1, v, v + 5}}
	}
	return weeks
}

func TestWeeklyValues(t *testing.T) {
	s := radar.Series{Scope: radar.Scope{Repo: "acme/shop", Module: "checkout"}, Measure: reviewTime, Weeks: []radar.Week{
		{Week: 5, Values: []float64{10, 30, 20}},
		{Week: 0, Values: []float64{1, 2, 3, 4}},
		{Week: 1, Values: []float64{100, 200}}, // 2 observations: left out
		{Week: 3, Values: nil},
		{Week: 2, Values: []float64{7, 7, 9}},
	}}
	r := radar.Run([]radar.Series{s})
	want := []radar.Point{{Week: 0, Value: 2.5, Observations: 4}, {Week: 2, Value: 7, Observations: 3}, {Week: 5, Value: 20, Observations: 3}}
	if got := r.Trends[0].Points; !equalPoints(got, want) {
		t.Errorf("points %+v, want %+v", got, want)
	}

	// A rate pools the week's deployments: 2 failed of 8 is 0.25, and a
	// week of 2 deployments is left out however it went.
	rate := radar.Series{Measure: cfr, Weeks: []radar.Week{
		{Week: 0, Events: 2, Trials: 8},
		{Week: 1, Events: 2, Trials: 2},
		{Week: 2, Events: 0, Trials: 3},
	}}
	r = radar.Run([]radar.Series{rate})
	want = []radar.Point{{Week: 0, Value: 0.25, Observations: 8}, {Week: 2, Value: 0, Observations: 3}}
	if got := r.Trends[0].Points; !equalPoints(got, want) {
		t.Errorf("rate points %+v, want %+v", got, want)
	}
}

func equalPoints(a, b []radar.Point) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// The slope is per week of the window: weeks left out stretch the time
// between the weeks kept, they do not close up.
func TestSlopeIsPerWeekAcrossGaps(t *testing.T) {
	s := radar.Series{Measure: reviewTime}
	for _, w := range []int{0, 1, 3, 4, 7, 8, 10, 11} { // 2, 5, 6, 9 too quiet
		v := 100 + 10*float64(w)
		s.Weeks = append(s.Weeks, radar.Week{Week: w, Values: []float64{v, v, v}})
	}
	for _, w := range []int{2, 5, 6, 9} {
		s.Weeks = append(s.Weeks, radar.Week{Week: w, Values: []float64{1e6, 1e6}})
	}
	tr := radar.Run([]radar.Series{s}).Trends[0]
	if !tr.Tested || tr.Slope.Slope != 10 || tr.Test.N != 8 {
		t.Errorf("tested %v, slope %v over %d weeks; want 10 a week over 8", tr.Tested, tr.Slope.Slope, tr.Test.N)
	}
}

func TestNoSignalWithoutSixWeeks(t *testing.T) {
	five := radar.Series{Measure: reviewTime, Weeks: medianWeeks(10, 20, 30, 40, 50)}
	six := radar.Series{Measure: reviewTime, Weeks: medianWeeks(10, 20, 30, 40, 50, 60)}
	r := radar.Run([]radar.Series{five, six})
	if tr := r.Trends[0]; tr.Tested || tr.Signal() || !math.IsNaN(tr.Q) || len(tr.Points) != 5 {
		t.Errorf("5 weeks: tested %v, signal %v, q %v, %d points; want untested with its 5 points", tr.Tested, tr.Signal(), tr.Q, len(tr.Points))
	}
	if tr := r.Trends[1]; !tr.Tested || tr.Direction != radar.Worsening {
		t.Errorf("6 rising weeks: tested %v, direction %q; want a worsening signal", tr.Tested, tr.Direction)
	}
	if r.Tests != 1 {
		t.Errorf("%d tests, want 1: an untested series takes no part in the adjustment", r.Tests)
	}
}

// A measure that never moves (no failure in 12 weeks) has nothing to test
// and does not dilute the others.
func TestConstantSeriesIsNotTested(t *testing.T) {
	flat := radar.Series{Measure: cfr}
	for w := range 12 {
		flat.Weeks = append(flat.Weeks, radar.Week{Week: w, Trials: 5})
	}
	r := radar.Run([]radar.Series{flat})
	if tr := r.Trends[0]; tr.Tested || len(tr.Points) != 12 || r.Tests != 0 {
		t.Errorf("tested %v with %d points, %d tests; want untested, 12 points, 0 tests", tr.Tested, len(tr.Points), r.Tests)
	}
}

func TestDirectionByBetterSide(t *testing.T) {
	up := medianWeeks(10, 12, 15, 19, 22, 30, 31, 40)
	down := medianWeeks(40, 31, 30, 22, 19, 15, 12, 10)
	r := radar.Run([]radar.Series{
		{Scope: radar.Scope{Module: "a"}, Measure: reviewTime, Weeks: up},
		{Scope: radar.Scope{Module: "b"}, Measure: reviewTime, Weeks: down},
		{Scope: radar.Scope{Module: "c"}, Measure: throughput, Weeks: up},
		{Scope: radar.Scope{Module: "d"}, Measure: throughput, Weeks: down},
	})
	for i, want := range []radar.Direction{radar.Worsening, radar.Improving, radar.Improving, radar.Worsening} {
		if got := r.Trends[i].Direction; got != want {
			t.Errorf("%s %s: %q, want %q", r.Trends[i].Scope.Module, r.Trends[i].Measure.Key, got, want)
		}
	}
}

// The p-values of one radar are adjusted together: a trend that is a
// signal on its own is not one among nineteen quiet series.
func TestAdjustmentAcrossTheRadar(t *testing.T) {
	// S = 31 of at most 66 over 12 weeks (one tie): p = 0.039.
	moderate := radar.Series{Scope: radar.Scope{Module: "moderate"}, Measure: reviewTime,
		Weeks: medianWeeks(10, 14, 11, 13, 17, 12, 16, 20, 15, 13, 19, 18)}
	alone := radar.Run([]radar.Series{moderate}).Trends[0]
	if !alone.Signal() || alone.Q != alone.Test.P {
		t.Fatalf("alone: p %v q %v signal %v; want q = p < 0.05 and a signal", alone.Test.P, alone.Q, alone.Signal())
	}

	series := []radar.Series{moderate}
	for i := range 19 {
		quiet := radar.Series{Scope: radar.Scope{Module: "quiet"}, Measure: reviewTime}
		for w := range 12 {
			v := float64((w*7+i*3)%11) + 10 // no trend, no ties within a series
			quiet.Weeks = append(quiet.Weeks, radar.Week{Week: w, Values: []float64{v, v, v}})
		}
		series = append(series, quiet)
	}
	r := radar.Run(series)
	var ps []float64
	for _, tr := range r.Trends {
		ps = append(ps, tr.Test.P)
	}
	qs := stats.BenjaminiHochberg(ps)
	for i, tr := range r.Trends {
		if tr.Q != qs[i] {
			t.Errorf("trend %d: q %v, want %v (BH over the radar)", i, tr.Q, qs[i])
		}
	}
	if r.Trends[0].Signal() {
		t.Errorf("among 20: p %v q %v is still a signal", r.Trends[0].Test.P, r.Trends[0].Q)
	}
}

func TestRanking(t *testing.T) {
	rising := medianWeeks(10, 12, 15, 19, 22, 30, 31, 40, 41, 45, 50, 52)
	wobbly := medianWeeks(10, 15, 12, 19, 22, 20, 31, 29, 41, 38, 50, 52)
	falling := medianWeeks(52, 50, 45, 41, 40, 31, 30, 22, 19, 15, 12, 10)
	flat := medianWeeks(10, 11, 10, 12, 10, 11, 12, 10, 11, 12, 10, 11)
	ci := radar.Measure{Key: metrics.KeyCI, Kind: radar.Median, LowerIsBetter: true}
	scope := func(repo, module string) radar.Scope { return radar.Scope{Repo: repo, Module: module} }
	r := radar.Run([]radar.Series{
		{Scope: scope("acme/a", "quiet"), Measure: reviewTime, Weeks: flat},
		{Scope: scope("acme/a", "better"), Measure: reviewTime, Weeks: falling},
		{Scope: scope("acme/b", ""), Measure: reviewTime, Weeks: wobbly}, // one worsening, weaker
		{Scope: scope("acme/a", "one"), Measure: reviewTime, Weeks: rising},
		{Scope: scope("acme/a", "two"), Measure: reviewTime, Weeks: wobbly},
		{Scope: scope("acme/a", "two"), Measure: ci, Weeks: wobbly},
		{Scope: scope("acme/a", "two"), Measure: cfr, Weeks: nil},
	})
	want := []radar.Scope{scope("acme/a", "two"), scope("acme/a", "one"), scope("acme/b", ""), scope("acme/a", "better"), scope("acme/a", "quiet")}
	if len(r.Scopes) != len(want) {
		t.Fatalf("%d scopes, want %d", len(r.Scopes), len(want))
	}
	for i, s := range r.Scopes {
		if s.Scope != want[i] || s.Rank != i+1 {
			t.Errorf("rank %d: %+v (rank %d), want %+v", i+1, s.Scope, s.Rank, want[i])
		}
	}
	two := r.Scopes[0]
	if two.Worsening != 2 || len(two.Signals) != 2 {
		t.Fatalf("acme/a:two: %d worsening of %d signals, want 2 of 2", two.Worsening, len(two.Signals))
	}
	score := -math.Log10(two.Signals[0].Q) - math.Log10(two.Signals[1].Q)
	if math.Abs(two.Score-score) > 1e-12 {
		t.Errorf("score %v, want Σ −log10 q = %v", two.Score, score)
	}
	if one, b := r.Scopes[1], r.Scopes[2]; !(one.Score > b.Score) {
		t.Errorf("one worsening each: acme/a:one scores %v, acme/b %v; the clearer trend should rank first", one.Score, b.Score)
	}
	if better := r.Scopes[3]; better.Worsening != 0 || len(better.Signals) != 1 || better.Signals[0].Direction != radar.Improving {
		t.Errorf("acme/a:better: %+v, want one improving signal and no worsening", better)
	}
}
