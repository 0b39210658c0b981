package gitlab

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
)

// Headers of a GitLab webhook delivery.
const (
	HeaderEvent = "X-Gitlab-Event"
	HeaderToken = "X-Gitlab-Token"
	// HeaderIdempotencyKey is the same on every retry of a delivery
	// (GitLab 17.4 and later); HeaderEventUUID identifies the event on
	// older GitLabs (a retry by GitLab itself keeps it too).
	HeaderIdempotencyKey = "Idempotency-Key"
	HeaderEventUUID      = "X-Gitlab-Event-UUID"
)

// ErrWebhookToken is wrapped by VerifyWebhookToken's error for a delivery
// without the secret token or with another: answer 401 and apply nothing.
var ErrWebhookToken = errors.New("webhook token missing or wrong")

// VerifyWebhookToken compares a delivery's X-Gitlab-Token with the secret
// in constant time. Both are hashed first, so that the comparison does not
// even reveal the secret's length. A secret is required: a webhook
// endpoint without one would accept anyone's events.
func VerifyWebhookToken(token, secret string) error {
	if secret == "" {
		return errors.New("gitlab webhook: no secret token configured (webhooks.gitlab_token)")
	}
	a, b := sha256.Sum256([]byte(token)), sha256.Sum256([]byte(secret))
	if token == "" || subtle.ConstantTimeCompare(a[:], b[:]) != 1 {
		return fmt.Errorf("gitlab webhook: %w", ErrWebhookToken)
	}
	return nil
}

// DeliveryID is the id that de-duplicates a delivery: its Idempotency-Key,
// else its event UUID ("" when it has neither: it cannot be
// de-duplicated).
func DeliveryID(h http.Header) string {
	if k := h.Get(HeaderIdempotencyKey); k != "" {
		return k
	}
	return h.Get(HeaderEventUUID)
}
