package engine_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tach-dev/tach/metrics"
	"github.com/tach-dev/tach/metrics/engine"
	"github.com/tach-dev/tach/metrics/impact"
)

// TestGate: a computation takes a whole slot and rendering a quarter;
// work that finds no room waits, then is refused as busy (with when to try
// again), unless its own context ends first; too much waiting is refused
// at once; a nil gate lets everything through.
func TestGate(t *testing.T) {
	ctx := context.Background()
	g := engine.NewGate(1, 50*time.Millisecond)
	if s := g.Stats(); s.Slots != 1 {
		t.Fatalf("slots %d, want 1", s.Slots)
	}
	var renders []func()
	for range 4 {
		release, err := g.Render(ctx)
		if err != nil {
			t.Fatalf("render %d of 4 in one slot: %v", len(renders)+1, err)
		}
		renders = append(renders, release)
	}
	_, err := g.Render(ctx)
	var busy *engine.BusyError
	if !errors.As(err, &busy) || !errors.Is(err, engine.ErrBusy) || busy.RetryAfterSeconds() < 1 {
		t.Fatalf("a fifth render in one slot: %v, want busy with a retry", err)
	}
	if _, err := g.Compute(ctx); !errors.Is(err, engine.ErrBusy) {
		t.Fatalf("a computation while four renders run: %v, want busy", err)
	}
	renders[0]()
	if _, err := g.Compute(ctx); !errors.Is(err, engine.ErrBusy) {
		t.Fatalf("a computation while three renders run: %v, want busy", err)
	}
	for _, release := range renders[1:] {
		release()
	}
	hold, err := g.Compute(ctx)
	if err != nil {
		t.Fatalf("a computation in a free slot: %v", err)
	}

	// A waiter whose client leaves gets its context's error, not busy.
	gone, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		_, err := g.Compute(gone)
		done <- err
	}()
	waitFor(t, func() bool { return g.Stats().Waiting == 1 })
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("a waiter whose context ended: %v, want context.Canceled", err)
	}

	// Too many waiting: refused at once, without waiting.
	long := engine.NewGate(1, time.Minute)
	hold2, _ := long.Compute(ctx)
	var wg sync.WaitGroup
	waitCtx, stopWaiting := context.WithCancel(ctx)
	for range 64 {
		wg.Go(func() { long.Compute(waitCtx) })
	}
	for long.Stats().Waiting < 64 {
		time.Sleep(time.Millisecond)
	}
	if _, err := long.Compute(ctx); !errors.Is(err, engine.ErrBusy) {
		t.Fatalf("the 65th waiter of one slot: %v, want busy at once", err)
	}
	stopWaiting()
	wg.Wait()
	hold2()
	hold()
	if s := g.Stats(); s.Shed != 3 || s.Computed != 1 {
		t.Errorf("stats %+v, want 3 shed and 1 computed", s)
	}

	var none *engine.Gate
	release, err := none.Compute(ctx)
	if err != nil {
		t.Fatal(err)
	}
	release()
}

// TestAbandonedCompareStops reproduces issue 14: a comparison whose
// client went away kept computing (a minute of CPU after sixty clients
// left). Now the work stops at the next step once its last caller has
// gone: no step of the comparison runs after the cancellation.
func TestAbandonedCompareStops(t *testing.T) {
	org, gate := gatedOrg(t, time.Minute)
	ctx, cancel := context.WithCancel(context.Background())
	var steps, after atomic.Int64
	var cancelled atomic.Bool
	engine.OnCompareStep(org.log, func() {
		if cancelled.Load() {
			after.Add(1)
			return
		}
		if steps.Add(1) == 20 {
			cancelled.Store(true)
			cancel()
			// The client's handler has seen it go and left the
			// computation nobody else waits for.
			for engine.ComparesWaiting(org.log) > 0 {
				time.Sleep(time.Millisecond)
			}
		}
	})
	_, err := org.log.Compare(ctx, engine.CompareRequest{DecisionID: 1}, cmpEnd)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("compare after its client left: %v, want context.Canceled", err)
	}
	// The computation has ended when its slot is free again.
	release, err := gate.Compute(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	release()
	if steps.Load() < 20 {
		t.Fatalf("only %d steps before the cancellation", steps.Load())
	}
	if n := after.Load(); n > 0 {
		t.Errorf("%d steps of the comparison ran after its only client left", n)
	}
}

// TestIdenticalComparesRunOnce: twenty readers asking for the same
// comparison at once wait for one computation and get the same answer;
// the first of them leaving does not take the answer from the others.
func TestIdenticalComparesRunOnce(t *testing.T) {
	org, gate := gatedOrg(t, time.Minute)
	ctx := context.Background()
	// Hold the only slot until every reader waits.
	hold := holdSlot(t, gate)
	const readers = 20
	first, leave := context.WithCancel(ctx)
	type answer struct {
		c   impact.Comparison
		err error
	}
	answers := make(chan answer, readers)
	for i := range readers {
		rctx := ctx
		if i == 0 {
			rctx = first
		}
		go func() {
			c, err := org.log.Compare(rctx, engine.CompareRequest{DecisionID: 1}, cmpEnd)
			answers <- answer{c, err}
		}()
	}
	waitFor(t, func() bool { return engine.ComparesWaiting(org.log) == readers })
	leave()
	if a := <-answers; !errors.Is(a.err, context.Canceled) {
		t.Fatalf("the reader who left: %v, want context.Canceled", a.err)
	}
	hold()
	var want []byte
	for range readers - 1 {
		a := <-answers
		if a.err != nil {
			t.Fatal(a.err)
		}
		got, _ := json.Marshal(a.c)
		if want == nil {
			want = got
		}
		if string(got) != string(want) {
			t.Fatal("two readers got different comparisons")
		}
	}
	if s := gate.Stats(); s.Computed != 2 {
		t.Errorf("%d computations went through the gate, want 2: the test's hold and one comparison", s.Computed)
	}
	alone, err := org.log.Compare(ctx, engine.CompareRequest{DecisionID: 1}, cmpEnd)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := json.Marshal(alone); string(got) != string(want) {
		t.Error("the coalesced comparison differs from one computed alone")
	}
}

// TestHeavyViewsQueueLightOnesPass: with every slot of the gate taken, a
// view over the default 12 weeks is still answered at once, while one
// over a year waits and is refused as busy.
func TestHeavyViewsQueueLightOnesPass(t *testing.T) {
	org, gate := gatedOrg(t, 20*time.Millisecond)
	ctx := context.Background()
	defer holdSlot(t, gate)()
	quarter := metrics.Window{From: cmpEnd.AddDate(0, 0, -7*12), To: cmpEnd}
	year := metrics.Window{From: cmpEnd.AddDate(0, 0, -7*52), To: cmpEnd}
	if engine.HeavyWindow(quarter) || !engine.HeavyWindow(year) {
		t.Fatal("12 weeks should be light and a year heavy")
	}
	if _, err := org.reports.View(ctx, engine.Scope{}, quarter, cmpEnd); err != nil {
		t.Fatalf("a 12-week view with the gate full: %v", err)
	}
	for _, opts := range [][]engine.ViewOption{{engine.WithoutRows()}, nil} {
		if _, err := org.reports.View(ctx, engine.Scope{}, year, cmpEnd, opts...); !errors.Is(err, engine.ErrBusy) {
			t.Errorf("a year's view (%d options) with the gate full: %v, want busy", len(opts), err)
		}
	}
	if _, err := org.log.Compare(ctx, engine.CompareRequest{DecisionID: 1}, cmpEnd); !errors.Is(err, engine.ErrBusy) {
		t.Errorf("a comparison with the gate full: %v, want busy", err)
	}
	if _, err := org.log.Candidates(ctx, cmpEnd); !errors.Is(err, engine.ErrBusy) {
		t.Errorf("the suggestions with the gate full: %v, want busy", err)
	}
}

// TestViewCallerLeavingKeepsTheOthers: two pages ask for the same
// uncomputed view; the first leaves; the second still gets its view.
func TestViewCallerLeavingKeepsTheOthers(t *testing.T) {
	org, gate := gatedOrg(t, time.Minute)
	ctx := context.Background()
	hold := holdSlot(t, gate)
	year := metrics.Window{From: cmpEnd.AddDate(0, 0, -7*52), To: cmpEnd}
	first, leave := context.WithCancel(ctx)
	errs := make(chan error, 2)
	for _, c := range []context.Context{first, ctx} {
		go func() {
			_, err := org.reports.View(c, engine.Scope{}, year, cmpEnd, engine.WithoutRows())
			errs <- err
		}()
	}
	waitFor(t, func() bool { return engine.ViewsWaiting(org.reports) == 2 })
	leave()
	if err := <-errs; !errors.Is(err, context.Canceled) {
		t.Fatalf("the page that left: %v, want context.Canceled", err)
	}
	hold()
	if err := <-errs; err != nil {
		t.Fatalf("the page that stayed: %v", err)
	}
}

// gatedOrg is the comparisons' organisation (compare_test.go) with a gate
// of one slot whose work waits at most wait.
func gatedOrg(t *testing.T, wait time.Duration) (cmpOrg, *engine.Gate) {
	t.Helper()
	org := newCmpOrg(t)
	gate := engine.NewGate(1, wait)
	org.reports.UseGate(gate)
	return org, gate
}

// holdSlot takes the gate's slot; the function it returns gives it back.
func holdSlot(t *testing.T, gate *engine.Gate) func() {
	t.Helper()
	release, err := gate.Compute(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return release
}

// waitFor polls cond until it holds (or fails the test after 10 s).
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out waiting")
		}
		time.Sleep(time.Millisecond)
	}
}

// TestPartialComparesCoalesce: a comparison whose after side reaches into
// the present is cut at each caller's now, yet two callers a second apart
// still share one computation (keyed by the planned windows) and its
// answer, as cut at the first one's now.
func TestPartialComparesCoalesce(t *testing.T) {
	org, gate := gatedOrg(t, time.Minute)
	hold := holdSlot(t, gate)
	req := engine.CompareRequest{At: cmpEnd.AddDate(0, 0, -14)}
	answers := make(chan impact.Comparison, 2)
	for i := range 2 {
		go func() {
			c, err := org.log.Compare(context.Background(), req, cmpEnd.Add(time.Duration(i)*time.Second))
			if err != nil {
				t.Error(err)
			}
			answers <- c
		}()
	}
	waitFor(t, func() bool { return engine.ComparesWaiting(org.log) == 2 })
	hold()
	a, b := <-answers, <-answers
	if !a.Partial || a.After.CutAt == nil {
		t.Fatalf("the after side should be partial: %+v", a.After)
	}
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if string(ja) != string(jb) {
		t.Error("the two callers got different comparisons")
	}
	if s := gate.Stats(); s.Computed != 2 {
		t.Errorf("%d computations went through the gate, want 2: the test's hold and one comparison", s.Computed)
	}
}
