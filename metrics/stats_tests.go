package metrics

import (
	"math"
	"math/rand/v2"
	"slices"
)

// The tests and intervals of the before/after comparison. Each documents the
// method it implements and which textbook or software output it reproduces;
// stats_test.go checks them against those published values.

// Interval is a two-sided confidence interval. An end that is infinite (the
// upper end of a rate ratio whose baseline count is 0) is ±Inf here and
// null in JSON.
type Interval struct {
	Low, High float64
}

// Excludes reports whether v lies outside the interval.
func (iv Interval) Excludes(v float64) bool { return v < iv.Low || v > iv.High }

// MannWhitneyResult is the two-sided Mann–Whitney U test of two samples.
type MannWhitneyResult struct {
	U float64 // U of the first sample: the number of pairs (x, y) with x > y, ties counting ½
	Z float64 // the continuity-corrected normal deviate, signed like U − n₁n₂/2
	P float64 // two-sided p-value
}

// MannWhitney is the two-sided Mann–Whitney U (Wilcoxon rank-sum) test of x
// against y by the normal approximation with the tie correction of the
// variance and a continuity correction of ½, exactly as R's
// wilcox.test(x, y, exact = FALSE, correct = TRUE) and SciPy's
// mannwhitneyu(x, y, method="asymptotic") compute it:
//
//	U = R₁ − n₁(n₁+1)/2   (R₁: the sum of x's mid-ranks in the pooled sample)
//	σ² = n₁n₂/12 · [(N+1) − Σ(t³−t)/(N(N−1))]   (t: the size of each group of ties)
//	z = (|U − n₁n₂/2| − ½)/σ,  p = 2(1 − Φ(z))
//
// The continuity correction is kept because the verdicts must not claim an
// effect more often than promised: with the small samples a before/after
// window can have, it brings the normal approximation closer to the exact
// null distribution, on the conservative side. ok is false when either
// sample is empty or every value is tied (σ = 0).
func MannWhitney(x, y []float64) (res MannWhitneyResult, ok bool) {
	n1, n2 := len(x), len(y)
	if n1 == 0 || n2 == 0 {
		return res, false
	}
	type obs struct {
		v     float64
		first bool
	}
	all := make([]obs, 0, n1+n2)
	for _, v := range x {
		all = append(all, obs{v, true})
	}
	for _, v := range y {
		all = append(all, obs{v, false})
	}
	slices.SortFunc(all, func(a, b obs) int {
		switch {
		case a.v < b.v:
			return -1
		case a.v > b.v:
			return 1
		}
		return 0
	})
	n := float64(n1 + n2)
	var r1, ties float64
	for i := 0; i < len(all); {
		j := i
		for j < len(all) && all[j].v == all[i].v {
			j++
		}
		rank := float64(i+j+1) / 2 // mid-rank of positions i..j-1 (1-based)
		for k := i; k < j; k++ {
			if all[k].first {
				r1 += rank
			}
		}
		if t := float64(j - i); t > 1 {
			ties += t*t*t - t
		}
		i = j
	}
	fn1, fn2 := float64(n1), float64(n2)
	res.U = r1 - fn1*(fn1+1)/2
	variance := fn1 * fn2 / 12 * ((n + 1) - ties/(n*(n-1)))
	if variance <= 0 {
		return res, false
	}
	diff := res.U - fn1*fn2/2
	corrected := math.Max(math.Abs(diff)-0.5, 0)
	res.Z = math.Copysign(corrected/math.Sqrt(variance), diff)
	res.P = math.Min(1, 2*NormalCDF(-corrected/math.Sqrt(variance)))
	return res, true
}

// FisherExactTwoSided is the two-sided p-value of Fisher's exact test of the
// 2×2 table [[a, b], [c, d]], as R's fisher.test computes it: the total
// hypergeometric probability (margins fixed) of the tables no more likely
// than the observed one, with a relative tolerance of 10⁻⁷.
func FisherExactTwoSided(a, b, c, d int) float64 {
	if a < 0 || b < 0 || c < 0 || d < 0 {
		return math.NaN()
	}
	row1, col1, n := a+b, a+c, a+b+c+d
	if n == 0 {
		return 1
	}
	lo, hi := max(0, col1-(n-row1)), min(row1, col1)
	logP := func(k int) float64 {
		return logChoose(row1, k) + logChoose(n-row1, col1-k) - logChoose(n, col1)
	}
	observed := logP(a)
	total := 0.0
	for k := lo; k <= hi; k++ {
		if lp := logP(k); lp <= observed+math.Log1p(1e-7) {
			total += math.Exp(lp)
		}
	}
	return math.Min(1, total)
}

// WilsonInterval is the Wilson score interval (Wilson 1927; method 3 of
// Newcombe, Stat Med 17:857, 1998) for x successes in n trials at the
// normal deviate z.
func WilsonInterval(x, n int, z float64) Interval {
	if n <= 0 {
		return Interval{math.NaN(), math.NaN()}
	}
	fn, p := float64(n), float64(x)/float64(n)
	centre := (p + z*z/(2*fn)) / (1 + z*z/fn)
	half := z / (1 + z*z/fn) * math.Sqrt(p*(1-p)/fn+z*z/(4*fn*fn))
	return Interval{math.Max(0, centre-half), math.Min(1, centre+half)}
}

// NewcombeDifference is the 95 % interval of p₁ − p₂ = x1/n1 − x2/n2 by
// Newcombe's hybrid score method (method 10 of Newcombe, "Interval
// estimation for the difference between independent proportions:
// comparison of eleven methods", Stat Med 17:873, 1998), which combines the
// Wilson intervals (l₁, u₁) and (l₂, u₂) of each proportion:
//
//	L = (p₁ − p₂) − √((p₁ − l₁)² + (u₂ − p₂)²)
//	U = (p₁ − p₂) + √((u₁ − p₁)² + (p₂ − l₂)²)
//
// It stays inside [−1, 1], behaves at 0 and 1, and its coverage is close to
// nominal for small samples, unlike the Wald interval.
func NewcombeDifference(x1, n1, x2, n2 int) (diff float64, iv Interval, ok bool) {
	if n1 <= 0 || n2 <= 0 || x1 < 0 || x2 < 0 || x1 > n1 || x2 > n2 {
		return 0, Interval{}, false
	}
	p1, p2 := float64(x1)/float64(n1), float64(x2)/float64(n2)
	w1, w2 := WilsonInterval(x1, n1, z975), WilsonInterval(x2, n2, z975)
	diff = p1 - p2
	iv.Low = diff - math.Sqrt((p1-w1.Low)*(p1-w1.Low)+(w2.High-p2)*(w2.High-p2))
	iv.High = diff + math.Sqrt((w1.High-p1)*(w1.High-p1)+(p2-w2.Low)*(p2-w2.Low))
	return diff, iv, true
}

// RateRatioResult compares two Poisson rates: count1 events over exposure1
// against count2 over exposure2.
type RateRatioResult struct {
	Ratio      float64  // (count1/exposure1) ÷ (count2/exposure2); +Inf when count2 is 0
	Interval   Interval // 95 %
	P          float64  // two-sided
	Dispersion float64  // the over-dispersion factor applied (1: pure Poisson)
	Method     string   // "poisson-exact" or "quasi-poisson"
}

// PoissonRateRatio is the exact conditional test and interval of the ratio
// of two Poisson rates, as R's poisson.test(c(count1, count2),
// c(exposure1, exposure2)) computes them: given the total count n, count1
// is Binomial(n, π) with π = R·e₁/(R·e₁ + e₂) for rate ratio R. The interval
// is the Clopper–Pearson interval of π mapped back, R = π/(1−π) · e₂/e₁, and
// the p-value is the exact binomial test of π = e₁/(e₁+e₂) (R = 1).
// ok is false when both counts are 0 or an exposure is not positive.
func PoissonRateRatio(count1 int, exposure1 float64, count2 int, exposure2 float64) (res RateRatioResult, ok bool) {
	if count1 < 0 || count2 < 0 || exposure1 <= 0 || exposure2 <= 0 || count1+count2 == 0 {
		return res, false
	}
	n := count1 + count2
	res.Ratio = (float64(count1) / exposure1) / (float64(count2) / exposure2)
	lo, hi := ClopperPearson(count1, n, 0.05)
	toRatio := func(pi float64) float64 {
		if pi >= 1 {
			return math.Inf(1)
		}
		return pi / (1 - pi) * exposure2 / exposure1
	}
	res.Interval = Interval{toRatio(lo), toRatio(hi)}
	res.P = BinomialTwoSidedP(count1, n, exposure1/(exposure1+exposure2))
	res.Dispersion, res.Method = 1, "poisson-exact"
	return res, true
}

// QuasiPoissonRateRatio is the rate ratio for counts that vary more than a
// Poisson process allows (over-dispersion φ > 1, as weekly deployment
// counts of a release train do): the Wald interval on the log scale with the
// variance scaled by φ (the quasi-Poisson model of McCullagh & Nelder,
// Generalized Linear Models, 2nd ed., §6.2), and a t reference distribution
// with df degrees of freedom since φ is estimated:
//
//	log R ± t(0.975, df) · √(φ (1/count1 + 1/count2))
//
// ok is false when either count is 0 (the log ratio is not finite).
func QuasiPoissonRateRatio(count1 int, exposure1 float64, count2 int, exposure2 float64, phi float64, df int) (res RateRatioResult, ok bool) {
	if count1 <= 0 || count2 <= 0 || exposure1 <= 0 || exposure2 <= 0 || df <= 0 || !(phi > 0) {
		return res, false
	}
	res.Ratio = (float64(count1) / exposure1) / (float64(count2) / exposure2)
	se := math.Sqrt(phi * (1/float64(count1) + 1/float64(count2)))
	t := StudentTQuantile(0.975, float64(df))
	logR := math.Log(res.Ratio)
	res.Interval = Interval{math.Exp(logR - t*se), math.Exp(logR + t*se)}
	res.P = StudentTTwoSidedP(logR/se, float64(df))
	res.Dispersion, res.Method = phi, "quasi-poisson"
	return res, true
}

// Dispersion estimates the over-dispersion of weekly counts split into
// groups (each group its own Poisson mean): Pearson's χ² over its degrees of
// freedom, Σ_groups Σ_weeks (y − ȳ_g)²/ȳ_g ÷ (weeks − groups). Groups whose
// mean is 0 add nothing. ok is false with fewer than groups + 1 weeks.
func Dispersion(groups ...[]float64) (phi float64, df int, ok bool) {
	var chi2 float64
	weeks, used := 0, 0
	for _, g := range groups {
		mean, okMean := Mean(g)
		if !okMean {
			continue
		}
		used++
		weeks += len(g)
		if mean <= 0 {
			continue
		}
		for _, y := range g {
			chi2 += (y - mean) * (y - mean) / mean
		}
	}
	df = weeks - used
	if df <= 0 {
		return 0, 0, false
	}
	return chi2 / float64(df), df, true
}

// BootstrapResult is a percentile bootstrap of the difference of two
// medians.
type BootstrapResult struct {
	Difference    float64  // median(after) − median(before)
	Interval      Interval // of the difference
	RatioInterval Interval // of median(after) ÷ median(before); NaN when a resampled before median is 0
	Resamples     int
}

// DefaultResamples and DefaultSeed are the bootstrap's fixed settings: the
// same data always gives the same interval, so a page is stable.
const (
	DefaultResamples        = 2000
	DefaultSeed      uint64 = 20240917
)

// BootstrapMedianDifference is the 95 % percentile bootstrap interval of
// median(after) − median(before) (Efron & Tibshirani, An Introduction to the
// Bootstrap, 1993, §13.3): each of the resamples draws len(before) values
// from before and len(after) from after, with replacement, independently;
// the interval is the 2.5th and 97.5th percentiles (type 7) of the
// resampled differences. The same resamples give the interval of the ratio
// of the medians. Randomness comes from a PCG generator seeded with seed, so
// the result is the same on every run. ok is false when a sample is empty.
func BootstrapMedianDifference(before, after []float64, resamples int, seed uint64) (res BootstrapResult, ok bool) {
	if len(before) == 0 || len(after) == 0 {
		return res, false
	}
	if resamples <= 0 {
		resamples = DefaultResamples
	}
	b, a := slices.Clone(before), slices.Clone(after)
	slices.Sort(b)
	slices.Sort(a)
	mb, _ := Median(b)
	ma, _ := Median(a)
	res.Difference, res.Resamples = ma-mb, resamples
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	diffs := make([]float64, resamples)
	ratios := make([]float64, resamples)
	countsB, countsA := make([]int, len(b)), make([]int, len(a))
	ratioOK := true
	for i := range resamples {
		rb := resampledMedian(rng, b, countsB)
		ra := resampledMedian(rng, a, countsA)
		diffs[i] = ra - rb
		if rb == 0 {
			ratioOK = false
		} else {
			ratios[i] = ra / rb
		}
	}
	lo, _ := Percentile(diffs, 0.025)
	hi, _ := Percentile(diffs, 0.975)
	res.Interval = Interval{lo, hi}
	res.RatioInterval = Interval{math.NaN(), math.NaN()}
	if ratioOK {
		rlo, _ := Percentile(ratios, 0.025)
		rhi, _ := Percentile(ratios, 0.975)
		res.RatioInterval = Interval{rlo, rhi}
	}
	return res, true
}

// resampledMedian draws len(sorted) indices with replacement and returns the
// type-7 median of the values they pick. Because sorted is in order, the
// k-th smallest resampled value is sorted[k-th smallest index]: counting the
// drawn indices finds the middle ones in O(n), with no sort.
func resampledMedian(rng *rand.Rand, sorted []float64, counts []int) float64 {
	n := len(sorted)
	clear(counts)
	for range n {
		counts[rng.IntN(n)]++
	}
	h := float64(n-1) / 2
	lo := int(math.Floor(h))
	frac := h - float64(lo)
	// Walk to the lo-th and (lo+1)-th order statistics (0-based).
	seen := 0
	vLo, haveLo := 0.0, false
	for i, c := range counts {
		if c == 0 {
			continue
		}
		seen += c
		if !haveLo && seen > lo {
			vLo, haveLo = sorted[i], true
			if frac == 0 {
				return vLo
			}
		}
		if seen > lo+1 {
			return vLo + frac*(sorted[i]-vLo)
		}
	}
	return vLo
}
