package gitlab_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/tach-dev/tach/collectors"
	"github.com/tach-dev/tach/collectors/gitlab"
	"github.com/tach-dev/tach/store/storetest"
)

// FuzzApplyWebhook feeds ApplyWebhook arbitrary hooks, seeded with GitLab's
// payloads: it must never panic, and a payload either applies (or is
// ignored) or returns an error, which is malformed or unknown-project for
// anything the payload can cause.
//
//	go test -run '^$' -fuzz FuzzApplyWebhook -fuzztime 30s ./collectors/gitlab
func FuzzApplyWebhook(f *testing.F) {
	events := map[string]string{
		"merge_request.json": "Merge Request Hook", "note_merge_request.json": "Note Hook", "deployment.json": "Deployment Hook",
		"pipeline.json": "Pipeline Hook", "issue.json": "Issue Hook", "job.json": "Job Hook", "release.json": "Release Hook",
	}
	for file, event := range events {
		b, err := os.ReadFile(filepath.Join("testdata", "webhooks", file))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(event, b)
	}
	f.Add("Issue Hook", []byte(`{"object_kind":"issue","project":{"path_with_namespace":"a/b"},"object_attributes":{"iid":1,"created_at":"2026-01-01 00:00:00 UTC","updated_at":"2026-01-01T00:00:00Z","state":"closed"}}`))
	f.Add("Pipeline Hook", []byte(`{"project":{"path_with_namespace":"a/b","default_branch":"main"},"object_attributes":{"id":1,"ref":"main","status":"success","created_at":"2026-01-01 00:00:00 +0200"},"builds":[{"id":2,"name":"deploy","status":"failed"}]}`))
	st := storetest.New(f)
	cfg := collectors.WebhookConfig{IncidentLabels: []string{"API", "incident"}, Repo: func(name string) (collectors.Repo, bool) {
		r := repo(name)
		r.Source, r.Workflow = []string{"deployments", "workflow", "merges", "releases"}[len(name)%4], "deploy"
		return r, true
	}}
	f.Fuzz(func(t *testing.T, event string, payload []byte) {
		a, err := gitlab.ApplyWebhook(bg, st, cfg, event, payload)
		switch {
		case err == nil:
			if a.Rows > 0 && a.RepoID == 0 {
				t.Fatalf("rows written without a repo: %+v", a)
			}
		case errors.Is(err, collectors.ErrWebhookMalformed), errors.Is(err, collectors.ErrWebhookUnknownRepo):
		default:
			t.Fatalf("payload not refused as malformed: %v", err)
		}
	})
}
