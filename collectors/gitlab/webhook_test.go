package gitlab_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tach-dev/tach/collectors"
	"github.com/tach-dev/tach/collectors/gitlab"
	gt "github.com/tach-dev/tach/collectors/gitlab/gitlabtest"
	"github.com/tach-dev/tach/store"
	"github.com/tach-dev/tach/store/storetest"
)

var bg = context.Background()

func webhookConfig(repos ...collectors.Repo) collectors.WebhookConfig {
	return collectors.WebhookConfig{
		IncidentLabels: runOptions().IncidentLabels, History: runOptions().History, Now: clock,
		Repo: func(name string) (collectors.Repo, bool) {
			for _, r := range repos {
				if strings.EqualFold(r.Name, name) {
					return r, true
				}
			}
			return collectors.Repo{}, false
		},
	}
}

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "webhooks", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func editJSON(t testing.TB, payload []byte, fn func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(payload, &m); err != nil {
		t.Fatal(err)
	}
	fn(m)
	b, _ := json.Marshal(m)
	return b
}

func applyHook(t testing.TB, st *store.Store, cfg collectors.WebhookConfig, event string, payload []byte) collectors.Applied {
	t.Helper()
	a, err := gitlab.ApplyWebhook(bg, st, cfg, event, payload)
	if err != nil {
		t.Fatalf("apply %s: %v", event, err)
	}
	return a
}

func TestWebhookFixtures(t *testing.T) {
	test := repo("gitlabhq/gitlab-test")
	org := repoWith("gitlab-org/gitlab-test", "workflow", "test-build")
	deploys := repo("root/test-deployment-webhooks")
	cfg := webhookConfig(test, org, deploys)
	cfg.IncidentLabels, cfg.History = []string{"API"}, 0 // the fixtures are years old

	t.Run("merge request by someone else than its author", func(t *testing.T) {
		st := storetest.New(t)
		a := applyHook(t, st, cfg, "Merge Request Hook", fixture(t, "merge_request.json"))
		if a.Rows != 0 || !strings.Contains(a.Ignored, "author") {
			t.Errorf("applied = %+v; an unknown merge request whose author the event does not name is left to the sync", a)
		}
	})
	t.Run("merge request", func(t *testing.T) {
		st := storetest.New(t)
		body := editJSON(t, fixture(t, "merge_request.json"), func(m map[string]any) {
			m["object_attributes"].(map[string]any)["author_id"] = 1 // the user who acted
		})
		a := applyHook(t, st, cfg, "Merge Request Hook", body)
		if a.Rows != 1 || a.Event != "merge_request.open" {
			t.Fatalf("applied = %+v", a)
		}
		c, err := st.ChangeByNumber(bg, a.RepoID, 1)
		if err != nil {
			t.Fatal(err)
		}
		if c.Title != "MS-Viewport" || c.Author != "user1" || c.State != store.StateOpen || c.ProviderID != "99" ||
			c.BaseBranch != "master" || c.SizeKnown || !c.FirstCommitAt.IsZero() || !c.ReadyAt.Equal(c.CreatedAt) || len(c.Labels) != 1 {
			t.Errorf("change = %+v", c)
		}
		// A comment by someone else on it is a review.
		note := editJSON(t, fixture(t, "note_merge_request.json"), func(m map[string]any) {
			m["project"].(map[string]any)["path_with_namespace"] = "gitlabhq/gitlab-test"
			m["user"].(map[string]any)["username"] = "reviewer"
		})
		if a := applyHook(t, st, cfg, "Note Hook", note); a.Rows != 1 {
			t.Errorf("note: %+v", a)
		}
		c, _ = st.ChangeByNumber(bg, a.RepoID, 1)
		if len(c.Reviews) != 1 || c.Reviews[0].Author != "reviewer" || c.Reviews[0].State != "commented" || c.Reviews[0].ProviderID != "1244" {
			t.Errorf("reviews = %+v", c.Reviews)
		}
		// A second comment of the same person adds nothing (the sync keeps
		// each person's first).
		second := editJSON(t, note, func(m map[string]any) {
			oa := m["object_attributes"].(map[string]any)
			oa["id"], oa["created_at"] = 1245, "2015-05-18 10:00:00 UTC"
		})
		if a := applyHook(t, st, cfg, "Note Hook", second); a.Rows != 0 {
			t.Errorf("a second comment was stored: %+v", a)
		}
	})
	t.Run("note before its merge request", func(t *testing.T) {
		st := storetest.New(t)
		a := applyHook(t, st, cfg, "Note Hook", fixture(t, "note_merge_request.json"))
		if a.Rows != 0 || a.Ignored == "" {
			t.Errorf("applied = %+v", a)
		}
	})
	t.Run("deployment", func(t *testing.T) {
		st := storetest.New(t)
		// To staging: not production by default.
		a := applyHook(t, st, cfg, "Deployment Hook", fixture(t, "deployment.json"))
		if a.Rows != 0 || a.Ignored == "" {
			t.Errorf("staging deployment applied: %+v", a)
		}
		body := editJSON(t, fixture(t, "deployment.json"), func(m map[string]any) { m["environment"] = "production" })
		a = applyHook(t, st, cfg, "Deployment Hook", body)
		if a.Rows != 1 {
			t.Fatalf("applied = %+v", a)
		}
		h, _ := st.RepoHistory(bg, a.RepoID)
		d := h.Deployments[0]
		if d.ProviderID != "15" || d.Status != "success" || d.SHA != "279484c09fbe69ededfced8c1bb6e6d24616b468" || d.Creator != "user1" ||
			!d.FinishedAt.Equal(time.Date(2021, 4, 28, 19, 50, 0, 0, time.UTC)) {
			t.Errorf("deployment = %+v", d)
		}
	})
	t.Run("pipeline", func(t *testing.T) {
		st := storetest.New(t)
		a := applyHook(t, st, cfg, "Pipeline Hook", fixture(t, "pipeline.json"))
		if a.Rows != 2 {
			t.Fatalf("applied = %+v; want the run and, on the default branch with its test-build job, a deployment", a)
		}
		runs, _ := st.CIRunsForWindow(bg, []int64{a.RepoID}, 0, time.Now().Unix())
		if len(runs) != 1 || runs[0].Conclusion != "success" || runs[0].Event != "merge_request_event" ||
			!runs[0].FinishedAt.Equal(time.Date(2016, 8, 12, 15, 26, 29, 0, time.UTC)) || !runs[0].StartedAt.Equal(time.Date(2016, 8, 12, 15, 24, 56, 0, time.UTC)) {
			t.Errorf("runs = %+v", runs)
		}
		h, _ := st.RepoHistory(bg, a.RepoID)
		if len(h.Deployments) != 1 || h.Deployments[0].Source != "workflow" || h.Deployments[0].URL != "http://192.168.64.1:3005/gitlab-org/gitlab-test/-/jobs/378" {
			t.Errorf("deployments = %+v", h.Deployments)
		}
	})
	t.Run("issue", func(t *testing.T) {
		st := storetest.New(t)
		a := applyHook(t, st, cfg, "Issue Hook", fixture(t, "issue.json"))
		if a.Rows != 1 {
			t.Fatalf("applied = %+v", a)
		}
		h, _ := st.RepoHistory(bg, a.RepoID)
		if len(h.Incidents) != 1 || h.Incidents[0].Number != 23 || !h.Incidents[0].ResolvedAt.IsZero() {
			t.Errorf("incidents = %+v", h.Incidents)
		}
		// Closed and unlabelled later: no longer an incident.
		closed := editJSON(t, fixture(t, "issue.json"), func(m map[string]any) {
			oa := m["object_attributes"].(map[string]any)
			oa["labels"], oa["state"], oa["updated_at"], oa["action"] = []any{}, "closed", "2013-12-04T10:00:00Z", "close"
			m["labels"] = []any{}
		})
		if a := applyHook(t, st, cfg, "Issue Hook", closed); a.Rows != 1 {
			t.Errorf("applied = %+v", a)
		}
		if h, _ := st.RepoHistory(bg, a.RepoID); len(h.Incidents) != 0 {
			t.Errorf("incidents = %+v", h.Incidents)
		}
		// An issue of type incident needs no label.
		typed := editJSON(t, fixture(t, "issue.json"), func(m map[string]any) {
			oa := m["object_attributes"].(map[string]any)
			oa["labels"], oa["type"], oa["iid"], oa["id"] = []any{}, "Incident", 24, 302
			oa["state"], oa["closed_at"] = "closed", "2013-12-03T19:00:00Z"
			m["labels"] = []any{}
		})
		if a := applyHook(t, st, cfg, "Issue Hook", typed); a.Rows != 1 {
			t.Errorf("applied = %+v", a)
		}
		h, _ = st.RepoHistory(bg, a.RepoID)
		if len(h.Incidents) != 1 || !h.Incidents[0].ResolvedAt.Equal(time.Date(2013, 12, 3, 19, 0, 0, 0, time.UTC)) {
			t.Errorf("incidents = %+v", h.Incidents)
		}
	})
	for _, ignored := range []struct{ event, file string }{{"Job Hook", "job.json"}, {"Release Hook", "release.json"}, {"Push Hook", "release.json"}} {
		st := storetest.New(t)
		if a := applyHook(t, st, cfg, ignored.event, fixture(t, ignored.file)); a.Ignored == "" || a.Rows != 0 {
			t.Errorf("%s applied: %+v", ignored.event, a)
		}
	}
}

func TestWebhookUnknownProjectAndMalformed(t *testing.T) {
	st := storetest.New(t)
	cfg := webhookConfig(repo("acme/platform/billing"))
	cfg.History = 0
	_, err := gitlab.ApplyWebhook(bg, st, cfg, "Issue Hook", fixture(t, "issue.json"))
	if !errors.Is(err, collectors.ErrWebhookUnknownRepo) || !strings.Contains(err.Error(), "gitlabhq/gitlab-test") {
		t.Errorf("unknown project: %v", err)
	}
	for _, bad := range []struct{ event, body string }{
		{"Merge Request Hook", `{`},
		{"Merge Request Hook", `{"object_kind":"merge_request","project":{"path_with_namespace":"acme/platform/billing"},"object_attributes":{"iid":1}}`},
		{"Merge Request Hook", `{"project":{"path_with_namespace":"acme/platform/billing"},"object_attributes":{"iid":1,"created_at":"yesterday","updated_at":"today"}}`},
		{"Pipeline Hook", `{"project":{"path_with_namespace":"acme/platform/billing"},"object_attributes":{"id":1}}`},
		{"Deployment Hook", `{"project":{"path_with_namespace":"acme/platform/billing"},"deployment_id":0}`},
		{"Issue Hook", `{"object_attributes":{"iid":1,"created_at":"2020-01-01T00:00:00Z","updated_at":"2020-01-01T00:00:00Z"}}`},
		{"Note Hook", `{"object_kind":"note","object_attributes":{"noteable_type":"Wiki"}}`},
	} {
		_, err := gitlab.ApplyWebhook(bg, st, cfg, bad.event, []byte(bad.body))
		if !errors.Is(err, collectors.ErrWebhookMalformed) {
			t.Errorf("%s %s: err = %v, want ErrWebhookMalformed", bad.event, bad.body, err)
		}
	}
}

// hooks are the webhooks GitLab would send for the fake project's current
// state: merge requests (by their authors), comments, deployments,
// pipelines (with a job holding the pipeline's times) and issues.
func hooks(srv *gt.Server, p *gt.Project) [][2]string {
	base := srv.URL() + "/" + p.Path
	proj := map[string]any{"id": p.ID, "path_with_namespace": p.Path, "default_branch": p.DefaultBranch, "web_url": base}
	ts := func(t time.Time) any {
		if t.IsZero() {
			return nil
		}
		return t.UTC().Format("2006-01-02 15:04:05 UTC")
	}
	ids := map[string]int{}
	uid := func(name string) int {
		if ids[name] == 0 {
			ids[name] = len(ids) + 1
		}
		return ids[name]
	}
	var out [][2]string
	add := func(event string, m map[string]any) {
		m["project"] = proj
		b, _ := json.Marshal(m)
		out = append(out, [2]string{event, string(b)})
	}
	for _, m := range p.MergeRequests {
		labels := []any{}
		for _, l := range m.Labels {
			labels = append(labels, map[string]any{"title": l})
		}
		add("Merge Request Hook", map[string]any{"object_kind": "merge_request",
			"user": map[string]any{"id": uid(m.Author.Username), "username": m.Author.Username},
			"object_attributes": map[string]any{"id": m.ID, "iid": m.IID, "title": m.Title, "state": m.State, "draft": m.Draft,
				"author_id": uid(m.Author.Username), "created_at": ts(m.CreatedAt), "updated_at": ts(m.UpdatedAt), "target_branch": m.TargetBranch,
				"url": fmt.Sprintf("%s/-/merge_requests/%d", base, m.IID), "merge_commit_sha": m.MergeCommitSHA,
				"last_commit": map[string]any{"id": m.SHA}, "labels": labels, "action": "update"}})
	}
	for _, m := range p.MergeRequests {
		for _, n := range m.Notes {
			add("Note Hook", map[string]any{"object_kind": "note", "user": map[string]any{"id": uid(n.Author.Username), "username": n.Author.Username},
				"object_attributes": map[string]any{"id": n.ID, "note": n.Body, "noteable_type": "MergeRequest", "system": n.System,
					"created_at": ts(n.CreatedAt), "action": "create"},
				"merge_request": map[string]any{"iid": m.IID, "id": m.ID}})
		}
	}
	for _, d := range p.Deployments {
		add("Deployment Hook", map[string]any{"object_kind": "deployment", "status": d.Status, "status_changed_at": ts(d.UpdatedAt),
			"deployment_id": d.ID, "environment": d.Environment, "ref": d.Ref, "short_sha": d.SHA[:8],
			"commit_url": base + "/-/commit/" + d.SHA, "user": map[string]any{"username": d.User}})
	}
	for _, pl := range p.Pipelines {
		add("Pipeline Hook", map[string]any{"object_kind": "pipeline", "user": map[string]any{"username": pl.User},
			"object_attributes": map[string]any{"id": pl.ID, "iid": pl.IID, "name": pl.Name, "ref": pl.Ref, "tag": pl.Tag, "sha": pl.SHA,
				"source": pl.Source, "status": pl.Status, "created_at": ts(pl.CreatedAt), "finished_at": ts(pl.FinishedAt),
				"url": fmt.Sprintf("%s/-/pipelines/%d", base, pl.ID)},
			"builds": []any{map[string]any{"id": pl.ID + 1, "name": "test", "status": pl.Status,
				"created_at": ts(pl.CreatedAt), "started_at": ts(pl.StartedAt), "finished_at": ts(pl.FinishedAt)}}})
	}
	for _, is := range p.Issues {
		labels := []any{}
		for _, l := range is.Labels {
			labels = append(labels, map[string]any{"title": l})
		}
		state := "opened"
		if !is.ClosedAt.IsZero() {
			state = "closed"
		}
		typ := "Issue"
		if is.Type == "incident" {
			typ = "Incident"
		}
		add("Issue Hook", map[string]any{"object_kind": "issue", "object_attributes": map[string]any{"id": is.ID, "iid": is.IID,
			"title": is.Title, "state": state, "type": typ, "labels": labels, "created_at": ts(is.CreatedAt), "updated_at": ts(is.UpdatedAt),
			"closed_at": ts(is.ClosedAt), "url": fmt.Sprintf("%s/-/issues/%d", base, is.IID), "action": "update"}})
	}
	return out
}

// TestWebhooksAgreeWithTheSync: hooks that describe what a sync stored
// change no row; hooks applied before any sync, then a sync, give exactly
// the rows of a clean sync.
func TestWebhooksAgreeWithTheSync(t *testing.T) {
	for _, entry := range []collectors.Repo{
		repo("acme/platform/billing"),
		repoWith("acme/platform/billing", "workflow", ""),
		repoWith("acme/platform/billing", "merges", ""),
	} {
		t.Run(entry.Source, func(t *testing.T) {
			h := newHarness(t)
			p := h.srv.AddProject(billing())
			cfg := webhookConfig(entry)
			h.mustSync(entry)
			want := dump(t, h.st)
			events := hooks(h.srv, p)
			for _, ev := range events {
				if _, err := gitlab.ApplyWebhook(bg, h.st, cfg, ev[0], []byte(ev[1])); err != nil {
					t.Fatalf("%s: %v", ev[0], err)
				}
			}
			if got := dump(t, h.st); got != want {
				t.Errorf("hooks of the synced state changed rows:\n%s", diffLines(want, got))
			}

			early := &harness{t: t, srv: h.srv, st: newStore(t)}
			written := 0
			for _, ev := range events {
				a, err := gitlab.ApplyWebhook(bg, early.st, cfg, ev[0], []byte(ev[1]))
				if err != nil {
					t.Fatalf("%s: %v", ev[0], err)
				}
				written += a.Rows
			}
			if written == 0 {
				t.Fatal("the hooks wrote nothing")
			}
			early.mustSync(entry)
			if got := dump(t, early.st); got != want {
				t.Errorf("hooks then a sync differ from a clean sync:\n%s", diffLines(want, got))
			}
		})
	}
}

func TestWebhookKeepsWhatTheHookLacks(t *testing.T) {
	h := newHarness(t)
	p := h.srv.AddProject(billing())
	entry := repo("acme/platform/billing")
	h.mustSync(entry)
	r, _ := h.st.RepoByName(bg, "acme/platform/billing")
	before, _ := h.st.ChangeByNumber(bg, r.ID, 2)
	// Someone else relabels !2 a day later: the hook names the labeller,
	// not the author, and has no sizes, commits, merge time or squash sha.
	var body string
	for _, ev := range hooks(h.srv, p) {
		if ev[0] == "Merge Request Hook" && strings.Contains(ev[1], `"iid":2,`) {
			body = ev[1]
		}
	}
	later := editJSON(t, []byte(body), func(m map[string]any) {
		m["user"] = map[string]any{"id": 999, "username": "maintainer"}
		oa := m["object_attributes"].(map[string]any)
		oa["updated_at"] = before.UpdatedAt.Add(day).Format(time.RFC3339)
		oa["labels"] = []any{map[string]any{"title": "billing"}}
		oa["merge_commit_sha"] = nil
	})
	a := applyHook(t, h.st, webhookConfig(entry), "Merge Request Hook", later)
	if a.Rows != 1 {
		t.Fatalf("applied = %+v", a)
	}
	after, _ := h.st.ChangeByNumber(bg, r.ID, 2)
	if after.Author != before.Author || !after.FirstCommitAt.Equal(before.FirstCommitAt) || after.Additions != before.Additions ||
		!after.MergedAt.Equal(before.MergedAt) || after.SquashSHA != before.SquashSHA || after.MergeSHA != before.MergeSHA ||
		!after.ReadyAt.Equal(before.ReadyAt) || len(after.Reviews) != len(before.Reviews) {
		t.Errorf("known values lost:\nbefore %+v\nafter  %+v", before, after)
	}
	if len(after.Labels) != 1 || after.Labels[0] != "billing" {
		t.Errorf("labels = %v", after.Labels)
	}
}

func TestWebhookTokenVerification(t *testing.T) {
	const secret = "a-long-webhook-secret"
	if err := gitlab.VerifyWebhookToken(secret, secret); err != nil {
		t.Errorf("the right token: %v", err)
	}
	for _, tok := range []string{"", "a-long-webhook-secreT", secret + " ", "x"} {
		err := gitlab.VerifyWebhookToken(tok, secret)
		if !errors.Is(err, gitlab.ErrWebhookToken) || strings.Contains(err.Error(), secret) {
			t.Errorf("token %q: %v", tok, err)
		}
	}
	if err := gitlab.VerifyWebhookToken("", ""); err == nil || errors.Is(err, gitlab.ErrWebhookToken) {
		t.Errorf("no secret configured: %v", err)
	}
	h := http.Header{}
	h.Set(gitlab.HeaderEventUUID, "uuid-1")
	if got := gitlab.DeliveryID(h); got != "uuid-1" {
		t.Errorf("delivery id = %q", got)
	}
	h.Set(gitlab.HeaderIdempotencyKey, "key-1")
	if got := gitlab.DeliveryID(h); got != "key-1" {
		t.Errorf("delivery id = %q, want the idempotency key", got)
	}
}
