package gitlab

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	gl "gitlab.com/gitlab-org/api/client-go"

	"github.com/tach-dev/tach/collectors"
	"github.com/tach-dev/tach/store"
)

// syncIncidents brings the project's incidents up to date: issues of type
// incident, and issues carrying one of incidents.labels.
//
// One list of every issue updated since the watermark, filtered here: the
// labels= filter of GitLab is an AND of labels, so "any of" would take a
// query per label plus one for the type, each paid again on every sync;
// and an issue whose label was taken off no longer matches a label query,
// while here it comes back (its update) and its incident row is deleted.
func (p *Provider) syncIncidents(ctx context.Context, proj *project) error {
	const op = "list issues (GET /projects/:id/issues)"
	st, err := proj.sink.State(ctx, collectors.ResourceIncidents)
	if err != nil {
		return fmt.Errorf("sync %s: %w", proj.repo.Name, err)
	}
	labels := proj.sink.Options().IncidentLabels
	fetch := func(after time.Time, page gl.RequestOptionFunc) ([]*gl.Issue, *gl.Response, error) {
		items, resp, err := p.client.Issues.ListProjectIssues(proj.id, &gl.ListProjectIssuesOptions{
			ListOptions: gl.ListOptions{PerPage: int64(p.opts.PageSize)},
			Scope:       ptr("all"), OrderBy: ptr("updated_at"), Sort: ptr("asc"), UpdatedAfter: &after,
		}, withPage([]gl.RequestOptionFunc{proj.reqCtx(ctx, collectors.ResourceIncidents)}, page)...)
		if err != nil {
			return nil, resp, p.apiError(proj.repo.Name, op, resp, err)
		}
		return items, resp, nil
	}
	updated := func(is *gl.Issue) time.Time { return tm(is.UpdatedAt) }
	err = walkUpdated(ctx, since(st, proj.sink), fetch, updated, func(is *gl.Issue) int64 { return is.ID }, func(items []*gl.Issue, wm time.Time, last bool) error {
		st.Watermark = later(st.Watermark, wm)
		return proj.sink.Commit(ctx, collectors.ResourceIncidents, st, last, func(b *collectors.Batch) error {
			for _, is := range items {
				if !isIncident(is, labels) {
					// Not (or no longer) an incident: a label taken off.
					if err := b.DeleteIncident(ctx, is.IID); err != nil {
						return err
					}
					continue
				}
				if _, err := b.Incident(ctx, incidentOf(is)); err != nil {
					return err
				}
			}
			return nil
		})
	})
	if err != nil && featureOff(nil, err) {
		// Issues are turned off in this project.
		return proj.sink.Commit(ctx, collectors.ResourceIncidents, st, true, nil)
	}
	return err
}

// isIncident reports an issue of type incident or carrying one of labels.
func isIncident(is *gl.Issue, labels []string) bool {
	if is.IssueType != nil && strings.EqualFold(*is.IssueType, "incident") {
		return true
	}
	return collectors.HasLabel([]string(is.Labels), labels)
}

// incidentOf turns an incident issue into the store's incident: resolved
// when closed.
func incidentOf(is *gl.Issue) store.Incident {
	return store.Incident{
		Number: is.IID, ProviderID: strconv.FormatInt(is.ID, 10), Title: is.Title,
		Labels: []string(is.Labels), URL: is.WebURL,
		CreatedAt: tm(is.CreatedAt), ResolvedAt: tm(is.ClosedAt), UpdatedAt: tm(is.UpdatedAt),
	}
}
