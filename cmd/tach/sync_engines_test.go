package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tach-dev/tach/collectors/github/githubtest"
	gt "github.com/tach-dev/tach/collectors/gitlab/gitlabtest"
	"github.com/tach-dev/tach/store/storetest"
)

// TestSyncIntoEitherEngineGivesTheSameReports is issue 13's "done when":
// `tach sync` from a GitHub and a GitLab at a configured base_url, once
// into a SQLite file and once into PostgreSQL, then every report — metrics,
// weekly, compare, as text, JSON and Markdown — prints byte for byte the
// same from the two.
func TestSyncIntoEitherEngineGivesTheSameReports(t *testing.T) {
	pg := storetest.SkipUnlessPostgres(t)
	b := weekStart()
	end := b.AddDate(0, 0, 35) // this week's Monday: the histories end before it
	span := 150 * 24 * time.Hour

	gh := githubtest.New(t)
	apiHistory(gh, b)
	gh.AddRepo("acme/shop").Generate(githubtest.History{PRs: 120, Deployments: 40, Runs: 60, Incidents: 6, Issues: 10,
		End: end, Span: span, Seed: 13, MergeCommits: 30})
	gl := gt.New(t)
	gl.Token = "x"
	gl.AddProject(billingHistory(b))
	gl.AddProject(gt.GenerateHistory("acme/platform/search", gt.History{MergeRequests: 80, Deployments: 30, Pipelines: 50, Incidents: 4,
		End: end, Span: span}))

	body := fmt.Sprintf(`github:
  token: %s
  base_url: %s
gitlab:
  token: x
  base_url: %s
repos:
  - github: acme/api
  - github: acme/shop
  - gitlab: acme/platform/billing
  - gitlab: acme/platform/search
teams:
  - name: payments
    repos: [acme/api, acme/platform/billing]
  - name: storefront
    repos: [acme/shop, acme/platform/search]
`, githubtest.DefaultToken, gh.BaseURL(), gl.BaseURL())
	sqlite := writeConfigFor(t, filepath.Join(t.TempDir(), "tach.db"), body)
	postgres := writeConfigFor(t, storetest.NewSchema(t, pg), body)

	// The same decisions in both, for report compare: one of a team, one
	// of a repo, nine weeks back: their after windows (8 weeks) end before
	// today, so no figure depends on the moment the report runs.
	decided := end.AddDate(0, 0, -63).Format(time.DateOnly)
	for _, cfg := range []string{sqlite, postgres} {
		out := tachRun(t, "sync", "--config", cfg)
		if strings.Contains(out, "FAILED") {
			t.Fatalf("sync into %s:\n%s", cfg, out)
		}
		tachRun(t, "decisions", "add", "--config", cfg, "--date", decided, "--title", "Smaller merge requests", "--kind", "process", "--team", "storefront")
		tachRun(t, "decisions", "add", "--config", cfg, "--date", decided, "--title", "Deploy on merge", "--kind", "tooling", "--repo", "acme/shop")
	}

	from, to := end.Add(-span).Format(time.DateOnly), end.Format(time.DateOnly)
	week := b.AddDate(0, 0, 7).Format(time.DateOnly)
	var commands [][]string
	for _, format := range []string{"text", "json", "markdown"} {
		commands = append(commands,
			[]string{"report", "metrics", "--from", from, "--to", to, "--format", format},
			[]string{"report", "metrics", "--team", "payments", "--from", b.Format(time.DateOnly), "--to", to, "--format", format},
			[]string{"report", "metrics", "--repo", "acme/platform/search", "--from", from, "--to", to, "--format", format},
			[]string{"report", "weekly", "--week", week, "--format", format},
			[]string{"report", "weekly", "--team", "storefront", "--week", week, "--format", format},
			[]string{"report", "compare", "--decision", "1", "--format", format},
			[]string{"report", "compare", "--decision", "2", "--format", format},
			[]string{"report", "compare", "--team", "payments", "--vs-team", "storefront", "--format", format},
		)
	}
	sameOutputs(t, commands, []string{"--config", sqlite}, []string{"--config", postgres})

	// Not vacuous: the reports hold the synced data.
	r := reportMetrics(t, postgres, b, "--team", "payments")
	check{t, "team payments on PostgreSQL"}.int("deployments", r.DeploymentFrequency.Deployments, 5)
	if _, out, _ := tach(t, "report", "metrics", "--config", postgres, "--repo", "acme/platform/search", "--from", from, "--to", to, "--format", "json"); !strings.Contains(out, `"merged": `) || strings.Contains(out, `"merged": 0,`) {
		t.Errorf("the generated GitLab project has no merges in the report:\n%s", out)
	}
}
