package github

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/tach-dev/tach/collectors"
)

// GitHub rate-limits a token per budget ("core" for REST, "graphql" for
// GraphQL points), reporting the state on every answer in the
// x-ratelimit-* headers. budget keeps what the answers said, shared by
// every request of one Provider (all repos, all workers), and spends it
// with care:
//
//   - while plenty is left, requests go at once;
//   - when what is left falls below PaceBelow of the limit, requests are
//     spaced evenly over the time until the reset, so the budget lasts
//     until then instead of running dry and stopping everything;
//   - when it is spent, a request waits for the reset if that is at most
//     MaxRateLimitWait away, or fails with a *RateLimitError saying when
//     to run the sync again.

// resetSlack is added to a reset time before trying again: GitHub's reset
// is in whole seconds and clocks differ a little.
const resetSlack = time.Second

// clock is time as the collector sees it; tests replace it so that no test
// sleeps.
type clock struct {
	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration) error
}

// sleepCtx waits d, or until ctx is done.
func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

type budget struct {
	clock     clock
	maxWait   time.Duration
	paceBelow float64
	log       *slog.Logger

	mu      sync.Mutex
	windows map[string]*rateWindow
}

// rateWindow is what is known of one budget until its reset.
type rateWindow struct {
	limit, remaining, used int
	reset                  time.Time
	next                   time.Time // pacing: when the next request may start
	pacing                 bool      // pacing was announced in the log
}

// RateLimitError is returned when a primary rate limit is spent (or a
// secondary limit asks for a wait) longer than the collector waits. It
// wraps collectors.ErrRateLimited.
type RateLimitError struct {
	Resource string    // core, graphql, or "secondary"
	Reset    time.Time // when requests may resume
	Waited   time.Duration
	In       time.Duration // how long from the time of the error
}

func (e *RateLimitError) Error() string {
	return fmt.Sprintf("%s: GitHub's %s rate limit allows requests again at %s (in %s); run the sync again after that",
		collectors.ErrRateLimited, e.Resource, e.Reset.UTC().Format("2006-01-02 15:04:05 UTC"), max(e.In, 0).Round(time.Second))
}

func (e *RateLimitError) Unwrap() error { return collectors.ErrRateLimited }

func newBudget(c clock, maxWait time.Duration, paceBelow float64, log *slog.Logger) *budget {
	return &budget{clock: c, maxWait: maxWait, paceBelow: paceBelow, log: log, windows: map[string]*rateWindow{}}
}

// acquire waits until a request of the budget resource may go.
func (b *budget) acquire(ctx context.Context, resource string) error {
	for range 4 { // a reset wait, then pacing at most: the loop is bounded
		delay, again, err := b.reserve(resource)
		if err != nil {
			return err
		}
		if delay > 0 {
			if err := b.clock.sleep(ctx, delay); err != nil {
				return err
			}
		}
		if !again {
			return ctx.Err()
		}
	}
	return ctx.Err()
}

// reserve takes one request from the budget. It returns how long to wait
// first, and again when the wait was for a reset (reserve once more after).
func (b *budget) reserve(resource string) (delay time.Duration, again bool, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	w := b.windows[resource]
	now := b.clock.now()
	if w == nil || w.reset.IsZero() {
		return 0, false, nil
	}
	if !now.Before(w.reset) { // the window has reset: nothing is known of the new one yet
		*w = rateWindow{limit: w.limit, remaining: w.limit}
		return 0, false, nil
	}
	untilReset := w.reset.Sub(now)
	if w.remaining <= 0 {
		wait := untilReset + resetSlack
		if wait > b.maxWait {
			return 0, false, &RateLimitError{Resource: resource, Reset: w.reset.Add(resetSlack), In: wait}
		}
		return wait, true, nil
	}
	if w.limit > 0 && float64(w.remaining) <= b.paceBelow*float64(w.limit) {
		interval := untilReset / time.Duration(w.remaining)
		slot := now
		if w.next.After(slot) {
			slot = w.next
		}
		delay = slot.Sub(now)
		if delay > b.maxWait {
			return 0, false, &RateLimitError{Resource: resource, Reset: slot, In: delay}
		}
		w.next = slot.Add(interval)
		w.remaining--
		if !w.pacing {
			w.pacing = true
			b.log.Warn("github: rate limit running low; spreading requests until the reset",
				"budget", resource, "remaining", w.remaining+1, "limit", w.limit, "reset", w.reset.UTC(), "interval", interval.Round(time.Millisecond))
		}
		return delay, false, nil
	}
	w.remaining--
	return 0, false, nil
}

// rateInfo is what one answer said of its budget.
type rateInfo struct {
	resource         string
	limit, remaining int
	used             int
	reset            time.Time
	known            bool
}

func parseRate(h http.Header, fallback string) rateInfo {
	ri := rateInfo{resource: fallback, remaining: -1}
	rem, err1 := strconv.Atoi(h.Get("X-Ratelimit-Remaining"))
	reset, err2 := strconv.ParseInt(h.Get("X-Ratelimit-Reset"), 10, 64)
	if err1 != nil || err2 != nil {
		return ri
	}
	ri.known, ri.remaining, ri.reset = true, rem, time.Unix(reset, 0)
	ri.limit, _ = strconv.Atoi(h.Get("X-Ratelimit-Limit"))
	ri.used, _ = strconv.Atoi(h.Get("X-Ratelimit-Used"))
	if r := h.Get("X-Ratelimit-Resource"); r != "" {
		ri.resource = r
	}
	return ri
}

// observe records what an answer said of its budget.
func (b *budget) observe(ri rateInfo) {
	if !ri.known {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	w := b.windows[ri.resource]
	if w == nil {
		w = &rateWindow{}
		b.windows[ri.resource] = w
	}
	if !w.reset.Equal(ri.reset) {
		// A new window (or the first answer): take it as it is.
		limit := ri.limit
		if limit <= 0 { // GraphQL's rateLimit field does not say the limit
			limit = w.limit
		}
		*w = rateWindow{limit: limit, remaining: ri.remaining, used: ri.used, reset: ri.reset, next: w.next}
		return
	}
	// Answers to concurrent requests arrive in any order: the lowest
	// remaining is the latest.
	w.remaining = min(w.remaining, ri.remaining)
	w.used = max(w.used, ri.used)
	if ri.limit > 0 {
		w.limit = ri.limit
	}
}

// spent records that a budget is empty until reset.
func (b *budget) spent(resource string, reset time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	w := b.windows[resource]
	if w == nil {
		w = &rateWindow{}
		b.windows[resource] = w
	}
	w.remaining = 0
	if !reset.IsZero() {
		w.reset = reset
	}
	if w.reset.IsZero() || !w.reset.After(b.clock.now()) {
		// No usable reset: try again in a minute.
		w.reset = b.clock.now().Add(time.Minute)
	}
}

// state returns what is known of a budget: remaining (-1 when unknown) and
// the reset.
func (b *budget) state(resource string) (int, time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	w := b.windows[resource]
	if w == nil || w.reset.IsZero() {
		return -1, time.Time{}
	}
	return w.remaining, w.reset
}
