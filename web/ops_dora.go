package web

import (
	"context"
	"log/slog"
	"time"

	"github.com/tach-dev/tach/store"
)

// DORARefresher recomputes the DORA gauges of /metrics (RefreshDORA) when
// poked — at start, after a sync, after a webhook wrote rows — at most once
// every gap: never on a scrape, which stays cheap however often it comes.
type DORARefresher struct {
	telemetry *Telemetry
	src       DORASource
	repos     RepoLister
	log       *slog.Logger
	gap       time.Duration
	now       func() time.Time
	pokes     chan struct{}
}

// RepoLister lists the repos whose gauges to compute (*store.Store).
type RepoLister interface {
	Repos(ctx context.Context) ([]store.Repo, error)
}

// DefaultDORAGap is the least time between two refreshes of the gauges.
const DefaultDORAGap = 30 * time.Second

// NewDORARefresher returns the refresher of t's gauges from src, for the
// repos that repos lists, at most every gap (0: DefaultDORAGap). It
// refreshes from Run.
func NewDORARefresher(t *Telemetry, src DORASource, repos RepoLister, gap time.Duration, log *slog.Logger) *DORARefresher {
	if gap <= 0 {
		gap = DefaultDORAGap
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &DORARefresher{telemetry: t, src: src, repos: repos, log: log, gap: gap, now: time.Now, pokes: make(chan struct{}, 1)}
}

// Poke asks for a refresh; pokes while one is pending count as one.
func (d *DORARefresher) Poke() {
	select {
	case d.pokes <- struct{}{}:
	default:
	}
}

// Run refreshes the gauges after each poke, at most every gap, until ctx
// ends.
func (d *DORARefresher) Run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-d.pokes:
		}
		if err := d.refresh(ctx); err != nil && ctx.Err() == nil {
			d.log.Warn("DORA gauges not refreshed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(d.gap):
		}
	}
}

func (d *DORARefresher) refresh(ctx context.Context) error {
	repos, err := d.repos.Repos(ctx)
	if err != nil {
		return err
	}
	names := make([]string, len(repos))
	for i, r := range repos {
		names[i] = r.Name
	}
	return d.telemetry.RefreshDORA(ctx, d.src, names, d.now())
}
