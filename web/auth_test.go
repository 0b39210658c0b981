package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tach-dev/tach/collectors"
	"github.com/tach-dev/tach/store"
	"github.com/tach-dev/tach/store/storetest"
	"github.com/tach-dev/tach/web"
)

func init() {
	// Cheap password hashes keep the tests fast; the format is the same.
	store.PasswordParams = store.Argon2Params{Memory: 1024, Time: 1, Threads: 1}
}

// Passwords of the test users: ada writes, rob reads.
const (
	adaPassword = "ada-correct-horse-battery"
	robPassword = "rob-correct-horse-battery"
)

// testClock is a clock tests move.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// lockedBuffer collects a log from several goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// fakeSync is a SyncStatus whose runs the test ends.
type fakeSync struct {
	mu       sync.Mutex
	running  bool
	triggers int
}

func (f *fakeSync) Snapshot() ([]collectors.RepoProgress, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return nil, f.running
}

func (f *fakeSync) Trigger(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.running {
		return collectors.ErrSyncRunning
	}
	f.running = true
	f.triggers++
	return nil
}

func (f *fakeSync) finish() { f.mu.Lock(); f.running = false; f.mu.Unlock() }

// opsEnv is the dashboard as tach serve runs it, over the demo database,
// with users in a store of their own.
type opsEnv struct {
	t     *testing.T
	h     http.Handler
	users *store.Store
	clock *testClock
	logs  *lockedBuffer
	sync  *fakeSync
	ops   *web.OpsOptions
}

// signInOff configures a server without sign-in, as tach serve runs one on
// loopback; httptest's requests name example.com, which it is told to
// answer to (allowed_hosts).
func signInOff(o *web.OpsOptions) {
	o.Auth.Users = nil
	o.AllowedHosts = []string{"example.com"}
}

func newOpsEnv(t *testing.T, configure func(*web.OpsOptions)) *opsEnv {
	t.Helper()
	ctx := context.Background()
	users := storetest.New(t)
	if _, err := users.AddUser(ctx, "ada", adaPassword, store.RoleWrite); err != nil {
		t.Fatal(err)
	}
	if _, err := users.AddUser(ctx, "rob", robPassword, store.RoleRead); err != nil {
		t.Fatal(err)
	}
	e := &opsEnv{t: t, users: users, clock: &testClock{t: demoNow}, logs: &lockedBuffer{}, sync: &fakeSync{}}
	e.ops = &web.OpsOptions{
		Auth:        web.AuthOptions{Users: users, SessionTTL: time.Hour, CookieSecure: "auto"},
		Telemetry:   web.NewTelemetry(),
		LogRequests: true,
		Ready:       func(ctx context.Context) error { _, err := users.SchemaVersion(ctx); return err },
	}
	if configure != nil {
		configure(e.ops)
	}
	e.h = web.New(web.Options{
		Reports: demoReports, Decisions: demoDecisions, Store: demoStore,
		Logger: slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now:    e.clock.Now,
		Sync:   e.sync,
		Ops:    e.ops,
	})
	return e
}

// req is one request of a test.
type req struct {
	method, target string
	form           url.Values // sent as a form when set
	body           []byte     // sent as is otherwise
	header         map[string]string
	remote         string // RemoteAddr (default 127.0.0.1:40000)
	cookie         string // a session cookie value to send
	cookieName     string // default tach_session
	host           string // the Host header (default example.com)
}

func (e *opsEnv) do(r req) *httptest.ResponseRecorder {
	e.t.Helper()
	var body io.Reader
	if r.form != nil {
		body = strings.NewReader(r.form.Encode())
	} else if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	if r.method == "" {
		r.method = http.MethodGet
	}
	hr := httptest.NewRequest(r.method, r.target, body)
	hr.RemoteAddr = "127.0.0.1:40000"
	if r.remote != "" {
		hr.RemoteAddr = r.remote
	}
	if r.host != "" {
		hr.Host = r.host
	}
	if r.form != nil {
		hr.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range r.header {
		hr.Header.Set(k, v)
	}
	if r.cookie != "" {
		name := r.cookieName
		if name == "" {
			name = "tach_session"
		}
		hr.AddCookie(&http.Cookie{Name: name, Value: r.cookie})
	}
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, hr)
	return rec
}

// login signs in and returns the session cookie's value.
func (e *opsEnv) login(login, password string) string {
	e.t.Helper()
	rec := e.do(req{method: "POST", target: "/login", form: url.Values{"login": {login}, "password": {password}, "next": {"/weekly"}}})
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/weekly" {
		e.t.Fatalf("login %s: %d %s\n%s", login, rec.Code, rec.Header().Get("Location"), rec.Body)
	}
	c := sessionCookieOf(rec)
	if c == nil {
		e.t.Fatalf("login %s set no session cookie: %v", login, rec.Header()["Set-Cookie"])
	}
	return c.Value
}

func sessionCookieOf(rec *httptest.ResponseRecorder) *http.Cookie {
	for _, c := range rec.Result().Cookies() {
		if (c.Name == "tach_session" || c.Name == "__Host-tach_session") && c.MaxAge >= 0 {
			return c
		}
	}
	return nil
}

func jsonBody(t *testing.T, rec *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
		t.Fatalf("not JSON (%d): %s", rec.Code, rec.Body)
	}
	return m
}

func TestSignInAndOut(t *testing.T) {
	e := newOpsEnv(t, nil)
	// Nobody signed in: pages go to /login (and come back), the API says 401.
	rec := e.do(req{target: "/weekly?team=payments"})
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/login?next="+url.QueryEscape("/weekly?team=payments") {
		t.Fatalf("page without a session: %d %q", rec.Code, rec.Header().Get("Location"))
	}
	rec = e.do(req{target: "/api/v1/metrics"})
	if rec.Code != http.StatusUnauthorized || jsonBody(t, rec)["error"] == nil {
		t.Fatalf("API without a session: %d %s", rec.Code, rec.Body)
	}
	// The public paths need no session; /metrics does (or its token).
	for _, path := range []string{"/healthz", "/readyz", "/login", "/static/favicon.svg"} {
		if rec := e.do(req{target: path}); rec.Code != http.StatusOK {
			t.Errorf("%s: %d", path, rec.Code)
		}
	}
	if rec := e.do(req{target: "/metrics"}); rec.Code != http.StatusUnauthorized {
		t.Errorf("/metrics without a session: %d", rec.Code)
	}
	rec = e.do(req{target: "/login?next=/weekly"})
	if !strings.Contains(rec.Body.String(), `data-testid="login-form"`) || !strings.Contains(rec.Body.String(), `value="/weekly"`) {
		t.Fatalf("login page:\n%s", rec.Body)
	}

	// A wrong password: 401, the form again, the same words as an unknown login.
	wrong := e.do(req{method: "POST", target: "/login", form: url.Values{"login": {"ada"}, "password": {"not-the-password"}}})
	unknown := e.do(req{method: "POST", target: "/login", form: url.Values{"login": {"nobody"}, "password": {"not-the-password"}}})
	for _, rec := range []*httptest.ResponseRecorder{wrong, unknown} {
		if rec.Code != http.StatusUnauthorized || !strings.Contains(rec.Body.String(), "Wrong login or password.") || sessionCookieOf(rec) != nil {
			t.Errorf("failed sign-in: %d\n%s", rec.Code, rec.Body)
		}
	}
	// Empty fields: 422.
	if rec := e.do(req{method: "POST", target: "/login", form: url.Values{"login": {"ada"}}}); rec.Code != http.StatusUnprocessableEntity {
		t.Errorf("no password: %d", rec.Code)
	}

	// Signed in: the cookie is HttpOnly, SameSite=Lax, Path=/, not Secure on
	// plain http; the header names the user with a sign-out button.
	rec = e.do(req{method: "POST", target: "/login", form: url.Values{"login": {"ada"}, "password": {adaPassword}, "next": {"/weekly"}}})
	c := sessionCookieOf(rec)
	if rec.Code != http.StatusSeeOther || c == nil || c.Name != "tach_session" || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Secure || c.MaxAge != 3600 {
		t.Fatalf("sign-in: %d %v", rec.Code, rec.Header()["Set-Cookie"])
	}
	if len(c.Value) != 64 {
		t.Errorf("session id %q", c.Value)
	}
	rec = e.do(req{target: "/", cookie: c.Value})
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `data-testid="account"`) || !strings.Contains(rec.Body.String(), "ada") ||
		!strings.Contains(rec.Body.String(), `action="/logout"`) {
		t.Fatalf("signed in: %d", rec.Code)
	}
	if rec := e.do(req{target: "/api/v1/metrics", cookie: c.Value}); rec.Code != http.StatusOK {
		t.Errorf("API signed in: %d", rec.Code)
	}
	// Signed in, /login goes on to where it was asked to.
	if rec := e.do(req{target: "/login?next=/changes", cookie: c.Value}); rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/changes" {
		t.Errorf("login page when signed in: %d %s", rec.Code, rec.Header().Get("Location"))
	}

	// Sign out: the session ends and the cookie is cleared.
	rec = e.do(req{method: "POST", target: "/logout", cookie: c.Value})
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/login" || !strings.Contains(strings.Join(rec.Header()["Set-Cookie"], "\n"), "Max-Age=0") {
		t.Fatalf("sign-out: %d %v", rec.Code, rec.Header())
	}
	if rec := e.do(req{target: "/", cookie: c.Value}); rec.Code != http.StatusSeeOther {
		t.Errorf("after sign-out: %d", rec.Code)
	}
	// A made-up session id is nobody.
	if rec := e.do(req{target: "/api/v1/metrics", cookie: strings.Repeat("ab", 32)}); rec.Code != http.StatusUnauthorized {
		t.Errorf("forged session: %d", rec.Code)
	}

	// Over TLS (or behind a proxy saying https) the cookie is
	// __Host-tach_session, Secure, and is read back.
	rec = e.do(req{method: "POST", target: "/login", form: url.Values{"login": {"ada"}, "password": {adaPassword}}, header: map[string]string{"X-Forwarded-Proto": "https"}})
	c = sessionCookieOf(rec)
	if c == nil || c.Name != "__Host-tach_session" || !c.Secure || c.Path != "/" || c.Domain != "" {
		t.Fatalf("secure cookie: %v", rec.Header()["Set-Cookie"])
	}
	if rec := e.do(req{target: "/api/v1/metrics", cookie: c.Value, cookieName: c.Name}); rec.Code != http.StatusOK {
		t.Errorf("secure cookie read back: %d", rec.Code)
	}

	// The log names who signed in and failed, never a password or session id.
	logs := e.logs.String()
	for _, want := range []string{`msg="signed in" login=ada`, `msg="sign-in failed" login=ada`, "msg=request", "path=/weekly"} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q", want)
		}
	}
	for _, secret := range []string{adaPassword, "not-the-password", c.Value, "team=payments"} {
		if strings.Contains(logs, secret) {
			t.Errorf("the log holds %q", secret)
		}
	}
}

func TestSignInNextStaysOnThisServer(t *testing.T) {
	e := newOpsEnv(t, nil)
	ada := e.login("ada", adaPassword)
	n := 0
	for next, want := range map[string]string{
		"/weekly?team=a":                "/weekly?team=a",
		"/changes?repo=acme%2Fapi#rows": "/changes?repo=acme%2Fapi#rows",
		"//evil.example/":               "/",
		"/\\evil.example":               "/",
		"/./\\evil.example/pwned":       "/", // http.Redirect cleaned this into /\evil.example/pwned
		"/./%5Cevil.example/pwned":      "/",
		"/./%5cevil.example/pwned":      "/",
		"/.//evil.example":              "/",
		"/a/..//evil.example":           "/",
		"/%2e/%5Cevil.example":          "/",
		"/%2E%2E//evil.example":         "/",
		"/\t/evil.example":              "/", // browsers drop tabs and newlines from URLs
		"/\n/evil.example":              "/",
		"/ /evil.example":               "/",
		"/weekly?q=\\x":                 "/",
		"/\u3000/evil.example":          "/",
		"https://evil.example/":         "/",
		"https:/evil.example/":          "/",
		"http:\\\\evil.example":         "/",
		"javascript:alert(1)":           "/",
		"/login?next=//evil":            "/",
		"":                              "/",
		"/changes\r\nSet-Cookie: x":     "/",
	} {
		// Each from its own address: 20 sign-ins a minute from one would be
		// refused.
		n++
		post := e.do(req{method: "POST", target: "/login", remote: fmt.Sprintf("10.9.0.%d:1", n),
			form: url.Values{"login": {"ada"}, "password": {adaPassword}, "next": {next}}})
		signedIn := e.do(req{target: "/login?next=" + url.QueryEscape(next), cookie: ada})
		for how, rec := range map[string]*httptest.ResponseRecorder{"POST /login": post, "GET /login signed in": signedIn} {
			got := rec.Header().Get("Location")
			if rec.Code != http.StatusSeeOther || got != want {
				t.Errorf("%s, next %q: %d %q, want %q", how, next, rec.Code, got, want)
			}
			// Whatever it is, the address sent stays on this server as a
			// browser reads it (a backslash is a slash to a browser).
			base, _ := url.Parse("http://tach.test/login")
			u, err := base.Parse(strings.ReplaceAll(got, "\\", "/"))
			if err != nil || u.Host != "tach.test" {
				t.Errorf("%s, next %q: Location %q leaves the server", how, next, got)
			}
		}
	}
}

func TestSignInRateLimits(t *testing.T) {
	e := newOpsEnv(t, nil)
	attempt := func(login, password, remote string) *httptest.ResponseRecorder {
		return e.do(req{method: "POST", target: "/login", remote: remote, form: url.Values{"login": {login}, "password": {password}}})
	}
	// Five failures for ada within 15 minutes, from several addresses...
	for i := range 5 {
		if rec := attempt("ada", "wrong-password", "10.0.0."+strconv.Itoa(i+1)+":1"); rec.Code != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d", i+1, rec.Code)
		}
		e.clock.Add(time.Minute)
	}
	// ...and even the right password is refused, with Retry-After; another
	// login is not affected; "ADA" is the same login.
	for _, login := range []string{"ada", "ADA"} {
		rec := attempt(login, adaPassword, "10.0.0.9:1")
		retry, _ := strconv.Atoi(rec.Header().Get("Retry-After"))
		if rec.Code != http.StatusTooManyRequests || retry <= 0 || retry > 15*60 || sessionCookieOf(rec) != nil {
			t.Fatalf("locked login %s: %d Retry-After %q", login, rec.Code, rec.Header().Get("Retry-After"))
		}
		if !strings.Contains(rec.Body.String(), "Too many sign-in attempts") {
			t.Errorf("429 page:\n%s", rec.Body)
		}
	}
	if rec := attempt("rob", robPassword, "10.0.0.9:1"); rec.Code != http.StatusSeeOther {
		t.Errorf("rob: %d", rec.Code)
	}
	// An unknown login locks the same way, so a 429 tells nothing.
	for range 5 {
		attempt("nobody", "x-wrong-password", "10.0.1.1:1")
	}
	if rec := attempt("nobody", "x-wrong-password", "10.0.1.2:1"); rec.Code != http.StatusTooManyRequests {
		t.Errorf("unknown login not locked: %d", rec.Code)
	}
	// Once the oldest failure is 15 minutes old, ada may try again.
	e.clock.Add(11 * time.Minute)
	if rec := attempt("ada", adaPassword, "10.0.0.9:1"); rec.Code != http.StatusSeeOther {
		t.Errorf("after the window: %d", rec.Code)
	}

	// One address: 20 attempts a minute, whatever the logins.
	e.clock.Add(time.Hour)
	for i := range 20 {
		if rec := attempt("user"+strconv.Itoa(i), "wrong-password", "192.0.2.7:5555"); rec.Code != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d", i+1, rec.Code)
		}
	}
	rec := attempt("rob", robPassword, "192.0.2.7:6666")
	if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") == "" {
		t.Fatalf("21st attempt from one address: %d", rec.Code)
	}
	if rec := attempt("rob", robPassword, "192.0.2.8:1"); rec.Code != http.StatusSeeOther {
		t.Errorf("another address: %d", rec.Code)
	}
	e.clock.Add(61 * time.Second)
	if rec := attempt("rob", robPassword, "192.0.2.7:6666"); rec.Code != http.StatusSeeOther {
		t.Errorf("a minute later: %d", rec.Code)
	}
}

func TestSessionExpirySlides(t *testing.T) {
	e := newOpsEnv(t, nil) // TTL 1h
	id := e.login("rob", robPassword)
	ok := func(when string) {
		t.Helper()
		if rec := e.do(req{target: "/api/v1/scopes", cookie: id}); rec.Code != http.StatusOK {
			t.Fatalf("%s: %d", when, rec.Code)
		}
	}
	e.clock.Add(50 * time.Minute)
	ok("at 50 min") // used: now valid until 110 min
	e.clock.Add(55 * time.Minute)
	ok("at 105 min")              // still valid, extended to 165 min
	e.clock.Add(61 * time.Minute) // unused for 61 minutes
	if rec := e.do(req{target: "/api/v1/scopes", cookie: id}); rec.Code != http.StatusUnauthorized {
		t.Fatalf("an hour unused: %d", rec.Code)
	}
	if rec := e.do(req{target: "/weekly", cookie: id}); rec.Code != http.StatusSeeOther {
		t.Errorf("page an hour unused: %d", rec.Code)
	}
}

func TestReadAndWriteRoles(t *testing.T) {
	e := newOpsEnv(t, nil)
	rob := e.login("rob", robPassword)
	ada := e.login("ada", adaPassword)

	// Readers read everything.
	for _, path := range []string{"/", "/weekly", "/changes", "/decisions", "/sync", "/api/v1/metrics", "/api/v1/sync"} {
		if rec := e.do(req{target: path, cookie: rob}); rec.Code != http.StatusOK {
			t.Errorf("rob GET %s: %d", path, rec.Code)
		}
	}
	rec := e.do(req{target: "/sync", cookie: rob})
	if strings.Contains(rec.Body.String(), "sync-now") {
		t.Error("the sync page offers a reader to start a sync")
	}
	if !strings.Contains(rec.Body.String(), "read only") {
		t.Error("the header does not say the reader's role")
	}
	rec = e.do(req{target: "/decisions", cookie: rob})
	if strings.Contains(rec.Body.String(), `href="/decisions/new"`) {
		t.Error("the decisions page offers a reader to record one")
	}
	// ...but writing is 403, and nothing happens.
	before, _ := demoStore.Decisions(context.Background())
	for _, r := range []req{
		{method: "POST", target: "/api/v1/sync"},
		{method: "POST", target: "/sync"},
		{method: "POST", target: "/decisions", form: url.Values{"date": {"2026-01-05"}, "title": {"Reader's decision"}, "kind": {"caching"}}},
		{method: "GET", target: "/decisions/new"},
		{method: "POST", target: "/decisions/1/delete", form: url.Values{}},
	} {
		r.cookie = rob
		if rec := e.do(r); rec.Code != http.StatusForbidden {
			t.Errorf("rob %s %s: %d", r.method, r.target, rec.Code)
		}
	}
	if rec := e.do(req{method: "POST", target: "/api/v1/sync", cookie: rob}); !strings.Contains(jsonBody(t, rec)["error"].(string), "read") {
		t.Errorf("403 says: %s", rec.Body)
	}
	after, _ := demoStore.Decisions(context.Background())
	if len(after) != len(before) || e.sync.triggers != 0 {
		t.Fatalf("a reader's write went through: %d → %d decisions, %d syncs", len(before), len(after), e.sync.triggers)
	}

	// Writers start a sync: 202, then 409 while it runs.
	rec = e.do(req{target: "/sync", cookie: ada})
	if !strings.Contains(rec.Body.String(), `data-testid="sync-now"`) {
		t.Error("the sync page offers no sync-now button to a writer")
	}
	rec = e.do(req{method: "POST", target: "/api/v1/sync", cookie: ada})
	if rec.Code != http.StatusAccepted || jsonBody(t, rec)["status"] != "started" {
		t.Fatalf("start a sync: %d %s", rec.Code, rec.Body)
	}
	if rec := e.do(req{method: "POST", target: "/api/v1/sync", cookie: ada}); rec.Code != http.StatusConflict {
		t.Errorf("second sync: %d %s", rec.Code, rec.Body)
	}
	// The button goes back to the page, running or not.
	if rec := e.do(req{method: "POST", target: "/sync", cookie: ada}); rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/sync" {
		t.Errorf("button while running: %d", rec.Code)
	}
	e.sync.finish()
	if rec := e.do(req{method: "POST", target: "/sync", cookie: ada}); rec.Code != http.StatusSeeOther || e.sync.triggers != 2 {
		t.Errorf("button: %d, %d syncs", rec.Code, e.sync.triggers)
	}
	if rec := e.do(req{target: "/decisions/new", cookie: ada}); rec.Code != http.StatusOK {
		t.Errorf("ada's decision form: %d", rec.Code)
	}
}

func TestOpenModeEveryoneWrites(t *testing.T) {
	// No users, no proxy: on loopback, everyone may write (cmd/tach refuses
	// any other address).
	e := newOpsEnv(t, signInOff)
	if rec := e.do(req{target: "/"}); rec.Code != http.StatusOK || strings.Contains(rec.Body.String(), `data-testid="account"`) {
		t.Errorf("open page: %d", rec.Code)
	}
	if rec := e.do(req{method: "POST", target: "/api/v1/sync"}); rec.Code != http.StatusAccepted {
		t.Errorf("open sync: %d", rec.Code)
	}
	rec := e.do(req{target: "/login"})
	if !strings.Contains(rec.Body.String(), "Sign-in is off") || strings.Contains(rec.Body.String(), "login-form") {
		t.Errorf("login page when sign-in is off:\n%s", rec.Body)
	}
	if rec := e.do(req{method: "POST", target: "/login", form: url.Values{"login": {"ada"}, "password": {adaPassword}}}); rec.Code != http.StatusNotFound {
		t.Errorf("POST /login when sign-in is off: %d", rec.Code)
	}
}

func TestTrustedProxyHeader(t *testing.T) {
	e := newOpsEnv(t, func(o *web.OpsOptions) {
		o.Auth.Users = nil
		o.Auth.Proxy = &web.TrustedProxy{Header: "X-Forwarded-User", RoleHeader: "X-Forwarded-Role", DefaultRole: "read",
			Proxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128")}}
	})
	fromProxy := func(r req) *httptest.ResponseRecorder {
		r.remote = "10.1.2.3:50000"
		return e.do(r)
	}
	// From the proxy, the header names the user; the default role is read.
	rec := fromProxy(req{target: "/", header: map[string]string{"X-Forwarded-User": "alice@example.com"}})
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "alice@example.com") || strings.Contains(rec.Body.String(), "sign-out") {
		t.Fatalf("proxy user: %d", rec.Code)
	}
	if rec := fromProxy(req{method: "POST", target: "/api/v1/sync", header: map[string]string{"X-Forwarded-User": "alice"}}); rec.Code != http.StatusForbidden {
		t.Errorf("proxy reader starts a sync: %d", rec.Code)
	}
	if rec := fromProxy(req{method: "POST", target: "/api/v1/sync", header: map[string]string{"X-Forwarded-User": "alice", "X-Forwarded-Role": "write"}}); rec.Code != http.StatusAccepted {
		t.Errorf("proxy writer starts a sync: %d", rec.Code)
	}
	if rec := e.do(req{target: "/api/v1/metrics", remote: "[::1]:5000", header: map[string]string{"X-Forwarded-User": "bob"}}); rec.Code != http.StatusOK {
		t.Errorf("proxy on ::1: %d", rec.Code)
	}
	// Without the header, or from any other address, nobody: 401.
	if rec := fromProxy(req{target: "/api/v1/metrics"}); rec.Code != http.StatusUnauthorized {
		t.Errorf("proxy without the header: %d", rec.Code)
	}
	for _, remote := range []string{"192.0.2.1:1234", "127.0.0.1:1234", "11.0.0.1:80"} {
		rec := e.do(req{target: "/api/v1/metrics", remote: remote, header: map[string]string{"X-Forwarded-User": "mallory", "X-Forwarded-Role": "write"}})
		if rec.Code != http.StatusUnauthorized {
			t.Errorf("header from %s honoured: %d", remote, rec.Code)
		}
		rec = e.do(req{method: "POST", target: "/api/v1/sync", remote: remote, header: map[string]string{"X-Forwarded-User": "mallory", "X-Forwarded-Role": "write"}})
		if rec.Code != http.StatusUnauthorized {
			t.Errorf("sync with the header from %s: %d", remote, rec.Code)
		}
	}
	// A page without sign-in says to come through the proxy (no /login here).
	rec = e.do(req{target: "/weekly", remote: "192.0.2.1:1"})
	if rec.Code != http.StatusUnauthorized || !strings.Contains(rec.Body.String(), "proxy") {
		t.Errorf("page without the proxy: %d", rec.Code)
	}
	// A header with control characters is nobody.
	if rec := fromProxy(req{target: "/api/v1/metrics", header: map[string]string{"X-Forwarded-User": "a\x01b"}}); rec.Code != http.StatusUnauthorized {
		t.Errorf("control characters: %d", rec.Code)
	}
	if e.sync.triggers != 1 {
		t.Errorf("%d syncs started, want 1", e.sync.triggers)
	}
}

func TestCrossOriginWritesRefused(t *testing.T) {
	e := newOpsEnv(t, signInOff)
	for _, h := range []map[string]string{
		{"Sec-Fetch-Site": "cross-site"},
		{"Sec-Fetch-Site": "same-site"},
		{"Origin": "https://evil.example"},
	} {
		for _, target := range []string{"/api/v1/sync", "/sync", "/logout", "/login", "/decisions"} {
			rec := e.do(req{method: "POST", target: target, header: h, form: url.Values{}})
			if rec.Code != http.StatusForbidden {
				t.Errorf("%v POST %s: %d", h, target, rec.Code)
			}
		}
	}
	if e.sync.triggers != 0 {
		t.Fatal("a cross-origin request started a sync")
	}
	// Same-origin browsers and non-browser clients pass; GETs always do.
	for _, h := range []map[string]string{{"Sec-Fetch-Site": "same-origin"}, {}, {"Origin": "http://example.com"}} {
		e.sync.finish()
		if rec := e.do(req{method: "POST", target: "/api/v1/sync", header: h}); rec.Code != http.StatusAccepted {
			t.Errorf("%v: %d %s", h, rec.Code, rec.Body)
		}
	}
	if rec := e.do(req{target: "/", header: map[string]string{"Sec-Fetch-Site": "cross-site"}}); rec.Code != http.StatusOK {
		t.Errorf("cross-site GET: %d", rec.Code)
	}
}

func TestSecurityHeadersOnEveryResponse(t *testing.T) {
	e := newOpsEnv(t, nil)
	ada := e.login("ada", adaPassword)
	for _, r := range []req{
		{target: "/"},                              // redirect to /login
		{target: "/api/v1/metrics"},                // 401
		{target: "/login"},                         // page
		{target: "/nowhere", cookie: ada},          // 404
		{target: "/?from=2026-13-01", cookie: ada}, // 400
		{method: "POST", target: "/api/v1/sync", header: map[string]string{"Sec-Fetch-Site": "cross-site"}},                                                          // 403
		{method: "POST", target: "/login", body: bytes.Repeat([]byte("a"), 100<<10), header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}}, // 413
		{method: "POST", target: "/webhooks/github"},               // 404: no webhooks here
		{method: "DELETE", target: "/api/v1/metrics", cookie: ada}, // 405
		{target: "/healthz"}, {target: "/readyz"}, {target: "/metrics"}, {target: "/favicon.ico"},
		{method: "POST", target: "/logout", cookie: ada}, // redirect
	} {
		rec := e.do(r)
		h := rec.Header()
		if !strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") || h.Get("X-Content-Type-Options") != "nosniff" ||
			h.Get("Referrer-Policy") == "" || h.Get("X-Frame-Options") != "DENY" {
			t.Errorf("%s %s (%d): security headers missing: %v", r.method, r.target, rec.Code, h)
		}
	}
	if rec := e.do(req{method: "POST", target: "/login", body: bytes.Repeat([]byte("a"), 100<<10), header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}}); rec.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized form: %d", rec.Code)
	}
}

// TestBadInputIsAClear4xx: every form and endpoint of tach serve answers a
// mistake with a 4xx that says what is wrong, and stores nothing.
func TestBadInputIsAClear4xx(t *testing.T) {
	e := newOpsEnv(t, nil)
	ada := e.login("ada", adaPassword)
	sessions := func() int {
		var n int
		if u, err := e.users.Users(context.Background()); err == nil {
			n = len(u)
		}
		return n
	}
	users := sessions()
	for _, tc := range []struct {
		r      req
		status int
		want   string
	}{
		{req{method: "POST", target: "/login", body: []byte("%zz"), header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}}, 400, "could not be read"},
		{req{method: "POST", target: "/login", form: url.Values{"login": {strings.Repeat("a", 500)}, "password": {"x"}}}, 401, "Wrong login or password"},
		{req{method: "POST", target: "/login", form: url.Values{"login": {"ada"}, "password": {strings.Repeat("p", 5000)}}}, 401, "Wrong login or password"},
		{req{method: "POST", target: "/login", form: url.Values{"login": {"\x00ada"}, "password": {"x"}}}, 401, "Wrong login or password"},
		{req{method: "POST", target: "/login", form: url.Values{}}, 422, "Enter your login"},
		{req{method: "PUT", target: "/login"}, 405, ""},
		{req{method: "GET", target: "/logout"}, 404, "no page"},
		{req{method: "POST", target: "/api/v1/sync?x=%zz", cookie: ada}, 202, ""},
		{req{method: "PUT", target: "/api/v1/sync", cookie: ada}, 405, ""},
		{req{method: "GET", target: "/metrics?format=%zz", cookie: ada}, 200, ""},
		{req{target: "/?weeks=abc", cookie: ada}, 400, "weeks"},
		{req{target: "/changes?page=-1", cookie: ada}, 400, "page"},
	} {
		rec := e.do(tc.r)
		if rec.Code != tc.status || !strings.Contains(rec.Body.String(), tc.want) {
			t.Errorf("%s %s: %d, want %d with %q\n%.300s", tc.r.method, tc.r.target, rec.Code, tc.status, tc.want, rec.Body)
		}
	}
	if sessions() != users {
		t.Error("bad input changed the users")
	}
}

// TestOverTLSOnlyTheHostCookieAndHSTS: behind TLS (direct, or a proxy
// saying X-Forwarded-Proto: https) every response tells the browser to
// use https only (HSTS), and only the __Host- session cookie is read: a
// plain tach_session cookie, which a network attacker or a sibling
// subdomain can plant (session fixation), is ignored there.
func TestOverTLSOnlyTheHostCookieAndHSTS(t *testing.T) {
	e := newOpsEnv(t, nil)
	const hsts = "max-age=31536000"
	https := map[string]string{"X-Forwarded-Proto": "https"}
	rec := e.do(req{method: "POST", target: "/login", header: https, form: url.Values{"login": {"ada"}, "password": {adaPassword}}})
	c := sessionCookieOf(rec)
	if c == nil || c.Name != "__Host-tach_session" || rec.Header().Get("Strict-Transport-Security") != hsts {
		t.Fatalf("sign-in over TLS: %v, HSTS %q", rec.Header()["Set-Cookie"], rec.Header().Get("Strict-Transport-Security"))
	}
	for _, r := range []req{
		{target: "/api/v1/metrics", header: https},
		{target: "https://example.com/api/v1/metrics"}, // TLS seen directly
	} {
		r.cookie, r.cookieName = c.Value, c.Name
		if rec := e.do(r); rec.Code != http.StatusOK || rec.Header().Get("Strict-Transport-Security") != hsts {
			t.Errorf("%s with the __Host- cookie over TLS: %d, HSTS %q", r.target, rec.Code, rec.Header().Get("Strict-Transport-Security"))
		}
		r.cookieName = "tach_session"
		if rec := e.do(r); rec.Code != http.StatusUnauthorized {
			t.Errorf("%s with a plain cookie over TLS: %d, want 401", r.target, rec.Code)
		}
	}
	// HSTS on every response over TLS: errors, redirects, static files.
	for _, target := range []string{"/weekly", "/static/favicon.svg", "/nowhere", "/healthz"} {
		if got := e.do(req{target: target, header: https}).Header().Get("Strict-Transport-Security"); got != hsts {
			t.Errorf("%s over TLS: HSTS %q", target, got)
		}
	}
	// Plain http: the plain cookie, and no HSTS (a browser ignores it there).
	rob := e.login("rob", robPassword)
	if rec := e.do(req{target: "/api/v1/metrics", cookie: rob}); rec.Code != http.StatusOK || rec.Header().Get("Strict-Transport-Security") != "" {
		t.Errorf("plain http: %d, HSTS %q", rec.Code, rec.Header().Get("Strict-Transport-Security"))
	}
	// cookie_secure: never says tach is not behind TLS.
	never := newOpsEnv(t, func(o *web.OpsOptions) { o.Auth.CookieSecure = "never" })
	if got := never.do(req{target: "/login", header: https}).Header().Get("Strict-Transport-Security"); got != "" {
		t.Errorf("cookie_secure never: HSTS %q", got)
	}
}
