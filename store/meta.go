package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Meta keys.
const (
	MetaRulesHash = "rules_hash" // the rules the derived columns were computed with
	MetaDemo      = "demo"       // set when `tach demo` wrote the database
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
