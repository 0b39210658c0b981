package config

import (
	"os"
	"strings"
	"testing"
	"time"
)

// FuzzParse checks that Parse never panics, and that what it returns is
// consistent: a Config with every accessor usable, or one-line errors that
// each name the file.
func FuzzParse(f *testing.F) {
	for _, path := range []string{"../../../config.example.yaml", "testdata/full.yaml"} {
		if data, err := os.ReadFile(path); err == nil {
			f.Add(data)
		}
	}
	for _, s := range []string{
		"",
		"repos: [{github: acme/api, deployments: {source: workflow, workflow: d}}]",
		"repos: [{gitlab_group: acme, include_archived: true}]\nteams: [{name: t, repos: [acme/x]}]",
		"log: &a {<<: *a}",
		"repos: &r [*r]",
		"a: [\n",
		"database: ${X}\ntimezone: ${",
		"sync: {history: 1.5w, interval: 1d2h, workers: 64}",
		"\tdatabase: x",
		"---\na: 1\n---\n",
		"bots: '(?i)('",
		"repos:\n  - github: a/b\n   gitlab: c/d\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		type result struct {
			c   *Config
			err error
		}
		ch := make(chan result, 1)
		go func() {
			c, err := parse(data, "tach.yaml", env("X", "x", "GITHUB_TOKEN", "tok"))
			ch <- result{c, err}
		}()
		var c *Config
		var err error
		select {
		case r := <-ch:
			c, err = r.c, r.err
		case <-time.After(10 * time.Second):
			t.Fatalf("parse took more than 10s on %q", data)
		}
		if err != nil {
			if c != nil {
				t.Fatal("config and error both returned")
			}
			for _, line := range strings.Split(err.Error(), "\n") {
				if !strings.HasPrefix(line, "tach.yaml") {
					t.Fatalf("error line does not name the file: %q", line)
				}
			}
			for _, e := range Errors(err) {
				if strings.Contains(e.Msg, "\n") || strings.Contains(e.Key, "\n") {
					t.Fatalf("multi-line error: %q", e.Error())
				}
			}
			return
		}
		if c.Location == nil || c.Bots == nil || c.Rework.Title == nil || c.Sync.Workers < 1 ||
			c.Incidents.Window <= 0 || c.StaleReview <= 0 || c.Sync.Interval <= 0 || c.Sync.History <= 0 {
			t.Fatalf("incomplete config: %+v", c)
		}
		for _, r := range c.Repos {
			if r.Deployments.Environments == nil || r.Name == "" {
				t.Fatalf("incomplete repo: %+v", r)
			}
			if r.Deployments.Source == SourceWorkflow && r.Deployments.Workflow == "" {
				t.Fatalf("workflow source without workflow: %+v", r)
			}
		}
		_ = c.RepoNames()
		_ = c.TeamRepos()
		_ = c.CheckSync()
		_ = c.CheckWebhooks()
	})
}
