package github

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tach-dev/tach/collectors"
	"github.com/tach-dev/tach/collectors/github/githubtest"
	"github.com/tach-dev/tach/store"
	"github.com/tach-dev/tach/store/storetest"
)

var bg = context.Background()

// webhookConfig resolves the given repos (case-insensitively), as the
// server resolves the config's.
func webhookConfig(repos ...collectors.Repo) collectors.WebhookConfig {
	return collectors.WebhookConfig{
		IncidentLabels: []string{"incident"},
		History:        runOptions().History,
		Now:            runOptions().Now,
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

// edit decodes a payload, lets fn change it and encodes it again.
func edit(t testing.TB, payload []byte, fn func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(payload, &m); err != nil {
		t.Fatal(err)
	}
	fn(m)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func apply(t testing.TB, st *store.Store, cfg collectors.WebhookConfig, event string, payload []byte) collectors.Applied {
	t.Helper()
	a, err := ApplyWebhook(bg, st, cfg, event, payload)
	if err != nil {
		t.Fatalf("apply %s: %v", event, err)
	}
	return a
}

func TestWebhookFixtures(t *testing.T) {
	hello := repoEntry("Codertocat/Hello-World", "deployments")
	octo := repoEntry("octo-org/octo-repo", "workflow")
	octo.Workflow = "test.yml"
	cfg := webhookConfig(hello, octo)
	cfg.IncidentLabels, cfg.History = []string{"bug"}, 0 // the fixtures are from 2019
	for _, tc := range []struct {
		file, event string
		ignored     bool
		check       func(t *testing.T, st *store.Store, a collectors.Applied)
	}{
		{"pull_request.opened.json", "pull_request", false, func(t *testing.T, st *store.Store, a collectors.Applied) {
			c, err := st.ChangeByNumber(bg, a.RepoID, 2)
			if err != nil {
				t.Fatal(err)
			}
			if c.Title != "Update the README with new information." || c.Author != "Codertocat" || c.State != store.StateOpen ||
				c.ProviderID != "279147437" || !c.SizeKnown || c.Additions != 1 || c.BaseBranch != "master" || c.MergeSHA != "" ||
				!c.ReadyAt.Equal(c.CreatedAt) || !c.FirstCommitAt.IsZero() {
				t.Errorf("change = %+v", c)
			}
		}},
		{"pull_request.closed.json", "pull_request", false, func(t *testing.T, st *store.Store, a collectors.Applied) {
			c, _ := st.ChangeByNumber(bg, a.RepoID, 2)
			if c.State != store.StateClosed || c.ClosedAt.IsZero() || !c.MergedAt.IsZero() || c.MergeSHA != "" {
				t.Errorf("closed unmerged change = %+v", c)
			}
		}},
		{"pull_request.converted_to_draft.json", "pull_request", false, func(t *testing.T, st *store.Store, a collectors.Applied) {
			c, _ := st.ChangeByNumber(bg, a.RepoID, 2)
			if !c.Draft || !c.ReadyAt.IsZero() {
				t.Errorf("draft = %+v", c)
			}
		}},
		{"pull_request.ready_for_review.json", "pull_request", false, func(t *testing.T, st *store.Store, a collectors.Applied) {
			c, _ := st.ChangeByNumber(bg, a.RepoID, 2)
			if c.Draft || !c.ReadyAt.Equal(c.UpdatedAt) {
				t.Errorf("ready = %+v", c)
			}
		}},
		{"pull_request.labeled.json", "pull_request", false, nil},
		{"pull_request.reopened.json", "pull_request", false, nil},
		{"pull_request.synchronize.json", "pull_request", false, nil},
		{"pull_request_review.submitted.json", "pull_request_review", false, func(t *testing.T, st *store.Store, a collectors.Applied) {
			c, _ := st.ChangeByNumber(bg, a.RepoID, 2)
			if len(c.Reviews) != 1 || c.Reviews[0].ProviderID != "237895671" || c.Reviews[0].State != "commented" || c.Reviews[0].Author != "Codertocat" {
				t.Errorf("reviews = %+v", c.Reviews)
			}
			if c.SizeKnown {
				t.Errorf("a review event's pull request has no size, but one was stored: %+v", c)
			}
		}},
		{"pull_request_review.dismissed.json", "pull_request_review", false, nil},
		{"deployment_status.created.json", "deployment_status", false, func(t *testing.T, st *store.Store, a collectors.Applied) {
			h, _ := st.RepoHistory(bg, a.RepoID)
			if len(h.Deployments) != 1 {
				t.Fatalf("deployments = %+v", h.Deployments)
			}
			d := h.Deployments[0]
			if d.ProviderID != "145988746" || d.Status != "success" || d.Environment != "production" || d.SHA != "f95f852bd8fca8fcc58a9a2d6c842781e32a215e" ||
				d.FinishedAt.IsZero() || d.Creator != "Codertocat" || d.Source != "deployments" {
				t.Errorf("deployment = %+v", d)
			}
		}},
		{"workflow_run.completed.json", "workflow_run", false, func(t *testing.T, st *store.Store, a collectors.Applied) {
			runs, _ := st.CIRunsForWindow(bg, []int64{a.RepoID}, 0, time.Now().Unix())
			if len(runs) != 1 || runs[0].ProviderID != "289782451" || runs[0].Conclusion != "success" || runs[0].FinishedAt.IsZero() {
				t.Errorf("runs = %+v", runs)
			}
			// test.yml on the default branch deploys with source workflow.
			h, _ := st.RepoHistory(bg, a.RepoID)
			if len(h.Deployments) != 1 || h.Deployments[0].Source != "workflow" || h.Deployments[0].Status != "success" {
				t.Errorf("workflow deployments = %+v", h.Deployments)
			}
		}},
		{"workflow_run.requested.json", "workflow_run", false, nil},
		{"workflow_run.completed.with-pull-requests.json", "workflow_run", false, nil},
		{"issues.opened.json", "issues", false, func(t *testing.T, st *store.Store, a collectors.Applied) {
			h, _ := st.RepoHistory(bg, a.RepoID)
			if len(h.Incidents) != 1 || h.Incidents[0].Number != 1 || h.Incidents[0].Title != "Spelling error in the README file" {
				t.Errorf("incidents = %+v", h.Incidents)
			}
		}},
		{"issues.labeled.json", "issues", false, nil},
		{"ping.json", "ping", true, nil},
		{"release.published.json", "release", true, nil},
		{"deployment.created.json", "deployment", true, nil},
	} {
		t.Run(tc.file, func(t *testing.T) {
			st := storetest.New(t)
			a := apply(t, st, cfg, tc.event, fixture(t, tc.file))
			if tc.ignored {
				if a.Ignored == "" || a.Rows != 0 {
					t.Errorf("applied = %+v, want ignored", a)
				}
				return
			}
			if a.Ignored != "" || a.Rows == 0 || a.RepoID == 0 {
				t.Fatalf("applied = %+v", a)
			}
			if tc.check != nil {
				tc.check(t, st, a)
			}
			// The same delivery again changes nothing.
			if again := apply(t, st, cfg, tc.event, fixture(t, tc.file)); again.Rows != 0 {
				t.Errorf("replay wrote %d rows", again.Rows)
			}
		})
	}
}

func TestWebhookUnknownRepoAndMalformed(t *testing.T) {
	st := storetest.New(t)
	cfg := webhookConfig(repoEntry("acme/api", "deployments"))
	_, err := ApplyWebhook(bg, st, cfg, "pull_request", fixture(t, "pull_request.opened.json"))
	if !errors.Is(err, collectors.ErrWebhookUnknownRepo) || !strings.Contains(err.Error(), "Codertocat/Hello-World") {
		t.Errorf("unknown repo: %v", err)
	}
	for _, bad := range []struct{ event, body string }{
		{"pull_request", `{`},
		{"pull_request", `{"action":"opened"}`},
		{"pull_request", `{"action":"opened","repository":{"full_name":"acme/api"}}`},
		{"pull_request", `{"action":"opened","repository":{"full_name":"acme/api"},"pull_request":{"number":1}}`},
		{"issues", `{"action":"opened","repository":{"full_name":"acme/api"},"issue":{"number":"x"}}`},
		{"workflow_run", `{"action":"completed","repository":{"full_name":"acme/api"},"workflow_run":{}}`},
		{"deployment_status", `{"action":"created","repository":{"full_name":"acme/api"},"deployment":{"id":1}}`},
		{"pull_request_review", `{"action":"submitted","repository":{"full_name":"acme/api"},"pull_request":{}}`},
	} {
		_, err = ApplyWebhook(bg, st, cfg, bad.event, []byte(bad.body))
		if !errors.Is(err, collectors.ErrWebhookMalformed) {
			t.Errorf("%s %s: err = %v, want ErrWebhookMalformed", bad.event, bad.body, err)
		}
		if err != nil && strings.Contains(err.Error(), bad.body) && len(bad.body) > 2 {
			t.Errorf("the error repeats the body: %v", err)
		}
	}
	if got := collectors.WebhookOutcome(collectors.Applied{}, err); got != store.DeliveryMalformed {
		t.Errorf("outcome = %s", got)
	}
}

func TestWebhookIssuesFollowTheLabel(t *testing.T) {
	st := storetest.New(t)
	cfg := webhookConfig(repoEntry("Codertocat/Hello-World", "deployments"))
	cfg.IncidentLabels, cfg.History = []string{"bug"}, 0
	labeled := fixture(t, "issues.labeled.json")
	a := apply(t, st, cfg, "issues", labeled)
	if a.Rows != 1 {
		t.Fatalf("labeled: %+v", a)
	}
	// The label taken off, a little later: the incident goes.
	unlabeled := edit(t, labeled, func(m map[string]any) {
		m["action"] = "unlabeled"
		is := m["issue"].(map[string]any)
		is["labels"] = []any{}
		is["updated_at"] = "2019-05-15T16:00:00Z"
	})
	if a := apply(t, st, cfg, "issues", unlabeled); a.Rows != 1 {
		t.Errorf("unlabeled: %+v", a)
	}
	h, _ := st.RepoHistory(bg, a.RepoID)
	if len(h.Incidents) != 0 {
		t.Errorf("incidents after the label was taken off = %+v", h.Incidents)
	}
	// A pull request carrying the label is no incident.
	pr := edit(t, labeled, func(m map[string]any) {
		m["issue"].(map[string]any)["pull_request"] = map[string]any{"url": "https://api.github.com/repos/x/y/pulls/1"}
	})
	if a := apply(t, st, cfg, "issues", pr); a.Ignored == "" {
		t.Errorf("a pull request in an issues event was applied: %+v", a)
	}
}

// restJSON reads a REST answer of the fake GitHub: what a webhook carries
// is the REST shape of the same object.
func restJSON(t testing.TB, srv *githubtest.Server, path string) any {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, srv.BaseURL()+path, nil)
	req.Header.Set("Authorization", "Bearer "+githubtest.DefaultToken)
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v any
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	return v
}

// deliveries are the webhook events of the fake's repo as GitHub would send
// them for its current state: every pull request (and each of its reviews),
// every deployment status in order, every run and every issue.
func deliveries(t testing.TB, srv *githubtest.Server, h *handHistory, name string) [][2][]byte {
	t.Helper()
	repo := map[string]any{"full_name": name, "default_branch": h.repo.DefaultBranch}
	var out [][2][]byte
	add := func(event string, body map[string]any) {
		body["repository"] = repo
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, [2][]byte{[]byte(event), b})
	}
	for _, p := range h.repo.PullRequests {
		pr := restJSON(t, srv, "repos/"+name+"/pulls/"+strconv.Itoa(p.Number))
		add("pull_request", map[string]any{"action": "edited", "pull_request": pr})
		for _, r := range p.Reviews {
			typ := "User"
			if r.Author.Bot {
				typ = "Bot"
			}
			prNoSize := map[string]any{}
			for k, v := range pr.(map[string]any) {
				prNoSize[k] = v
			}
			for _, k := range []string{"additions", "deletions", "changed_files", "merged", "commits"} {
				delete(prNoSize, k)
			}
			add("pull_request_review", map[string]any{"action": "submitted", "pull_request": prNoSize, "review": map[string]any{
				"id": r.ID, "user": map[string]any{"login": r.Author.Login, "type": typ}, "state": strings.ToLower(r.State),
				"submitted_at": r.SubmittedAt.UTC().Format(time.RFC3339),
			}})
		}
	}
	for _, d := range restJSON(t, srv, "repos/"+name+"/deployments?per_page=100").([]any) {
		id := int64(d.(map[string]any)["id"].(float64))
		sts := restJSON(t, srv, "repos/"+name+"/deployments/"+strconv.FormatInt(id, 10)+"/statuses").([]any)
		for i := len(sts) - 1; i >= 0; i-- { // oldest first, as they happened
			add("deployment_status", map[string]any{"action": "created", "deployment": d, "deployment_status": sts[i]})
		}
	}
	for _, r := range restJSON(t, srv, "repos/"+name+"/actions/runs?per_page=100").(map[string]any)["workflow_runs"].([]any) {
		add("workflow_run", map[string]any{"action": "completed", "workflow_run": r})
	}
	q := url.Values{"state": {"all"}, "per_page": {"100"}}
	for _, is := range restJSON(t, srv, "repos/"+name+"/issues?"+q.Encode()).([]any) {
		add("issues", map[string]any{"action": "edited", "issue": is})
	}
	return out
}

// TestWebhooksAgreeWithTheSync: events that describe what a sync already
// stored change no row; events applied before any sync, then a sync, give
// exactly the rows of a clean sync.
func TestWebhooksAgreeWithTheSync(t *testing.T) {
	for _, source := range []string{"deployments", "workflow", "merges"} {
		t.Run(source, func(t *testing.T) {
			srv := githubtest.New(t)
			h := buildHandHistory(srv, "acme/api")
			entry := repoEntry("acme/api", source)
			cfg := webhookConfig(entry)
			p, _, _ := newProvider(t, srv)
			synced := storetest.New(t)
			mustSync(t, synced, p, entry)
			want := dump(t, synced, true)

			events := deliveries(t, srv, h, "acme/api")
			for _, ev := range events {
				if _, err := ApplyWebhook(bg, synced, cfg, string(ev[0]), ev[1]); err != nil {
					t.Fatalf("%s: %v", ev[0], err)
				}
			}
			if got := dump(t, synced, true); got != want {
				t.Errorf("events of the synced state changed rows:\n%s", diffLines(want, got))
			}

			early := storetest.New(t)
			written := 0
			for _, ev := range events {
				a, err := ApplyWebhook(bg, early, cfg, string(ev[0]), ev[1])
				if err != nil {
					t.Fatalf("%s: %v", ev[0], err)
				}
				written += a.Rows
			}
			if written == 0 {
				t.Fatal("the events wrote nothing")
			}
			mustSync(t, early, p, entry)
			if got := dump(t, early, true); got != want {
				t.Errorf("events then a sync differ from a clean sync:\n%s", diffLines(want, got))
			}
		})
	}
}

func TestWebhookKeepsWhatItDoesNotKnow(t *testing.T) {
	srv := githubtest.New(t)
	h := buildHandHistory(srv, "acme/api")
	entry := repoEntry("acme/api", "deployments")
	p, _, _ := newProvider(t, srv)
	st := storetest.New(t)
	mustSync(t, st, p, entry)
	repo, _ := st.RepoByName(bg, "acme/api")
	before, _ := st.ChangeByNumber(bg, repo.ID, int64(h.login.Number))
	if before.FirstCommitAt.IsZero() || !before.SizeKnown {
		t.Fatalf("synced change lacks what the test needs: %+v", before)
	}

	// A later review event: its pull request has no size and no commits;
	// its title changed meanwhile.
	pr := restJSON(t, srv, "repos/acme/api/pulls/"+strconv.Itoa(h.login.Number)).(map[string]any)
	for _, k := range []string{"additions", "deletions", "changed_files"} {
		delete(pr, k)
	}
	pr["title"] = "Add login (v2)"
	pr["updated_at"] = now.Format(time.RFC3339)
	pr["labels"] = []any{map[string]any{"name": "feature"}, map[string]any{"name": "security"}}
	body, _ := json.Marshal(map[string]any{"action": "submitted", "repository": map[string]any{"full_name": "acme/api", "default_branch": "main"},
		"pull_request": pr, "review": map[string]any{"id": 9999, "user": map[string]any{"login": "erin", "type": "User"}, "state": "approved", "submitted_at": now.Format(time.RFC3339)}})
	a := apply(t, st, webhookConfig(entry), "pull_request_review", body)
	if a.Rows != 1 || a.RepoID != repo.ID {
		t.Fatalf("applied = %+v", a)
	}
	after, _ := st.ChangeByNumber(bg, repo.ID, int64(h.login.Number))
	if !after.FirstCommitAt.Equal(before.FirstCommitAt) || !after.SizeKnown || after.Additions != before.Additions || !after.ReadyAt.Equal(before.ReadyAt) {
		t.Errorf("known values lost: before %+v\nafter %+v", before, after)
	}
	if after.Title != "Add login (v2)" || len(after.Labels) != 2 || len(after.Reviews) != len(before.Reviews)+1 {
		t.Errorf("the event's values not written: %+v", after)
	}

	// A late event (from before the sync) rolls nothing back, but its
	// review is still recorded.
	old := edit(t, body, func(m map[string]any) {
		m["pull_request"].(map[string]any)["title"] = "Add login (draft title)"
		m["pull_request"].(map[string]any)["updated_at"] = ago(30 * day).Format(time.RFC3339)
		m["review"].(map[string]any)["id"] = 10000
	})
	apply(t, st, webhookConfig(entry), "pull_request_review", old)
	late, _ := st.ChangeByNumber(bg, repo.ID, int64(h.login.Number))
	if late.Title != "Add login (v2)" || len(late.Reviews) != len(after.Reviews)+1 {
		t.Errorf("late event: title %q, %d reviews", late.Title, len(late.Reviews))
	}
	// Watermarks are the sync's alone.
	for _, res := range []string{collectors.ResourceChanges, collectors.ResourceDeployments, collectors.ResourceCIRuns, collectors.ResourceIncidents} {
		b, _ := st.SyncState(bg, repo.ID, res)
		if !b.Watermark.Before(now) {
			t.Errorf("%s watermark moved to %v", res, b.Watermark)
		}
	}
}

func TestWebhookPayloadVerification(t *testing.T) {
	const secret = "It's a Secret to Everybody"
	body := []byte(`{"action":"opened"}`)
	sign := func(b []byte, key string) string {
		m := hmac.New(sha256.New, []byte(key))
		m.Write(b)
		return "sha256=" + hex.EncodeToString(m.Sum(nil))
	}
	got, err := WebhookPayload("application/json", body, sign(body, secret), secret)
	if err != nil || string(got) != string(body) {
		t.Fatalf("a good delivery: %q, %v", got, err)
	}
	if _, err := WebhookPayload("application/json; charset=utf-8", body, sign(body, secret), secret); err != nil {
		t.Errorf("charset parameter: %v", err)
	}
	// GitHub's documented example (docs: validating webhook deliveries).
	if _, err := WebhookPayload("application/json", []byte("Hello, World!"),
		"sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17", secret); err != nil {
		t.Errorf("GitHub's example signature: %v", err)
	}
	form := []byte("payload=" + url.QueryEscape(string(body)))
	if got, err := WebhookPayload("application/x-www-form-urlencoded", form, sign(form, secret), secret); err != nil || string(got) != string(body) {
		t.Errorf("form delivery: %q, %v", got, err)
	}
	for name, tc := range map[string]struct{ ct, sig, secret string }{
		"unsigned":           {"application/json", "", secret},
		"wrong secret":       {"application/json", sign(body, "another secret"), secret},
		"sha1 only":          {"application/json", "sha1=" + strings.Repeat("0", 40), secret},
		"garbage":            {"application/json", "sha256=zz", secret},
		"tampered":           {"application/json", sign([]byte(`{"action":"closed"}`), secret), secret},
		"no secret":          {"application/json", sign(body, ""), ""},
		"unsigned, bad type": {"text/plain", "", secret},
	} {
		_, err := WebhookPayload(tc.ct, body, tc.sig, tc.secret)
		if err == nil {
			t.Errorf("%s: accepted", name)
			continue
		}
		if tc.secret != "" && !errors.Is(err, ErrWebhookSignature) {
			t.Errorf("%s: err = %v, want ErrWebhookSignature", name, err)
		}
		if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), string(body)) {
			t.Errorf("%s: the error shows the secret or the body: %v", name, err)
		}
	}
	if _, err := WebhookPayload("text/plain", body, sign(body, secret), secret); err == nil || errors.Is(err, ErrWebhookSignature) {
		t.Errorf("a signed delivery of an unsupported type: %v", err)
	}
}
