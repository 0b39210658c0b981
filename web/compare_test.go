package web_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/tach-dev/tach/metrics/engine"
	"github.com/tach-dev/tach/metrics/impact"
	"github.com/tach-dev/tach/metrics/render"
)

// The demo's decisions, as the compare page shows them: the effects the
// demo built in, and "no clear change" where it built none.
func TestComparePagesShowTheDemoEffects(t *testing.T) {
	h := newHandler(t)
	cases := []struct {
		id        int64
		improved  []string
		worsened  []string
		unchanged []string
		summary   string
	}{
		// The split compares the monolith's payments module before against
		// the payments service after (its before_scope and after_scope).
		{1, []string{"lead_time", "deployment_frequency", "review_time"}, nil, []string{"pr_size", "change_failure_rate"}, "Lead time fell from"},
		{2, []string{"change_failure_rate"}, nil, []string{"lead_time", "deployment_frequency", "pr_size"}, "Change failure rate fell from"},
		{3, nil, []string{"pr_size", "review_time"}, []string{"deployment_frequency", "lead_time", "throughput"}, "PR size rose from"},
	}
	for _, c := range cases {
		t.Run("decision "+strconv.FormatInt(c.id, 10), func(t *testing.T) {
			t.Parallel()
			target := "/compare?decision=" + strconv.FormatInt(c.id, 10)
			rec := get(t, h, target)
			if rec.Code != http.StatusOK {
				t.Fatalf("%s: %d\n%s", target, rec.Code, rec.Body)
			}
			checkSecurityHeaders(t, rec.Header())
			doc := parse(t, rec.Body.String())
			want := map[string]string{}
			for _, k := range c.improved {
				want[k] = impact.VerdictImproved
			}
			for _, k := range c.worsened {
				want[k] = impact.VerdictWorsened
			}
			for _, k := range c.unchanged {
				want[k] = impact.VerdictNoClearChange
			}
			for key, verdict := range want {
				row := doc.Find(`[data-testid="compare-row-` + key + `"]`)
				badge := row.Find(`[data-testid="verdict"]`)
				if got := strings.TrimSpace(badge.Text()); !strings.HasSuffix(got, verdict) {
					t.Errorf("%s: verdict %q, want %q", key, got, verdict)
				}
				if !badge.HasClass("verdict-" + strings.ReplaceAll(verdict, " ", "-")) {
					t.Errorf("%s: badge classes %q", key, badge.AttrOr("class", ""))
				}
			}
			if c.id == 1 {
				if body := rec.Body.String(); !strings.Contains(body, "before: module acme/shop-monolith:payments") || !strings.Contains(body, "after: acme/payments") {
					t.Errorf("the split's page does not name its two scopes")
				}
			}
			summary := doc.Find(`[data-testid="compare-summary"]`).Text()
			if !strings.Contains(summary, c.summary) || !strings.Contains(summary, "no clear change in") {
				t.Errorf("summary: %q", summary)
			}

			// The page shows the engine's comparison, which the API returns.
			api := get(t, h, "/api/v1/compare?decision="+strconv.FormatInt(c.id, 10))
			if api.Code != http.StatusOK || !strings.HasPrefix(api.Header().Get("Content-Type"), "application/json") {
				t.Fatalf("api: %d %s", api.Code, api.Header().Get("Content-Type"))
			}
			cmp, err := demoDecisions.Compare(t.Context(), engine.CompareRequest{DecisionID: c.id}, demoNow)
			if err != nil {
				t.Fatal(err)
			}
			wantJSON, _ := json.MarshalIndent(cmp, "", "  ")
			if !bytes.Equal(bytes.TrimSpace(api.Body.Bytes()), wantJSON) {
				t.Error("/api/v1/compare differs from the engine's comparison")
			}
			if got := strings.TrimSpace(summary); got != cmp.Summary {
				t.Errorf("page summary %q\nengine's   %q", got, cmp.Summary)
			}
			checkCompareTable(t, doc, cmp)
		})
	}
}

// checkCompareTable: one row per measure with its numbers in text, an
// interval bar that crosses zero exactly when the verdict is "no clear
// change", the pre-trend flag where the trend guard fired, a chart per
// measure with its table, and the interrupted time series.
func checkCompareTable(t *testing.T, doc *goquery.Document, cmp impact.Comparison) {
	t.Helper()
	if n := doc.Find(`[data-testid="compare-table"] tbody tr`).Length(); n != len(cmp.Measures) {
		t.Errorf("%d rows, %d measures", n, len(cmp.Measures))
	}
	for _, m := range cmp.Measures {
		row := doc.Find(`[data-testid="compare-row-` + m.Key + `"]`)
		if row.AttrOr("data-verdict", "") != strings.ReplaceAll(m.Verdict, " ", "-") {
			t.Errorf("%s: data-verdict %q, verdict %q", m.Key, row.AttrOr("data-verdict", ""), m.Verdict)
		}
		if got, want := strings.TrimSpace(row.Find(`[data-testid="interval-text"]`).Text()), render.FormatInterval(m); got != want {
			t.Errorf("%s: interval text %q, want %q", m.Key, got, want)
		}
		if got := strings.TrimSpace(row.Find(`[data-testid="n"]`).Text()); !strings.HasPrefix(got, strconv.Itoa(m.NBefore)+" / "+strconv.Itoa(m.NAfter)) {
			t.Errorf("%s: n %q", m.Key, got)
		}
		if title := row.Find(`td.n [data-testid="value"]`).First().AttrOr("title", ""); title == "" {
			t.Errorf("%s: no exact value on hover", m.Key)
		}
		bar := row.Find(`[data-testid="interval-bar"]`)
		if (m.Interval == nil) != (bar.Length() == 0) {
			t.Errorf("%s: interval %v, %d bars", m.Key, m.Interval, bar.Length())
		}
		if bar.Length() == 1 {
			if bar.AttrOr("role", "") != "img" || !strings.Contains(bar.AttrOr("aria-label", ""), "95 % interval") {
				t.Errorf("%s: the bar has no accessible description", m.Key)
			}
			x := attrFloat(t, bar.Find(`[data-testid="interval-range"]`), "x")
			w := attrFloat(t, bar.Find(`[data-testid="interval-range"]`), "width")
			zero := attrFloat(t, bar.Find(`[data-testid="interval-zero"]`), "x1")
			crosses := x <= zero && zero <= x+w
			if crosses != (m.Verdict == impact.VerdictNoClearChange) {
				t.Errorf("%s: bar [%.1f, %.1f] against zero at %.1f, verdict %q", m.Key, x, x+w, zero, m.Verdict)
			}
		}
		flag := row.Find(`[data-testid="pre-trend"]`)
		if significant := m.PreTrend != nil && m.PreTrend.Significant; significant != (flag.Length() == 1) {
			t.Errorf("%s: pre-trend significant %v, flag shown %v", m.Key, significant, flag.Length() == 1)
		}
		panel := doc.Find(`[data-testid="panel-` + m.Key + `"]`)
		if panel.Find(`[data-testid="chart"], [data-testid="chart-empty"]`).Length() != 1 {
			t.Errorf("%s: no chart", m.Key)
		}
		if panel.Find(`[data-testid="chart-data"] tbody tr`).Length() != len(m.Weekly) {
			t.Errorf("%s: the table view does not hold every week", m.Key)
		}
		if (m.ITS != nil) != (doc.Find(`[data-testid="its-row-`+m.Key+`"]`).Length() == 1) {
			t.Errorf("%s: interrupted time series row", m.Key)
		}
	}
	// Each chart carries the break, the windows and the sides' levels.
	doc.Find(`[data-testid="chart"]`).Each(func(_ int, s *goquery.Selection) {
		id := s.AttrOr("data-chart", "")
		var option struct {
			Series []struct {
				ID       string         `json:"id"`
				Data     []any          `json:"data"`
				MarkLine map[string]any `json:"markLine"`
				MarkArea struct {
					Data [][]map[string]any `json:"data"`
				} `json:"markArea"`
			} `json:"series"`
		}
		if err := json.Unmarshal([]byte(doc.Find("script#"+id).Text()), &option); err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		if len(option.Series) < 2 || option.Series[0].ID != "weekly" || option.Series[1].ID != "levels" {
			t.Fatalf("%s: series %+v", id, option.Series)
		}
		if option.Series[0].MarkLine == nil || len(option.Series[0].MarkArea.Data) != 2 {
			t.Errorf("%s: no decision line or no shaded windows", id)
		}
		if len(option.Series[1].Data) < 2 {
			t.Errorf("%s: no level segments", id)
		}
	})
}

func attrFloat(t *testing.T, s *goquery.Selection, name string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(s.AttrOr(name, ""), 64)
	if err != nil {
		t.Fatalf("attribute %s = %q", name, s.AttrOr(name, ""))
	}
	return v
}

func TestCompareVariants(t *testing.T) {
	h := newHandler(t)
	// An after side that reaches past now is partial, and says so.
	doc := parse(t, get(t, h, "/compare?at=2026-02-02").Body.String())
	partial := doc.Find(`[data-testid="compare-partial"]`).Text()
	if !strings.Contains(partial, "partial") || !strings.Contains(partial, "of 56 days") {
		t.Errorf("partial notice %q", partial)
	}
	if !strings.HasPrefix(doc.Find(`[data-testid="compare-summary"]`).Text(), "The after side is partial") {
		t.Error("the summary does not start with the partial after side")
	}
	if got := doc.Find(`[data-testid="page-title"]`).Text(); got != "Before and after 2026-02-02" {
		t.Errorf("title %q", got)
	}
	// A gap, a window and a scope of the reader's choosing.
	doc = parse(t, get(t, h, "/compare?decision=1&window=6w&gap=1w&repo=acme/web").Body.String())
	sides := doc.Find(`[data-testid="compare-sides"]`).Text()
	if !strings.Contains(sides, "(6 weeks)") || !strings.Contains(sides, "gap") {
		t.Errorf("sides %q", sides)
	}
	if cli := doc.Find(`[data-testid="compare-cli"]`).Text(); cli != "tach report compare --decision 1 --window 6w --gap 1w --repo acme/web" {
		t.Errorf("CLI %q", cli)
	}
	if href := doc.Find(`[data-testid="compare-json"]`).AttrOr("href", ""); !strings.Contains(href, "window=6w") || !strings.HasPrefix(href, "/api/v1/compare?") {
		t.Errorf("JSON link %q", href)
	}
	if doc.Find(`#cf-window option[selected]`).AttrOr("value", "") != "6w" {
		t.Error("the form does not show the window")
	}
	// Two scopes over one period: no break, so no interrupted time series.
	rec := get(t, h, "/compare?team=checkout&vs_team=platform")
	if rec.Code != http.StatusOK {
		t.Fatalf("scopes: %d %s", rec.Code, rec.Body)
	}
	doc = parse(t, rec.Body.String())
	if doc.Find(`[data-testid="its"]`).Length() != 0 {
		t.Error("two scopes have an interrupted time series")
	}
	if got := doc.Find(`[data-testid="page-title"]`).Text(); got != "team checkout against team platform" {
		t.Errorf("title %q", got)
	}
	// Two periods.
	if rec := get(t, h, "/compare?period_a=2025-06-02..2025-08-04&period_b=2025-08-04..2025-10-06&team=checkout"); rec.Code != http.StatusOK {
		t.Errorf("periods: %d", rec.Code)
	}
	// Nothing to compare yet: the choices.
	doc = parse(t, get(t, h, "/compare").Body.String())
	if doc.Find(`[data-testid="empty-state"]`).Length() != 1 || doc.Find(`[data-testid="compare-choices"] a`).Length() != 3 {
		t.Error("/compare without anything to compare offers no choice")
	}
}

func TestCompareBadRequests(t *testing.T) {
	h := newHandler(t)
	for _, c := range []struct {
		query   string
		status  int
		mention string
	}{
		{"decision=abc", 400, "decision"},
		{"at=2026-02-30", 400, "at"},
		{"window=3d", 400, "week"},
		{"decision=1&at=2026-01-05", 400, "one thing"},
		{"period_a=2026-01-05..2026-02-02", 400, "both"},
		{"decision=999", 404, "no decision #999"},
		{"decision=1&team=nope", 404, "nope"},
		{"vs_repo=acme/nope", 404, "acme/nope"},
	} {
		for _, path := range []string{"/compare?", "/api/v1/compare?"} {
			rec := get(t, h, path+c.query)
			if rec.Code != c.status {
				t.Errorf("%s%s: %d, want %d", path, c.query, rec.Code, c.status)
				continue
			}
			body := rec.Body.String()
			if !strings.HasPrefix(path, "/api/") {
				body = parse(t, body).Find(`[data-testid="error-message"]`).Text()
			}
			if !strings.Contains(body, c.mention) {
				t.Errorf("%s%s: message %q does not mention %q", path, c.query, body, c.mention)
			}
		}
	}
	if rec := get(t, h, "/api/v1/compare"); rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "nothing to compare") {
		t.Errorf("/api/v1/compare without anything to compare: %d %s", rec.Code, rec.Body)
	}
}
