package gitlab

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	gl "gitlab.com/gitlab-org/api/client-go"

	"github.com/tach-dev/tach/collectors"
	"github.com/tach-dev/tach/store"
)

// syncRanges fetches, for link: commits, the commit range of each new
// successful deployment from the previous successful deployment of its
// environment (GET /projects/:id/repository/compare?from=P&to=D): once per
// deployment, never again. The first deployment of an environment has no
// previous one: it gets no range, and linking falls back to time for it.
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
	for _, d := range need {
		prev, ok := previousDeployment(history, d)
		if !ok {
			continue
		}
		var shas []string
		if !strings.EqualFold(prev.SHA, d.SHA) { // a redeploy ships nothing new: no request
			op := fmt.Sprintf("compare %.12s...%.12s for deployment %s (GET /projects/:id/repository/compare)", prev.SHA, d.SHA, d.ProviderID)
			cmpRes, resp, err := p.client.Repositories.Compare(proj.id, &gl.CompareOptions{From: ptr(prev.SHA), To: ptr(d.SHA)},
				proj.reqCtx(ctx, collectors.ResourceRanges))
			if err != nil {
				if notFound(resp, err) {
					// A sha GitLab no longer has (force-pushed away): no range,
					// so this deployment links by time.
					p.opts.Logger.Warn("GitLab cannot compare the commits of a deployment; it links by time",
						"repo", proj.repo.Name, "deployment", d.ProviderID, "from", prev.SHA, "to", d.SHA)
					continue
				}
				return p.apiError(proj.repo.Name, op, resp, err)
			}
			for _, c := range cmpRes.Commits {
				shas = append(shas, c.ID)
			}
		}
		// One transaction per range: a sync stopped here keeps every range
		// it paid for.
		err := proj.sink.Commit(ctx, collectors.ResourceRanges, state, false, func(b *collectors.Batch) error {
			return b.DeploymentRange(ctx, d.ID, shas)
		})
		if err != nil {
			return err
		}
	}
	return proj.sink.Commit(ctx, collectors.ResourceRanges, state, true, nil)
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
