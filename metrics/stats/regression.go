package stats

import "math"

// Least squares for the trend guard and the interrupted time series.

// OLSFit is an ordinary least squares fit y = Xβ + ε.
type OLSFit struct {
	N, DF      int       // observations; residual degrees of freedom N − k
	Coef       []float64 // β̂
	SE         []float64 // standard errors of β̂: √(σ̂² (XᵀX)⁻¹ⱼⱼ)
	ResidualSE float64   // σ̂ = √(RSS / DF)
	R2         float64   // 1 − RSS/TSS (NaN when y is constant)
}

// OLS fits y = Xβ by least squares, X given row by row (each row k values).
// ok is false when there are no more observations than coefficients or X is
// rank deficient (a column constant zero, two columns proportional).
func OLS(x [][]float64, y []float64) (fit OLSFit, ok bool) {
	n := len(y)
	if n == 0 || len(x) != n {
		return fit, false
	}
	k := len(x[0])
	if k == 0 || n <= k {
		return fit, false
	}
	// Scale each column to unit maximum so the pivot test is relative.
	scale := make([]float64, k)
	for _, row := range x {
		if len(row) != k {
			return fit, false
		}
		for j, v := range row {
			scale[j] = math.Max(scale[j], math.Abs(v))
		}
	}
	for j := range scale {
		if scale[j] == 0 {
			return fit, false
		}
	}
	// XᵀX and Xᵀy of the scaled columns.
	xtx := make([][]float64, k)
	xty := make([]float64, k)
	for i := range xtx {
		xtx[i] = make([]float64, k)
	}
	for r, row := range x {
		for i := range k {
			xi := row[i] / scale[i]
			xty[i] += xi * y[r]
			for j := range k {
				xtx[i][j] += xi * row[j] / scale[j]
			}
		}
	}
	inv, invertible := invertMatrix(xtx)
	if !invertible {
		return fit, false
	}
	fit.N, fit.DF = n, n-k
	fit.Coef = make([]float64, k)
	for i := range k {
		for j := range k {
			fit.Coef[i] += inv[i][j] * xty[j]
		}
	}
	var rss, tss float64
	meanY, _ := Mean(y)
	for r, row := range x {
		pred := 0.0
		for j := range k {
			pred += row[j] / scale[j] * fit.Coef[j]
		}
		rss += (y[r] - pred) * (y[r] - pred)
		tss += (y[r] - meanY) * (y[r] - meanY)
	}
	sigma2 := rss / float64(fit.DF)
	fit.ResidualSE = math.Sqrt(sigma2)
	fit.R2 = math.NaN()
	if tss > 0 {
		fit.R2 = 1 - rss/tss
	}
	fit.SE = make([]float64, k)
	for j := range k {
		fit.SE[j] = math.Sqrt(sigma2*inv[j][j]) / scale[j]
		fit.Coef[j] /= scale[j]
	}
	return fit, true
}

// Interval is the 95 % interval of coefficient j: β̂ⱼ ± t(0.975, DF)·SEⱼ.
func (f OLSFit) Interval(j int) Interval {
	t := StudentTQuantile(0.975, float64(f.DF))
	return Interval{f.Coef[j] - t*f.SE[j], f.Coef[j] + t*f.SE[j]}
}

// P is the two-sided p-value of βⱼ = 0 (t test with DF degrees of freedom);
// 0 for an exact fit with a non-zero coefficient, 1 for an exact zero.
func (f OLSFit) P(j int) float64 {
	if f.SE[j] == 0 {
		if f.Coef[j] == 0 {
			return 1
		}
		return 0
	}
	return StudentTTwoSidedP(f.Coef[j]/f.SE[j], float64(f.DF))
}

// invertMatrix inverts a symmetric positive (semi)definite matrix by Gauss–Jordan
// elimination with partial pivoting; false when it is singular.
func invertMatrix(m [][]float64) ([][]float64, bool) {
	k := len(m)
	a := make([][]float64, k)
	for i := range m {
		a[i] = make([]float64, 2*k)
		copy(a[i], m[i])
		a[i][k+i] = 1
	}
	maxDiag := 0.0
	for i := range k {
		maxDiag = math.Max(maxDiag, math.Abs(m[i][i]))
	}
	for col := range k {
		pivot := col
		for r := col + 1; r < k; r++ {
			if math.Abs(a[r][col]) > math.Abs(a[pivot][col]) {
				pivot = r
			}
		}
		if math.Abs(a[pivot][col]) <= 1e-10*maxDiag {
			return nil, false
		}
		a[col], a[pivot] = a[pivot], a[col]
		p := a[col][col]
		for j := range a[col] {
			a[col][j] /= p
		}
		for r := range k {
			if r == col || a[r][col] == 0 {
				continue
			}
			f := a[r][col]
			for j := range a[r] {
				a[r][j] -= f * a[col][j]
			}
		}
	}
	inv := make([][]float64, k)
	for i := range a {
		inv[i] = a[i][k:]
	}
	return inv, true
}

// LinearFit is a simple linear regression y = a + b·x.
type LinearFit struct {
	N, DF         int
	Intercept     float64
	Slope         float64
	SlopeSE       float64
	SlopeInterval Interval // 95 %, t with N − 2 degrees of freedom
	SlopeP        float64  // two-sided, H₀: slope = 0
	ResidualSE    float64
	R2            float64
}

// LinearRegression fits y = a + b·x by least squares. ok is false with
// fewer than 3 points or when every x is the same.
func LinearRegression(x, y []float64) (fit LinearFit, ok bool) {
	if len(x) != len(y) || len(x) < 3 {
		return fit, false
	}
	rows := make([][]float64, len(x))
	for i, v := range x {
		rows[i] = []float64{1, v}
	}
	f, ok := OLS(rows, y)
	if !ok {
		return fit, false
	}
	return LinearFit{
		N: f.N, DF: f.DF, Intercept: f.Coef[0], Slope: f.Coef[1], SlopeSE: f.SE[1],
		SlopeInterval: f.Interval(1), SlopeP: f.P(1), ResidualSE: f.ResidualSE, R2: f.R2,
	}, true
}

// SegmentedFit is an interrupted time series fitted by segmented regression
// (Wagner, Soumerai, Zhang & Ross-Degnan, "Segmented regression analysis of
// interrupted time series studies in medication use research", J Clin Pharm
// Ther 27:299, 2002):
//
//	y_t = β₀ + β₁·t + β₂·post_t + β₃·post_t·(t − t₀) + ε_t
//
// β₁ is the slope before the interruption, β₂ the change in level at t₀ (the
// post line minus the pre line extrapolated to t₀), β₃ the change in slope.
type SegmentedFit struct {
	N, DF          int
	Before, After  int // observations on each side
	PreSlope       float64
	PreSlopeCI     Interval
	PreSlopeP      float64
	LevelChange    float64
	LevelChangeCI  Interval
	LevelChangeP   float64
	SlopeChange    float64
	SlopeChangeCI  Interval
	SlopeChangeP   float64
	ResidualSE     float64
	BaselineAtT0   float64 // β₀ + β₁·t₀: where the pre-trend predicts t₀
	PostSlope      float64 // β₁ + β₃
	Coefficients   [4]float64
	StandardErrors [4]float64
}

// SegmentedRegression fits an interrupted time series: observations y at
// times t, post marking those at or after the interruption t0. It needs at
// least 3 observations on each side (so each segment's slope has a
// residual) and 2 residual degrees of freedom.
func SegmentedRegression(t, y []float64, post []bool, t0 float64) (fit SegmentedFit, ok bool) {
	if len(t) != len(y) || len(t) != len(post) {
		return fit, false
	}
	rows := make([][]float64, len(t))
	for i := range t {
		p := 0.0
		if post[i] {
			p = 1
			fit.After++
		} else {
			fit.Before++
		}
		rows[i] = []float64{1, t[i], p, p * (t[i] - t0)}
	}
	if fit.Before < 3 || fit.After < 3 || len(t) < 6 {
		return fit, false
	}
	f, ok := OLS(rows, y)
	if !ok {
		return fit, false
	}
	fit.N, fit.DF, fit.ResidualSE = f.N, f.DF, f.ResidualSE
	copy(fit.Coefficients[:], f.Coef)
	copy(fit.StandardErrors[:], f.SE)
	fit.PreSlope, fit.PreSlopeCI, fit.PreSlopeP = f.Coef[1], f.Interval(1), f.P(1)
	fit.LevelChange, fit.LevelChangeCI, fit.LevelChangeP = f.Coef[2], f.Interval(2), f.P(2)
	fit.SlopeChange, fit.SlopeChangeCI, fit.SlopeChangeP = f.Coef[3], f.Interval(3), f.P(3)
	fit.BaselineAtT0 = f.Coef[0] + f.Coef[1]*t0
	fit.PostSlope = f.Coef[1] + f.Coef[3]
	return fit, true
}
