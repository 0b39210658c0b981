package web

import (
	"context"
	"time"
)

// DeliveryRetention is how long a server keeps the webhook deliveries it
// recorded (and so refuses a delivery id seen again).
const DeliveryRetention = 30 * 24 * time.Hour

// Pruner deletes what a server no longer needs (*store.Store).
type Pruner interface {
	PruneSessions(ctx context.Context, now time.Time) (int64, error)
	PruneDeliveries(ctx context.Context, before time.Time) (int64, error)
}

// Prune deletes through p the expired sessions, when local users sign in,
// and the webhook deliveries older than DeliveryRetention, when the server
// receives webhooks: at once, then hourly, until ctx ends.
func (s *Server) Prune(ctx context.Context, p Pruner) {
	sessions := s.ops != nil && s.ops.Auth.Users != nil
	deliveries := s.ops != nil && s.ops.Webhooks != nil
	for {
		now := s.now()
		if sessions {
			if _, err := p.PruneSessions(ctx, now); err != nil && ctx.Err() == nil {
				s.log.Warn("prune sessions", "err", err)
			}
		}
		if deliveries {
			if _, err := p.PruneDeliveries(ctx, now.Add(-DeliveryRetention)); err != nil && ctx.Err() == nil {
				s.log.Warn("prune webhook deliveries", "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Hour):
		}
	}
}
