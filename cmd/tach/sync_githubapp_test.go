package main

import (
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tach-dev/tach/collectors/github/githubtest"
)

// TestSyncAsGitHubApp: a config that signs in as a GitHub App syncs a
// GitHub Enterprise Server (base_url) with installation tokens; the app's
// key of another app is refused with one line saying what GitHub said,
// and never printed.
func TestSyncAsGitHubApp(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	srv := githubtest.New(t)
	srv.SetToken("nobody's token")
	srv.SetApp(githubtest.App{ID: 31337, Key: &key.PublicKey})
	srv.Install("acme", false)
	srv.AddRepo("acme/shop").Generate(githubtest.History{PRs: 5, Deployments: 2})
	srv.AddRepo("acme/web").Generate(githubtest.History{PRs: 3, Deployments: 1})

	dir := t.TempDir()
	write := func(name string, data []byte) string {
		f := filepath.Join(dir, name)
		if err := os.WriteFile(f, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return f
	}
	write("app.pem", githubtest.EncodePrivateKey(key))
	write("other.pem", githubtest.EncodePrivateKey(other))
	config := func(pem string) string {
		return write("tach.yaml", fmt.Appendf(nil, "database: tach.db\ngithub:\n  base_url: %s\n  app:\n    id: 31337\n    private_key_file: %s\nrepos:\n  - github: acme/shop\n  - github: acme/web\n", srv.BaseURL(), pem))
	}

	t.Setenv("GITHUB_TOKEN", "") // an app needs no token
	code, out, errOut := tach(t, "sync", "--config", config("app.pem"))
	if code != 0 {
		t.Fatalf("sync as the app: exit %d\n%s%s", code, out, errOut)
	}
	if got := srv.TokensIssued(); got != 1 {
		t.Errorf("installation tokens = %d, want 1 for the one installation", got)
	}
	code, out, _ = tach(t, "report", "metrics", "--config", config("app.pem"), "--format", "json")
	if code != 0 || !strings.Contains(out, `"acme/shop"`) || !strings.Contains(out, `"merged": `) {
		t.Errorf("report after the app's sync: exit %d\n%s", code, out)
	}

	code, out, errOut = tach(t, "sync", "--config", config("other.pem"))
	all := out + errOut
	if code != 1 || !strings.Contains(all, `GitHub said "A JSON web token could not be decoded"`) || !strings.Contains(all, "check github.app.id") {
		t.Errorf("another app's key: exit %d\n%s", code, all)
	}
	if strings.Contains(all, "PRIVATE KEY") {
		t.Errorf("the key was printed:\n%s", all)
	}
}
