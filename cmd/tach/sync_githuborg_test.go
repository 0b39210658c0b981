package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tach-dev/tach/collectors/github/githubtest"
	"github.com/tach-dev/tach/store"
)

// TestSyncGitHubOrg: a github_org entry lists the organisation on every
// sync — a repo created between two syncs is synced by the second, an
// archived one stops syncing and keeps its history, forks and excluded
// repos are left out — and the listing is recorded for the sync page.
func TestSyncGitHubOrg(t *testing.T) {
	srv := githubtest.New(t)
	srv.AddRepo("acme/api").Generate(githubtest.History{PRs: 4, Deployments: 2})
	srv.AddRepo("acme/legacy").Generate(githubtest.History{PRs: 3, Deployments: 1})
	srv.AddRepo("acme/fork-of-lib").Fork = true
	srv.AddRepo("acme/play-sandbox")
	srv.AddRepo("globex/other")

	dir := t.TempDir()
	cfg := filepath.Join(dir, "tach.yaml")
	if err := os.WriteFile(cfg, fmt.Appendf(nil, `database: tach.db
github:
  token: %s
  base_url: %s
repos:
  - github: acme/api
    deployments: {source: merges}
  - github_org: acme
    exclude: ['*-sandbox']
teams:
  - {name: everyone, repos: [acme]}
`, githubtest.DefaultToken, srv.BaseURL()), 0o600); err != nil {
		t.Fatal(err)
	}

	synced := func(out string) []string {
		var names []string
		for _, name := range []string{"acme/api", "acme/legacy", "acme/web", "acme/fork-of-lib", "acme/play-sandbox", "globex/other"} {
			if strings.Contains(out, name) {
				names = append(names, name)
			}
		}
		return names
	}
	code, out, errOut := tach(t, "sync", "--config", cfg)
	if code != 0 {
		t.Fatalf("first sync: exit %d\n%s%s", code, out, errOut)
	}
	if got := strings.Join(synced(out), " "); got != "acme/api acme/legacy" {
		t.Errorf("first sync synced %q, want acme/api acme/legacy (no fork, no sandbox, no other owner)", got)
	}

	// Between the syncs: a new repo, and acme/legacy is archived.
	srv.AddRepo("acme/web").Generate(githubtest.History{PRs: 2, Deployments: 1})
	legacyRepo := srv.Repo("acme/legacy")
	srv.Edit(func() { legacyRepo.Archived = true })
	code, out, errOut = tach(t, "sync", "--config", cfg)
	if code != 0 {
		t.Fatalf("second sync: exit %d\n%s%s", code, out, errOut)
	}
	if got := strings.Join(synced(out), " "); got != "acme/api acme/web" {
		t.Errorf("second sync synced %q, want acme/api acme/web (the new repo, not the archived one)", got)
	}

	st, err := store.Open(context.Background(), filepath.Join(dir, "tach.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	legacy, err := st.RepoByName(context.Background(), "acme/legacy")
	if err != nil {
		t.Fatalf("the archived repo's row is gone: %v", err)
	}
	h, err := st.RepoHistory(context.Background(), legacy.ID)
	if err != nil || len(h.Changes) == 0 {
		t.Errorf("the archived repo lost its history: %d changes, %v", len(h.Changes), err)
	}
	ls, err := st.Listings(context.Background())
	if err != nil || len(ls) != 1 {
		t.Fatalf("listings = %+v, %v", ls, err)
	}
	l := ls[0]
	if strings.Join(l.Repos, " ") != "acme/api acme/web" || strings.Join(l.Gone, " ") != "acme/legacy" || len(l.Skipped) != 3 {
		t.Errorf("listing = %+v; want repos acme/api acme/web, gone acme/legacy, 3 skipped (archived, fork, excluded)", l)
	}

	// The team named by the org covers its repos, the new one included.
	code, out, _ = tach(t, "report", "metrics", "--config", cfg, "--team", "everyone", "--format", "json")
	if code != 0 || !strings.Contains(out, `"acme/web"`) || !strings.Contains(out, `"acme/legacy"`) {
		t.Errorf("the org's team: exit %d\n%s", code, out)
	}
}
