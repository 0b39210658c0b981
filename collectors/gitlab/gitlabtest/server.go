// Package gitlabtest is a fake GitLab for tests and benchmarks: an
// httptest server that answers the REST and GraphQL requests tach's GitLab
// collector makes, with payloads shaped like GitLab's documented responses
// (the fields each endpoint returns, x-next-page / x-total-pages and Link
// pagination, keyset cursors), from a dataset the test builds: projects in
// nested groups with merge requests (notes, approvals, commits, drafts,
// bots, squash commits), deployments, environments, pipelines and jobs,
// issues and incidents, releases.
//
// It counts requests per endpoint, can add latency, simulate GitLab's
// rate-limit headers, and inject faults: 429 with Retry-After, 5xx,
// truncated bodies, 401 and 404.
package gitlabtest

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Server is a fake GitLab. Its exported fields may be set before the first
// request; the dataset is changed between syncs inside Edit.
type Server struct {
	srv *httptest.Server

	// Token, when set, is the only PRIVATE-TOKEN accepted; others get 401.
	Token string
	// Latency is added to every request.
	Latency time.Duration
	// NoGraphQL makes /api/graphql answer 404, as a GitLab without it.
	NoGraphQL bool
	// MissingFields are fields this GitLab's GraphQL schema lacks (an
	// older version: MergeRequest.closedAt came in 17.4), as "Type.field"
	// or, for MergeRequest's, the field alone; a query selecting one is
	// answered with GitLab's "doesn't exist" error.
	MissingFields []string
	// MaxMergeRequestsPerQuery, when set, answers a merge requests query
	// asking for more (first) with GitLab's complexity error, as a query
	// over the complexity limit of 250 is answered.
	MaxMergeRequestsPerQuery int
	// Pagination is how lists say there is a next page (GitLab's offset
	// style, with both x-next-page and a Link header, by default).
	Pagination Pagination
	// Now is the fake's clock, for Retry-After, rate-limit resets and the
	// Date of every answer (time.Now when nil).
	Now func() time.Time
	// OnRequest, when set, is called with each request's endpoint (as
	// Requests names it) before it is answered, outside the lock: a test
	// changes the dataset (Edit) in the middle of a sync.
	OnRequest func(endpoint string)

	mu       sync.Mutex
	projects []*Project
	groups   map[string]bool
	members  map[string][]string // group path → usernames of its members, inherited ones included (members.go)
	nextID   int64
	counts   map[string]int
	faults   []*Fault
	rate     *RateLimit
	// faultsDone counts what cleared faults applied.
	faultsDone int
}

// New starts a fake GitLab, closed when the test ends.
func New(tb testing.TB) *Server {
	s := &Server{groups: map[string]bool{}, counts: map[string]int{}, nextID: 1000}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	tb.Cleanup(s.srv.Close)
	return s
}

// URL is the server's root (http://127.0.0.1:port).
func (s *Server) URL() string { return s.srv.URL }

// BaseURL is the REST API root, as gitlab.base_url takes it.
func (s *Server) BaseURL() string { return s.srv.URL + "/api/v4" }

// Client is an HTTP client for the server.
func (s *Server) Client() *http.Client { return s.srv.Client() }

// Edit runs f with the dataset locked, so a test can change it while no
// request reads it.
func (s *Server) Edit(f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f()
	s.assignIDs()
}

// AddGroup declares a group (and its parents), so that it exists even
// with no project.
func (s *Server) AddGroup(path string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addGroupLocked(path)
}

func (s *Server) addGroupLocked(path string) {
	parts := strings.Split(path, "/")
	for i := range parts {
		s.groups[strings.Join(parts[:i+1], "/")] = true
	}
}

// AddProject adds a project (and its groups), assigning ids and defaults.
func (s *Server) AddProject(p *Project) *Project {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p.ID == 0 {
		p.ID = s.id()
	}
	if p.DefaultBranch == "" {
		p.DefaultBranch = "main"
	}
	if p.CreatedAt.IsZero() {
		p.CreatedAt = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	if i := strings.LastIndexByte(p.Path, '/'); i > 0 {
		s.addGroupLocked(p.Path[:i])
	}
	s.projects = append(s.projects, p)
	s.assignIDs()
	return p
}

// Project finds a project by full path.
func (s *Server) Project(path string) *Project {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.findProject(path)
}

func (s *Server) findProject(ref string) *Project {
	for _, p := range s.projects {
		if strings.EqualFold(p.Path, ref) || strconv.FormatInt(p.ID, 10) == ref {
			return p
		}
	}
	return nil
}

func (s *Server) id() int64 { s.nextID++; return s.nextID }

// assignIDs gives every new object its ids and defaults; s.mu is held.
func (s *Server) assignIDs() {
	for _, p := range s.projects {
		var maxIID int64
		for _, m := range p.MergeRequests {
			maxIID = max(maxIID, m.IID)
		}
		for _, m := range p.MergeRequests {
			if m.ID == 0 {
				m.ID = s.id()
			}
			if m.IID == 0 {
				maxIID++
				m.IID = maxIID
			}
			if m.TargetBranch == "" {
				m.TargetBranch = p.DefaultBranch
			}
			if m.State == "" {
				m.State = "opened"
			}
			for _, n := range m.Notes {
				if n.ID == 0 {
					n.ID = s.id()
				}
			}
			if m.UpdatedAt.IsZero() {
				// The last thing that happened to it.
				m.UpdatedAt = later(m.CreatedAt, later(m.MergedAt, m.ClosedAt))
				for _, n := range m.Notes {
					m.UpdatedAt = later(m.UpdatedAt, n.CreatedAt)
				}
			}
		}
		var depIID int64
		for _, d := range p.Deployments {
			depIID = max(depIID, d.IID)
		}
		for _, d := range p.Deployments {
			if d.ID == 0 {
				d.ID = s.id()
			}
			if d.IID == 0 {
				depIID++
				d.IID = depIID
			}
			if d.Ref == "" {
				d.Ref = p.DefaultBranch
			}
			if d.UpdatedAt.IsZero() {
				d.UpdatedAt = later(d.CreatedAt, d.FinishedAt)
			}
			if !slices.ContainsFunc(p.Environments, func(e *Environment) bool { return e.Name == d.Environment }) {
				p.Environments = append(p.Environments, &Environment{Name: d.Environment})
			}
		}
		for _, e := range p.Environments {
			if e.ID == 0 {
				e.ID = s.id()
			}
		}
		var pipeIID int64
		for _, pl := range p.Pipelines {
			pipeIID = max(pipeIID, pl.IID)
		}
		for _, pl := range p.Pipelines {
			if pl.ID == 0 {
				pl.ID = s.id()
			}
			if pl.IID == 0 {
				pipeIID++
				pl.IID = pipeIID
			}
			if pl.Source == "" {
				pl.Source = "push"
			}
			if pl.Ref == "" {
				pl.Ref = p.DefaultBranch
			}
			if pl.UpdatedAt.IsZero() {
				pl.UpdatedAt = later(pl.CreatedAt, pl.FinishedAt)
			}
			for _, j := range pl.Jobs {
				if j.ID == 0 {
					j.ID = s.id()
				}
			}
		}
		var issueIID int64
		for _, is := range p.Issues {
			issueIID = max(issueIID, is.IID)
		}
		for _, is := range p.Issues {
			if is.ID == 0 {
				is.ID = s.id()
			}
			if is.IID == 0 {
				issueIID++
				is.IID = issueIID
			}
			if is.UpdatedAt.IsZero() {
				is.UpdatedAt = later(is.CreatedAt, is.ClosedAt)
			}
		}
	}
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// Requests returns how many requests reached an endpoint, named as
// "GET /projects/:id/merge_requests" or "POST /api/graphql TachMergeRequests"
// (retries and faulted requests included).
func (s *Server) Requests(endpoint string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[endpoint]
}

// Counts returns the requests per endpoint.
func (s *Server) Counts() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.counts)
}

// TotalRequests is the number of requests served.
func (s *Server) TotalRequests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.counts {
		n += c
	}
	return n
}

// ResetCounts forgets the requests counted so far.
func (s *Server) ResetCounts() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts = map[string]int{}
}

// RateLimit is GitLab's rate-limit state the fake reports in RateLimit-*
// headers; each request spends one. With Enforce, a request when nothing is
// left gets 429 with Retry-After until Reset.
type RateLimit struct {
	Limit     int
	Remaining int
	Reset     time.Time
	Enforce   bool
}

// SetRateLimit makes every response carry rate-limit headers.
func (s *Server) SetRateLimit(rl RateLimit) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rate = &rl
}

// Pagination is a style of list pagination.
type Pagination int

const (
	// OffsetAndLink is GitLab's offset pagination: x-page, x-next-page,
	// x-total-pages... and a Link header with next, prev, first and last.
	OffsetAndLink Pagination = iota
	// LinkOnly is keyset pagination: a cursor in the Link header's next
	// URL, no x-* headers (GitLab does this for pagination=keyset and for
	// lists too long to count).
	LinkOnly
	// HeadersOnly is offset pagination with the x-* headers alone, as
	// behind a proxy that drops Link.
	HeadersOnly
)

// Fault makes matching requests fail.
type Fault struct {
	// Endpoint is an endpoint name as Requests takes it, or a prefix of
	// one ("GET /projects/:id/merge_requests" matches its sub-resources
	// too); empty matches every request.
	Endpoint string
	// Project limits the fault to one project (full path); empty: any.
	Project string
	// Skip lets the first Skip matching requests through.
	Skip int
	// Times is how many requests fail after those; 0 means all.
	Times int
	// Status is the answer's status: 429, 500, 502, 401, 404, ...
	Status int
	// RetryAfter is the Retry-After header of the answer, if any.
	RetryAfter string
	// Truncate sends the real answer cut in half instead of Status.
	Truncate bool
	// Latency delays the answer (a timeout when the client gives up
	// first); with neither Status nor Truncate it is then served normally.
	Latency time.Duration

	seen, fired int
}

// AddFault installs a fault; faults are checked in the order added.
func (s *Server) AddFault(f Fault) *Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &f)
	return &f
}

// ClearFaults removes every fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range s.faults {
		s.faultsDone += f.fired
	}
	s.faults = nil
}

// FaultsInjected is how many requests a fault answered (or delayed) since
// the server started, cleared faults included.
func (s *Server) FaultsInjected() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.faultsDone
	for _, f := range s.faults {
		n += f.fired
	}
	return n
}

func (s *Server) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// serve is the whole fake: auth, faults, rate limit, routing.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if s.Latency > 0 {
		time.Sleep(s.Latency)
	}
	rt := s.route(r)
	if s.OnRequest != nil {
		s.OnRequest(rt.name)
	}
	w.Header().Set("Date", s.now().UTC().Format(http.TimeFormat))
	s.mu.Lock()
	s.counts[rt.name]++
	fault := s.matchFault(rt)
	limited := !s.spendRate(w)
	s.mu.Unlock()

	if s.Token != "" && r.Header.Get("Private-Token") != s.Token {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"message": "401 Unauthorized"})
		return
	}
	if limited {
		s.mu.Lock()
		wait := int(s.rate.Reset.Sub(s.now()).Seconds()) + 1
		s.mu.Unlock()
		w.Header().Set("Retry-After", strconv.Itoa(wait))
		writeJSON(w, http.StatusTooManyRequests, map[string]string{"message": "429 Too Many Requests"})
		return
	}
	if fault != nil && fault.Latency > 0 {
		t := time.NewTimer(fault.Latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	if fault != nil && !fault.Truncate && fault.Status != 0 {
		if fault.RetryAfter != "" {
			w.Header().Set("Retry-After", fault.RetryAfter)
		}
		writeJSON(w, fault.Status, map[string]string{"message": fmt.Sprintf("%d %s", fault.Status, http.StatusText(fault.Status))})
		return
	}
	status, body, hdr := s.handle(rt, r)
	for k, v := range hdr {
		w.Header()[k] = v
	}
	data, _ := json.Marshal(body)
	if fault != nil && fault.Truncate {
		data = data[:len(data)/2]
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(data)
}

// matchFault returns the fault that applies to a request; s.mu is held.
func (s *Server) matchFault(rt route) *Fault {
	for _, f := range s.faults {
		if f.Endpoint != "" && !strings.HasPrefix(rt.name, f.Endpoint) {
			continue
		}
		if f.Project != "" && (rt.project == nil || !strings.EqualFold(rt.project.Path, f.Project)) {
			continue
		}
		f.seen++
		if f.seen <= f.Skip || (f.Times > 0 && f.fired >= f.Times) {
			continue
		}
		f.fired++
		return f
	}
	return nil
}

// spendRate spends one request of the rate limit and reports it in the
// headers; false when nothing was left and the limit is enforced. s.mu is
// held.
func (s *Server) spendRate(w http.ResponseWriter) bool {
	rl := s.rate
	if rl == nil {
		return true
	}
	if !rl.Reset.After(s.now()) {
		rl.Remaining, rl.Reset = rl.Limit, s.now().Add(time.Minute)
	}
	ok := rl.Remaining > 0 || !rl.Enforce
	if rl.Remaining > 0 {
		rl.Remaining--
	}
	h := w.Header()
	h.Set("RateLimit-Limit", strconv.Itoa(rl.Limit))
	h.Set("RateLimit-Observed", strconv.Itoa(rl.Limit-rl.Remaining))
	h.Set("RateLimit-Remaining", strconv.Itoa(rl.Remaining))
	h.Set("RateLimit-Reset", strconv.FormatInt(rl.Reset.Unix(), 10))
	h.Set("RateLimit-ResetTime", rl.Reset.UTC().Format(http.TimeFormat))
	return ok
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
