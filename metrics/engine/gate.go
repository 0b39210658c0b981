package engine

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync/atomic"
	"time"

	"golang.org/x/sync/semaphore"

	"github.com/tach-dev/tach/metrics"
)

// Heavy work. A few requests cost a hundred times a page: a comparison (13
// measures, 2,000 bootstrap resamples of each median, over as much as ten
// years of rows a side), the suggested decisions (every repo's whole
// history), a view over more than half a year (its rows, a weekly series
// of hundreds of points). Sixty of them at once took every CPU and the
// store's read pool, and the pages of everyone else waited half a minute.
//
// A Gate bounds them. It has a few slots — half the CPUs, at least one —
// so that heavy work never takes every CPU and light pages (lists, the
// default views, sign-in, the probes: they never ask the gate) keep theirs.
// Computing takes a whole slot; rendering a heavy page, a quarter of one
// (web asks for that). Work that finds no room waits, in order, for at
// most the gate's wait, and is then refused with a *BusyError (a server
// answers 503 with Retry-After); so is work that finds too many already
// waiting. Identical computations are coalesced before they reach the
// gate (flight.go), and each checks its context in its long loops, so
// that work nobody waits for any more stops.
//
// A nil *Gate lets everything through: the CLI runs one computation and
// has nobody to share with.

// HeavyWeeks is how long a view's window may be and stay light: more than
// half a year of weeks is heavy.
const HeavyWeeks = 26

// HeavyWindow reports whether a view over w is heavy work: its window is
// longer than HeavyWeeks weeks (an hour of slack for a daylight-saving
// change).
func HeavyWindow(w metrics.Window) bool {
	return w.To.Sub(w.From) > HeavyWeeks*7*24*time.Hour+time.Hour
}

// Gate settings: the defaults of tach serve.
const (
	// DefaultGateWait is how long heavy work waits for a slot before it
	// is refused: long enough for a comparison or two ahead of it to end,
	// short enough that a refused reader is told soon.
	DefaultGateWait = 3 * time.Second
	// slotUnits are the units of one slot: computing takes them all,
	// rendering one.
	slotUnits = 4
	// waitingPerSlot bounds the work that may wait, per slot: beyond it,
	// work is refused at once (each waiter holds a connection and a
	// goroutine, nothing more, so the bound is generous).
	waitingPerSlot = 64
)

// DefaultGateSlots is the number of slots for this machine: half its CPUs
// (GOMAXPROCS), at least one.
func DefaultGateSlots() int { return max(1, runtime.GOMAXPROCS(0)/2) }

// Gate bounds the heavy work running at once (see above). Its methods are
// safe for concurrent use, and do nothing on a nil *Gate.
type Gate struct {
	sem        *semaphore.Weighted
	slots      int
	wait       time.Duration
	maxWaiting int64
	waiting    atomic.Int64
	computed   atomic.Int64 // computations let through
	shed       atomic.Int64 // work refused
}

// NewGate returns a gate of slots slots (DefaultGateSlots when 0 or less)
// whose work waits at most wait (DefaultGateWait when 0 or less).
func NewGate(slots int, wait time.Duration) *Gate {
	if slots <= 0 {
		slots = DefaultGateSlots()
	}
	if wait <= 0 {
		wait = DefaultGateWait
	}
	return &Gate{sem: semaphore.NewWeighted(int64(slots) * slotUnits), slots: slots, wait: wait, maxWaiting: int64(slots) * waitingPerSlot}
}

// GateStats is what a gate has done, for tests and /metrics.
type GateStats struct {
	Slots    int   // the gate's slots
	Waiting  int   // work waiting now
	Computed int64 // computations let through since the start
	Shed     int64 // work refused since the start
}

// Stats returns what the gate has done.
func (g *Gate) Stats() GateStats {
	if g == nil {
		return GateStats{}
	}
	return GateStats{Slots: g.slots, Waiting: int(g.waiting.Load()), Computed: g.computed.Load(), Shed: g.shed.Load()}
}

// Compute waits for a whole slot to compute in; release gives it back.
// The error is ctx's when ctx ends first, a *BusyError when the wait
// runs out or too much is waiting already.
func (g *Gate) Compute(ctx context.Context) (release func(), err error) {
	release, err = g.acquire(ctx, slotUnits)
	if err == nil && g != nil {
		g.computed.Add(1)
	}
	return release, err
}

// Render waits for a quarter of a slot to render a heavy page in, as
// Compute does.
func (g *Gate) Render(ctx context.Context) (release func(), err error) {
	return g.acquire(ctx, 1)
}

func (g *Gate) acquire(ctx context.Context, units int64) (func(), error) {
	if g == nil {
		return func() {}, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	release := func() { g.sem.Release(units) }
	if g.sem.TryAcquire(units) {
		return release, nil
	}
	if g.waiting.Add(1) > g.maxWaiting {
		g.waiting.Add(-1)
		return nil, g.busy()
	}
	defer g.waiting.Add(-1)
	wctx, cancel := context.WithTimeout(ctx, g.wait)
	defer cancel()
	if err := g.sem.Acquire(wctx, units); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, g.busy()
	}
	return release, nil
}

func (g *Gate) busy() error {
	g.shed.Add(1)
	// Time for what is waiting to pass through, roughly: the wait again.
	return &BusyError{RetryAfter: 2 * g.wait}
}

// ErrBusy is what a *BusyError is (errors.Is).
var ErrBusy = errors.New("busy with other heavy work")

// BusyError says heavy work was refused because the gate was full: try
// again after RetryAfter.
type BusyError struct {
	RetryAfter time.Duration
}

func (e *BusyError) Error() string {
	return fmt.Sprintf("%s: try again in %d s", ErrBusy, e.RetryAfterSeconds())
}

func (e *BusyError) Is(target error) bool { return target == ErrBusy }

// RetryAfterSeconds is RetryAfter in whole seconds, at least 1: a
// Retry-After header's value.
func (e *BusyError) RetryAfterSeconds() int {
	return max(1, int(math.Ceil(e.RetryAfter.Seconds())))
}
