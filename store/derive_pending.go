package store

import (
	"context"
	"fmt"
	"sort"
)

// The derive step runs after a sync's rows are committed, in other
// transactions. A repo is marked in the transaction that changes its rows
// and unmarked once derived, so that no crash between the two leaves it
// with stale derived values.

// MarkDerivePending marks a repo's derived values as out of date.
func (tx *Tx) MarkDerivePending(ctx context.Context, repoID int64) error {
	_, err := tx.exec(ctx, `INSERT INTO derive_pending (repo_id, seq) VALUES (?, 1)
		ON CONFLICT (repo_id) DO UPDATE SET seq = derive_pending.seq + 1`, repoID)
	if err != nil {
		return fmt.Errorf("mark repo %d for derive: %w", repoID, err)
	}
	return nil
}

// DerivePending returns the marked repos, each with its mark's sequence
// number (for ClearDerivePending).
func (s *Store) DerivePending(ctx context.Context) (map[int64]int64, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT repo_id, seq FROM derive_pending`)
	if err != nil {
		return nil, fmt.Errorf("list repos to derive: %w", err)
	}
	defer rows.Close()
	out := map[int64]int64{}
	for rows.Next() {
		var id, seq int64
		if err := rows.Scan(&id, &seq); err != nil {
			return nil, fmt.Errorf("list repos to derive: %w", err)
		}
		out[id] = seq
	}
	return out, rows.Err()
}

// ClearDerivePending removes the marks DerivePending returned, unless a
// repo was marked again since (its sequence number moved on).
func (s *Store) ClearDerivePending(ctx context.Context, marks map[int64]int64) error {
	if len(marks) == 0 {
		return nil
	}
	err := s.Write(ctx, func(tx *Tx) error {
		for id, seq := range marks {
			if _, err := tx.exec(ctx, `DELETE FROM derive_pending WHERE repo_id = ? AND seq = ?`, id, seq); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("clear repos derived: %w", err)
	}
	return nil
}

// PendingIDs lists the repos of marks, sorted.
func PendingIDs(marks map[int64]int64) []int64 {
	ids := make([]int64, 0, len(marks))
	for id := range marks {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}
