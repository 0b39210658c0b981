package github

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/tach-dev/tach/collectors"
)

// transport is the one http.RoundTripper under every request of a
// Provider: it refuses any request off the API host (a redirect's next
// hop, a next-page link elsewhere: the token would go along), it
// authenticates, spends the shared rate-limit budget, retries
// what GitHub asks to retry and counts every attempt. It returns GitHub's
// answer as it is once it is final (any status); the callers read statuses.
//
// What is retried:
//   - 5xx answers (but a compare GitHub gave up on: "this diff is taking
//     too long to generate"), timeouts and broken connections: up to
//     MaxRetries more attempts, with exponential backoff and jitter;
//   - secondary rate limits (403 or 429 with Retry-After or a "secondary
//     rate limit" message): after Retry-After, else after a minute doubling
//     each time (GitHub's advice), up to MaxRetries times;
//   - a spent primary limit (403/429 with x-ratelimit-remaining 0, or a
//     GraphQL RATE_LIMITED error): after the reset when it is near (see
//     budget), else a *RateLimitError;
//   - a GraphQL answer that is only a timeout error ("Something went wrong
//     while executing your query"), like a 5xx.
type transport struct {
	next          http.RoundTripper
	host          collectors.APIHost // the token goes there only
	creds         credentials        // a token, or a GitHub App's installations (app.go)
	userAgent     string
	budget        *budget
	clock         clock
	log           *slog.Logger
	maxRetries    int
	retryBase     time.Duration
	secondaryBase time.Duration
	timeout       time.Duration
	requests      atomic.Int64
}

// requestCounter is told of every request made (the repo's sink).
type requestCounter interface {
	Request(resource string, remaining int, reset time.Time)
}

// call says what a request is for; it travels in the request's context.
type call struct {
	counter  requestCounter
	resource string // the sync resource: changes, deployments, ...
	repo     string
	owner    string // the account of a request for no repo (an organisation's listing)
	// slots bound the repo's requests in flight (nil: no bound): a
	// request holds one from its attempt to the end of its answer's body,
	// not while it waits for a rate limit or a retry.
	slots *collectors.RequestSlots
}

type callKey struct{}

func withCall(ctx context.Context, c call) context.Context {
	return context.WithValue(ctx, callKey{}, c)
}

func callOf(ctx context.Context) call {
	c, _ := ctx.Value(callKey{}).(call)
	return c
}

const maxErrorBody = 64 << 10

// verdict is what to do with an answer.
type verdict int

const (
	answerFinal     verdict = iota // give it to the caller
	answerRetry                    // a server error: back off and try again
	answerSecondary                // a secondary limit: wait and try again
	answerPrimary                  // the primary limit is spent
)

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := t.host.Check(req); err != nil {
		return nil, err
	}
	ctx := req.Context()
	c := callOf(ctx)
	authz, scope, err := t.creds.authorize(ctx, c)
	if err != nil {
		return nil, err
	}
	resource := "core"
	if isGraphQLRequest(req) {
		resource = "graphql"
	}
	spends := budgetName(scope, resource)
	endpoint := req.Method + " " + req.URL.Path
	retries, secondaries, primaries := 0, 0, 0
	for {
		if err := t.budget.acquire(ctx, spends); err != nil {
			return nil, err
		}
		start := t.clock.now()
		resp, cancel, err := t.send(ctx, c, req, authz)
		t.requests.Add(1)
		if err != nil {
			c.count(rateInfo{remaining: -1})
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if retries >= t.maxRetries || (req.Body != nil && req.GetBody == nil) {
				return nil, fmt.Errorf("%s: no answer after %d attempts: %w", endpoint, retries+1, err)
			}
			if err := t.wait(ctx, c, endpoint, "no answer: "+err.Error(), t.backoff(t.retryBase, retries, 30*time.Second)); err != nil {
				return nil, err
			}
			retries++
			continue
		}
		ri := parseRate(resp.Header, resource)
		ri.resource = budgetName(scope, ri.resource)
		t.budget.observe(ri)
		c.count(ri)
		t.log.Debug("github: request", "repo", c.repo, "resource", c.resource, "endpoint", endpoint, "status", resp.StatusCode,
			"rate_left", ri.remaining, "budget", ri.resource, "took", t.clock.now().Sub(start).Round(time.Millisecond))
		v, wait, err := t.judge(resp, ri)
		if err != nil { // the body broke off: like no answer
			cancel()
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if retries >= t.maxRetries {
				return nil, fmt.Errorf("%s: answer broke off after %d attempts: %w", endpoint, retries+1, err)
			}
			if err := t.wait(ctx, c, endpoint, "answer broke off: "+err.Error(), t.backoff(t.retryBase, retries, 30*time.Second)); err != nil {
				return nil, err
			}
			retries++
			continue
		}
		switch v {
		case answerFinal:
			resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
			return resp, nil
		case answerRetry:
			if retries >= t.maxRetries {
				resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
				return resp, nil // the caller reports the last server error
			}
			discard(resp, cancel)
			if err := t.wait(ctx, c, endpoint, "server error "+resp.Status, t.backoff(t.retryBase, retries, 30*time.Second)); err != nil {
				return nil, err
			}
			retries++
		case answerSecondary:
			discard(resp, cancel)
			if wait <= 0 {
				wait = t.backoff(t.secondaryBase, secondaries, 15*time.Minute)
			}
			if wait > t.budget.maxWait || secondaries >= t.maxRetries {
				return nil, &RateLimitError{Resource: "secondary", Reset: t.clock.now().Add(wait), In: wait}
			}
			if err := t.wait(ctx, c, endpoint, "secondary rate limit", wait); err != nil {
				return nil, err
			}
			secondaries++
		case answerPrimary:
			discard(resp, cancel)
			if primaries >= 2 { // still spent after waiting for the reset twice
				reset := ri.reset
				if !reset.After(t.clock.now()) {
					reset = t.clock.now().Add(time.Minute)
				}
				return nil, &RateLimitError{Resource: ri.resource, Reset: reset, In: reset.Sub(t.clock.now())}
			}
			t.budget.spent(ri.resource, ri.reset)
			primaries++
			t.log.Warn("github: primary rate limit spent", "repo", c.repo, "resource", c.resource, "budget", ri.resource, "reset", ri.reset.UTC())
			// The next acquire waits for the reset, or fails when it is far.
		}
	}
}

func (c call) count(ri rateInfo) {
	if c.counter == nil {
		return
	}
	if !ri.known {
		c.counter.Request(c.resource, -1, time.Time{})
		return
	}
	c.counter.Request(c.resource, ri.remaining, ri.reset)
}

// send makes one attempt with its own timeout, in one of the repo's
// request slots; done ends the attempt's context and frees the slot once
// the body is read.
func (t *transport) send(ctx context.Context, c call, req *http.Request, authz string) (resp *http.Response, done context.CancelFunc, err error) {
	release, err := c.slots.Hold(ctx, false)
	if err != nil {
		return nil, nil, err
	}
	actx, stop := context.WithTimeout(ctx, t.timeout)
	cancel := func() { stop(); release() }
	r := req.Clone(actx)
	if req.Body != nil && req.GetBody != nil {
		body, err := req.GetBody()
		if err != nil {
			cancel()
			return nil, nil, err
		}
		r.Body = body
	}
	if authz != "" {
		r.Header.Set("Authorization", authz)
	}
	r.Header.Set("User-Agent", t.userAgent)
	if r.Header.Get("Accept") == "" {
		r.Header.Set("Accept", "application/vnd.github+json")
	}
	r.Header.Set("X-GitHub-Api-Version", "2022-11-28")
	resp, err = t.next.RoundTrip(r)
	if err != nil {
		cancel()
		return nil, nil, err
	}
	return resp, cancel, nil
}

// judge decides what an answer means, reading its body when the status
// alone does not say (the body is put back for the caller).
func (t *transport) judge(resp *http.Response, ri rateInfo) (verdict, time.Duration, error) {
	retryAfter, hasRetryAfter := parseRetryAfter(resp.Header.Get("Retry-After"), t.clock.now())
	switch {
	case resp.StatusCode >= 500:
		body, err := peekBody(resp, maxErrorBody)
		if err != nil {
			return answerFinal, 0, err
		}
		if diffTooLong(string(body)) { // the same answer every time
			return answerFinal, 0, nil
		}
		return answerRetry, 0, nil
	case resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusTooManyRequests:
		body, err := peekBody(resp, maxErrorBody)
		if err != nil {
			return answerFinal, 0, err
		}
		lower := strings.ToLower(string(body))
		secondary := hasRetryAfter || strings.Contains(lower, "secondary rate limit") || strings.Contains(lower, "abuse")
		switch {
		case ri.known && ri.remaining == 0 && !hasRetryAfter:
			return answerPrimary, 0, nil
		case secondary || resp.StatusCode == http.StatusTooManyRequests:
			return answerSecondary, retryAfter, nil
		}
		return answerFinal, 0, nil // no permission: the caller says which
	case resp.StatusCode == http.StatusOK && isGraphQLRequest(resp.Request):
		body, err := peekBody(resp, -1)
		if err != nil {
			return answerFinal, 0, err
		}
		var g struct {
			Data   json.RawMessage `json:"data"`
			Errors []struct {
				Type    string `json:"type"`
				Message string `json:"message"`
			} `json:"errors"`
		}
		if json.Unmarshal(body, &g) != nil {
			return answerFinal, 0, nil // malformed: the GraphQL client reports it
		}
		noData := len(g.Data) == 0 || string(g.Data) == "null"
		for _, e := range g.Errors {
			if e.Type == "RATE_LIMITED" {
				return answerPrimary, 0, nil
			}
			if noData && (strings.Contains(e.Message, "Something went wrong while executing your query") || strings.Contains(strings.ToLower(e.Message), "timeout")) {
				return answerRetry, 0, nil
			}
		}
	}
	return answerFinal, 0, nil
}

// peekBody reads the body (at most limit bytes when limit > 0) and puts it
// back.
func peekBody(resp *http.Response, limit int64) ([]byte, error) {
	r := io.Reader(resp.Body)
	if limit > 0 {
		r = io.LimitReader(resp.Body, limit)
	}
	body, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(body), resp.Body), resp.Body}
	return body, nil
}

// parseRetryAfter reads Retry-After: seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	if v == "" {
		return 0, false
	}
	if s, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
		return time.Duration(max(s, 0)) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// backoff is base·2^n, at most limit, with jitter over its upper half so
// that workers retrying together spread out.
func (t *transport) backoff(base time.Duration, n int, limit time.Duration) time.Duration {
	d := base << min(n, 20)
	if d <= 0 || d > limit {
		d = limit
	}
	return d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
}

func (t *transport) wait(ctx context.Context, c call, endpoint, why string, d time.Duration) error {
	t.log.Warn("github: retrying", "repo", c.repo, "resource", c.resource, "endpoint", endpoint, "why", why, "wait", d.Round(time.Millisecond))
	return t.clock.sleep(ctx, d)
}

func discard(resp *http.Response, cancel context.CancelFunc) {
	io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBody))
	resp.Body.Close()
	cancel()
}

func isGraphQLRequest(req *http.Request) bool {
	return req != nil && req.Method == http.MethodPost && strings.HasSuffix(req.URL.Path, "/graphql")
}

// cancelOnClose ends an attempt's context when its body is closed.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c *cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}
