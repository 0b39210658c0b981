package web_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/tach-dev/tach/web"
)

// pruneCalls records what a server pruned.
type pruneCalls struct {
	sessions   []time.Time
	deliveries []time.Time
}

func (p *pruneCalls) PruneSessions(ctx context.Context, now time.Time) (int64, error) {
	p.sessions = append(p.sessions, now)
	return 0, nil
}

func (p *pruneCalls) PruneDeliveries(ctx context.Context, before time.Time) (int64, error) {
	p.deliveries = append(p.deliveries, before)
	return 0, nil
}

// TestServerPrunesWhatItKeeps: a server with local users prunes expired
// sessions, one with webhooks the deliveries past DeliveryRetention; a
// bare dashboard prunes nothing. The first pass runs at once.
func TestServerPrunesWhatItKeeps(t *testing.T) {
	users := newOpsEnv(t, nil).users
	hooks := web.NewWebhooks(web.WebhookOptions{})
	for _, tc := range []struct {
		name                 string
		ops                  *web.OpsOptions
		sessions, deliveries bool
	}{
		{"bare dashboard", nil, false, false},
		{"proxy sign-in, no webhooks", &web.OpsOptions{Auth: web.AuthOptions{Proxy: &web.TrustedProxy{Header: "X-User"}}}, false, false},
		{"local users", &web.OpsOptions{Auth: web.AuthOptions{Users: users}}, true, false},
		{"webhooks", &web.OpsOptions{Webhooks: hooks}, false, true},
		{"both", &web.OpsOptions{Auth: web.AuthOptions{Users: users}, Webhooks: hooks}, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := web.NewServer(web.Options{Reports: demoReports, Decisions: demoDecisions, Store: demoStore, Ops: tc.ops, Now: func() time.Time { return demoNow },
				Logger: slog.New(slog.DiscardHandler)})
			ctx, cancel := context.WithCancel(context.Background())
			cancel() // one pass, then return
			var p pruneCalls
			srv.Prune(ctx, &p)
			if got := len(p.sessions) == 1; got != tc.sessions || len(p.sessions) > 1 {
				t.Errorf("sessions pruned %v, want %v", p.sessions, tc.sessions)
			}
			if got := len(p.deliveries) == 1; got != tc.deliveries || len(p.deliveries) > 1 {
				t.Errorf("deliveries pruned %v, want %v", p.deliveries, tc.deliveries)
			}
			if tc.sessions && !p.sessions[0].Equal(demoNow) {
				t.Errorf("sessions pruned as of %v, want now (%v)", p.sessions[0], demoNow)
			}
			if tc.deliveries && !p.deliveries[0].Equal(demoNow.Add(-30*24*time.Hour)) {
				t.Errorf("deliveries pruned before %v, want 30 days ago", p.deliveries[0])
			}
		})
	}
}
