package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/tach-dev/tach/metrics"
	"github.com/tach-dev/tach/metrics/engine"
	"github.com/tach-dev/tach/metrics/render"
	"github.com/tach-dev/tach/metrics/review"
)

// pages are every page of the dashboard, with a query that exercises it.
var pages = []string{
	"/",
	"/?team=checkout",
	"/?repo=acme/catalog&weeks=26",
	"/?from=2025-09-01&to=2026-03-02",
	"/weekly",
	"/weekly?team=platform&week=2026-02-02",
	"/changes",
	"/changes?state=merged&sort=lead_time&dir=desc&page=2",
	"/deployments?kind=failed",
	"/incidents?status=resolved&sort=duration",
	"/sync",
	"/decisions",
	"/docs/metrics",
	"/measures/deployment-frequency",
	"/measures/lead-time",
	"/measures/change-failure-rate",
	"/measures/recovery-time",
	"/measures/rework-rate",
	"/measures/cycle-time",
	"/measures/throughput",
	"/measures/pr-size",
	"/measures/ci",
}

const wantCSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

func TestEveryPageRendersSafely(t *testing.T) {
	h := newHandler(t)
	for _, p := range pages {
		t.Run(p, func(t *testing.T) {
			t.Parallel()
			rec := get(t, h, p)
			if rec.Code != http.StatusOK {
				t.Fatalf("GET %s = %d:\n%s", p, rec.Code, rec.Body.String())
			}
			checkSecurityHeaders(t, rec.Header())
			if ct := rec.Header().Get("Content-Type"); ct != "text/html; charset=utf-8" {
				t.Errorf("Content-Type = %q", ct)
			}
			doc := parse(t, rec.Body.String())
			if doc.Find(`[data-testid="page-title"]`).Length() != 1 {
				t.Error("no page title")
			}
			if doc.Find(`[data-testid="nav"] a`).Length() < 8 {
				t.Error("navigation is missing links")
			}
			// No inline script or style: CSP would block them, and the
			// dashboard must not need them.
			doc.Find("script").Each(func(_ int, s *goquery.Selection) {
				src, hasSrc := s.Attr("src")
				typ, _ := s.Attr("type")
				switch {
				case hasSrc && strings.HasPrefix(src, "/static/"):
				case !hasSrc && typ == "application/json":
				default:
					html, _ := goquery.OuterHtml(s)
					t.Errorf("script that is neither ours nor JSON data: %s", html)
				}
			})
			if n := doc.Find("style, [style]").Length(); n > 0 {
				t.Errorf("%d inline styles", n)
			}
			doc.Find("[onclick], [onload], [onerror]").Each(func(_ int, s *goquery.Selection) {
				t.Errorf("inline event handler on %s", goquery.NodeName(s))
			})
			// Every chart container names a JSON block that holds an option.
			doc.Find(`[data-chart]`).Each(func(_ int, s *goquery.Selection) {
				id, _ := s.Attr("data-chart")
				data := doc.Find("script#" + id)
				if data.Length() != 1 {
					t.Fatalf("chart %s: no data block #%s", s.AttrOr("id", "?"), id)
				}
				var option map[string]any
				if err := json.Unmarshal([]byte(data.Text()), &option); err != nil {
					t.Fatalf("chart %s: option is not JSON: %v", id, err)
				}
				if _, ok := option["series"]; !ok {
					t.Errorf("chart %s: option has no series", id)
				}
				if _, ok := option["color"]; ok {
					t.Errorf("chart %s: option carries its own colours; the theme should", id)
				}
			})
			if strings.HasPrefix(p, "/measures/") {
				checkMeasurePage(t, doc)
			}
			// Every link out of tach is to the provider and keeps no referrer.
			doc.Find("a[href]").Each(func(_ int, s *goquery.Selection) {
				href := s.AttrOr("href", "")
				if strings.HasPrefix(href, "javascript:") || strings.Contains(href, "TemplFailedSanitization") {
					t.Errorf("unsafe link %q", href)
				}
			})
		})
	}
}

func checkSecurityHeaders(t *testing.T, h http.Header) {
	t.Helper()
	if got := h.Get("Content-Security-Policy"); got != wantCSP {
		t.Errorf("CSP = %q", got)
	}
	if got := h.Get("X-Content-Type-Options"); got != "nosniff" {
		t.Errorf("X-Content-Type-Options = %q", got)
	}
	if got := h.Get("Referrer-Policy"); got != "same-origin" {
		t.Errorf("Referrer-Policy = %q", got)
	}
}

func parse(t *testing.T, body string) *goquery.Document {
	t.Helper()
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// The overview's cards show the report's numbers, humanised, with the
// exact value on hover; /api/v1/metrics is the same report.
func TestOverviewShowsTheReport(t *testing.T) {
	h := newHandler(t)
	rec := get(t, h, "/api/v1/metrics?team=checkout")
	if rec.Code != http.StatusOK {
		t.Fatalf("api: %d %s", rec.Code, rec.Body)
	}
	var rep metrics.Report
	if err := json.Unmarshal(rec.Body.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	want, err := demoReports.Report(t.Context(), engine.Scope{Team: "checkout"}, metrics.LastWholeWeeks(demoNow, 12, nil), demoNow)
	if err != nil {
		t.Fatal(err)
	}
	if render.HumanDuration(rep.LeadTime.MedianSeconds) != render.HumanDuration(want.LeadTime.MedianSeconds) || rep.DeploymentFrequency.Deployments != want.DeploymentFrequency.Deployments {
		t.Fatalf("api report differs from the engine's: %+v vs %+v", rep.LeadTime, want.LeadTime)
	}
	doc := parse(t, get(t, h, "/?team=checkout").Body.String())
	card := doc.Find(`[data-testid="card-lead_time"]`)
	value := card.Find(`.card-value [data-testid="value"]`)
	if got, want := strings.TrimSpace(value.Text()), render.HumanDuration(rep.LeadTime.MedianSeconds); got != want {
		t.Errorf("lead time card shows %q, report says %q", got, want)
	}
	if title := value.AttrOr("title", ""); !strings.Contains(title, " s") {
		t.Errorf("lead time card has no exact value on hover: %q", title)
	}
	if rep.LeadTime.Tier != nil {
		if got := strings.TrimSpace(card.Find(`[data-testid="tier-badge"]`).Text()); got != *rep.LeadTime.Tier {
			t.Errorf("tier badge %q, want %q", got, *rep.LeadTime.Tier)
		}
		if card.Find(`[data-testid="tier-table"] tr`).Length() != 4 {
			t.Error("the tier table is not beside the badge")
		}
	}
	cfr := doc.Find(`[data-testid="card-change_failure_rate"] .card-value [data-testid="value"]`)
	if got, want := strings.TrimSpace(cfr.Text()), render.HumanPercent(rep.ChangeFailureRate.Rate); got != want {
		t.Errorf("change failure rate card %q, want %q", got, want)
	}
	for _, key := range []string{"deployment_frequency", "lead_time", "change_failure_rate", "recovery_time", "rework_rate"} {
		c := doc.Find(`[data-testid="card-` + key + `"]`)
		if c.Length() != 1 {
			t.Errorf("no card %s", key)
			continue
		}
		if c.Find(`[data-testid="delta"]`).Length() != 1 {
			t.Errorf("card %s has no change against the previous period", key)
		}
		if c.Find(`[data-testid="chart"], [data-testid="chart-empty"]`).Length() != 1 {
			t.Errorf("card %s has no sparkline", key)
		}
	}
	if n := doc.Find(`[data-testid="chart-table"]`).Length(); n < 9 {
		t.Errorf("%d charts have a table view, want every one (≥ 9)", n)
	}
}

// Decisions are drawn on the time charts of the scopes they concern.
func TestDecisionsMarkTimeCharts(t *testing.T) {
	h := newHandler(t)
	body := get(t, h, "/?weeks=52").Body.String()
	doc := parse(t, body)
	// Each line is numbered on the chart, and the list under the chart says
	// which decision each number is.
	for _, title := range []string{"Split payments out of the monolith", "Cache catalog reads in Redis"} {
		if !strings.Contains(doc.Find(`[data-testid="chart-marks"]`).Text(), title) {
			t.Errorf("no decision %q under the overview's charts", title)
		}
	}
	if !strings.Contains(body, `"id":"decisions-0"`) || !strings.Contains(body, `"markLine":{`) {
		t.Error("no decision lines on the overview's charts")
	}
	// The cache decision concerns catalog only.
	body = get(t, h, "/measures/lead-time?repo=acme/web&weeks=52").Body.String()
	if strings.Contains(body, "Cache catalog reads") {
		t.Error("catalog's decision is drawn on acme/web's charts")
	}
	if !strings.Contains(body, "markLine") {
		t.Error("no decision on acme/web's lead time (the split concerns team checkout)")
	}
}

func TestBadQueriesAre400WithAMessage(t *testing.T) {
	h := newHandler(t)
	cases := []struct{ query, mention string }{
		{"from=2026-13-01", "from"},
		{"from=yesterday", "YYYY-MM-DD"},
		{"to=2026-02-30", "to"},
		{"from=2026-02-01&to=2026-01-01", "empty"},
		{"weeks=0", "weeks"},
		{"weeks=abc", "weeks"},
		{"weeks=4&from=2026-01-01", "either"},
		{"from=1900-01-01", "1970"},
		{"from=2000-01-01&to=2026-01-01", "longer"},
		{"team=a&team=b", "once"},
		{"dir=up", "dir"},
		{"page=0", "page"},
		{"per_page=100000", "per_page"},
		{"sort=" + url.QueryEscape("created; DROP TABLE changes"), "sort"},
		{"state=bogus", "state"},
		{"kind=bogus", "kind"},
		{"status=bogus", "status"},
		{"week=2026-02-31", "week"},
		{"week=2026-03-02", "complete"},
		{"week=2030-01-05", "complete"},
		{"team=" + url.QueryEscape("a\x00b"), "team"},
	}
	for _, c := range cases {
		for _, path := range []string{"/", "/api/v1/metrics", "/weekly", "/api/v1/changes"} {
			if strings.HasPrefix(c.query, "week=") != strings.Contains(path, "weekly") {
				continue // week is read by the weekly review only
			}
			t.Run(path+"?"+c.query, func(t *testing.T) {
				rec := get(t, h, path+"?"+c.query)
				if rec.Code != http.StatusBadRequest {
					t.Fatalf("status %d, want 400: %s", rec.Code, rec.Body)
				}
				checkSecurityHeaders(t, rec.Header())
				body := rec.Body.String()
				if strings.HasPrefix(path, "/api/") {
					var e struct{ Error string }
					if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Error == "" {
						t.Fatalf("API error is not JSON with an error: %s", body)
					}
					body = e.Error
				} else {
					body = parse(t, body).Find(`[data-testid="error-message"]`).Text()
				}
				if !strings.Contains(body, c.mention) {
					t.Errorf("message %q does not mention %q", body, c.mention)
				}
			})
		}
	}
	// A sort key that only some lists know is the list's 400, from the store.
	rec := get(t, h, "/api/v1/deployments?sort=title")
	if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "finished") {
		t.Errorf("unknown sort key: %d %s", rec.Code, rec.Body)
	}
}

func TestUnknownThingsAre404(t *testing.T) {
	h := newHandler(t)
	for _, target := range []string{"/?team=nope", "/api/v1/metrics?repo=acme/nope", "/measures/velocity", "/api/v1/measures/velocity", "/no/such/page", "/changes?team=nope"} {
		rec := get(t, h, target)
		if rec.Code != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", target, rec.Code)
		}
		checkSecurityHeaders(t, rec.Header())
	}
	// A client asking for JSON gets JSON errors outside /api too.
	rec := get(t, h, "/?team=nope", "Accept", "application/json")
	if !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
		t.Errorf("JSON client got %s", rec.Header().Get("Content-Type"))
	}
}

// The demo holds a change titled "<script>alert(1)</script> Fix XSS in
// search": it is text on every page and in the Markdown export.
func TestHostileTitleStaysText(t *testing.T) {
	const hostile = "<script>alert(1)</script> Fix XSS in search"
	h := newHandler(t)
	rec := get(t, h, "/api/v1/changes?q=XSS&weeks=52")
	var list struct {
		Rows []struct {
			Title      string  `json:"title"`
			DeployedAt *string `json:"deployed_at"`
		} `json:"rows"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &list); err != nil || len(list.Rows) == 0 {
		t.Fatalf("the demo's hostile change is not in the list: %v %s", err, rec.Body)
	}
	if list.Rows[0].Title != hostile {
		t.Fatalf("title = %q", list.Rows[0].Title)
	}
	body := get(t, h, "/changes?q=XSS&weeks=52").Body.String()
	if strings.Contains(body, "<script>alert(1)") {
		t.Fatal("the hostile title is in the page as markup")
	}
	if !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt; Fix XSS in search") {
		t.Error("the hostile title is not shown as text")
	}
	doc := parse(t, body)
	if !strings.Contains(doc.Find(`[data-testid="list"]`).Text(), hostile) {
		t.Error("the list does not show the title's text")
	}
	// The Markdown export of the week that shipped it.
	if list.Rows[0].DeployedAt == nil {
		t.Skip("the hostile change was not shipped in the demo window")
	}
	week := (*list.Rows[0].DeployedAt)[:10]
	md := get(t, h, "/weekly.md?week="+week)
	if md.Code != http.StatusOK {
		t.Fatalf("weekly.md: %d %s", md.Code, md.Body)
	}
	if ct := md.Header().Get("Content-Type"); ct != "text/markdown; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	text := md.Body.String()
	if !strings.Contains(text, `&lt;script&gt;alert\(1\)&lt;/script&gt; Fix XSS in search`) {
		t.Errorf("the Markdown does not carry the escaped title:\n%s", text)
	}
	if strings.Contains(text, "<") {
		t.Errorf("the Markdown holds a raw <, which a renderer may read as HTML:\n%s", text)
	}
}

func TestListsSortAndPage(t *testing.T) {
	h := newHandler(t)
	type page struct {
		Page struct {
			Sort    string `json:"sort"`
			Dir     string `json:"dir"`
			Page    int    `json:"page"`
			PerPage int    `json:"per_page"`
			Total   int    `json:"total"`
		} `json:"page"`
		Rows []struct {
			ID        int64 `json:"id"`
			SizeLines *int  `json:"size_lines"`
		} `json:"rows"`
	}
	load := func(q string) page {
		rec := get(t, h, "/api/v1/changes?"+q)
		if rec.Code != http.StatusOK {
			t.Fatalf("%s: %d %s", q, rec.Code, rec.Body)
		}
		var p page
		if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	p1 := load("sort=size&dir=desc&per_page=20&weeks=26")
	p2 := load("sort=size&dir=desc&per_page=20&weeks=26&page=2")
	if p1.Page.Total < 40 || len(p1.Rows) != 20 || len(p2.Rows) != 20 {
		t.Fatalf("pages of %d and %d rows of %d", len(p1.Rows), len(p2.Rows), p1.Page.Total)
	}
	prev := 1 << 30
	seen := map[int64]bool{}
	for _, r := range append(p1.Rows, p2.Rows...) {
		if seen[r.ID] {
			t.Errorf("change %d on both pages", r.ID)
		}
		seen[r.ID] = true
		if r.SizeLines == nil {
			continue
		}
		if *r.SizeLines > prev {
			t.Errorf("sizes not descending: %d after %d", *r.SizeLines, prev)
		}
		prev = *r.SizeLines
	}
	asc := load("sort=size&dir=asc&per_page=20&weeks=26")
	if asc.Rows[0].ID == p1.Rows[0].ID {
		t.Error("ascending and descending start with the same change")
	}
	// The page's sort headers flip the direction of the sorted column.
	doc := parse(t, get(t, h, "/changes?sort=size&dir=desc").Body.String())
	th := doc.Find(`th[aria-sort="descending"]`)
	if th.Length() != 1 {
		t.Fatal("the sorted column is not marked")
	}
	if href := th.Find("a").AttrOr("href", ""); !strings.Contains(href, "dir=asc") || !strings.Contains(href, "sort=size") {
		t.Errorf("sorted column links to %q", href)
	}
	if doc.Find(`[data-testid="pager-next"]`).Length() == 0 {
		t.Error("no next page link")
	}
}

func TestWeeklyReview(t *testing.T) {
	h := newHandler(t)
	rec := get(t, h, "/api/v1/weekly")
	if rec.Code != http.StatusOK {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	var rev review.Review
	if err := json.Unmarshal(rec.Body.Bytes(), &rev); err != nil {
		t.Fatal(err)
	}
	if rev.Week.From != "2026-02-23" || rev.Week.To != "2026-03-02" || rev.Baseline.From != "2026-01-26" {
		t.Errorf("reviewed %v against %v; want the last complete week before %s", rev.Week, rev.Baseline, demoNow)
	}
	if len(rev.Shipped) != rev.This.DeploymentFrequency.Deployments {
		t.Errorf("%d shipped deployments listed, the report counts %d", len(rev.Shipped), rev.This.DeploymentFrequency.Deployments)
	}
	if len(rev.Keys) < 5 {
		t.Errorf("%d key comparisons", len(rev.Keys))
	}
	doc := parse(t, get(t, h, "/weekly").Body.String())
	for _, id := range []string{"weekly-keys", "weekly-shipped", "weekly-opened", "weekly-resolved", "weekly-waiting", "weekly-largest", "weekly-outliers"} {
		if doc.Find(`[data-testid="`+id+`"]`).Length() != 1 {
			t.Errorf("no section %s", id)
		}
	}
	if got := doc.Find(`[data-testid="weekly-shipped"] .shipped > li`).Length(); got != len(rev.Shipped) {
		t.Errorf("page lists %d deployments, API %d", got, len(rev.Shipped))
	}
	md := get(t, h, "/weekly.md?download=1")
	if cd := md.Header().Get("Content-Disposition"); !strings.Contains(cd, "tach-weekly-2026-02-23.md") {
		t.Errorf("Content-Disposition %q", cd)
	}
	if !strings.HasPrefix(md.Body.String(), "## Weekly review") {
		t.Errorf("markdown starts %q", md.Body.String()[:40])
	}
}

// checkMeasurePage: a measure page has its definition with a link to the
// rules, a trend and a distribution, and the rows behind the numbers.
func checkMeasurePage(t *testing.T, doc *goquery.Document) {
	t.Helper()
	if doc.Find(`[data-testid="definition"] a[href^="/docs/metrics#"]`).Length() != 1 {
		t.Error("definition does not link to the rules")
	}
	for _, id := range []string{"trend", "distribution"} {
		if doc.Find(`[data-testid="`+id+`"] [data-testid="chart"], [data-testid="`+id+`"] [data-testid="chart-empty"]`).Length() != 1 {
			t.Errorf("no %s chart", id)
		}
	}
	if doc.Find(`[data-testid="trend"] [data-testid="chart"]`).Length() != 1 {
		t.Error("the demo's 12 weeks draw no trend")
	}
	if doc.Find(`[data-testid^="section-"] table, [data-testid^="section-"] .empty`).Length() == 0 {
		t.Error("no rows behind the numbers")
	}
}

func TestMeasureAPI(t *testing.T) {
	h := newHandler(t)
	for _, m := range []string{"deployment-frequency", "lead-time", "change-failure-rate", "recovery-time", "rework-rate", "cycle-time", "throughput", "pr-size", "ci"} {
		t.Run(m, func(t *testing.T) {
			t.Parallel()
			rec := get(t, h, "/api/v1/measures/"+m+"?weeks=8")
			var res struct {
				Measure      string           `json:"measure"`
				Weekly       []map[string]any `json:"weekly"`
				Distribution []map[string]any `json:"distribution"`
				Rows         map[string]any   `json:"rows"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &res); err != nil {
				t.Fatal(err)
			}
			if res.Measure != m || len(res.Weekly) != 8 || len(res.Rows) == 0 {
				t.Errorf("api: measure %q, %d weeks, %d row sets", res.Measure, len(res.Weekly), len(res.Rows))
			}
		})
	}
}

func TestStaticAssets(t *testing.T) {
	h := newHandler(t)
	doc := parse(t, get(t, h, "/").Body.String())
	src := doc.Find(`script[src*="tach.js"]`).AttrOr("src", "")
	if !strings.Contains(src, "?v=") {
		t.Fatalf("tach.js is not versioned: %q", src)
	}
	rec := get(t, h, src)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Header().Get("Content-Type"), "javascript") {
		t.Fatalf("tach.js: %d %s", rec.Code, rec.Header().Get("Content-Type"))
	}
	if cc := rec.Header().Get("Cache-Control"); !strings.Contains(cc, "immutable") {
		t.Errorf("versioned asset Cache-Control %q", cc)
	}
	checkSecurityHeaders(t, rec.Header())
	if cc := get(t, h, "/static/tach.js").Header().Get("Cache-Control"); cc != "no-cache" {
		t.Errorf("unversioned asset Cache-Control %q", cc)
	}
	etag := rec.Header().Get("ETag")
	if again := get(t, h, src, "If-None-Match", etag); again.Code != http.StatusNotModified {
		t.Errorf("revalidation: %d", again.Code)
	}
	if get(t, h, "/static/nope.js").Code != http.StatusNotFound {
		t.Error("missing asset is not 404")
	}
	// Without ECharts the page says how to get charts.
	hasECharts := doc.Find(`script[src*="echarts"]`).Length() == 1
	notice := doc.Find(`[data-testid="notice"]`).Text()
	if !hasECharts && !strings.Contains(notice, "make assets") {
		t.Errorf("no ECharts and no word on how to get it: %q", notice)
	}
	if hasECharts && notice != "" {
		t.Errorf("ECharts is embedded but the page says %q", notice)
	}
}

func TestEmptyWindowExplains(t *testing.T) {
	h := newHandler(t)
	// Long before the demo's history.
	doc := parse(t, get(t, h, "/?from=2020-01-06&to=2020-03-02").Body.String())
	empty := doc.Find(`[data-testid="empty-state"]`)
	if empty.Length() != 1 || !strings.Contains(empty.Text(), "window") {
		t.Errorf("empty window: %q", empty.Text())
	}
	v := doc.Find(`[data-testid="card-lead_time"] .card-value [data-testid="value"]`)
	if strings.TrimSpace(v.Text()) != render.Dash || v.AttrOr("title", "") == "" {
		t.Errorf("lead time with no data shows %q (%q), want – with a reason", v.Text(), v.AttrOr("title", ""))
	}
	// A window shorter than a week is one part week of the weekly chart.
	doc = parse(t, get(t, h, "/measures/lead-time?from=2026-02-24&to=2026-02-27").Body.String())
	if rows := doc.Find(`[data-testid="trend"] [data-testid="chart-data"] tbody tr`); rows.Length() != 1 || !strings.Contains(rows.Text(), "2026-02-24") {
		t.Errorf("a short window's trend: %q, want its one part week", rows.Text())
	}
}

func TestSyncAndDecisions(t *testing.T) {
	h := newHandler(t)
	doc := parse(t, get(t, h, "/decisions").Body.String())
	if got := doc.Find(`[data-testid="decisions-table"] tbody tr`).Length(); got != 3 {
		t.Errorf("%d decisions listed, the demo has 3", got)
	}
	doc = parse(t, get(t, h, "/sync").Body.String())
	if doc.Find(`[data-testid="sync-table"], [data-testid="sync-table-empty"]`).Length() != 1 {
		t.Error("no sync table")
	}
	if !strings.Contains(doc.Find(`[data-testid="sync-note"]`).Text(), "tach sync") {
		t.Error("the sync page does not say how to sync")
	}
	rec := get(t, h, "/api/v1/sync")
	var out struct {
		States  []any `json:"states"`
		Running bool  `json:"running"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || out.States == nil {
		t.Errorf("sync api: %v %s", err, rec.Body)
	}
}
