package collectors

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"
)

// The scheduler runs the sync of a server: every interval (with jitter, so
// that several tach servers do not hit an API at the same minute), or now
// when asked, and never two at once. Each run has its own Tracker, which
// the status page reads while the run writes; stopping the scheduler
// cancels the run in flight, whose sink finishes the batch it is
// committing (commits are transactional) and starts no other.
//
// Several servers on one database (PostgreSQL replicas) each have a
// scheduler; a Claim, taken before every run, lets exactly one of them
// sync: the others skip their ticks until the one holding it is gone.

// SyncFunc runs one sync, reporting its progress to tracker.
type SyncFunc func(ctx context.Context, tracker *Tracker) (*Summary, error)

// Why a run started.
const (
	ReasonScheduled = "scheduled"
	ReasonManual    = "manual"
)

var (
	// ErrSyncRunning is Trigger's error while a sync runs.
	ErrSyncRunning = errors.New("a sync is already running")
	// ErrSchedulerStopped is Trigger's error before Run or after it ended.
	ErrSchedulerStopped = errors.New("the sync scheduler is not running")
	// ErrSyncElsewhere is Trigger's error when another server on the same
	// database holds the claim to sync.
	ErrSyncElsewhere = errors.New("another tach serve on this database runs the syncs")
	// ErrSyncPassedOn is Trigger's when another server holds the claim and
	// the request was passed on to it (ScheduleOptions.PassOn).
	ErrSyncPassedOn = errors.New("the sync was asked of the tach serve that runs the syncs")
)

// ScheduleOptions configure a Scheduler. Zero fields take the defaults.
type ScheduleOptions struct {
	// Interval between the end of a run and the start of the next
	// (default one hour).
	Interval time.Duration
	// Jitter spreads each wait by up to ± this share of Interval
	// (default 0.1; negative for none).
	Jitter float64
	// FirstDelay is the wait before the first scheduled run (0: at once).
	FirstDelay time.Duration
	// OnFinish is called after every run (for metrics), outside any lock.
	OnFinish func(SyncRun)
	// Claim, when set, is asked before every run whether this process may
	// sync (it holds, or has just taken, the database's sync lock); a run
	// it refuses is skipped, scheduled or asked for. Nil: always.
	Claim func(ctx context.Context) (bool, error)
	// PassOn, when set, hands a run asked for here, which Claim refused,
	// to the process holding the claim.
	PassOn func(ctx context.Context) error
	Logger *slog.Logger
	// Now, After and Rand are the clock and the jitter's randomness; tests
	// replace them.
	Now   func() time.Time
	After func(time.Duration) <-chan time.Time
	Rand  func() float64 // in [0, 1)
}

// SyncRun is one run of the sync.
type SyncRun struct {
	Reason   string
	Started  time.Time
	Finished time.Time // zero while it runs
	Summary  *Summary  // nil until it finishes
	Err      error     // the run's own error (cancelled, could not start); per-repo errors are in Summary
	Tracker  *Tracker
}

// ScheduleStatus is what the sync status page shows.
type ScheduleStatus struct {
	Interval time.Duration
	Running  bool
	Current  SyncRun   // the run in flight, when Running
	Last     *SyncRun  // the last finished run; nil before the first
	Next     time.Time // when the next scheduled run starts; zero while one runs or when stopped
	Runs     int       // runs finished since the server started
}

// Scheduler runs a SyncFunc on a schedule and on demand.
type Scheduler struct {
	run  SyncFunc
	opts ScheduleOptions

	mu       sync.Mutex
	ctx      context.Context // Run's, while it runs
	current  *SyncRun
	done     chan struct{} // closed when current ends
	last     *SyncRun
	next     time.Time
	runs     int
	finished chan struct{} // tells the loop a run ended
	wg       sync.WaitGroup
}

// NewScheduler returns a scheduler of run; it starts with Run.
func NewScheduler(run SyncFunc, opts ScheduleOptions) *Scheduler {
	if opts.Interval <= 0 {
		opts.Interval = time.Hour
	}
	switch {
	case opts.Jitter == 0:
		opts.Jitter = 0.1
	case opts.Jitter < 0:
		opts.Jitter = 0
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.After == nil {
		opts.After = time.After
	}
	if opts.Rand == nil {
		opts.Rand = rand.Float64
	}
	return &Scheduler{run: run, opts: opts, finished: make(chan struct{}, 1)}
}

// wait is the jittered interval: Interval × (1 ± Jitter).
func (s *Scheduler) wait() time.Duration {
	f := 1 + s.opts.Jitter*(2*s.opts.Rand()-1)
	return time.Duration(float64(s.opts.Interval) * f)
}

// Run schedules syncs until ctx ends, then cancels the run in flight and
// returns once it has stopped.
func (s *Scheduler) Run(ctx context.Context) error {
	s.mu.Lock()
	if s.ctx != nil {
		s.mu.Unlock()
		return errors.New("sync scheduler: Run called twice")
	}
	s.ctx = ctx
	s.next = s.opts.Now().Add(s.opts.FirstDelay)
	s.mu.Unlock()

	timer := s.opts.After(s.opts.FirstDelay)
	for {
		select {
		case <-ctx.Done():
			s.mu.Lock()
			s.next = time.Time{}
			s.mu.Unlock()
			s.wg.Wait()
			return nil
		case <-timer:
			timer = nil // re-armed when the run ends
			err := s.claim(ctx)
			if err == nil {
				_, err = s.start(ReasonScheduled)
			}
			if err != nil {
				s.opts.Logger.Debug("scheduled sync skipped", "err", err)
			}
			if err != nil && !errors.Is(err, ErrSyncRunning) {
				// No run to end: the next tick is an interval away.
				d := s.wait()
				s.mu.Lock()
				s.next = s.opts.Now().Add(d)
				s.mu.Unlock()
				timer = s.opts.After(d)
			}
		case <-s.finished:
			d := s.wait()
			s.mu.Lock()
			s.next = s.opts.Now().Add(d)
			s.mu.Unlock()
			timer = s.opts.After(d)
		}
	}
}

// claim asks the Claim whether this process may sync: nil when it may,
// ErrSyncElsewhere when another holds the claim.
func (s *Scheduler) claim(ctx context.Context) error {
	if s.opts.Claim == nil {
		return nil
	}
	ok, err := s.opts.Claim(ctx)
	switch {
	case err != nil:
		return fmt.Errorf("claim the sync: %w", err)
	case !ok:
		return ErrSyncElsewhere
	}
	return nil
}

// start begins a run unless one is in flight, and returns the channel
// closed when it ends.
func (s *Scheduler) start(reason string) (<-chan struct{}, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ctx == nil || s.ctx.Err() != nil {
		return nil, ErrSchedulerStopped
	}
	if s.current != nil {
		return s.done, ErrSyncRunning
	}
	r := &SyncRun{Reason: reason, Started: s.opts.Now(), Tracker: NewTracker()}
	s.current, s.done, s.next = r, make(chan struct{}), time.Time{}
	done, ctx := s.done, s.ctx
	s.wg.Add(1)
	go s.execute(ctx, r, done)
	return done, nil
}

func (s *Scheduler) execute(ctx context.Context, r *SyncRun, done chan struct{}) {
	defer s.wg.Done()
	s.opts.Logger.Info("sync started", "reason", r.Reason)
	sum, err := s.run(ctx, r.Tracker)
	fin := *r
	fin.Finished, fin.Summary, fin.Err = s.opts.Now(), sum, err
	attrs := []any{"reason", r.Reason, "duration", fin.Finished.Sub(r.Started).Round(time.Millisecond)}
	if sum != nil {
		attrs = append(attrs, "repos", len(sum.Repos), "failed", len(sum.Failed()), "requests", sum.Requests())
	}
	if err != nil {
		s.opts.Logger.Warn("sync ended early", append(attrs, "err", err)...)
	} else {
		s.opts.Logger.Info("sync finished", attrs...)
	}

	s.mu.Lock()
	s.current, s.last = nil, &fin
	s.runs++
	close(done)
	s.mu.Unlock()
	select {
	case s.finished <- struct{}{}:
	default:
	}
	if s.opts.OnFinish != nil {
		s.opts.OnFinish(fin)
	}
}

// Trigger starts a sync now ("sync now"), or returns ErrSyncRunning when
// one is running, or ErrSyncPassedOn when it asked another server (the
// claim's holder) to. The run belongs to the scheduler, not to ctx: it goes on
// after the request that asked for it has been answered.
func (s *Scheduler) Trigger(ctx context.Context) error {
	if err := s.claim(ctx); err != nil {
		if errors.Is(err, ErrSyncElsewhere) && s.opts.PassOn != nil {
			if err := s.opts.PassOn(ctx); err != nil {
				return fmt.Errorf("pass the sync on: %w", err)
			}
			return ErrSyncPassedOn
		}
		return err
	}
	_, err := s.start(ReasonManual)
	return err
}

// RunNow starts a sync, or joins the one running, and waits for it to end
// (or for ctx); it returns that run.
func (s *Scheduler) RunNow(ctx context.Context) (SyncRun, error) {
	if err := s.claim(ctx); err != nil {
		return SyncRun{}, err
	}
	done, err := s.start(ReasonManual)
	if err != nil && !errors.Is(err, ErrSyncRunning) {
		return SyncRun{}, err
	}
	select {
	case <-done:
	case <-ctx.Done():
		return SyncRun{}, ctx.Err()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return *s.last, nil
}

// Snapshot is the progress of the run in flight, or else of the last run,
// per repo; running says whether one is in flight (web.SyncStatus).
func (s *Scheduler) Snapshot() ([]RepoProgress, bool) {
	s.mu.Lock()
	r, running := s.current, s.current != nil
	if r == nil {
		r = s.last
	}
	s.mu.Unlock()
	if r == nil {
		return nil, false
	}
	return r.Tracker.Snapshot(), running
}

// Status returns the schedule's state.
func (s *Scheduler) Status() ScheduleStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := ScheduleStatus{Interval: s.opts.Interval, Running: s.current != nil, Next: s.next, Runs: s.runs}
	if s.current != nil {
		st.Current = *s.current
	}
	if s.last != nil {
		l := *s.last
		st.Last = &l
	}
	return st
}
