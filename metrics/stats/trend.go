package stats

import (
	"cmp"
	"math"
	"slices"
)

// The trend statistics of the refactor radar (docs/radar.md): is a weekly
// series going up or down, how fast, and which of many such tests to
// believe. Each function says which reference implementation it matches;
// trend_test.go holds it to that implementation's outputs.

// TheilSenResult is the Theil–Sen estimate of a line through (x, y).
type TheilSenResult struct {
	// Slope is the median of the pairwise slopes (yⱼ − yᵢ)/(xⱼ − xᵢ) over
	// the pairs with xⱼ > xᵢ (Theil 1950, Sen 1968).
	Slope float64
	// Intercept is median(y) − Slope·median(x).
	Intercept float64
	// Interval is Sen's distribution-free interval of the slope: two of
	// the sorted pairwise slopes, chosen by the normal approximation of
	// the variance of Kendall's S. NaN ends when that variance is not
	// positive after the tie corrections.
	Interval Interval
	// Pairs is the number of pairwise slopes (N in Sen 1968).
	Pairs int
}

// TheilSen is the Theil–Sen slope of y against x with Sen's interval at
// the given confidence level (0.95 for 95 %), as SciPy's
// scipy.stats.theilslopes(y, x, alpha=confidence) computes it (SciPy 1.10,
// method "separate"), and so, for x = 1…n, as R's trend::sens.slope:
//
//	σ² = [n(n−1)(2n+5) − Σ t(t−1)(2t+5) over the ties of x and of y] / 18
//	lower = slopes[round((N − z·σ)/2) − 1], upper = slopes[round((N + z·σ)/2)]
//
// with the N pairwise slopes sorted (0-based), z = Φ⁻¹(1 − (1−confidence)/2),
// the indices clamped to the slopes, and round half to even (NumPy's).
// x need not be evenly spaced (weeks left out are simply absent), nor
// sorted. ok is false when the lengths differ, a value is NaN, the
// confidence is outside (0, 1) or no two x differ.
func TheilSen(x, y []float64, confidence float64) (res TheilSenResult, ok bool) {
	if len(x) != len(y) || !(confidence > 0 && confidence < 1) || hasNaN(x) || hasNaN(y) {
		return res, false
	}
	slopes := make([]float64, 0, len(x)*(len(x)-1)/2)
	for i := range x {
		for j := range x {
			if dx := x[j] - x[i]; dx > 0 {
				slopes = append(slopes, (y[j]-y[i])/dx)
			}
		}
	}
	if len(slopes) == 0 {
		return res, false
	}
	slices.Sort(slopes)
	res.Pairs = len(slopes)
	res.Slope = percentileSorted(slopes, 0.5)
	my, _ := Median(y)
	mx, _ := Median(x)
	res.Intercept = my - res.Slope*mx

	n := float64(len(y))
	variance := (n*(n-1)*(2*n+5) - tieTerm(tieSizes(x)) - tieTerm(tieSizes(y))) / 18
	if !(variance >= 0) {
		res.Interval = Interval{math.NaN(), math.NaN()}
		return res, true
	}
	// zq is the lower quantile, negative, as in SciPy.
	zq := NormalQuantile((1 - confidence) / 2)
	sigma := math.Sqrt(variance)
	last := len(slopes) - 1
	upper := min(int(math.RoundToEven((float64(len(slopes))-zq*sigma)/2)), last)
	lower := max(int(math.RoundToEven((float64(len(slopes))+zq*sigma)/2))-1, 0)
	res.Interval = Interval{Low: slopes[lower], High: slopes[upper]}
	return res, true
}

// MannKendallResult is the Mann–Kendall test of a monotonic trend.
type MannKendallResult struct {
	N int
	// S is Σ over i < j of sign(yⱼ − yᵢ): positive for a rising series.
	S float64
	// VarS is the variance of S under no trend, corrected for ties.
	VarS float64
	// Tau is Kendall's τ_b of the series against time: S / D with
	// D = √[(n(n−1)/2 − Σ t(t−1)/2) · n(n−1)/2].
	Tau float64
	// Z is the continuity-corrected statistic sign(S)·(|S| − 1)/√VarS.
	Z float64
	// P is the two-sided p-value 2·min(0.5, 1 − Φ(|Z|)).
	P float64
}

// MannKendall is the two-sided Mann–Kendall test of a monotonic trend in
// y, the series in time order, as R's trend::mk.test(y) computes it
// (continuity = TRUE, its default; trend 1.1), which is also
// cor.test(1:n, y, method = "kendall", exact = FALSE, continuity = TRUE):
//
//	S    = Σ_{i<j} sign(yⱼ − yᵢ)
//	VarS = [n(n−1)(2n+5) − Σ t(t−1)(2t+5)] / 18, t the sizes of the groups of tied y
//	Z    = sign(S)·(|S| − 1)/√VarS
//	P    = 2·min(0.5, 1 − Φ(|Z|))
//
// The continuity correction is kept for the reason MannWhitney keeps it:
// S moves in steps of 2, and a signal must not claim more than the data
// show on the 6 to 12 points a radar has. Only the order of the values
// matters, so weeks left out of a series change nothing but n. ok is false
// with fewer than 3 values, a NaN, or a series whose values are all equal
// (VarS = 0: nothing to test).
func MannKendall(y []float64) (res MannKendallResult, ok bool) {
	n := len(y)
	if n < 3 || hasNaN(y) {
		return res, false
	}
	var s float64
	for i := range y {
		for j := i + 1; j < n; j++ {
			switch {
			case y[j] > y[i]:
				s++
			case y[j] < y[i]:
				s--
			}
		}
	}
	fn := float64(n)
	ties := tieSizes(y)
	varS := (fn*(fn-1)*(2*fn+5) - tieTerm(ties)) / 18
	if varS <= 0 {
		return res, false
	}
	pairs := fn * (fn - 1) / 2
	var tiedPairs float64
	for _, t := range ties {
		tiedPairs += t * (t - 1) / 2
	}
	res = MannKendallResult{N: n, S: s, VarS: varS, Tau: s / math.Sqrt((pairs-tiedPairs)*pairs)}
	if s != 0 {
		res.Z = math.Copysign((math.Abs(s)-1)/math.Sqrt(varS), s)
	}
	res.P = 2 * min(0.5, NormalCDF(-math.Abs(res.Z)))
	return res, true
}

// BenjaminiHochberg adjusts p-values for the false discovery rate (Benjamini
// and Hochberg, JRSS B 57:289, 1995), as R's p.adjust(p, method = "BH"):
// with the m p-values that are not NaN ranked p₍₁₎ ≤ … ≤ p₍ₘ₎,
// q₍ᵢ₎ = min over k ≥ i of min(1, m·p₍ₖ₎/k). Rejecting every hypothesis
// with q < α keeps the expected share of false discoveries at or below α
// (independent or positively dependent tests); when no hypothesis is
// false, that is the chance of any rejection. q is in the order of p;
// a NaN p gives a NaN q and does not count in m.
func BenjaminiHochberg(p []float64) []float64 {
	q := make([]float64, len(p))
	order := make([]int, 0, len(p))
	for i, v := range p {
		q[i] = math.NaN()
		if !math.IsNaN(v) {
			order = append(order, i)
		}
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(p[b], p[a]) })
	m := float64(len(order))
	running := 1.0
	for k, i := range order { // largest p first: its rank is m − k
		running = min(running, m*p[i]/(m-float64(k)))
		q[i] = running
	}
	return q
}

// tieSizes lists the sizes of the groups of equal values of xs (groups of
// one included).
func tieSizes(xs []float64) []float64 {
	sorted := slices.Clone(xs)
	slices.Sort(sorted)
	var sizes []float64
	for i := 0; i < len(sorted); {
		j := i + 1
		for j < len(sorted) && sorted[j] == sorted[i] {
			j++
		}
		sizes = append(sizes, float64(j-i))
		i = j
	}
	return sizes
}

// tieTerm is Σ t(t−1)(2t+5) over the sizes of the groups of tied values:
// what ties take off n(n−1)(2n+5), the variance of Kendall's S times 18.
func tieTerm(sizes []float64) float64 {
	var sum float64
	for _, t := range sizes {
		sum += t * (t - 1) * (2*t + 5)
	}
	return sum
}

func hasNaN(xs []float64) bool {
	return slices.ContainsFunc(xs, math.IsNaN)
}
