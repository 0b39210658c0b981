package metrics

import (
	"cmp"
	"slices"
	"sort"
)

// linkChanges decides which production deployment shipped each merged
// change, sets Change.DeploymentID/DeployedAt and Deployment.ChangeIDs, and
// returns, per deployment index, the indices of the changes it shipped.
//
// Deployments are visited in the order they went live, and a change is
// shipped once, by the first deployment that contains it: a later range that
// repeats it (a new deployment after a rollback) does not ship it again.
//
//   - SourceMerges: a deployment ships the change whose merge or squash sha
//     is its SHA.
//   - LinkCommits: D ships the changes whose merge or squash sha is in
//     D.RangeSHAs (the compare range from the previous production deployment
//     of its environment). With no previous deployment (the first of the
//     synced history) or no fetched range (RangeSHAs nil) it falls back to
//     time.
//   - LinkTime: D ships the changes merged into the default branch after
//     P.CreatedAt and at or before D.CreatedAt, P being the previous
//     production deployment of its environment. The first deployment of an
//     environment ships everything merged at or before it that is not
//     shipped yet: right as long as changes and deployments were synced
//     from the same start, since a change merged after that start cannot
//     have gone out before the first synced deployment.
//
// Time linking and redeploys: a deployment of a sha its environment already
// ran (a re-run, or a rollback) contains nothing new, so by time it ships
// nothing, and P for the deployments after it is the last deployment that
// brought new code. Otherwise a rollback to A would "ship" every change
// merged since the bad deployment, none of which is in A, and they would
// never be shipped by the fix that really carried them.
func linkChanges(changes []Change, tl timeline, rr RepoRules) (shippedBy [][]int) {
	shippedBy = make([][]int, len(tl.deps))

	// Merged changes in merge order; rank orders each deployment's list.
	var merged []int
	for i, c := range changes {
		if !c.MergedAt.IsZero() {
			merged = append(merged, i)
		}
	}
	slices.SortStableFunc(merged, func(a, b int) int {
		return cmp.Or(changes[a].MergedAt.Compare(changes[b].MergedAt), cmp.Compare(changes[a].ID, changes[b].ID))
	})
	rank := make([]int, len(changes))
	bySHA := map[string][]int{}
	var onDefaultBranch []int // for time linking: merged into the default branch, in merge order
	for r, i := range merged {
		rank[i] = r
		c := changes[i]
		for _, sha := range []string{normSHA(c.MergeSHA), normSHA(c.SquashSHA)} {
			if sha != "" && !slices.Contains(bySHA[sha], i) {
				bySHA[sha] = append(bySHA[sha], i)
			}
		}
		if rr.DefaultBranch == "" || c.BaseBranch == rr.DefaultBranch {
			onDefaultBranch = append(onDefaultBranch, i)
		}
	}

	shipped := make([]bool, len(changes))
	ship := func(di, ci int) {
		if shipped[ci] {
			return
		}
		shipped[ci] = true
		changes[ci].DeploymentID = tl.deps[di].ID
		changes[ci].DeployedAt = tl.deps[di].FinishedAt
		shippedBy[di] = append(shippedBy[di], ci)
	}
	shipBySHA := func(di int, sha string) {
		for _, ci := range bySHA[normSHA(sha)] {
			ship(di, ci)
		}
	}
	shipByTime := func(di, base int) {
		start := 0
		if base >= 0 {
			after := startedAt(tl.deps[base])
			start = sort.Search(len(onDefaultBranch), func(k int) bool {
				return changes[onDefaultBranch[k]].MergedAt.After(after)
			})
		}
		until := startedAt(tl.deps[di])
		for _, ci := range onDefaultBranch[start:] {
			if changes[ci].MergedAt.After(until) {
				break
			}
			ship(di, ci)
		}
	}

	prev, timeBase, redeploy := previousDeployments(tl)
	for _, di := range tl.order {
		d := tl.deps[di]
		switch {
		case rr.source() == SourceMerges:
			shipBySHA(di, d.SHA)
		case rr.link() == LinkCommits && d.RangeSHAs != nil && prev[di] >= 0:
			for _, sha := range d.RangeSHAs {
				shipBySHA(di, sha)
			}
		case !redeploy[di]:
			shipByTime(di, timeBase[di])
		}
	}

	for di, cis := range shippedBy {
		slices.SortFunc(cis, func(a, b int) int { return cmp.Compare(rank[a], rank[b]) })
		for _, ci := range cis {
			tl.deps[di].ChangeIDs = append(tl.deps[di].ChangeIDs, changes[ci].ID)
		}
	}
	return shippedBy
}

// previousDeployments returns, per deployment index (−1 where none): the
// previous production deployment of the same environment; the previous one
// that brought new code (the base of time linking); and whether the
// deployment redeploys a sha its environment already ran.
func previousDeployments(tl timeline) (prev, timeBase []int, redeploy []bool) {
	prev = make([]int, len(tl.deps))
	timeBase = make([]int, len(tl.deps))
	redeploy = make([]bool, len(tl.deps))
	for _, env := range tl.envs {
		last, base := -1, -1
		ran := map[string]bool{}
		for _, di := range env {
			prev[di], timeBase[di] = last, base
			sha := normSHA(tl.deps[di].SHA)
			redeploy[di] = sha != "" && ran[sha]
			if !redeploy[di] {
				base = di
			}
			if sha != "" {
				ran[sha] = true
			}
			last = di
		}
	}
	return prev, timeBase, redeploy
}
