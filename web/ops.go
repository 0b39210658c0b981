package web

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	tachcollectors "github.com/tach-dev/tach/collectors"
	"github.com/tach-dev/tach/metrics"
	"github.com/tach-dev/tach/metrics/engine"
	"github.com/tach-dev/tach/metrics/radar"
)

// Operations of `tach serve`: /healthz (the process answers), /readyz (the
// database answers a query) and /metrics (Prometheus), and the options
// that turn on sign-in, webhooks and request logging (Options.Ops).

// OpsOptions configure what a server run by `tach serve` adds to the
// dashboard. A server without them (Options.Ops nil) is the bare
// dashboard: no sign-in, no webhooks, no /metrics.
type OpsOptions struct {
	Auth AuthOptions
	// Webhooks receive GitHub and GitLab deliveries; nil: the webhook
	// endpoints answer 404 (a server without a config: tach demo, --db).
	Webhooks *Webhooks
	// Telemetry is served at /metrics; nil: /metrics answers 404.
	Telemetry *Telemetry
	// Ready checks the database with a cheap query, for /readyz.
	Ready func(ctx context.Context) error
	// SyncLock is the claim to run the scheduled sync among several
	// servers on one database, which /readyz reports; nil: this server
	// shares its database with no other (SQLite) or runs no sync.
	SyncLock SyncLock
	// GenerationFollowed reports whether the store's generation is
	// followed by a listening connection (PostgreSQL), which /readyz
	// reports; nil: it is read for each page (SQLite).
	GenerationFollowed func() bool
	// NoSync says why this server runs no sync, for POST /api/v1/sync
	// ("" : it was started without a config).
	NoSync string
	// LogRequests logs each request (method, path, status, duration; never
	// the query string, a body, a cookie or an Authorization header).
	LogRequests bool
	// Listen is the address the server listens on, and AllowedHosts the
	// other names it answers to (config allowed_hosts): the Host check of
	// hosts.go.
	Listen       string
	AllowedHosts []string
}

// Telemetry holds the Prometheus metrics of one server, in a registry of
// its own (no global state): sync runs and their duration, API requests
// and the rate limit left per provider, webhook deliveries per outcome,
// HTTP latency per route, and the DORA keys per repo.
type Telemetry struct {
	reg *prometheus.Registry

	syncRuns        *prometheus.CounterVec
	syncDuration    prometheus.Histogram
	syncLastSuccess prometheus.Gauge
	syncRunning     prometheus.Gauge
	apiRequests     *prometheus.CounterVec
	rateLimitLeft   *prometheus.GaugeVec
	webhooks        *prometheus.CounterVec
	httpDuration    *prometheus.HistogramVec
	dora            *doraCollector
}

// Sync run results, the label of tach_sync_runs_total.
const (
	SyncSuccess   = "success"   // every repo synced
	SyncPartial   = "partial"   // some repos failed
	SyncFailed    = "failed"    // every repo failed, or the run could not start
	SyncCancelled = "cancelled" // stopped by shutdown
)

// NewTelemetry returns the metrics, registered with the Go runtime's and
// the process's collectors.
func NewTelemetry() *Telemetry {
	t := &Telemetry{reg: prometheus.NewRegistry()}
	t.syncRuns = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tach_sync_runs_total",
		Help: "Sync runs finished, by result: success, partial (some repos failed), failed, cancelled."}, []string{"result"})
	t.syncDuration = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "tach_sync_duration_seconds",
		Help: "Duration of sync runs.", Buckets: []float64{1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200}})
	t.syncLastSuccess = prometheus.NewGauge(prometheus.GaugeOpts{Name: "tach_sync_last_success_timestamp_seconds",
		Help: "When the last sync run in which every repo synced finished (Unix time); 0 before the first."})
	t.syncRunning = prometheus.NewGauge(prometheus.GaugeOpts{Name: "tach_sync_running", Help: "Whether a sync is running (1) or not (0)."})
	t.apiRequests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tach_provider_requests_total",
		Help: "API requests the syncs made, per provider."}, []string{"provider"})
	t.rateLimitLeft = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "tach_provider_rate_limit_remaining",
		Help: "The provider's rate limit left after the last sync (the lowest any repo saw)."}, []string{"provider"})
	t.webhooks = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tach_webhook_deliveries_total",
		Help: "Webhook deliveries received, by provider and outcome."}, []string{"provider", "outcome"})
	t.httpDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "tach_http_request_duration_seconds",
		Help:    "Latency of HTTP requests, by route pattern and status code.",
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}}, []string{"route", "code"})
	t.dora = newDORACollector()
	t.reg.MustRegister(t.syncRuns, t.syncDuration, t.syncLastSuccess, t.syncRunning, t.apiRequests, t.rateLimitLeft,
		t.webhooks, t.httpDuration, t.dora,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	for _, r := range []string{SyncSuccess, SyncPartial, SyncFailed, SyncCancelled} {
		t.syncRuns.WithLabelValues(r)
	}
	return t
}

// Registry is the registry /metrics serves.
func (t *Telemetry) Registry() *prometheus.Registry { return t.reg }

// SyncStarted marks a run in flight.
func (t *Telemetry) SyncStarted() { t.syncRunning.Set(1) }

// ObserveSync records a finished sync run (the scheduler's OnFinish).
func (t *Telemetry) ObserveSync(run tachcollectors.SyncRun) {
	t.syncRunning.Set(0)
	result := SyncResult(run)
	t.syncRuns.WithLabelValues(result).Inc()
	if !run.Finished.IsZero() {
		t.syncDuration.Observe(run.Finished.Sub(run.Started).Seconds())
	}
	if result == SyncSuccess {
		t.syncLastSuccess.Set(float64(run.Finished.Unix()))
	}
	if run.Summary == nil {
		return
	}
	left := map[string]int{}
	for _, r := range run.Summary.Repos {
		if r.Provider == "" {
			continue
		}
		t.apiRequests.WithLabelValues(r.Provider).Add(float64(r.Requests))
		if r.RateLimitRemaining >= 0 {
			if cur, ok := left[r.Provider]; !ok || r.RateLimitRemaining < cur {
				left[r.Provider] = r.RateLimitRemaining
			}
		}
	}
	for p, n := range left {
		t.rateLimitLeft.WithLabelValues(p).Set(float64(n))
	}
}

// SyncResult names how a run ended.
func SyncResult(run tachcollectors.SyncRun) string {
	switch {
	case errors.Is(run.Err, context.Canceled):
		return SyncCancelled
	case run.Err != nil || run.Summary == nil:
		return SyncFailed
	}
	failed := len(run.Summary.Failed())
	switch {
	case failed == 0:
		return SyncSuccess
	case failed == len(run.Summary.Repos):
		return SyncFailed
	}
	return SyncPartial
}

// ObserveWebhook counts a delivery.
func (t *Telemetry) ObserveWebhook(provider, outcome string) {
	if t != nil {
		t.webhooks.WithLabelValues(provider, outcome).Inc()
	}
}

func (t *Telemetry) observeHTTP(route string, status int, d time.Duration) {
	if t != nil {
		t.httpDuration.WithLabelValues(route, strconv.Itoa(status)).Observe(d.Seconds())
	}
}

// The DORA keys per repo, recomputed after each sync (RefreshDORA) rather
// than on every scrape: a scrape reads the last snapshot.

// DORAWeeks is the window of the DORA gauges: the last 12 whole weeks.
const DORAWeeks = 12

// DORASource computes a report (*engine.Reports).
type DORASource interface {
	Rules() metrics.Rules
	Report(ctx context.Context, sc engine.Scope, w metrics.Window, now time.Time) (metrics.Report, error)
}

type doraValues struct {
	repo                                                string
	deployFreq, leadTime, failureRate, recovery, rework *float64
}

type doraSnapshot struct {
	at    time.Time
	rows  []doraValues
	radar []radar.ScopeReport // nil when the source has no radar
}

type doraCollector struct {
	snap                                                    atomic.Pointer[doraSnapshot]
	deployFreq, leadTime, failureRate, recovery, rework, at *prometheus.Desc
	worsening                                               *prometheus.Desc
}

// radarSource is a DORASource that also runs the refactor radar
// (*engine.Reports): /metrics then has its worsening signals.
type radarSource interface {
	Radar(ctx context.Context, sc engine.Scope, w metrics.Window) (radar.Report, error)
}

func newDORACollector() *doraCollector {
	repo := []string{"repo"}
	return &doraCollector{
		deployFreq: prometheus.NewDesc("tach_dora_deployment_frequency_per_week",
			"Production deployments per week over the last 12 whole weeks.", repo, nil),
		leadTime: prometheus.NewDesc("tach_dora_lead_time_median_seconds",
			"Median lead time for changes (first commit to production) over the last 12 whole weeks.", repo, nil),
		failureRate: prometheus.NewDesc("tach_dora_change_failure_rate",
			"Share of production deployments that failed over the last 12 whole weeks (0 to 1).", repo, nil),
		recovery: prometheus.NewDesc("tach_dora_recovery_time_median_seconds",
			"Median failed deployment recovery time over the last 12 whole weeks.", repo, nil),
		rework: prometheus.NewDesc("tach_dora_rework_rate",
			"Share of production deployments that were rework (unplanned fixes) over the last 12 whole weeks (0 to 1).", repo, nil),
		at: prometheus.NewDesc("tach_dora_computed_timestamp_seconds",
			"When the DORA gauges were last computed (Unix time).", nil, nil),
		worsening: prometheus.NewDesc("tach_radar_worsening_signals",
			"Worsening trend signals of the refactor radar over the last 12 whole weeks, per repo and module "+
				"(module \"\" for a repo without modules); alert on > 0.", []string{"repo", "module"}, nil),
	}
}

func (c *doraCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.deployFreq, c.leadTime, c.failureRate, c.recovery, c.rework, c.at, c.worsening} {
		ch <- d
	}
}

func (c *doraCollector) Collect(ch chan<- prometheus.Metric) {
	snap := c.snap.Load()
	if snap == nil {
		return
	}
	ch <- prometheus.MustNewConstMetric(c.at, prometheus.GaugeValue, float64(snap.at.Unix()))
	for _, r := range snap.rows {
		for _, m := range []struct {
			desc *prometheus.Desc
			v    *float64
		}{{c.deployFreq, r.deployFreq}, {c.leadTime, r.leadTime}, {c.failureRate, r.failureRate}, {c.recovery, r.recovery}, {c.rework, r.rework}} {
			// A measure with nothing to measure (no deployment, no
			// incident) has no sample, rather than a misleading 0.
			if m.v != nil {
				ch <- prometheus.MustNewConstMetric(m.desc, prometheus.GaugeValue, *m.v, r.repo)
			}
		}
	}
	for _, s := range snap.radar {
		module := ""
		if s.Module != nil {
			module = *s.Module
		}
		ch <- prometheus.MustNewConstMetric(c.worsening, prometheus.GaugeValue, float64(s.Worsening), s.Repo, module)
	}
}

// RefreshDORA computes the DORA keys of each repo over the last 12 whole
// weeks before now and replaces the gauges' values at once.
func (t *Telemetry) RefreshDORA(ctx context.Context, src DORASource, repos []string, now time.Time) error {
	w := metrics.LastWholeWeeks(now, DORAWeeks, src.Rules().Location)
	names := append([]string(nil), repos...)
	sort.Strings(names)
	snap := &doraSnapshot{at: now}
	var errs []error
	for _, name := range names {
		rep, err := src.Report(ctx, engine.Scope{Repos: []string{name}}, w, now)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
			continue
		}
		snap.rows = append(snap.rows, doraValues{repo: name,
			deployFreq: rep.DeploymentFrequency.PerWeek, leadTime: rep.LeadTime.MedianSeconds,
			failureRate: rep.ChangeFailureRate.Rate, recovery: rep.RecoveryTime.MedianSeconds, rework: rep.ReworkRate.Rate})
	}
	if rs, ok := src.(radarSource); ok && len(names) > 0 {
		// One radar of every repo: its signals adjusted together, as
		// /radar shows them.
		rep, err := rs.Radar(ctx, engine.Scope{Repos: names}, w)
		if err != nil {
			errs = append(errs, fmt.Errorf("radar: %w", err))
		} else {
			snap.radar = rep.Modules
		}
	}
	t.dora.snap.Store(snap)
	if len(errs) > 0 {
		return fmt.Errorf("DORA gauges: %w", errors.Join(errs...))
	}
	return nil
}

// SyncLock is a server's claim to run the scheduled sync
// (*store.SyncLock).
type SyncLock interface {
	// Held reports whether this server held it when last tried.
	Held() bool
}

// The endpoints.

// readyz: the database answers a query within a few seconds; with
// replicas on one database, whether this one holds the sync lock.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if s.ops.Ready == nil {
		fmt.Fprintln(w, "ok")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	if err := s.ops.Ready(ctx); err != nil {
		s.log.Warn("not ready: the database does not answer", "err", err)
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintln(w, "not ready: the database does not answer (see the server's log)")
		return
	}
	fmt.Fprintln(w, "ok")
	// Both are ready to serve; the line tells an operator which replica syncs.
	switch {
	case s.ops.SyncLock == nil:
	case s.ops.SyncLock.Held():
		fmt.Fprintln(w, "sync lock: held (this replica runs the scheduled sync)")
	default:
		fmt.Fprintln(w, "sync lock: not held (another replica runs the scheduled sync)")
	}
	switch {
	case s.ops.GenerationFollowed == nil:
	case s.ops.GenerationFollowed():
		fmt.Fprintln(w, "generation: followed (a listening connection tells this replica when the data moved)")
	default:
		fmt.Fprintln(w, "generation: read for each page (the listening connection is down; the server's log says why)")
	}
}

// metricsHandler serves the registry to those mayReadMetrics lets in.
func (s *Server) metricsHandler() http.Handler {
	t := s.ops.Telemetry
	if t == nil {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s.renderError(w, r, notFoundf("this server has no /metrics"))
		})
	}
	h := promhttp.HandlerFor(t.reg, promhttp.HandlerOpts{
		ErrorLog:          slogPrinter{s.log},
		Registry:          t.reg,
		EnableOpenMetrics: false,
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.mayReadMetrics(r) {
			h.ServeHTTP(w, r)
			return
		}
		msg, hint := "/metrics needs the bearer token of auth.metrics_token", "Set the scrape job's authorization (bearer) to that token."
		if s.ops.Auth.enabled() {
			msg = "/metrics needs a signed-in reader or the bearer token of auth.metrics_token: it names every repo"
			hint = "Give the scrape job auth.metrics_token as a bearer token (Authorization: Bearer …), " +
				"or set auth.public_metrics: true to open /metrics to everyone who reaches tach."
		}
		w.Header().Set("WWW-Authenticate", `Bearer realm="tach metrics"`)
		s.writeJSON(w, http.StatusUnauthorized, map[string]any{"error": msg, "hint": hint, "status": http.StatusUnauthorized})
	})
}

// mayReadMetrics: /metrics names every repo. With the bearer token of
// auth.metrics_token anyone may read it; otherwise, once sign-in is on,
// a signed-in reader (session or trusted proxy) may, or anyone with
// auth.public_metrics; with sign-in off (loopback), anyone unless a token
// is set.
func (s *Server) mayReadMetrics(r *http.Request) bool {
	a := s.ops.Auth
	if a.MetricsToken != "" {
		want := sha256.Sum256([]byte("Bearer " + a.MetricsToken))
		got := sha256.Sum256([]byte(r.Header.Get("Authorization")))
		if subtle.ConstantTimeCompare(got[:], want[:]) == 1 {
			return true
		}
	}
	if !a.enabled() {
		return a.MetricsToken == ""
	}
	if a.PublicMetrics {
		return true
	}
	p, ok := principalOf(r.Context())
	return ok && p.Via != viaOpen
}

// slogPrinter lets promhttp log through slog.
type slogPrinter struct{ log *slog.Logger }

func (p slogPrinter) Println(v ...any) {
	p.log.Warn("metrics", "err", strings.TrimSpace(fmt.Sprintln(v...)))
}
