package stats

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// percentileSelect is Percentile(xs, p), reordering xs.
func percentileSelect(xs []float64, p float64) (float64, bool) {
	v := PercentilesBySelection(xs, []float64{p})[0]
	if v == nil {
		return 0, false
	}
	return *v, true
}

func TestPercentileSelectIsPercentile(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for n := range 300 {
		xs := make([]float64, n)
		for i := range xs {
			switch n % 3 {
			case 0:
				xs[i] = float64(rng.IntN(5)) // many ties
			case 1:
				xs[i] = rng.NormFloat64() * 1000
			default:
				xs[i] = float64(n - i) // descending
			}
		}
		for _, p := range []float64{0, 0.1, 0.5, 0.75, 0.9, 0.99, 1} {
			want, wok := Percentile(xs, p)
			got, gok := percentileSelect(slices.Clone(xs), p)
			if got != want || gok != wok {
				t.Fatalf("n=%d p=%v: select %v %v, sort %v %v", n, p, got, gok, want, wok)
			}
		}
	}
}

func TestPercentilesByHistogram(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{4096, 5000, 20000, 100000} {
		for _, spread := range []uint32{3, 60000, 70000, 5_000_000, math.MaxUint32} {
			xs := make([]uint32, n)
			var mx uint32
			for i := range xs {
				xs[i] = uint32(rng.Uint64N(uint64(spread) + 1))
				mx = max(mx, xs[i])
			}
			fs := make([]float64, n)
			for i, v := range xs {
				fs[i] = float64(v)
			}
			ps := []float64{0.5, 0.75, 0.9}
			got := PercentilesByHistogram([][]uint32{xs[:n/3], xs[n/3:]}, n, mx, ps)
			for i, p := range ps {
				want, _ := Percentile(fs, p)
				if *got[i] != want {
					t.Fatalf("n=%d spread=%d p=%v: %v, want %v", n, spread, p, *got[i], want)
				}
			}
			for _, p := range []float64{0, 1} {
				got := PercentilesByHistogram([][]uint32{xs}, n, mx, []float64{p})
				want, _ := Percentile(fs, p)
				if *got[0] != want {
					t.Fatalf("n=%d spread=%d p=%v: %v, want %v", n, spread, p, *got[0], want)
				}
			}
		}
	}
}
