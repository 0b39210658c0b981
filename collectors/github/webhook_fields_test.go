package github

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/tach-dev/tach/collectors"
	"github.com/tach-dev/tach/store"
	"github.com/tach-dev/tach/store/storetest"
)

// A missing field is not an empty one: GitHub leaves fields out of some
// deliveries, and what is left out must keep what is stored.

func helloConfig() collectors.WebhookConfig {
	cfg := webhookConfig(repoEntry("Codertocat/Hello-World", "deployments"))
	cfg.IncidentLabels, cfg.History = []string{"bug"}, 0 // the fixtures are from 2019
	return cfg
}

// An issues delivery without labels says nothing of them: the incident
// stays (with its labels); one whose labels are empty is no incident.
func TestWebhookIssueWithoutLabelsKeepsTheIncident(t *testing.T) {
	st := storetest.New(t)
	cfg := helloConfig()
	a := apply(t, st, cfg, "issues", fixture(t, "issues.opened.json"))
	edited := func(fn func(issue map[string]any)) []byte {
		return edit(t, fixture(t, "issues.opened.json"), func(m map[string]any) {
			m["action"] = "edited"
			issue := m["issue"].(map[string]any)
			issue["updated_at"] = "2019-05-16T15:20:00Z"
			fn(issue)
		})
	}
	apply(t, st, cfg, "issues", edited(func(issue map[string]any) {
		delete(issue, "labels")
		issue["title"] = "Spelling error in the README file (edited)"
	}))
	h, _ := st.RepoHistory(bg, a.RepoID)
	if len(h.Incidents) != 1 || h.Incidents[0].Title != "Spelling error in the README file (edited)" || !slices.Equal(h.Incidents[0].Labels, []string{"bug"}) {
		t.Fatalf("incidents after a delivery without labels = %+v, want the incident kept, its title edited", h.Incidents)
	}
	// Of an issue not stored, a delivery without labels cannot say it is one.
	other := edit(t, fixture(t, "issues.opened.json"), func(m map[string]any) {
		issue := m["issue"].(map[string]any)
		issue["number"], issue["id"] = 7, 7007
		delete(issue, "labels")
	})
	if a := apply(t, st, cfg, "issues", other); a.Rows != 0 {
		t.Errorf("an issue of unknown labels was written: %+v", a)
	}
	// Labels given, and none of them an incident's: no longer an incident.
	apply(t, st, cfg, "issues", edited(func(issue map[string]any) {
		issue["labels"] = []any{}
		issue["updated_at"] = "2019-05-16T15:30:00Z"
	}))
	if h, _ := st.RepoHistory(bg, a.RepoID); len(h.Incidents) != 0 {
		t.Errorf("incidents after the labels were removed = %+v", h.Incidents)
	}
}

// GitHub's schema gives an issue's labels as objects or as strings.
func TestIssueLabelsAsStrings(t *testing.T) {
	var it restIssue
	if err := json.Unmarshal([]byte(`{"number":1,"labels":["bug",{"name":"sev1","color":"d73a4a"}]}`), &it); err != nil {
		t.Fatal(err)
	}
	if got := it.Labels.names; !slices.Equal(got, []string{"bug", "sev1"}) || !it.Labels.known {
		t.Errorf("labels = %v (known %v)", got, it.Labels.known)
	}
	st := storetest.New(t)
	payload := edit(t, fixture(t, "issues.opened.json"), func(m map[string]any) {
		m["issue"].(map[string]any)["labels"] = []any{"bug", "sev1"}
	})
	a := apply(t, st, helloConfig(), "issues", payload)
	if h, _ := st.RepoHistory(bg, a.RepoID); len(h.Incidents) != 1 || !slices.Equal(h.Incidents[0].Labels, []string{"bug", "sev1"}) {
		t.Errorf("incidents = %+v", h.Incidents)
	}
}

// A pull request whose user is null (GitHub sends that for a deleted
// account) is the deleted-user placeholder, as the sync names it; one
// without labels keeps the labels stored.
func TestWebhookPullRequestMissingFields(t *testing.T) {
	st := storetest.New(t)
	cfg := helloConfig()
	a := apply(t, st, cfg, "pull_request", fixture(t, "pull_request.labeled.json"))
	c, _ := st.ChangeByNumber(bg, a.RepoID, 2)
	if len(c.Labels) == 0 {
		t.Fatalf("the labeled fixture stored no label: %+v", c)
	}
	later := func(fn func(pr map[string]any)) []byte {
		return edit(t, fixture(t, "pull_request.synchronize.json"), func(m map[string]any) {
			pr := m["pull_request"].(map[string]any)
			pr["updated_at"] = "2019-05-20T00:00:00Z"
			fn(pr)
		})
	}
	apply(t, st, cfg, "pull_request", later(func(pr map[string]any) { delete(pr, "labels") }))
	if after, _ := st.ChangeByNumber(bg, a.RepoID, 2); !slices.Equal(after.Labels, c.Labels) || after.Author != "Codertocat" {
		t.Errorf("after a delivery without labels: labels %v author %q, want %v and Codertocat kept", after.Labels, after.Author, c.Labels)
	}
	ghost, err := ApplyWebhook(bg, st, cfg, "pull_request", later(func(pr map[string]any) {
		pr["user"] = nil
		pr["updated_at"] = "2019-05-21T00:00:00Z"
	}))
	if err != nil || ghost.Rows != 1 {
		t.Fatalf("a pull request with a null user: %v (%+v)", err, ghost)
	}
	if after, _ := st.ChangeByNumber(bg, a.RepoID, 2); after.Author != "ghost" || after.AuthorIsBot {
		t.Errorf("author = %q (bot %v), want ghost", after.Author, after.AuthorIsBot)
	}
	var _ store.Change
}
