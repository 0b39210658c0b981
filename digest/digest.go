// Package digest posts the weekly review to chat: to each destination's
// incoming webhook, once per reviewed week, scope and destination, even
// with several `tach serve` replicas or a restart — a delivery is claimed
// in the database before it is posted and marked sent after (store:
// ClaimDigest, FinishDigest). A post answered 429 or 5xx, or refused
// before it was sent, is tried again with back-off; one that may have
// reached the receiver (a timeout after sending) is not, so no digest goes
// out twice. A webhook URL is a credential: logs and errors name the
// platform and the host only.
//
// What is posted is the caller's (render.Digest builds each platform's
// body); this package knows only bytes, destinations and the store.
package digest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/tach-dev/tach/store"
)

// Target is one destination: a platform and its incoming webhook's URL.
type Target struct {
	Platform string // slack, teams, mattermost, discord or webhook
	URL      string
}

// ID names the destination in the database: its platform and a hash of
// its URL (the URL is a credential and is not stored).
func (t Target) ID() string {
	sum := sha256.Sum256([]byte(t.URL))
	return t.Platform + ":" + hex.EncodeToString(sum[:8])
}

// String names the destination without its secret: "slack webhook at
// hooks.slack.com" (the generic one: "webhook at example.com").
func (t Target) String() string {
	host := "an invalid URL"
	if u, err := url.Parse(t.URL); err == nil && u.Host != "" {
		host = u.Host
	}
	if t.Platform == "webhook" {
		return "webhook at " + host
	}
	return t.Platform + " webhook at " + host
}

// Message is one digest: the reviewed week, its scope (a team's name, or
// "" for all repos), and its body for a platform.
type Message struct {
	Period string
	Scope  string
	Body   func(platform string) ([]byte, error)
}

// Result is what became of a message for one destination.
type Result struct {
	Target  Target
	Scope   string
	Sent    bool // posted now
	Already bool // sent before (or being sent by another replica): not posted
	Err     error
}

// Sender posts messages. Zero fields take the defaults given.
type Sender struct {
	Store *store.Store
	// Client posts (default: a client with a 30 s timeout).
	Client *http.Client
	Log    *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Attempts is how many times a post is tried (default 5); BaseDelay
	// the first back-off, doubling (default 2 s); Sleep waits (tests).
	Attempts  int
	BaseDelay time.Duration
	Sleep     func(ctx context.Context, d time.Duration) error
}

// claimStale is how old a claim must be before another replica takes it
// over: longer than a post with all its retries takes.
const claimStale = 15 * time.Minute

// maxRetryAfter bounds a receiver's Retry-After.
const maxRetryAfter = 5 * time.Minute

// Deliver posts m to each target that has not had it yet.
func (s *Sender) Deliver(ctx context.Context, m Message, targets []Target) []Result {
	s.defaults()
	var out []Result
	for _, t := range targets {
		r := Result{Target: t, Scope: m.Scope}
		k := store.DigestKey{Period: m.Period, Scope: m.Scope, Target: t.ID()}
		claimed, err := s.Store.ClaimDigest(ctx, k, s.Now(), claimStale)
		switch {
		case err != nil:
			r.Err = err
		case !claimed:
			r.Already = true
		default:
			err := s.post(ctx, m, t)
			msg := ""
			if err != nil {
				msg = err.Error()
			}
			if ferr := s.Store.FinishDigest(context.WithoutCancel(ctx), k, s.Now(), msg); ferr != nil && err == nil {
				err = ferr
			}
			r.Sent, r.Err = err == nil, err
		}
		if r.Err != nil {
			s.Log.Warn("digest: not delivered", "target", t.String(), "scope", m.Scope, "week", m.Period, "err", r.Err)
		} else if r.Sent {
			s.Log.Info("digest: delivered", "target", t.String(), "scope", m.Scope, "week", m.Period)
		}
		out = append(out, r)
	}
	return out
}

func (s *Sender) defaults() {
	if s.Client == nil {
		s.Client = &http.Client{Timeout: 30 * time.Second}
	}
	if s.Log == nil {
		s.Log = slog.New(slog.DiscardHandler)
	}
	if s.Now == nil {
		s.Now = time.Now
	}
	if s.Attempts <= 0 {
		s.Attempts = 5
	}
	if s.BaseDelay <= 0 {
		s.BaseDelay = 2 * time.Second
	}
	if s.Sleep == nil {
		s.Sleep = func(ctx context.Context, d time.Duration) error {
			t := time.NewTimer(d)
			defer t.Stop()
			select {
			case <-t.C:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
}

// PostError is a post that failed; it names the destination without its
// URL.
type PostError struct {
	Target   string // Target.String()
	Status   int    // the last answer's status, 0 when none
	Said     string // the start of the last answer's body
	Attempts int
	Err      error // no answer
}

func (e *PostError) Error() string {
	msg := fmt.Sprintf("digest to %s", e.Target)
	if e.Status != 0 {
		msg += fmt.Sprintf(": %d %s", e.Status, http.StatusText(e.Status))
		if e.Said != "" {
			msg += ": " + strconv.Quote(e.Said)
		}
	} else if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	if e.Attempts > 1 {
		msg += fmt.Sprintf(" (after %d attempts)", e.Attempts)
	}
	return msg
}

func (e *PostError) Unwrap() error { return e.Err }

// post sends one message to one target, retrying what may be retried.
func (s *Sender) post(ctx context.Context, m Message, t Target) error {
	body, err := m.Body(t.Platform)
	if err != nil {
		return err
	}
	for attempt := 1; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.URL, bytes.NewReader(body))
		if err != nil {
			return &PostError{Target: t.String(), Attempts: attempt, Err: errors.New("the URL is not valid")}
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("User-Agent", "tach-digest")
		resp, err := s.Client.Do(req)
		var wait time.Duration
		var perr *PostError
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			perr = &PostError{Target: t.String(), Attempts: attempt, Err: bareError(err)}
			if !notSent(err) {
				return perr // it may have arrived: never posted twice
			}
		} else {
			said, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
			resp.Body.Close()
			if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
				return nil
			}
			perr = &PostError{Target: t.String(), Status: resp.StatusCode, Said: string(bytes.TrimSpace(said)), Attempts: attempt}
			if resp.StatusCode != http.StatusTooManyRequests && resp.StatusCode < 500 {
				return perr
			}
			if ra, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && ra >= 0 {
				wait = min(time.Duration(ra)*time.Second, maxRetryAfter)
			}
		}
		if attempt >= s.Attempts {
			return perr
		}
		if wait == 0 {
			wait = s.BaseDelay << (attempt - 1)
		}
		s.Log.Warn("digest: retrying", "target", t.String(), "why", perr.Error(), "wait", wait)
		if err := s.Sleep(ctx, wait); err != nil {
			return err
		}
	}
}

// notSent reports an error that certainly happened before the request
// left: the connection was never made.
func notSent(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// bareError drops net/http's *url.Error, whose message quotes the URL.
func bareError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		if ue.Timeout() {
			return errors.New("no answer in time")
		}
		return ue.Err
	}
	return err
}
