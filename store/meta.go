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
