package web

import (
	"context"
	"strings"
	"sync"
	"time"
)

// Sign-in is rate-limited three ways, in memory (a restart forgets, which
// costs an attacker a restart they cannot cause):
//   - per login: after 5 failed attempts within 15 minutes, that login
//     is refused (429, Retry-After) until the oldest failure is 15 minutes
//     old, even with the right password; an unknown login is counted the
//     same, so the answer does not tell which logins exist;
//   - per client address: at most 20 attempts a minute;
//   - at most 4 password checks at once (each costs ~20 MiB and tens of
//     milliseconds of argon2id): more wait, up to 10 s, then get 503.
const (
	loginFailureLimit  = 5
	loginFailureWindow = 15 * time.Minute
	ipAttemptLimit     = 20
	ipAttemptWindow    = time.Minute
	maxHashChecks      = 4
	hashWait           = 10 * time.Second
	// maxLimiterKeys bounds the memory the limiter can use; past it, keys
	// whose window has passed are swept, and if that is not enough the
	// limiter refuses new keys (fails closed).
	maxLimiterKeys = 100_000
)

type loginLimiter struct {
	mu       sync.Mutex
	failures map[string][]time.Time // login → failed attempts in the window
	attempts map[string][]time.Time // client address → attempts in the window
	checks   chan struct{}
}

func newLoginLimiter() *loginLimiter {
	return &loginLimiter{failures: map[string][]time.Time{}, attempts: map[string][]time.Time{}, checks: make(chan struct{}, maxHashChecks)}
}

// loginKey normalises a login for counting (logins compare
// case-insensitively).
func loginKey(login string) string {
	login = strings.ToLower(strings.TrimSpace(login))
	if len(login) > 64 {
		login = login[:64]
	}
	return login
}

// recent drops the times older than window before now.
func recent(ts []time.Time, now time.Time, window time.Duration) []time.Time {
	i := 0
	for i < len(ts) && !ts[i].After(now.Add(-window)) {
		i++
	}
	return ts[i:]
}

// sweep drops keys with nothing in their window; called with mu held.
func sweep(m map[string][]time.Time, now time.Time, window time.Duration) {
	for k, ts := range m {
		if ts = recent(ts, now, window); len(ts) == 0 {
			delete(m, k)
		} else {
			m[k] = ts
		}
	}
}

// allow records an attempt from addr for login at now, and says whether
// it may go on; when not, retry says when it may.
func (l *loginLimiter) allow(addr, login string, now time.Time) (ok bool, retry time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	key := loginKey(login)
	if f := recent(l.failures[key], now, loginFailureWindow); len(f) >= loginFailureLimit {
		l.failures[key] = f
		return false, f[len(f)-loginFailureLimit].Add(loginFailureWindow).Sub(now)
	}
	a := recent(l.attempts[addr], now, ipAttemptWindow)
	if len(a) >= ipAttemptLimit {
		l.attempts[addr] = a
		return false, a[len(a)-ipAttemptLimit].Add(ipAttemptWindow).Sub(now)
	}
	if _, known := l.attempts[addr]; !known && len(l.attempts) >= maxLimiterKeys {
		sweep(l.attempts, now, ipAttemptWindow)
		if len(l.attempts) >= maxLimiterKeys {
			return false, ipAttemptWindow
		}
	}
	l.attempts[addr] = append(a, now)
	return true, 0
}

// failed records a failed attempt for login.
func (l *loginLimiter) failed(login string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	key := loginKey(login)
	if _, known := l.failures[key]; !known && len(l.failures) >= maxLimiterKeys {
		sweep(l.failures, now, loginFailureWindow)
		if len(l.failures) >= maxLimiterKeys {
			return
		}
	}
	l.failures[key] = append(recent(l.failures[key], now, loginFailureWindow), now)
}

// succeeded forgets the failures of login.
func (l *loginLimiter) succeeded(login string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.failures, loginKey(login))
}

// acquire waits for a password-check slot; release gives it back.
func (l *loginLimiter) acquire(ctx context.Context) bool {
	t := time.NewTimer(hashWait)
	defer t.Stop()
	select {
	case l.checks <- struct{}{}:
		return true
	case <-ctx.Done():
	case <-t.C:
	}
	return false
}

func (l *loginLimiter) release() { <-l.checks }
