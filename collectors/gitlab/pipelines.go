package gitlab

import (
	"context"
	"fmt"
	"strconv"
	"time"

	gl "gitlab.com/gitlab-org/api/client-go"

	"github.com/tach-dev/tach/collectors"
	"github.com/tach-dev/tach/store"
)

// syncPipelines brings the project's pipelines up to date as CI runs and,
// with deployments.source workflow, the deploying ones as deployments: by
// GraphQL (a page of 100 with their times and deploy jobs a request), or by
// REST when GraphQL cannot answer.
func (p *Provider) syncPipelines(ctx context.Context, proj *project) error {
	if !p.pipelinesGraphQLOff.Load() {
		err := p.pipelinesGraphQL(ctx, proj)
		if err == nil || !isGraphQLUnavailable(err) {
			return err
		}
		p.fallBackToREST(&p.pipelinesGraphQLOff, "pipelines", proj.repo.Name, err)
	}
	return p.pipelinesREST(ctx, proj)
}

// pipelineStates are the sync states a walk of the pipelines moves (the CI
// runs', and with source workflow the deployments'), whether that source is
// workflow, and where the walk starts: the earlier of the watermarks.
func (proj *project) pipelineStates(ctx context.Context) (runState, depState store.SyncState, workflow bool, from time.Time, err error) {
	if runState, err = proj.sink.State(ctx, collectors.ResourceCIRuns); err != nil {
		return runState, depState, false, from, fmt.Errorf("sync %s: %w", proj.repo.Name, err)
	}
	workflow = proj.repo.Source == string(sourceWorkflow)
	from = since(runState, proj.sink)
	if workflow {
		if depState, err = proj.sink.State(ctx, collectors.ResourceDeployments); err != nil {
			return runState, depState, workflow, from, fmt.Errorf("sync %s: %w", proj.repo.Name, err)
		}
		if d := since(depState, proj.sink); d.Before(from) {
			from = d
		}
	}
	return runState, depState, workflow, from, nil
}

// pipelinesREST syncs pipelines by REST. The list (updated_after,
// ascending updated_at) carries no start, end or duration, so each finished
// pipeline is read once (GET /projects/:id/pipelines/:pid) and never again:
// a run already stored as finished with the same outcome keeps the times it
// has.
func (p *Provider) pipelinesREST(ctx context.Context, proj *project) error {
	const op = "list pipelines (GET /projects/:id/pipelines)"
	runState, depState, workflow, from, err := proj.pipelineStates(ctx)
	if err != nil {
		return err
	}
	known := &knownRuns{sink: proj.sink, workflow: workflow, depWatermark: depState.Watermark}

	fetch := func(after time.Time, page gl.RequestOptionFunc) ([]*gl.PipelineInfo, *gl.Response, error) {
		items, resp, err := p.client.Pipelines.ListProjectPipelines(proj.id, &gl.ListProjectPipelinesOptions{
			ListOptions: gl.ListOptions{PerPage: int64(p.opts.PageSize)},
			OrderBy:     ptr("updated_at"), Sort: ptr("asc"), UpdatedAfter: &after,
		}, withPage([]gl.RequestOptionFunc{proj.reqCtx(ctx, collectors.ResourceCIRuns)}, page)...)
		if err != nil {
			return nil, resp, p.apiError(proj.repo.Name, op, resp, err)
		}
		return items, resp, nil
	}
	updated := func(pi *gl.PipelineInfo) time.Time { return tm(pi.UpdatedAt) }
	err = walkUpdated(ctx, from, fetch, updated, func(pi *gl.PipelineInfo) int64 { return pi.ID }, func(items []*gl.PipelineInfo, wm time.Time, last bool) error {
		runs := make([]store.CIRun, 0, len(items))
		var deps []store.Deployment
		for _, pi := range items {
			run, dep, err := p.pipelineRows(ctx, proj, known, pi)
			if err != nil {
				return err
			}
			known.remember(run, dep)
			runs = append(runs, run)
			if dep != nil {
				deps = append(deps, *dep)
			}
		}
		return proj.commitPipelines(ctx, &runState, &depState, workflow, runs, deps, wm, last)
	})
	if err != nil && featureOff(nil, err) {
		// CI/CD is turned off in this project.
		return proj.sink.Commit(ctx, collectors.ResourceCIRuns, runState, true, nil)
	}
	return err
}

// pipelineRows turns a listed pipeline into its CI run and, with source
// workflow, the deployment it makes (nil when none), reading the
// pipeline (and its jobs) only when it finished since the last sync.
func (p *Provider) pipelineRows(ctx context.Context, proj *project, known *knownRuns, pi *gl.PipelineInfo) (store.CIRun, *store.Deployment, error) {
	id := strconv.FormatInt(pi.ID, 10)
	run := ciRunOf(pi)
	conclusion := run.Conclusion
	if conclusion == "" {
		return run, nil, nil // not finished: no times to read yet
	}
	deploys := proj.repo.Source == string(sourceWorkflow) && pi.Ref == proj.defaultBranch
	prev, err := known.run(ctx, id)
	if err != nil {
		return run, nil, fmt.Errorf("sync %s: %w", proj.repo.Name, err)
	}
	if prev != nil && prev.Conclusion == conclusion && !prev.FinishedAt.IsZero() {
		decided, err := known.deploymentDecided(ctx, id, run.UpdatedAt)
		if err != nil {
			return run, nil, fmt.Errorf("sync %s: %w", proj.repo.Name, err)
		}
		if !deploys || decided {
			// Read before: keep its times, ask nothing.
			run.Name, run.StartedAt, run.FinishedAt = prev.Name, prev.StartedAt, prev.FinishedAt
			return run, nil, nil
		}
	}
	op := fmt.Sprintf("read pipeline %d (GET /projects/:id/pipelines/%d)", pi.ID, pi.ID)
	full, resp, err := p.client.Pipelines.GetPipeline(proj.id, pi.ID, proj.reqCtx(ctx, collectors.ResourceCIRuns))
	if err != nil {
		if notFound(resp, err) {
			return run, nil, nil // deleted since the list
		}
		return run, nil, p.apiError(proj.repo.Name, op, resp, err)
	}
	if full.Name != "" {
		run.Name = full.Name
	}
	run = finishedRun(run, tm(full.StartedAt), tm(full.FinishedAt))
	if !deploys {
		return run, nil, nil
	}
	dep, err := p.workflowDeployment(ctx, proj, full, run)
	return run, dep, err
}

// ciRunOf is a listed pipeline's CI run, without the times only the
// pipeline itself has.
func ciRunOf(pi *gl.PipelineInfo) store.CIRun {
	runStatus, conclusion := ciStatus(pi.Status)
	return store.CIRun{
		ProviderID: strconv.FormatInt(pi.ID, 10), Name: pi.Name, Branch: pi.Ref, Event: pi.Source, SHA: pi.SHA,
		Status: runStatus, Conclusion: conclusion, URL: pi.WebURL,
		CreatedAt: tm(pi.CreatedAt), UpdatedAt: tm(pi.UpdatedAt),
	}
}

// finishedRun gives a finished run its start and end (its last update
// when the end is unknown).
func finishedRun(run store.CIRun, started, finished time.Time) store.CIRun {
	run.StartedAt, run.FinishedAt = started, finished
	if run.FinishedAt.IsZero() {
		run.FinishedAt = run.UpdatedAt
	}
	return run
}

// ciStatus maps a pipeline status to the run's status and, once it
// finished, its conclusion (GitHub's words, as the metrics read them).
func ciStatus(s string) (status, conclusion string) {
	switch s {
	case "success":
		return "completed", "success"
	case "failed":
		return "completed", "failure"
	case "canceled":
		return "completed", "cancelled"
	case "skipped":
		return "completed", "skipped"
	case "running", "canceling":
		return "in_progress", ""
	case "manual":
		return "waiting", ""
	}
	return "queued", "" // created, waiting_for_resource, preparing, pending, scheduled
}

// knownRuns loads, once and only when needed, the runs (and workflow
// deployments) already stored as finished.
type knownRuns struct {
	sink     *collectors.Sink
	workflow bool
	// depWatermark is where the workflow deployments were synced to when
	// this sync began.
	depWatermark time.Time
	runs         map[string]*store.CIRun
	deps         map[string]bool
	decided      map[string]bool // finished pipelines this sync already read
}

// remember adds a row about to be committed, so that a page read again
// (time paging repeats the items at its edge) asks nothing again.
func (k *knownRuns) remember(run store.CIRun, dep *store.Deployment) {
	if run.FinishedAt.IsZero() {
		return
	}
	if k.runs != nil {
		k.runs[run.ProviderID] = &run
	}
	if k.decided == nil {
		k.decided = map[string]bool{}
	}
	k.decided[run.ProviderID] = true
}

func (k *knownRuns) run(ctx context.Context, id string) (*store.CIRun, error) {
	if k.runs == nil {
		rows, err := k.sink.FinishedCIRuns(ctx)
		if err != nil {
			return nil, err
		}
		k.runs = make(map[string]*store.CIRun, len(rows))
		for i := range rows {
			k.runs[rows[i].ProviderID] = &rows[i]
		}
	}
	return k.runs[id], nil
}

// deploymentDecided reports whether an earlier sync already decided
// whether a finished pipeline is a deployment: it wrote one, or the
// deployments were synced past the pipeline's last update (a default-branch
// pipeline without the deploy job is no deployment, and reading its jobs
// again on every sync would waste requests).
func (k *knownRuns) deploymentDecided(ctx context.Context, id string, updated time.Time) (bool, error) {
	if !k.workflow {
		return false, nil
	}
	if k.decided[id] {
		return true, nil
	}
	if !k.depWatermark.IsZero() && !updated.Truncate(time.Second).After(k.depWatermark) {
		return true, nil
	}
	if k.deps == nil {
		rows, err := k.sink.FinishedDeployments(ctx)
		if err != nil {
			return false, err
		}
		k.deps = map[string]bool{}
		for _, d := range rows {
			if d.Source == string(sourceWorkflow) && !d.FinishedAt.IsZero() {
				k.deps[d.ProviderID] = true
			}
		}
	}
	return k.deps[id], nil
}
