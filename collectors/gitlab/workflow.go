package gitlab

import (
	"context"
	"fmt"

	gl "gitlab.com/gitlab-org/api/client-go"

	"github.com/tach-dev/tach/collectors"
	"github.com/tach-dev/tach/store"
)

// workflowDeployment is the deployment a finished default-branch pipeline
// makes with deployments.source workflow, or nil. deployments.workflow
// names the deploying job (as config.example.yaml says); a pipeline whose
// name or source is that word is taken whole, and with no word every
// default-branch pipeline deploys. A job is read from the pipeline's jobs
// (one request, once per pipeline).
func (p *Provider) workflowDeployment(ctx context.Context, proj *project, full *gl.Pipeline, run store.CIRun) (*store.Deployment, error) {
	w := proj.repo.Workflow
	var jobs []*gl.Job
	if !full.Tag && !wholePipeline(w, full) {
		op := fmt.Sprintf("list jobs of pipeline %d (GET /projects/:id/pipelines/%d/jobs)", full.ID, full.ID)
		var err error
		jobs, err = listAll(ctx, func(page gl.RequestOptionFunc) ([]*gl.Job, *gl.Response, error) {
			return p.client.Jobs.ListPipelineJobs(proj.id, full.ID, &gl.ListJobsOptions{
				ListOptions: gl.ListOptions{PerPage: 100}, IncludeRetried: ptr(false),
			}, withPage([]gl.RequestOptionFunc{proj.reqCtx(ctx, collectors.ResourceCIRuns)}, page)...)
		})
		if err != nil {
			return nil, p.apiError(proj.repo.Name, op, nil, err)
		}
	}
	return workflowDeploymentOf(w, full, run, jobs), nil
}

// wholePipeline reports whether deployments.workflow w takes a pipeline
// whole (no word, or the pipeline's name or source), not one of its jobs.
func wholePipeline(w string, full *gl.Pipeline) bool {
	return w == "" || w == full.Name || w == string(full.Source)
}

// workflowDeploymentOf is the deployment a finished pipeline makes, given
// its jobs (needed only when deployments.workflow names a job), or nil.
func workflowDeploymentOf(w string, full *gl.Pipeline, run store.CIRun, jobs []*gl.Job) *store.Deployment {
	if full.Tag {
		return nil
	}
	d := store.Deployment{
		Source: string(sourceWorkflow), ProviderID: run.ProviderID, Environment: "production",
		SHA: full.SHA, Ref: full.Ref, URL: full.WebURL,
		CreatedAt: run.CreatedAt, UpdatedAt: run.UpdatedAt,
	}
	if full.User != nil {
		d.Creator = full.User.Username
	}
	if wholePipeline(w, full) {
		status, ok := workflowStatus(full.Status)
		if !ok {
			return nil
		}
		d.Status, d.FinishedAt = status, run.FinishedAt
		return &d
	}
	var job *gl.Job
	for _, j := range jobs {
		if j.Name == w && (job == nil || j.ID > job.ID) {
			job = j // the latest run of the job
		}
	}
	if job == nil {
		return nil
	}
	status, ok := workflowStatus(job.Status)
	if !ok {
		return nil // skipped, or a manual job nobody started: no attempt
	}
	d.Status, d.URL = status, job.WebURL
	if c := tm(job.CreatedAt); !c.IsZero() {
		d.CreatedAt = c
	}
	d.FinishedAt = tm(job.FinishedAt)
	if d.FinishedAt.IsZero() {
		d.FinishedAt = run.FinishedAt
	}
	return &d
}

// workflowStatus maps a finished pipeline's or job's status to a
// deployment's; skipped and manual ones are no attempt at all.
func workflowStatus(s string) (string, bool) {
	switch s {
	case "success":
		return "success", true
	case "failed":
		return "failure", true
	case "canceled":
		return "canceled", true
	}
	return "", false
}
