package github

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tach-dev/tach/collectors"
	"github.com/tach-dev/tach/store/storetest"
)

// FuzzApplyWebhook feeds ApplyWebhook arbitrary events and payloads, seeded
// with GitHub's real payloads: it must never panic, and a payload either
// applies (or is ignored) or returns an error, which is malformed or
// unknown-repo for anything the payload can cause.
//
//	go test -run '^$' -fuzz FuzzApplyWebhook -fuzztime 30s ./collectors/github
func FuzzApplyWebhook(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "webhooks", "*.json"))
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		event, _, _ := strings.Cut(filepath.Base(file), ".")
		f.Add(event, b)
	}
	f.Add("issues", []byte(`{"action":"opened","repository":{"full_name":"a/b"},"issue":{"number":1,"created_at":"2026-01-01T00:00:00Z"}}`))
	f.Add("pull_request", []byte(`{"action":"opened","repository":{"full_name":"a/b"},"pull_request":null}`))
	st := storetest.New(f)
	// Every repo is configured, so that the write path is reached.
	cfg := collectors.WebhookConfig{IncidentLabels: []string{"bug", "incident"}, Repo: func(name string) (collectors.Repo, bool) {
		src := []string{"deployments", "workflow", "merges", "releases"}[len(name)%4]
		return collectors.Repo{Provider: "github", Name: name, Source: src, Workflow: "test.yml"}, true
	}}
	f.Fuzz(func(t *testing.T, event string, payload []byte) {
		a, err := ApplyWebhook(bg, st, cfg, event, payload)
		switch {
		case err == nil:
			if a.Rows > 0 && a.RepoID == 0 {
				t.Fatalf("rows written without a repo: %+v", a)
			}
		case errors.Is(err, collectors.ErrWebhookMalformed), errors.Is(err, collectors.ErrWebhookUnknownRepo):
		default:
			// A store error means the payload made rows the schema refuses:
			// the conversion must have caught it.
			t.Fatalf("payload not refused as malformed: %v", err)
		}
	})
}
