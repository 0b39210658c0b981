package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tach-dev/tach/collectors/github/githubtest"
	"github.com/tach-dev/tach/collectors/gitlab/gitlabtest"
	"github.com/tach-dev/tach/store"
)

func init() {
	// The DORA gauges follow a sync or a webhook within the test's patience.
	doraGap = 50 * time.Millisecond
}

// syncBuffer is a buffer several goroutines write.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// served is a `tach serve` running in this process.
type served struct {
	t              *testing.T
	url            string
	stdout, stderr *syncBuffer
	cancel         context.CancelFunc
	code           chan int
	// seen collects every response's status line, headers and body.
	seen *syncBuffer
}

var servingRE = regexp.MustCompile(`Serving on (http://\S+)`)

// startServe runs `tach serve args...` until the test stops it, and waits
// until it listens.
func startServe(t *testing.T, args ...string) *served {
	t.Helper()
	return startServing(t, "serve", args...)
}

// startServing runs a command that serves (serve, demo) until the test
// stops it, and waits until it listens.
func startServing(t *testing.T, command string, args ...string) *served {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &served{t: t, stdout: &syncBuffer{}, stderr: &syncBuffer{}, cancel: cancel, code: make(chan int, 1), seen: &syncBuffer{}}
	go func() {
		s.code <- run(ctx, &cli{stdout: s.stdout, stderr: s.stderr}, append([]string{command}, args...))
	}()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if m := servingRE.FindStringSubmatch(s.stdout.String()); m != nil {
			s.url = m[1]
			break
		}
		select {
		case code := <-s.code:
			cancel()
			t.Fatalf("tach %s exited %d before listening:\n%s%s", command, code, s.stdout, s.stderr)
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("tach %s did not listen within 30s:\n%s%s", command, s.stdout, s.stderr)
		}
	}
	t.Cleanup(func() { s.stop() })
	return s
}

// stop ends the server as SIGINT would, and returns its exit status.
func (s *served) stop() int {
	s.cancel()
	select {
	case code := <-s.code:
		s.code <- code
		return code
	case <-time.After(90 * time.Second):
		s.t.Fatalf("tach serve did not stop within 90s:\n%s", s.stderr)
	}
	return -1
}

// client is a browser-like client: a cookie jar, no redirects followed.
func (s *served) client() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// do sends a request and returns the status and body, keeping both (and
// the headers) in seen.
func (s *served) do(c *http.Client, method, path string, body []byte, header ...string) (int, string) {
	s.t.Helper()
	r, err := http.NewRequest(method, s.url+path, bytes.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		if header[i] == "Host" {
			r.Host = header[i+1] // net/http sends r.Host, never Header["Host"]
			continue
		}
		r.Header.Set(header[i], header[i+1])
	}
	resp, err := c.Do(r)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var h bytes.Buffer
	resp.Header.Write(&h)
	fmt.Fprintf(s.seen, "%s %s → %s\n%s\n%s\n", method, path, resp.Status, h.String(), b)
	return resp.StatusCode, string(b)
}

func (s *served) form(c *http.Client, path string, v url.Values) (int, string) {
	return s.do(c, "POST", path, []byte(v.Encode()), "Content-Type", "application/x-www-form-urlencoded")
}

func hubSignature(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

func webhookFixture(t *testing.T, provider, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "collectors", provider, "testdata", "webhooks", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// addUser runs `tach users add`.
func addUser(t *testing.T, login, role, password string, source ...string) {
	t.Helper()
	code, _, errOut := tachIn(t, password+"\n", append([]string{"users", "add", login, "--role", role}, source...)...)
	if code != 0 {
		t.Fatalf("users add %s: %s", login, errOut)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestServeRefusesOtherAddressesWithoutSignIn(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "copy.db")
	copyFile(t, demoDB, db)
	for _, listen := range []string{"0.0.0.0:0", ":0", "[::]:0", "192.0.2.10:8080", "tach.example.com:8080"} {
		code, out, errOut := tach(t, "serve", "--db", db, "--listen", listen)
		want := "tach: refusing to serve on " + listen + " without sign-in: add a user with `tach users add LOGIN --role write --db " + db +
			"`, or set auth.trusted_proxy in the config for a signing-in proxy, or listen on 127.0.0.1\n"
		if code != 1 || errOut != want || out != "" {
			t.Errorf("--listen %s: exit %d\n got %q\nwant %q", listen, code, errOut, want)
		}
	}
	// From the config's listen, the message names the config.
	cfg := writeConfigIn(t, dir, "database: copy.db\nlisten: 0.0.0.0:0\n")
	code, _, errOut := tach(t, "serve", "--config", cfg)
	if code != 1 || !strings.Contains(errOut, "tach users add LOGIN --role write --config "+cfg+"`") {
		t.Errorf("from the config: exit %d %q", code, errOut)
	}
	// The demo never leaves loopback, and says so before writing anything.
	code, _, errOut = tach(t, "demo", "--db", filepath.Join(dir, "demo.db"), "--listen", "0.0.0.0:8080")
	if code != 2 || !strings.Contains(errOut, "tach demo serves on a loopback address only") {
		t.Errorf("demo: exit %d %q", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "demo.db")); err == nil {
		t.Error("the refused demo wrote its database")
	}

	// With a trusted proxy configured, it serves on any address.
	proxied := writeConfigIn(t, dir, "database: copy.db\nlisten: 0.0.0.0:0\nauth:\n  trusted_proxy:\n    header: X-Forwarded-User\n    proxies: [127.0.0.1]\n")
	s := startServe(t, "--config", proxied)
	s.url = strings.Replace(s.url, "localhost", "127.0.0.1", 1)
	c := s.client()
	if code, _ := s.do(c, "GET", "/healthz", nil); code != 200 {
		t.Errorf("/healthz: %d", code)
	}
	if code, _ := s.do(c, "GET", "/api/v1/metrics", nil); code != 401 {
		t.Errorf("no proxy header: %d", code)
	}
	if code, _ := s.do(c, "GET", "/api/v1/metrics", nil, "X-Forwarded-User", "ada"); code != 200 {
		t.Errorf("proxy header from the proxy: %d", code)
	}
	if code := s.stop(); code != 0 {
		t.Errorf("exit %d:\n%s", code, s.stderr)
	}
	// With a local user, too.
	addUser(t, "ada", "write", "ada-password-123456", "--db", db)
	s = startServe(t, "--db", db, "--listen", "0.0.0.0:0")
	s.url = strings.Replace(s.url, "localhost", "127.0.0.1", 1)
	if code, _ := s.do(s.client(), "GET", "/", nil); code != http.StatusSeeOther {
		t.Errorf("a page without signing in: %d", code)
	}
	if !strings.Contains(s.stderr.String(), "sign_in=\"1 local user\"") {
		t.Errorf("the log does not say how users sign in:\n%s", s.stderr)
	}
}

// teamConfig is a config of two repos on fake providers, with webhook
// secrets, a long sync interval and the history the 2019 fixtures need.
func teamConfig(t *testing.T, dir string, gh *githubtest.Server, gl *gitlabtest.Server, ghToken, glToken, hookSecret, glHookToken, extra string) string {
	t.Helper()
	return writeConfigIn(t, dir, fmt.Sprintf(`database: tach.db
listen: 127.0.0.1:0
log:
  format: json
  level: debug
github:
  token: %s
  base_url: %s
gitlab:
  token: %s
  base_url: %s
webhooks:
  github_secret: %s
  gitlab_token: %s
sync:
  interval: 1h
  history: 100000d
repos:
  - github: Codertocat/Hello-World
  - gitlab: gitlabhq/gitlab-test
teams:
  - name: hello
    repos: [Codertocat/Hello-World]
%s`, ghToken, gh.BaseURL(), glToken, gl.BaseURL(), hookSecret, glHookToken, extra))
}

func fakeProviders(t *testing.T, ghToken, glToken string) (*githubtest.Server, *gitlabtest.Server) {
	gh := githubtest.New(t)
	gh.SetToken(ghToken)
	gh.AddRepo("Codertocat/Hello-World").Generate(githubtest.History{PRs: 8, Deployments: 3, Runs: 3, Incidents: 1})
	gl := gitlabtest.New(t)
	gl.Token = glToken
	gl.AddProject(&gitlabtest.Project{Path: "gitlabhq/gitlab-test"})
	return gh, gl
}

// deploymentsIn reads the production deployments of a window from
// /api/v1/metrics.
func deploymentsIn(t *testing.T, s *served, c *http.Client, query string) int {
	t.Helper()
	code, body := s.do(c, "GET", "/api/v1/metrics?"+query, nil)
	return deploymentsOf(t, code, body)
}

// deploymentsOf reads the production deployments of a response of
// /api/v1/metrics.
func deploymentsOf(t *testing.T, code int, body string) int {
	t.Helper()
	if code != 200 {
		t.Fatalf("/api/v1/metrics: %d %s", code, body)
	}
	var m struct {
		DeploymentFrequency struct {
			Deployments int `json:"deployments"`
		} `json:"deployment_frequency"`
	}
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("/api/v1/metrics: %v\n%s", err, body)
	}
	return m.DeploymentFrequency.Deployments
}

// TestServeForATeam is the walk-through: a member signs in, a
// writer records a decision and starts a sync, a signed webhook changes a
// number within seconds and a wrongly signed one is refused, /metrics
// scrapes, and the server stops cleanly.
func TestServeForATeam(t *testing.T) {
	const hookSecret, glHookToken = "team-hook-secret-0123", "team-gitlab-token-0123"
	gh, gl := fakeProviders(t, githubtest.DefaultToken, "gl-token")
	dir := t.TempDir()
	cfg := teamConfig(t, dir, gh, gl, githubtest.DefaultToken, "gl-token", hookSecret, glHookToken, "")
	addUser(t, "ada", "write", "ada-password-123456", "--config", cfg)
	addUser(t, "rob", "read", "rob-password-123456", "--config", cfg)
	s := startServe(t, "--config", cfg)
	rob, ada, anon := s.client(), s.client(), s.client()

	// Signing in.
	if code, _ := s.do(anon, "GET", "/weekly", nil); code != http.StatusSeeOther {
		t.Fatalf("a page without signing in: %d", code)
	}
	if code, body := s.form(rob, "/login", url.Values{"login": {"rob"}, "password": {"wrong-password-1"}}); code != 401 || !strings.Contains(body, "Wrong login or password") {
		t.Fatalf("wrong password: %d", code)
	}
	for _, u := range []struct {
		c           *http.Client
		login, pass string
	}{{rob, "rob", "rob-password-123456"}, {ada, "ada", "ada-password-123456"}} {
		if code, _ := s.form(u.c, "/login", url.Values{"login": {u.login}, "password": {u.pass}}); code != http.StatusSeeOther {
			t.Fatalf("sign in %s: %d", u.login, code)
		}
	}
	if code, body := s.do(rob, "GET", "/weekly", nil); code != 200 || !strings.Contains(body, "rob") {
		t.Fatalf("rob's weekly page: %d", code)
	}

	// A writer records a decision; a reader may not.
	decision := url.Values{"date": {"2026-01-05"}, "title": {"Split the monolith"}, "kind": {"architecture"}}
	if code, _ := s.form(rob, "/decisions", decision); code != http.StatusForbidden {
		t.Errorf("rob records a decision: %d", code)
	}
	if code, body := s.form(ada, "/decisions", decision); code != http.StatusSeeOther {
		t.Errorf("ada records a decision: %d %s", code, body)
	}
	if _, body := s.do(rob, "GET", "/api/v1/decisions", nil); !strings.Contains(body, "Split the monolith") {
		t.Errorf("the decision is not listed:\n%s", body)
	}

	// A signed deployment_status changes the deployment count within
	// seconds.
	const week = "from=2019-05-13&to=2019-05-20"
	body := webhookFixture(t, "github", "deployment_status.created.json")
	hook := func(id string, payload []byte, sig string) (int, string) {
		return s.do(anon, "POST", "/webhooks/github", payload, "Content-Type", "application/json", "X-GitHub-Event", "deployment_status",
			"X-GitHub-Delivery", id, "X-Hub-Signature-256", sig)
	}
	if code, reply := hook("wrong-1", body, hubSignature("not-the-secret", body)); code != http.StatusForbidden {
		t.Fatalf("wrongly signed: %d %s", code, reply)
	}
	start := time.Now()
	if code, reply := hook("good-1", body, hubSignature(hookSecret, body)); code != http.StatusAccepted {
		t.Fatalf("signed: %d %s", code, reply)
	}
	for deploymentsIn(t, s, rob, week) != 1 {
		if time.Since(start) > 10*time.Second {
			t.Fatalf("the deployment did not show within 10s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("a signed deployment_status delivery showed on /api/v1/metrics after %s", time.Since(start).Round(time.Millisecond))
	if code, reply := hook("good-1", body, hubSignature(hookSecret, body)); code != 200 || !strings.Contains(reply, "duplicate") {
		t.Errorf("redelivery: %d %s", code, reply)
	}
	// GitLab: the token, then a wrong one.
	mr := webhookFixture(t, "gitlab", "merge_request.json")
	if code, reply := s.do(anon, "POST", "/webhooks/gitlab", mr, "X-Gitlab-Event", "Merge Request Hook", "X-Gitlab-Token", glHookToken, "Idempotency-Key", "gl-1"); code != 202 {
		t.Errorf("gitlab: %d %s", code, reply)
	}
	if code, _ := s.do(anon, "POST", "/webhooks/gitlab", mr, "X-Gitlab-Event", "Merge Request Hook", "X-Gitlab-Token", "guess", "Idempotency-Key", "gl-2"); code != 403 {
		t.Errorf("gitlab wrong token: %d", code)
	}

	// Starting a sync takes the write role; the first (scheduled 5s after
	// start) may already run: 202 or 409. Then the repo joins its team.
	if code, _ := s.do(rob, "POST", "/api/v1/sync", nil); code != http.StatusForbidden {
		t.Errorf("rob starts a sync: %d", code)
	}
	if code, reply := s.do(ada, "POST", "/api/v1/sync", nil); code != http.StatusAccepted && code != http.StatusConflict {
		t.Fatalf("ada starts a sync: %d %s", code, reply)
	}
	waitSyncs(t, s, ada, 1)
	if _, page := s.do(ada, "GET", "/sync", nil); !strings.Contains(page, `data-testid="sync-now"`) || !strings.Contains(page, "Syncs every 1h") {
		t.Errorf("the sync page has no sync-now button or schedule")
	}
	_, scopes := s.do(rob, "GET", "/api/v1/scopes", nil)
	if !strings.Contains(scopes, `"name": "hello",`+"\n"+`      "repos": [`+"\n"+`        "Codertocat/Hello-World"`) {
		t.Errorf("after the sync, the team does not have its repo:\n%s", scopes)
	}

	// /readyz answers without a session; /metrics, which names every repo,
	// a signed-in reader (or the bearer token of auth.metrics_token).
	if code, _ := s.do(anon, "GET", "/metrics", nil); code != http.StatusUnauthorized {
		t.Errorf("/metrics without a session: %d", code)
	}
	deadline := time.Now().Add(10 * time.Second)
	var metrics string
	for {
		_, metrics = s.do(rob, "GET", "/metrics", nil)
		if strings.Contains(metrics, `tach_dora_deployment_frequency_per_week{repo="Codertocat/Hello-World"}`) && strings.Contains(metrics, `tach_sync_runs_total{result="success"} 1`) ||
			time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, want := range []string{
		`tach_sync_runs_total{result="success"} 1`, `tach_webhook_deliveries_total{outcome="applied",provider="github"} 1`,
		`tach_webhook_deliveries_total{outcome="unauthorized",provider="github"} 1`, `tach_webhook_deliveries_total{outcome="duplicate",provider="github"} 1`,
		`tach_provider_requests_total{provider="github"}`, `tach_provider_rate_limit_remaining{provider="github"}`,
		`tach_dora_deployment_frequency_per_week{repo="Codertocat/Hello-World"}`, `tach_http_request_duration_seconds_bucket{code="202",route="POST /webhooks/github"`,
		"go_goroutines", "process_resident_memory_bytes",
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if code, body := s.do(anon, "GET", "/readyz", nil); code != 200 || body != "ok\n" {
		t.Errorf("/readyz: %d %q", code, body)
	}
	if code := s.stop(); code != 0 {
		t.Errorf("exit %d", code)
	}
	// JSON logs: requests, the webhook, the sync, the shutdown.
	logs := s.stderr.String()
	for _, want := range []string{`"msg":"request","method":"POST","path":"/webhooks/github"`, `"msg":"webhook applied"`, `"msg":"sync finished"`,
		`"msg":"tach serve stopped"`, `"user":"ada"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("the log lacks %s", want)
		}
	}
	// What was recorded of the deliveries.
	st, err := store.Open(context.Background(), filepath.Join(dir, "tach.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ds, _ := st.Deliveries(context.Background(), time.Time{})
	got := map[string]string{}
	for _, d := range ds {
		got[d.ID] = d.Outcome
	}
	if got["good-1"] != store.DeliveryApplied || got["gl-1"] != store.DeliveryIgnored || got["wrong-1"] != "" || got["gl-2"] != "" || len(got) != 2 {
		t.Errorf("deliveries recorded: %v\n%s", got, logs)
	}
}

// waitSyncs waits until n syncs finished since the server started.
func waitSyncs(t *testing.T, s *served, c *http.Client, n int, header ...string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		_, metrics := s.do(c, "GET", "/metrics", nil, header...)
		total := 0
		for _, m := range regexp.MustCompile(`(?m)^tach_sync_runs_total\{result="[a-z]+"\} (\d+)`).FindAllStringSubmatch(metrics, -1) {
			var k int
			fmt.Sscan(m[1], &k)
			total += k
		}
		if total >= n && !regexp.MustCompile(`(?m)^tach_sync_running 1$`).MatchString(metrics) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d syncs did not finish within 60s:\n%s\n%s", n, metrics, s.stderr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestServeSecretsNeverLeak runs a server with recognisable secrets,
// exercises every endpoint (errors and failed sign-ins included), and
// looks for the secrets in every response, the logs and the database.
func TestServeSecretsNeverLeak(t *testing.T) {
	const (
		ghToken     = "ghp_LEAKCANARY0123456789abcdefABCDEF01"
		glToken     = "glpat-LEAKCANARY-9876543210"
		hookSecret  = "whsec-LEAKCANARY-github-hook"
		glHookToken = "glhook-LEAKCANARY-gitlab-hook"
		metricsTok  = "mtok-LEAKCANARY-0123456789abcdef"
		password    = "pw-LEAKCANARY-correct-horse"
	)
	secrets := []string{ghToken, glToken, hookSecret, glHookToken, metricsTok, password, "LEAKCANARY"}
	gh, gl := fakeProviders(t, ghToken, glToken)
	dir := t.TempDir()
	cfg := teamConfig(t, dir, gh, gl, ghToken, glToken, hookSecret, glHookToken, "auth:\n  metrics_token: "+metricsTok+"\n")
	addUser(t, "ada", "write", password, "--config", cfg)
	s := startServe(t, "--config", cfg)
	ada, anon := s.client(), s.client()

	// Failed sign-ins of every kind, then a good one, and a rate limit.
	for _, v := range []url.Values{
		{"login": {"ada"}, "password": {"wrong-password-123"}},
		{"login": {"nobody"}, "password": {password + "x"}},
		{"login": {"ada"}, "password": {strings.ToUpper(password)}},
		{"login": {"ada"}},
		{"password": {"x"}},
	} {
		s.form(anon, "/login", v)
	}
	if code, _ := s.form(ada, "/login", url.Values{"login": {"ada"}, "password": {password}}); code != http.StatusSeeOther {
		t.Fatalf("sign in: %d", code)
	}
	for range 6 {
		s.form(anon, "/login", url.Values{"login": {"victim"}, "password": {"guess-guess-guess"}})
	}
	// Every page and API, with good and bad parameters.
	for _, path := range []string{"/", "/weekly", "/weekly.md", "/measures/lead-time", "/measures/nope", "/changes", "/deployments", "/incidents",
		"/sync", "/decisions", "/decisions/new", "/compare", "/decisions/candidates", "/docs/metrics", "/login", "/nowhere", "/?weeks=abc", "/changes?page=-1",
		"/api/v1/metrics", "/api/v1/overview", "/api/v1/measures/lead-time", "/api/v1/weekly", "/api/v1/changes", "/api/v1/deployments",
		"/api/v1/incidents", "/api/v1/sync", "/api/v1/decisions", "/api/v1/scopes", "/api/v1/compare", "/api/v1/metrics?from=2026-99-01",
		"/healthz", "/readyz"} {
		s.do(ada, "GET", path, nil)
		s.do(anon, "GET", path, nil)
	}
	s.do(ada, "POST", "/api/v1/sync", nil)
	s.form(ada, "/decisions", url.Values{"title": {"x"}})
	s.do(ada, "POST", "/api/v1/sync", nil, "Sec-Fetch-Site", "cross-site")
	// /metrics without, with a wrong and with the right token.
	s.do(anon, "GET", "/metrics", nil)
	s.do(anon, "GET", "/metrics", nil, "Authorization", "Bearer "+metricsTok[:10])
	if code, _ := s.do(anon, "GET", "/metrics", nil, "Authorization", "Bearer "+metricsTok); code != 200 {
		t.Errorf("/metrics with the token: %d", code)
	}
	// Webhooks: unsigned, wrongly signed, signed, oversized, malformed,
	// wrong and right GitLab tokens.
	body := webhookFixture(t, "github", "pull_request.opened.json")
	gh1 := func(id string, payload []byte, sig string) {
		s.do(anon, "POST", "/webhooks/github", payload, "Content-Type", "application/json", "X-GitHub-Event", "pull_request", "X-GitHub-Delivery", id, "X-Hub-Signature-256", sig)
	}
	gh1("l-1", body, "")
	gh1("l-2", body, hubSignature(hookSecret+"x", body))
	gh1("l-3", body, hubSignature(hookSecret, body))
	gh1("l-3", body, hubSignature(hookSecret, body))
	gh1("l-4", []byte("{"), hubSignature(hookSecret, []byte("{")))
	big := bytes.Repeat([]byte("a"), 6<<20)
	gh1("l-5", big, hubSignature(hookSecret, big))
	mr := webhookFixture(t, "gitlab", "merge_request.json")
	for _, tok := range []string{"", "wrong", glHookToken[:8], glHookToken} {
		s.do(anon, "POST", "/webhooks/gitlab", mr, "X-Gitlab-Event", "Merge Request Hook", "X-Gitlab-Token", tok)
	}
	waitSyncs(t, s, ada, 1, "Authorization", "Bearer "+metricsTok)
	s.do(ada, "GET", "/sync", nil)
	s.do(ada, "GET", "/api/v1/sync", nil)
	s.do(ada, "POST", "/logout", nil)
	s.do(ada, "GET", "/", nil)
	if code := s.stop(); code != 0 {
		t.Errorf("exit %d", code)
	}

	everything := map[string]string{
		"responses": s.seen.String(),
		"stdout":    s.stdout.String(),
		"logs":      s.stderr.String(),
		"database":  string(readAll(t, filepath.Join(dir, "tach.db"))),
	}
	for where, text := range everything {
		if text == "" && where != "stdout" {
			t.Errorf("nothing in %s", where)
		}
		for _, secret := range secrets {
			if strings.Contains(text, secret) {
				i := strings.Index(text, secret)
				t.Errorf("%s holds %q: …%s…", where, secret, text[max(0, i-200):min(len(text), i+100)])
			}
		}
	}
	// Session ids never reach the log or the database either (only their
	// hashes are stored).
	for _, m := range regexp.MustCompile(`tach_session=([0-9a-f]{64})`).FindAllStringSubmatch(everything["responses"], -1) {
		if strings.Contains(everything["logs"], m[1]) || strings.Contains(everything["database"], m[1]) {
			t.Errorf("a session id is in the log or the database")
		}
	}
	t.Logf("searched %d KiB of responses, %d KiB of logs and %d KiB of database for %d secrets: none found",
		len(everything["responses"])>>10, len(everything["logs"])>>10, len(everything["database"])>>10, len(secrets))
}

// TestServeShutsDownGracefully stops a server while a slow sync writes: it
// exits 0 with the database intact, and the next sync completes it.
func TestServeShutsDownGracefully(t *testing.T) {
	gh, gl := fakeProviders(t, githubtest.DefaultToken, "gl-token")
	gh.AddRepo("acme/big").Generate(githubtest.History{PRs: 300, Deployments: 40, Runs: 40})
	gh.SetLatency(20 * time.Millisecond)
	dir := t.TempDir()
	cfg := teamConfig(t, dir, gh, gl, githubtest.DefaultToken, "gl-token", "s3cr3t-hook-0000", "s3cr3t-hook-1111", "")
	cfgText, _ := os.ReadFile(cfg)
	cfg = writeConfigIn(t, dir, strings.Replace(string(cfgText), "  - gitlab: gitlabhq/gitlab-test\n", "  - gitlab: gitlabhq/gitlab-test\n  - github: acme/big\n", 1))
	s := startServe(t, "--config", cfg)
	c := s.client()
	if code, body := s.do(c, "POST", "/api/v1/sync", nil); code != http.StatusAccepted {
		t.Fatalf("start a sync: %d %s", code, body)
	}
	// Stop while it runs.
	deadline := time.Now().Add(10 * time.Second)
	for gh.TotalRequests() < 5 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	stopped := time.Now()
	if code := s.stop(); code != 0 {
		t.Fatalf("exit %d:\n%s", code, s.stderr)
	}
	t.Logf("stopped %s after the signal, %d requests into the sync", time.Since(stopped).Round(time.Millisecond), gh.TotalRequests())
	if !strings.Contains(s.stderr.String(), "shutting down") || !strings.Contains(s.stderr.String(), `"msg":"tach serve stopped"`) {
		t.Errorf("the shutdown is not logged:\n%s", s.stderr)
	}
	checkIntegrity(t, filepath.Join(dir, "tach.db"))
	// The next sync goes on and ends with every pull request.
	gh.SetLatency(0)
	if code, out, errOut := tach(t, "sync", "--config", cfg); code != 0 {
		t.Fatalf("sync after the shutdown: exit %d\n%s%s", code, out, errOut)
	}
	st, err := store.Open(context.Background(), filepath.Join(dir, "tach.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	repo, err := st.RepoByName(context.Background(), "acme/big")
	if err != nil {
		t.Fatal(err)
	}
	h, _ := st.RepoHistory(context.Background(), repo.ID)
	if len(h.Changes) != 300 {
		t.Errorf("%d changes after the shutdown and a sync, want 300", len(h.Changes))
	}
}

// TestServeWithoutATokenServesPages: a config whose token is not set
// serves the pages, says in its log why the scheduled sync is off, and
// answers a request to sync with that reason.
func TestServeWithoutATokenServesPages(t *testing.T) {
	t.Setenv("GITHUB_TOKEN", "")
	dir := t.TempDir()
	copyFile(t, demoDB, filepath.Join(dir, "tach.db"))
	cfg := writeConfigIn(t, dir, "database: tach.db\nlisten: 127.0.0.1:0\nrepos:\n  - github: acme/api\n")
	s := startServe(t, "--config", cfg)
	c := s.client()
	if code, _ := s.do(c, "GET", "/", nil); code != 200 {
		t.Errorf("overview: %d", code)
	}
	if code, body := s.do(c, "POST", "/api/v1/sync", nil); code != http.StatusServiceUnavailable || !strings.Contains(body, "a token is missing") {
		t.Errorf("sync without a token: %d %s", code, body)
	}
	if code, body := s.do(c, "POST", "/webhooks/github", []byte("{}"), "X-Hub-Signature-256", "sha256=00"); code != http.StatusServiceUnavailable || !strings.Contains(body, "webhooks.github_secret") {
		t.Errorf("webhook without a secret: %d %s", code, body)
	}
	if code := s.stop(); code != 0 {
		t.Errorf("exit %d", code)
	}
	if !strings.Contains(s.stderr.String(), "scheduled sync is off") || !strings.Contains(s.stderr.String(), "github.token") {
		t.Errorf("the log does not say why the sync is off:\n%s", s.stderr)
	}
}
