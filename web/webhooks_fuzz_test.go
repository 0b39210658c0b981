package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/tach-dev/tach/collectors"
	"github.com/tach-dev/tach/web"
)

// memDeliveries is a DeliveryStore in memory.
type memDeliveries struct {
	mu sync.Mutex
	m  map[string]string
}

func (d *memDeliveries) RecordDelivery(_ context.Context, provider, id, _ string, _ time.Time, outcome string) (bool, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	k := provider + "\x00" + id
	if o, ok := d.m[k]; ok && o != "failed" {
		return false, nil
	}
	d.m[k] = outcome
	return true, nil
}

func (d *memDeliveries) SetDeliveryOutcome(_ context.Context, provider, id, outcome string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.m[provider+"\x00"+id] = outcome
	return nil
}

// FuzzWebhookHandler sends arbitrary deliveries, signed or not, to both
// webhook endpoints: the handler never panics, answers JSON with one of
// the statuses it documents, and accepts only signed JSON objects.
func FuzzWebhookHandler(f *testing.F) {
	f.Add(true, "deployment_status", "d-1", []byte(`{"repository":{"full_name":"a/b"}}`), true)
	f.Add(true, "ping", "d-2", []byte(`{"zen":"x"}`), true)
	f.Add(true, "issues", "", []byte(`{`), true)
	f.Add(false, "Merge Request Hook", "k", []byte(`{"project":{"path_with_namespace":"g/p"}}`), true)
	f.Add(false, "Push Hook", "k\x00", []byte(`[]`), false)
	f.Add(true, "", "d", []byte(nil), false)
	f.Add(false, "Issue Hook", "", []byte(`{"project":{"path_with_namespace":1}}`), true)
	hooks := web.NewWebhooks(web.WebhookOptions{
		GitHubSecret: testGitHubSecret, GitLabToken: testGitLabToken, Deliveries: &memDeliveries{m: map[string]string{}},
		Apply: func(context.Context, string, string, []byte) (collectors.Applied, error) {
			return collectors.Applied{}, nil
		},
		KnownRepo: func(_, name string) bool { return name == "a/b" || name == "g/p" },
		QueueSize: 1 << 16,
	})
	h := web.New(web.Options{Reports: demoReports, Decisions: demoDecisions, Store: demoStore, Ops: &web.OpsOptions{Webhooks: hooks, Telemetry: web.NewTelemetry()}})
	allowed := map[int]bool{200: true, 202: true, 400: true, 401: true, 403: true, 413: true, 415: true, 503: true}
	f.Fuzz(func(t *testing.T, github bool, event, id string, body []byte, signed bool) {
		target := "/webhooks/gitlab"
		if github {
			target = "/webhooks/github"
		}
		r := httptest.NewRequest(http.MethodPost, target, bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		if github {
			r.Header["X-Github-Event"] = []string{event}
			r.Header["X-Github-Delivery"] = []string{id}
			if signed {
				r.Header.Set("X-Hub-Signature-256", sign(testGitHubSecret, body))
			}
		} else {
			r.Header["X-Gitlab-Event"] = []string{event}
			r.Header["Idempotency-Key"] = []string{id}
			if signed {
				r.Header.Set("X-Gitlab-Token", testGitLabToken)
			}
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if !allowed[rec.Code] {
			t.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
		var reply map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &reply); err != nil {
			t.Fatalf("reply is not JSON: %q", rec.Body)
		}
		if rec.Code == http.StatusAccepted {
			trimmed := bytes.TrimSpace(body)
			if !signed || !json.Valid(body) || len(trimmed) == 0 || trimmed[0] != '{' {
				t.Fatalf("accepted an unsigned or malformed delivery (signed %v): %q", signed, body)
			}
		}
		if bytes.Contains(rec.Body.Bytes(), []byte(testGitHubSecret)) || bytes.Contains(rec.Body.Bytes(), []byte(testGitLabToken)) {
			t.Fatal("the reply holds the secret")
		}
	})
}
