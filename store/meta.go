package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Meta keys.
const (
	MetaRulesHash = "rules_hash" // the rules the derived columns were computed with
	MetaDemo      = "demo"       // set when `tach demo` wrote the database
	// MetaSyncRequested is set by a replica asked to "sync now" that does
	// not hold the sync lock, for the one that does (RequestSync).
	MetaSyncRequested = "sync_requested"
)

// Meta reads a value of the meta table; "" when unset.
func (s *Store) Meta(ctx context.Context, key string) (string, error) {
	var v string
	err := s.read.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read meta %s: %w", key, err)
	}
	return v, nil
}

// SetMeta writes a value of the meta table.
func (tx *Tx) SetMeta(ctx context.Context, key, value string) error {
	if _, err := tx.exec(ctx, `INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value); err != nil {
		return fmt.Errorf("write meta %s: %w", key, err)
	}
	return nil
}

// RequestSync asks the replica that holds the sync lock to sync now: a
// "sync now" that reached another replica (behind a load balancer) is
// passed on through the database, which the holder polls
// (TakeSyncRequest).
func (s *Store) RequestSync(ctx context.Context, at time.Time) error {
	return s.Write(ctx, func(tx *Tx) error { return tx.SetMeta(ctx, MetaSyncRequested, strconv.FormatInt(at.Unix(), 10)) })
}

// TakeSyncRequest reports whether a sync was requested since the last
// call, and clears the request: of several replicas polling, one takes it.
func (s *Store) TakeSyncRequest(ctx context.Context) (bool, error) {
	// Polled: a read, and a write only when there is a request.
	if v, err := s.Meta(ctx, MetaSyncRequested); err != nil || v == "" {
		return false, err
	}
	var took bool
	err := s.Write(ctx, func(tx *Tx) error {
		res, err := tx.exec(ctx, `DELETE FROM meta WHERE key = ?`, MetaSyncRequested)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		took = n > 0
		return err
	})
	if err != nil {
		return false, fmt.Errorf("take the sync request: %w", err)
	}
	return took, nil
}

// metaWithPrefix reads the values of the meta keys that start with
// prefix, in key order (the listings, the teams' members).
func (s *Store) metaWithPrefix(ctx context.Context, prefix string) ([]string, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT value FROM meta WHERE key LIKE ? ORDER BY key`, prefix+"%")
	if err != nil {
		return nil, fmt.Errorf("read meta %s*: %w", prefix, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("read meta %s*: %w", prefix, err)
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
