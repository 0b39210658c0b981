package stats_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/tach-dev/tach/metrics/stats"
)

// Every statistic of the before/after comparison, checked against published
// reference values. Each case names its source.

func near(t *testing.T, name string, got, want, tol float64) {
	t.Helper()
	if math.IsNaN(got) || math.Abs(got-want) > tol {
		t.Errorf("%s = %.10g, want %.10g (±%g)", name, got, want, tol)
	}
}

func TestNormalQuantileAndCDF(t *testing.T) {
	// Reference values: R's qnorm / pnorm (double precision), which agree
	// with the tables of Abramowitz & Stegun (1964), Table 26.5; Wichura's
	// AS 241 is accurate to about 1e-16.
	cases := []struct{ p, z float64 }{
		{0.975, 1.959963984540054},
		{0.95, 1.6448536269514722},
		{0.995, 2.5758293035489004},
		{0.999, 3.090232306167813},
		{0.5, 0},
		{0.025, -1.959963984540054},
		{1e-10, -6.361340902404056},
	}
	for _, c := range cases {
		near(t, "NormalQuantile", stats.NormalQuantile(c.p), c.z, 1e-12)
	}
	near(t, "NormalCDF(1.96)", stats.NormalCDF(1.96), 0.9750021048517795, 1e-15)
	near(t, "NormalCDF(-3)", stats.NormalCDF(-3), 0.0013498980316301, 1e-15)
	// Round trip over the whole range, including the tails.
	for _, p := range []float64{1e-300, 1e-20, 1e-6, 0.01, 0.3, 0.42, 0.7, 0.93, 1 - 1e-9} {
		z := stats.NormalQuantile(p)
		near(t, "Φ(Φ⁻¹(p))/p", stats.NormalCDF(z)/p, 1, 1e-12)
	}
	if !math.IsInf(stats.NormalQuantile(1), 1) || !math.IsNaN(stats.NormalQuantile(1.5)) {
		t.Error("NormalQuantile at 1 or outside [0, 1]")
	}
}

func TestStudentT(t *testing.T) {
	// Critical values t(0.975, df) and t(0.95, df): NIST/SEMATECH
	// e-Handbook of Statistical Methods, §1.3.6.7.2 "Critical values of the
	// Student's t distribution" (three decimals).
	cases := []struct{ p, df, t float64 }{
		{0.975, 1, 12.706}, {0.975, 2, 4.303}, {0.975, 5, 2.571}, {0.975, 10, 2.228},
		{0.975, 30, 2.042}, {0.975, 100, 1.984}, {0.95, 10, 1.812}, {0.99, 20, 2.528},
	}
	for _, c := range cases {
		near(t, "StudentTQuantile", stats.StudentTQuantile(c.p, c.df), c.t, 5e-4)
		near(t, "StudentTCDF", stats.StudentTCDF(c.t, c.df), c.p, 2e-4)
	}
	// df = 1 is the Cauchy distribution: F(t) = ½ + atan(t)/π exactly.
	for _, x := range []float64{-3, -0.5, 0, 1, 7} {
		near(t, "Cauchy CDF", stats.StudentTCDF(x, 1), 0.5+math.Atan(x)/math.Pi, 1e-13)
	}
	// df = 2 has a closed form too: F(t) = ½ + t / (2√(2 + t²)).
	for _, x := range []float64{-2, 0.3, 4} {
		near(t, "t(2) CDF", stats.StudentTCDF(x, 2), 0.5+x/(2*math.Sqrt(2+x*x)), 1e-13)
	}
	near(t, "two-sided p", stats.StudentTTwoSidedP(2.228, 10), 0.05, 2e-4)
}

func TestRegIncBeta(t *testing.T) {
	// Closed forms: I_x(a, 1) = xᵃ, I_x(1, b) = 1 − (1−x)ᵇ, I_½(a, a) = ½.
	for _, x := range []float64{0.01, 0.2, 0.5, 0.77, 0.99} {
		near(t, "I_x(3.5, 1)", stats.RegIncBeta(3.5, 1, x), math.Pow(x, 3.5), 1e-13)
		near(t, "I_x(1, 2.5)", stats.RegIncBeta(1, 2.5, x), 1-math.Pow(1-x, 2.5), 1e-13)
	}
	near(t, "I_½(7, 7)", stats.RegIncBeta(7, 7, 0.5), 0.5, 1e-14)
	// The binomial tail: P(X ≥ k) = I_p(k, n−k+1) for X ~ Bin(n, p).
	n, p := 20, 0.3
	for k := 1; k <= n; k++ {
		tail := 0.0
		for j := k; j <= n; j++ {
			tail += stats.BinomialPMF(j, n, p)
		}
		near(t, "binomial tail", stats.RegIncBeta(float64(k), float64(n-k+1), p), tail, 1e-13)
	}
}

func TestMannWhitney(t *testing.T) {
	// SciPy's documentation of scipy.stats.mannwhitneyu (the example of
	// Conover's "Practical Nonparametric Statistics"): males vs females,
	// U₁ = 17; method="asymptotic" (continuity correction on) gives
	// p = 0.11134688653314041. By hand: μ = 10, σ = √(5·4·10/12) = 4.0825,
	// z = (17 − 10 − ½)/σ = 1.59217, p = 2(1 − Φ(z)).
	males := []float64{19, 22, 16, 29, 24}
	females := []float64{20, 11, 17, 12}
	r, ok := stats.MannWhitney(males, females)
	if !ok {
		t.Fatal("MannWhitney failed")
	}
	near(t, "U", r.U, 17, 0)
	near(t, "z", r.Z, 1.5921683328090657, 1e-12)
	near(t, "p", r.P, 0.11134688653314041, 1e-12)

	// R's wilcox.test help page, Hollander & Wolfe (1973, p. 69):
	// permeability constants of the human chorioamnion; W = 35. With
	// exact = FALSE, correct = TRUE, by hand: μ = 25, σ² = 10·5·16/12,
	// z = (35 − 25 − ½)/8.16497 = 1.16351, two-sided p = 0.24462.
	x := []float64{0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46}
	y := []float64{1.15, 0.88, 0.90, 0.74, 1.21}
	r, _ = stats.MannWhitney(x, y)
	near(t, "W (Hollander & Wolfe)", r.U, 35, 0)
	near(t, "p (Hollander & Wolfe)", r.P, 2*stats.NormalCDF(-9.5/math.Sqrt(200.0/3)), 1e-14)
	near(t, "p (Hollander & Wolfe, 4 d.p.)", r.P, 0.2446, 1e-4)

	// R: wilcox.test(c(1, 2, 3), c(4, 5, 6), exact = FALSE) prints W = 0,
	// p-value = 0.08086 (μ = 4.5, σ² = 5.25, z = −4/2.2913).
	r, _ = stats.MannWhitney([]float64{1, 2, 3}, []float64{4, 5, 6})
	near(t, "U (no overlap)", r.U, 0, 0)
	near(t, "p (no overlap)", r.P, 0.08086, 5e-6)

	// Ties, by hand: x = {1, 2, 2}, y = {2, 3, 4}. Pooled mid-ranks:
	// 1 → 1; the three 2s → 3; 3 → 5; 4 → 6. R₁ = 1 + 3 + 3 = 7,
	// U = 7 − 6 = 1. Tie correction: one group of t = 3, Σ(t³ − t) = 24;
	// σ² = 9/12 · (7 − 24/30) = 4.65. z = (|1 − 4.5| − ½)/√4.65 = 1.39122,
	// p = 0.16416 (R: wilcox.test(c(1,2,2), c(2,3,4), exact=FALSE) agrees).
	r, _ = stats.MannWhitney([]float64{1, 2, 2}, []float64{2, 3, 4})
	near(t, "U (ties)", r.U, 1, 0)
	near(t, "p (ties)", r.P, 2*stats.NormalCDF(-3/math.Sqrt(4.65)), 1e-14)
	near(t, "p (ties, published)", r.P, 0.1641597, 1e-6)

	// Symmetry and degenerate input.
	r2, _ := stats.MannWhitney([]float64{2, 3, 4}, []float64{1, 2, 2})
	near(t, "p symmetric", r2.P, r.P, 1e-15)
	if _, ok := stats.MannWhitney([]float64{5, 5}, []float64{5, 5, 5}); ok {
		t.Error("all tied: want ok = false")
	}
	if _, ok := stats.MannWhitney(nil, []float64{1}); ok {
		t.Error("empty sample: want ok = false")
	}
}

func TestFisherExact(t *testing.T) {
	// Fisher's lady tasting tea (The Design of Experiments, 1935), R's
	// fisher.test help page: TeaTasting = [[3, 1], [1, 3]], p = 0.4857.
	near(t, "tea tasting", stats.FisherExactTwoSided(3, 1, 1, 3), 0.4857, 5e-5)
	near(t, "tea tasting, exact", stats.FisherExactTwoSided(3, 1, 1, 3), 34.0/70, 1e-12)
	// Wikipedia, "Fisher's exact test", worked example (dieting by sex):
	// [[1, 9], [11, 3]], two-sided p = 0.002759.
	near(t, "dieting", stats.FisherExactTwoSided(1, 9, 11, 3), 0.002759, 5e-7)
	// Transposing the table or swapping rows does not change p.
	near(t, "transposed", stats.FisherExactTwoSided(1, 11, 9, 3), 0.002759, 5e-7)
	near(t, "rows swapped", stats.FisherExactTwoSided(11, 3, 1, 9), 0.002759, 5e-7)
	near(t, "no difference", stats.FisherExactTwoSided(5, 5, 5, 5), 1, 1e-12)
}

func TestWilsonInterval(t *testing.T) {
	// Newcombe, "Two-sided confidence intervals for the single proportion:
	// comparison of seven methods", Stat Med 17:857 (1998), Table I,
	// method 3 (Wilson score, no continuity correction).
	z := stats.NormalQuantile(0.975)
	cases := []struct {
		x, n      int
		low, high float64
	}{
		{81, 263, 0.2553, 0.3662},
		{15, 148, 0.0624, 0.1605},
		{0, 20, 0.0000, 0.1611},
		{1, 29, 0.0061, 0.1718},
	}
	for _, c := range cases {
		iv := stats.WilsonInterval(c.x, c.n, z)
		near(t, "Wilson low", iv.Low, c.low, 5e-5)
		near(t, "Wilson high", iv.High, c.high, 5e-5)
	}
}

func TestNewcombeDifference(t *testing.T) {
	// Newcombe, "Interval estimation for the difference between independent
	// proportions: comparison of eleven methods", Stat Med 17:873 (1998),
	// Table II, method 10 (hybrid score), examples (a)–(h).
	cases := []struct {
		x1, n1, x2, n2 int
		low, high      float64
	}{
		{56, 70, 48, 80, 0.0524, 0.3339},
		{9, 10, 3, 10, 0.1705, 0.8090},
		{6, 7, 2, 7, 0.0582, 0.8062},
		{5, 56, 0, 29, -0.0381, 0.1926},
		{0, 10, 0, 20, -0.1611, 0.2775},
		{0, 10, 0, 10, -0.2775, 0.2775},
		{10, 10, 0, 20, 0.6791, 1.0000},
		{10, 10, 0, 10, 0.6075, 1.0000},
	}
	for _, c := range cases {
		d, iv, ok := stats.NewcombeDifference(c.x1, c.n1, c.x2, c.n2)
		if !ok {
			t.Fatalf("%d/%d − %d/%d: not ok", c.x1, c.n1, c.x2, c.n2)
		}
		near(t, "difference", d, float64(c.x1)/float64(c.n1)-float64(c.x2)/float64(c.n2), 1e-15)
		near(t, "Newcombe low", iv.Low, c.low, 5e-5)
		near(t, "Newcombe high", iv.High, c.high, 5e-5)
	}
	if _, _, ok := stats.NewcombeDifference(1, 0, 1, 2); ok {
		t.Error("n = 0: want ok = false")
	}
}

func TestPoissonRateRatio(t *testing.T) {
	// R's poisson.test help page (data eba1977 from ISwR): Fredericia's
	// lung cancer cases against the other three cities, ages 55–59:
	// poisson.test(c(11, 6+8+7), c(800, 1083+1050+878)) prints
	// rate ratio 1.971488, 95 % CI 0.8584264 to 4.2772659, p = 0.07967.
	r, ok := stats.PoissonRateRatio(11, 800, 21, 1083+1050+878)
	if !ok {
		t.Fatal("not ok")
	}
	near(t, "rate ratio", r.Ratio, 1.971488, 5e-7)
	near(t, "low", r.Interval.Low, 0.8584264, 5e-8)
	near(t, "high", r.Interval.High, 4.2772659, 5e-8)
	near(t, "p", r.P, 0.07967, 5e-6)

	// A baseline of 0 events: the ratio and the upper end are infinite, the
	// lower end is finite (and > 1 when the new rate is clearly higher).
	r, ok = stats.PoissonRateRatio(30, 56, 0, 56)
	if !ok || !math.IsInf(r.Ratio, 1) || !math.IsInf(r.Interval.High, 1) || !(r.Interval.Low > 1) {
		t.Errorf("0 baseline: %+v", r)
	}
	if _, ok := stats.PoissonRateRatio(0, 56, 0, 56); ok {
		t.Error("no events at all: want ok = false")
	}
}

func TestClopperPearsonAndBinomialTest(t *testing.T) {
	// R's binom.test help page (Conover 1971, p. 97f; Mendel's peas):
	// binom.test(682, 925, p = 0.75) prints p-value = 0.3825 and the 95 %
	// interval 0.7076683 to 0.7654066.
	lo, hi := stats.ClopperPearson(682, 925, 0.05)
	near(t, "CP low", lo, 0.7076683, 5e-8)
	near(t, "CP high", hi, 0.7654066, 5e-8)
	near(t, "binomial p", stats.BinomialTwoSidedP(682, 925, 0.75), 0.3825, 5e-5)
	// Edge cases: x = 0 and x = n have one-sided exact ends (0.025^(1/n)).
	lo, hi = stats.ClopperPearson(0, 10, 0.05)
	near(t, "CP(0/10) low", lo, 0, 0)
	near(t, "CP(0/10) high", hi, 1-math.Pow(0.025, 0.1), 1e-12)
}

func TestQuasiPoissonRateRatio(t *testing.T) {
	// With φ = 1 and df → ∞ it is the log-normal (Wald) interval of a rate
	// ratio, RR·exp(±z√(1/a + 1/b)) (Rothman, Greenland & Lash, Modern
	// Epidemiology, 3rd ed., ch. 14). On the poisson.test example above, by
	// hand: RR = 1.971488, SE = √(1/11 + 1/21) = 0.372193,
	// exp(±1.959964·0.372193) → 0.9506 to 4.0889.
	r, ok := stats.QuasiPoissonRateRatio(11, 800, 21, 3011, 1, 1_000_000_000)
	if !ok {
		t.Fatal("not ok")
	}
	near(t, "IRR", r.Ratio, 1.971488, 5e-7)
	near(t, "low", r.Interval.Low, 0.9506, 5e-5)
	near(t, "high", r.Interval.High, 4.0889, 5e-5)
	// The z test on log RR: z = log(1.971488)/0.372193 = 1.82386, p = 0.0682.
	near(t, "p", r.P, 2*stats.NormalCDF(-math.Log(r.Ratio)/math.Sqrt(1.0/11+1.0/21)), 1e-6)
	// Over-dispersion widens it by √φ on the log scale; few degrees of
	// freedom widen it by t(0.975, df)/z.
	w, _ := stats.QuasiPoissonRateRatio(11, 800, 21, 3011, 4, 1_000_000_000)
	near(t, "φ = 4 widens by 2", math.Log(w.Interval.High/w.Ratio), 2*math.Log(r.Interval.High/r.Ratio), 1e-6)
	s, _ := stats.QuasiPoissonRateRatio(11, 800, 21, 3011, 1, 10)
	near(t, "df = 10", math.Log(s.Interval.High/s.Ratio), 2.228139*math.Sqrt(1.0/11+1.0/21), 1e-5)
	if _, ok := stats.QuasiPoissonRateRatio(0, 800, 21, 3011, 2, 10); ok {
		t.Error("a zero count: want ok = false")
	}
}

func TestDispersion(t *testing.T) {
	// Poisson-like groups: variance ≈ mean → φ ≈ 1; a release train
	// (0, 6, 0, 6, …) is over-dispersed.
	phi, df, ok := stats.Dispersion([]float64{4, 6, 5, 5}, []float64{9, 11, 10, 10})
	if !ok || df != 6 {
		t.Fatalf("df = %d, ok = %v", df, ok)
	}
	// χ² = (1+1+0+0)/5 + (1+1+0+0)/10 = 0.6; φ = 0.6/6.
	near(t, "φ", phi, 0.1, 1e-12)
	phi, _, _ = stats.Dispersion([]float64{0, 6, 0, 6, 0, 6})
	near(t, "φ release train", phi, 6*9.0/3/5, 1e-12)
	if _, _, ok := stats.Dispersion([]float64{3}); ok {
		t.Error("one week: want ok = false")
	}
}

func TestLinearRegressionAnscombe(t *testing.T) {
	// Anscombe, "Graphs in statistical analysis", The American Statistician
	// 27:17 (1973), data set I; R: summary(lm(y1 ~ x1, anscombe)) prints
	// intercept 3.0001 (SE 1.1247), slope 0.5001 (SE 0.1179, t = 4.241,
	// p = 0.00217), residual standard error 1.237 on 9 df, R² = 0.6665.
	x := []float64{10, 8, 13, 9, 11, 14, 6, 4, 12, 7, 5}
	y := []float64{8.04, 6.95, 7.58, 8.81, 8.33, 9.96, 7.24, 4.26, 10.84, 4.82, 5.68}
	f, ok := stats.LinearRegression(x, y)
	if !ok {
		t.Fatal("not ok")
	}
	near(t, "intercept", f.Intercept, 3.0001, 5e-5)
	near(t, "slope", f.Slope, 0.5001, 5e-5)
	near(t, "slope SE", f.SlopeSE, 0.1179, 5e-5)
	near(t, "t", f.Slope/f.SlopeSE, 4.241, 5e-4)
	near(t, "p", f.SlopeP, 0.00217, 5e-6)
	near(t, "residual SE", f.ResidualSE, 1.237, 5e-4)
	near(t, "R²", f.R2, 0.6665, 5e-5)
	if f.DF != 9 {
		t.Errorf("df = %d", f.DF)
	}
	// The interval is slope ± t(0.975, 9)·SE, t(0.975, 9) = 2.262 (NIST table).
	near(t, "slope CI width", f.SlopeInterval.High-f.SlopeInterval.Low, 2*2.262*f.SlopeSE, 2e-4)
	if _, ok := stats.LinearRegression([]float64{1, 1, 1}, []float64{1, 2, 3}); ok {
		t.Error("constant x: want ok = false")
	}
}

func TestSegmentedRegression(t *testing.T) {
	// A noiseless interrupted series is recovered exactly: pre level 10,
	// slope 0.5; at t₀ = 0 the level drops by 4 and the slope becomes −0.25.
	var ts, ys []float64
	var post []bool
	for w := -8; w < 8; w++ {
		tw := float64(w)
		y := 10 + 0.5*tw
		if w >= 0 {
			y += -4 - 0.75*tw
		}
		ts, ys, post = append(ts, tw), append(ys, y), append(post, w >= 0)
	}
	f, ok := stats.SegmentedRegression(ts, ys, post, 0)
	if !ok {
		t.Fatal("not ok")
	}
	near(t, "pre slope", f.PreSlope, 0.5, 1e-9)
	near(t, "level change", f.LevelChange, -4, 1e-9)
	near(t, "slope change", f.SlopeChange, -0.75, 1e-9)
	near(t, "post slope", f.PostSlope, -0.25, 1e-9)

	// With noise, the four-parameter model is two separate lines (the design
	// is saturated per segment), so it must agree with two simple
	// regressions (checked against Anscombe above): β₁ = s_pre,
	// β₃ = s_post − s_pre, β₂ = (a_post + s_post·t₀) − (a_pre + s_pre·t₀), and
	// σ̂² = (RSS_pre + RSS_post)/(n − 4).
	rng := rand.New(rand.NewPCG(7, 11))
	var preT, preY, postT, postY []float64
	ts, ys, post = nil, nil, nil
	t0 := 2.0 // a two-week gap: the after side starts at t = 2
	for w := -10; w < 12; w++ {
		if w >= 0 && w < 2 {
			continue
		}
		tw := float64(w)
		y := 5 + 0.1*tw + rng.NormFloat64()
		if w >= 2 {
			y += 3
			postT, postY = append(postT, tw), append(postY, y)
		} else {
			preT, preY = append(preT, tw), append(preY, y)
		}
		ts, ys, post = append(ts, tw), append(ys, y), append(post, w >= 2)
	}
	f, ok = stats.SegmentedRegression(ts, ys, post, t0)
	if !ok {
		t.Fatal("noisy: not ok")
	}
	pre, _ := stats.LinearRegression(preT, preY)
	aft, _ := stats.LinearRegression(postT, postY)
	near(t, "β₁", f.PreSlope, pre.Slope, 1e-9)
	near(t, "β₃", f.SlopeChange, aft.Slope-pre.Slope, 1e-9)
	near(t, "β₂", f.LevelChange, (aft.Intercept+aft.Slope*t0)-(pre.Intercept+pre.Slope*t0), 1e-9)
	rss := pre.ResidualSE*pre.ResidualSE*float64(pre.DF) + aft.ResidualSE*aft.ResidualSE*float64(aft.DF)
	near(t, "σ̂", f.ResidualSE, math.Sqrt(rss/float64(len(ts)-4)), 1e-9)
	if f.DF != len(ts)-4 || !(f.LevelChangeCI.Low < f.LevelChange && f.LevelChange < f.LevelChangeCI.High) {
		t.Errorf("df %d, level CI %+v", f.DF, f.LevelChangeCI)
	}
	// Too few points after the break.
	if _, ok := stats.SegmentedRegression(ts[:12], ys[:12], post[:12], t0); ok {
		t.Error("two points after: want ok = false")
	}
}

func TestBootstrapMedianDifferenceIsDeterministic(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var before, after []float64
	for range 40 {
		before = append(before, math.Exp(rng.NormFloat64()))
		after = append(after, 0.6*math.Exp(rng.NormFloat64()))
	}
	a, ok := stats.BootstrapMedianDifference(before, after, 2000, stats.DefaultSeed)
	if !ok {
		t.Fatal("not ok")
	}
	for range 3 {
		b, _ := stats.BootstrapMedianDifference(before, after, 2000, stats.DefaultSeed)
		if a != b {
			t.Fatalf("not deterministic: %+v vs %+v", a, b)
		}
	}
	mb, _ := stats.Median(before)
	ma, _ := stats.Median(after)
	near(t, "difference", a.Difference, ma-mb, 1e-15)
	if !(a.Interval.Low <= a.Difference && a.Difference <= a.Interval.High) {
		t.Errorf("interval %+v does not hold the estimate %v", a.Interval, a.Difference)
	}
	if !(a.RatioInterval.Low < ma/mb && ma/mb < a.RatioInterval.High) {
		t.Errorf("ratio interval %+v does not hold %v", a.RatioInterval, ma/mb)
	}
	// One value per side: every resample is the same.
	one, _ := stats.BootstrapMedianDifference([]float64{3}, []float64{5}, 100, 1)
	if one.Interval.Low != 2 || one.Interval.High != 2 {
		t.Errorf("one value each: %+v", one.Interval)
	}
}

func TestBootstrapCoverage(t *testing.T) {
	// The percentile interval of a difference of medians should cover the
	// true difference (0 here: both samples come from the same skewed
	// distribution) about 95 % of the time. 300 data sets of 25 + 25: the
	// observed non-coverage must stay within the binomial bound
	// 0.05 + 3·√(0.05·0.95/300) ≈ 0.088.
	if testing.Short() {
		t.Skip("simulation")
	}
	rng := rand.New(rand.NewPCG(3, 4))
	miss := 0
	const sets = 300
	for range sets {
		var a, b []float64
		for range 25 {
			a = append(a, math.Exp(rng.NormFloat64()))
			b = append(b, math.Exp(rng.NormFloat64()))
		}
		r, _ := stats.BootstrapMedianDifference(a, b, 1000, stats.DefaultSeed)
		if r.Interval.Excludes(0) {
			miss++
		}
	}
	rate := float64(miss) / sets
	t.Logf("bootstrap non-coverage: %d/%d = %.3f", miss, sets, rate)
	if rate > 0.05+3*math.Sqrt(0.05*0.95/sets) {
		t.Errorf("non-coverage %.3f too high", rate)
	}
}

func TestDetectChangePoints(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	noise := func(n int, mean, sd float64) []float64 {
		out := make([]float64, n)
		for i := range out {
			out[i] = mean + sd*rng.NormFloat64()
		}
		return out
	}
	// One sustained shift at week 20 of 40.
	series := append(noise(20, 10, 1), noise(20, 6, 1)...)
	cps := stats.DetectChangePoints(series, stats.ChangePointOptions{})
	if len(cps) != 1 || cps[0].Index < 19 || cps[0].Index > 21 {
		t.Fatalf("one shift at 20: got %+v", cps)
	}
	if !(cps[0].MeanBefore > 9 && cps[0].MeanAfter < 7 && cps[0].P < 0.01) {
		t.Errorf("shift: %+v", cps[0])
	}
	// Two shifts.
	series = append(append(noise(15, 5, 1), noise(15, 9, 1)...), noise(15, 4, 1)...)
	cps = stats.DetectChangePoints(series, stats.ChangePointOptions{})
	if len(cps) != 2 || abs(cps[0].Index-15) > 1 || abs(cps[1].Index-30) > 1 {
		t.Fatalf("two shifts at 15 and 30: got %+v", cps)
	}
	// No shift: pure noise gives nothing (at α = 0.01 per split, over 50
	// independent series at most a couple of false alarms).
	false_ := 0
	for range 50 {
		false_ += len(stats.DetectChangePoints(noise(40, 10, 2), stats.ChangePointOptions{}))
	}
	if false_ > 3 {
		t.Errorf("%d change points found in 50 series without a shift", false_)
	}
	// One outlier week is not a sustained shift.
	series = noise(30, 10, 0.5)
	series[14] = 40
	if cps := stats.DetectChangePoints(series, stats.ChangePointOptions{}); len(cps) != 0 {
		t.Errorf("outlier taken for a shift: %+v", cps)
	}
	// Deterministic.
	a := stats.DetectChangePoints(series, stats.ChangePointOptions{})
	b := stats.DetectChangePoints(series, stats.ChangePointOptions{})
	if len(a) != len(b) {
		t.Error("not deterministic")
	}
	if cps := stats.DetectChangePoints([]float64{1, 2, 3}, stats.ChangePointOptions{}); len(cps) != 0 {
		t.Error("too short a series")
	}
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

func TestDesignEffect(t *testing.T) {
	// By hand (one-way ANOVA of clusters within the two samples): sample 1
	// clusters {2, 4} and {6, 8} (sample mean 5), sample 2 {1, 3} and {5, 7}
	// (mean 4). Cluster means 3, 7, 2, 6: SSB = 2·(4 + 4 + 4 + 4) = 32 on
	// K − 2 = 2 df, MSB = 16; SSW = 4 · 2 = 8 on N − K = 4 df, MSW = 2;
	// m₀ = (8 − 16/8)/3 = 2; ρ = (16 − 2)/(16 + 2) = 7/9; m = Σmᵢ²/N = 2;
	// deff = 1 + (2 − 1)·7/9 = 16/9.
	got := stats.DesignEffect([][]float64{{2, 4}, {6, 8}}, [][]float64{{1, 3}, {5, 7}})
	near(t, "deff", got, 16.0/9, 1e-12)
	// One value per cluster: no clustering.
	near(t, "singletons", stats.DesignEffect([][]float64{{1}, {2}, {3}}, [][]float64{{4}, {5}}), 1, 0)
	// Values identical within clusters and different between them: ρ = 1,
	// deff = m.
	near(t, "ρ = 1", stats.DesignEffect([][]float64{{1, 1, 1}, {5, 5, 5}}, [][]float64{{2, 2, 2}, {9, 9, 9}}), 3, 1e-12)
	// Clusters no more alike than chance (ρ̂ < 0) count as independent.
	near(t, "ρ < 0", stats.DesignEffect([][]float64{{0, 10}, {1, 9}}, [][]float64{{2, 8}, {3, 7}}), 1, 0)
	// Empty clusters are ignored.
	near(t, "empty", stats.DesignEffect([][]float64{{2, 4}, {}, {6, 8}}, [][]float64{{1, 3}, {5, 7}, {}}), 16.0/9, 1e-12)

	// The Mann–Whitney test of singletons is the plain one (deff = 1).
	r, _ := stats.MannWhitney([]float64{19, 22, 16, 29, 24}, []float64{20, 11, 17, 12})
	near(t, "MW deff", r.DesignEffect, 1, 0)
	// Clustered: the variance is multiplied by deff of the ranks, so z
	// shrinks by √deff (before the continuity correction).
	x := [][]float64{{1, 2}, {7, 8}, {9, 10}}
	y := [][]float64{{3, 4}, {5, 6}, {11, 12}}
	rc, _ := stats.MannWhitneyClustered(x, y)
	flat, _ := stats.MannWhitney([]float64{1, 2, 7, 8, 9, 10}, []float64{3, 4, 5, 6, 11, 12})
	if !(rc.DesignEffect > 1) || rc.U != flat.U {
		t.Fatalf("clustered: %+v vs %+v", rc, flat)
	}
	near(t, "z shrinks by √deff", rc.Z*math.Sqrt(rc.DesignEffect), flat.Z, 1e-12)
}

func TestNewcombeDifferenceClustered(t *testing.T) {
	// Counts that are 4 times Newcombe's example (a) with a design effect
	// of 4 carry the information of example (a): 0.0524 to 0.3339.
	d, iv, ok := stats.NewcombeDifferenceClustered(224, 280, 192, 320, 4)
	if !ok {
		t.Fatal("not ok")
	}
	near(t, "difference", d, 0.2, 1e-12)
	near(t, "low", iv.Low, 0.0524, 5e-5)
	near(t, "high", iv.High, 0.3339, 5e-5)
	// With deff = 1 it is NewcombeDifference.
	_, a, _ := stats.NewcombeDifferenceClustered(9, 10, 3, 10, 1)
	_, b, _ := stats.NewcombeDifference(9, 10, 3, 10)
	if a != b {
		t.Errorf("deff 1: %+v vs %+v", a, b)
	}
	if _, _, ok := stats.NewcombeDifferenceClustered(1, 2, 1, 2, 0.5); ok {
		t.Error("deff < 1: want ok = false")
	}
}
