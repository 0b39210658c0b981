package engine

import (
	"context"

	"github.com/tach-dev/tach/store"
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
	err = rp.st.ReadRollups(ctx, func(r *store.RollupRead) error {
		fresh, err := r.Fresh(ctx, ids, rollupVersion(rp.rules))
		n = len(fresh)
		return err
	})
	return n, err
}

// OnCompareStep calls f at each step of l's comparisons: each week
// observed, each measure, every few dozen bootstrap resamples.
func OnCompareStep(l *DecisionLog, f func()) { l.onStep = f }

// ComparesWaiting is how many callers wait for l's comparisons now.
func ComparesWaiting(l *DecisionLog) int { return l.compares.waiting() }

// ViewsWaiting is how many callers wait for rp's views to be computed now.
func ViewsWaiting(rp *Reports) int { return rp.views.waiting() }
