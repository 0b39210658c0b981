// Package githubtest is a fake GitHub for tests and benchmarks: an httptest
// server answering the REST and GraphQL requests a collector makes, from a
// programmable dataset, with payloads shaped like GitHub's documented
// responses.
//
// What it does as GitHub does:
//   - REST under /api/v3/ (GitHub Enterprise style; the same routes answer
//     without the prefix) and GraphQL at /api/graphql (and /graphql).
//   - REST lists paginate with per_page/page and a Link header (rel="next",
//     "last", "first", "prev"); list items carry what GitHub's list items
//     carry (a pull request in a list has no additions or deletions); pull
//     requests appear in the issues list with a pull_request key; workflow
//     runs come in the {total_count, workflow_runs} envelope and, with a
//     filter (created, branch, event, status), at most 1,000 of them.
//   - GET answers carry an ETag; If-None-Match with the same ETag gives 304,
//     which does not count against the rate limit.
//   - Every answer carries x-ratelimit-limit/remaining/reset/used/resource;
//     the core and graphql budgets run down and answer as spent when empty.
//   - Commits form a graph (Repo.Commits, the default branch's first-parent
//     line, and Repo.Side): compare and Commit.history walk it as git does.
//   - GraphQL queries are parsed and validated against GitHub's schema
//     (schema/github.graphql): an unknown field or argument is an error as
//     at GitHub; data comes with errors arrays (NOT_FOUND for a missing
//     repository), rateLimit, and cursor pagination with pageInfo.
//   - A token other than Server.Token is answered 401 Bad credentials.
//
// Tests count requests per endpoint (Requests), add latency, and inject
// faults (Inject): 5xx, primary and secondary rate limits, 429 with
// Retry-After, malformed bodies, 401, 404.
package githubtest

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Server is a fake GitHub.
type Server struct {
	// URL is the server's root, like https://ghe.example.com.
	URL string

	hs *httptest.Server

	mu         sync.Mutex
	token      string
	repos      map[string]*Repo
	ids        int64
	counts     map[string]int
	total      int
	not304     int // 304 Not Modified answers
	faults     []*Fault
	faultsDone int // applied by faults since cleared
	latency    time.Duration
	limits     map[string]*rateWindow
	now        func() time.Time
	onRequest  func(endpoint string)
	app        *appState           // a GitHub App and its installations (app.go)
	users      map[string]bool     // accounts that are users, not organisations (orgs.go)
	teams      map[string][]string // org/slug → members' logins (orgs.go)
}

// rateWindow is one primary rate-limit budget (core or graphql).
type rateWindow struct {
	limit, used int
	reset       time.Time
}

// DefaultToken is the token a new Server accepts.
const DefaultToken = "githubtest-token"

// New starts a fake GitHub that accepts DefaultToken and stops when the
// test ends.
func New(tb testing.TB) *Server {
	s := &Server{
		token:  DefaultToken,
		repos:  map[string]*Repo{},
		ids:    100000,
		counts: map[string]int{},
		limits: map[string]*rateWindow{},
		now:    time.Now,
	}
	if _, err := githubSchema(); err != nil {
		tb.Fatalf("githubtest: %v", err)
	}
	s.hs = httptest.NewServer(s)
	s.URL = s.hs.URL
	tb.Cleanup(s.hs.Close)
	return s
}

// Close stops the server (New also stops it when the test ends).
func (s *Server) Close() { s.hs.Close() }

// Client is an http.Client that reaches the server.
func (s *Server) Client() *http.Client { return s.hs.Client() }

// BaseURL is the REST root, ending in "/": URL + "/api/v3/".
func (s *Server) BaseURL() string { return s.URL + "/api/v3/" }

// GraphQLURL is the GraphQL endpoint: URL + "/api/graphql".
func (s *Server) GraphQLURL() string { return s.URL + "/api/graphql" }

// SetToken sets the token the server accepts ("" accepts any request,
// even one without a token).
func (s *Server) SetToken(token string) { s.Edit(func() { s.token = token }) }

// SetNow sets the server's clock (rate-limit resets are computed from it).
func (s *Server) SetNow(now func() time.Time) { s.Edit(func() { s.now = now }) }

// Edit runs fn with the server locked: change the dataset inside it while
// a client may be talking to the server.
func (s *Server) Edit(fn func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fn()
}

// AddRepo adds an empty repository (default branch main, created a year
// before now) and returns it.
func (s *Server) AddRepo(fullName string) *Repo {
	owner, name, ok := strings.Cut(fullName, "/")
	if !ok {
		panic("githubtest: repo name must be owner/name: " + fullName)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r := &Repo{Owner: owner, Name: name, ID: s.nextID(), DefaultBranch: "main",
		CreatedAt: s.now().UTC().AddDate(-1, 0, 0).Truncate(time.Second), srv: s}
	s.repos[strings.ToLower(fullName)] = r
	return r
}

// RemoveRepo deletes a repository: it answers 404 from then on.
func (s *Server) RemoveRepo(fullName string) {
	s.Edit(func() { delete(s.repos, strings.ToLower(fullName)) })
}

// Repo returns a repository added before, or nil.
func (s *Server) Repo(fullName string) *Repo {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.repos[strings.ToLower(fullName)]
}

func (s *Server) nextID() int64 {
	s.ids++
	return s.ids
}

// SetLatency delays every answer by d.
func (s *Server) SetLatency(d time.Duration) { s.Edit(func() { s.latency = d }) }

// SetRateLimit sets a budget ("core" or "graphql"): limit requests per
// window, remaining of them left, resetting resetIn from now.
func (s *Server) SetRateLimit(resource string, limit, remaining int, resetIn time.Duration) {
	s.Edit(func() {
		s.limits[resource] = &rateWindow{limit: limit, used: limit - remaining, reset: s.now().Add(resetIn)}
	})
}

// Inject adds a fault; faults are tried in the order added and the first
// that matches a request answers it.
func (s *Server) Inject(f Fault) { s.Edit(func() { s.faults = append(s.faults, &f) }) }

// ClearFaults removes every fault.
func (s *Server) ClearFaults() {
	s.Edit(func() {
		for _, f := range s.faults {
			s.faultsDone += f.applied
		}
		s.faults = nil
	})
}

// FaultsInjected is how many requests a fault answered (or delayed) since
// the server started, cleared faults included.
func (s *Server) FaultsInjected() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.faultsDone
	for _, f := range s.faults {
		n += f.applied
	}
	return n
}

// OnRequest calls fn, outside the server's lock, when a request arrives,
// before it is answered (a test cancels its sync after k requests with it).
func (s *Server) OnRequest(fn func(endpoint string)) { s.Edit(func() { s.onRequest = fn }) }

// Arrivals are the times requests arrived at a server (RecordArrivals).
type Arrivals struct {
	mu    sync.Mutex
	times []time.Time
}

// RecordArrivals records when each request arrives from now on, through
// the OnRequest hook (it replaces one set before).
func (s *Server) RecordArrivals() *Arrivals {
	a := &Arrivals{}
	s.OnRequest(func(string) {
		a.mu.Lock()
		a.times = append(a.times, time.Now())
		a.mu.Unlock()
	})
	return a
}

// Reset forgets the arrivals so far.
func (a *Arrivals) Reset() {
	a.mu.Lock()
	a.times = nil
	a.mu.Unlock()
}

// MostInFlight is the most requests that were in flight at once, each for
// latency from its arrival (the server's latency): the concurrency a
// client reached.
func (a *Arrivals) MostInFlight(latency time.Duration) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	most := 0
	for i, t := range a.times {
		n := 0
		for j := i; j >= 0 && t.Sub(a.times[j]) < latency; j-- {
			n++
		}
		most = max(most, n)
	}
	return most
}

// Requests is the number of requests an endpoint received: "repo", "pulls",
// "pull", "pull_files", "issues", "runs", "run", "run_attempt", "workflow_runs",
// "deployments", "deployment_statuses", "releases", "compare", "contents", "rate_limit",
// "graphql" (every GraphQL query), or "graphql.<connection>" (GraphQL
// queries by the first connection asked of the repository:
// graphql.pullRequests, graphql.deployments, graphql.releases,
// graphql.issues; graphql.history for a commit's history however the
// commit is reached; or, when it asks none, by its first field:
// graphql.pullRequest for pull requests asked by number). A Fault's
// Endpoint takes the same names.
func (s *Server) Requests(endpoint string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[endpoint]
}

// RequestCounts returns a copy of the count per endpoint.
func (s *Server) RequestCounts() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.counts))
	for k, v := range s.counts {
		out[k] = v
	}
	return out
}

// TotalRequests is the number of requests received.
func (s *Server) TotalRequests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.total
}

// NotModified is the number of 304 answers given (they cost no rate limit).
func (s *Server) NotModified() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.not304
}

// RateLimitUsed is how much of a budget ("core" or "graphql") the current
// window has used: requests on core, points on graphql.
func (s *Server) RateLimitUsed(resource string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.window(resource).used
}

// ResetCounts sets every request count back to zero, and the rate-limit
// budgets back to full.
func (s *Server) ResetCounts() {
	s.Edit(func() { s.counts, s.total, s.not304, s.limits = map[string]int{}, 0, 0, map[string]*rateWindow{} })
}

// CountsString formats the counts per endpoint, for test failure messages.
func (s *Server) CountsString() string {
	c := s.RequestCounts()
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%d ", k, c[k])
	}
	return strings.TrimSpace(b.String())
}

func isGraphQLEndpoint(e string) bool { return e == "graphql" || strings.HasPrefix(e, "graphql.") }

func equalFold(a, b string) bool { return strings.EqualFold(a, b) }

// request is one request being answered.
type request struct {
	r        *http.Request
	endpoint string
	repoName string
	segs     []string // path segments after /repos/owner/name
	gql      *gqlRequest
	body     []byte
}

// ServeHTTP answers a request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	req := &request{r: r}
	if s.serveApp(w, r) {
		return
	}
	if err := s.route(req); err != nil {
		writeJSON(w, http.StatusNotFound, nil, map[string]any{"message": "Not Found", "documentation_url": "https://docs.github.com/rest"})
		return
	}

	s.mu.Lock()
	s.total++
	s.counts[req.endpoint]++
	if req.gql != nil {
		if c := req.gql.connection; c != "" {
			s.counts["graphql."+c]++
		}
	}
	latency := s.latency
	var fault *Fault
	conn := ""
	if req.gql != nil {
		conn = req.gql.connection
	}
	for _, f := range s.faults {
		if f.match(req.endpoint, conn, req.repoName) {
			fault = f
			break
		}
	}
	hook := s.onRequest
	s.mu.Unlock()

	if hook != nil {
		hook(req.endpoint)
	}
	if fault != nil {
		latency += fault.Latency
	}
	if latency > 0 {
		t := time.NewTimer(latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	resource := "core"
	if req.gql != nil {
		resource = "graphql"
	}
	if id, _, ok := s.installationToken(r.Header.Get("Authorization")); ok {
		resource = fmt.Sprintf("installation %d/%s", id, resource) // each installation has its own limits
	}
	if !s.authorized(r) {
		s.writeError(w, resource, http.StatusUnauthorized, "Bad credentials", "https://docs.github.com/rest", nil)
		return
	}
	if fault != nil && (fault.Status != 0 || fault.Malformed) {
		s.applyFault(w, req, resource, fault)
		return
	}
	win := s.window(resource)
	if win.used >= win.limit {
		s.writeRateLimited(w, req, resource, "API rate limit exceeded for user ID 1.")
		return
	}
	status, hdr, body := s.answer(req)
	if fault != nil && fault.NoLink {
		hdr.Del("Link")
	}
	if status == http.StatusOK && r.Method == http.MethodGet {
		sum := sha1.Sum(body)
		etag := `W/"` + hex.EncodeToString(sum[:]) + `"`
		hdr.Set("ETag", etag)
		if inm := r.Header.Get("If-None-Match"); inm != "" && inm == etag {
			// A 304 costs no rate limit.
			s.not304++
			s.rateHeaders(hdr, resource)
			copyHeader(w.Header(), hdr)
			w.WriteHeader(http.StatusNotModified)
			return
		}
	}
	cost := 1
	if req.gql != nil {
		cost = req.gql.cost
	}
	win.used += cost
	s.rateHeaders(hdr, resource)
	copyHeader(w.Header(), hdr)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(body)
}

// route names the request's endpoint and repo, and parses a GraphQL body.
func (s *Server) route(req *request) error {
	r := req.r
	path := strings.TrimPrefix(r.URL.Path, "/api/v3")
	if r.URL.Path == "/api/graphql" || r.URL.Path == "/graphql" {
		if r.Method != http.MethodPost {
			return fmt.Errorf("GraphQL takes POST")
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return err
		}
		req.endpoint, req.body = "graphql", body
		req.gql = parseGraphQLRequest(body)
		req.repoName = req.gql.repoName
		return nil
	}
	if r.Method != http.MethodGet {
		return fmt.Errorf("only GET")
	}
	segs := strings.Split(strings.Trim(path, "/"), "/")
	if len(segs) == 1 && segs[0] == "rate_limit" {
		req.endpoint = "rate_limit"
		return nil
	}
	if len(segs) == 5 && segs[0] == "orgs" && segs[2] == "teams" && segs[4] == "members" {
		req.endpoint, req.segs = "team_members", segs
		return nil
	}
	if len(segs) == 3 && (segs[0] == "orgs" || segs[0] == "users") && segs[2] == "repos" {
		req.endpoint, req.segs = "account_repos", segs
		return nil
	}
	if len(segs) < 3 || segs[0] != "repos" {
		return fmt.Errorf("no route")
	}
	req.repoName = segs[1] + "/" + segs[2]
	rest := segs[3:]
	req.segs = rest
	switch {
	case len(rest) == 0:
		req.endpoint = "repo"
	case len(rest) == 1 && rest[0] == "pulls":
		req.endpoint = "pulls"
	case len(rest) == 2 && rest[0] == "pulls":
		req.endpoint = "pull"
	case len(rest) == 3 && rest[0] == "pulls" && rest[2] == "files":
		req.endpoint = "pull_files"
	case len(rest) == 1 && rest[0] == "issues":
		req.endpoint = "issues"
	case len(rest) == 2 && rest[0] == "actions" && rest[1] == "runs":
		req.endpoint = "runs"
	case len(rest) == 3 && rest[0] == "actions" && rest[1] == "runs":
		req.endpoint = "run"
	case len(rest) == 5 && rest[0] == "actions" && rest[1] == "runs" && rest[3] == "attempts":
		req.endpoint = "run_attempt"
	case len(rest) == 4 && rest[0] == "actions" && rest[1] == "workflows" && rest[3] == "runs":
		req.endpoint = "workflow_runs"
	case len(rest) == 1 && rest[0] == "deployments":
		req.endpoint = "deployments"
	case len(rest) == 3 && rest[0] == "deployments" && rest[2] == "statuses":
		req.endpoint = "deployment_statuses"
	case len(rest) == 1 && rest[0] == "releases":
		req.endpoint = "releases"
	case len(rest) == 1 && rest[0] == "environments":
		req.endpoint = "environments"
	case len(rest) == 2 && rest[0] == "actions" && rest[1] == "workflows":
		req.endpoint = "workflows"
	case len(rest) == 2 && rest[0] == "compare":
		req.endpoint = "compare"
	case len(rest) >= 2 && rest[0] == "contents":
		req.endpoint = "contents"
	default:
		return fmt.Errorf("no route")
	}
	return nil
}

func (s *Server) authorized(r *http.Request) bool {
	h := r.Header.Get("Authorization")
	if _, expired, ok := s.installationToken(h); ok {
		return !expired
	}
	if s.token == "" {
		return true
	}
	return h == "Bearer "+s.token || h == "token "+s.token
}

func (s *Server) window(resource string) *rateWindow {
	w := s.limits[resource]
	now := s.now()
	if w == nil || !now.Before(w.reset) {
		limit := 5000
		if w != nil {
			limit = w.limit
		}
		w = &rateWindow{limit: limit, reset: now.Add(time.Hour).Truncate(time.Second)}
		s.limits[resource] = w
	}
	return w
}

func (s *Server) rateHeaders(h http.Header, resource string) {
	w := s.window(resource)
	h.Set("X-Ratelimit-Limit", strconv.Itoa(w.limit))
	h.Set("X-Ratelimit-Remaining", strconv.Itoa(max(0, w.limit-w.used)))
	h.Set("X-Ratelimit-Used", strconv.Itoa(w.used))
	h.Set("X-Ratelimit-Reset", strconv.FormatInt(w.reset.Unix(), 10))
	h.Set("X-Ratelimit-Resource", resource[strings.LastIndex(resource, "/")+1:])
	h.Set("X-Github-Api-Version-Selected", "2022-11-28")
	h.Set("X-Github-Request-Id", fmt.Sprintf("FAKE:%d", s.total))
}

func (s *Server) writeError(w http.ResponseWriter, resource string, status int, msg, doc string, extra http.Header) {
	hdr := http.Header{}
	for k, v := range extra {
		hdr[k] = v
	}
	s.rateHeaders(hdr, resource)
	body := map[string]any{"message": msg}
	if doc != "" {
		body["documentation_url"] = doc
	}
	writeJSON(w, status, hdr, body)
}

// writeRateLimited answers a spent primary limit: REST 403 with
// remaining 0; GraphQL 200 with a RATE_LIMITED error, as GitHub does.
func (s *Server) writeRateLimited(w http.ResponseWriter, req *request, resource, msg string) {
	hdr := http.Header{}
	s.rateHeaders(hdr, resource)
	hdr.Set("X-Ratelimit-Remaining", "0")
	if req.gql != nil {
		writeJSON(w, http.StatusOK, hdr, map[string]any{"errors": []gqlError{{Type: "RATE_LIMITED", Message: msg}}})
		return
	}
	writeJSON(w, http.StatusForbidden, hdr, map[string]any{"message": msg,
		"documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-the-primary-rate-limits"})
}

func (s *Server) applyFault(w http.ResponseWriter, req *request, resource string, f *Fault) {
	hdr := http.Header{}
	if f.RetryAfter > 0 {
		hdr.Set("Retry-After", strconv.Itoa(int(f.RetryAfter.Round(time.Second)/time.Second)))
	}
	switch {
	case f.Malformed:
		s.rateHeaders(hdr, resource)
		copyHeader(w.Header(), hdr)
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		if req.gql != nil {
			io.WriteString(w, `{"data":{"rateLimit":{"cost":1,"remaining":4999,`)
		} else {
			io.WriteString(w, `[{"id":1,"node_id":"MDQ6VXNlcjE=","url":"https://api.git`)
		}
	case f.ResetIn > 0:
		// Answer as spent, leaving the budget as it is: once the fault is
		// over, requests succeed whatever the server's clock says.
		hdr := http.Header{}
		s.rateHeaders(hdr, resource)
		hdr.Set("X-Ratelimit-Remaining", "0")
		hdr.Set("X-Ratelimit-Reset", strconv.FormatInt(s.now().Add(f.ResetIn).Unix(), 10))
		if req.gql != nil {
			writeJSON(w, http.StatusOK, hdr, map[string]any{"errors": []gqlError{{Type: "RATE_LIMITED", Message: f.Message}}})
			return
		}
		writeJSON(w, http.StatusForbidden, hdr, map[string]any{"message": f.Message, "documentation_url": f.DocURL})
	default:
		s.writeError(w, resource, f.Status, f.Message, f.DocURL, hdr)
	}
}

func writeJSON(w http.ResponseWriter, status int, hdr http.Header, v any) {
	copyHeader(w.Header(), hdr)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func copyHeader(dst, src http.Header) {
	for k, v := range src {
		dst[k] = v
	}
}

// answer serves a request from the dataset; the lock is held.
func (s *Server) answer(req *request) (int, http.Header, []byte) {
	if req.gql != nil {
		return s.answerGraphQL(req)
	}
	if req.endpoint == "rate_limit" {
		return s.answerRateLimit()
	}
	if req.endpoint == "account_repos" {
		return s.listAccountRepos(req)
	}
	if req.endpoint == "team_members" {
		return s.listTeamMembers(req)
	}
	repo := s.repos[strings.ToLower(req.repoName)]
	if repo == nil {
		return jsonBody(http.StatusNotFound, nil, map[string]any{"message": "Not Found", "documentation_url": "https://docs.github.com/rest/repos/repos#get-a-repository"})
	}
	return s.answerREST(req, repo)
}

func (s *Server) answerRateLimit() (int, http.Header, []byte) {
	res := map[string]any{}
	for _, name := range []string{"core", "graphql"} {
		w := s.window(name)
		res[name] = map[string]any{"limit": w.limit, "used": w.used, "remaining": max(0, w.limit-w.used), "reset": w.reset.Unix()}
	}
	return jsonBody(http.StatusOK, nil, map[string]any{"resources": res, "rate": res["core"]})
}

func jsonBody(status int, hdr http.Header, v any) (int, http.Header, []byte) {
	if hdr == nil {
		hdr = http.Header{}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
	return status, hdr, buf.Bytes()
}
