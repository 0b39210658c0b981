package query

import (
	"net/url"
	"slices"
	"strings"
)

// Scope is what a report covers: every repo (nothing named), a team, or
// some repos. It has engine.Scope's fields, which converts from it.
type Scope struct {
	Repos   []string // names; empty with no team and no module means every repo
	Team    string
	Modules []string // REPO:NAME
}

// MaxModules is how many modules one scope names at most.
const MaxModules = 100

// Scope reads team, repo and module (repeatable, or comma-separated).
func (s Surface) Scope(v url.Values) (Scope, error) {
	sc, err := s.scope(v, "team", "repo", "view")
	if err != nil {
		return sc, err
	}
	sc.Modules, err = s.modules(v, "module")
	return sc, err
}

// modules reads REPO:NAME modules from param (repeatable, or
// comma-separated).
func (s Surface) modules(v url.Values, param string) ([]string, error) {
	var out []string
	for _, raw := range v[param] {
		for _, ref := range strings.Split(raw, ",") {
			if ref = strings.TrimSpace(ref); ref == "" {
				continue
			}
			i := strings.LastIndexByte(ref, ':')
			if i <= 0 || i == len(ref)-1 {
				return nil, s.bad(param, "%s %q is not a module: write REPO:NAME, such as %s", s.Name(param), Truncate(ref, quoted), s.Given(param, "acme/shop:checkout"))
			}
			if err := s.name(param, "module", ref); err != nil {
				return nil, err
			}
			if !slices.Contains(out, ref) {
				out = append(out, ref)
			}
		}
	}
	if len(out) > MaxModules {
		return nil, s.bad(param, "%s is given %d times; at most %d modules fit in one scope", s.Name(param), len(out), MaxModules)
	}
	return out, nil
}

// scope reads a scope from the parameters team and repo; in says what
// the scope is of, for the message about too many repos.
func (s Surface) scope(v url.Values, team, repo, in string) (Scope, error) {
	var sc Scope
	if name := get(v, team); name != "" {
		if err := s.name(team, "team", name); err != nil {
			return sc, err
		}
		sc.Team = name
	}
	for _, raw := range v[repo] {
		for _, name := range strings.Split(raw, ",") {
			if name = strings.TrimSpace(name); name == "" {
				continue
			}
			if err := s.name(repo, "repo", name); err != nil {
				return sc, err
			}
			if !slices.Contains(sc.Repos, name) {
				sc.Repos = append(sc.Repos, name)
			}
		}
	}
	if len(sc.Repos) > MaxRepos {
		return sc, s.bad(repo, "%s is given %d times; at most %d repos fit in one %s", s.Name(repo), len(sc.Repos), MaxRepos, in)
	}
	return sc, nil
}

// ScopeValue reads a scope written as one value (a decision's
// before_scope, --scope-before): a query of the scope's parameters
// (team=payments, repo=acme/payments, module=acme/shop:payments, joined
// by &), or for short a bare repo (acme/payments) or module
// (acme/shop:payments).
func (s Surface) ScopeValue(param, value string) (Scope, error) {
	value = strings.TrimSpace(value)
	example := s.Given(param, "module=acme/shop:payments") + " or " + s.Given(param, "repo=acme/payments")
	var v url.Values
	switch {
	case value == "":
		return Scope{}, s.bad(param, "%s is empty: write a scope such as %s", s.Name(param), example)
	case strings.Contains(value, "="):
		var err error
		if v, err = url.ParseQuery(value); err != nil {
			return Scope{}, s.bad(param, "%s %q is not a scope: write one such as %s", s.Name(param), Truncate(value, quoted), example)
		}
		for k := range v {
			if k != "repo" && k != "module" && k != "team" {
				return Scope{}, s.bad(param, "%s %q is not a scope: %s is none of repo, module, team", s.Name(param), Truncate(value, quoted), Truncate(k, quoted))
			}
		}
	case strings.Contains(value, ":"):
		v = url.Values{"module": {value}}
	default:
		v = url.Values{"repo": {value}}
	}
	sc, err := Params.Scope(v)
	if err != nil {
		return Scope{}, s.bad(param, "%s %q: %v", s.Name(param), Truncate(value, quoted), err)
	}
	return sc, nil
}

// FormatScope writes a scope as one value (ScopeValue reads it back).
func FormatScope(sc Scope) string {
	v := url.Values{}
	if sc.Team != "" {
		v.Set("team", sc.Team)
	}
	for _, r := range sc.Repos {
		v.Add("repo", r)
	}
	for _, m := range sc.Modules {
		v.Add("module", m)
	}
	// Slashes and colons read better unescaped, and are safe in a query.
	return strings.NewReplacer("%2F", "/", "%3A", ":").Replace(v.Encode())
}
