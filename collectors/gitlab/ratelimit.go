package gitlab

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"time"

	retryablehttp "github.com/hashicorp/go-retryablehttp"

	"github.com/tach-dev/tach/collectors"
)

// budget is the rate limit one Provider shares across all its repos. GitLab
// says what is left in RateLimit-Remaining and when it refills in
// RateLimit-Reset (Unix seconds); budget is client-go's limiter, so it runs
// before every request (not before retries: the backoff paces those).
type budget struct {
	mu      sync.Mutex
	now     func() time.Time
	sleep   func(ctx context.Context, d time.Duration) error
	maxWait time.Duration
	log     *slog.Logger

	known     bool
	limit     int
	remaining int
	reset     time.Time
}

func newBudget(now func() time.Time, sleep func(context.Context, time.Duration) error, maxWait time.Duration, log *slog.Logger) *budget {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &budget{now: now, sleep: sleep, maxWait: maxWait, log: log}
}

// observe records a response's rate-limit headers and returns what is left
// (-1 when the response said nothing) and when it resets.
func (b *budget) observe(h http.Header) (int, time.Time) {
	remaining, ok := headerInt(h, "RateLimit-Remaining")
	if !ok {
		return -1, time.Time{}
	}
	reset := headerUnix(h, "RateLimit-Reset")
	b.mu.Lock()
	defer b.mu.Unlock()
	b.known, b.remaining, b.reset = true, remaining, reset
	if limit, ok := headerInt(h, "RateLimit-Limit"); ok {
		b.limit = limit
	}
	return remaining, reset
}

// lowWater is where pacing starts: a tenth of the limit, at least 10.
func (b *budget) lowWater() int {
	return max(10, b.limit/10)
}

// Wait paces the next request. With plenty left it returns at once; below
// the low-water mark it spreads what is left evenly until the reset; with
// nothing left it waits for the reset, or fails with ErrRateLimited when
// the reset is further away than the longest wait allowed.
func (b *budget) Wait(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	b.mu.Lock()
	if !b.known || b.reset.IsZero() {
		b.mu.Unlock()
		return nil
	}
	now := b.now()
	untilReset := b.reset.Sub(now)
	if untilReset <= 0 {
		// The window refilled; the next response says by how much.
		b.known = false
		b.mu.Unlock()
		return nil
	}
	var wait time.Duration
	switch {
	case b.remaining <= 0:
		if untilReset > b.maxWait {
			reset := b.reset
			b.mu.Unlock()
			return rateLimitError(reset)
		}
		wait = untilReset
		b.log.Warn("GitLab rate limit spent; waiting for its reset", "reset", b.reset.UTC().Format(time.RFC3339), "wait", wait.Round(time.Second))
	case b.remaining < b.lowWater():
		wait = untilReset / time.Duration(b.remaining+1)
	}
	// Reserve one request, so workers that wait together do not all spend
	// the last one.
	b.remaining--
	b.mu.Unlock()
	return b.sleep(ctx, wait)
}

func rateLimitError(reset time.Time) error {
	return fmt.Errorf("GitLab rate limit spent; it resets at %s, run the sync again after that: %w",
		reset.UTC().Format(time.RFC3339), collectors.ErrRateLimited)
}

// checkRetry is client-go's retry policy for tach: 429 and 5xx are retried
// (a bounded number of times, by RetryMax), and network errors as
// retryablehttp's default policy decides; a 429 whose Retry-After is
// further away than MaxRateLimitWait is not retried but returned, and
// becomes an ErrRateLimited naming the time to come back.
func (p *Provider) checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	if errors.Is(err, collectors.ErrOtherHost) {
		return false, err // a base_url to fix: trying again changes nothing
	}
	if err != nil {
		return retryablehttp.DefaultRetryPolicy(ctx, resp, err)
	}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		return p.retryAfter(resp) <= p.opts.MaxRateLimitWait, nil
	case resp.StatusCode == 0, resp.StatusCode >= 500 && resp.StatusCode != http.StatusNotImplemented:
		return true, nil
	}
	return false, nil
}

// backoff is the wait before a retry: what a 429 asks for (Retry-After, or
// until RateLimit-Reset), else exponential from min, capped at max, with
// jitter so that parallel workers do not retry in step.
func (p *Provider) backoff(minWait, maxWait time.Duration, attempt int, resp *http.Response) time.Duration {
	var wait time.Duration
	if resp != nil && resp.StatusCode == http.StatusTooManyRequests {
		wait = p.retryAfter(resp)
	}
	if wait <= 0 {
		wait = minWait << min(attempt, 20)
		if wait > maxWait || wait <= 0 {
			wait = maxWait
		}
		wait = wait/2 + rand.N(wait/2+1)
	}
	if resp != nil && resp.Request != nil {
		p.opts.Logger.Warn("GitLab request failed; retrying", "status", resp.StatusCode,
			"endpoint", resp.Request.Method+" "+resp.Request.URL.Path, "attempt", attempt+1, "wait", wait.Round(time.Millisecond))
	}
	if p.opts.Backoff != nil {
		wait = p.opts.Backoff(wait)
	}
	return wait
}

// retryAfter reads how long a 429 asks to wait: Retry-After (seconds or an
// HTTP date), else until RateLimit-Reset; 0 when it says neither.
func (p *Provider) retryAfter(resp *http.Response) time.Duration {
	if v := resp.Header.Get("Retry-After"); v != "" {
		if s, err := strconv.Atoi(v); err == nil {
			return time.Duration(max(s, 0)) * time.Second
		}
		if t, err := http.ParseTime(v); err == nil {
			return max(t.Sub(p.opts.Now()), 0)
		}
	}
	if reset := headerUnix(resp.Header, "RateLimit-Reset"); !reset.IsZero() {
		return max(reset.Sub(p.opts.Now()), 0)
	}
	return 0
}
