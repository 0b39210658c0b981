package gitlab

import (
	"context"
	"fmt"
	"time"

	gl "gitlab.com/gitlab-org/api/client-go"

	"github.com/tach-dev/tach/collectors"
	"github.com/tach-dev/tach/store"
)

// syncReleases writes the project's releases as deployments (source
// releases): a release ships the commit its tag points to, at released_at.
// The releases list has no updated_after, so it is read newest first and
// stops at the watermark; each page is committed as read, and the
// watermark moves only once the walk reached it.
func (p *Provider) syncReleases(ctx context.Context, proj *project) error {
	const op = "list releases (GET /projects/:id/releases)"
	st, err := proj.sink.State(ctx, collectors.ResourceDeployments)
	if err != nil {
		return fmt.Errorf("sync %s: %w", proj.repo.Name, err)
	}
	from := since(st, proj.sink).Truncate(time.Second)
	now := p.opts.Now()
	newest := st.Watermark
	var next gl.RequestOptionFunc
	for {
		items, resp, err := p.client.Releases.ListReleases(proj.id, &gl.ListReleasesOptions{
			ListOptions: gl.ListOptions{PerPage: int64(p.opts.PageSize)},
			OrderBy:     ptr("released_at"), Sort: ptr("desc"),
		}, withPage([]gl.RequestOptionFunc{proj.reqCtx(ctx, collectors.ResourceDeployments)}, next)...)
		if err != nil {
			if featureOff(resp, err) {
				return proj.sink.Commit(ctx, collectors.ResourceDeployments, st, true, nil)
			}
			return p.apiError(proj.repo.Name, op, resp, err)
		}
		var rows []store.Deployment
		reached := false
		for _, r := range items {
			at := tm(r.ReleasedAt)
			if at.IsZero() || r.UpcomingRelease || at.After(now) {
				continue // not out yet: a later sync takes it once it is
			}
			if at.Before(from) {
				reached = true
				break
			}
			rows = append(rows, store.Deployment{
				Source: string(sourceReleases), ProviderID: r.TagName, Environment: "production",
				SHA: r.Commit.ID, Ref: r.TagName, Status: "success", Creator: r.Author.Username,
				URL: r.Links.Self, CreatedAt: at, FinishedAt: at, UpdatedAt: at,
			})
			newest = later(newest, at)
		}
		last := reached || !hasNext(resp) || len(items) == 0
		state := st
		if last {
			state.Watermark = later(st.Watermark, newest)
		}
		err = proj.sink.Commit(ctx, collectors.ResourceDeployments, state, last, func(b *collectors.Batch) error {
			for _, r := range rows {
				if _, err := b.Deployment(ctx, r); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil || last {
			return err
		}
		next, _ = gl.WithNext(resp)
	}
}
