// Package engine is where the store meets the metrics. It serves three
// services, each named for what its consumers ask of it:
//
//   - Reports (reports.go, view.go, weekly.go): reports and views of a
//     scope over a window, from the repos' rollups of facts (rollup.go),
//     with the page cache (cache.go) and the rows behind the figures
//     (rows.go); the weekly review. The pages, the CLI's reports and the
//     DORA gauges ask it.
//   - DecisionLog (decisions_log.go, compare.go, candidates.go): the
//     decisions, checked one way for the CLI and the web, comparisons
//     around them, and the decisions the data suggests. It reads scopes and
//     rows through a Reports.
//   - Deriver (derive.go): the derive step (which deployment shipped each
//     change, which incidents belong to which deployment, failures,
//     rollbacks, rework), written back with each repo's rollup. A sync
//     asks it after writing rows.
//
// The pure packages of metrics compute; this one loads what they need and
// writes back what the derive step finds.
package engine

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/tach-dev/tach/store"
)

// Scope is what a report covers: every repo, one team, or some repos
// and modules.
type Scope struct {
	Repos   []string // names; empty with no team and no module means every repo
	Team    string
	Modules []string // REPO:NAME
}

// ErrUnknownScope is wrapped by errors about a repo or team that is not in
// the database.
var ErrUnknownScope = errors.New("unknown scope")

// Resolved is a scope turned into repo ids and names.
type Resolved struct {
	Scope
	IDs   []int64 // the whole repos
	Names []string
	// Modules are the modules of the scope whose repo is not in it as a
	// whole, by REPO:NAME.
	Modules []ResolvedModule

	reposKey *string // reposKey's part of the repos and modules, made once by resolve
}

// touchedRepos are the names of the repos the scope reads: its whole
// repos and its modules' repos.
func (r Resolved) touchedRepos() []string {
	out := slices.Clone(r.Names)
	for _, m := range r.Modules {
		out = append(out, m.Repo)
	}
	return out
}

// ModuleRefs are the scope's modules as REPO:NAME, sorted.
func (r Resolved) ModuleRefs() []string {
	out := make([]string, len(r.Modules))
	for i, m := range r.Modules {
		out[i] = m.Ref()
	}
	return out
}

func resolve(sc Scope, repos []store.Repo, teams []store.Team, mods []store.Module) (Resolved, error) {
	byName := make(map[string]store.Repo, len(repos))
	for _, r := range repos {
		byName[r.Name] = r
	}
	want := sc.Repos
	refs := sc.Modules
	lenient := false // a team's modules not synced yet are left out, not an error
	if sc.Team != "" {
		i := slices.IndexFunc(teams, func(t store.Team) bool { return t.Name == sc.Team })
		if i < 0 {
			names := make([]string, len(teams))
			for j, t := range teams {
				names[j] = t.Name
			}
			return Resolved{}, fmt.Errorf("%w: team %q is not configured (teams: %s)", ErrUnknownScope, sc.Team, orNone(names))
		}
		if len(want) == 0 && len(refs) == 0 {
			want, refs, lenient = teams[i].Repos, teams[i].Modules, true
		} else {
			// --team and --repo together: the team's repos among those named.
			want = slices.DeleteFunc(slices.Clone(want), func(n string) bool { return !slices.Contains(teams[i].Repos, n) })
		}
	}
	if len(want) == 0 && sc.Team == "" && len(refs) == 0 {
		for _, r := range repos {
			want = append(want, r.Name)
		}
	}
	res := Resolved{Scope: sc}
	for _, n := range want {
		r, ok := byName[n]
		if !ok {
			names := make([]string, 0, len(repos))
			for _, r := range repos {
				names = append(names, r.Name)
			}
			return Resolved{}, fmt.Errorf("%w: repo %q is not in the database (repos: %s)", ErrUnknownScope, n, orNone(names))
		}
		if !slices.Contains(res.IDs, r.ID) {
			res.IDs = append(res.IDs, r.ID)
			res.Names = append(res.Names, r.Name)
		}
	}
	sort.Strings(res.Names)
	ms, err := resolveModules(refs, byName, mods, lenient)
	if err != nil {
		return Resolved{}, err
	}
	for _, m := range ms {
		if !slices.Contains(res.IDs, m.RepoID) { // a whole repo holds its modules
			res.Modules = append(res.Modules, m)
		}
	}
	if sc.Team != "" && lenient { // the team's people, in the repos it does not hold whole (members.go)
		i := slices.IndexFunc(teams, func(t store.Team) bool { return t.Name == sc.Team })
		res.Modules = append(res.Modules, memberModules(teams[i], repos, res.IDs)...)
	}
	key := scopeReposKey(res)
	res.reposKey = &key
	return res, nil
}

func orNone(names []string) string {
	if len(names) == 0 {
		return "none yet"
	}
	// An organisation of a thousand repos: the first few are enough to
	// see the spelling.
	const shown = 20
	if len(names) > shown {
		return strings.Join(names[:shown], ", ") + fmt.Sprintf(", … (%d in all)", len(names))
	}
	return strings.Join(names, ", ")
}
