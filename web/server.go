// Package web serves tach's dashboard and its JSON API: server-rendered
// templ pages (package templates), charts as go-echarts option JSON started
// by one static script, and /api/v1 beside every page.
//
// Layering: a handler parses the query (params.go), asks a service for the
// data (Reports: a View, the weekly review; the DecisionLog; the Store's
// lists), turns it into a view model and renders it. Each service is an
// interface declared here by what the pages use, and given to the server
// in Options. Handlers return errors; one
// renderer (errors.go) turns them into an HTML page or JSON.
package web

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/tach-dev/tach/collectors"
	"github.com/tach-dev/tach/metrics"
	"github.com/tach-dev/tach/metrics/engine"
	"github.com/tach-dev/tach/metrics/radar"
	"github.com/tach-dev/tach/metrics/review"
	"github.com/tach-dev/tach/store"
)

// Reports is what the pages ask of the reports (*engine.Reports): the
// rules, scopes, a page's View, the weekly review, the split of a change
// and its verdict, and the teams.
type Reports interface {
	Rules() metrics.Rules
	Resolve(ctx context.Context, sc engine.Scope) (engine.Resolved, error)
	FirstWholeWeek(ctx context.Context, r engine.Resolved) (time.Time, error)
	View(ctx context.Context, sc engine.Scope, w metrics.Window, now time.Time, opts ...engine.ViewOption) (*engine.View, error)
	WeeklyReview(ctx context.Context, sc engine.Scope, weekStart, now time.Time) (review.Review, error)
	Split(ctx context.Context, sc engine.Scope, current, previous metrics.Window) (*metrics.Split, error)
	JudgeChange(ctx context.Context, sc engine.Scope, keys []metrics.KeyComparison, prev, cur metrics.Window, now time.Time) ([]metrics.KeyComparison, error)
	TeamList(ctx context.Context) ([]store.Team, error)
	ModuleList(ctx context.Context) ([]engine.ResolvedModule, error)
	ScopeChoices(ctx context.Context) (teams []store.Team, repos, modules []string, err error)
	ModulePathIDs(ctx context.Context, r engine.Resolved) ([]int64, error)
	Radar(ctx context.Context, sc engine.Scope, w metrics.Window) (radar.Report, error)
}

// Store is the read side of the store that lists and status pages use
// (*store.Store).
type Store interface {
	Repos(ctx context.Context) ([]store.Repo, error)
	Decisions(ctx context.Context) ([]store.Decision, error)
	SyncStates(ctx context.Context) ([]store.SyncState, error)
	Listings(ctx context.Context) ([]store.Listing, error)
	ListChanges(ctx context.Context, f store.ChangeFilter) (store.ChangePage, error)
	ListDeployments(ctx context.Context, f store.DeploymentFilter) (store.DeploymentPage, error)
	ListIncidents(ctx context.Context, f store.IncidentFilter) (store.IncidentPage, error)
}

// SyncStatus is the hook for a server that runs syncs itself (scheduled
// sync, "sync now"): the sync page shows its live progress and, once
// writes are allowed, offers to start one. Nil while `tach serve` only
// reads; then the page shows the state the last `tach sync` left.
type SyncStatus interface {
	// Snapshot is the progress of the sync in flight (or the last one), per
	// repo; running says whether one is in flight.
	Snapshot() (progress []collectors.RepoProgress, running bool)
	// Trigger starts a sync now unless one is running.
	Trigger(ctx context.Context) error
}

// Gate bounds the heavy work of a server (*engine.Gate, shared with the
// engine, which computes in it): the pages ask it for room to build and
// write a heavy page (heavy.go).
type Gate interface {
	Render(ctx context.Context) (release func(), err error)
}

// Options configure the server. Reports, Decisions and Store are
// required.
type Options struct {
	Reports   Reports          // reports, views and the weekly review
	Decisions DecisionLog      // the decision log, comparisons, suggestions
	Store     Store            // the read-only lists and sync states
	Logger    *slog.Logger     // slog.Default() when nil
	Now       func() time.Time // the clock; time.Now when nil
	Sync      SyncStatus       // nil: no sync runs in this process
	Gate      Gate             // nil: heavy pages are not bounded
	// Ops adds what tach serve needs beyond the dashboard: sign-in,
	// webhooks, /readyz, /metrics, request logs (ops.go); nil: none.
	Ops *OpsOptions
	// NamesListed is how many repos (or modules) a form lists as options;
	// past it they are typed, with suggestions (scope_names.go). 0:
	// DefaultNamesListed.
	NamesListed int
}

// Server holds the handlers' dependencies.
type Server struct {
	reports   Reports
	decisions DecisionLog
	store     Store
	sync      SyncStatus
	gate      Gate
	log       *slog.Logger
	now       func() time.Time
	assets    *assets
	ops       *OpsOptions   // ops.go
	limiter   *loginLimiter // login_limit.go
	listed    int           // Options.NamesListed
}

// New returns the dashboard's handler, with the security headers on every
// response.
func New(opt Options) http.Handler {
	return NewServer(opt).Handler()
}

// NewServer returns the server, for callers that add routes (later: auth,
// webhooks, /metrics) before taking its Handler. It panics when a
// required service is missing: that is a wiring mistake, better found at
// start than by the first request to a page.
func NewServer(opt Options) *Server {
	if opt.Reports == nil || opt.Decisions == nil || opt.Store == nil {
		panic("web: Options needs Reports, Decisions and Store")
	}
	s := &Server{reports: opt.Reports, decisions: opt.Decisions, store: opt.Store, sync: opt.Sync, gate: opt.Gate, log: opt.Logger, now: opt.Now,
		assets: loadAssets(), ops: opt.Ops, limiter: newLoginLimiter()}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.listed = opt.NamesListed; s.listed <= 0 {
		s.listed = DefaultNamesListed
	}
	return s
}

// Handler is the server's routes behind the security headers and
// compression (compress.go) (and, with Options.Ops, the middleware of
// middleware.go).
func (s *Server) Handler() http.Handler {
	return securityHeaders(compressResponses(s.withOps(s.routes())))
}

// ChartsAvailable reports whether this build embeds ECharts.
func (s *Server) ChartsAvailable() bool { return s.assets.echarts != "" }
