// Package gitlab collects merge requests, deployments, pipelines and
// incidents from gitlab.com or a self-managed GitLab into the store.
//
// REST goes through gitlab.com/gitlab-org/api/client-go (the maintained
// continuation of github.com/xanzy/go-gitlab); merge requests, with their
// notes, commits and diff stats, come from the GraphQL API, 50 per request
// (their squash commits, which GitLab's GraphQL lacks, from the REST list
// of merged MRs, 100 per request), and pipelines with their times (and the
// deploy jobs) 100 per request, each falling back to REST on a GitLab whose
// GraphQL cannot answer. Deployment ranges come from one walk of the
// default branch's first-parent line, a compare only where the line
// cannot tell (ranges.go). A project's resources sync at once. Every
// resource is incremental (updated_after, ascending updated_at, the
// watermark committed with the rows it covers), so a sync killed at any
// moment and run again ends with the rows of one clean sync.
package gitlab

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	gl "gitlab.com/gitlab-org/api/client-go"

	"github.com/tach-dev/tach/collectors"
	"github.com/tach-dev/tach/store"
)

// Defaults of Options.
const (
	DefaultBaseURL          = "https://gitlab.com/api/v4"
	DefaultPageSize         = 100
	DefaultGraphQLPageSize  = 50
	DefaultMaxRetries       = 4
	DefaultRetryWaitMin     = time.Second
	DefaultRetryWaitMax     = 30 * time.Second
	DefaultMaxRateLimitWait = 5 * time.Minute
)

// Options configure a Provider.
type Options struct {
	// BaseURL is the REST API root, such as https://gitlab.example.com/api/v4
	// (DefaultBaseURL when empty). GraphQL is at <host>/api/graphql beside it.
	BaseURL string
	// Token is a personal, group or project access token with read_api.
	Token string
	// HTTPClient sends the requests (a pooled client when nil); tests
	// inject one.
	HTTPClient *http.Client
	// Logger gets warnings (retries, waits for a rate limit, a GraphQL
	// fallback, a range that cannot be fetched); discarded when nil. The
	// token is never logged.
	Logger *slog.Logger

	// PageSize is the per_page of REST lists (at most 100).
	PageSize int
	// GraphQLPageSize is how many merge requests one GraphQL request asks
	// for (at most 100).
	GraphQLPageSize int
	// DisableGraphQL makes merge requests and pipelines come from REST
	// only.
	DisableGraphQL bool
	// ProjectRequests is how many requests of one project are in flight at
	// once (default 6). A project's resources sync at once, each a chain
	// of requests (a page's cursor or link names the next), all within
	// these: a project's sync takes about as long as its longest chain,
	// or its requests ÷ ProjectRequests (docs/performance.md).
	ProjectRequests int

	// MaxRetries bounds the retries of one request (5xx, 429, network
	// errors); 0 means DefaultMaxRetries, a negative value none.
	MaxRetries int
	// RetryWaitMin and RetryWaitMax bound the exponential backoff between
	// retries of a 5xx or a network error.
	RetryWaitMin, RetryWaitMax time.Duration
	// MaxRateLimitWait is the longest the collector waits for a spent rate
	// limit to reset (or for a 429's Retry-After); a longer wait stops the
	// repo with an error wrapping collectors.ErrRateLimited.
	MaxRateLimitWait time.Duration
	// Backoff, when set, gets every retry wait the policy computed (from
	// Retry-After, RateLimit-Reset or the exponential backoff) and returns
	// the wait to use. Tests record the waits and return 0.
	Backoff func(wait time.Duration) time.Duration
	// Now and Sleep are the clock of the rate-limit pacing (time.Now and a
	// timer when nil); tests inject both.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error

	// compareEveryRange asks the compare API for every deployment range,
	// as before ranges came from the branch's history: tests hold the two
	// to the same rows.
	compareEveryRange bool
	// singleWalk reads a first sync's merge requests and pipelines in one
	// walk each, as a re-sync does, not in parts at once: tests hold the
	// two to the same rows.
	singleWalk bool
	// mrParts is how many parts a first sync reads its merge requests in
	// (0: defaultMRParts).
	mrParts int
}

func (o Options) withDefaults() Options {
	if o.BaseURL == "" {
		o.BaseURL = DefaultBaseURL
	}
	if o.PageSize <= 0 || o.PageSize > 100 {
		o.PageSize = DefaultPageSize
	}
	if o.GraphQLPageSize <= 0 || o.GraphQLPageSize > 100 {
		o.GraphQLPageSize = DefaultGraphQLPageSize
	}
	switch {
	case o.MaxRetries == 0:
		o.MaxRetries = DefaultMaxRetries
	case o.MaxRetries < 0:
		o.MaxRetries = 0
	}
	if o.RetryWaitMin <= 0 {
		o.RetryWaitMin = DefaultRetryWaitMin
	}
	if o.RetryWaitMax < o.RetryWaitMin {
		o.RetryWaitMax = max(DefaultRetryWaitMax, o.RetryWaitMin)
	}
	if o.MaxRateLimitWait <= 0 {
		o.MaxRateLimitWait = DefaultMaxRateLimitWait
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Sleep == nil {
		o.Sleep = sleepCtx
	}
	if o.ProjectRequests <= 0 {
		o.ProjectRequests = 6
	}
	return o
}

// Provider is the GitLab collector. One Provider serves every repo of a
// sync run, concurrently; they share its client and rate-limit budget.
type Provider struct {
	opts       Options
	client     *gl.Client
	graphqlURL string
	budget     *budget
	// graphqlOff is set once GraphQL failed for a reason that will not go
	// away (an old GitLab, a schema without a field); MRs then come from REST.
	graphqlOff atomic.Bool
	// pipelinesGraphQLOff is the same for pipelines.
	pipelinesGraphQLOff atomic.Bool
	// noClosedAt is set once GitLab said MergeRequest has no closedAt
	// (before 17.4).
	noClosedAt atomic.Bool
}

var (
	_ collectors.Provider = (*Provider)(nil)
	_ collectors.Expander = (*Provider)(nil)
)

// New returns a GitLab collector.
func New(opts Options) (*Provider, error) {
	opts = opts.withDefaults()
	base, err := url.Parse(opts.BaseURL)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("gitlab: base_url %q is not an http(s) URL like https://gitlab.example.com/api/v4", opts.BaseURL)
	}
	host := collectors.NewAPIHost("gitlab.base_url", base)
	collectors.WarnPlainHTTP(opts.Logger, "gitlab.base_url", base)
	p := &Provider{opts: opts}
	p.budget = newBudget(opts.Now, opts.Sleep, opts.MaxRateLimitWait, opts.Logger)
	p.graphqlOff.Store(opts.DisableGraphQL)
	p.pipelinesGraphQLOff.Store(opts.DisableGraphQL)

	hc := opts.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 2 * time.Minute}
	}
	// A copy, so the caller's client keeps its transport; ours counts every
	// attempt (retries included) and reads the rate-limit headers. Go
	// copies PRIVATE-TOKEN on any redirect: one off the API host is
	// refused instead.
	counted := *hc
	counted.Transport = &countingTransport{next: transportOf(hc), host: host, budget: p.budget}
	counted.CheckRedirect = host.CheckRedirect

	client, err := gl.NewClient(opts.Token,
		gl.WithBaseURL(opts.BaseURL),
		gl.WithHTTPClient(&counted),
		gl.WithCustomLimiter(p.budget),
		gl.WithCustomRetry(p.checkRetry),
		gl.WithCustomBackoff(p.backoff),
		gl.WithCustomRetryMax(opts.MaxRetries),
		gl.WithCustomRetryWaitMinMax(opts.RetryWaitMin, opts.RetryWaitMax),
		gl.WithErrorHandler(closingErrorHandler),
		gl.WithUserAgent("tach"),
		gl.WithURLWarningLogger(opts.Logger),
	)
	if err != nil {
		return nil, fmt.Errorf("gitlab: base_url %s: %w", opts.BaseURL, err)
	}
	p.client = client
	p.graphqlURL = graphqlEndpoint(client.BaseURL().String())
	return p, nil
}

func transportOf(hc *http.Client) http.RoundTripper {
	if hc.Transport != nil {
		return hc.Transport
	}
	return http.DefaultTransport
}

// graphqlEndpoint turns the REST root (…/api/v4/) into the GraphQL
// endpoint beside it (…/api/graphql), keeping a relative URL root such as
// https://example.com/gitlab/ (client-go's own GraphQL drops it).
func graphqlEndpoint(restRoot string) string {
	root := strings.TrimSuffix(strings.TrimSuffix(restRoot, "/"), "/api/v4")
	return root + "/api/graphql"
}

// Name is store.GitLab.
func (p *Provider) Name() string { return store.GitLab }

// project is what the sync of one project carries between resources.
type project struct {
	repo          collectors.Repo
	sink          *collectors.Sink
	id            int64 // numeric id, used after the first request: proxies that decode %2F cannot break it
	defaultBranch string
	webURL        string
	// changesDone is closed when the merge requests' step has ended.
	changesDone <-chan struct{}
	// slots bound the project's requests in flight (Options.ProjectRequests).
	slots *collectors.RequestSlots
}

// SyncRepo brings one project's rows up to date: the project itself, then
// merge requests, deployments (by the repo's source), pipelines, incidents
// and the commit ranges of new deployments at once (Sink.RunSteps), each
// once what it reads is stored: the changed files after the merge
// requests, the ranges after the deployments (and, for the part that reads
// them, the merge requests). After the first sync, a deployment source
// that found nothing is checked (discover.go). A resource that fails leaves the others going; one that nothing else of
// the project can outlive (a rejected token, a missing project, a spent
// rate limit) stops them. What was committed stays.
func (p *Provider) SyncRepo(ctx context.Context, repo collectors.Repo, sink *collectors.Sink) error {
	proj, err := p.syncProject(ctx, repo, sink)
	if err != nil {
		return err
	}
	run := func(f func(context.Context, *project) error) func(context.Context) error {
		return func(ctx context.Context) error { return f(ctx, proj) }
	}
	changesDone := make(chan struct{})
	proj.changesDone = changesDone
	// The longest first: of the steps ready, the first listed starts first.
	steps := []collectors.Step{
		{Resource: collectors.ResourceChanges, Run: func(ctx context.Context) error {
			defer close(changesDone)
			return p.syncMergeRequests(ctx, proj)
		}},
		// Pipelines are CI runs for every source; with source workflow the
		// same pass writes the deploying pipelines as deployments.
		{Resource: collectors.ResourceCIRuns, Run: run(p.syncPipelines)},
	}
	rangesAfter := []string{collectors.ResourceDeployments}
	switch repo.Source {
	case "", string(sourceDeployments):
		steps = append(steps, collectors.Step{Resource: collectors.ResourceDeployments, Run: run(p.syncDeployments)})
	case string(sourceReleases):
		steps = append(steps, collectors.Step{Resource: collectors.ResourceDeployments, Run: run(p.syncReleases)})
	case string(sourceWorkflow):
		rangesAfter = append(rangesAfter, collectors.ResourceCIRuns)
	}
	steps = append(steps,
		collectors.Step{Resource: collectors.ResourceIncidents, Run: run(p.syncIncidents)},
		collectors.Step{Resource: collectors.ResourceChangeFiles, Run: run(p.syncChangeFiles), After: []string{collectors.ResourceChanges}})
	// The ranges read the deployments stored; they walk the branch's
	// history while the merge requests sync, and wait for them before
	// reading them (one merged into another branch may hide in a merged
	// branch: project.changesDone).
	if repo.Source != string(sourceMerges) && repo.Link != "time" {
		steps = append(steps, collectors.Step{Resource: collectors.ResourceRanges, Run: run(p.syncRanges), After: rangesAfter})
	}
	if repo.Codeowners {
		steps = append(steps, collectors.Step{Resource: collectors.ResourceCodeowners, Run: run(p.syncCodeowners)})
	}
	// Every step at once (the ranges wait inside for the merge requests'
	// step, which must be running: it is listed first).
	if err := sink.RunSteps(ctx, len(steps), steps, func(resource string, err error) {
		p.opts.Logger.Warn("gitlab: resource failed; syncing the others", "repo", repo.Name, "resource", resource, "err", err)
	}); err != nil {
		return err
	}
	// After the first sync: the right source? (collectors.CheckDeploySource)
	// Only a hint: a failure of its own is logged, and it is tried next time.
	err = collectors.CheckDeploySource(ctx, sink, func(ctx context.Context) (collectors.Discovery, error) {
		return p.Discover(countAs(ctx, sink, collectors.ResourceDeploySource, nil), repo.Name)
	})
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		p.opts.Logger.Warn("gitlab: could not check the deployment source", "repo", repo.Name, "err", err)
	}
	return nil
}

type source string

const (
	sourceDeployments source = "deployments"
	sourceWorkflow    source = "workflow"
	sourceReleases    source = "releases"
	sourceMerges      source = "merges"
)

// since is where a resource's list starts: its watermark, or the history
// the first sync goes back.
func since(st store.SyncState, sink *collectors.Sink) time.Time {
	if !st.Watermark.IsZero() {
		return st.Watermark
	}
	return sink.Options().Since()
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// errGraphQLUnavailable marks a GraphQL failure that REST can make up for.
var errGraphQLUnavailable = errors.New("GraphQL API unavailable")
