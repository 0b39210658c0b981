package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// SyncState is what a collector remembers about one resource of one repo
// between syncs.
type SyncState struct {
	RepoID             int64
	RepoName           string // filled by SyncStates
	Resource           string // changes, deployments, ci_runs, incidents, ...
	Watermark          time.Time
	ETag               string
	LastSuccessAt      time.Time
	LastError          string
	LastErrorAt        time.Time
	Rows               int
	Requests           int
	RateLimitRemaining int // -1 when unknown
	RateLimitResetAt   time.Time
}

// SyncState reads the state of one repo's resource; a zero state (with
// RateLimitRemaining -1) when it was never synced.
func (s *Store) SyncState(ctx context.Context, repoID int64, resource string) (SyncState, error) {
	st, err := scanSyncState(s.read.QueryRowContext(ctx, syncStateSelect+` WHERE s.repo_id = ? AND s.resource = ?`, repoID, resource))
	if errors.Is(err, sql.ErrNoRows) {
		return SyncState{RepoID: repoID, Resource: resource, RateLimitRemaining: -1}, nil
	}
	if err != nil {
		return st, fmt.Errorf("read sync state of %s: %w", resource, err)
	}
	return st, nil
}

// SyncStates lists every repo's sync state, by repo and resource.
func (s *Store) SyncStates(ctx context.Context) ([]SyncState, error) {
	rows, err := s.read.QueryContext(ctx, syncStateSelect+` ORDER BY r.name, s.resource`)
	if err != nil {
		return nil, fmt.Errorf("list sync states: %w", err)
	}
	defer rows.Close()
	var out []SyncState
	for rows.Next() {
		st, err := scanSyncState(rows)
		if err != nil {
			return nil, fmt.Errorf("list sync states: %w", err)
		}
		out = append(out, st)
	}
	return out, rows.Err()
}

const syncStateSelect = `SELECT s.repo_id, r.name, s.resource, s.watermark, s.etag, s.last_success_at, s.last_error, s.last_error_at,
	s.rows, s.requests, s.rate_limit_remaining, s.rate_limit_reset_at FROM sync_state s JOIN repos r ON r.id = s.repo_id`

func scanSyncState(sc interface{ Scan(...any) error }) (SyncState, error) {
	var st SyncState
	var wm, ok, errAt, remaining, reset sql.NullInt64
	err := sc.Scan(&st.RepoID, &st.RepoName, &st.Resource, &wm, &st.ETag, &ok, &st.LastError, &errAt, &st.Rows, &st.Requests, &remaining, &reset)
	st.Watermark, st.LastSuccessAt, st.LastErrorAt, st.RateLimitResetAt = fromUnix(wm), fromUnix(ok), fromUnix(errAt), fromUnix(reset)
	st.RateLimitRemaining = -1
	if remaining.Valid {
		st.RateLimitRemaining = int(remaining.Int64)
	}
	return st, err
}

// SaveSyncState writes a repo's resource state. Collectors call it in the
// same transaction as the rows the watermark covers.
func (tx *Tx) SaveSyncState(ctx context.Context, st SyncState) error {
	var remaining any
	if st.RateLimitRemaining >= 0 {
		remaining = st.RateLimitRemaining
	}
	_, err := tx.exec(ctx, `INSERT INTO sync_state (repo_id, resource, watermark, etag, last_success_at, last_error, last_error_at,
		rows, requests, rate_limit_remaining, rate_limit_reset_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (repo_id, resource) DO UPDATE SET watermark = excluded.watermark, etag = excluded.etag,
			last_success_at = excluded.last_success_at, last_error = excluded.last_error, last_error_at = excluded.last_error_at,
			rows = excluded.rows, requests = excluded.requests, rate_limit_remaining = excluded.rate_limit_remaining,
			rate_limit_reset_at = excluded.rate_limit_reset_at`,
		st.RepoID, st.Resource, unix(st.Watermark), st.ETag, unix(st.LastSuccessAt), st.LastError, unix(st.LastErrorAt),
		st.Rows, st.Requests, remaining, unix(st.RateLimitResetAt))
	if err != nil {
		return fmt.Errorf("save sync state of %s: %w", st.Resource, err)
	}
	return nil
}
