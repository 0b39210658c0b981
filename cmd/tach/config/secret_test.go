package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

const (
	tokenValue = "ghp_SuperSecretTokenValue42"
	hookValue  = "webhook-SuperSecret-99"
)

func secretConfig(t *testing.T) *Config {
	t.Helper()
	return mustParse(t, doc(
		"repos: [{github: acme/api}, {gitlab: acme/x}]",
		"github: {token: '${TOK}'}",
		"gitlab: {token: "+tokenValue+"x}",
		"webhooks: {github_secret: "+hookValue+", gitlab_token: '${HOOK}'}",
	), env("TOK", tokenValue, "HOOK", hookValue+"y"))
}

func TestSecretRedacted(t *testing.T) {
	s := NewSecret(tokenValue)
	if s.Reveal() != tokenValue {
		t.Fatalf("Reveal = %q", s.Reveal())
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%10s", "%-8v"} {
		for _, v := range []any{s, &s} {
			out := fmt.Sprintf(verb, v)
			if strings.Contains(out, tokenValue) || strings.Contains(out, "SuperSecret") || !strings.Contains(out, "[redacted]") {
				t.Errorf("Sprintf(%q, %T) = %q", verb, v, out)
			}
		}
	}
	if s.String() != "[redacted]" || s.GoString() != "[redacted]" {
		t.Error("String/GoString")
	}
	if b, _ := s.MarshalText(); string(b) != "[redacted]" {
		t.Errorf("MarshalText = %s", b)
	}
	if b, _ := json.Marshal(s); string(b) != `"[redacted]"` {
		t.Errorf("json = %s", b)
	}
	if v := s.LogValue(); v.String() != "[redacted]" {
		t.Errorf("LogValue = %v", v)
	}
	if NewSecret("").Empty() != true || s.Empty() {
		t.Error("Empty")
	}
}

func TestConfigNeverPrintsSecrets(t *testing.T) {
	c := secretConfig(t)
	values := []string{tokenValue, tokenValue + "x", hookValue, hookValue + "y", "SuperSecret"}
	leak := func(what, out string) {
		t.Helper()
		for _, v := range values {
			if strings.Contains(out, v) {
				t.Errorf("%s shows a secret: %s", what, out)
				return
			}
		}
		if !strings.Contains(out, "[redacted]") {
			t.Errorf("%s does not show [redacted]: %s", what, out)
		}
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%q"} {
		leak("Sprintf("+verb+", *Config)", fmt.Sprintf(verb, c))
		leak("Sprintf("+verb+", Config)", fmt.Sprintf(verb, *c))
		leak("Sprintf("+verb+", API)", fmt.Sprintf(verb, c.GitHub))
		leak("Sprintf("+verb+", Webhooks)", fmt.Sprintf(verb, c.Webhooks))
	}
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	leak("json", string(b))
	y, err := yaml.Marshal(c.Webhooks)
	if err != nil {
		t.Fatal(err)
	}
	leak("yaml", string(y))

	for name, h := range map[string]func(*bytes.Buffer) slog.Handler{
		"text": func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) },
		"json": func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) },
	} {
		var buf bytes.Buffer
		log := slog.New(h(&buf))
		log.Info("config", "token", c.GitHub.Token, "hook", c.Webhooks.GitLabToken, "github", c.GitHub, "cfg", c)
		log.Info("group", slog.Group("g", slog.Any("secret", c.Webhooks.GitHubSecret)))
		leak("slog "+name, buf.String())
	}
	// The secrets are still there for whoever needs them.
	if c.GitHub.Token.Reveal() != tokenValue || c.Webhooks.GitLabToken.Reveal() != hookValue+"y" {
		t.Error("Reveal lost the values")
	}
}
