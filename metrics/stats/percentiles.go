package stats

import (
	"cmp"
	"math"
	"slices"
)

// Several percentiles of many values at once, exactly (the type-7
// percentiles of Percentile), without sorting them: what a report over
// millions of lead times needs. Up to three percentiles a call.

// histBits is the width of PercentilesByHistogram's first histogram.
const histBits = 16

// PercentilesByHistogram is PercentilesBySelection for whole values up
// to max, in about two passes without moving them: a histogram of their
// top histBits bits finds the bucket of each rank needed (for values below
// 2^histBits, the value itself), and a second pass collects the values of
// those buckets alone, which are sorted to read the ranks.
func PercentilesByHistogram(chunks [][]uint32, n int, max uint32, ps []float64) [3]*float64 {
	if n == 0 {
		return [3]*float64{}
	}
	shift := uint(0)
	for max>>shift >= 1<<histBits {
		shift++
	}
	counts := make([]int32, (max>>shift)+1)
	for _, xs := range chunks {
		for _, v := range xs {
			counts[v>>shift]++
		}
	}
	needs, ranks := rankNeeds(n, ps)
	// The bucket of each rank, and its place among the bucket's values.
	type at struct {
		bucket uint32
		offset int
	}
	where := make(map[int]at, len(ranks))
	var cum int
	b := 0
	for _, k := range ranks {
		for cum+int(counts[b]) <= k {
			cum += int(counts[b])
			b++
		}
		where[k] = at{uint32(b), k - cum}
	}
	values := make(map[int]uint32, len(ranks))
	if shift == 0 {
		for _, k := range ranks {
			values[k] = where[k].bucket
		}
	} else {
		// slot[bucket] is 1 + the index of the bucket's list, 0 for a
		// bucket no rank is in.
		slot := make([]uint8, len(counts))
		var lists [][]uint32
		for _, k := range ranks {
			if bk := where[k].bucket; slot[bk] == 0 {
				lists = append(lists, make([]uint32, 0, counts[bk]))
				slot[bk] = uint8(len(lists))
			}
		}
		for _, xs := range chunks {
			for _, v := range xs {
				if s := slot[v>>shift]; s != 0 {
					lists[s-1] = append(lists[s-1], v)
				}
			}
		}
		for _, l := range lists {
			slices.Sort(l)
		}
		for _, k := range ranks {
			values[k] = lists[slot[where[k].bucket]-1][where[k].offset]
		}
	}
	return interpolate(needs, values)
}

// PercentilesBySelection is Percentile of xs for each p (up to three):
// the ranks each needs are selected in ascending order, each in what is
// left after the one before, so the whole costs about two passes over xs.
func PercentilesBySelection[T uint32 | float64](xs []T, ps []float64) [3]*float64 {
	n := len(xs)
	if n == 0 {
		return [3]*float64{}
	}
	needs, ranks := rankNeeds(n, ps)
	values := make(map[int]T, len(ranks))
	base := 0
	for _, k := range ranks {
		values[k] = nthElement(xs[base:], k-base)
		base = k + 1
	}
	return interpolate(needs, values)
}

// rankNeed is what one percentile needs of n sorted values (type 7, as
// Percentile): the value at rank lo and, when hi > lo, at hi, weighed by
// h; lo is -1 for a NaN p.
type rankNeed struct {
	h      float64
	lo, hi int
}

// rankNeeds is the need of each p, and every rank they need, ascending.
func rankNeeds(n int, ps []float64) ([]rankNeed, []int) {
	needs := make([]rankNeed, len(ps))
	var ranks []int
	for i, p := range ps {
		if math.IsNaN(p) {
			needs[i].lo = -1
			continue
		}
		h := float64(n-1) * min(max(p, 0), 1)
		lo := int(math.Floor(h))
		if lo >= n-1 {
			needs[i] = rankNeed{h: h, lo: n - 1, hi: n - 1}
			ranks = append(ranks, n-1)
			continue
		}
		needs[i] = rankNeed{h: h, lo: lo, hi: lo + 1}
		ranks = append(ranks, lo, lo+1)
	}
	slices.Sort(ranks)
	return needs, slices.Compact(ranks)
}

// interpolate is each need's percentile from the values at its ranks.
func interpolate[T uint32 | float64](needs []rankNeed, values map[int]T) [3]*float64 {
	var out [3]*float64
	for i, nd := range needs {
		if nd.lo < 0 {
			continue
		}
		x0 := float64(values[nd.lo])
		if nd.hi == nd.lo {
			out[i] = FloatOrNil(x0, true)
			continue
		}
		x1 := float64(values[nd.hi])
		out[i] = FloatOrNil(x0+(nd.h-float64(nd.lo))*(x1-x0), true)
	}
	return out
}

// nthElement reorders xs so that xs[k] is the k-th smallest, everything
// before it no larger and everything after no smaller, and returns it.
// Three-way partitions keep it linear on the many equal values durations
// in whole seconds have.
func nthElement[T cmp.Ordered](xs []T, k int) T {
	lo, hi := 0, len(xs) // the k-th smallest is in xs[lo:hi]
	for hi-lo > 16 {
		a, b, c := xs[lo], xs[lo+(hi-lo)/2], xs[hi-1]
		pivot := max(min(a, b), min(max(a, b), c))
		// xs[lo:lt] < pivot, xs[lt:i] == pivot, xs[gt:hi] > pivot.
		lt, i, gt := lo, lo, hi
		for i < gt {
			switch v := xs[i]; {
			case v < pivot:
				xs[lt], xs[i] = xs[i], xs[lt]
				lt++
				i++
			case v > pivot:
				gt--
				xs[gt], xs[i] = xs[i], xs[gt]
			default:
				i++
			}
		}
		switch {
		case k < lt:
			hi = lt
		case k >= gt:
			lo = gt
		default:
			return pivot
		}
	}
	slices.Sort(xs[lo:hi])
	return xs[k]
}
