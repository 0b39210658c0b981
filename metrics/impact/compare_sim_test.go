package impact_test

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/tach-dev/tach/metrics"
	"github.com/tach-dev/tach/metrics/impact"
)

// The simulations: many data sets where nothing changes at the break. Each
// interval is a 95 % interval, so each measure may claim "improved" or
// "worsened" in about 5 % of them, not more.
//
// Tolerance: with N data sets, the observed rate of a measure whose true
// rate is 5 % has standard deviation √(0.05·0.95/N); a rate above
// 0.05 + 3.09·√(0.05·0.95/N) has a chance below 0.1 % if the true rate is
// 5 % (one-sided normal bound on the binomial), so the test does not fail
// by bad luck while still catching a miscalibrated interval (at N = 400:
// 8.4 % per measure). The pooled rate over all measures (13·N verdicts) gets
// the tighter bound 0.05 + 3.09·√(0.05·0.95/(13N)) (5.9 % at N = 400).
//
// 500 bootstrap resamples instead of 2,000 keep the simulations fast: the
// interval's coverage does not depend on the number of resamples, only its
// Monte Carlo wobble does.

// simSets is how many data sets a simulation draws: fewer with -short and
// under the race detector (which makes this arithmetic ten times slower
// without finding anything new in it).
func simSets(n int) int {
	if testing.Short() || raceDetector {
		return n / 8
	}
	return n
}

// falsePositives runs a no-effect simulation and checks its rates.
func falsePositives(t *testing.T, n int, draw func(seed uint64) impact.Comparison) {
	t.Helper()
	counts := map[string]int{}
	total := 0
	for seed := range n {
		c := draw(uint64(seed))
		for _, m := range c.Measures {
			if m.Verdict == impact.VerdictImproved || m.Verdict == impact.VerdictWorsened {
				counts[m.Key]++
				total++
			}
		}
	}
	bound := 0.05 + 3.09*math.Sqrt(0.05*0.95/float64(n))
	for _, def := range impact.CompareMeasures {
		rate := float64(counts[def.Key]) / float64(n)
		t.Logf("%-22s false positives %3d/%d = %.3f", def.Key, counts[def.Key], n, rate)
		if n >= 100 && rate > bound {
			t.Errorf("%s: false-positive rate %.3f above %.3f", def.Key, rate, bound)
		}
	}
	verdicts := n * len(impact.CompareMeasures)
	pooled := float64(total) / float64(verdicts)
	pooledBound := 0.05 + 3.09*math.Sqrt(0.05*0.95/float64(verdicts))
	t.Logf("pooled false-positive rate %d/%d = %.4f (bound %.4f)", total, verdicts, pooled, pooledBound)
	if pooled > pooledBound {
		t.Errorf("pooled false-positive rate %.4f above %.4f", pooled, pooledBound)
	}
}

// TestCompareFalsePositiveRate: independent observations with the texture
// of real teams: log-normal durations, weekly deployment counts
// over-dispersed around their mean (a busy week, a quiet week), 1–4 changes
// per deployment.
func TestCompareFalsePositiveRate(t *testing.T) {
	falsePositives(t, simSets(400), func(seed uint64) impact.Comparison {
		return beforeAfter(1000+seed, baseline, baseline, 8, 500)
	})
}

// TestCompareFalsePositiveRateWithWeeklySwings: every week has its own
// pace: all durations of a week are scaled by a common log-normal factor
// (σ = 0.3, so a slow week is a third slower) and the failure probability
// swings too. Observations of one week are then not independent, which is
// why the bootstrap resamples whole weeks and the Mann–Whitney variance
// carries the design effect; resampling single changes would claim an
// effect in lead time in about one data set in six.
func TestCompareFalsePositiveRateWithWeeklySwings(t *testing.T) {
	falsePositives(t, simSets(240), func(seed uint64) impact.Comparison {
		rng := rand.New(rand.NewPCG(seed, 77))
		var ds metrics.Dataset
		var next int64
		from, to := T.AddDate(0, 0, -56), T.AddDate(0, 0, 56)
		for week := from; week.Before(to); week = week.AddDate(0, 0, 7) {
			tm := baseline
			pace := math.Exp(0.3 * rng.NormFloat64())
			for _, d := range []*time.Duration{&tm.coding, &tm.pickup, &tm.review, &tm.deploy, &tm.recovery} {
				*d = time.Duration(float64(*d) * pace)
			}
			tm.failP = math.Min(0.9, tm.failP*math.Exp(0.3*rng.NormFloat64()))
			synth(rng, &ds, tm, week, week.AddDate(0, 0, 7), &next)
		}
		c, err := impact.Compare(
			impact.CompareSide{Label: "before", Dataset: ds, Window: metrics.Window{From: from, To: T}},
			impact.CompareSide{Label: "after", Dataset: ds, Window: metrics.Window{From: T, To: to}},
			impact.CompareOptions{Kind: impact.CompareDate, Rules: metrics.DefaultRules(), Break: T, Resamples: 500},
		)
		if err != nil {
			panic(err)
		}
		return c
	})
}
