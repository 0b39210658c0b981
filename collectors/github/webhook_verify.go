package github

import (
	"bytes"
	"errors"
	"fmt"
	"mime"
	"strings"

	gh "github.com/google/go-github/v62/github"
)

// Headers of a GitHub webhook delivery.
const (
	HeaderEvent     = "X-GitHub-Event"
	HeaderDelivery  = "X-GitHub-Delivery"
	HeaderSignature = "X-Hub-Signature-256"
)

// ErrWebhookSignature is wrapped by WebhookPayload's error for a delivery
// that is unsigned, signed with another secret, or signed with an
// algorithm other than SHA-256: answer 401 and apply nothing.
var ErrWebhookSignature = errors.New("webhook signature missing or wrong")

// WebhookPayload checks a delivery's X-Hub-Signature-256 (an HMAC-SHA256
// of the body with the secret, compared in constant time by go-github) and
// returns its JSON payload: the body itself, or the payload field of a
// form-encoded delivery. A secret is required: a webhook endpoint without
// one would accept anyone's events. The error never contains the body or
// the secret.
func WebhookPayload(contentType string, body []byte, signature256, secret string) ([]byte, error) {
	if secret == "" {
		return nil, errors.New("github webhook: no secret configured (webhooks.github_secret)")
	}
	if !strings.HasPrefix(signature256, "sha256=") {
		return nil, fmt.Errorf("github webhook: %w: no sha256 signature", ErrWebhookSignature)
	}
	media, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		media = contentType
	}
	// The signature is checked first, then the content type: an unsigned
	// request learns nothing about what tach would accept.
	if err := gh.ValidateSignature(signature256, body, []byte(secret)); err != nil {
		return nil, fmt.Errorf("github webhook: %w", ErrWebhookSignature)
	}
	payload, err := gh.ValidatePayloadFromBody(media, bytes.NewReader(body), signature256, []byte(secret))
	if err != nil {
		return nil, fmt.Errorf("github webhook: content type %q: use application/json", media)
	}
	return payload, nil
}
