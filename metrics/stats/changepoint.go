package stats

import (
	"math"
	"math/rand/v2"
	"slices"
)

// Change-point detection on a weekly series: where did a measure shift and
// stay shifted? It finds the suggestions of `tach decisions candidates`.
//
// Method: binary segmentation with a permutation test for a single shift in
// the mean (the approach of Taylor's change-point analysis, 2000, with the
// maximally selected two-sample statistic of Hawkins, "Testing a sequence of
// observations for a shift in location", JASA 72:180, 1977, in place of the
// CUSUM range). For a segment x₁…xₙ and a split m, the statistic is
//
//	B(m) = m(n−m)/n · (x̄₁..ₘ − x̄ₘ₊₁..ₙ)²
//
// (the between-groups sum of squares: the fall in squared error that
// splitting at m buys). Its maximum over the allowed splits is compared with
// the maxima of the same segment shuffled (Permutations times, PCG with a
// fixed seed): the p-value is (1 + #{shuffles with max ≥ observed}) /
// (1 + Permutations), valid whatever the distribution of the values, as long
// as they are exchangeable when there is no shift. A significant split is
// kept, and each side is searched again, until no segment shows a shift or
// is too short. Every segment keeps at least MinSegment points, so a shift
// is "sustained" by construction: one bad week is not a change point.

// ChangePointOptions tune DetectChangePoints; zero values take the defaults.
type ChangePointOptions struct {
	MinSegment   int     // fewest points on each side of a split; default 4
	Permutations int     // default 999
	Alpha        float64 // significance level of each split; default 0.01
	Seed         uint64  // default DefaultSeed
	MaxPoints    int     // at most this many change points; default 5
}

func (o ChangePointOptions) withDefaults() ChangePointOptions {
	if o.MinSegment <= 0 {
		o.MinSegment = 4
	}
	if o.Permutations <= 0 {
		o.Permutations = 999
	}
	if o.Alpha <= 0 {
		o.Alpha = 0.01
	}
	if o.Seed == 0 {
		o.Seed = DefaultSeed
	}
	if o.MaxPoints <= 0 {
		o.MaxPoints = 5
	}
	return o
}

// ChangePoint is a sustained shift in a series' mean: the first point of the
// new level is Index.
type ChangePoint struct {
	Index      int     // the first point after the shift
	MeanBefore float64 // the mean of the segment before it (back to the previous change point)
	MeanAfter  float64 // the mean of the segment after it (up to the next change point)
	P          float64 // the permutation p-value of the split when it was found
}

// DetectChangePoints returns the change points of xs in order of Index.
// Means are recomputed over the final segments.
func DetectChangePoints(xs []float64, opt ChangePointOptions) []ChangePoint {
	opt = opt.withDefaults()
	rng := rand.New(rand.NewPCG(opt.Seed, opt.Seed^0x2545f4914f6cdd1d))
	type found struct {
		index int
		p     float64
	}
	var points []found
	type segment struct{ from, to int } // [from, to)
	queue := []segment{{0, len(xs)}}
	for len(queue) > 0 && len(points) < opt.MaxPoints {
		seg := queue[0]
		queue = queue[1:]
		m, p, ok := bestSplit(xs[seg.from:seg.to], opt, rng)
		if !ok || p >= opt.Alpha {
			continue
		}
		at := seg.from + m
		points = append(points, found{at, p})
		queue = append(queue, segment{seg.from, at}, segment{at, seg.to})
	}
	slices.SortFunc(points, func(a, b found) int { return a.index - b.index })
	out := make([]ChangePoint, len(points))
	for i, pt := range points {
		from, to := 0, len(xs)
		if i > 0 {
			from = points[i-1].index
		}
		if i+1 < len(points) {
			to = points[i+1].index
		}
		before, _ := Mean(xs[from:pt.index])
		after, _ := Mean(xs[pt.index:to])
		out[i] = ChangePoint{Index: pt.index, MeanBefore: before, MeanAfter: after, P: pt.p}
	}
	return out
}

// bestSplit finds the split of seg that maximises B(m) and its permutation
// p-value. ok is false when the segment is too short or constant.
func bestSplit(seg []float64, opt ChangePointOptions, rng *rand.Rand) (m int, p float64, ok bool) {
	if len(seg) < 2*opt.MinSegment {
		return 0, 1, false
	}
	m, observed := maxShiftStatistic(seg, opt.MinSegment)
	if !(observed > 0) {
		return 0, 1, false
	}
	shuffled := slices.Clone(seg)
	exceed := 0
	for range opt.Permutations {
		rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		if _, s := maxShiftStatistic(shuffled, opt.MinSegment); s >= observed*(1-1e-12) {
			exceed++
		}
	}
	return m, float64(1+exceed) / float64(1+opt.Permutations), true
}

// maxShiftStatistic returns the split m (first index of the second part)
// maximising m(n−m)/n·(mean₁ − mean₂)² with both parts at least minSeg long.
func maxShiftStatistic(xs []float64, minSeg int) (int, float64) {
	n := len(xs)
	total := 0.0
	for _, x := range xs {
		total += x
	}
	best, bestM := math.Inf(-1), 0
	prefix := 0.0
	for m := 1; m < n; m++ {
		prefix += xs[m-1]
		if m < minSeg || n-m < minSeg {
			continue
		}
		fm, fr := float64(m), float64(n-m)
		d := prefix/fm - (total-prefix)/fr
		if s := fm * fr / float64(n) * d * d; s > best {
			best, bestM = s, m
		}
	}
	return bestM, best
}
