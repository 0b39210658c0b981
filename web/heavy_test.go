package web_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tach-dev/tach/metrics"
	"github.com/tach-dev/tach/metrics/engine"
	"github.com/tach-dev/tach/web"
)

// TestHeavyPagesWaitThenAre503 reproduces issue 14's storm at the scale of
// one request: with the heavy work's only slot taken, a comparison, the
// suggestions and a view of ten years wait briefly and are answered 503
// with Retry-After, as a page or as JSON — and the light pages (lists, the
// overview of 12 weeks, the weekly review) are answered at once. Rendering
// a heavy page takes room in the gate too, even when its computation is
// cached. Refusing is not a server error: nothing is logged as one.
func TestHeavyPagesWaitThenAre503(t *testing.T) {
	gate := engine.NewGate(1, 20*time.Millisecond)
	reports := engine.NewReports(demoStore, metrics.DefaultRules(), nil)
	reports.UseGate(gate)
	var log lockedBuffer
	h := web.New(web.Options{Reports: reports, Decisions: engine.NewDecisionLog(reports), Store: demoStore, Gate: gate,
		Logger: slog.New(slog.NewTextHandler(&log, nil)), Now: func() time.Time { return demoNow }})
	hold, err := gate.Compute(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	const compare = "period_a=2016-03-14..2026-03-02&period_b=2016-04-04..2026-03-02"
	heavy := []string{"/compare?" + compare, "/api/v1/compare?" + compare, "/decisions/candidates", "/api/v1/decisions/candidates",
		"/?weeks=520", "/api/v1/overview?weeks=520", "/measures/pr-size?weeks=520", "/api/v1/measures/lead-time?weeks=52"}
	light := []string{"/", "/changes", "/deployments", "/weekly", "/measures/lead-time", "/api/v1/changes", "/decisions", "/healthz"}
	busy := func(path string) {
		t.Helper()
		rec := get(t, h, path)
		if rec.Code != http.StatusServiceUnavailable {
			t.Errorf("GET %s with the gate full = %d, want 503", path, rec.Code)
			return
		}
		if ra := rec.Header().Get("Retry-After"); ra == "" || ra == "0" {
			t.Errorf("GET %s: 503 without a Retry-After (%q)", path, ra)
		}
		body := rec.Body.String()
		if strings.HasPrefix(path, "/api/") {
			var e struct {
				Error  string `json:"error"`
				Status int    `json:"status"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Status != 503 || !strings.Contains(e.Error, "busy with other heavy requests") {
				t.Errorf("GET %s: the JSON error is %s", path, body)
			}
		} else if !strings.Contains(body, "busy with other heavy requests") || !strings.Contains(body, "Shorter windows") {
			t.Errorf("GET %s: the page does not say tach is busy:\n%.600s", path, body)
		}
	}
	for _, p := range heavy {
		busy(p)
	}
	for _, p := range light {
		if rec := get(t, h, p); rec.Code != http.StatusOK {
			t.Errorf("GET %s with the gate full = %d, want 200 at once", p, rec.Code)
		}
	}
	hold()
	for _, p := range heavy {
		if rec := get(t, h, p); rec.Code != http.StatusOK {
			t.Errorf("GET %s with the gate free = %d:\n%.400s", p, rec.Code, rec.Body.String())
		}
	}
	// The overview of ten years is cached now; building and writing it
	// still takes room.
	hold, err = gate.Compute(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	busy("/?weeks=520")
	hold()
	if strings.Contains(log.String(), "level=ERROR") {
		t.Errorf("refusing heavy work was logged as an error:\n%s", log.String())
	}
}
