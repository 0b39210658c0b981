package stats

import (
	"math"
	"slices"
	"sort"
)

// Percentile returns the p-quantile of xs, p in [0, 1] (clamped), by linear
// interpolation between closest ranks: Hyndman–Fan type 7, numpy's default.
// With the values sorted as x[0] ≤ … ≤ x[n−1], h = (n−1)·p, and the result is
// x[⌊h⌋] + (h − ⌊h⌋)·(x[⌊h⌋+1] − x[⌊h⌋]). So [1 2 3 4] gives p50 = 2.5,
// p75 = 3.25, p90 = 3.7. xs is not modified; ok is false when it is empty.
func Percentile(xs []float64, p float64) (value float64, ok bool) {
	if len(xs) == 0 || math.IsNaN(p) {
		return 0, false
	}
	sorted := slices.Clone(xs)
	slices.Sort(sorted)
	return percentileSorted(sorted, p), true
}

// percentileSorted is Percentile of values already sorted, at least one.
func percentileSorted(sorted []float64, p float64) float64 {
	h := float64(len(sorted)-1) * min(max(p, 0), 1)
	lo := int(math.Floor(h))
	if lo >= len(sorted)-1 {
		return sorted[len(sorted)-1]
	}
	return sorted[lo] + (h-float64(lo))*(sorted[lo+1]-sorted[lo])
}

// Median is the 50th percentile: for an even count, the mean of the two
// middle values.
func Median(xs []float64) (float64, bool) { return Percentile(xs, 0.5) }

// Mean is the arithmetic mean; ok is false when xs is empty.
func Mean(xs []float64) (float64, bool) {
	if len(xs) == 0 {
		return 0, false
	}
	var sum float64
	for _, x := range xs {
		sum += x
	}
	return sum / float64(len(xs)), true
}

// The Report holds *float64 so that "no data" is null, never 0. These build
// those values.

// FloatOrNil returns &v when ok, nil otherwise.
func FloatOrNil(v float64, ok bool) *float64 {
	if !ok {
		return nil
	}
	return &v
}

// FiniteOrNil is v as a Report value, nil when it is NaN or ±Inf (JSON
// has neither).
func FiniteOrNil(v float64) *float64 {
	return FloatOrNil(v, !math.IsNaN(v) && !math.IsInf(v, 0))
}

// PercentileOrNil is Percentile as a Report value.
func PercentileOrNil(xs []float64, p float64) *float64 { return FloatOrNil(Percentile(xs, p)) }

// MedianOrNil is Median as a Report value.
func MedianOrNil(xs []float64) *float64 { return FloatOrNil(Median(xs)) }

// MeanOrNil is Mean as a Report value.
func MeanOrNil(xs []float64) *float64 { return FloatOrNil(Mean(xs)) }

// RateOrNil is part ÷ whole, nil when whole is 0.
func RateOrNil(part, whole int) *float64 {
	if whole == 0 {
		return nil
	}
	return FloatOrNil(float64(part)/float64(whole), true)
}

// PercentileWithout is Percentile of the values of all once those of part
// are taken out (a multiset difference): both sorted, part a sub-multiset
// of all. It reads O(log² n) values, not all of them, so that a breakdown
// can ask it for each of a thousand parts. ok is false when nothing is
// left.
func PercentileWithout(all, part []float64, p float64) (value float64, ok bool) {
	n := len(all) - len(part)
	if n <= 0 || math.IsNaN(p) {
		return 0, false
	}
	h := float64(n-1) * min(max(p, 0), 1)
	lo := int(math.Floor(h))
	x := nthWithout(all, part, lo)
	if lo >= n-1 {
		return x, true
	}
	return x + (h-float64(lo))*(nthWithout(all, part, lo+1)-x), true
}

// nthWithout is the k-th smallest value (from 0) of all without part.
// The values left at or below x number ≤(all, x) − ≤(part, x), which
// grows with x; the k-th is the least value of all at which it passes k
// (that value is left: were every copy of it in part, the count would
// pass k at a smaller value already).
func nthWithout(all, part []float64, k int) float64 {
	atOrBelow := func(s []float64, x float64) int { return sort.Search(len(s), func(j int) bool { return s[j] > x }) }
	i := sort.Search(len(all), func(i int) bool { return atOrBelow(all, all[i])-atOrBelow(part, all[i]) > k })
	return all[i]
}
