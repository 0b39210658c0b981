package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// DigestKey names one delivery of the weekly review: the reviewed week,
// the scope (a team, or "" for all repos) and the destination (its
// platform and a hash of its URL, never the URL).
type DigestKey struct {
	Period string
	Scope  string
	Target string
}

// DigestSend is what is recorded of a delivery.
type DigestSend struct {
	DigestKey
	ClaimedAt time.Time // zero when nobody is posting it
	SentAt    time.Time // zero until delivered
	Attempts  int
	LastError string
}

// ClaimDigest takes a delivery for this process: true when it was never
// claimed, or its claim was released or is older than stale (its
// replica died while posting) — and it has not been sent. Only the
// claimant posts, so a digest goes out once across replicas.
func (s *Store) ClaimDigest(ctx context.Context, k DigestKey, now time.Time, stale time.Duration) (bool, error) {
	var claimed bool
	err := s.Write(ctx, func(tx *Tx) error {
		res, err := tx.exec(ctx, `INSERT INTO digest_sends (period, scope, target, claimed_at, attempts) VALUES (?, ?, ?, ?, 1)
			ON CONFLICT (period, scope, target) DO UPDATE SET claimed_at = excluded.claimed_at, attempts = digest_sends.attempts + 1
			WHERE digest_sends.sent_at IS NULL AND (digest_sends.claimed_at IS NULL OR digest_sends.claimed_at < ?)`,
			k.Period, k.Scope, k.Target, now.Unix(), now.Add(-stale).Unix())
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		claimed = n == 1
		return err
	})
	if err != nil {
		return false, fmt.Errorf("claim digest %s %s: %w", k.Period, k.Target, err)
	}
	return claimed, nil
}

// FinishDigest records the end of a claimed delivery: sent, or failed
// with errMsg (the claim is released, so a later try may post it).
func (s *Store) FinishDigest(ctx context.Context, k DigestKey, now time.Time, errMsg string) error {
	return s.Write(ctx, func(tx *Tx) error {
		var err error
		if errMsg == "" {
			_, err = tx.exec(ctx, `UPDATE digest_sends SET sent_at = ?, claimed_at = NULL, last_error = '' WHERE period = ? AND scope = ? AND target = ?`,
				now.Unix(), k.Period, k.Scope, k.Target)
		} else {
			_, err = tx.exec(ctx, `UPDATE digest_sends SET claimed_at = NULL, last_error = ? WHERE period = ? AND scope = ? AND target = ?`,
				errMsg, k.Period, k.Scope, k.Target)
		}
		if err != nil {
			return fmt.Errorf("record digest %s %s: %w", k.Period, k.Target, err)
		}
		return nil
	})
}

// DigestSent returns what is recorded of a delivery; ok is false when
// nothing is.
func (s *Store) DigestSent(ctx context.Context, k DigestKey) (d DigestSend, ok bool, err error) {
	var claimed, sent sql.NullInt64
	d.DigestKey = k
	err = s.read.QueryRowContext(ctx, `SELECT claimed_at, sent_at, attempts, last_error FROM digest_sends WHERE period = ? AND scope = ? AND target = ?`,
		k.Period, k.Scope, k.Target).Scan(&claimed, &sent, &d.Attempts, &d.LastError)
	if errors.Is(err, sql.ErrNoRows) {
		return d, false, nil
	}
	if err != nil {
		return d, false, fmt.Errorf("read digest %s %s: %w", k.Period, k.Target, err)
	}
	if claimed.Valid {
		d.ClaimedAt = time.Unix(claimed.Int64, 0).UTC()
	}
	if sent.Valid {
		d.SentAt = time.Unix(sent.Int64, 0).UTC()
	}
	return d, true, nil
}
