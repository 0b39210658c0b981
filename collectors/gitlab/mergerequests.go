package gitlab

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/tach-dev/tach/collectors"
	"github.com/tach-dev/tach/store"
)

// syncMergeRequests brings the project's merge requests up to date: by
// GraphQL (one request per page of MRs with their notes, commits and diff
// stats, and a page of the REST list of merged MRs per 100 merged, for
// their squash commits), or by REST when GraphQL cannot answer (a list
// page, then commits, notes and diffs per MR). With deployments.source merges, each MR merged
// into the default branch is also written as its own deployment, in the
// same transaction.
func (p *Provider) syncMergeRequests(ctx context.Context, proj *project) error {
	st, err := proj.sink.State(ctx, collectors.ResourceChanges)
	if err != nil {
		return fmt.Errorf("sync %s: %w", proj.repo.Name, err)
	}
	if !p.graphqlOff.Load() {
		err := p.mergeRequestsGraphQL(ctx, proj, st)
		if err == nil || !isGraphQLUnavailable(err) {
			return err
		}
		p.fallBackToREST(&p.graphqlOff, "merge requests", proj.repo.Name, err)
		// Pages GraphQL committed before it failed stay; go on from there.
		if st, err = proj.sink.State(ctx, collectors.ResourceChanges); err != nil {
			return fmt.Errorf("sync %s: %w", proj.repo.Name, err)
		}
	}
	return p.mergeRequestsREST(ctx, proj, st)
}

// commitMergeRequests writes one page of MRs and the watermark it reaches
// in one transaction.
func (proj *project) commitMergeRequests(ctx context.Context, st *store.SyncState, mrs []mergeRequest, watermark time.Time, done bool) error {
	st.Watermark = later(st.Watermark, watermark)
	return proj.sink.Commit(ctx, collectors.ResourceChanges, *st, done, func(b *collectors.Batch) error {
		page := make([]collectors.PageChange, len(mrs))
		for i, m := range mrs {
			// Files not known are fetched by the change_files step.
			page[i] = collectors.PageChange{Change: m.change(), Files: m.Files, FilesKnown: m.FilesKnown}
		}
		if err := b.Changes(ctx, page); err != nil {
			return err
		}
		if proj.repo.Source != string(sourceMerges) {
			return nil
		}
		for _, p := range page {
			if d, ok := proj.mergeDeployment(p.Change); ok {
				if _, err := b.Deployment(ctx, d); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// mergeDeployment is the deployment a change merged into the default
// branch makes with deployments.source merges: it ships itself at its
// merge, as the sha that landed (the squash commit when there is one).
func (proj *project) mergeDeployment(c store.Change) (store.Deployment, bool) {
	if c.State != store.StateMerged || c.MergedAt.IsZero() || c.BaseBranch != proj.defaultBranch {
		return store.Deployment{}, false
	}
	sha := c.SquashSHA
	if sha == "" {
		sha = c.MergeSHA
	}
	return store.Deployment{
		Source: string(sourceMerges), ProviderID: strconv.FormatInt(c.Number, 10),
		Environment: "production", SHA: sha, Ref: c.BaseBranch, Status: "success",
		Creator: c.Author, URL: c.URL,
		CreatedAt: c.MergedAt, FinishedAt: c.MergedAt, UpdatedAt: c.MergedAt,
	}, true
}
