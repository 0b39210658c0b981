package query

import (
	"net/url"
	"slices"
	"strings"
)

// Scope is what a report covers: every repo (nothing named), a team, or
// some repos. It has engine.Scope's fields, which converts from it.
type Scope struct {
	Repos []string // names; empty with no team means every repo
	Team  string
}

// Scope reads team and repo (repeatable, or comma-separated).
func (s Surface) Scope(v url.Values) (Scope, error) {
	return s.scope(v, "team", "repo", "view")
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
