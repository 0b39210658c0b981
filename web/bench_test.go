package web_test

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/tach-dev/tach/metrics"
	"github.com/tach-dev/tach/metrics/engine"
	"github.com/tach-dev/tach/web"
)

// Server time of a page on the demo dataset (5 repos, a year of history;
// the default window of 12 weeks and the 12 before it for the comparison):
// the whole request, from query parsing to the rendered HTML. Each reports
// the median and p90 of its iterations as well as the mean (ns/op), and the
// process's CPU time per request.
//
//	go test ./web -run '^$' -bench 'Overview|MeasurePage' -benchtime 50x

func BenchmarkOverview(b *testing.B) { benchPage(b, "/") }

// BenchmarkOverviewFirstView is the overview's first view after a sync:
// its page cache empty, so its reports, and the comparison of the keys
// with the previous period, are computed.
func BenchmarkOverviewFirstView(b *testing.B) { benchPageWith(b, "/", uncachedHandler) }

// BenchmarkWeeklyFirstView is the weekly review's first view after a
// sync.
func BenchmarkWeeklyFirstView(b *testing.B) { benchPageWith(b, "/weekly", uncachedHandler) }

// uncachedHandler is the dashboard over the demo with nothing cached.
func uncachedHandler() http.Handler {
	return web.New(web.Options{Reports: engine.NewReports(demoStore, metrics.DefaultRules(), nil), Decisions: demoDecisions, Store: demoStore,
		Now: func() time.Time { return demoNow }})
}

func BenchmarkMeasurePage(b *testing.B) { benchPage(b, "/measures/lead-time") }

// BenchmarkMeasureFirstView is a measure page's first view after a sync:
// its split and the judging of its headline's change computed.
func BenchmarkMeasureFirstView(b *testing.B) {
	benchPageWith(b, "/measures/lead-time", uncachedHandler)
}

func BenchmarkWeeklyPage(b *testing.B) { benchPage(b, "/weekly") }

func BenchmarkChangesList(b *testing.B) { benchPage(b, "/changes") }

func benchPage(b *testing.B, target string) {
	h := newHandler(b)
	benchPageWith(b, target, func() http.Handler { return h })
}

// benchPageWith times target on the handler each iteration gets (made
// before its timing starts).
func benchPageWith(b *testing.B, target string, handler func() http.Handler) {
	get(b, handler(), target) // warm the connection pool and the page cache of SQLite
	times := make([]time.Duration, 0, b.N)
	cpuBefore := processCPU()
	b.ResetTimer()
	for b.Loop() {
		h := handler()
		start := time.Now()
		req := httptest.NewRequest(http.MethodGet, target, nil)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		times = append(times, time.Since(start))
		if rec.Code != http.StatusOK {
			b.Fatalf("%s: %d", target, rec.Code)
		}
	}
	b.StopTimer()
	cpu := processCPU() - cpuBefore
	slices.Sort(times)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	b.ReportMetric(ms(times[len(times)/2]), "median-ms")
	b.ReportMetric(ms(times[len(times)*9/10]), "p90-ms")
	// CPU time per request (all goroutines, GC included): steadier than
	// wall time on a busy machine.
	if cpu > 0 {
		b.ReportMetric(ms(cpu/time.Duration(len(times))), "cpu-ms/op")
	}
}
