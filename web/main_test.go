package web_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"testing"
	"time"

	"github.com/tach-dev/tach/collectors/demo"
	"github.com/tach-dev/tach/metrics"
	"github.com/tach-dev/tach/metrics/engine"
	"github.com/tach-dev/tach/store"
	"github.com/tach-dev/tach/store/storetest"
	"github.com/tach-dev/tach/web"
)

// The handler, benchmark and browser tests share one demo database,
// generated once per test binary with a fixed end, so its numbers are
// stable from run to run.
var (
	demoEnd = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC) // a Monday
	demoNow = demoEnd.Add(50 * time.Hour)                 // Wednesday of the week in progress

	demoStore     *store.Store
	demoReports   *engine.Reports
	demoDecisions *engine.DecisionLog
)

// testDir holds the test binary's databases; it outlives every test (a
// database made once for many tests cannot live in one test's TempDir).
var testDir string

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "tach-web-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	testDir = dir
	ctx := context.Background()
	path, drop, err := storetest.MainDatabase(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer drop()
	st, err := store.Open(ctx, path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer st.Close()
	if _, err := demo.Generate(ctx, st, demo.Options{End: demoEnd}); err != nil {
		fmt.Fprintln(os.Stderr, "generate demo:", err)
		return 1
	}
	if err := engine.NewDeriver(st, metrics.DefaultRules(), demoRepoRules()).Derive(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "derive demo:", err)
		return 1
	}
	demoStore, demoReports = st, engine.NewReports(st, metrics.DefaultRules(), nil)
	demoDecisions = engine.NewDecisionLog(demoReports)
	return m.Run()
}

// demoRepoRules are the demo repos' deployment settings, as `tach demo`
// gives them to the derive step.
func demoRepoRules() map[string]metrics.RepoRules {
	out := map[string]metrics.RepoRules{}
	for name, s := range demo.RepoSettings() {
		out[name] = metrics.RepoRules{Source: s.Source, Link: s.Link, Environments: regexp.MustCompile(metrics.DefaultProductionEnvironments)}
	}
	return out
}

// newHandler is the dashboard over the demo database at demoNow.
func newHandler(t testing.TB) http.Handler {
	t.Helper()
	return web.New(web.Options{
		Reports: demoReports, Decisions: demoDecisions, Store: demoStore,
		Logger: slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn})),
		Now:    func() time.Time { return demoNow },
	})
}

// testWriter sends the server's log to the test's log.
type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p))
	return len(p), nil
}

// get serves one request and returns the recorder.
func get(t testing.TB, h http.Handler, target string, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, target, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}
