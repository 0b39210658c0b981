package web

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/tach-dev/tach/collectors"
	"github.com/tach-dev/tach/collectors/github"
	"github.com/tach-dev/tach/collectors/gitlab"
	"github.com/tach-dev/tach/store"
)

// Webhooks: POST /webhooks/github and POST /webhooks/gitlab. A delivery is
// checked and recorded while the provider waits (its body bounded, its
// signature or token verified in constant time, its JSON well-formed, its
// id not seen before), answered 202, and applied afterwards by one worker,
// in the order received — so the events of a repo apply in order — with
// the outcome recorded on the delivery and counted in /metrics. Refused
// deliveries are logged with their provider, event and delivery id, never
// their body. An event for a repo not in the config is recorded as such
// and answered 202 "ignored"; the scheduled sync reconciles anything a
// webhook missed.

// MaxWebhookBody bounds a delivery (GitHub's are rarely above 100 KiB).
const MaxWebhookBody = 5 << 20

// Outcomes counted in /metrics beyond the store's (store.Delivery*), for
// deliveries refused before they are recorded.
const (
	webhookUnauthorized = "unauthorized" // no or wrong signature / token
	webhookTooLarge     = "too_large"
	webhookBadRequest   = "bad_request" // malformed JSON, missing headers
	webhookDuplicate    = "duplicate"   // a delivery id seen before
	webhookPing         = "ping"
	webhookBusy         = "busy" // the queue is full
)

// WebhookOptions configure the webhook endpoints.
type WebhookOptions struct {
	// GitHubSecret and GitLabToken verify deliveries; an empty one turns
	// that provider's endpoint off (503, saying which key to set).
	GitHubSecret string
	GitLabToken  string
	// Deliveries records deliveries and their outcomes (*store.Store).
	Deliveries DeliveryStore
	// Apply applies one event (collectors.Syncer.ApplyWebhook: write, derive).
	Apply func(ctx context.Context, provider, event string, payload []byte) (collectors.Applied, error)
	// KnownRepo reports whether a repo, by the provider's name for it, is
	// in the config; nil: every repo is (Apply decides).
	KnownRepo func(provider, name string) bool
	// OnApplied is called after a delivery wrote rows (to refresh the
	// gauges, say); optional.
	OnApplied func(collectors.Applied)
	Telemetry *Telemetry
	Logger    *slog.Logger
	// QueueSize bounds the deliveries waiting to be applied (default 1000).
	QueueSize int
	// Timeout bounds the application of one delivery (default 2 minutes).
	Timeout time.Duration
}

// DeliveryStore records webhook deliveries (*store.Store).
type DeliveryStore interface {
	RecordDelivery(ctx context.Context, provider, id, event string, at time.Time, outcome string) (bool, error)
	SetDeliveryOutcome(ctx context.Context, provider, id, outcome string) error
}

// Webhooks receives deliveries and applies them in the background.
type Webhooks struct {
	opt   WebhookOptions
	queue chan delivery

	mu      sync.Mutex
	closed  bool
	running bool
	done    chan struct{}
}

type delivery struct {
	provider, id, event string
	payload             []byte
	received            time.Time
}

// NewWebhooks returns the webhook receiver; Run applies what it accepts.
func NewWebhooks(opt WebhookOptions) *Webhooks {
	if opt.QueueSize <= 0 {
		opt.QueueSize = 1000
	}
	if opt.Timeout <= 0 {
		opt.Timeout = 2 * time.Minute
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	return &Webhooks{opt: opt, queue: make(chan delivery, opt.QueueSize), done: make(chan struct{})}
}

// Run applies the deliveries accepted, one at a time in the order
// received, until Shutdown; it then applies those still queued and
// returns. ctx's values (not its cancellation) carry into each
// application: a shutdown drains the queue rather than dropping it.
func (wh *Webhooks) Run(ctx context.Context) {
	wh.mu.Lock()
	wh.running = true
	wh.mu.Unlock()
	defer close(wh.done)
	base := context.WithoutCancel(ctx)
	for d := range wh.queue {
		wh.apply(base, d)
	}
}

// Shutdown stops accepting deliveries and waits until those queued are
// applied, or ctx ends.
func (wh *Webhooks) Shutdown(ctx context.Context) error {
	wh.mu.Lock()
	if !wh.closed {
		wh.closed = true
		close(wh.queue)
	}
	running := wh.running
	wh.mu.Unlock()
	if !running {
		return nil
	}
	select {
	case <-wh.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (wh *Webhooks) apply(ctx context.Context, d delivery) {
	start := time.Now()
	actx, cancel := context.WithTimeout(ctx, wh.opt.Timeout)
	a, err := wh.opt.Apply(actx, d.provider, d.event, d.payload)
	cancel()
	outcome := collectors.WebhookOutcome(a, err)
	if serr := wh.opt.Deliveries.SetDeliveryOutcome(ctx, d.provider, d.id, outcome); serr != nil {
		wh.opt.Logger.Error("webhook: record the outcome", "provider", d.provider, "delivery", d.id, "err", serr)
	}
	wh.opt.Telemetry.ObserveWebhook(d.provider, outcome)
	attrs := []any{"provider", d.provider, "event", a.Event, "delivery", d.id, "repo", a.Repo, "rows", a.Rows, "outcome", outcome,
		"took", time.Since(start).Round(time.Millisecond), "waited", start.Sub(d.received).Round(time.Millisecond)}
	switch {
	case outcome == store.DeliveryFailed:
		wh.opt.Logger.Error("webhook not applied", append(attrs, "err", err)...)
	case err != nil:
		wh.opt.Logger.Warn("webhook not applied", append(attrs, "err", err)...)
	case a.Ignored != "":
		wh.opt.Logger.Info("webhook ignored", append(attrs, "why", a.Ignored)...)
	default:
		wh.opt.Logger.Info("webhook applied", attrs...)
	}
	if err == nil && a.Rows > 0 && wh.opt.OnApplied != nil {
		wh.opt.OnApplied(a)
	}
}

// enqueue hands a recorded delivery to the worker; false when the queue
// is full or closed.
func (wh *Webhooks) enqueue(d delivery) bool {
	wh.mu.Lock()
	defer wh.mu.Unlock()
	if wh.closed {
		return false
	}
	select {
	case wh.queue <- d:
		return true
	default:
		return false
	}
}

// The handlers.

func (s *Server) githubWebhook(w http.ResponseWriter, r *http.Request) {
	s.receiveWebhook(w, r, store.GitHub)
}

func (s *Server) gitlabWebhook(w http.ResponseWriter, r *http.Request) {
	s.receiveWebhook(w, r, store.GitLab)
}

// webhookReply is the JSON a delivery is answered with.
type webhookReply struct {
	Status   string `json:"status"`            // accepted, duplicate, pong, or error
	Outcome  string `json:"outcome,omitempty"` // ignored: nothing will be applied
	Reason   string `json:"reason,omitempty"`
	Delivery string `json:"delivery,omitempty"`
	Error    string `json:"error,omitempty"`
}

func (s *Server) receiveWebhook(w http.ResponseWriter, r *http.Request, provider string) {
	wh := s.ops.Webhooks
	title := map[string]string{store.GitHub: "GitHub", store.GitLab: "GitLab"}[provider]
	log := s.log.With("provider", provider)
	refuse := func(status int, outcome, msg string, attrs ...any) {
		if wh != nil {
			wh.opt.Telemetry.ObserveWebhook(provider, outcome)
		}
		if status >= 500 {
			log.Error("webhook refused", append(attrs, "status", status, "why", msg)...)
		} else {
			log.Warn("webhook refused", append(attrs, "status", status, "why", msg)...)
		}
		s.writeJSON(w, status, webhookReply{Status: "error", Error: msg})
	}
	if wh == nil {
		refuse(http.StatusNotFound, webhookBadRequest, "this server does not receive webhooks: run tach serve with --config naming a config that lists repos")
		return
	}
	secret, key := wh.opt.GitHubSecret, "webhooks.github_secret (or TACH_GITHUB_WEBHOOK_SECRET)"
	if provider == store.GitLab {
		secret, key = wh.opt.GitLabToken, "webhooks.gitlab_token (or TACH_GITLAB_WEBHOOK_TOKEN)"
	}
	if secret == "" {
		refuse(http.StatusServiceUnavailable, webhookUnauthorized, title+" webhooks are off on this server: set "+key+" in its config, and the same secret in the webhook's settings")
		return
	}
	// What the headers alone can refuse is refused before the body is
	// read: a forger gets no 5 MiB read per request. GitLab's token is a
	// header; GitHub's signature covers the body, so only its absence is.
	var id, event, sig string
	switch provider {
	case store.GitHub:
		event, id, sig = r.Header.Get(github.HeaderEvent), r.Header.Get(github.HeaderDelivery), r.Header.Get(github.HeaderSignature)
		if sig == "" {
			refuse(http.StatusUnauthorized, webhookUnauthorized, "the delivery is not signed: set the webhook's secret on GitHub (X-Hub-Signature-256 is missing)", "event", event, "delivery", id)
			return
		}
	case store.GitLab:
		event, id = r.Header.Get(gitlab.HeaderEvent), gitlab.DeliveryID(r.Header)
		token := r.Header.Get(gitlab.HeaderToken)
		if token == "" {
			refuse(http.StatusUnauthorized, webhookUnauthorized, "the delivery has no secret token: set the webhook's secret token on GitLab (X-Gitlab-Token is missing)", "event", event, "delivery", id)
			return
		}
		if err := gitlab.VerifyWebhookToken(token, secret); err != nil {
			refuse(http.StatusForbidden, webhookUnauthorized, "the delivery's secret token is wrong: the webhook's secret token on GitLab differs from this server's", "event", event, "delivery", id)
			return
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxWebhookBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			refuse(http.StatusRequestEntityTooLarge, webhookTooLarge, "the delivery is larger than 5 MiB")
			return
		}
		refuse(http.StatusBadRequest, webhookBadRequest, "the delivery's body could not be read")
		return
	}
	payload := body
	if provider == store.GitHub {
		payload, err = github.WebhookPayload(r.Header.Get("Content-Type"), body, sig, secret)
		if errors.Is(err, github.ErrWebhookSignature) {
			refuse(http.StatusForbidden, webhookUnauthorized, "the delivery's signature does not match: the webhook's secret on GitHub differs from this server's", "event", event, "delivery", id)
			return
		}
		if err != nil {
			refuse(http.StatusUnsupportedMediaType, webhookBadRequest, "set the webhook's content type to application/json", "event", event, "delivery", id)
			return
		}
	}
	// Signed by the provider from here on.
	if event == "" || len(event) > 100 {
		refuse(http.StatusBadRequest, webhookBadRequest, "the delivery names no event (the "+map[string]string{store.GitHub: github.HeaderEvent, store.GitLab: gitlab.HeaderEvent}[provider]+" header)", "delivery", id)
		return
	}
	if provider == store.GitHub && event == "ping" {
		wh.opt.Telemetry.ObserveWebhook(provider, webhookPing)
		log.Info("webhook ping", "delivery", id)
		s.writeJSON(w, http.StatusOK, webhookReply{Status: "pong", Delivery: id})
		return
	}
	repo, isObject := payloadRepo(provider, payload)
	if !isObject {
		refuse(http.StatusBadRequest, webhookBadRequest, "the delivery's body is not a JSON object", "event", event, "delivery", id)
		return
	}
	switch {
	case id == "" && provider == store.GitLab:
		// An old GitLab sends no id: the body itself identifies a
		// redelivery.
		sum := sha256.Sum256(payload)
		id = "sha256:" + hex.EncodeToString(sum[:16])
	case id == "":
		refuse(http.StatusBadRequest, webhookBadRequest, "the delivery has no id (the "+github.HeaderDelivery+" header)", "event", event)
		return
	case !validDeliveryID(id):
		refuse(http.StatusBadRequest, webhookBadRequest, "the delivery id is malformed", "event", event)
		return
	}
	// A delivery for a repo not in the config is recorded as ignored at
	// once: one write.
	unknown := repo != "" && wh.opt.KnownRepo != nil && !wh.opt.KnownRepo(provider, repo)
	outcome := store.DeliveryReceived
	if unknown {
		outcome = store.DeliveryUnknownRepo
	}
	now := s.now()
	first, err := wh.opt.Deliveries.RecordDelivery(r.Context(), provider, id, event, now, outcome)
	if err != nil {
		refuse(http.StatusInternalServerError, store.DeliveryFailed, "the delivery could not be recorded; it will be retried", "event", event, "delivery", id, "err", err)
		return
	}
	if !first {
		wh.opt.Telemetry.ObserveWebhook(provider, webhookDuplicate)
		log.Info("webhook duplicate", "event", event, "delivery", id)
		s.writeJSON(w, http.StatusOK, webhookReply{Status: "duplicate", Delivery: id, Reason: "this delivery was received before; it is not applied again"})
		return
	}
	if unknown {
		wh.opt.Telemetry.ObserveWebhook(provider, store.DeliveryUnknownRepo)
		log.Info("webhook ignored", "event", event, "delivery", id, "repo", repo, "why", "not in the config")
		s.writeJSON(w, http.StatusAccepted, webhookReply{Status: "accepted", Outcome: "ignored", Delivery: id,
			Reason: "the repository " + repo + " is not in this server's config"})
		return
	}
	if !wh.enqueue(delivery{provider: provider, id: id, event: event, payload: payload, received: now}) {
		// Not applied: let the provider's redelivery try again.
		if err := wh.opt.Deliveries.SetDeliveryOutcome(context.WithoutCancel(r.Context()), provider, id, store.DeliveryFailed); err != nil {
			log.Error("webhook: record the outcome", "delivery", id, "err", err)
		}
		w.Header().Set("Retry-After", "60")
		refuse(http.StatusServiceUnavailable, webhookBusy, "the server is busy or shutting down; redeliver later (the next sync catches up anyway)", "event", event, "delivery", id)
		return
	}
	s.writeJSON(w, http.StatusAccepted, webhookReply{Status: "accepted", Delivery: id})
}

// validDeliveryID accepts the ids providers send: a UUID, an idempotency
// key; printable ASCII, at most 200 characters.
func validDeliveryID(id string) bool {
	if len(id) > 200 {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] <= 0x20 || id[i] >= 0x7f {
			return false
		}
	}
	return true
}

// payloadRepo is the repo a payload is about, by the provider's name for
// it ("" when it does not say); isObject says whether the payload is a JSON
// object at all. One pass over a body of up to 5 MiB: json.Unmarshal checks
// the whole of it before it decodes.
func payloadRepo(provider string, payload []byte) (repo string, isObject bool) {
	if b := bytes.TrimSpace(payload); len(b) == 0 || b[0] != '{' {
		return "", false
	}
	var p struct {
		Repository struct {
			FullName string `json:"full_name"`
		} `json:"repository"`
		Project struct {
			PathWithNamespace string `json:"path_with_namespace"`
		} `json:"project"`
	}
	if err := json.Unmarshal(payload, &p); err != nil {
		// A field of another type than these (a repository that is not an
		// object) is still JSON; it names no repo.
		var typeErr *json.UnmarshalTypeError
		return "", errors.As(err, &typeErr)
	}
	if provider == store.GitHub {
		return p.Repository.FullName, true
	}
	return p.Project.PathWithNamespace, true
}
