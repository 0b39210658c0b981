package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Webhook delivery outcomes, as recorded and as /metrics labels them.
const (
	DeliveryReceived    = "received"     // recorded, not processed yet (or in flight)
	DeliveryApplied     = "applied"      // rows written
	DeliveryIgnored     = "ignored"      // an event or action tach does not use
	DeliveryUnknownRepo = "unknown_repo" // a repo that is not in the config
	DeliveryMalformed   = "malformed"    // a payload that could not be read
	DeliveryFailed      = "failed"       // applying it failed (the store, a bug)
)

// Delivery is one webhook delivery received.
type Delivery struct {
	Provider   string
	ID         string
	Event      string
	ReceivedAt time.Time
	Outcome    string
}

// RecordDelivery records a delivery the first time its id is seen and
// reports whether this is that first time. A provider redelivers with the
// same id (GitHub's X-GitHub-Delivery, GitLab's Idempotency-Key): a
// redelivery of one recorded before is not applied again, unless applying
// it failed, in which case it is recorded afresh and may be tried again.
// outcome is what a first delivery is recorded with: DeliveryReceived while
// it is to be applied, or the outcome it already has (DeliveryUnknownRepo).
func (s *Store) RecordDelivery(ctx context.Context, provider, id, event string, at time.Time, outcome string) (first bool, err error) {
	if id == "" {
		return false, errors.New("record webhook delivery: no delivery id")
	}
	err = s.Write(ctx, func(tx *Tx) error {
		var was string
		err := tx.queryRow(ctx, `SELECT outcome FROM webhook_deliveries WHERE provider = ? AND id = ?`, provider, id).Scan(&was)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			first = true
			_, err = tx.exec(ctx, `INSERT INTO webhook_deliveries (provider, id, event, received_at, outcome) VALUES (?, ?, ?, ?, ?)`,
				provider, id, event, at.Unix(), outcome)
			return err
		case err != nil:
			return err
		case was == DeliveryFailed:
			first = true
			_, err = tx.exec(ctx, `UPDATE webhook_deliveries SET event = ?, received_at = ?, outcome = ? WHERE provider = ? AND id = ?`,
				event, at.Unix(), outcome, provider, id)
			return err
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("record webhook delivery %s: %w", id, err)
	}
	return first, nil
}

// SetDeliveryOutcome records what became of a delivery.
func (s *Store) SetDeliveryOutcome(ctx context.Context, provider, id, outcome string) error {
	err := s.Write(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, `UPDATE webhook_deliveries SET outcome = ? WHERE provider = ? AND id = ?`, outcome, provider, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("record webhook delivery %s: %w", id, err)
	}
	return nil
}

// PruneDeliveries deletes the deliveries received before before and
// returns how many.
func (s *Store) PruneDeliveries(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	err := s.Write(ctx, func(tx *Tx) error {
		res, err := tx.exec(ctx, `DELETE FROM webhook_deliveries WHERE received_at < ?`, before.Unix())
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("prune webhook deliveries: %w", err)
	}
	return n, nil
}

// Deliveries lists the deliveries received at or after since, newest first.
func (s *Store) Deliveries(ctx context.Context, since time.Time) ([]Delivery, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT provider, id, event, received_at, outcome FROM webhook_deliveries
		WHERE received_at >= ? ORDER BY received_at DESC, id`, since.Unix())
	if err != nil {
		return nil, fmt.Errorf("list webhook deliveries: %w", err)
	}
	defer rows.Close()
	var out []Delivery
	for rows.Next() {
		var d Delivery
		var at int64
		if err := rows.Scan(&d.Provider, &d.ID, &d.Event, &at, &d.Outcome); err != nil {
			return nil, fmt.Errorf("list webhook deliveries: %w", err)
		}
		d.ReceivedAt = time.Unix(at, 0).UTC()
		out = append(out, d)
	}
	return out, rows.Err()
}
