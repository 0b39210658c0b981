package main

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/tach-dev/tach/metrics"
	"github.com/tach-dev/tach/metrics/engine"
	"github.com/tach-dev/tach/metrics/impact"
	"github.com/tach-dev/tach/metrics/review"
	"github.com/tach-dev/tach/store"
	"github.com/tach-dev/tach/web"
)

// liveEngine is the metric engine the server's pages ask, replaced after
// each sync by one built afresh from the config (newEngine): a repo synced
// for the first time gets its deployment rules and joins its teams without
// a restart. A request uses whichever engine was current when it asked.
type liveEngine struct{ cur atomic.Pointer[engine.Engine] }

var (
	_ web.Metrics     = (*liveEngine)(nil)
	_ web.DecisionLog = (*liveEngine)(nil)
	_ web.DORASource  = (*liveEngine)(nil)
)

func newLiveEngine(e *engine.Engine) *liveEngine {
	l := &liveEngine{}
	l.cur.Store(e)
	return l
}

func (l *liveEngine) get() *engine.Engine      { return l.cur.Load() }
func (l *liveEngine) replace(e *engine.Engine) { l.cur.Store(e) }
func (l *liveEngine) Rules() metrics.Rules     { return l.get().Rules() }
func (l *liveEngine) Store() *store.Store      { return l.get().Store() }
func (l *liveEngine) TeamList(ctx context.Context) ([]store.Team, error) {
	return l.get().TeamList(ctx)
}

func (l *liveEngine) Resolve(ctx context.Context, sc engine.Scope) (engine.Resolved, error) {
	return l.get().Resolve(ctx, sc)
}

func (l *liveEngine) View(ctx context.Context, sc engine.Scope, w metrics.Window, now time.Time, opts ...engine.ViewOption) (*engine.View, error) {
	return l.get().View(ctx, sc, w, now, opts...)
}

func (l *liveEngine) WeeklyReview(ctx context.Context, sc engine.Scope, weekStart, now time.Time) (review.Review, error) {
	return l.get().WeeklyReview(ctx, sc, weekStart, now)
}

func (l *liveEngine) Report(ctx context.Context, sc engine.Scope, w metrics.Window, now time.Time) (metrics.Report, error) {
	return l.get().Report(ctx, sc, w, now)
}

func (l *liveEngine) Compare(ctx context.Context, req engine.CompareRequest, now time.Time) (impact.Comparison, error) {
	return l.get().Compare(ctx, req, now)
}

func (l *liveEngine) Decisions(ctx context.Context) ([]store.Decision, error) {
	return l.get().Decisions(ctx)
}

func (l *liveEngine) Decision(ctx context.Context, id int64) (store.Decision, error) {
	return l.get().Decision(ctx, id)
}

func (l *liveEngine) CheckDecision(ctx context.Context, in engine.DecisionInput) (store.Decision, error) {
	return l.get().CheckDecision(ctx, in)
}

func (l *liveEngine) AddDecision(ctx context.Context, in engine.DecisionInput) (store.Decision, error) {
	return l.get().AddDecision(ctx, in)
}

func (l *liveEngine) UpdateDecision(ctx context.Context, id int64, in engine.DecisionInput) (store.Decision, error) {
	return l.get().UpdateDecision(ctx, id, in)
}

func (l *liveEngine) DeleteDecision(ctx context.Context, id int64) error {
	return l.get().DeleteDecision(ctx, id)
}

func (l *liveEngine) Candidates(ctx context.Context, now time.Time) ([]impact.Candidate, error) {
	return l.get().Candidates(ctx, now)
}

func (l *liveEngine) Candidate(ctx context.Context, id string, now time.Time) (impact.Candidate, error) {
	return l.get().Candidate(ctx, id, now)
}

func (l *liveEngine) AcceptCandidate(ctx context.Context, c impact.Candidate, in engine.DecisionInput) (store.Decision, error) {
	return l.get().AcceptCandidate(ctx, c, in)
}

func (l *liveEngine) DismissCandidate(ctx context.Context, c impact.Candidate) error {
	return l.get().DismissCandidate(ctx, c)
}
