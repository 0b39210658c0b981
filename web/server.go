// Package web serves tach's dashboard and its JSON API: server-rendered
// templ pages (package templates), charts as go-echarts option JSON started
// by one static script, and /api/v1 beside every page.
//
// Layering: a handler parses the query (params.go), asks a service for the
// data (the metric engine's View, WeeklyReview; the store's lists), turns
// it into a view model and renders it. Handlers return errors; one
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
	"github.com/tach-dev/tach/metrics/review"
	"github.com/tach-dev/tach/store"
)

// Metrics is what the pages ask the metric engine (*engine.Engine).
type Metrics interface {
	Rules() metrics.Rules
	Resolve(ctx context.Context, sc engine.Scope) (engine.Resolved, error)
	View(ctx context.Context, sc engine.Scope, w metrics.Window, now time.Time, opts ...engine.ViewOption) (*engine.View, error)
	WeeklyReview(ctx context.Context, sc engine.Scope, weekStart, now time.Time) (review.Review, error)
	TeamList(ctx context.Context) ([]store.Team, error)
}

// Store is the read side of the store that lists and status pages use
// (*store.Store).
type Store interface {
	Repos(ctx context.Context) ([]store.Repo, error)
	Decisions(ctx context.Context) ([]store.Decision, error)
	SyncStates(ctx context.Context) ([]store.SyncState, error)
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

// Options configure the server.
type Options struct {
	Engine *engine.Engine   // the metric engine; Metrics and Store default to it
	Logger *slog.Logger     // slog.Default() when nil
	Now    func() time.Time // the clock; time.Now when nil
	Sync   SyncStatus       // nil: no sync runs in this process
	// Ops adds what tach serve needs beyond the dashboard: sign-in,
	// webhooks, /readyz, /metrics, request logs (ops.go); nil: none.
	Ops *OpsOptions

	// For tests: override the services the engine provides.
	Metrics Metrics
	Store   Store
}

// Server holds the handlers' dependencies.
type Server struct {
	metrics Metrics
	store   Store
	sync    SyncStatus
	log     *slog.Logger
	now     func() time.Time
	assets  *assets
	ops     *OpsOptions   // ops.go
	limiter *loginLimiter // login_limit.go
}

// New returns the dashboard's handler, with the security headers on every
// response.
func New(opt Options) http.Handler {
	return NewServer(opt).Handler()
}

// NewServer returns the server, for callers that add routes (later: auth,
// webhooks, /metrics) before taking its Handler.
func NewServer(opt Options) *Server {
	s := &Server{metrics: opt.Metrics, store: opt.Store, sync: opt.Sync, log: opt.Logger, now: opt.Now, assets: loadAssets(),
		ops: opt.Ops, limiter: newLoginLimiter()}
	if s.metrics == nil && opt.Engine != nil {
		s.metrics = opt.Engine
	}
	if s.store == nil && opt.Engine != nil {
		s.store = opt.Engine.Store()
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// Handler is the server's routes behind the security headers (and, with
// Options.Ops, the middleware of middleware.go).
func (s *Server) Handler() http.Handler {
	return securityHeaders(s.withOps(s.routes()))
}

// ChartsAvailable reports whether this build embeds ECharts.
func (s *Server) ChartsAvailable() bool { return s.assets.echarts != "" }
