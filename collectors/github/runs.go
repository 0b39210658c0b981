package github

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/tach-dev/tach/collectors"
	"github.com/tach-dev/tach/store"
)

// CI runs are the repo's GitHub Actions workflow runs, from the REST list
// (newest first, 100 a page). The list is read without filters: with one
// (created, branch, ...) GitHub returns at most 1,000 runs, which a busy
// repo passes in days. A run changes after it is listed (queued, in
// progress, completed), so a sync walks back past the oldest run it left
// incomplete; with none, the first page is asked with its ETag and a 304
// (which costs no rate limit) ends the sync of runs.
//
// For deployments.source workflow, the runs of the deploy workflow on the
// default branch are also the deployments: they come with the same pages,
// at no extra request.

// runLookback bounds how far back an incomplete run is read again; one
// incomplete for longer (a run stuck queued) is left as it is.
const runLookback = 3 * 24 * time.Hour

// restRun is the part of a workflow run we read.
type restRun struct {
	ID           int64      `json:"id"`
	Name         string     `json:"name"`
	Path         string     `json:"path"`
	HeadBranch   string     `json:"head_branch"`
	HeadSHA      string     `json:"head_sha"`
	Event        string     `json:"event"`
	Status       string     `json:"status"`
	Conclusion   *string    `json:"conclusion"`
	HTMLURL      string     `json:"html_url"`
	CreatedAt    time.Time  `json:"created_at"`
	UpdatedAt    time.Time  `json:"updated_at"`
	RunStartedAt *time.Time `json:"run_started_at"`
	Actor        *struct {
		Login string `json:"login"`
	} `json:"actor"`
}

// runsPage is the workflow_runs envelope.
type runsPage struct {
	TotalCount   int       `json:"total_count"`
	WorkflowRuns []restRun `json:"workflow_runs"`
}

func (s *repoSync) syncCIRuns(ctx context.Context) error {
	ctx = s.ctxFor(ctx, collectors.ResourceCIRuns)
	w, err := s.startWalk(ctx, collectors.ResourceCIRuns)
	if err != nil {
		return err
	}
	var deploys *walk
	if s.repo.Source == "workflow" {
		if deploys, err = s.startWalk(ctx, collectors.ResourceDeployments); err != nil {
			return err
		}
	}
	stopAt, incomplete := s.since, false
	if !w.old.Watermark.IsZero() {
		stopAt = w.old.Watermark.Add(-watermarkOverlap)
		oldest, err := s.sink.OldestIncompleteCIRun(ctx, s.now().Add(-runLookback))
		if err != nil {
			return err
		}
		if !oldest.IsZero() {
			incomplete = true
			if oldest.Before(stopAt) {
				stopAt = oldest
			}
		}
	}
	first := s.p.client.url(s.repoPath("actions", "runs"), url.Values{
		"per_page": {strconv.Itoa(s.p.opts.PageSize)}, "exclude_pull_requests": {"true"},
	})
	etag := ""
	if !w.old.Watermark.IsZero() && !incomplete {
		etag = etagOf(w.old.ETag, first)
	}
	firstETag := ""
	for u := first; ; {
		var p runsPage
		ans, err := s.p.client.get(ctx, u, etag, &p)
		if err != nil {
			return err
		}
		if ans.notModified { // nothing new, nothing changed
			if deploys != nil {
				if err := deploys.finish(ctx, "", nil); err != nil {
					return err
				}
			}
			return w.finish(ctx, w.old.ETag, nil)
		}
		if u == first {
			firstETag = etagFor(first, ans.etag)
		}
		etag = ""
		done := ans.next == ""
		var runs []store.CIRun
		var deps []store.Deployment
		for _, r := range p.WorkflowRuns {
			if r.CreatedAt.Before(stopAt) {
				done = true
				break
			}
			w.saw(r.CreatedAt)
			runs = append(runs, toCIRun(r))
			if deploys != nil && s.isDeployRun(r) {
				deps = append(deps, toWorkflowDeployment(r))
			}
		}
		if deploys != nil {
			deploys.newest = w.newest
			if err := commitDeploys(ctx, deploys, done, deps); err != nil {
				return err
			}
		}
		write := func(b *collectors.Batch) error {
			for _, r := range runs {
				if _, err := b.CIRun(ctx, r); err != nil {
					return err
				}
			}
			return nil
		}
		if done {
			return w.finish(ctx, firstETag, write)
		}
		if err := w.page(ctx, write); err != nil {
			return err
		}
		u = ans.next
	}
}

// toCIRun maps a workflow run: it starts at run_started_at and, having no
// completion field, finishes at its updated_at once completed.
func toCIRun(r restRun) store.CIRun {
	c := store.CIRun{
		ProviderID: strconv.FormatInt(r.ID, 10), Name: r.Name, Branch: r.HeadBranch, Event: r.Event, SHA: r.HeadSHA,
		Status: r.Status, URL: r.HTMLURL, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
	}
	if r.Conclusion != nil {
		c.Conclusion = *r.Conclusion
	}
	if r.RunStartedAt != nil {
		c.StartedAt = r.RunStartedAt.UTC()
	}
	if r.Status == "completed" {
		c.FinishedAt = r.UpdatedAt.UTC()
	}
	return c
}

// isDeployRun reports whether a run is of the deploy workflow (named by its
// name or its file name) on the default branch.
func (s *repoSync) isDeployRun(r restRun) bool {
	if r.HeadBranch != s.defaultBranch || s.repo.Workflow == "" {
		return false
	}
	wf := s.repo.Workflow
	file, _, _ := strings.Cut(r.Path, "@") // a path may end in @ref
	return strings.EqualFold(r.Name, wf) || file == wf || strings.TrimPrefix(file, ".github/workflows/") == wf
}

// toWorkflowDeployment maps a deploy workflow run: a completed run with
// conclusion success is a success, failure or timed_out a failure, anything
// else that completed (cancelled, skipped, ...) canceled; its finish is the
// completed run's updated_at. A run not completed is pending.
func toWorkflowDeployment(r restRun) store.Deployment {
	d := store.Deployment{
		Source: "workflow", ProviderID: strconv.FormatInt(r.ID, 10), Environment: "production",
		SHA: r.HeadSHA, Ref: r.HeadBranch, Status: "pending", URL: r.HTMLURL,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
	}
	if r.Actor != nil {
		d.Creator = r.Actor.Login
	}
	if r.Status != "completed" {
		return d
	}
	d.FinishedAt = r.UpdatedAt.UTC()
	conclusion := ""
	if r.Conclusion != nil {
		conclusion = *r.Conclusion
	}
	switch conclusion {
	case "success":
		d.Status = "success"
	case "failure", "timed_out", "startup_failure":
		d.Status = "failure"
	default:
		d.Status = "canceled"
	}
	return d
}
