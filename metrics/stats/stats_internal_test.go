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
