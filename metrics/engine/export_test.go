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
