package engine

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/tach-dev/tach/metrics"
	"github.com/tach-dev/tach/metrics/radar"
	"github.com/tach-dev/tach/store"
)

// Modules: scopes inside a repo (docs/metrics.md, "Modules"). A module is
// a set of path globs; its changes are found by matching the globs
// against the repo's path dictionary once, then joining (store:
// LinesInPaths). A module's figures come from rows, narrowed by
// metrics.ModuleDataset: rollups are per repo.

// Unassigned is the module of the paths no named module of a repo claims.
const Unassigned = radar.Unassigned

// ResolvedModule is one module of a scope.
type ResolvedModule struct {
	RepoID int64
	Repo   string
	Name   string
	// Paths are its globs; for Unassigned, none: it is what the repo's
	// other modules (Others) do not claim.
	Paths  []string
	Others [][]string
	// Authors, when set, claim the changes written by these people (a
	// team's members, lower-case and sorted; members.go) instead of paths.
	Authors []string
}

// Ref is the module as a scope names it: REPO:NAME.
func (m ResolvedModule) Ref() string { return m.Repo + ":" + m.Name }

// Matches reports whether the module claims path.
func (m ResolvedModule) Matches(path string) bool {
	if len(m.Authors) > 0 {
		return false // a team's people: claimed by author, not path
	}
	if m.Name == Unassigned {
		for _, globs := range m.Others {
			if matchAny(globs, path) {
				return false
			}
		}
		return true
	}
	return matchAny(m.Paths, path)
}

func matchAny(globs []string, path string) bool {
	for _, g := range globs {
		if ok, _ := doublestar.Match(g, path); ok {
			return true
		}
	}
	return false
}

// SplitModuleRef splits REPO:NAME at its last colon.
func SplitModuleRef(ref string) (repo, name string, ok bool) {
	i := strings.LastIndexByte(ref, ':')
	if i <= 0 || i == len(ref)-1 {
		return "", "", false
	}
	return ref[:i], ref[i+1:], true
}

// resolveModules turns REPO:NAME refs into modules of the repos in the
// database, or says which is unknown.
func resolveModules(refs []string, repos map[string]store.Repo, mods []store.Module, lenient bool) ([]ResolvedModule, error) {
	var out []ResolvedModule
	for _, ref := range refs {
		if lenient {
			if _, err := resolveModules([]string{ref}, repos, mods, false); err != nil {
				continue
			}
		}
		repo, name, ok := SplitModuleRef(ref)
		if !ok {
			return nil, fmt.Errorf("%w: %q is not a module: write REPO:NAME, such as acme/shop:checkout", ErrUnknownScope, ref)
		}
		r, ok := repos[repo]
		if !ok {
			return nil, fmt.Errorf("%w: repo %q of module %q is not in the database", ErrUnknownScope, repo, ref)
		}
		var own []store.Module
		for _, m := range mods {
			if m.RepoID == r.ID {
				own = append(own, m)
			}
		}
		var names []string
		m := ResolvedModule{RepoID: r.ID, Repo: r.Name, Name: name}
		found := false
		for _, o := range own {
			names = append(names, o.Name)
			if o.Name == name {
				m.Paths, found = o.Paths, true
			}
			m.Others = append(m.Others, o.Paths)
		}
		if name == Unassigned && len(own) > 0 {
			found = true
		} else {
			m.Others = nil
		}
		if !found {
			if len(own) == 0 {
				return nil, fmt.Errorf("%w: repo %s has no modules (give it modules in the config, then sync)", ErrUnknownScope, r.Name)
			}
			return nil, fmt.Errorf("%w: repo %s has no module %q (modules: %s, %s)", ErrUnknownScope, r.Name, name, strings.Join(names, ", "), Unassigned)
		}
		if !slices.ContainsFunc(out, func(x ResolvedModule) bool { return x.Ref() == m.Ref() }) {
			out = append(out, m)
		}
	}
	slices.SortFunc(out, func(a, b ResolvedModule) int { return strings.Compare(a.Ref(), b.Ref()) })
	return out, nil
}

// ModuleList returns every module of the repos in the database, by repo
// name then in the config's order, with each repo's Unassigned last.
func (rp *Reports) ModuleList(ctx context.Context) ([]ResolvedModule, error) {
	m, _, _, err := rp.meta(ctx)
	if err != nil {
		return nil, err
	}
	return allModules(m.repos, m.modules), nil
}

// ScopeChoices returns the teams, every repo's name, sorted, and every
// module's REPO:NAME: what a filter offers, made once per generation
// (shared: read only).
func (rp *Reports) ScopeChoices(ctx context.Context) (teams []store.Team, repos, modules []string, err error) {
	m, _, _, err := rp.meta(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	repos, modules = m.lists()
	return m.teams, repos, modules, nil
}

func allModules(repos []store.Repo, mods []store.Module) []ResolvedModule {
	var out []ResolvedModule
	byRepo := map[int64][]store.Module{}
	for _, m := range mods {
		byRepo[m.RepoID] = append(byRepo[m.RepoID], m)
	}
	sorted := slices.Clone(repos)
	slices.SortFunc(sorted, func(a, b store.Repo) int { return strings.Compare(a.Name, b.Name) })
	for _, r := range sorted {
		own := byRepo[r.ID]
		if len(own) == 0 {
			continue
		}
		var others [][]string
		for _, m := range own {
			out = append(out, ResolvedModule{RepoID: r.ID, Repo: r.Name, Name: m.Name, Paths: m.Paths})
			others = append(others, m.Paths)
		}
		out = append(out, ResolvedModule{RepoID: r.ID, Repo: r.Name, Name: Unassigned, Others: others})
	}
	return out
}

// moduleLines finds the changes touching any of mods (all of one repo),
// each with its lines in them: the path dictionary matched once.
func (rp *Reports) moduleLines(ctx context.Context, repoID int64, mods []ResolvedModule) (map[int64]metrics.ModuleLines, error) {
	paths, err := rp.st.RepoPaths(ctx, repoID)
	if err != nil {
		return nil, err
	}
	var ids []int64
	for id, p := range paths {
		for _, m := range mods {
			if m.Matches(p) {
				ids = append(ids, id)
				break
			}
		}
	}
	slices.Sort(ids)
	lines, err := rp.st.LinesInPaths(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]metrics.ModuleLines, len(lines))
	for id, l := range lines {
		out[id] = metrics.ModuleLines{Additions: l.Additions, Deletions: l.Deletions}
	}
	return out, nil
}

// ModulePathIDs are the ids of the paths (in their repos' dictionaries)
// that the scope's modules claim: what the lists filter their rows by.
func (rp *Reports) ModulePathIDs(ctx context.Context, r Resolved) ([]int64, error) {
	var out []int64
	ids, by := modulesByRepo(r.Modules)
	for _, id := range ids {
		paths, err := rp.st.RepoPaths(ctx, id)
		if err != nil {
			return nil, err
		}
		for pid, p := range paths {
			if slices.ContainsFunc(by[id], func(m ResolvedModule) bool { return m.Matches(p) }) {
				out = append(out, pid)
			}
		}
	}
	slices.Sort(out)
	return out, nil
}

// byRepo groups modules by repo, in order of their repos' ids.
func modulesByRepo(mods []ResolvedModule) (ids []int64, by map[int64][]ResolvedModule) {
	by = map[int64][]ResolvedModule{}
	for _, m := range mods {
		if _, ok := by[m.RepoID]; !ok {
			ids = append(ids, m.RepoID)
		}
		by[m.RepoID] = append(by[m.RepoID], m)
	}
	slices.Sort(ids)
	return ids, by
}

// moduleData loads the rows of a scope's modules over [lo, hi) (as
// Dataset reads a window), narrowed to the modules: per repo, the union
// of its modules in the scope.
func (rp *Reports) moduleData(ctx context.Context, mods []ResolvedModule, w metrics.Window) (metrics.Dataset, error) {
	var out metrics.Dataset
	ids, by := modulesByRepo(mods)
	for _, id := range ids {
		var touching map[int64]metrics.ModuleLines
		if paths := pathModules(by[id]); len(paths) > 0 {
			var err error
			if touching, err = rp.moduleLines(ctx, id, paths); err != nil {
				return out, fmt.Errorf("module rows: %w", err)
			}
		}
		ds, err := rp.Dataset(ctx, Resolved{IDs: []int64{id}}, w)
		if err != nil {
			return out, fmt.Errorf("module rows: %w", err)
		}
		touching = authorLines(ds, by[id], touching)
		md := metrics.ModuleDataset(ds, touching, rp.rules)
		out.Changes = append(out.Changes, md.Changes...)
		out.Deployments = append(out.Deployments, md.Deployments...)
		out.Incidents = append(out.Incidents, md.Incidents...)
		out.CIRuns = append(out.CIRuns, md.CIRuns...)
	}
	return out, nil
}

// moduleRepoIDs are the ids of the repos of a scope's modules.
func moduleRepoIDs(mods []ResolvedModule) []int64 {
	ids, _ := modulesByRepo(mods)
	return ids
}
