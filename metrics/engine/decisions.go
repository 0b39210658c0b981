package engine

import (
	"context"
	"slices"

	"github.com/tach-dev/tach/store"
)

// decisionsFor returns the decisions that concern a scope, oldest first: a
// decision about everything concerns every scope; one about a team or some
// repos concerns a scope that shares a repo with it. A scope of every repo
// is concerned by every decision.
//
// (Reconstructed by the decision-impact work after this file was
// overwritten by mistake; same name, signature and behaviour as view.go and
// web's tests expect.)
func (rp *Reports) decisionsFor(ctx context.Context, r Resolved, teams []store.Team) ([]store.Decision, error) {
	all, err := rp.st.Decisions(ctx)
	if err != nil {
		return nil, err
	}
	everything := r.Team == "" && len(r.Scope.Repos) == 0 && len(r.Modules) == 0
	names := slices.Clone(r.Names)
	for _, m := range r.Modules {
		names = append(names, m.Repo)
	}
	var out []store.Decision
	for _, d := range all {
		if everything || concerns(d, names, teams) {
			out = append(out, d)
		}
	}
	return out, nil
}

// concerns reports whether a decision's scope shares a repo with names.
func concerns(d store.Decision, names []string, teams []store.Team) bool {
	repos := slices.Clone(d.ScopeRepos)
	for _, ref := range d.ScopeModules {
		if repo, _, ok := SplitModuleRef(ref); ok {
			repos = append(repos, repo)
		}
	}
	if d.ScopeTeam != "" {
		i := slices.IndexFunc(teams, func(t store.Team) bool { return t.Name == d.ScopeTeam })
		if i < 0 {
			return false
		}
		repos = teams[i].Repos
	} else if len(repos) == 0 {
		return true // everything
	}
	for _, n := range names {
		if slices.Contains(repos, n) {
			return true
		}
	}
	return false
}
