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
	gt "github.com/tach-dev/tach/collectors/gitlab/gitlabtest"
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
	if !strings.Contains(stdout.String(), "Provider (github/gitlab) [github]: ") || !strings.Contains(stdout.String(), "Organisation or user: ") {
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

// initGitLab is a group whose projects deploy four ways: GitLab
// deployments to an environment of tier production (named live), a
// deploy job, releases, and nothing (every merge ships), one of them in
// a subgroup; plus an archived project, left out.
func initGitLab(t *testing.T) *gt.Server {
	srv := gt.New(t)
	srv.Token = "glpat-init-secret"
	now := time.Now().UTC()
	history := []gt.Commit{{SHA: gt.SHA("initial"), AuthoredAt: now.AddDate(0, 0, -20)}}
	sha := history[0].SHA
	srv.AddProject(&gt.Project{Path: "acme/api", History: history,
		Environments: []*gt.Environment{{Name: "live", Tier: "production"}, {Name: "staging", Tier: "staging"}},
		Deployments: []*gt.Deployment{
			{Environment: "staging", Status: "success", SHA: sha, Ref: "main", User: "alice", CreatedAt: now.AddDate(0, 0, -10), UpdatedAt: now.AddDate(0, 0, -10), FinishedAt: now.AddDate(0, 0, -10), JobName: "deploy-staging"},
			{Environment: "live", Status: "success", SHA: sha, Ref: "main", User: "alice", CreatedAt: now.AddDate(0, 0, -9), UpdatedAt: now.AddDate(0, 0, -9), FinishedAt: now.AddDate(0, 0, -9), JobName: "deploy-live"},
		}})
	at := now.AddDate(0, 0, -5)
	srv.AddProject(&gt.Project{Path: "acme/platform/web", History: history, Pipelines: []*gt.Pipeline{{
		Status: "success", Source: "push", Ref: "main", SHA: sha, User: "alice", CreatedAt: at, UpdatedAt: at, StartedAt: at, FinishedAt: at,
		Jobs: []*gt.Job{
			{Name: "test", Stage: "test", Status: "success", CreatedAt: at, StartedAt: at, FinishedAt: at},
			{Name: "ship-it", Stage: "deploy", Status: "success", CreatedAt: at, StartedAt: at, FinishedAt: at},
		},
	}}})
	srv.AddProject(&gt.Project{Path: "acme/lib", History: history, Releases: []*gt.Release{
		{TagName: "v1.0.0", SHA: sha, Author: "alice", CreatedAt: now.AddDate(0, 0, -3), ReleasedAt: now.AddDate(0, 0, -3)},
	}})
	srv.AddProject(&gt.Project{Path: "acme/docs", History: history})
	srv.AddProject(&gt.Project{Path: "acme/old", History: history, Archived: true})
	srv.AddProject(&gt.Project{Path: "other/elsewhere", History: history})
	return srv
}

func TestInitNonInteractiveGitLab(t *testing.T) {
	srv := initGitLab(t)
	out := filepath.Join(t.TempDir(), "tach.yaml")
	t.Setenv("ACME_GITLAB", srv.Token)
	code, stdout, stderr := tach(t, "init", "--non-interactive", "--provider", "gitlab", "--base-url", srv.BaseURL(),
		"--token-env", "ACME_GITLAB", "--group", "acme", "--out", out)
	if code != 0 {
		t.Fatalf("init: exit %d\n%s%s", code, stdout, stderr)
	}
	for _, want := range []string{"DEPLOY JOBS", "acme/api           live, staging", "ship-it", "4 projects (subgroups included, archived projects left out)"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("init printed no %q:\n%s", want, stdout)
		}
	}
	// One request each: the group's projects, and per project its
	// environments, deployments, jobs and releases.
	for endpoint, want := range map[string]int{"GET /groups/:id/projects": 1, "GET /projects/:id/environments": 4, "GET /projects/:id/deployments": 4,
		"GET /projects/:id/jobs": 4, "GET /projects/:id/releases": 4} {
		if n := srv.Requests(endpoint); n != want {
			t.Errorf("%s: %d requests, want %d", endpoint, n, want)
		}
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	if strings.Contains(text, srv.Token) || !strings.Contains(text, "token: ${ACME_GITLAB}") || !strings.Contains(text, "- gitlab_group: acme\n") {
		t.Errorf("the token is in the file, or its variable or the group is not:\n%s", text)
	}
	for _, why := range []string{"# acme/api: 2 recent deployments, to live, staging", "# acme/platform/web: a deploy job: ship-it", "# acme/lib: 1 published releases"} {
		if !strings.Contains(text, why) {
			t.Errorf("the file does not say %q:\n%s", why, text)
		}
	}
	cfg, err := config.Load(out)
	if err != nil {
		t.Fatalf("the written file does not load: %v\n%s", err, text)
	}
	// The group's entry, and its own entry for each project whose source
	// is not the default.
	want := map[string]string{"acme": "deployments", "acme/platform/web": "workflow", "acme/lib": "releases", "acme/docs": "merges"}
	if len(cfg.Repos) != len(want) {
		t.Fatalf("repos = %+v", cfg.Repos)
	}
	for _, r := range cfg.Repos {
		if string(r.Deployments.Source) != want[r.Name] {
			t.Errorf("%s: source %s, want %s", r.Name, r.Deployments.Source, want[r.Name])
		}
		if r.Name == "acme/platform/web" && r.Deployments.Workflow != "ship-it" {
			t.Errorf("acme/platform/web workflow = %q", r.Deployments.Workflow)
		}
	}
	// The file is ready: it syncs, and no project warns that its source found nothing.
	if code, o, e := tach(t, "sync", "--config", out); code != 0 || strings.Contains(o+e, "would have") {
		t.Errorf("sync of the written config: exit %d\n%s%s", code, o, e)
	}
	// A token GitLab rejects is one line saying so, and nothing is written.
	t.Setenv("ACME_GITLAB", "glpat-wrong")
	code, _, stderr = tach(t, "init", "--non-interactive", "--provider", "gitlab", "--base-url", srv.BaseURL(),
		"--token-env", "ACME_GITLAB", "--group", "acme", "--out", out+".2")
	if code != 1 || !strings.Contains(stderr, "GitLab rejected the token (401 Unauthorized)") || strings.Contains(stderr, "glpat-wrong") {
		t.Errorf("a wrong token: exit %d %s", code, stderr)
	}
	if _, err := os.Stat(out + ".2"); err == nil {
		t.Errorf("a failed init wrote its file")
	}
}

func TestInitInteractiveGitLab(t *testing.T) {
	srv := initGitLab(t)
	out := filepath.Join(t.TempDir(), "tach.yaml")
	t.Setenv("GITLAB_TOKEN", srv.Token)
	answers := strings.Join([]string{"gitlab", srv.BaseURL(), "", "acme/platform"}, "\n") + "\n"
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), &cli{stdout: &stdout, stderr: &stderr, stdin: strings.NewReader(answers)}, []string{"init", "--out", out})
	if code != 0 {
		t.Fatalf("init: exit %d\n%s%s", code, stdout.String(), stderr.String())
	}
	for _, q := range []string{"Provider (github/gitlab) [github]: ", "API address (self-managed GitLab: https://HOST/api/v4) [https://gitlab.com/api/v4]: ",
		"Environment variable that holds the token (read_api) [GITLAB_TOKEN]: ", "Group (its full path, such as acme/platform): ", "1 projects"} {
		if !strings.Contains(stdout.String(), q) {
			t.Errorf("no %q in:\n%s", q, stdout.String())
		}
	}
	cfg, err := config.Load(out)
	if err != nil {
		t.Fatalf("the written file: %v", err)
	}
	if len(cfg.Repos) != 2 || cfg.Repos[0].Name != "acme/platform" || cfg.Repos[1].Name != "acme/platform/web" {
		t.Errorf("repos = %+v", cfg.Repos)
	}
	// A wrong group is one line naming it.
	var o2, e2 bytes.Buffer
	code = run(context.Background(), &cli{stdout: &o2, stderr: &e2, stdin: strings.NewReader(strings.ReplaceAll(answers, "acme/platform\n", "nobody\n"))}, []string{"init", "--out", out + ".2"})
	if code != 1 || !strings.Contains(e2.String(), "GitLab group nobody not found (404), or the token cannot see it") {
		t.Errorf("unknown group: exit %d %s", code, e2.String())
	}
}
