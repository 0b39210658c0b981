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
// (newest first by creation, 100 a page). The list is read without
// filters: with one (created, branch, ...) GitHub returns at most 1,000
// runs, which a busy repo passes in days. A run changes after it is listed
// (queued, in progress, completed; re-run), so a sync walks back past the
// oldest run it left incomplete, and writes again the runs of the last
// rerunWindow on the pages it reads; once a day (rereadEvery) it reads
// every page of that window. Otherwise, with no run left incomplete, the
// first page is asked with its ETag, and a 304 (which costs no rate
// limit) ends the sync of runs: a re-run changes the page that lists it.
//
// A re-run keeps its run's id, number and created_at; run_attempt goes up
// and run_started_at moves to the new attempt's start. Each attempt is a
// CI run of its own (attempt 1 keeps the run's id, attempt n is
// "ID/attempts/n"), so a flaky run re-run to green counts its failure and
// its success. An attempt stored while it ran and re-run before the next
// sync is read by its number, once (the list gives only the latest).
//
// For deployments.source workflow, the runs of the deploy workflow on the
// default branch are also the deployments, attempt by attempt: they come
// with the same pages, at no extra request.

// runLookback bounds how far back an incomplete run is read again; one
// incomplete for longer (a run stuck queued) is left as it is.
const runLookback = 3 * 24 * time.Hour

// rerunWindow is how far back the runs are read again, for their re-runs.
// GitHub re-runs runs up to 30 days old; two weeks keeps a quiet repo's
// window in one page, and workflow_run webhooks bring the rest at once.
const rerunWindow = 14 * 24 * time.Hour

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
	RunAttempt   int        `json:"run_attempt"`
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
	// The walk asks for pages until a run created before stopAt, and
	// writes the runs created from keepFrom on: on a re-sync, the runs since
	// the watermark (and the oldest left incomplete), and those of the
	// rerun window on the pages it reads; once a day, every page of the
	// window.
	now := s.now()
	reread, storedETag := splitRunsETag(w.old.ETag)
	stopAt, keepFrom, deep := s.since, s.since, true
	incomplete := map[string]bool{}
	if !w.old.Watermark.IsZero() {
		stopAt = w.old.Watermark.Add(-watermarkOverlap)
		open, err := s.sink.IncompleteCIRuns(ctx, now.Add(-runLookback))
		if err != nil {
			return err
		}
		for _, r := range open {
			incomplete[r.ProviderID] = true
			stopAt = earliest(stopAt, r.CreatedAt)
		}
		keepFrom = earliest(stopAt, now.Add(-rerunWindow))
		if deep = now.Sub(reread) >= rereadEvery; deep {
			stopAt = keepFrom
		}
	}
	first := s.p.client.url(s.repoPath("actions", "runs"), url.Values{
		"per_page": {strconv.Itoa(s.p.opts.PageSize)}, "exclude_pull_requests": {"true"},
	})
	etag := ""
	if !w.old.Watermark.IsZero() && len(incomplete) == 0 && !deep {
		etag = etagOf(storedETag, first)
	}
	if deep {
		reread = now
	}
	firstETag := ""
	// The next page is asked while this one's runs are written.
	pages := collectors.NewPagesAhead[runsAnswer](ctx)
	defer pages.Close()
	ask := func(u, etag string) {
		pages.Ask(func(ctx context.Context) (runsAnswer, error) {
			var a runsAnswer
			var err error
			a.answer, err = s.p.client.get(ctx, u, etag, &a.page)
			return a, err
		})
	}
	ask(first, etag)
	for isFirst := true; ; isFirst = false {
		got, err := pages.Next()
		if err != nil {
			return err
		}
		p, ans := got.page, got.answer
		if ans.notModified { // nothing new, nothing changed
			if deploys != nil {
				if err := deploys.finish(ctx, "", nil); err != nil {
					return err
				}
			}
			return w.finish(ctx, w.old.ETag, nil)
		}
		if isFirst {
			firstETag = etagFor(first, ans.etag)
		}
		done := ans.next == ""
		var runs []store.CIRun
		var deps []store.Deployment
		add := func(r restRun) {
			runs = append(runs, toCIRun(r))
			if deploys != nil && s.isDeployRun(r) {
				deps = append(deps, toWorkflowDeployment(r))
			}
		}
		for _, r := range p.WorkflowRuns {
			if r.CreatedAt.Before(stopAt) {
				done = true // no further page; this one's runs of the window still count
			}
			if r.CreatedAt.Before(keepFrom) {
				break
			}
			w.saw(r.CreatedAt)
			add(r)
			// An earlier attempt stored while it ran has ended since.
			for k := 1; k < r.RunAttempt; k++ {
				if !incomplete[runID(r.ID, k)] {
					continue
				}
				var a restRun
				if _, err := s.p.client.get(ctx, s.p.client.url(s.repoPath("actions", "runs", strconv.FormatInt(r.ID, 10), "attempts", strconv.Itoa(k)), nil), "", &a); err != nil {
					return err
				}
				add(a)
			}
		}
		for _, r := range runs {
			if r.Status != "completed" {
				firstETag = "" // read again next time, from the first page
			}
		}
		if !done {
			ask(ans.next, "")
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
			return w.finish(ctx, joinRunsETag(reread, firstETag), write)
		}
		if err := w.page(ctx, write); err != nil {
			return err
		}
	}
}

// runsAnswer is a page of runs as answered.
type runsAnswer struct {
	page   runsPage
	answer restAnswer
}

func earliest(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// rereadEvery is how often a sync reads every page of the rerun window;
// the syncs between read the window's runs on the pages they read anyway
// (all of them when the window fits in the first page).
const rereadEvery = 24 * time.Hour

// The runs' sync state keeps in its ETag field when the rerun window was
// last read whole, then the first page's ETag: "UNIX URL|ETAG".
func joinRunsETag(reread time.Time, etag string) string {
	return strconv.FormatInt(reread.Unix(), 10) + " " + etag
}

func splitRunsETag(stored string) (reread time.Time, etag string) {
	unix, etag, ok := strings.Cut(stored, " ")
	n, err := strconv.ParseInt(unix, 10, 64)
	if !ok || err != nil {
		return time.Time{}, ""
	}
	return time.Unix(n, 0), etag
}

// runID is the provider id of a run's attempt: the run's id for its first
// attempt, "ID/attempts/N" for a re-run's.
func runID(id int64, attempt int) string {
	if attempt <= 1 {
		return strconv.FormatInt(id, 10)
	}
	return strconv.FormatInt(id, 10) + "/attempts/" + strconv.Itoa(attempt)
}

// attemptURL is the web page of a run's attempt.
func attemptURL(r restRun) string {
	if r.RunAttempt <= 1 || r.HTMLURL == "" {
		return r.HTMLURL
	}
	return r.HTMLURL + "/attempts/" + strconv.Itoa(r.RunAttempt)
}

// toCIRun maps a workflow run's attempt: it starts at run_started_at and,
// having no completion field, finishes at its updated_at once completed.
func toCIRun(r restRun) store.CIRun {
	c := store.CIRun{
		ProviderID: runID(r.ID, r.RunAttempt), Name: r.Name, Branch: r.HeadBranch, Event: r.Event, SHA: r.HeadSHA,
		Status: r.Status, URL: attemptURL(r), CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
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

// toWorkflowDeployment maps a deploy workflow run's attempt: a completed one with
// conclusion success is a success, failure or timed_out a failure, anything
// else that completed (cancelled, skipped, ...) canceled; its finish is the
// completed run's updated_at. A run not completed is pending.
func toWorkflowDeployment(r restRun) store.Deployment {
	d := store.Deployment{
		Source: "workflow", ProviderID: runID(r.ID, r.RunAttempt), Environment: "production",
		SHA: r.HeadSHA, Ref: r.HeadBranch, Status: "pending", URL: attemptURL(r),
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
