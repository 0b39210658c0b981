package config

import (
	"errors"
	"fmt"
	"strings"
)

// CheckSync reports, before any request is made, what would stop a sync:
// no repos at all, or a provider with repos whose token is empty or comes
// from an environment variable that is not set. Its errors name the key,
// line and variable, never the token.
func (c *Config) CheckSync() error {
	if len(c.Repos) == 0 {
		return errors.Join(&Error{File: c.File, Key: "repos", Msg: "no repos are configured; add an entry such as \"- github: acme/api\", \"- gitlab: acme/platform/billing\" or \"- gitlab_group: acme/platform\""})
	}
	var errs []error
	for _, x := range []struct {
		prov   Provider
		secret Secret
	}{{GitHub, c.GitHub.Token}, {GitLab, c.GitLab.Token}} {
		r, ok := c.firstRepo(x.prov)
		switch {
		case !ok:
		case x.prov == GitHub && c.GitHub.App != nil:
			if err := c.checkApp(); err != nil {
				errs = append(errs, err)
			}
		case x.secret.Empty():
			errs = append(errs, c.missingSecret(x.secret, "token", r))
		}
	}
	return errors.Join(errs...)
}

// CheckWebhooks reports, for each provider with repos, a webhook secret
// that is empty or comes from an environment variable that is not set.
// The server calls it before accepting that provider's webhooks: a webhook
// endpoint without a secret would accept anyone's requests.
func (c *Config) CheckWebhooks() error {
	var errs []error
	for _, x := range []struct {
		prov   Provider
		secret Secret
	}{{GitHub, c.Webhooks.GitHubSecret}, {GitLab, c.Webhooks.GitLabToken}} {
		if r, ok := c.firstRepo(x.prov); ok && x.secret.Empty() {
			errs = append(errs, c.missingSecret(x.secret, "secret", r))
		}
	}
	return errors.Join(errs...)
}

func (c *Config) firstRepo(p Provider) (Repo, bool) {
	for _, r := range c.Repos {
		if r.Provider == p {
			return r, true
		}
	}
	return Repo{}, false
}

// missingSecret explains an empty secret that r's provider needs. what is
// "token" or "secret".
func (c *Config) missingSecret(s Secret, what string, r Repo) *Error {
	src := s.src
	if src == nil { // Default() or a Config built in code
		key := string(r.Provider) + ".token"
		if what != "token" {
			key = "webhooks." + string(r.Provider) + map[Provider]string{GitHub: "_secret", GitLab: "_token"}[r.Provider]
		}
		return &Error{File: c.File, Key: key, Msg: fmt.Sprintf("is empty, and %s repo %s needs it; set it", r.Provider.Title(), r.Name)}
	}
	e := &Error{File: c.File, Line: src.line, Key: src.key}
	vars := strings.Join(src.missing, ", ")
	switch {
	case src.implicit && len(src.missing) > 0:
		e.Line = r.Line
		e.Msg = fmt.Sprintf("not set, and neither is environment variable %s that it defaults to; %s repo %s needs a %s, so export %s or set %s in the file",
			vars, r.Provider.Title(), r.Name, what, vars, src.key)
	case src.implicit:
		e.Line = r.Line
		e.Msg = fmt.Sprintf("not set, and environment variable %s that it defaults to is empty; %s repo %s needs a %s, so export %s with the %s or set %s in the file",
			strings.Join(src.refs, ", "), r.Provider.Title(), r.Name, what, strings.Join(src.refs, ", "), what, src.key)
	case len(src.missing) == 1:
		e.Msg = fmt.Sprintf("environment variable %s is not set; export it or put the %s in the file", vars, what)
	case len(src.missing) > 1:
		e.Msg = fmt.Sprintf("environment variables %s are not set; export them or put the %s in the file", vars, what)
	case len(src.refs) > 0:
		e.Msg = fmt.Sprintf("environment variable %s is empty; export the %s in it or put the %s in the file", strings.Join(src.refs, ", "), what, what)
	default:
		e.Msg = fmt.Sprintf("is empty, and %s repo %s needs a %s; put the %s here or write ${%s}", r.Provider.Title(), r.Name, what, what, defaultEnv(src.key))
	}
	return e
}

func defaultEnv(key string) string {
	switch key {
	case "github.token":
		return EnvGitHubToken
	case "gitlab.token":
		return EnvGitLabToken
	case "webhooks.github_secret":
		return EnvGitHubWebhookSecret
	case "webhooks.gitlab_token":
		return EnvGitLabWebhookToken
	}
	return "NAME"
}
