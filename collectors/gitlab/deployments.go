package gitlab

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	gl "gitlab.com/gitlab-org/api/client-go"

	"github.com/tach-dev/tach/collectors"
	"github.com/tach-dev/tach/store"
)

// defaultEnvironments is config's default production environment regex,
// for a Repo that came without one.
var defaultEnvironments = regexp.MustCompile(`(?i)^(prod|production)$`)

// syncDeployments brings the project's deployments up to date (source
// deployments): those in an environment matching the repo's regex or of
// tier production, every attempt kept with its outcome.
//
// GitLab wants order_by=updated_at with updated_after; ascending order lets
// the watermark advance page by page.
func (p *Provider) syncDeployments(ctx context.Context, proj *project) error {
	const op = "list deployments (GET /projects/:id/deployments)"
	st, err := proj.sink.State(ctx, collectors.ResourceDeployments)
	if err != nil {
		return fmt.Errorf("sync %s: %w", proj.repo.Name, err)
	}
	tiers := &environmentTiers{p: p, proj: proj}
	if st.Watermark.IsZero() {
		tiers.prefetch(ctx) // a first sync: deployments to come, none with its tier
	}
	defer tiers.wait()
	fetch := func(after time.Time, page gl.RequestOptionFunc) ([]*gl.Deployment, *gl.Response, error) {
		items, resp, err := p.client.Deployments.ListProjectDeployments(proj.id, &gl.ListProjectDeploymentsOptions{
			ListOptions: gl.ListOptions{PerPage: int64(p.opts.PageSize)},
			OrderBy:     ptr("updated_at"), Sort: ptr("asc"), UpdatedAfter: &after,
		}, withPage([]gl.RequestOptionFunc{proj.reqCtx(ctx, collectors.ResourceDeployments)}, page)...)
		if err != nil {
			return nil, resp, p.apiError(proj.repo.Name, op, resp, err)
		}
		return items, resp, nil
	}
	updated := func(d *gl.Deployment) time.Time { return tm(d.UpdatedAt) }
	err = walkUpdated(ctx, since(st, proj.sink), fetch, updated, func(d *gl.Deployment) int64 { return d.ID }, func(items []*gl.Deployment, wm time.Time, last bool) error {
		var rows []store.Deployment
		for _, d := range items {
			row, ok, err := p.deploymentRow(ctx, proj, tiers, d)
			if err != nil {
				return err
			}
			if ok {
				rows = append(rows, row)
			}
		}
		st.Watermark = later(st.Watermark, wm)
		return proj.sink.Commit(ctx, collectors.ResourceDeployments, st, last, func(b *collectors.Batch) error {
			for _, r := range rows {
				if _, err := b.Deployment(ctx, r); err != nil {
					return err
				}
			}
			return nil
		})
	})
	if err != nil && featureOff(nil, err) {
		// Environments (and so deployments) are turned off in this project.
		return proj.sink.Commit(ctx, collectors.ResourceDeployments, st, true, nil)
	}
	return err
}

// deploymentRow turns a GitLab deployment into the store's, or reports it
// is not in a production environment.
func (p *Provider) deploymentRow(ctx context.Context, proj *project, tiers *environmentTiers, d *gl.Deployment) (store.Deployment, bool, error) {
	if d.Environment == nil {
		return store.Deployment{}, false, nil
	}
	tier := d.Environment.Tier
	if tier == "" {
		// The deployments list leaves the tier out; the environments list
		// has it (read once per sync, so a row never depends on whether a
		// sync happened to read it).
		t, err := tiers.tier(ctx, d.Environment.Name)
		if err != nil {
			return store.Deployment{}, false, err
		}
		tier = t
	}
	row, ok := deploymentOf(proj.repo, proj.webURL, d, tier)
	return row, ok, nil
}

// deploymentOf turns a GitLab deployment of an environment of tier into
// the store's, or reports it is not in a production environment (by the
// repo's regex, or tier production).
func deploymentOf(repo collectors.Repo, webURL string, d *gl.Deployment, tier string) (store.Deployment, bool) {
	if d.Environment == nil {
		return store.Deployment{}, false
	}
	env := d.Environment.Name
	envs := repo.Environments
	if envs == nil {
		envs = defaultEnvironments
	}
	if !envs.MatchString(env) && !strings.EqualFold(tier, "production") {
		return store.Deployment{}, false
	}
	status := deploymentStatus(d.Status)
	row := store.Deployment{
		Source: string(sourceDeployments), ProviderID: strconv.FormatInt(d.ID, 10),
		Environment: env, EnvironmentTier: tier, SHA: d.SHA, Ref: d.Ref, Status: status,
		CreatedAt: tm(d.CreatedAt), UpdatedAt: tm(d.UpdatedAt),
	}
	if d.User != nil {
		row.Creator = d.User.Username
	}
	if webURL != "" && d.IID != 0 {
		row.URL = fmt.Sprintf("%s/-/environments/%d/deployments/%d", webURL, d.Environment.ID, d.IID)
	}
	if status != "pending" {
		// The terminal status's time: the deploying job's end, else the
		// deployment's last update (a deployment made through the API has
		// no job).
		row.FinishedAt = tm(d.Deployable.FinishedAt)
		if row.FinishedAt.IsZero() {
			row.FinishedAt = row.UpdatedAt
		}
	}
	return row, true
}

// deploymentStatus maps GitLab's deployment statuses to the store's.
func deploymentStatus(s string) string {
	switch s {
	case "success":
		return "success"
	case "failed":
		return "failure"
	case "canceled", "skipped":
		return "canceled"
	}
	return "pending" // created, running, blocked
}

// environmentTiers are the tiers of the project's environments by name,
// read once per sync (GET /projects/:id/environments): on the first use,
// or, on a first sync, from its start, beside the first page of
// deployments (prefetch), which all lack the tier.
type environmentTiers struct {
	p    *Provider
	proj *project
	once sync.Once
	done chan struct{} // closed when read
	// byName and err are the list as read.
	byName map[string]string
	err    error
}

// prefetch starts reading the list now; wait must be called before the
// sync of the deployments returns (the request counts in its summary).
func (t *environmentTiers) prefetch(ctx context.Context) {
	t.once.Do(func() {
		t.done = make(chan struct{})
		go func() {
			defer close(t.done)
			t.byName, t.err = t.read(ctx)
		}()
	})
}

// wait waits for a prefetch to end.
func (t *environmentTiers) wait() {
	if t.done != nil {
		<-t.done
	}
}

// tier returns an environment's tier, reading the list on first use.
func (t *environmentTiers) tier(ctx context.Context, name string) (string, error) {
	t.once.Do(func() {
		t.done = make(chan struct{})
		defer close(t.done)
		t.byName, t.err = t.read(ctx)
	})
	select {
	case <-t.done:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	if t.err != nil {
		return "", t.err
	}
	return t.byName[name], nil
}

func (t *environmentTiers) read(ctx context.Context) (map[string]string, error) {
	const op = "list environments (GET /projects/:id/environments)"
	envs, err := listAll(ctx, func(page gl.RequestOptionFunc) ([]*gl.Environment, *gl.Response, error) {
		return t.p.client.Environments.ListEnvironments(t.proj.id, &gl.ListEnvironmentsOptions{
			ListOptions: gl.ListOptions{PerPage: 100},
		}, withPage([]gl.RequestOptionFunc{t.proj.reqCtx(ctx, collectors.ResourceDeployments)}, page)...)
	})
	if err != nil && !featureOff(nil, err) {
		return nil, t.p.apiError(t.proj.repo.Name, op, nil, err)
	}
	byName := map[string]string{}
	for _, e := range envs {
		byName[e.Name] = e.Tier
	}
	return byName, nil
}
