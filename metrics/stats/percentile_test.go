package stats

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestPercentileType7(t *testing.T) {
	// Expectations by hand with h = (n−1)·p, x[⌊h⌋] + frac(h)·(x[⌊h⌋+1] − x[⌊h⌋]),
	// which is numpy.percentile's default ("linear").
	tests := []struct {
		name string
		xs   []float64
		p    float64
		want float64
	}{
		{"even median is the mean of the middle two", []float64{1, 2, 3, 4}, 0.5, 2.5},  // h=1.5: 2+.5·1
		{"p75 of 1..4", []float64{1, 2, 3, 4}, 0.75, 3.25},                              // h=2.25: 3+.25·1
		{"p90 of 1..4", []float64{1, 2, 3, 4}, 0.90, 3.7},                               // h=2.7: 3+.7·1
		{"p0 is the minimum", []float64{4, 1, 3, 2}, 0, 1},                              // h=0
		{"p100 is the maximum", []float64{4, 1, 3, 2}, 1, 4},                            // h=3
		{"odd median, unsorted input", []float64{3, 1, 2}, 0.5, 2},                      // h=1
		{"odd count p75 falls on a rank", []float64{1, 2, 3, 4, 5}, 0.75, 4},            // h=3
		{"odd count p90", []float64{1, 2, 3, 4, 5}, 0.90, 4.6},                          // h=3.6: 4+.6·1
		{"p90 of 10..100", []float64{10, 20, 30, 40, 50, 60, 70, 80, 90, 100}, 0.9, 91}, // h=8.1: 90+.1·10
		{"p40 of numpy's doc-like sample", []float64{15, 20, 35, 40, 50}, 0.4, 29},      // h=1.6: 20+.6·15
		{"single value", []float64{7}, 0.9, 7},
		{"ties", []float64{5, 5, 5, 9}, 0.5, 5}, // h=1.5: 5+.5·0
		{"p above 1 is clamped", []float64{1, 2}, 1.5, 2},
		{"p below 0 is clamped", []float64{1, 2}, -1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := slices.Clone(tt.xs)
			got, ok := Percentile(in, tt.p)
			if !ok || math.Abs(got-tt.want) > 1e-9 {
				t.Errorf("Percentile(%v, %v) = %v, %v; want %v", tt.xs, tt.p, got, ok, tt.want)
			}
			if !slices.Equal(in, tt.xs) {
				t.Errorf("Percentile reordered its input: %v", in)
			}
		})
	}
}

func TestMedianMeanAndEmpty(t *testing.T) {
	if m, ok := Median([]float64{9, 1, 5}); !ok || m != 5 {
		t.Errorf("odd median = %v, %v; want 5", m, ok)
	}
	if m, ok := Median([]float64{9, 1, 5, 3}); !ok || m != 4 { // (3+5)/2
		t.Errorf("even median = %v, %v; want 4", m, ok)
	}
	if m, ok := Mean([]float64{1, 2, 6}); !ok || m != 3 {
		t.Errorf("mean = %v, %v; want 3", m, ok)
	}
	for name, fn := range map[string]func([]float64) (float64, bool){
		"Median": Median, "Mean": Mean, "Percentile": func(xs []float64) (float64, bool) { return Percentile(xs, 0.9) },
	} {
		if _, ok := fn(nil); ok {
			t.Errorf("%s(nil) ok = true, want false", name)
		}
	}
	if MedianOrNil(nil) != nil || MeanOrNil([]float64{}) != nil || PercentileOrNil(nil, 0.75) != nil {
		t.Error("the OrNil helpers must give nil on no data")
	}
	if RateOrNil(0, 0) != nil {
		t.Error("RateOrNil(0, 0) must be nil: no denominator")
	}
	if r := RateOrNil(0, 4); r == nil || *r != 0 {
		t.Errorf("RateOrNil(0, 4) = %s, want 0 (a real zero rate)", valueOrNil(r))
	}
	if m := MedianOrNil([]float64{0, 0}); m == nil || *m != 0 {
		t.Errorf("MedianOrNil([0 0]) = %s, want 0: zero data is a value", valueOrNil(m))
	}
}

func valueOrNil(p *float64) string {
	if p == nil {
		return "nil"
	}
	return fmt.Sprint(*p)
}

// PercentileWithout is Percentile of what is left, on random multisets
// with ties (the case its search must get right).
func TestPercentileWithoutIsPercentileOfTheRest(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	for range 2000 {
		n := 1 + rng.IntN(40)
		all := make([]float64, n)
		for i := range all {
			all[i] = float64(rng.IntN(12))
		}
		var part, rest []float64
		for _, x := range all {
			if rng.IntN(3) == 0 {
				part = append(part, x)
			} else {
				rest = append(rest, x)
			}
		}
		slices.Sort(all)
		slices.Sort(part)
		for _, p := range []float64{0, 0.25, 0.5, 0.75, 0.9, 1} {
			got, ok := PercentileWithout(all, part, p)
			want, wantOK := Percentile(rest, p)
			if ok != wantOK || math.Abs(got-want) > 1e-9 {
				t.Fatalf("all %v without %v, p%v: %v %t; want %v %t", all, part, p, got, ok, want, wantOK)
			}
		}
	}
}
