package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tach-dev/tach/cmd/tach/config"
	"github.com/tach-dev/tach/collectors/github/githubtest"
)

// initServer is an organisation whose repos deploy four ways: GitHub
// deployments to production, a deploy workflow, releases, and nothing
// (every merge ships); plus an archived repo and a fork, left out.
func initServer(t *testing.T) *githubtest.Server {
	srv := githubtest.New(t)
	now := time.Now().UTC()
	api := srv.AddRepo("acme/api")
	sha := api.AddCommit("initial", now.AddDate(0, 0, -20))
	api.Deploy(sha, "staging", now.AddDate(0, 0, -10), "success")
	api.Deploy(sha, "production", now.AddDate(0, 0, -9), "success")
	web := srv.AddRepo("acme/web")
	wsha := web.AddCommit("initial", now.AddDate(0, 0, -20))
	web.AddRun("CI", ".github/workflows/ci.yml", "main", wsha, now.AddDate(0, 0, -5), "success", now.AddDate(0, 0, -5))
	web.AddRun("Deploy to prod", ".github/workflows/deploy.yml", "main", wsha, now.AddDate(0, 0, -5), "success", now.AddDate(0, 0, -5))
	lib := srv.AddRepo("acme/lib")
	lsha := lib.AddCommit("initial", now.AddDate(0, 0, -20))
	lib.AddRelease("v1.0.0", lsha, now.AddDate(0, 0, -3), now.AddDate(0, 0, -3))
	srv.AddRepo("acme/docs")
	srv.AddRepo("acme/old").Archived = true
	srv.AddRepo("acme/forked").Fork = true
	return srv
}

func TestInitNonInteractive(t *testing.T) {
	srv := initServer(t)
	out := filepath.Join(t.TempDir(), "tach.yaml")
	t.Setenv("ACME_TOKEN", githubtest.DefaultToken)
	code, stdout, stderr := tach(t, "init", "--non-interactive", "--provider", "github", "--base-url", srv.BaseURL(),
		"--token-env", "ACME_TOKEN", "--org", "acme", "--out", out)
	if code != 0 {
		t.Fatalf("init: exit %d\n%s%s", code, stdout, stderr)
	}
	for _, want := range []string{"acme/api   production, staging", "deploy.yml", "4 repos (archived repos and forks left out)"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("init printed no %q:\n%s", want, stdout)
		}
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	if strings.Contains(text, githubtest.DefaultToken) || !strings.Contains(text, "token: ${ACME_TOKEN}") {
		t.Errorf("the token is in the file, or its variable is not:\n%s", text)
	}
	cfg, err := config.Load(out)
	if err != nil {
		t.Fatalf("the written file does not load: %v\n%s", err, text)
	}
	want := map[string]string{"acme/api": "deployments", "acme/web": "workflow", "acme/lib": "releases", "acme/docs": "merges"}
	if len(cfg.Repos) != 4 {
		t.Fatalf("repos = %+v", cfg.Repos)
	}
	for _, r := range cfg.Repos {
		if string(r.Deployments.Source) != want[r.Name] {
			t.Errorf("%s: source %s, want %s", r.Name, r.Deployments.Source, want[r.Name])
		}
		if r.Name == "acme/web" && r.Deployments.Workflow != "deploy.yml" {
			t.Errorf("acme/web workflow = %q", r.Deployments.Workflow)
		}
	}
	if !strings.Contains(text, "# 1 published releases") || !strings.Contains(text, "# a deploy workflow: deploy.yml") {
		t.Errorf("the file does not say why:\n%s", text)
	}
	// The file is ready: it syncs.
	if code, o, e := tach(t, "sync", "--config", out); code != 0 {
		t.Errorf("sync of the written config: exit %d\n%s%s", code, o, e)
	}
	// It is not replaced without --force.
	if code, _, e := tach(t, "init", "--non-interactive", "--base-url", srv.BaseURL(), "--token-env", "ACME_TOKEN", "--org", "acme", "--out", out); code != 2 || !strings.Contains(e, "exists; give --force") {
		t.Errorf("a second init: exit %d %s", code, e)
	}
}

func TestInitInteractive(t *testing.T) {
	srv := initServer(t)
	out := filepath.Join(t.TempDir(), "tach.yaml")
	t.Setenv("ACME_TOKEN", githubtest.DefaultToken)
	answers := strings.Join([]string{"", srv.BaseURL(), "token", "ACME_TOKEN", "acme"}, "\n") + "\n"
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), &cli{stdout: &stdout, stderr: &stderr, stdin: strings.NewReader(answers)}, []string{"init", "--out", out})
	if code != 0 {
		t.Fatalf("init: exit %d\n%s%s", code, stdout.String(), stderr.String())
	}
	if !strings.Contains(stdout.String(), "Provider (github) [github]: ") || !strings.Contains(stdout.String(), "Organisation or user: ") {
		t.Errorf("the questions:\n%s", stdout.String())
	}
	if _, err := config.Load(out); err != nil {
		t.Errorf("the written file: %v", err)
	}
	// A wrong organisation is one line naming it.
	var o2, e2 bytes.Buffer
	code = run(context.Background(), &cli{stdout: &o2, stderr: &e2, stdin: strings.NewReader(strings.ReplaceAll(answers, "acme\n", "nobody\n"))}, []string{"init", "--out", out + ".2"})
	if code != 1 || !strings.Contains(e2.String(), "GitHub has no organisation or user nobody") {
		t.Errorf("unknown org: exit %d %s", code, e2.String())
	}
}
