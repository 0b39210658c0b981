package demo

import (
	"math"
	"time"
)

// The refactor radar's planted finding: the monolith's search module
// degrades over the last degradeWeeks weeks. More of the monolith's work
// lands in it, its changes grow, wait longer for review and take longer
// in CI, and more of them are fixes, which cluster in two fragile files.
// The trend is strong and steady (docs/radar.md: at 12 weeks only a
// near-monotone weekly series can raise a signal among the organisation's
// tests), and everything else of the demo keeps its habits.
const (
	degradeWeeks    = 14 // weeks before End at which search starts to degrade
	degradingModule = "search"
	// Per week of degradation: review waits, size and CI time grow by
	// these factors.
	degradeReview = 1.2
	degradeSize   = 1.15
	degradeCI     = 1.1
	// degradeShare multiplies search's share of the monolith's changes.
	degradeShare = 6
	// degradeNoise shrinks the spread of a degrading change's times and
	// size, so that weekly medians of a few changes still rise steadily.
	degradeNoise = 0.35
)

// degradeHotspots are the files the degrading module's fixes cluster in.
var degradeHotspots = []string{"search/query/service.go", "search/index/store.go"}

// degradedWeeks is how many weeks the degrading module has been degrading
// at t (0 before it starts).
func (c clock) degradedWeeks(t time.Time) float64 {
	if c.degrade.IsZero() || t.Before(c.degrade) {
		return 0
	}
	return t.Sub(c.degrade).Hours() / (7 * 24)
}

// partWeights are the shares of the tree's parts in the changes opened
// at t: payments has none in the monolith after the split, and with
// degrading, search takes more of the people's changes while it degrades
// (the fixes of incidents and the odd file another part's change touches
// keep to the usual shares).
func (s *sim) partWeights(t time.Time, degrading bool) []float64 {
	weights := make([]float64, len(s.tree.parts))
	for i, p := range s.tree.parts {
		weights[i] = p.weight
		if s.def.tree != "monolith" {
			continue
		}
		if p.name == "payments" && !t.Before(s.clk.split) {
			weights[i] = 0 // moved out
		}
		if degrading && p.name == degradingModule && s.def.name == repoMonolith && s.clk.degradedWeeks(t) > 0 {
			weights[i] *= degradeShare
		}
	}
	return weights
}

// degradeLife stretches a human change of the degrading module opened
// after d weeks of degradation: z are its normal draws (shrunk here), the
// returned factors multiply its pickup and review waits and its size.
func degradeLife(d float64, z []float64) (wait, size float64) {
	for i := range z {
		z[i] *= degradeNoise
	}
	return math.Pow(degradeReview, d), math.Pow(degradeSize, d)
}
