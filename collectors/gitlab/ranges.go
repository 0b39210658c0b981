package gitlab

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"

	gl "gitlab.com/gitlab-org/api/client-go"

	"github.com/tach-dev/tach/collectors"
	"github.com/tach-dev/tach/store"
)

// syncRanges finds, for link: commits, the commit range of each new
// successful deployment from the previous successful deployment of its
// environment: once per deployment, never again. Most come from one walk
// of the default branch's first-parent line (GET
// /projects/:id/repository/commits?first_parent=true, collectors.WalkBranch):
// its commits after the previous deployment's, up to this one's, and the
// heads of the branches their merges bring in, which is where merge
// requests' merge and squash commits are. The compare API (GET
// /projects/:id/repository/compare) is asked for the others: a
// deployment off that line (a release branch, a hotfix) or below the
// history read, and a range whose merges may bring in a stored merge
// request's commit deeper in a merged branch (one merged into another
// branch first, see hiddenChanges). The first deployment of an
// environment has no previous one: it gets no range, and linking falls
// back to time for it.
func (p *Provider) syncRanges(ctx context.Context, proj *project) error {
	src := proj.repo.Source
	if src == "" {
		src = string(sourceDeployments)
	}
	need, err := proj.sink.DeploymentsNeedingRange(ctx, src)
	if err != nil {
		return fmt.Errorf("sync %s: %w", proj.repo.Name, err)
	}
	state, err := proj.sink.State(ctx, collectors.ResourceRanges)
	if err != nil {
		return fmt.Errorf("sync %s: %w", proj.repo.Name, err)
	}
	if len(need) == 0 {
		return proj.sink.Commit(ctx, collectors.ResourceRanges, state, true, nil)
	}
	all, err := proj.sink.FinishedDeployments(ctx)
	if err != nil {
		return fmt.Errorf("sync %s: %w", proj.repo.Name, err)
	}
	history := successfulBySource(all, src)
	type pair struct {
		collectors.RangeEnds
		d store.Deployment
	}
	var pairs []pair
	var ends []collectors.RangeEnds
	var endsOf []store.Deployment // the deployment of each of ends
	for _, d := range need {
		prev, ok := previousDeployment(history, d)
		if !ok {
			continue
		}
		pr := pair{RangeEnds: collectors.RangeEnds{SHA: d.SHA, At: d.CreatedAt, PrevSHA: prev.SHA, PrevAt: prev.CreatedAt}, d: d}
		pairs = append(pairs, pr)
		if !strings.EqualFold(prev.SHA, d.SHA) {
			ends = append(ends, pr.RangeEnds)
			endsOf = append(endsOf, d)
		}
	}
	// In the order they went live: a merge request hidden in a merged
	// branch is found by the first range that holds it.
	slices.SortStableFunc(pairs, func(a, b pair) int { return liveOrder(a.d, b.d) })
	var line *collectors.BranchLine
	var hidden []store.Change
	if len(ends) > 0 && !p.opts.compareEveryRange {
		// A first sync reads the line in two chains at once; a re-sync
		// needs about a page of it.
		var split *collectors.RangeEnds
		if state.LastSuccessAt.IsZero() && !p.opts.singleWalk {
			split = splitPoint(endsOf, ends, proj.defaultBranch)
		}
		if line, err = p.walkBranch(ctx, proj, ends, split); err != nil {
			return err
		}
		if hidden, err = p.hiddenChanges(ctx, proj, line); err != nil {
			return err
		}
	}
	// found: the hidden changes a compare of the environment held.
	type seen struct {
		change      int
		environment string
	}
	found := map[seen]bool{}
	fromLine := func(pr pair) ([]string, bool) {
		if line == nil {
			return nil, false
		}
		for i, h := range hidden {
			if !found[seen{i, strings.ToLower(pr.d.Environment)}] && line.MergesSince(pr.PrevSHA, pr.SHA, h.MergedAt) {
				return nil, false
			}
		}
		return line.RangeOf(pr.PrevSHA, pr.SHA)
	}
	type stored struct {
		id   int64
		shas []string
	}
	var pending []stored
	flush := func(done bool) error {
		err := proj.sink.Commit(ctx, collectors.ResourceRanges, state, done, func(b *collectors.Batch) error {
			for _, r := range pending {
				if err := b.DeploymentRange(ctx, r.id, r.shas); err != nil {
					return err
				}
			}
			return nil
		})
		pending = pending[:0]
		return err
	}
	for _, pr := range pairs {
		d, prev := pr.d, pr.PrevSHA
		var shas []string
		paid := false
		if !strings.EqualFold(prev, d.SHA) { // a redeploy ships nothing new: no request
			var ok bool
			if shas, ok = fromLine(pr); !ok {
				paid = true
				op := fmt.Sprintf("compare %.12s...%.12s for deployment %s (GET /projects/:id/repository/compare)", prev, d.SHA, d.ProviderID)
				cmpRes, resp, err := p.client.Repositories.Compare(proj.id, &gl.CompareOptions{From: ptr(prev), To: ptr(d.SHA)},
					proj.reqCtx(ctx, collectors.ResourceRanges))
				if err != nil {
					if notFound(resp, err) {
						// A sha GitLab no longer has (force-pushed away): no range,
						// so this deployment links by time.
						p.opts.Logger.Warn("GitLab cannot compare the commits of a deployment; it links by time",
							"repo", proj.repo.Name, "deployment", d.ProviderID, "from", prev, "to", d.SHA)
						continue
					}
					return p.apiError(proj.repo.Name, op, resp, err)
				}
				for _, c := range cmpRes.Commits {
					shas = append(shas, c.ID)
				}
				for i, h := range hidden {
					if slices.Contains(shas, h.MergeSHA) || slices.Contains(shas, h.SquashSHA) {
						found[seen{i, strings.ToLower(d.Environment)}] = true
					}
				}
			}
		}
		// The ranges are written rangeBatch a transaction, and with the
		// first compare after them: a sync stopped here keeps every range
		// it paid for.
		pending = append(pending, stored{d.ID, shas})
		if len(pending) >= rangeBatch || paid {
			if err := flush(false); err != nil {
				return err
			}
		}
	}
	return flush(true)
}

// rangeBatch is how many deployments' ranges one transaction writes.
const rangeBatch = 200

// hiddenChanges are the stored merge requests, merged since the oldest
// commit of the line read into a branch other than the default one, whose
// commits the line does not show but the default branch holds (GET
// /projects/:id/repository/merge_base of the commit and the branch: the
// commit itself when the branch reaches it): merged into a branch that
// was merged later. Merge requests into the default branch are on the
// line, or a merge's other parent: they need no request.
func (p *Provider) hiddenChanges(ctx context.Context, proj *project, line *collectors.BranchLine) ([]store.Change, error) {
	if line.Bottom().IsZero() {
		return nil, nil // nothing read: an empty repository
	}
	if proj.changesDone != nil {
		select { // the merge requests this sync stores
		case <-proj.changesDone:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	merged, err := proj.sink.MergedChanges(ctx, line.Bottom())
	if err != nil {
		return nil, fmt.Errorf("sync %s: %w", proj.repo.Name, err)
	}
	var hidden []store.Change
	for _, c := range merged {
		if c.BaseBranch == "" || c.BaseBranch == proj.defaultBranch {
			continue
		}
		sha := c.MergeSHA
		if sha == "" || line.Has(sha) {
			sha = c.SquashSHA
		}
		if sha == "" || line.Has(sha) {
			continue
		}
		base, resp, err := p.client.Repositories.MergeBase(proj.id, &gl.MergeBaseOptions{Ref: &[]string{sha, proj.defaultBranch}},
			proj.reqCtx(ctx, collectors.ResourceRanges))
		if err != nil {
			if resp != nil && (resp.StatusCode == http.StatusBadRequest || resp.StatusCode == http.StatusNotFound) {
				continue // a commit GitLab no longer has, or no history in common
			}
			return nil, p.apiError(proj.repo.Name, fmt.Sprintf("merge base of !%d's commit %.12s and %s (GET /projects/:id/repository/merge_base)",
				c.Number, sha, proj.defaultBranch), resp, err)
		}
		if strings.EqualFold(base.ID, sha) {
			hidden = append(hidden, c)
		}
	}
	return hidden, nil
}

// walkBranch reads the default branch's first-parent line, 100 commits a
// page, as deep as the ranges need. With a split point, it reads the line
// in two chains at once (collectors.SplitHistory): from the tip, and from
// the split point's sha down.
func (p *Provider) walkBranch(ctx context.Context, proj *project, ends []collectors.RangeEnds, split *collectors.RangeEnds) (*collectors.BranchLine, error) {
	pages := p.firstParentPages(proj, proj.defaultBranch)
	if split != nil {
		oldest := ends[0]
		for _, e := range ends {
			if e.PrevAt.Before(oldest.PrevAt) {
				oldest = e
			}
		}
		var stop func()
		pages, stop = collectors.SplitHistory(ctx, pages, p.firstParentPages(proj, split.SHA), split.SHA, split.At, oldest.PrevSHA, oldest.PrevAt)
		defer stop()
	}
	return collectors.WalkBranch(ctx, ends, true, pages)
}

// firstParentPages lists ref's first-parent line (GET
// /projects/:id/repository/commits?first_parent=true), 100 commits a page.
// The pages after the first list from the tip the first one showed, so
// that a push during the walk cannot shift them.
func (p *Provider) firstParentPages(proj *project, ref string) collectors.HistoryPages {
	var next gl.RequestOptionFunc
	return func(ctx context.Context) (string, []collectors.HistoryCommit, bool, error) {
		opts := &gl.ListCommitsOptions{ListOptions: gl.ListOptions{PerPage: int64(p.opts.PageSize)},
			RefName: ptr(ref), FirstParent: ptr(true)}
		cs, resp, err := p.client.Commits.ListCommits(proj.id, opts, withPage([]gl.RequestOptionFunc{proj.reqCtx(ctx, collectors.ResourceRanges)}, next)...)
		if err != nil {
			if notFound(resp, err) { // an empty repository
				return "", nil, false, nil
			}
			return "", nil, false, p.apiError(proj.repo.Name, "list the default branch's commits (GET /projects/:id/repository/commits)", resp, err)
		}
		page := make([]collectors.HistoryCommit, len(cs))
		for i, c := range cs {
			page[i] = collectors.HistoryCommit{SHA: c.ID, Parents: c.ParentIDs, Committed: tm(c.CommittedDate)}
		}
		tip := ""
		if len(cs) > 0 {
			tip = cs[0].ID
			if next == nil {
				ref = tip
			}
		}
		more := hasNext(resp) && len(cs) > 0
		if more {
			next, _ = gl.WithNext(resp)
		}
		return tip, page, more, nil
	}
}

// splitPoint is where a first sync splits its walk of the branch's line
// (walkBranch): the sha of a deployment made from the default branch (so
// most likely on its line) about halfway in time between the oldest
// range's base and the newest deployment; nil when no deployment to range
// went out from the default branch.
func splitPoint(pairs []store.Deployment, ends []collectors.RangeEnds, defaultBranch string) *collectors.RangeEnds {
	if len(ends) == 0 {
		return nil
	}
	oldest, newest := ends[0].PrevAt, ends[0].At
	for _, e := range ends {
		if e.PrevAt.Before(oldest) {
			oldest = e.PrevAt
		}
		if e.At.After(newest) {
			newest = e.At
		}
	}
	middle := oldest.Add(newest.Sub(oldest) / 2)
	var best *collectors.RangeEnds
	for i, e := range ends {
		if pairs[i].Ref != defaultBranch {
			continue
		}
		if best == nil || e.At.Sub(middle).Abs() < best.At.Sub(middle).Abs() {
			best = &ends[i]
		}
	}
	return best
}

// successfulBySource keeps the successful, finished deployments of one
// source, in the order they went live.
func successfulBySource(all []store.Deployment, src string) []store.Deployment {
	var out []store.Deployment
	for _, d := range all {
		if d.Source == src && d.Status == "success" && !d.FinishedAt.IsZero() {
			out = append(out, d)
		}
	}
	slices.SortStableFunc(out, liveOrder)
	return out
}

// liveOrder orders deployments as the metrics do: by finished, created, id.
func liveOrder(a, b store.Deployment) int {
	return cmp.Or(a.FinishedAt.Compare(b.FinishedAt), a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
}

// previousDeployment is the last successful deployment of d's environment
// that went live before d.
func previousDeployment(history []store.Deployment, d store.Deployment) (store.Deployment, bool) {
	var prev store.Deployment
	found := false
	for _, h := range history {
		if liveOrder(h, d) >= 0 {
			break
		}
		if strings.EqualFold(h.Environment, d.Environment) {
			prev, found = h, true
		}
	}
	return prev, found
}
