package gitlab

import (
	"cmp"
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	gl "gitlab.com/gitlab-org/api/client-go"

	"github.com/tach-dev/tach/collectors"
	"github.com/tach-dev/tach/store"
)

// pipelinesQuery asks for a page of the pipelines updated since a time,
// with their start and end (which REST's list lacks: it takes one request
// per finished pipeline) and, for deployments.source workflow with a deploy
// job named, their jobs. GitLab lists them newest id first, keyed on the
// id: a pipeline updated while the sync pages keeps its place.
const pipelinesQuery = `query TachPipelines($fullPath: ID!, $updatedAfter: Time, $updatedBefore: Time, $first: Int!, $after: String) {
  project(fullPath: $fullPath) {
    pipelines(updatedAfter: $updatedAfter, updatedBefore: $updatedBefore, first: $first, after: $after) {
      pageInfo { hasNextPage endCursor }
      nodes {
        id iid name status source ref refPath sha path
        createdAt updatedAt startedAt finishedAt
        user { username }JOBS
      }
    }
  }
}`

// pipelineJobs are the jobs of a pipeline the deployment reads: the latest
// attempt of each (retried: false), as REST lists them.
const pipelineJobs = `jobs(retried: false, first: 100, after: $after) { pageInfo { hasNextPage endCursor } nodes { id name status createdAt finishedAt webPath } }`

// pipelineJobsQuery pages on through a pipeline with more than 100 jobs.
const pipelineJobsQuery = `query TachPipelineJobs($fullPath: ID!, $iid: ID!, $after: String) {
  project(fullPath: $fullPath) {
    pipeline(iid: $iid) {
      ` + pipelineJobs + `
    }
  }
}`

// pipelinesQueryFor returns the pipelines query with or without jobs.
func pipelinesQueryFor(withJobs bool) string {
	if !withJobs {
		return strings.Replace(pipelinesQuery, "JOBS", "", 1)
	}
	return strings.Replace(pipelinesQuery, "JOBS", "\n        "+strings.Replace(pipelineJobs, ", after: $after", "", 1), 1)
}

type gqlJobs struct {
	PageInfo gqlPageInfo `json:"pageInfo"`
	Nodes    []struct {
		ID         string     `json:"id"`
		Name       string     `json:"name"`
		Status     string     `json:"status"`
		CreatedAt  *time.Time `json:"createdAt"`
		FinishedAt *time.Time `json:"finishedAt"`
		WebPath    string     `json:"webPath"`
	} `json:"nodes"`
}

type gqlPipeline struct {
	ID         string     `json:"id"`
	IID        string     `json:"iid"`
	Name       string     `json:"name"`
	Status     string     `json:"status"`
	Source     string     `json:"source"`
	Ref        string     `json:"ref"`
	RefPath    string     `json:"refPath"`
	SHA        string     `json:"sha"`
	Path       string     `json:"path"`
	CreatedAt  *time.Time `json:"createdAt"`
	UpdatedAt  *time.Time `json:"updatedAt"`
	StartedAt  *time.Time `json:"startedAt"`
	FinishedAt *time.Time `json:"finishedAt"`
	User       *gqlUser   `json:"user"`
	Jobs       *gqlJobs   `json:"jobs"`
}

// rest turns a GraphQL pipeline into client-go's types, as the REST path
// and the pipeline hook read them (statuses in REST's lower case, a page's
// path made a URL on origin, the instance's scheme and host).
func (g gqlPipeline) rest(origin string) (*gl.PipelineInfo, *gl.Pipeline, error) {
	id, err := strconv.ParseInt(numericID(g.ID), 10, 64)
	if err != nil {
		return nil, nil, fmt.Errorf("pipeline id %q: %w", g.ID, err)
	}
	iid, _ := strconv.ParseInt(g.IID, 10, 64)
	status, webURL := strings.ToLower(g.Status), origin+g.Path
	info := &gl.PipelineInfo{ID: id, IID: iid, Status: status, Source: g.Source, Ref: g.Ref, SHA: g.SHA, Name: g.Name,
		WebURL: webURL, CreatedAt: g.CreatedAt, UpdatedAt: g.UpdatedAt}
	full := &gl.Pipeline{ID: id, IID: iid, Status: status, Source: gl.PipelineSource(g.Source), Ref: g.Ref, SHA: g.SHA,
		Name: g.Name, Tag: strings.HasPrefix(g.RefPath, "refs/tags/"), WebURL: webURL, StartedAt: g.StartedAt, FinishedAt: g.FinishedAt}
	if g.User != nil {
		full.User = &gl.BasicUser{Username: g.User.Username}
	}
	return info, full, nil
}

func (js *gqlJobs) rest(origin string) []*gl.Job {
	if js == nil {
		return nil
	}
	out := make([]*gl.Job, 0, len(js.Nodes))
	for _, n := range js.Nodes {
		id, _ := strconv.ParseInt(numericID(n.ID), 10, 64)
		out = append(out, &gl.Job{ID: id, Name: n.Name, Status: strings.ToLower(n.Status), WebURL: origin + n.WebPath,
			CreatedAt: n.CreatedAt, FinishedAt: n.FinishedAt})
	}
	return out
}

// clockMargin is how far before GitLab's clock at the first page a
// pipelines walk sets its watermark at most: GitLab lists pipelines by id,
// not by update, so one updated after the walk read it may sit on a page
// already read, and only a watermark from before the walk began finds it
// next time. The margin covers the time between reading the rows and the
// Date of the answer.
const clockMargin = time.Minute

// pipelinesGraphQL syncs pipelines (and, with deployments.source workflow,
// the deployments they make) by GraphQL, 100 a page with their times. Each
// page is committed as it is read; the watermarks move once the last page
// is in, since the pages are in id order, not in order of update. A first
// sync reads its window in parts at once, as the merge requests do
// (splitWindow): the pipelines updated up to a bound (updatedBefore,
// inclusive), and those updated from it on.
func (p *Provider) pipelinesGraphQL(ctx context.Context, proj *project) error {
	runState, depState, workflow, from, err := proj.pipelineStates(ctx)
	if err != nil {
		return err
	}
	from = from.UTC().Truncate(time.Second)
	w := &pipelineWalks{proj: proj, runState: runState, depState: depState, workflow: workflow,
		withJobs: workflow && proj.repo.Workflow != "", watermark: from, walks: 1}
	if u, err := url.Parse(proj.webURL); err == nil && u.Host != "" {
		w.origin = u.Scheme + "://" + u.Host
	}
	bounds := splitWindow(runState, proj.sink, from, pipelineParts)
	if len(bounds) == 0 || p.opts.singleWalk {
		return p.pipelineWalk(ctx, w, from, time.Time{})
	}
	w.walks = len(bounds) + 1
	return walkParts(ctx, from, bounds, func(ctx context.Context, _ int, after, before time.Time) error {
		return p.pipelineWalk(ctx, w, after, before)
	})
}

// pipelineParts is how many parts a first sync reads its pipelines in.
const pipelineParts = 2

// pipelineWalks is the state a sync's walks of pipelines (one, or a first
// sync's parts) commit into.
type pipelineWalks struct {
	proj               *project
	workflow, withJobs bool
	origin             string // the instance's scheme and host, for pages' URLs

	mu                 sync.Mutex // held through each commit: the fields below
	runState, depState store.SyncState
	// watermark is the newest update read; bound the earliest of GitLab's
	// clock at each walk's first page, less clockMargin.
	watermark, bound time.Time
	walks, finished  int
	// written is the update of each pipeline as committed, by id (see
	// writes).
	written writes[string]
}

// pipelineRow is a pipeline's CI run and the deployment it makes, if any.
type pipelineRow struct {
	run store.CIRun
	dep *store.Deployment
}

// commit writes a page of a walk; last says it was the walk's last. The
// commit that ends the last walk moves the watermarks and marks the
// resources synced.
func (w *pipelineWalks) commit(ctx context.Context, rows []pipelineRow, watermark, bound time.Time, last bool) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.watermark, w.bound = later(w.watermark, watermark), earliest(w.bound, bound)
	if last {
		w.finished++
	}
	done := w.finished == w.walks
	wm := time.Time{} // the watermarks stay until the last page
	if done {
		wm = earliest(w.watermark, w.bound)
	}
	if w.written == nil {
		w.written = writes[string]{}
	}
	runs := make([]store.CIRun, 0, len(rows))
	var deps []store.Deployment
	for _, r := range rows {
		if w.written.stale(r.run.ProviderID, r.run.UpdatedAt) {
			continue // another part wrote it as updated since
		}
		runs = append(runs, r.run)
		if r.dep != nil {
			deps = append(deps, *r.dep)
		}
	}
	if err := w.proj.commitPipelines(ctx, &w.runState, &w.depState, w.workflow, runs, deps, wm, done); err != nil {
		return err
	}
	for _, r := range runs {
		w.written[r.ProviderID] = r.UpdatedAt
	}
	return nil
}

// pipelineWalk reads the pipelines updated from after (and up to before,
// when not zero), page by page, and commits each.
func (p *Provider) pipelineWalk(ctx context.Context, w *pipelineWalks, after, before time.Time) error {
	proj := w.proj
	var cursor any // nil: the first page
	pageSize := 100
	var bound time.Time
	for {
		var data struct {
			Project *struct {
				Pipelines *struct {
					PageInfo gqlPageInfo   `json:"pageInfo"`
					Nodes    []gqlPipeline `json:"nodes"`
				} `json:"pipelines"`
			} `json:"project"`
		}
		var updatedBefore any // null: no bound
		if !before.IsZero() {
			updatedBefore = before.Format(time.RFC3339)
		}
		vars := map[string]any{"fullPath": proj.repo.Name, "updatedAfter": after.Format(time.RFC3339), "updatedBefore": updatedBefore,
			"first": pageSize, "after": cursor}
		at, err := p.graphqlAt(ctx, proj, collectors.ResourceCIRuns, "list pipelines", pipelinesQueryFor(w.withJobs), vars, &data)
		if n := p.smallerPage(err, pageSize, "pipelines", proj.repo.Name); n > 0 {
			pageSize = n
			continue
		}
		if err != nil {
			return err
		}
		if data.Project == nil {
			return fmt.Errorf("sync %s: list pipelines: GraphQL sees no project %s: %w", proj.repo.Name, proj.repo.Name, collectors.ErrRepoNotFound)
		}
		if bound.IsZero() {
			bound = cmp.Or(at, p.opts.Now()).Add(-clockMargin)
		}
		conn := data.Project.Pipelines
		if conn == nil { // CI/CD turned off in this project
			return w.commit(ctx, nil, time.Time{}, bound, true)
		}
		rows := make([]pipelineRow, 0, len(conn.Nodes))
		var watermark time.Time
		for _, n := range conn.Nodes {
			run, dep, err := p.gqlPipelineRows(ctx, proj, n, w.origin)
			if err != nil {
				return err
			}
			watermark = later(watermark, run.UpdatedAt)
			rows = append(rows, pipelineRow{run, dep})
		}
		last := !conn.PageInfo.HasNextPage || len(conn.Nodes) == 0
		if err := w.commit(ctx, rows, watermark, bound, last); err != nil {
			return err
		}
		if last {
			return nil
		}
		cursor = conn.PageInfo.EndCursor
	}
}

// gqlPipelineRows is a pipeline's CI run and, with source workflow, the
// deployment a finished default-branch pipeline makes (nil when none), as
// the REST path writes them.
func (p *Provider) gqlPipelineRows(ctx context.Context, proj *project, n gqlPipeline, origin string) (store.CIRun, *store.Deployment, error) {
	info, full, err := n.rest(origin)
	if err != nil {
		return store.CIRun{}, nil, fmt.Errorf("sync %s: list pipelines: malformed response: %w", proj.repo.Name, err)
	}
	run := ciRunOf(info)
	if run.Conclusion == "" {
		return run, nil, nil // not finished: its times come when it is
	}
	run = finishedRun(run, tm(n.StartedAt), tm(n.FinishedAt))
	if proj.repo.Source != string(sourceWorkflow) || n.Ref != proj.defaultBranch {
		return run, nil, nil
	}
	jobs := n.Jobs.rest(origin)
	if w := proj.repo.Workflow; n.Jobs != nil && n.Jobs.PageInfo.HasNextPage && !full.Tag && !wholePipeline(w, full) {
		if jobs, err = p.morePipelineJobs(ctx, proj, n.IID, n.Jobs.PageInfo.EndCursor, origin, jobs); err != nil {
			return run, nil, err
		}
	}
	return run, workflowDeploymentOf(proj.repo.Workflow, full, run, jobs), nil
}

// morePipelineJobs pages through the rest of a pipeline's jobs.
func (p *Provider) morePipelineJobs(ctx context.Context, proj *project, iid, cursor, origin string, jobs []*gl.Job) ([]*gl.Job, error) {
	for {
		var data struct {
			Project *struct {
				Pipeline *struct {
					Jobs *gqlJobs `json:"jobs"`
				} `json:"pipeline"`
			} `json:"project"`
		}
		vars := map[string]any{"fullPath": proj.repo.Name, "iid": iid, "after": cursor}
		op := fmt.Sprintf("list jobs of pipeline #%s", iid)
		if err := p.graphql(ctx, proj, collectors.ResourceCIRuns, op, pipelineJobsQuery, vars, &data); err != nil {
			return nil, err
		}
		if data.Project == nil || data.Project.Pipeline == nil || data.Project.Pipeline.Jobs == nil {
			return jobs, nil // gone since the list
		}
		js := data.Project.Pipeline.Jobs
		jobs = append(jobs, js.rest(origin)...)
		if !js.PageInfo.HasNextPage || len(js.Nodes) == 0 {
			return jobs, nil
		}
		cursor = js.PageInfo.EndCursor
	}
}

// commitPipelines writes a page of pipelines: with source workflow the
// deployments they make first (a crash between the two commits leaves the
// runs' watermark behind, and the page is read again), then the CI runs;
// each resource's watermark moves to wm (none when zero), and last marks
// the resource synced.
func (proj *project) commitPipelines(ctx context.Context, runState, depState *store.SyncState, workflow bool,
	runs []store.CIRun, deps []store.Deployment, wm time.Time, last bool) error {
	if workflow {
		depState.Watermark = later(depState.Watermark, wm)
		err := proj.sink.Commit(ctx, collectors.ResourceDeployments, *depState, last, func(b *collectors.Batch) error {
			for _, d := range deps {
				if _, err := b.Deployment(ctx, d); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	runState.Watermark = later(runState.Watermark, wm)
	return proj.sink.Commit(ctx, collectors.ResourceCIRuns, *runState, last, func(b *collectors.Batch) error {
		for _, r := range runs {
			if _, err := b.CIRun(ctx, r); err != nil {
				return err
			}
		}
		return nil
	})
}
