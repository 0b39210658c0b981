package collectors

import (
	"errors"
	"time"

	"github.com/tach-dev/tach/store"
)

// Webhooks bring single changes between syncs. A provider's ApplyWebhook
// turns one event into the rows a sync would write for it, with the
// provider's own conversion code, in one store transaction; the caller
// then re-derives the repo (Applied.RepoID). Webhooks never move a sync
// watermark: the scheduled sync still reads everything since the last
// sync, and so reconciles any event that was missed or approximated.

// WebhookConfig is what applying an event needs to know of the config.
type WebhookConfig struct {
	// Repo returns the settings of a configured repo by its name as the
	// provider spells it (owner/name, group/sub/project); false when the
	// repo is not in the config.
	Repo func(name string) (Repo, bool)
	// IncidentLabels mark an issue as an incident.
	IncidentLabels []string
	// History is sync.history: an event about an item older than that is
	// ignored, as a sync would not keep the item either (0: no limit).
	History time.Duration
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// TooOld reports an item last changed before the history a sync keeps.
func (c WebhookConfig) TooOld(t time.Time) bool {
	if c.History <= 0 || t.IsZero() {
		return false
	}
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	return t.Before(now().Add(-c.History))
}

// Applied is what one webhook event did.
type Applied struct {
	// Event is the event and its action, such as "pull_request.closed".
	Event string
	// Repo and RepoID name the repo the event is about (RepoID 0 when
	// nothing was written). Re-derive RepoID when Rows > 0.
	Repo   string
	RepoID int64
	// Rows is how many rows were inserted, changed or deleted.
	Rows int
	// Ignored says why nothing was written, when that is expected: an event
	// or action tach does not use, a pull request in an issues event, a
	// deployment of a repo whose deployments come from elsewhere.
	Ignored string
}

var (
	// ErrWebhookUnknownRepo is wrapped by ApplyWebhook's error for an event
	// of a repo that is not in the config: the server ignores it.
	ErrWebhookUnknownRepo = errors.New("repository not in the config")
	// ErrWebhookMalformed is wrapped by ApplyWebhook's error for a payload
	// that cannot be read (bad JSON, missing fields): a client error.
	ErrWebhookMalformed = errors.New("malformed webhook payload")
)

// WebhookOutcome names what became of a delivery, as the
// webhook_deliveries table and /metrics record it.
func WebhookOutcome(a Applied, err error) string {
	switch {
	case errors.Is(err, ErrWebhookUnknownRepo):
		return store.DeliveryUnknownRepo
	case errors.Is(err, ErrWebhookMalformed):
		return store.DeliveryMalformed
	case err != nil:
		return store.DeliveryFailed
	case a.Ignored != "":
		return store.DeliveryIgnored
	}
	return store.DeliveryApplied
}
