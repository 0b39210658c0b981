package stats

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// resampledMedian finds the median of a resample by counting indices; it
// must equal sorting the resample and taking its type-7 median.
func TestResampledMedianMatchesSorting(t *testing.T) {
	for _, n := range []int{1, 2, 3, 4, 5, 10, 11, 64, 101} {
		sorted := make([]float64, n)
		for i := range sorted {
			sorted[i] = float64(i*i) / 7 // strictly increasing, uneven gaps
		}
		a := rand.New(rand.NewPCG(uint64(n), 9))
		b := rand.New(rand.NewPCG(uint64(n), 9))
		counts := make([]int, n)
		for range 200 {
			got := resampledMedian(a, sorted, counts)
			draw := make([]float64, n)
			idx := make([]int, n)
			for i := range idx {
				idx[i] = b.IntN(n)
			}
			for i, j := range idx {
				draw[i] = sorted[j]
			}
			slices.Sort(draw)
			want, _ := Median(draw)
			if got != want {
				t.Fatalf("n = %d: resampledMedian = %v, sorted median = %v", n, got, want)
			}
		}
	}
}

// A clustered resample's median found by rank (few large clusters) is the
// one found by counting, draw for draw, ties included.
func TestResampledMedianByRankIsByCounting(t *testing.T) {
	src := rand.New(rand.NewPCG(3, 4))
	for _, shape := range []struct{ k, size, distinct int }{
		{1, 1, 5}, {1, 7, 3}, {2, 1, 9}, {3, 50, 10}, {12, 800, 40}, {12, 800, 100000}, {40, 300, 7}, {156, 1000, 5000}, {5, 3, 2},
	} {
		clusters := make([][]float64, shape.k+1) // and an empty one
		for j := range shape.k {
			m := 1 + src.IntN(shape.size)
			for range m {
				clusters[j] = append(clusters[j], float64(src.IntN(shape.distinct))/3)
			}
		}
		byRank, byCount := newClusteredSample(clusters), newClusteredSample(clusters)
		byRank.byRank, byCount.byRank = true, false
		byRank.counts, byCount.counts = nil, make([]int, len(byCount.sorted))
		a := rand.New(rand.NewPCG(uint64(shape.k), 9))
		b := rand.New(rand.NewPCG(uint64(shape.k), 9))
		for range 300 {
			if got, want := byRank.resampledMedian(a), byCount.resampledMedian(b); got != want {
				t.Fatalf("%+v: by rank %v, by counting %v", shape, got, want)
			}
		}
	}
}
