package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// EnvGitHubAppKey is the environment variable github.app.private_key is
// often read from (written ${GITHUB_APP_PRIVATE_KEY}; it has no default).
const EnvGitHubAppKey = "GITHUB_APP_PRIVATE_KEY"

var appKeys = []string{"id", "private_key_file", "private_key", "installation_id"}

// GitHubApp is github.app: tach signs in as a GitHub App's installations
// instead of with github.token.
type GitHubApp struct {
	// ID is the app's id.
	ID int64 `json:"id"`
	// InstallationID is the installation used for every repo; 0 finds
	// each owner's installation.
	InstallationID int64 `json:"installation_id,omitempty"`
	// PrivateKey is the key given inline (private_key: ${ENV}); empty when
	// KeyFile is set.
	PrivateKey Secret `json:"private_key"`
	// KeyFile is private_key_file, resolved against the config file's
	// directory.
	KeyFile string `json:"private_key_file,omitempty"`
	// Line is the line of the app's key in the file.
	Line int `json:"-"`
}

// Key returns the app's private key as PEM: the file's contents, or the
// inline value. Its errors name the key and never show the key's
// contents.
func (a *GitHubApp) Key() ([]byte, error) {
	if a.KeyFile != "" {
		b, err := os.ReadFile(a.KeyFile)
		if err != nil {
			var why string
			switch {
			case errors.Is(err, os.ErrNotExist):
				why = "does not exist"
			case errors.Is(err, os.ErrPermission):
				why = "cannot be read by this user"
			default:
				why = "cannot be read"
			}
			return nil, fmt.Errorf("github.app.private_key_file: %s %s; write the path of the .pem file downloaded from the app's settings", a.KeyFile, why)
		}
		return b, nil
	}
	v := a.PrivateKey.Reveal()
	// An environment variable set from a one-line secret store often
	// carries the PEM's newlines as \n.
	if !strings.Contains(v, "\n") && strings.Contains(v, `\n`) {
		v = strings.ReplaceAll(v, `\n`, "\n")
	}
	if strings.TrimSpace(v) == "" {
		src := "github.app.private_key: is empty"
		if a.PrivateKey.src != nil && len(a.PrivateKey.src.missing) > 0 {
			src = fmt.Sprintf("github.app.private_key: environment variable %s is not set", strings.Join(a.PrivateKey.src.missing, ", "))
		}
		return nil, errors.New(src + "; export the app's private key (the .pem file's contents), or use private_key_file")
	}
	return []byte(v), nil
}

// app reads github.app.
func (p *parser) app(e entry, a *API, dir string) {
	const key = "github.app"
	g, ok := p.mapping(e.val, key, appKeys, "id, private_key_file or private_key, and installation_id")
	if !ok {
		return
	}
	app := &GitHubApp{Line: e.key.Line}
	good := true
	if v, ok := g["id"]; ok {
		if app.ID, ok = p.positive(v.val, key+".id", "the app's id (its settings page: App ID), such as 123456"); !ok {
			good = false
		}
	} else {
		p.errorf(e.key, key+".id", "required; write the app's id (its settings page: App ID)")
		good = false
	}
	if v, ok := g["installation_id"]; ok {
		if app.InstallationID, ok = p.positive(v.val, key+".installation_id", "an installation id such as 7654321 (the number at the end of the installation's settings address)"); !ok {
			good = false
		}
	}
	f, hasFile := g["private_key_file"]
	k, hasKey := g["private_key"]
	switch {
	case hasFile && hasKey:
		p.errorf(k.key, key+".private_key", "is set along with private_key_file; keep one")
		good = false
	case hasFile:
		if s, ok := p.str(f.val, key+".private_key_file", "the path of the app's .pem file"); ok {
			app.KeyFile = s.val
			if !filepath.IsAbs(app.KeyFile) {
				app.KeyFile = filepath.Join(dir, app.KeyFile)
			}
		} else {
			good = false
		}
	case hasKey:
		p.secret(k.val, key+".private_key", &app.PrivateKey)
		if v := app.PrivateKey.Reveal(); v != "" {
			p.secrets = append(p.secrets, v)
		}
	default:
		p.errorf(e.key, key, "names no private key; add private_key_file: app.pem, or private_key: ${%s}", EnvGitHubAppKey)
		good = false
	}
	if good {
		a.App = app
	}
}

// positive reads a whole number above zero.
func (p *parser) positive(n *yaml.Node, key, want string) (int64, bool) {
	s, ok := p.scalar(n, key, want, false)
	if !ok {
		return 0, false
	}
	v, err := strconv.ParseInt(strings.TrimSpace(s.val), 10, 64)
	if err != nil || v <= 0 {
		p.errorf(n, key, "%s is not %s%s", quote(s.val), want, s.hint())
		return 0, false
	}
	return v, true
}

// checkApp is CheckSync's check of github.app: its key can be read.
func (c *Config) checkApp() error {
	if _, err := c.GitHub.App.Key(); err != nil {
		return &Error{File: c.File, Line: c.GitHub.App.Line, Msg: err.Error()}
	}
	return nil
}
