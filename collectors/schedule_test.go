package collectors

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// fakeClock is a clock whose time moves only when the test says: After
// registers a waiter, Advance fires the waiters whose time came.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []fakeWaiter
	asked   []time.Duration
	changed chan struct{}
}

type fakeWaiter struct {
	at time.Time
	ch chan time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC), changed: make(chan struct{}, 100)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	c.asked = append(c.asked, d)
	if d <= 0 {
		ch <- c.now
	} else {
		c.waiters = append(c.waiters, fakeWaiter{at: c.now.Add(d), ch: ch})
	}
	c.changed <- struct{}{}
	return ch
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	kept := c.waiters[:0]
	for _, w := range c.waiters {
		if !w.at.After(c.now) {
			w.ch <- c.now
		} else {
			kept = append(kept, w)
		}
	}
	c.waiters = kept
}

// waitAsked waits until the scheduler has asked for its n-th timer.
func (c *fakeClock) waitAsked(t *testing.T, n int) time.Duration {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		c.mu.Lock()
		if len(c.asked) >= n {
			d := c.asked[n-1]
			c.mu.Unlock()
			return d
		}
		c.mu.Unlock()
		select {
		case <-c.changed:
		case <-deadline:
			t.Fatalf("the scheduler never asked for timer %d", n)
		}
	}
}

// fakeSync is a sync that blocks until released, counting runs and the
// most that ran at once.
type fakeSync struct {
	mu          sync.Mutex
	runs, inFly int
	maxInFly    int
	release     chan struct{}
	started     chan struct{}
	cancelled   int
}

func newFakeSync() *fakeSync {
	return &fakeSync{release: make(chan struct{}), started: make(chan struct{}, 100)}
}

func (f *fakeSync) run(ctx context.Context, tr *Tracker) (*Summary, error) {
	f.mu.Lock()
	f.runs++
	f.inFly++
	f.maxInFly = max(f.maxInFly, f.inFly)
	f.mu.Unlock()
	tr.start("acme/api")
	f.started <- struct{}{}
	defer func() {
		f.mu.Lock()
		f.inFly--
		f.mu.Unlock()
	}()
	select {
	case <-f.release:
		tr.finish("acme/api", nil)
		return &Summary{Repos: []RepoSummary{{Repo: "acme/api"}}}, nil
	case <-ctx.Done():
		f.mu.Lock()
		f.cancelled++
		f.mu.Unlock()
		tr.finish("acme/api", ctx.Err())
		return &Summary{}, ctx.Err()
	}
}

func waitStarted(t *testing.T, f *fakeSync) {
	t.Helper()
	select {
	case <-f.started:
	case <-time.After(5 * time.Second):
		t.Fatal("no sync started")
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestSchedulerRunsEveryIntervalWithJitter(t *testing.T) {
	clk := newFakeClock()
	fs := newFakeSync()
	rnd := []float64{0, 0.999999, 0.5}
	i := 0
	finished := make(chan SyncRun, 10)
	s := NewScheduler(fs.run, ScheduleOptions{
		Interval: time.Hour, FirstDelay: time.Minute, Now: clk.Now, After: clk.After,
		Rand:     func() float64 { r := rnd[i%len(rnd)]; i++; return r },
		OnFinish: func(r SyncRun) { finished <- r },
	})
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan error)
	go func() { stopped <- s.Run(ctx) }()

	if d := clk.waitAsked(t, 1); d != time.Minute {
		t.Fatalf("first wait = %v, want the first delay", d)
	}
	if st := s.Status(); st.Running || !st.Next.Equal(clk.Now().Add(time.Minute)) {
		t.Errorf("status before the first run = %+v", st)
	}
	clk.Advance(time.Minute)
	waitStarted(t, fs)
	if st := s.Status(); !st.Running || st.Current.Reason != ReasonScheduled || !st.Next.IsZero() {
		t.Errorf("status while running = %+v", st)
	}
	if p, running := s.Snapshot(); !running || len(p) != 1 || p[0].Repo != "acme/api" {
		t.Errorf("snapshot = %+v, %v", p, running)
	}
	fs.release <- struct{}{}
	<-finished

	// The waits between runs are the interval ± 10 %.
	want := []struct{ lo, hi time.Duration }{{54 * time.Minute, 54 * time.Minute}, {66*time.Minute - time.Second, 66 * time.Minute}, {time.Hour, time.Hour}}
	for n, w := range want {
		d := clk.waitAsked(t, n+2)
		if d < w.lo || d > w.hi {
			t.Errorf("wait %d = %v, want in [%v, %v]", n+1, d, w.lo, w.hi)
		}
		clk.Advance(d)
		waitStarted(t, fs)
		fs.release <- struct{}{}
		<-finished
	}
	st := s.Status()
	if st.Runs != 4 || st.Last == nil || st.Last.Err != nil || st.Last.Summary == nil || st.Last.Finished.IsZero() {
		t.Errorf("status after 4 runs = %+v", st)
	}
	if p, running := s.Snapshot(); running || len(p) != 1 || !p[0].Done {
		t.Errorf("snapshot after a run = %+v, %v: want the last run's progress", p, running)
	}
	cancel()
	if err := <-stopped; err != nil {
		t.Fatal(err)
	}
	if fs.maxInFly != 1 {
		t.Errorf("%d syncs ran at once", fs.maxInFly)
	}
}

func TestSchedulerNeverRunsTwoAtOnce(t *testing.T) {
	clk := newFakeClock()
	fs := newFakeSync()
	s := NewScheduler(fs.run, ScheduleOptions{Interval: time.Hour, FirstDelay: time.Hour, Now: clk.Now, After: clk.After})
	if err := s.Trigger(context.Background()); !errors.Is(err, ErrSchedulerStopped) {
		t.Errorf("trigger before Run = %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go s.Run(ctx)
	clk.waitAsked(t, 1)

	// Sync now.
	if err := s.Trigger(context.Background()); err != nil {
		t.Fatal(err)
	}
	waitStarted(t, fs)
	for range 5 {
		if err := s.Trigger(context.Background()); !errors.Is(err, ErrSyncRunning) {
			t.Errorf("trigger while running = %v, want ErrSyncRunning", err)
		}
	}
	// The schedule comes due while the manual run is in flight: skipped.
	clk.Advance(time.Hour)
	// A second caller joins the run in flight rather than starting one.
	joined := make(chan SyncRun)
	go func() {
		r, err := s.RunNow(context.Background())
		if err != nil {
			t.Error(err)
		}
		joined <- r
	}()
	time.Sleep(20 * time.Millisecond)
	fs.release <- struct{}{}
	r := <-joined
	if r.Reason != ReasonManual || r.Summary == nil {
		t.Errorf("joined run = %+v", r)
	}
	// The next scheduled run is a full interval after this one ended.
	if d := clk.waitAsked(t, 2); d < 54*time.Minute || d > 66*time.Minute {
		t.Errorf("wait after a manual run = %v", d)
	}
	fs.mu.Lock()
	runs, most := fs.runs, fs.maxInFly
	fs.mu.Unlock()
	if runs != 1 || most != 1 {
		t.Errorf("runs = %d, at once = %d; want 1 and 1", runs, most)
	}
}

func TestSchedulerStopCancelsTheRunInFlightAndWaits(t *testing.T) {
	clk := newFakeClock()
	fs := newFakeSync()
	s := NewScheduler(fs.run, ScheduleOptions{Interval: time.Hour, Now: clk.Now, After: clk.After})
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { s.Run(ctx); close(stopped) }()
	waitStarted(t, fs) // FirstDelay 0: at once
	cancel()
	select {
	case <-stopped:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	if fs.cancelled != 1 || fs.inFly != 0 {
		t.Errorf("cancelled = %d, in flight = %d; want the run cancelled and ended before Run returned", fs.cancelled, fs.inFly)
	}
	st := s.Status()
	if st.Running || st.Last == nil || !errors.Is(st.Last.Err, context.Canceled) {
		t.Errorf("status after stop = %+v", st)
	}
	if err := s.Trigger(context.Background()); !errors.Is(err, ErrSchedulerStopped) {
		t.Errorf("trigger after stop = %v", err)
	}
	if _, err := s.RunNow(context.Background()); !errors.Is(err, ErrSchedulerStopped) {
		t.Errorf("RunNow after stop = %v", err)
	}
}

func TestSchedulerTriggerOutlivesTheRequest(t *testing.T) {
	clk := newFakeClock()
	fs := newFakeSync()
	s := NewScheduler(fs.run, ScheduleOptions{Interval: time.Hour, FirstDelay: time.Hour, Now: clk.Now, After: clk.After})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go s.Run(ctx)
	clk.waitAsked(t, 1)
	req, done := context.WithCancel(context.Background())
	if err := s.Trigger(req); err != nil {
		t.Fatal(err)
	}
	done() // the HTTP request is answered
	waitStarted(t, fs)
	fs.release <- struct{}{}
	waitFor(t, "the run to finish", func() bool { return s.Status().Runs == 1 })
	if st := s.Status(); st.Last.Err != nil {
		t.Errorf("the run was cancelled with its request: %v", st.Last.Err)
	}
}

// A scheduler whose Claim another server holds skips its ticks, and
// refuses a run asked for; once it gets the claim (the other server died),
// its next tick syncs.
func TestSchedulerSyncsOnlyWithTheClaim(t *testing.T) {
	clk := newFakeClock()
	fs := newFakeSync()
	var mu sync.Mutex
	held := false
	claims := 0
	s := NewScheduler(fs.run, ScheduleOptions{
		Interval: time.Hour, Jitter: -1, Now: clk.Now, After: clk.After,
		Claim: func(context.Context) (bool, error) {
			mu.Lock()
			defer mu.Unlock()
			claims++
			return held, nil
		},
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go s.Run(ctx)

	// The first tick (at once) is skipped, and the next one armed.
	if d := clk.waitAsked(t, 2); d != time.Hour {
		t.Fatalf("wait after a skipped tick = %v, want the interval", d)
	}
	if st := s.Status(); st.Running || st.Runs != 0 || !st.Next.Equal(clk.Now().Add(time.Hour)) {
		t.Errorf("status after a skipped tick = %+v", st)
	}
	if err := s.Trigger(ctx); !errors.Is(err, ErrSyncElsewhere) {
		t.Errorf("Trigger without the claim = %v, want ErrSyncElsewhere", err)
	}
	if _, err := s.RunNow(ctx); !errors.Is(err, ErrSyncElsewhere) {
		t.Errorf("RunNow without the claim = %v, want ErrSyncElsewhere", err)
	}

	mu.Lock()
	held = true
	mu.Unlock()
	clk.Advance(time.Hour)
	waitStarted(t, fs)
	fs.release <- struct{}{}
	waitFor(t, "the run to finish", func() bool { return s.Status().Runs == 1 })
	fs.mu.Lock()
	runs, most := fs.runs, fs.maxInFly
	fs.mu.Unlock()
	if runs != 1 || most != 1 {
		t.Errorf("runs = %d (at most %d at once), want the one run with the claim", runs, most)
	}
	mu.Lock()
	defer mu.Unlock()
	if claims != 4 {
		t.Errorf("Claim asked %d times, want once per tick and per request (4)", claims)
	}
}

// With PassOn, a run asked of a scheduler without the claim is handed to
// the claim's holder.
func TestSchedulerPassesOnWithoutTheClaim(t *testing.T) {
	fs := newFakeSync()
	passed := 0
	s := NewScheduler(fs.run, ScheduleOptions{
		Interval: time.Hour, FirstDelay: time.Hour,
		Claim:  func(context.Context) (bool, error) { return false, nil },
		PassOn: func(context.Context) error { passed++; return nil },
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go s.Run(ctx)
	waitFor(t, "the scheduler to run", func() bool { return !s.Status().Next.IsZero() })
	if err := s.Trigger(ctx); !errors.Is(err, ErrSyncPassedOn) || passed != 1 {
		t.Fatalf("Trigger = %v (passed on %d times), want ErrSyncPassedOn once", err, passed)
	}
	if st := s.Status(); st.Running || st.Runs != 0 {
		t.Errorf("status = %+v: the run was passed on, not run here", st)
	}
}
