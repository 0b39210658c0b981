package engine

import (
	"slices"
	"strings"

	"github.com/tach-dev/tach/metrics"
	"github.com/tach-dev/tach/store"
)

// Teams by people (docs/metrics.md, "Teams by people"): a team with
// members is also the changes its people author in every repo that is
// not the team's as a whole. Each such repo joins the scope as a module
// claimed by authors instead of paths, so that the module machinery —
// rows narrowed by metrics.ModuleDataset: the changes, the deployments
// that shipped them, their incidents and CI runs — serves both.

// membersModule names the part of a repo that a team's people wrote.
func membersModule(team string) string { return "members of " + team }

// memberModules are the modules of a team's people: one per repo that is
// not whole in the scope.
func memberModules(t store.Team, repos []store.Repo, whole []int64) []ResolvedModule {
	if len(t.Members) == 0 {
		return nil
	}
	authors := make([]string, len(t.Members))
	for i, m := range t.Members {
		authors[i] = strings.ToLower(m)
	}
	slices.Sort(authors)
	var out []ResolvedModule
	for _, r := range repos {
		if !slices.Contains(whole, r.ID) {
			out = append(out, ResolvedModule{RepoID: r.ID, Repo: r.Name, Name: membersModule(t.Name), Authors: authors})
		}
	}
	return out
}

// authorLines adds to touching the changes of ds written by the authors
// of mods, each with all its lines.
func authorLines(ds metrics.Dataset, mods []ResolvedModule, touching map[int64]metrics.ModuleLines) map[int64]metrics.ModuleLines {
	authors := map[string]bool{}
	for _, m := range mods {
		for _, a := range m.Authors {
			authors[a] = true
		}
	}
	if len(authors) == 0 {
		return touching
	}
	if touching == nil {
		touching = map[int64]metrics.ModuleLines{}
	}
	for _, c := range ds.Changes {
		if authors[strings.ToLower(c.Author)] {
			touching[c.ID] = metrics.ModuleLines{Additions: c.Additions, Deletions: c.Deletions}
		}
	}
	return touching
}

// pathModules are the modules of mods claimed by paths.
func pathModules(mods []ResolvedModule) []ResolvedModule {
	return slices.DeleteFunc(slices.Clone(mods), func(m ResolvedModule) bool { return len(m.Authors) > 0 })
}
