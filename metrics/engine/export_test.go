package engine

import (
	"context"

	"github.com/tach-dev/tach/store"
)

// FreshRollups counts the repos whose rollup eng reads.
func FreshRollups(ctx context.Context, eng *Engine) (int, error) {
	repos, err := eng.st.Repos(ctx)
	if err != nil {
		return 0, err
	}
	ids := make([]int64, len(repos))
	for i, r := range repos {
		ids[i] = r.ID
	}
	n := 0
	err = eng.st.ReadRollups(ctx, func(r *store.RollupRead) error {
		fresh, err := r.Fresh(ctx, ids, eng.rollupVersion())
		n = len(fresh)
		return err
	})
	return n, err
}
