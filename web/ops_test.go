package web_test

import (
	"context"
	"errors"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/tach-dev/tach/collectors"
	"github.com/tach-dev/tach/collectors/demo"
	"github.com/tach-dev/tach/web"
)

// scrape parses /metrics in the Prometheus text format.
func scrape(t *testing.T, e *opsEnv, header map[string]string) map[string]*promFamily {
	t.Helper()
	rec := e.do(req{target: "/metrics", header: header})
	if rec.Code != http.StatusOK {
		t.Fatalf("/metrics: %d %s", rec.Code, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("/metrics content type %q", ct)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(strings.NewReader(rec.Body.String()))
	if err != nil {
		t.Fatalf("/metrics does not parse: %v\n%s", err, rec.Body)
	}
	out := map[string]*promFamily{}
	for name, f := range fams {
		pf := &promFamily{byLabel: map[string]float64{}}
		for _, m := range f.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, l.GetName()+"="+l.GetValue())
			}
			v := m.GetGauge().GetValue() + m.GetCounter().GetValue() + float64(m.GetHistogram().GetSampleCount())
			pf.byLabel[strings.Join(labels, ",")] = v
		}
		out[name] = pf
	}
	return out
}

type promFamily struct{ byLabel map[string]float64 }

func TestMetricsEndpoint(t *testing.T) {
	e := newOpsEnv(t, signInOff)
	tel := e.ops.Telemetry
	// The DORA gauges, computed once (as after a sync) for every demo repo.
	var repos []string
	for name := range demo.RepoSettings() {
		repos = append(repos, name)
	}
	if err := tel.RefreshDORA(context.Background(), demoReports, repos, demoNow); err != nil {
		t.Fatal(err)
	}
	// A sync run and a page view.
	start := demoNow.Add(-time.Minute)
	tel.ObserveSync(collectors.SyncRun{Started: start, Finished: demoNow, Summary: &collectors.Summary{Repos: []collectors.RepoSummary{
		{Repo: "acme/api", Provider: "github", Requests: 40, RateLimitRemaining: 4900},
		{Repo: "acme/web", Provider: "github", Requests: 2, RateLimitRemaining: 4890},
		{Repo: "acme/platform/billing", Provider: "gitlab", Requests: 7, RateLimitRemaining: -1, Err: errors.New("boom")},
	}}})
	tel.ObserveSync(collectors.SyncRun{Started: start, Finished: demoNow, Err: context.Canceled})
	e.do(req{target: "/weekly"})
	e.do(req{target: "/measures/lead-time"})
	e.do(req{target: "/changes/nowhere-at-all"})

	fams := scrape(t, e, nil)
	for _, name := range []string{
		"tach_sync_runs_total", "tach_sync_duration_seconds", "tach_sync_last_success_timestamp_seconds", "tach_sync_running",
		"tach_provider_requests_total", "tach_provider_rate_limit_remaining", "tach_http_request_duration_seconds",
		"tach_dora_deployment_frequency_per_week", "tach_dora_lead_time_median_seconds", "tach_dora_change_failure_rate",
		"tach_dora_recovery_time_median_seconds", "tach_dora_rework_rate", "tach_dora_computed_timestamp_seconds", "tach_radar_worsening_signals",
		"go_goroutines", "process_cpu_seconds_total",
	} {
		if fams[name] == nil {
			t.Errorf("/metrics has no %s", name)
		}
	}
	check := func(fam, labels string, want float64) {
		t.Helper()
		f := fams[fam]
		if f == nil {
			return
		}
		if got, ok := f.byLabel[labels]; !ok || got != want {
			t.Errorf("%s{%s} = %v (present %v), want %v", fam, labels, got, ok, want)
		}
	}
	check("tach_sync_runs_total", "result=partial", 1)
	check("tach_sync_runs_total", "result=cancelled", 1)
	check("tach_sync_runs_total", "result=success", 0)
	check("tach_provider_requests_total", "provider=github", 42)
	check("tach_provider_requests_total", "provider=gitlab", 7)
	check("tach_provider_rate_limit_remaining", "provider=github", 4890)
	check("tach_sync_duration_seconds", "", 2)
	check("tach_http_request_duration_seconds", "code=200,route=GET /weekly", 1)
	check("tach_http_request_duration_seconds", "code=200,route=GET /measures/{measure}", 1)
	check("tach_http_request_duration_seconds", "code=404,route=GET /", 1)
	check("tach_dora_computed_timestamp_seconds", "", float64(demoNow.Unix()))
	// The radar's worsening signals: the demo's degrading module has some,
	// a module without a trend none, a repo without modules is labelled
	// with module "".
	if got := fams["tach_radar_worsening_signals"].byLabel["module=search,repo=acme/shop-monolith"]; got < 2 {
		t.Errorf("tach_radar_worsening_signals of the degrading module = %v, want ≥ 2", got)
	}
	check("tach_radar_worsening_signals", "module=payments,repo=acme/shop-monolith", 0)
	if _, ok := fams["tach_radar_worsening_signals"].byLabel["module=,repo=acme/web"]; !ok {
		t.Errorf("no radar gauge for acme/web: %v", fams["tach_radar_worsening_signals"].byLabel)
	}
	// A deployment frequency for every demo repo; the values are the
	// report's.
	for _, name := range repos {
		if _, ok := fams["tach_dora_deployment_frequency_per_week"].byLabel["repo="+name]; !ok {
			t.Errorf("no deployment frequency gauge for %s", name)
		}
	}
	if len(fams["tach_dora_lead_time_median_seconds"].byLabel) == 0 || len(fams["tach_dora_change_failure_rate"].byLabel) == 0 {
		t.Error("no lead time or failure rate gauges")
	}
	for labels := range fams["tach_http_request_duration_seconds"].byLabel {
		if strings.Contains(labels, "nowhere-at-all") {
			t.Errorf("a raw path is a label: %s", labels)
		}
	}
}

func TestMetricsBearerToken(t *testing.T) {
	const token = "metrics-token-TESTCANARY-0123456789"
	e := newOpsEnv(t, func(o *web.OpsOptions) { o.Auth.MetricsToken = token })
	for _, h := range []map[string]string{nil, {"Authorization": "Bearer wrong"}, {"Authorization": token}, {"Authorization": "Bearer " + token + "x"}} {
		rec := e.do(req{target: "/metrics", header: h})
		if rec.Code != http.StatusUnauthorized || rec.Header().Get("WWW-Authenticate") == "" || strings.Contains(rec.Body.String(), token) {
			t.Errorf("%v: %d", h, rec.Code)
		}
	}
	if fams := scrape(t, e, map[string]string{"Authorization": "Bearer " + token}); fams["tach_sync_runs_total"] == nil {
		t.Error("no metrics with the token")
	}
}

// TestMetricsNeedSignIn: /metrics names every repo, so once sign-in is on
// it needs the metrics token or a signed-in reader, unless
// auth.public_metrics opens it; without sign-in (loopback) it stays open.
func TestMetricsNeedSignIn(t *testing.T) {
	const token = "metrics-token-TESTCANARY-9876543210"
	bearer := map[string]string{"Authorization": "Bearer " + token}
	proxy := &web.TrustedProxy{Header: "X-Forwarded-User", DefaultRole: "read", Proxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}
	for _, tc := range []struct {
		name      string
		configure func(*web.OpsOptions)
		r         req
		signIn    bool // sign in as rob first, and send the cookie
		want      int
	}{
		{"users, nobody", nil, req{}, false, http.StatusUnauthorized},
		{"users, signed in", nil, req{}, true, http.StatusOK},
		{"users and a token, the token", func(o *web.OpsOptions) { o.Auth.MetricsToken = token }, req{header: bearer}, false, http.StatusOK},
		{"users and a token, signed in", func(o *web.OpsOptions) { o.Auth.MetricsToken = token }, req{}, true, http.StatusOK},
		{"users and a token, nobody", func(o *web.OpsOptions) { o.Auth.MetricsToken = token }, req{}, false, http.StatusUnauthorized},
		{"users, public_metrics", func(o *web.OpsOptions) { o.Auth.PublicMetrics = true }, req{}, false, http.StatusOK},
		{"proxy, its user", func(o *web.OpsOptions) { o.Auth.Users, o.Auth.Proxy = nil, proxy },
			req{remote: "10.1.1.1:5000", header: map[string]string{"X-Forwarded-User": "alice"}}, false, http.StatusOK},
		{"proxy, nobody", func(o *web.OpsOptions) { o.Auth.Users, o.Auth.Proxy = nil, proxy }, req{remote: "10.1.1.1:5000"}, false, http.StatusUnauthorized},
		{"sign-in off", signInOff, req{}, false, http.StatusOK},
		{"sign-in off and a token, nobody", func(o *web.OpsOptions) { signInOff(o); o.Auth.MetricsToken = token }, req{}, false, http.StatusUnauthorized},
	} {
		e := newOpsEnv(t, tc.configure)
		r := tc.r
		r.target = "/metrics"
		if tc.signIn {
			r.cookie = e.login("rob", robPassword)
		}
		rec := e.do(r)
		if rec.Code != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, rec.Code, tc.want)
		}
		signInOn := !strings.HasPrefix(tc.name, "sign-in off")
		if rec.Code == http.StatusUnauthorized && (signInOn && !strings.Contains(rec.Body.String(), "public_metrics") || strings.Contains(rec.Body.String(), "tach_")) {
			t.Errorf("%s: the refusal: %s", tc.name, rec.Body)
		}
	}
}

func TestHealthAndReadiness(t *testing.T) {
	fail := false
	e := newOpsEnv(t, func(o *web.OpsOptions) {
		ready := o.Ready
		o.Ready = func(ctx context.Context) error {
			if fail {
				return errors.New("database is locked at /secret/path/tach.db")
			}
			return ready(ctx)
		}
	})
	for _, path := range []string{"/healthz", "/readyz"} {
		if rec := e.do(req{target: path}); rec.Code != http.StatusOK || strings.TrimSpace(rec.Body.String()) != "ok" {
			t.Errorf("%s: %d %q", path, rec.Code, rec.Body)
		}
	}
	fail = true
	rec := e.do(req{target: "/readyz"})
	if rec.Code != http.StatusServiceUnavailable || strings.Contains(rec.Body.String(), "/secret/path") {
		t.Errorf("/readyz with the database down: %d %q", rec.Code, rec.Body)
	}
	if rec := e.do(req{target: "/healthz"}); rec.Code != http.StatusOK {
		t.Errorf("/healthz with the database down: %d", rec.Code)
	}
	if !strings.Contains(e.logs.String(), "not ready") {
		t.Error("the log does not say why it is not ready")
	}
}

func TestSyncResult(t *testing.T) {
	ok := &collectors.Summary{Repos: []collectors.RepoSummary{{Repo: "a"}}}
	failed := &collectors.Summary{Repos: []collectors.RepoSummary{{Repo: "a", Err: errors.New("x")}}}
	for _, tc := range []struct {
		run  collectors.SyncRun
		want string
	}{
		{collectors.SyncRun{Summary: ok}, web.SyncSuccess},
		{collectors.SyncRun{Summary: failed}, web.SyncFailed},
		{collectors.SyncRun{Err: errors.New("no token")}, web.SyncFailed},
		{collectors.SyncRun{Summary: ok, Err: context.Canceled}, web.SyncCancelled},
	} {
		if got := web.SyncResult(tc.run); got != tc.want {
			t.Errorf("%+v: %s, want %s", tc.run, got, tc.want)
		}
	}
}
