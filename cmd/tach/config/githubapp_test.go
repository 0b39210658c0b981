package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestGitHubApp(t *testing.T) {
	const pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIEsecret\n-----END RSA PRIVATE KEY-----\n"
	c := mustParse(t, doc(
		"github:",
		"  base_url: https://ghe.example.com/api/v3",
		"  app:",
		"    id: 123456",
		"    private_key: ${APP_KEY}",
		"    installation_id: 7654321",
		"repos: [{github: acme/api}]",
	), env("APP_KEY", strings.ReplaceAll(pem, "\n", `\n`), "GITHUB_TOKEN", "ghp_fromenv"))
	a := c.GitHub.App
	if a == nil || a.ID != 123456 || a.InstallationID != 7654321 || a.Line != 3 {
		t.Fatalf("app = %+v", a)
	}
	if key, err := a.Key(); err != nil || string(key) != pem {
		t.Errorf("Key() = %q, %v; want the PEM with its newlines back", key, err)
	}
	if !c.GitHub.Token.Empty() {
		t.Error("with an app, GITHUB_TOKEN was read as the token")
	}
	if err := c.CheckSync(); err != nil {
		t.Errorf("CheckSync with an app and no token: %v", err)
	}

	// A key file is read relative to the config file.
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "app.pem"), []byte(pem), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := parse(doc("github:", "  app: {id: 1, private_key_file: app.pem}", "repos: [{github: acme/api}]"), filepath.Join(dir, "tach.yaml"), env())
	if err != nil {
		t.Fatal(err)
	}
	if key, err := c.GitHub.App.Key(); err != nil || string(key) != pem {
		t.Errorf("Key() from the file = %q, %v", key, err)
	}
	if err := c.CheckSync(); err != nil {
		t.Errorf("CheckSync: %v", err)
	}
	os.Remove(filepath.Join(dir, "app.pem"))
	if err := c.CheckSync(); err == nil || !strings.Contains(err.Error(), "github.app.private_key_file: "+filepath.Join(dir, "app.pem")+" does not exist") {
		t.Errorf("CheckSync without the file: %v", err)
	}

	c = mustParse(t, doc("github:", "  app: {id: 1, private_key: '${APP_KEY}'}", "repos: [{github: acme/api}]"), env())
	if err := c.CheckSync(); err == nil || !strings.Contains(err.Error(), "tach.yaml:2: github.app.private_key: environment variable APP_KEY is not set") {
		t.Errorf("CheckSync with the key's variable unset: %v", err)
	}
}

func TestGitHubAppMistakes(t *testing.T) {
	for _, c := range []struct {
		yaml []string
		want string
	}{
		{[]string{"github:", "  app: {private_key_file: a.pem}"}, "tach.yaml:2: github.app.id: required"},
		{[]string{"github:", "  app: {id: abc, private_key_file: a.pem}"}, `tach.yaml:2: github.app.id: "abc" is not the app's id`},
		{[]string{"github:", "  app: {id: 5}"}, "tach.yaml:2: github.app: names no private key"},
		{[]string{"github:", "  app: {id: 5, private_key_file: a.pem, private_key: x}"}, "github.app.private_key: is set along with private_key_file"},
		{[]string{"github:", "  token: t", "  app: {id: 5, private_key_file: a.pem}"}, "tach.yaml:2: github.token: is set along with github.app"},
		{[]string{"github:", "  app: {id: 5, private_key_file: a.pem, installation_id: -3}"}, "github.app.installation_id: \"-3\" is not an installation id"},
		{[]string{"gitlab:", "  app: {id: 5}"}, `gitlab: unknown key "app"`},
	} {
		_, err := parse(doc(c.yaml...), "tach.yaml", env())
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s:\n got %v\nwant %s", strings.Join(c.yaml, " / "), err, c.want)
		}
	}
	// The key's value never shows in an error.
	_, err := parse(doc("github:", "  app: {id: x, private_key: '-----BEGIN KEY-----topsecret'}"), "tach.yaml", env())
	if err == nil || strings.Contains(err.Error(), "topsecret") {
		t.Errorf("err = %v", err)
	}
}
