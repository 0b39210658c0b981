package stats_test

import (
	"cmp"
	"math"
	"slices"
	"testing"

	"github.com/tach-dev/tach/metrics/stats"
)

// The trend statistics against reference implementations. The figures were
// produced by the scripts in testdata/ and carried here by hand:
//
//   - Theil–Sen: testdata/trend_reference.py, SciPy 1.10.1 (NumPy 1.24.2,
//     Python 3.11, Debian bookworm's python3-scipy 1.10.1-2):
//     scipy.stats.theilslopes(y, x, alpha=confidence).
//   - Mann–Kendall and Benjamini–Hochberg: testdata/trend_reference.R,
//     R 4.2.2 (Debian bookworm's r-base-core 4.2.2.20221110-2):
//     cor.test(1:n, y, method = "kendall", exact = FALSE, continuity = TRUE),
//     which trend::mk.test(y) equals (trend's documentation shows the two
//     side by side), and p.adjust(p, method = "BH").
//
// "nile" is R's datasets::Nile (annual flow of the Nile at Aswan,
// 1871–1970; Durbin and Koopman, Time Series Analysis by State Space
// Methods, 2001), the example of trend::mk.test's documentation.

var nile = []float64{1120, 1160, 963, 1210, 1160, 1160, 813, 1230, 1370, 1140, 995, 935, 1110, 994, 1020, 960, 1180, 799, 958, 1140, 1100, 1210, 1150, 1250, 1260, 1220, 1030, 1100, 774, 840, 874, 694, 940, 833, 701, 916, 692, 1020, 1050, 969, 831, 726, 456, 824, 702, 1120, 1100, 832, 764, 821, 768, 845, 864, 862, 698, 845, 744, 796, 1040, 759, 781, 865, 845, 944, 984, 897, 822, 1010, 771, 676, 649, 846, 812, 742, 801, 1040, 860, 874, 848, 890, 744, 749, 838, 1050, 918, 986, 797, 923, 975, 815, 1020, 906, 901, 1170, 912, 746, 919, 718, 714, 740}

var (
	rising = []float64{5.1, 4.8, 5.6, 6.0, 5.7, 6.4, 6.9, 6.5, 7.3, 7.0, 7.8, 8.1}
	// rates is a weekly change failure rate: mostly 0, ties everywhere.
	rates = []float64{0, 0, 0.1, 0, 0.25, 0, 0, 0.2, 0.125, 0, 1.0 / 3, 0.25}
)

// seq is from, from+1, …, to.
func seq(from, to int) []float64 {
	var xs []float64
	for i := from; i <= to; i++ {
		xs = append(xs, float64(i))
	}
	return xs
}

// rel is a tolerance of 1e-12 relative to want (absolute below 1): the
// references print 17 significant digits, and a median computed as
// a + (b − a)/2 rather than (a + b)/2 may differ in the last bit.
func rel(want float64) float64 { return 1e-12 * math.Max(1, math.Abs(want)) }

func TestTheilSenMatchesSciPy(t *testing.T) {
	cases := []struct {
		name                        string
		x, y                        []float64
		confidence                  float64
		slope, intercept, low, high float64
	}{
		{"nile", seq(1871, 1970), nile, 0.95, -2.6000000000000001, 5886.8000000000002, -3.6279069767441858, -1.4285714285714286},
		{"rising", seq(1, 12), rising, 0.95, 0.27500000000000002, 4.6624999999999996, 0.23999999999999985, 0.32999999999999996},
		{"rising 90%", seq(1, 12), rising, 0.90, 0.27500000000000002, 4.6624999999999996, 0.25, 0.3000000000000001},
		// Weeks 3, 6 and 10 left out: the slopes divide by the real gaps.
		{"gaps", []float64{0, 1, 2, 4, 5, 7, 8, 9, 11}, []float64{40, 38, 41, 35, 33, 36, 30, 29, 31}, 0.95, -1.1180555555555556, 40.590277777777779, -1.3999999999999999, -0.5714285714285714},
		{"gaps unsorted", []float64{7, 0, 11, 4, 1, 9, 2, 8, 5}, []float64{36, 40, 31, 35, 38, 29, 41, 30, 33}, 0.95, -1.1180555555555556, 40.590277777777779, -1.3999999999999999, -0.5714285714285714},
		{"ties in y", seq(1, 10), []float64{3, 3, 4, 4, 4, 5, 2, 6, 6, 7}, 0.95, 0.42857142857142855, 1.6428571428571428, 0.25, 0.5},
		// Pairs with equal x give no slope; the x ties also narrow σ.
		{"ties in x", []float64{1, 1, 2, 3, 3, 3, 4, 5}, []float64{2, 3, 3, 5, 4, 6, 6, 8}, 0.95, 1.4166666666666665, 0.25, 1, 2},
		{"rates", seq(1, 12), rates, 0.95, 0.016145833333333331, -0.054947916666666652, 0, 0.041666666666666664},
		{"two points", []float64{0, 3}, []float64{1, 7}, 0.95, 2, 1, 2, 2},
		{"n4", seq(1, 4), []float64{2, 1, 4, 3}, 0.95, 0.66666666666666663, 0.83333333333333348, -1, 3},
		{"constant", seq(1, 8), []float64{5, 5, 5, 5, 5, 5, 5, 5}, 0.95, 0, 5, 0, 0},
	}
	for _, c := range cases {
		res, ok := stats.TheilSen(c.x, c.y, c.confidence)
		if !ok {
			t.Errorf("%s: not ok", c.name)
			continue
		}
		near(t, c.name+" slope", res.Slope, c.slope, rel(c.slope))
		near(t, c.name+" intercept", res.Intercept, c.intercept, rel(c.intercept))
		near(t, c.name+" low", res.Interval.Low, c.low, rel(c.low))
		near(t, c.name+" high", res.Interval.High, c.high, rel(c.high))
	}
}

func TestTheilSenRefusesWhatItCannotFit(t *testing.T) {
	cases := []struct {
		name       string
		x, y       []float64
		confidence float64
	}{
		{"empty", nil, nil, 0.95},
		{"one point", []float64{1}, []float64{2}, 0.95},
		{"all x equal", []float64{3, 3, 3}, []float64{1, 2, 3}, 0.95},
		{"lengths differ", []float64{1, 2, 3}, []float64{1, 2}, 0.95},
		{"NaN", []float64{1, 2, 3}, []float64{1, math.NaN(), 3}, 0.95},
		{"confidence 1", []float64{1, 2, 3}, []float64{1, 2, 3}, 1},
		{"confidence 0", []float64{1, 2, 3}, []float64{1, 2, 3}, 0},
	}
	for _, c := range cases {
		if res, ok := stats.TheilSen(c.x, c.y, c.confidence); ok {
			t.Errorf("%s: ok with %+v, want not ok", c.name, res)
		}
	}
}

func TestMannKendallMatchesR(t *testing.T) {
	cases := []struct {
		name            string
		y               []float64
		s               float64
		varS, tau, z, p float64
	}{
		{"nile", nile, -1387, 112728.33333333336, -0.28074133472461299, -4.1280665228441, 3.6582629216643412e-05},
		{"rising", rising, 58, 212.66666666666666, 0.87878787878787878, 3.9086352435453273, 9.2818981336846167e-05},
		{"ties", []float64{3, 3, 4, 4, 4, 5, 2, 6, 6, 7}, 28, 119.33333333333331, 0.65996632910744435, 2.4716267006742814, 0.013449988098315012},
		{"rates", rates, 24, 183.33333333333334, 0.41778637429367482, 1.6986625755147917, 0.08938277872078905},
		// The values of the "gaps" series above: only their order counts.
		{"falling", []float64{40, 38, 41, 35, 33, 36, 30, 29, 31}, -24, 91.999999999999915, -0.66666666666666685, -2.3979157616563609, 0.016488656727670106},
		{"n4", []float64{2, 1, 4, 3}, 2, 8.6666666666666679, 0.33333333333333337, 0.33968311024337872, 0.73409518231947579},
		{"n3", []float64{1, 2, 3}, 3, 3.6666666666666665, 1, 1.044465935734187, 0.29626987148428635},
		// S = 0: z = 0 tells R's variance nothing; VarS is the formula's
		// (three pairs of ties).
		{"flat", []float64{1, 3, 2, 2, 3, 1}, 0, (6*5*17 - 3*(2*1*9)) / 18.0, 0, 0, 1},
		{"one step", []float64{5, 5, 5, 5, 5, 6}, 5, 11.666666666666666, 0.57735026918962573, 1.1710800875382399, 0.24156658696897287},
	}
	for _, c := range cases {
		res, ok := stats.MannKendall(c.y)
		if !ok {
			t.Errorf("%s: not ok", c.name)
			continue
		}
		if res.S != c.s || res.N != len(c.y) {
			t.Errorf("%s: S = %v over %d, want %v over %d", c.name, res.S, res.N, c.s, len(c.y))
		}
		// VarS was read back from R's z, which costs a few digits.
		near(t, c.name+" VarS", res.VarS, c.varS, 1e-9*c.varS)
		near(t, c.name+" tau", res.Tau, c.tau, rel(c.tau))
		near(t, c.name+" z", res.Z, c.z, rel(c.z))
		near(t, c.name+" p", res.P, c.p, 1e-12*c.p)
	}
}

func TestMannKendallRefusesWhatItCannotTest(t *testing.T) {
	for name, y := range map[string][]float64{
		"empty":    nil,
		"two":      {1, 2},
		"constant": {4, 4, 4, 4, 4, 4, 4},
		"NaN":      {1, 2, math.NaN(), 4},
	} {
		if res, ok := stats.MannKendall(y); ok {
			t.Errorf("%s: ok with %+v, want not ok", name, res)
		}
	}
}

// A falling series is a rising one upside down: S and Z change sign, the
// p-value stays.
func TestMannKendallIsSymmetric(t *testing.T) {
	up, _ := stats.MannKendall(rising)
	flipped := make([]float64, len(rising))
	for i, v := range rising {
		flipped[i] = -v
	}
	down, _ := stats.MannKendall(flipped)
	if down.S != -up.S || down.Z != -up.Z || down.P != up.P {
		t.Errorf("flipped: S %v Z %v P %v, want %v %v %v", down.S, down.Z, down.P, -up.S, -up.Z, up.P)
	}
}

func TestBenjaminiHochbergMatchesR(t *testing.T) {
	nan := math.NaN()
	cases := []struct {
		name string
		p, q []float64
	}{
		// Benjamini & Hochberg (1995), §4.1: the 15 p-values of the
		// thrombolysis study; at 0.05 the procedure rejects the four
		// smallest (q = 0.0356 for 0.0095, 0.0603 for 0.0201).
		{"BH 1995",
			[]float64{0.0001, 0.0004, 0.0019, 0.0095, 0.0201, 0.0278, 0.0298, 0.0344, 0.0459, 0.3240, 0.4262, 0.5719, 0.6528, 0.7590, 1.000},
			[]float64{0.0015, 0.0030000000000000001, 0.0094999999999999998, 0.035624999999999997, 0.060299999999999999, 0.063857142857142862, 0.063857142857142862, 0.064500000000000002, 0.076500000000000012, 0.48599999999999999, 0.58118181818181813, 0.71487499999999993, 0.75323076923076926, 0.81321428571428567, 1}},
		// Unsorted, tied, and a missing p-value that does not count in m.
		{"unsorted, ties, NaN",
			[]float64{0.04, 0.01, nan, 0.04, 0.03, 0.5, 0.9, 0.001},
			[]float64{0.055999999999999994, 0.035000000000000003, nan, 0.055999999999999994, 0.055999999999999994, 0.58333333333333337, 0.90000000000000002, 0.0070000000000000001}},
		{"single", []float64{0.2}, []float64{0.2}},
		{"none", nil, []float64{}},
	}
	for _, c := range cases {
		q := stats.BenjaminiHochberg(c.p)
		if len(q) != len(c.q) {
			t.Errorf("%s: %d q-values, want %d", c.name, len(q), len(c.q))
			continue
		}
		for i := range q {
			if math.IsNaN(c.q[i]) {
				if !math.IsNaN(q[i]) {
					t.Errorf("%s: q[%d] = %v, want NaN", c.name, i, q[i])
				}
				continue
			}
			near(t, c.name+" q", q[i], c.q[i], 1e-15)
		}
	}
}

// q-values are monotone in p, never below p, and capped at 1.
func TestBenjaminiHochbergProperties(t *testing.T) {
	p := []float64{0.3, 0.001, 0.8, 0.02, 0.02, 0.99, 0.6, 0.049, 1, 0.07}
	q := stats.BenjaminiHochberg(p)
	order := make([]int, len(p))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return cmp.Compare(p[a], p[b]) })
	for k, i := range order {
		if q[i] < p[i] || q[i] > 1 {
			t.Errorf("q[%d] = %v for p %v: outside [p, 1]", i, q[i], p[i])
		}
		if k > 0 && q[i] < q[order[k-1]] {
			t.Errorf("q not monotone: p %v → q %v after p %v → q %v", p[i], q[i], p[order[k-1]], q[order[k-1]])
		}
	}
	if capped := stats.BenjaminiHochberg([]float64{1.5, 0.9}); capped[0] != 1 {
		t.Errorf("q of p 1.5 = %v, want the cap 1", capped[0])
	}
}
