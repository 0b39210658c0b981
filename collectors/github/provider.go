// Package github collects a GitHub repository's history into the store:
// pull requests with their reviews (GraphQL, 100 per request with their
// first commits, reviews, labels, ready-for-review time and changed
// files), the files of changes synced before files were collected, deployments
// (GraphQL deployments with statuses, workflow runs, releases, or merges),
// commit ranges of new deployments (once each, from one walk of the
// default branch's history, or the compare API off that branch), GitHub
// Actions runs and incident issues (REST, with ETags).
//
// Every resource is incremental: it keeps a watermark and an ETag in the
// store's sync state, asks only for what changed, and commits its rows and
// its new watermark in one transaction, so a sync killed at any moment and
// run again ends with the rows of one clean sync. All requests of a
// Provider share one rate-limit budget (see transport.go, ratelimit.go).
package github

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/shurcooL/githubv4"

	"github.com/tach-dev/tach/collectors"
	"github.com/tach-dev/tach/store"
)

// DefaultBaseURL is github.com's REST API root.
const DefaultBaseURL = "https://api.github.com/"

// Options configure a Provider. Zero fields take the defaults given.
type Options struct {
	// BaseURL is the REST API root, ending in "/": https://api.github.com/
	// (default), or https://HOST/api/v3/ for GitHub Enterprise Server.
	BaseURL string
	// GraphQLURL is the GraphQL endpoint; by default derived from BaseURL:
	// https://api.github.com/graphql, or https://HOST/api/graphql.
	GraphQLURL string
	// Token is the access token; it is sent only in the Authorization
	// header and never appears in an error or a log line.
	Token string
	// App signs in as a GitHub App's installations instead of with Token
	// (app.go).
	App *App
	// Transport carries the requests (default http.DefaultTransport).
	Transport http.RoundTripper
	// Logger receives warnings (retries, waits) and debug lines (default:
	// discarded).
	Logger *slog.Logger
	// UserAgent is sent with every request (default "tach").
	UserAgent string

	// PullRequestPageSize is the pull requests per GraphQL request
	// (default 100, the most GitHub gives: ⌈N/100⌉ requests for N pull
	// requests). A page that GitHub cannot answer in its time limit (a
	// 502 or 504, or a GraphQL timeout, once the retries are spent) is
	// asked again half as big, down to minPullRequestPage, and the walk
	// goes on with that size.
	PullRequestPageSize int
	// PageSize is the items per page of the other lists (default 100, the
	// most GitHub gives).
	PageSize int
	// RangeWorkers is how many compare requests of one repo run at once
	// (default 4).
	RangeWorkers int
	// RepoRequests is how many requests of one repo are in flight at once
	// (default 4). A repo's resources sync at once, and the requests of
	// one that do not wait for each other (compares, the pages of renamed
	// files) go at once too, all within these; each resource is a chain
	// of requests (a page's cursor or link names the next), so a repo's
	// sync takes about as long as its longest, or its requests ÷
	// RepoRequests (docs/performance.md).
	RepoRequests int
	// compareEveryRange asks the compare API for every deployment range,
	// as tach did before ranges came from the branch's history: the test
	// that both give the same rows sets it.
	compareEveryRange bool

	// MaxRetries is how many times a request is tried again after a 5xx,
	// a timeout or a secondary rate limit (default 4).
	MaxRetries int
	// RetryBaseDelay is the first backoff after a 5xx or a timeout; it
	// doubles with each retry (default 1s).
	RetryBaseDelay time.Duration
	// SecondaryBaseDelay is the first wait after a secondary rate limit
	// that gives no Retry-After (default 1m, as GitHub advises).
	SecondaryBaseDelay time.Duration
	// RequestTimeout bounds one attempt of a request (default 60s).
	RequestTimeout time.Duration
	// MaxRateLimitWait is the longest the collector waits for a rate limit
	// to reset before failing the repo with a when-to-retry message
	// (default 5m).
	MaxRateLimitWait time.Duration
	// PaceBelow is the share of a rate limit below which requests are
	// spread evenly until the reset (default 0.1).
	PaceBelow float64

	// Now and Sleep are the clock (default: the real one); tests replace
	// them so that waits take no time.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
}

// Provider is the GitHub collector. It is safe for concurrent use: repos
// sync in parallel and share its rate-limit budget.
type Provider struct {
	opts      Options
	client    *client
	transport *transport
	log       *slog.Logger
}

// New returns a GitHub collector.
func New(opts Options) (*Provider, error) {
	if opts.BaseURL == "" {
		opts.BaseURL = DefaultBaseURL
	}
	if !strings.HasSuffix(opts.BaseURL, "/") {
		opts.BaseURL += "/"
	}
	rest, err := url.Parse(opts.BaseURL)
	if err != nil || (rest.Scheme != "http" && rest.Scheme != "https") || rest.Host == "" {
		return nil, fmt.Errorf("github: base URL %q is not an http(s) URL like https://api.github.com/ or https://HOST/api/v3/", opts.BaseURL)
	}
	if opts.GraphQLURL == "" {
		opts.GraphQLURL = graphQLURL(rest)
	}
	gqlURL, err := url.Parse(opts.GraphQLURL)
	if err != nil || (gqlURL.Scheme != "http" && gqlURL.Scheme != "https") || gqlURL.Host == "" {
		return nil, fmt.Errorf("github: GraphQL URL %q is not an http(s) URL like https://api.github.com/graphql", opts.GraphQLURL)
	}
	if opts.Transport == nil {
		opts.Transport = http.DefaultTransport
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.UserAgent == "" {
		opts.UserAgent = "tach"
	}
	if opts.PullRequestPageSize <= 0 {
		opts.PullRequestPageSize = 100
	}
	opts.PullRequestPageSize = min(opts.PullRequestPageSize, 100)
	if opts.PageSize <= 0 {
		opts.PageSize = 100
	}
	opts.PageSize = min(opts.PageSize, 100)
	if opts.RangeWorkers <= 0 {
		opts.RangeWorkers = 4
	}
	if opts.RepoRequests <= 0 {
		opts.RepoRequests = 4
	}
	if opts.MaxRetries <= 0 {
		opts.MaxRetries = 4
	}
	if opts.RetryBaseDelay <= 0 {
		opts.RetryBaseDelay = time.Second
	}
	if opts.SecondaryBaseDelay <= 0 {
		opts.SecondaryBaseDelay = time.Minute
	}
	if opts.RequestTimeout <= 0 {
		opts.RequestTimeout = time.Minute
	}
	if opts.MaxRateLimitWait <= 0 {
		opts.MaxRateLimitWait = 5 * time.Minute
	}
	if opts.PaceBelow <= 0 {
		opts.PaceBelow = 0.1
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Sleep == nil {
		opts.Sleep = sleepCtx
	}
	clk := clock{now: opts.Now, sleep: opts.Sleep}
	host := collectors.NewAPIHost("github.base_url", rest, gqlURL)
	collectors.WarnPlainHTTP(opts.Logger, "github.base_url", rest)
	var creds credentials = tokenAuth(opts.Token)
	var app *appAuth
	if opts.App != nil {
		if app, err = newAppAuth(*opts.App, clk); err != nil {
			return nil, err
		}
		creds = app
	}
	t := &transport{
		next: opts.Transport, host: host, creds: creds, userAgent: opts.UserAgent,
		budget: newBudget(clk, opts.MaxRateLimitWait, opts.PaceBelow, opts.Logger), clock: clk, log: opts.Logger,
		maxRetries: opts.MaxRetries, retryBase: opts.RetryBaseDelay, secondaryBase: opts.SecondaryBaseDelay,
		timeout: opts.RequestTimeout,
	}
	c := &client{
		rest:    rest,
		http:    &http.Client{Transport: t, CheckRedirect: host.CheckRedirect},
		gql:     githubv4.NewEnterpriseClient(gqlURL.String(), &http.Client{Transport: graphQLGuard{next: t, app: app != nil}, CheckRedirect: host.CheckRedirect}),
		gqlPath: gqlURL.Path,
	}
	if app != nil {
		app.c, c.app = c, true
	}
	return &Provider{opts: opts, client: c, transport: t, log: opts.Logger}, nil
}

// graphQLURL derives the GraphQL endpoint from the REST root:
// https://api.github.com/ → https://api.github.com/graphql;
// https://HOST/api/v3/ → https://HOST/api/graphql.
func graphQLURL(rest *url.URL) string {
	u := *rest
	if p := strings.TrimSuffix(u.Path, "/"); strings.HasSuffix(p, "/api/v3") {
		u.Path = strings.TrimSuffix(p, "/v3") + "/graphql"
	} else {
		u.Path = strings.TrimSuffix(u.Path, "/") + "/graphql"
	}
	return u.String()
}

// Name is store.GitHub.
func (p *Provider) Name() string { return store.GitHub }

// Requests is the number of HTTP requests the Provider made (every attempt,
// 304s included).
func (p *Provider) Requests() int64 { return p.transport.requests.Load() }

// RateLimit returns what the last answers said of a budget ("core" or
// "graphql"): remaining (-1 when unknown) and when it resets. Signed in
// as a GitHub App, each installation has its own budget: it returns the
// lowest.
func (p *Provider) RateLimit(budget string) (remaining int, reset time.Time) {
	return p.transport.budget.lowest(budget)
}

// SyncRepo brings one repo's rows up to date: the repo itself first (its
// default branch decides which runs deploy and which merges ship), then
// its resources at once, RepoRequests requests at a time — pull
// requests, CI runs, deployments, incidents, then the files of changes
// synced before files were collected — and the commit ranges once the
// deployments they range are stored (with deployments.source workflow,
// once the CI runs are: the deploy runs come with them). A rejected token,
// a missing repo, a spent rate limit or a cancelled context stop it at
// once; another failure of one resource is reported after the others have
// synced.
func (p *Provider) SyncRepo(ctx context.Context, repo collectors.Repo, sink *collectors.Sink) error {
	owner, name, ok := strings.Cut(repo.Name, "/")
	if !ok || owner == "" || name == "" || strings.Contains(name, "/") {
		return fmt.Errorf("sync %s: a GitHub repo is named owner/name", repo.Name)
	}
	s := &repoSync{p: p, repo: repo, sink: sink, owner: owner, name: name,
		log: p.log.With("repo", repo.Name), slots: collectors.NewRequestSlots(p.opts.RepoRequests)}
	opts := sink.Options()
	s.now = time.Now
	if opts.Now != nil {
		s.now = opts.Now
	}
	s.since = opts.Since()

	if err := s.syncRepoInfo(ctx); err != nil {
		return err
	}
	// Ranges range the deployments stored: with source workflow, the CI
	// runs write them.
	rangesAfter := []string{collectors.ResourceDeployments}
	if repo.Source == "workflow" {
		rangesAfter = append(rangesAfter, collectors.ResourceCIRuns)
	}
	// The longest first: of the steps ready, the first listed starts first.
	steps := []collectors.Step{
		{Resource: collectors.ResourceChanges, Run: s.syncChanges},
		{Resource: collectors.ResourceCIRuns, Run: s.syncCIRuns},
		{Resource: collectors.ResourceDeployments, Run: s.syncDeployments},
		{Resource: collectors.ResourceRanges, Run: s.syncRanges, After: rangesAfter},
		{Resource: collectors.ResourceIncidents, Run: s.syncIncidents},
		// The files of changes synced before files were collected.
		{Resource: collectors.ResourceChangeFiles, Run: s.syncChangeFiles, After: []string{collectors.ResourceChanges}},
	}
	if repo.Codeowners {
		steps = append(steps, collectors.Step{Resource: collectors.ResourceCodeowners, Run: s.syncCodeowners})
	}
	// Every step at once: the repo's request slots bound them.
	if err := sink.RunSteps(ctx, len(steps), steps, func(resource string, err error) {
		s.log.Warn("github: resource failed; syncing the others", "resource", resource, "err", err)
	}); err != nil {
		return err
	}
	// After the first sync: the right source? (source_check.go) Only a
	// hint: a failure of its own is logged, and it is tried next time.
	if err := s.checkDeploySource(ctx); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		s.log.Warn("github: could not check the deployment source", "err", err)
	}
	return nil
}

// repoSync is the sync of one repo.
type repoSync struct {
	p           *Provider
	repo        collectors.Repo
	sink        *collectors.Sink
	owner, name string
	log         *slog.Logger
	now         func() time.Time         // the run's clock (collectors.Options.Now)
	slots       *collectors.RequestSlots // the repo's requests in flight (Options.RepoRequests)
	since       time.Time                // how far back a first sync goes

	defaultBranch string
}

// ctxFor tags ctx so the transport counts its requests for resource.
func (s *repoSync) ctxFor(ctx context.Context, resource string) context.Context {
	return withCall(ctx, call{counter: s.sink, resource: resource, repo: s.repo.Name, slots: s.slots})
}

// repoPath is the REST path of the repo, relative to the API root.
func (s *repoSync) repoPath(parts ...string) string {
	return strings.Join(append([]string{"repos", url.PathEscape(s.owner), url.PathEscape(s.name)}, parts...), "/")
}

func (s *repoSync) vars(extra map[string]any) map[string]any {
	v := map[string]any{"owner": githubv4.String(s.owner), "name": githubv4.String(s.name)}
	for k, x := range extra {
		v[k] = x
	}
	return v
}

// walk is an incremental walk over a list ordered newest first. Its pages
// are committed as they come with the old watermark, and the new watermark
// (the newest time seen) only with the last: a sync killed mid-walk walks
// again next time, and the upserts make that idempotent.
type walk struct {
	s        *repoSync
	resource string
	old      store.SyncState
	newest   time.Time
}

func (s *repoSync) startWalk(ctx context.Context, resource string) (*walk, error) {
	st, err := s.sink.State(ctx, resource)
	if err != nil {
		return nil, err
	}
	return &walk{s: s, resource: resource, old: st}, nil
}

// saw records an item's time.
func (w *walk) saw(t time.Time) {
	if t.After(w.newest) {
		w.newest = t
	}
}

// page commits one page's rows, keeping the old watermark.
func (w *walk) page(ctx context.Context, write func(b *collectors.Batch) error) error {
	return w.s.sink.Commit(ctx, w.resource, w.old, false, write)
}

// finish commits the last rows with the new watermark and ETag.
func (w *walk) finish(ctx context.Context, etag string, write func(b *collectors.Batch) error) error {
	st := w.old
	if w.newest.After(st.Watermark) {
		st.Watermark = w.newest.UTC()
	}
	st.ETag = etag
	return w.s.sink.Commit(ctx, w.resource, st, true, write)
}

// etagFor and etagOf keep an ETag with the URL it belongs to, so that it is
// sent only with the same request.
func etagFor(u, etag string) string {
	if etag == "" {
		return ""
	}
	return u + "|" + etag
}

func etagOf(stored, u string) string {
	prefix, etag, ok := strings.Cut(stored, "|")
	if !ok || prefix != u {
		return ""
	}
	return etag
}
