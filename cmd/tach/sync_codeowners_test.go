package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tach-dev/tach/collectors/github/githubtest"
	gt "github.com/tach-dev/tach/collectors/gitlab/gitlabtest"
	"github.com/tach-dev/tach/store"
)

// modules: {from: codeowners} reads the repo's CODEOWNERS file at each
// sync — one request, 304 when unchanged — and makes one module per owner.
func TestSyncModulesFromCodeowners(t *testing.T) {
	srv := githubtest.New(t)
	r := srv.AddRepo("acme/shop")
	r.Files = map[string]string{".github/CODEOWNERS": "# owners\n*  @acme/everyone\n/checkout/  @acme/checkout\n/payments/ @acme/payments @alice\n"}
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "tach.yaml")
	cfg := fmt.Sprintf("database: tach.db\ngithub:\n  token: %s\n  base_url: %s\nrepos:\n  - github: acme/shop\n    modules: {from: codeowners}\n",
		githubtest.DefaultToken, srv.BaseURL())
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	sync := func() {
		t.Helper()
		var out, errOut bytes.Buffer
		if code := run(context.Background(), &cli{stdout: &out, stderr: &errOut}, []string{"sync", "--config", cfgFile}); code != 0 {
			t.Fatalf("tach sync exited %d\n%s\n%s", code, out.String(), errOut.String())
		}
	}
	modules := func() []string {
		t.Helper()
		st, err := store.OpenExisting(context.Background(), filepath.Join(dir, "tach.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		mods, err := st.Modules(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, m := range mods {
			out = append(out, m.Name+"="+strings.Join(m.Paths, ","))
		}
		return out
	}

	sync()
	want := []string{"@acme/everyone=**", "@acme/checkout=checkout/**", "@acme/payments=payments/**", "@alice=payments/**"}
	if got := modules(); !slices.Equal(got, want) {
		t.Errorf("modules %v, want %v", got, want)
	}
	// .github/CODEOWNERS is the first place looked: one request.
	if n := srv.Requests("contents"); n != 1 {
		t.Errorf("%d CODEOWNERS requests, want 1", n)
	}

	// Unchanged: one conditional request, answered 304.
	srv.ResetCounts()
	sync()
	if n, nm := srv.Requests("contents"), srv.NotModified(); n != 1 || nm < 1 {
		t.Errorf("re-sync: %d CODEOWNERS requests (%d not modified), want 1 answered 304", n, nm)
	}

	// Moved to docs/ with a new owner: found there, the modules follow.
	srv.Edit(func() { r.Files = map[string]string{"docs/CODEOWNERS": "/search/ @acme/search\n"} })
	sync()
	if got := modules(); !slices.Equal(got, []string{"@acme/search=search/**"}) {
		t.Errorf("after the move: %v", got)
	}
	var out bytes.Buffer
	run(context.Background(), &cli{stdout: &out, stderr: &out}, []string{"report", "metrics", "--config", cfgFile, "--module", "acme/shop:@acme/search"})
	if !strings.Contains(out.String(), "acme/shop:@acme/search") {
		t.Errorf("a report of a CODEOWNERS module:\n%s", out.String())
	}
}

// GitLab: the same from its repository files API, in GitLab's locations
// and with its sections.
func TestSyncGitLabModulesFromCodeowners(t *testing.T) {
	srv := gt.New(t)
	srv.Token = "x"
	p := srv.AddProject(billingHistory(weekStart()))
	p.Files = map[string]string{"docs/CODEOWNERS": "[Ledger][2] @acme/ledger\n/ledger/\n^[Docs]\n*.md @alice\n"}
	db := filepath.Join(t.TempDir(), "tach.db")
	cfg := writeConfigFor(t, db, fmt.Sprintf("gitlab:\n  token: x\n  base_url: %s\nrepos:\n  - gitlab: acme/platform/billing\n    modules: {from: codeowners}\n", srv.BaseURL()))
	tachRun(t, "sync", "--config", cfg)
	const route = "GET /projects/:id/repository/files/:file_path"
	if n := srv.Requests(route); n != 2 {
		t.Errorf("%d CODEOWNERS requests, want 2 (the root, then docs/)", n)
	}
	st, err := store.OpenExisting(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	mods, err := st.Modules(context.Background())
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range mods {
		got = append(got, m.Name+"="+strings.Join(m.Paths, ","))
	}
	if want := []string{"@acme/ledger=ledger/**", "@alice=**/*.md"}; !slices.Equal(got, want) {
		t.Errorf("modules %v, want %v", got, want)
	}
	srv.ResetCounts()
	tachRun(t, "sync", "--config", cfg)
	if n := srv.Requests(route); n != 1 {
		t.Errorf("re-sync: %d CODEOWNERS requests, want 1 (answered 304)", n)
	}
}
