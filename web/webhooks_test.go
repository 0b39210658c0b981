package web_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tach-dev/tach/collectors"
	"github.com/tach-dev/tach/store"
	"github.com/tach-dev/tach/store/storetest"
	"github.com/tach-dev/tach/web"
)

const (
	testGitHubSecret = "gh-hook-secret-TESTCANARY-41"
	testGitLabToken  = "gl-hook-token-TESTCANARY-42"
)

// fakeApplier records the events the webhook worker applies.
type fakeApplier struct {
	mu      sync.Mutex
	events  []string      // provider/event, in order applied
	gate    chan struct{} // when set, each apply waits for a value
	entered chan struct{} // when set, told as each apply starts
	result  func(provider, event string, payload []byte) (collectors.Applied, error)
}

func (f *fakeApplier) apply(ctx context.Context, provider, event string, payload []byte) (collectors.Applied, error) {
	if f.entered != nil {
		f.entered <- struct{}{}
	}
	if f.gate != nil {
		select {
		case <-f.gate:
		case <-ctx.Done():
			return collectors.Applied{}, ctx.Err()
		}
	}
	f.mu.Lock()
	f.events = append(f.events, provider+"/"+event)
	f.mu.Unlock()
	if f.result != nil {
		return f.result(provider, event, payload)
	}
	return collectors.Applied{Event: event, Repo: "Codertocat/Hello-World", RepoID: 1, Rows: 1}, nil
}

func (f *fakeApplier) applied() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.events...)
}

// hookEnv is an opsEnv with webhooks, their deliveries in a store.
type hookEnv struct {
	*opsEnv
	st       *store.Store
	app      *fakeApplier
	hooks    *web.Webhooks
	hookLogs *lockedBuffer // the worker's log
}

func newHookEnv(t *testing.T, configure func(*web.WebhookOptions)) *hookEnv {
	t.Helper()
	st := storetest.New(t)
	he := &hookEnv{st: st, app: &fakeApplier{}, hookLogs: &lockedBuffer{}}
	he.opsEnv = newOpsEnv(t, func(o *web.OpsOptions) {
		opt := web.WebhookOptions{
			GitHubSecret: testGitHubSecret, GitLabToken: testGitLabToken, Deliveries: st, Apply: he.app.apply,
			KnownRepo: func(provider, name string) bool {
				return strings.EqualFold(name, "codertocat/hello-world") || strings.EqualFold(name, "gitlabhq/gitlab-test")
			},
			Telemetry: o.Telemetry,
			Logger:    slog.New(slog.NewTextHandler(he.hookLogs, nil)),
		}
		if configure != nil {
			configure(&opt)
		}
		he.hooks = web.NewWebhooks(opt)
		o.Webhooks = he.hooks
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { he.hooks.Run(ctx); close(done) }()
	t.Cleanup(func() {
		if he.app.gate != nil {
			close(he.app.gate)
		}
		he.hooks.Shutdown(context.Background())
		cancel()
		<-done
	})
	return he
}

func fixture(t testing.TB, provider, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "collectors", provider, "testdata", "webhooks", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// github sends a GitHub delivery.
func (he *hookEnv) github(event, id string, body []byte, signature string, extra ...string) *httptest.ResponseRecorder {
	h := map[string]string{"Content-Type": "application/json", "X-GitHub-Event": event, "X-GitHub-Delivery": id}
	if signature != "" {
		h["X-Hub-Signature-256"] = signature
	}
	for i := 0; i+1 < len(extra); i += 2 {
		h[extra[i]] = extra[i+1]
	}
	return he.do(req{method: "POST", target: "/webhooks/github", body: body, header: h, remote: "140.82.115.1:443"})
}

func (he *hookEnv) gitlab(event, token string, body []byte, extra ...string) *httptest.ResponseRecorder {
	h := map[string]string{"Content-Type": "application/json", "X-Gitlab-Event": event}
	if token != "" {
		h["X-Gitlab-Token"] = token
	}
	for i := 0; i+1 < len(extra); i += 2 {
		h[extra[i]] = extra[i+1]
	}
	return he.do(req{method: "POST", target: "/webhooks/gitlab", body: body, header: h, remote: "34.74.90.64:443"})
}

// outcome waits for the outcome of a delivery to be other than received.
func (he *hookEnv) outcome(provider, id string) string {
	he.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		ds, err := he.st.Deliveries(context.Background(), time.Time{})
		if err != nil {
			he.t.Fatal(err)
		}
		got := ""
		for _, d := range ds {
			if d.Provider == provider && d.ID == id {
				got = d.Outcome
			}
		}
		if got != store.DeliveryReceived || time.Now().After(deadline) {
			return got
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (he *hookEnv) deliveries() int {
	ds, err := he.st.Deliveries(context.Background(), time.Time{})
	if err != nil {
		he.t.Fatal(err)
	}
	return len(ds)
}

func TestGitHubWebhooks(t *testing.T) {
	he := newHookEnv(t, nil)
	body := fixture(t, "github", "deployment_status.created.json")

	// Signed: 202 at once, applied after, recorded as applied. No session
	// is needed, and the cross-origin check does not apply.
	rec := he.github("deployment_status", "d-1", body, sign(testGitHubSecret, body), "Sec-Fetch-Site", "cross-site")
	if rec.Code != http.StatusAccepted || jsonBody(t, rec)["status"] != "accepted" {
		t.Fatalf("signed delivery: %d %s", rec.Code, rec.Body)
	}
	if got := he.outcome(store.GitHub, "d-1"); got != store.DeliveryApplied {
		t.Fatalf("outcome %q", got)
	}
	// A redelivery of the same id: 200, not applied again.
	rec = he.github("deployment_status", "d-1", body, sign(testGitHubSecret, body))
	if rec.Code != http.StatusOK || jsonBody(t, rec)["status"] != "duplicate" {
		t.Fatalf("duplicate: %d %s", rec.Code, rec.Body)
	}
	if got := he.app.applied(); len(got) != 1 || got[0] != "github/deployment_status" {
		t.Fatalf("applied %v", got)
	}

	n := he.deliveries()
	big := append(bytes.Repeat([]byte(" "), 5<<20), body...)
	form := []byte("payload=" + url.QueryEscape(string(body)))
	for _, tc := range []struct {
		name, event, id string
		body            []byte
		sig             string
		ctype           string
		status          int
		want            string
	}{
		{"unsigned", "deployment_status", "d-2", body, "", "", 401, "not signed"},
		{"wrong secret", "deployment_status", "d-3", body, sign("another-secret", body), "", 403, "does not match"},
		{"sha1 only", "deployment_status", "d-4", body, "sha1=0123456789abcdef0123456789abcdef01234567", "", 403, "does not match"},
		{"tampered", "deployment_status", "d-5", append([]byte(" "), body...), sign(testGitHubSecret, body), "", 403, "does not match"},
		{"oversized", "deployment_status", "d-6", big, sign(testGitHubSecret, big), "", 413, "larger than 5 MiB"},
		{"malformed", "deployment_status", "d-7", []byte(`{"action":`), sign(testGitHubSecret, []byte(`{"action":`)), "", 400, "not a JSON object"},
		{"not an object", "deployment_status", "d-8", []byte(`[1,2]`), sign(testGitHubSecret, []byte(`[1,2]`)), "", 400, "not a JSON object"},
		{"no event", "", "d-9", body, sign(testGitHubSecret, body), "", 400, "names no event"},
		{"no delivery id", "deployment_status", "", body, sign(testGitHubSecret, body), "", 400, "has no id"},
		{"bad delivery id", "deployment_status", "d 10\x01", body, sign(testGitHubSecret, body), "", 400, "malformed"},
		{"content type", "deployment_status", "d-11", body, sign(testGitHubSecret, body), "text/plain", 415, "application/json"},
	} {
		extra := []string{}
		if tc.ctype != "" {
			extra = append(extra, "Content-Type", tc.ctype)
		}
		rec := he.github(tc.event, tc.id, tc.body, tc.sig, extra...)
		if rec.Code != tc.status || !strings.Contains(rec.Body.String(), tc.want) {
			t.Errorf("%s: %d %s, want %d %q", tc.name, rec.Code, rec.Body, tc.status, tc.want)
		}
		if !strings.Contains(rec.Header().Get("Content-Security-Policy"), "frame-ancestors") {
			t.Errorf("%s: no security headers", tc.name)
		}
	}
	if he.deliveries() != n || len(he.app.applied()) != 1 {
		t.Fatalf("refused deliveries were recorded or applied: %d → %d deliveries, applied %v", n, he.deliveries(), he.app.applied())
	}

	// A form-encoded delivery is read from its payload field.
	rec = he.github("deployment_status", "d-12", form, sign(testGitHubSecret, form), "Content-Type", "application/x-www-form-urlencoded")
	if rec.Code != http.StatusAccepted || he.outcome(store.GitHub, "d-12") != store.DeliveryApplied {
		t.Errorf("form delivery: %d %s", rec.Code, rec.Body)
	}
	// ping: 200, nothing recorded.
	ping := fixture(t, "github", "ping.json")
	if rec := he.github("ping", "p-1", ping, sign(testGitHubSecret, ping)); rec.Code != http.StatusOK || jsonBody(t, rec)["status"] != "pong" {
		t.Errorf("ping: %d %s", rec.Code, rec.Body)
	}
	// A repo not in the config: 202 "ignored", recorded, not applied.
	other := bytes.ReplaceAll(body, []byte(`"full_name": "Codertocat/Hello-World"`), []byte(`"full_name": "someone/else"`))
	if bytes.Equal(other, body) {
		t.Fatal("fixture has no full_name to replace")
	}
	rec = he.github("deployment_status", "d-13", other, sign(testGitHubSecret, other))
	if m := jsonBody(t, rec); rec.Code != http.StatusAccepted || m["outcome"] != "ignored" || !strings.Contains(fmt.Sprint(m["reason"]), "someone/else") {
		t.Errorf("unknown repo: %d %s", rec.Code, rec.Body)
	}
	if got := he.outcome(store.GitHub, "d-13"); got != store.DeliveryUnknownRepo {
		t.Errorf("unknown repo outcome %q", got)
	}
	if got := he.app.applied(); len(got) != 2 {
		t.Errorf("applied %v", got)
	}

	// The counts are in /metrics.
	metrics := he.do(req{target: "/metrics", cookie: he.login("rob", robPassword)}).Body.String()
	for _, want := range []string{
		`tach_webhook_deliveries_total{outcome="applied",provider="github"} 2`,
		`tach_webhook_deliveries_total{outcome="duplicate",provider="github"} 1`,
		`tach_webhook_deliveries_total{outcome="unauthorized",provider="github"} 4`,
		`tach_webhook_deliveries_total{outcome="too_large",provider="github"} 1`,
		`tach_webhook_deliveries_total{outcome="ping",provider="github"} 1`,
		`tach_webhook_deliveries_total{outcome="unknown_repo",provider="github"} 1`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	// The log has each refusal, never a body or the secret.
	logs := he.logs.String() + he.hookLogs.String()
	for _, want := range []string{`msg="webhook refused" provider=github`, "delivery=d-3", `msg="webhook applied"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q", want)
		}
	}
	for _, secret := range []string{testGitHubSecret, "Codertocat/Hello-World-body", `"deployment_status":`, "octocat@github.com"} {
		if strings.Contains(logs, secret) {
			t.Errorf("the log holds %q", secret)
		}
	}
}

func TestGitLabWebhooks(t *testing.T) {
	he := newHookEnv(t, nil)
	body := fixture(t, "gitlab", "merge_request.json")

	rec := he.gitlab("Merge Request Hook", testGitLabToken, body, "Idempotency-Key", "k-1")
	if rec.Code != http.StatusAccepted || he.outcome(store.GitLab, "k-1") != store.DeliveryApplied {
		t.Fatalf("delivery: %d %s", rec.Code, rec.Body)
	}
	// The same key, or the same event UUID, or (with neither) the same body:
	// not applied again.
	if rec := he.gitlab("Merge Request Hook", testGitLabToken, body, "Idempotency-Key", "k-1"); rec.Code != http.StatusOK || jsonBody(t, rec)["status"] != "duplicate" {
		t.Errorf("same key: %d %s", rec.Code, rec.Body)
	}
	he.gitlab("Merge Request Hook", testGitLabToken, body, "X-Gitlab-Event-UUID", "u-1")
	if rec := he.gitlab("Merge Request Hook", testGitLabToken, body, "X-Gitlab-Event-UUID", "u-1"); jsonBody(t, rec)["status"] != "duplicate" {
		t.Errorf("same event UUID: %d %s", rec.Code, rec.Body)
	}
	he.gitlab("Merge Request Hook", testGitLabToken, body)
	if rec := he.gitlab("Merge Request Hook", testGitLabToken, body); jsonBody(t, rec)["status"] != "duplicate" {
		t.Errorf("same body without ids: %d %s", rec.Code, rec.Body)
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(he.app.applied()) < 3 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if got := he.app.applied(); len(got) != 3 {
		t.Fatalf("applied %v, want 3", got)
	}

	n := he.deliveries()
	big := append(bytes.Repeat([]byte(" "), 5<<20+1), body...)
	for _, tc := range []struct {
		name, event, token string
		body               []byte
		status             int
		want               string
	}{
		{"no token", "Merge Request Hook", "", body, 401, "no secret token"},
		{"wrong token", "Merge Request Hook", "guess", body, 403, "is wrong"},
		{"token prefix", "Merge Request Hook", testGitLabToken[:10], body, 403, "is wrong"},
		{"oversized", "Merge Request Hook", testGitLabToken, big, 413, "larger than 5 MiB"},
		{"malformed", "Merge Request Hook", testGitLabToken, []byte("{{"), 400, "not a JSON object"},
		{"no event", "", testGitLabToken, body, 400, "names no event"},
	} {
		rec := he.gitlab(tc.event, tc.token, tc.body, "Idempotency-Key", "k-"+tc.name)
		if rec.Code != tc.status || !strings.Contains(rec.Body.String(), tc.want) {
			t.Errorf("%s: %d %s, want %d %q", tc.name, rec.Code, rec.Body, tc.status, tc.want)
		}
	}
	if he.deliveries() != n || len(he.app.applied()) != 3 {
		t.Fatalf("refused deliveries were recorded or applied")
	}
	// A project not in the config: ignored.
	other := fixture(t, "gitlab", "deployment.json")
	if rec := he.gitlab("Deployment Hook", testGitLabToken, other, "Idempotency-Key", "k-other"); jsonBody(t, rec)["outcome"] != "ignored" {
		t.Errorf("unknown project: %d %s", rec.Code, rec.Body)
	}
	if strings.Contains(he.logs.String()+he.hookLogs.String(), testGitLabToken) {
		t.Error("the log holds the token")
	}
}

func TestWebhookOutcomesOfTheApply(t *testing.T) {
	he := newHookEnv(t, nil)
	he.app.result = func(provider, event string, payload []byte) (collectors.Applied, error) {
		switch event {
		case "issues":
			return collectors.Applied{Event: "issues.opened"}, fmt.Errorf("github webhook: %w: no issue", collectors.ErrWebhookMalformed)
		case "star":
			return collectors.Applied{Event: "star", Ignored: "tach does not use star events"}, nil
		}
		return collectors.Applied{}, errors.New("database is on fire")
	}
	body := fixture(t, "github", "issues.opened.json")
	for event, want := range map[string]string{"issues": store.DeliveryMalformed, "star": store.DeliveryIgnored, "workflow_run": store.DeliveryFailed} {
		id := "o-" + event
		if rec := he.github(event, id, body, sign(testGitHubSecret, body)); rec.Code != http.StatusAccepted {
			t.Fatalf("%s: %d", event, rec.Code)
		}
		if got := he.outcome(store.GitHub, id); got != want {
			t.Errorf("%s: outcome %q, want %q", event, got, want)
		}
	}
	// A failed delivery may be delivered again, and is applied again.
	he.app.result = nil
	if rec := he.github("workflow_run", "o-workflow_run", body, sign(testGitHubSecret, body)); rec.Code != http.StatusAccepted {
		t.Errorf("redelivery of a failed one: %d %s", rec.Code, rec.Body)
	}
	if got := he.outcome(store.GitHub, "o-workflow_run"); got != store.DeliveryApplied {
		t.Errorf("redelivered: %q", got)
	}
}

func TestWebhookSecretNotSet(t *testing.T) {
	he := newHookEnv(t, func(o *web.WebhookOptions) { o.GitLabToken = "" })
	body := fixture(t, "gitlab", "merge_request.json")
	rec := he.gitlab("Merge Request Hook", "anything", body)
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "webhooks.gitlab_token") {
		t.Errorf("no token configured: %d %s", rec.Code, rec.Body)
	}
	if he.deliveries() != 0 {
		t.Error("recorded")
	}
}

func TestWebhookQueueBoundAndDrain(t *testing.T) {
	he := newHookEnv(t, func(o *web.WebhookOptions) { o.QueueSize = 2 })
	he.app.gate, he.app.entered = make(chan struct{}), make(chan struct{}, 10)
	body := fixture(t, "github", "deployment_status.created.json")
	send := func(id string) int {
		return he.github("deployment_status", id, body, sign(testGitHubSecret, body)).Code
	}
	// The worker holds one, the queue two; the next is refused with 503 and
	// marked failed, so that the provider's redelivery is applied.
	codes := []int{send("q-1")}
	<-he.app.entered // the worker took q-1, and waits at the gate
	codes = append(codes, send("q-2"), send("q-3"))
	busy := he.github("deployment_status", "q-4", body, sign(testGitHubSecret, body))
	if busy.Code != http.StatusServiceUnavailable || busy.Header().Get("Retry-After") == "" {
		t.Fatalf("full queue: %d %s (codes %v)", busy.Code, busy.Body, codes)
	}
	// Shutdown applies everything accepted before it returns.
	go func() {
		for range 3 {
			he.app.gate <- struct{}{}
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := he.hooks.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if got := he.app.applied(); len(got) != 3 || codes[0]+codes[1]+codes[2] != 3*http.StatusAccepted {
		t.Errorf("applied %d before shutdown returned, want 3 (codes %v)", len(got), codes)
	}
	if got := he.outcome(store.GitHub, "q-4"); got != store.DeliveryFailed {
		t.Errorf("refused for a full queue: outcome %q, want failed (so a redelivery applies)", got)
	}
	for _, id := range []string{"q-1", "q-2", "q-3"} {
		if got := he.outcome(store.GitHub, id); got != store.DeliveryApplied {
			t.Errorf("%s: %q", id, got)
		}
	}
	// After shutdown: refused, the delivery left to be redelivered.
	if code := send("q-9"); code != http.StatusServiceUnavailable {
		t.Errorf("after shutdown: %d", code)
	}
	he.app.gate = nil
}

// readRecorder is a request body that records whether anyone read it.
type readRecorder struct {
	r    *bytes.Reader
	read bool
}

func (b *readRecorder) Read(p []byte) (int, error) {
	b.read = true
	return b.r.Read(p)
}

// TestForgedDeliveryBodyNotRead: a delivery without the right secret is
// turned away on its headers, its body unread — GitLab's token (and
// GitHub's missing signature) say so before the body, so a forger cannot
// make tach read 5 MiB per request. A GitHub signature needs the body.
func TestForgedDeliveryBodyNotRead(t *testing.T) {
	he := newHookEnv(t, nil)
	huge := bytes.Repeat([]byte(" "), 5<<20-2)
	huge = append(append([]byte("{"), huge...), '}')
	for _, tc := range []struct {
		name, path string
		header     map[string]string
		status     int
	}{
		{"GitLab, wrong token", "/webhooks/gitlab", map[string]string{"X-Gitlab-Event": "Merge Request Hook", "X-Gitlab-Token": "forged-token"}, http.StatusForbidden},
		{"GitLab, no token", "/webhooks/gitlab", map[string]string{"X-Gitlab-Event": "Merge Request Hook"}, http.StatusUnauthorized},
		{"GitHub, no signature", "/webhooks/github", map[string]string{"X-GitHub-Event": "pull_request", "X-GitHub-Delivery": "d-1"}, http.StatusUnauthorized},
	} {
		body := &readRecorder{r: bytes.NewReader(huge)}
		hr := httptest.NewRequest(http.MethodPost, tc.path, body)
		hr.RemoteAddr = "192.0.2.9:4000"
		hr.Header.Set("Content-Type", "application/json")
		for k, v := range tc.header {
			hr.Header.Set(k, v)
		}
		rec := httptest.NewRecorder()
		he.h.ServeHTTP(rec, hr)
		if rec.Code != tc.status || body.read {
			t.Errorf("%s: %d (want %d), body read: %v\n%s", tc.name, rec.Code, tc.status, body.read, rec.Body)
		}
	}
	if got := he.app.applied(); len(got) != 0 {
		t.Errorf("forged deliveries applied: %v", got)
	}
}
