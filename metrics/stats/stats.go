// Package stats is the statistics behind tach's numbers, on plain float64
// slices: percentiles (one at a time, or several of millions of values at
// once), the distributions (normal, Student t, beta, binomial), the
// hypothesis tests and intervals of a before/after comparison (hypothesis.go),
// regression (regression.go), change-point detection, and the trend tests of
// the refactor radar (trend.go). It knows nothing of changes, deployments or
// reports: it is the leaf of package metrics and imports the standard
// library alone.
package stats

import "math"

// The distributions behind the before/after statistics (docs/decision-impact.md).
// Everything here is pure, deterministic and standard library only: the
// normal distribution, the regularized incomplete beta function and the
// Student t, beta and binomial distributions built on it.

// NormalCDF is Φ(x), the standard normal distribution function.
func NormalCDF(x float64) float64 {
	return 0.5 * math.Erfc(-x/math.Sqrt2)
}

// NormalQuantile is Φ⁻¹(p), by Wichura's algorithm AS 241 (PPND16, Applied
// Statistics 37:477, 1988), accurate to about 1 part in 10¹⁶. It is −Inf at
// 0, +Inf at 1 and NaN outside [0, 1].
func NormalQuantile(p float64) float64 {
	switch {
	case math.IsNaN(p) || p < 0 || p > 1:
		return math.NaN()
	case p == 0:
		return math.Inf(-1)
	case p == 1:
		return math.Inf(1)
	}
	q := p - 0.5
	if math.Abs(q) <= 0.425 {
		r := 0.180625 - q*q
		return q * (((((((r*2509.0809287301226727+33430.575583588128105)*r+67265.770927008700853)*r+
			45921.953931549871457)*r+13731.693765509461125)*r+1971.5909503065514427)*r+133.14166789178437745)*r +
			3.387132872796366608) /
			(((((((r*5226.495278852545925+28729.085735721942674)*r+39307.89580009271061)*r+
				21213.794301586595867)*r+5394.1960214247511077)*r+687.1870074920579083)*r+42.313330701600911252)*r + 1)
	}
	r := p
	if q > 0 {
		r = 1 - p
	}
	r = math.Sqrt(-math.Log(r))
	var x float64
	if r <= 5 {
		r -= 1.6
		x = (((((((r*7.7454501427834140764e-4+0.0227238449892691845833)*r+0.24178072517745061177)*r+
			1.27045825245236838258)*r+3.64784832476320460504)*r+5.7694972214606914055)*r+4.6303378461565452959)*r +
			1.42343711074968357734) /
			(((((((r*1.05075007164441684324e-9+5.475938084995344946e-4)*r+0.0151986665636164571966)*r+
				0.14810397642748007459)*r+0.68976733498510000455)*r+1.6763848301838038494)*r+2.05319162663775882187)*r + 1)
	} else {
		r -= 5
		x = (((((((r*2.01033439929228813265e-7+2.71155556874348757815e-5)*r+0.0012426609473880784386)*r+
			0.026532189526576123093)*r+0.29656057182850489123)*r+1.7848265399172913358)*r+5.4637849111641143699)*r +
			6.6579046435011037772) /
			(((((((r*2.04426310338993978564e-15+1.4215117583164458887e-7)*r+1.8463183175100546818e-5)*r+
				7.868691311456132591e-4)*r+0.0148753612908506148525)*r+0.13692988092273580531)*r+0.59983220655588793769)*r + 1)
	}
	if q < 0 {
		return -x
	}
	return x
}

// z975 is Φ⁻¹(0.975), the multiplier of a two-sided 95 % normal interval.
var z975 = NormalQuantile(0.975)

// RegIncBeta is the regularized incomplete beta function I_x(a, b), for
// a, b > 0 and x in [0, 1], by the continued fraction of Numerical Recipes
// (Press et al., 3rd ed., §6.4) evaluated with the modified Lentz method.
// Non-integer a and b are fine. NaN for arguments out of range.
func RegIncBeta(a, b, x float64) float64 {
	switch {
	case math.IsNaN(a) || math.IsNaN(b) || math.IsNaN(x) || a <= 0 || b <= 0 || x < 0 || x > 1:
		return math.NaN()
	case x == 0:
		return 0
	case x == 1:
		return 1
	}
	la, _ := math.Lgamma(a)
	lb, _ := math.Lgamma(b)
	lab, _ := math.Lgamma(a + b)
	front := math.Exp(lab - la - lb + a*math.Log(x) + b*math.Log1p(-x))
	// The continued fraction converges fast for x < (a+1)/(a+b+2); use the
	// symmetry I_x(a, b) = 1 − I_{1−x}(b, a) on the other side.
	if x < (a+1)/(a+b+2) {
		return front * betaContinuedFraction(a, b, x) / a
	}
	return 1 - front*betaContinuedFraction(b, a, 1-x)/b
}

func betaContinuedFraction(a, b, x float64) float64 {
	const tiny = 1e-300
	const eps = 1e-16
	qab, qap, qam := a+b, a+1, a-1
	c, d := 1.0, 1-qab*x/qap
	if math.Abs(d) < tiny {
		d = tiny
	}
	d = 1 / d
	h := d
	for m := 1; m <= 10000; m++ {
		fm := float64(m)
		m2 := 2 * fm
		aa := fm * (b - fm) * x / ((qam + m2) * (a + m2))
		d = 1 + aa*d
		if math.Abs(d) < tiny {
			d = tiny
		}
		c = 1 + aa/c
		if math.Abs(c) < tiny {
			c = tiny
		}
		d = 1 / d
		h *= d * c
		aa = -(a + fm) * (qab + fm) * x / ((a + m2) * (qap + m2))
		d = 1 + aa*d
		if math.Abs(d) < tiny {
			d = tiny
		}
		c = 1 + aa/c
		if math.Abs(c) < tiny {
			c = tiny
		}
		d = 1 / d
		del := d * c
		h *= del
		if math.Abs(del-1) < eps {
			break
		}
	}
	return h
}

// BetaQuantile is the p-quantile of the Beta(a, b) distribution: the x with
// I_x(a, b) = p, by bisection (I_x is increasing in x), to full precision.
func BetaQuantile(p, a, b float64) float64 {
	switch {
	case math.IsNaN(p) || p < 0 || p > 1 || a <= 0 || b <= 0:
		return math.NaN()
	case p == 0:
		return 0
	case p == 1:
		return 1
	}
	lo, hi := 0.0, 1.0
	for range 200 {
		mid := (lo + hi) / 2
		if mid == lo || mid == hi {
			break
		}
		if RegIncBeta(a, b, mid) < p {
			lo = mid
		} else {
			hi = mid
		}
	}
	return (lo + hi) / 2
}

// StudentTCDF is P(T ≤ t) for Student's t distribution with df degrees of
// freedom (df > 0, not necessarily whole): with x = df/(df + t²),
// P(|T| > |t|) = I_x(df/2, 1/2).
func StudentTCDF(t, df float64) float64 {
	if math.IsNaN(t) || math.IsNaN(df) || df <= 0 {
		return math.NaN()
	}
	if math.IsInf(t, 0) {
		if t > 0 {
			return 1
		}
		return 0
	}
	tail := 0.5 * RegIncBeta(df/2, 0.5, df/(df+t*t)) // P(T > |t|)
	if t > 0 {
		return 1 - tail
	}
	return tail
}

// StudentTQuantile is the p-quantile of Student's t with df degrees of
// freedom, by bisection on StudentTCDF.
func StudentTQuantile(p, df float64) float64 {
	switch {
	case math.IsNaN(p) || p < 0 || p > 1 || df <= 0:
		return math.NaN()
	case p == 0:
		return math.Inf(-1)
	case p == 1:
		return math.Inf(1)
	case p == 0.5:
		return 0
	}
	if p < 0.5 {
		return -StudentTQuantile(1-p, df)
	}
	// Bracket: the normal quantile is a lower bound for p > 0.5.
	lo, hi := 0.0, math.Max(1, 2*NormalQuantile(p))
	for StudentTCDF(hi, df) < p {
		lo, hi = hi, hi*2
		if hi > 1e12 {
			return math.Inf(1)
		}
	}
	for range 200 {
		mid := (lo + hi) / 2
		if mid == lo || mid == hi {
			break
		}
		if StudentTCDF(mid, df) < p {
			lo = mid
		} else {
			hi = mid
		}
	}
	return (lo + hi) / 2
}

// StudentTTwoSidedP is P(|T| ≥ |t|) with df degrees of freedom.
func StudentTTwoSidedP(t, df float64) float64 {
	if math.IsNaN(t) || df <= 0 {
		return math.NaN()
	}
	if math.IsInf(t, 0) {
		return 0
	}
	return RegIncBeta(df/2, 0.5, df/(df+t*t))
}

// logChoose is log C(n, k).
func logChoose(n, k int) float64 {
	a, _ := math.Lgamma(float64(n + 1))
	b, _ := math.Lgamma(float64(k + 1))
	c, _ := math.Lgamma(float64(n - k + 1))
	return a - b - c
}

// BinomialPMF is P(X = k) for X ~ Binomial(n, p).
func BinomialPMF(k, n int, p float64) float64 {
	switch {
	case k < 0 || k > n:
		return 0
	case p <= 0:
		if k == 0 {
			return 1
		}
		return 0
	case p >= 1:
		if k == n {
			return 1
		}
		return 0
	}
	return math.Exp(logChoose(n, k) + float64(k)*math.Log(p) + float64(n-k)*math.Log1p(-p))
}

// BinomialTwoSidedP is the two-sided p-value of the exact binomial test of
// x successes in n trials against probability p, as R's binom.test computes
// it: the total probability of the outcomes no more likely than x (with a
// relative tolerance of 10⁻⁷ for ties in probability).
func BinomialTwoSidedP(x, n int, p float64) float64 {
	if n <= 0 || x < 0 || x > n || math.IsNaN(p) {
		return math.NaN()
	}
	d := BinomialPMF(x, n, p) * (1 + 1e-7)
	total := 0.0
	for k := 0; k <= n; k++ {
		if pk := BinomialPMF(k, n, p); pk <= d {
			total += pk
		}
	}
	return math.Min(1, total)
}

// ClopperPearson is the exact (Clopper–Pearson) two-sided interval at level
// 1 − alpha for a binomial proportion with x successes in n trials: the
// alpha/2 quantile of Beta(x, n−x+1) and the 1 − alpha/2 quantile of
// Beta(x+1, n−x).
func ClopperPearson(x, n int, alpha float64) (lo, hi float64) {
	if n <= 0 || x < 0 || x > n {
		return math.NaN(), math.NaN()
	}
	lo, hi = 0, 1
	if x > 0 {
		lo = BetaQuantile(alpha/2, float64(x), float64(n-x+1))
	}
	if x < n {
		hi = BetaQuantile(1-alpha/2, float64(x+1), float64(n-x))
	}
	return lo, hi
}
