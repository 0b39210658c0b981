package metrics

import "strings"

// ModuleLines are a change's lines in a module: the additions and
// deletions of its files there (docs/metrics.md, "Modules": a change's
// size in a module).
type ModuleLines struct {
	Additions, Deletions int
}

// ModuleDataset narrows a repo's dataset (rows Derive has annotated, with
// each deployment's ChangeIDs) to one module by the rules of
// docs/metrics.md, "Modules":
//   - the changes that touch the module (the keys of touching), each with
//     its size in the module;
//   - the production deployments that ship at least one non-bot change
//     touching it, and the failed attempts whose range holds one (by its
//     merge or squash commit, among the changes of ds);
//   - the incidents attributed to those deployments;
//   - the CI runs of those changes: the runs on a change's merge or squash
//     commit.
//
// A deployment keeps its own outcome (failed, rework, recovery): a
// failure of a deployment that ships several modules is a failure of each.
func ModuleDataset(ds Dataset, touching map[int64]ModuleLines, r Rules) Dataset {
	var out Dataset
	shas := map[string]bool{}
	nonBot := map[int64]bool{}
	for _, c := range ds.Changes {
		lines, ok := touching[c.ID]
		if !ok {
			continue
		}
		c.Additions, c.Deletions = lines.Additions, lines.Deletions
		out.Changes = append(out.Changes, c)
		for _, sha := range []string{c.MergeSHA, c.SquashSHA} {
			if sha != "" {
				shas[strings.ToLower(sha)] = true
			}
		}
		if !r.IsBotChange(c) {
			nonBot[c.ID] = true
		}
	}
	nonBotSHA := map[string]bool{}
	for _, c := range out.Changes {
		if nonBot[c.ID] {
			for _, sha := range []string{c.MergeSHA, c.SquashSHA} {
				if sha != "" {
					nonBotSHA[strings.ToLower(sha)] = true
				}
			}
		}
	}
	kept := map[int64]bool{}
	for _, d := range ds.Deployments {
		ships := false
		for _, id := range d.ChangeIDs {
			ships = ships || nonBot[id]
		}
		if !ships && d.FailedAttempt {
			for _, sha := range d.RangeSHAs {
				ships = ships || nonBotSHA[strings.ToLower(sha)]
			}
		}
		if !ships {
			continue
		}
		kept[d.ID] = true
		ids := d.ChangeIDs[:0:0]
		for _, id := range d.ChangeIDs {
			if _, ok := touching[id]; ok {
				ids = append(ids, id)
			}
		}
		d.ChangeIDs = ids
		out.Deployments = append(out.Deployments, d)
	}
	for _, in := range ds.Incidents {
		if in.DeploymentID != 0 && kept[in.DeploymentID] {
			out.Incidents = append(out.Incidents, in)
		}
	}
	for _, run := range ds.CIRuns {
		if run.SHA != "" && shas[strings.ToLower(run.SHA)] {
			out.CIRuns = append(out.CIRuns, run)
		}
	}
	return out
}
