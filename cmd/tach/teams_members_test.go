package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tach-dev/tach/collectors/github/githubtest"
)

// TestTeamsByPeople: in a shared repo, a team of members reports only its
// people's changes, and for deployment measures the deployments that
// shipped them; a team read from a GitHub team the same, its members read
// at the sync.
func TestTeamsByPeople(t *testing.T) {
	today := time.Now().UTC().Truncate(24 * time.Hour)
	monday := today.AddDate(0, 0, -((int(today.Weekday()) + 6) % 7))
	t0 := monday.AddDate(0, 0, -21)
	srv := githubtest.New(t)
	r := srv.AddRepo("acme/mono")
	r.AddCommit("initial commit", t0.AddDate(0, 0, -30))
	merge := func(who string, day, size int) {
		pr := r.AddPR(fmt.Sprintf("change by %s on day %d", who, day), githubtest.Person(who), t0.AddDate(0, 0, day))
		pr.Additions = size
		r.Merge(pr, t0.AddDate(0, 0, day).Add(2*time.Hour))
	}
	merge("alice", 1, 10)
	merge("alice", 2, 30)
	merge("bob", 3, 100)
	merge("carol", 4, 1000)
	merge("carol", 5, 1000)
	merge("carol", 6, 1000)
	srv.SetTeam("acme/infra", "Bob")

	dir := t.TempDir()
	cfg := filepath.Join(dir, "tach.yaml")
	if err := os.WriteFile(cfg, fmt.Appendf(nil, `database: tach.db
github:
  token: %s
  base_url: %s
repos:
  - github: acme/mono
    deployments: {source: merges}
teams:
  - {name: search, members: [Alice]}
  - {name: infra, from: {github_team: acme/infra}}
  - {name: everyone, repos: [acme/mono]}
`, githubtest.DefaultToken, srv.BaseURL()), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := tach(t, "sync", "--config", cfg); code != 0 {
		t.Fatalf("sync: exit %d\n%s%s", code, out, errOut)
	}
	report := func(team string) (merged, deploys, sizeMedian float64) {
		t.Helper()
		code, out, errOut := tach(t, "report", "metrics", "--config", cfg, "--team", team, "--weeks", "4", "--format", "json")
		if code != 0 {
			t.Fatalf("report --team %s: exit %d %s", team, code, errOut)
		}
		var rep struct {
			Throughput struct {
				Merged float64 `json:"merged"`
			} `json:"throughput"`
			DeploymentFrequency struct {
				Deployments float64 `json:"deployments"`
			} `json:"deployment_frequency"`
			PRSize struct {
				Median float64 `json:"median_lines"`
			} `json:"pr_size"`
		}
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		m := rep
		return m.Throughput.Merged, m.DeploymentFrequency.Deployments, m.PRSize.Median
	}
	for _, c := range []struct {
		team                  string
		merged, deploys, size float64
	}{
		{"search", 2, 2, 22},    // alice's two changes (10+2 and 30+2 lines), the two merges that shipped them
		{"infra", 1, 1, 102},    // bob, read from the GitHub team at the sync
		{"everyone", 6, 6, 552}, // the repo as a whole
	} {
		merged, deploys, size := report(c.team)
		if merged != c.merged || deploys != c.deploys || size != c.size {
			t.Errorf("team %s: merged %v, deployments %v, PR size median %v; want %v, %v, %v", c.team, merged, deploys, size, c.merged, c.deploys, c.size)
		}
	}

	// The rows behind those numbers: the lists of a members team hold its
	// people's changes and the deployments that shipped them (they were
	// empty: the lists knew modules by paths only).
	srv2 := startServe(t, "--config", cfg, "--listen", "127.0.0.1:0")
	c := srv2.client()
	for _, tc := range []struct {
		path  string
		total int
	}{
		{"/api/v1/changes?team=search&weeks=4", 2},
		{"/api/v1/deployments?team=search&weeks=4", 2},
		{"/api/v1/changes?team=infra&weeks=4", 1},
		{"/api/v1/changes?team=everyone&weeks=4", 6},
	} {
		status, body := srv2.do(c, "GET", tc.path, nil)
		var page struct {
			Page struct {
				Total int `json:"total"`
			} `json:"page"`
		}
		if status != 200 || json.Unmarshal([]byte(body), &page) != nil || page.Page.Total != tc.total {
			t.Errorf("%s: %d, %d rows; want %d\n%.300s", tc.path, status, page.Page.Total, tc.total, body)
		}
	}
}
