package engine

import (
	"context"
	"time"

	"github.com/tach-dev/tach/metrics"
	"github.com/tach-dev/tach/metrics/impact"
)

// FreshRollups counts the repos whose rollup rp reads.
func FreshRollups(ctx context.Context, rp *Reports) (int, error) {
	repos, err := rp.st.Repos(ctx)
	if err != nil {
		return 0, err
	}
	ids := make([]int64, len(repos))
	for i, r := range repos {
		ids[i] = r.ID
	}
	n := 0
	err = rp.st.ReadRollups(ctx, ids, rollupVersion(rp.rules), 1, 0, func(fresh map[int64][]byte) error {
		n = len(fresh)
		return nil
	}, nil)
	return n, err
}

// OnCompareStep calls f at each step of l's comparisons: each week
// observed, each measure, every few dozen bootstrap resamples.
func OnCompareStep(l *DecisionLog, f func()) { l.onStep = f }

// ComparesWaiting is how many callers wait for l's comparisons now.
func ComparesWaiting(l *DecisionLog) int { return l.compares.waiting() }

// ViewsWaiting is how many callers wait for rp's views to be computed now.
func ViewsWaiting(rp *Reports) int { return rp.views.waiting() }

// KeysCompared compares the measures of keys over prev and cur as the
// overview's judgement does (compareKeys), and as a comparison of every
// row of both periods does (runPlan).
func KeysCompared(ctx context.Context, rp *Reports, sc Scope, prev, cur metrics.Window, now time.Time, measures []string) (split, rows impact.Comparison, err error) {
	m, _, _, err := rp.meta(ctx)
	if err != nil {
		return split, rows, err
	}
	r, err := m.resolve(sc)
	if err != nil {
		return split, rows, err
	}
	opt := impact.CompareOptions{Rules: rp.rules, Measures: measures}
	if split, err = rp.compareKeys(ctx, periodsPlan(r, prev, cur, now, opt)); err != nil {
		return split, rows, err
	}
	rows, _, err = rp.runPlan(ctx, periodsPlan(r, prev, cur, now, opt), ctx.Err)
	return split, rows, err
}
