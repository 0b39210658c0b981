package web_test

import (
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/tach-dev/tach/metrics/engine"
	"github.com/tach-dev/tach/metrics/review"
	"github.com/tach-dev/tach/store"
	"github.com/tach-dev/tach/store/storetest"
)

// The weekly review, shared: the Copy summary's content, the chat
// variants of /weekly.md, the week picker, the measures linked over the
// week, and an open incident's time so far.
func TestWeeklySummaryAndChat(t *testing.T) {
	storetest.Long(t)
	h := newHandler(t)
	doc := parse(t, get(t, h, "/weekly?team=checkout").Body.String())
	button := doc.Find(`[data-testid="copy-summary"]`)
	if button.Length() != 1 {
		t.Fatal("no Copy summary button")
	}
	if _, hidden := button.Attr("hidden"); !hidden {
		t.Error("the button shows before tach.js can make it work")
	}
	text := button.AttrOr("data-copy-text", "")
	for _, want := range []string{"Weekly review — team checkout, week of 23 Feb 2026", "Change failure rate:", " of ", " deployments)",
		"http://example.com/weekly?team=checkout&week=2026-02-23"} {
		if !strings.Contains(text, want) {
			t.Errorf("the summary's text does not say %q:\n%s", want, text)
		}
	}
	// The same summary as HTML in a template (no script on the page), its
	// links absolute, and as text for a reader to copy by hand.
	tpl := doc.Find(`template#weekly-summary-html`)
	if tpl.Length() != 1 || doc.Find(`template#weekly-summary-html`).AttrOr("id", "") != button.AttrOr("data-copy", "") {
		t.Fatal("the button does not name the summary's template")
	}
	html, _ := tpl.Html()
	if !strings.Contains(html, `<a href="http://example.com/weekly?team=checkout&amp;week=2026-02-23">`) || !strings.Contains(html, "<b>Change failure rate</b>") {
		t.Errorf("the summary's HTML:\n%s", html)
	}
	if got := doc.Find(`[data-testid="summary-text"] textarea`).Text(); got != text {
		t.Errorf("the fallback text differs from the button's:\n%s\n%s", got, text)
	}

	// The chats: Slack's mrkdwn, Markdown for Teams and Mattermost.
	for flavor, wants := range map[string][]string{
		"slack":      {"*Weekly review — team checkout, week of 23 Feb 2026*", "• *Change failure rate*:", "<http://example.com/weekly?team=checkout&week=2026-02-23|The whole review>"},
		"teams":      {"**Weekly review — team checkout, week of 23 Feb 2026**", "- **Change failure rate**:", "[The whole review](http://example.com/weekly?team=checkout&week=2026-02-23)"},
		"mattermost": {"**Weekly review — team checkout, week of 23 Feb 2026**", "- **Lead time for changes**:"},
	} {
		rec := get(t, h, "/weekly.md?team=checkout&flavor="+flavor+"&download=1")
		if rec.Code != http.StatusOK {
			t.Fatalf("%s: %d %s", flavor, rec.Code, rec.Body)
		}
		for _, want := range wants {
			if !strings.Contains(rec.Body.String(), want) {
				t.Errorf("%s does not say %q:\n%s", flavor, want, rec.Body)
			}
		}
		if cd := rec.Header().Get("Content-Disposition"); !strings.Contains(cd, "tach-weekly-2026-02-23-"+flavor+".txt") {
			t.Errorf("%s: Content-Disposition %q", flavor, cd)
		}
		link := doc.Find(`[data-testid="weekly-chat-`+map[string]string{"slack": "Slack", "teams": "Teams", "mattermost": "Mattermost"}[flavor]+`"]`).AttrOr("href", "")
		if !strings.Contains(link, "flavor="+flavor) || !strings.Contains(link, "team=checkout") {
			t.Errorf("the page's %s link is %q", flavor, link)
		}
	}
	if rec := get(t, h, "/weekly.md?flavor=irc"); rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "flavor") {
		t.Errorf("flavor=irc: %d", rec.Code)
	}
}

func TestWeeklyPickerAndMeasureLinks(t *testing.T) {
	h := newHandler(t)
	doc := parse(t, get(t, h, "/weekly?team=checkout&week=2026-02-11").Body.String())
	picker := doc.Find(`form[data-testid="week-picker"]`)
	if picker.AttrOr("method", "") != "get" || picker.AttrOr("action", "") != "/weekly" {
		t.Fatal("the week picker is not a GET form to /weekly")
	}
	in := picker.Find(`input[name="week"]`)
	if in.AttrOr("type", "") != "date" || in.AttrOr("value", "") != "2026-02-09" || in.AttrOr("step", "") != "7" || in.AttrOr("max", "") != "2026-02-23" {
		t.Errorf("week input: type %q value %q step %q max %q", in.AttrOr("type", ""), in.AttrOr("value", ""), in.AttrOr("step", ""), in.AttrOr("max", ""))
	}
	if picker.Find(`input[type="hidden"][name="team"][value="checkout"]`).Length() != 1 {
		t.Error("the picker drops the team")
	}
	// No week before the history is offered: the demo's starts on Monday
	// 3 March 2025, a fresh install's (synced 4 November 2025, a Tuesday)
	// from the week after.
	if got := in.AttrOr("min", ""); got != "2025-03-03" {
		t.Errorf("the demo's week picker starts at %q, want its history's first week 2025-03-03", got)
	}
	fresh := parse(t, get(t, freshHandler(t), "/weekly").Body.String())
	if got := fresh.Find(`#week-pick`).AttrOr("min", ""); got != "2025-11-10" {
		t.Errorf("the fresh install's week picker starts at %q, want 2025-11-10", got)
	}
	// Each measure links to its page over the reviewed week and the weeks
	// it is compared with, that week's rows shown and its breakdown.
	first := doc.Find(`[data-testid="weekly-keys-table"] tbody tr td a`).First()
	u, err := url.Parse(first.AttrOr("href", ""))
	if err != nil || u.Path != "/measures/deployment-frequency" || u.Query().Get("week") != "2026-02-09" || u.Query().Get("from") != "2026-01-12" ||
		u.Query().Get("to") != "2026-02-16" || u.Query().Get("team") != "checkout" || u.Fragment != "breakdown" {
		t.Errorf("the first measure links to %q", first.AttrOr("href", ""))
	}
	if n := doc.Find(`[data-testid="weekly-keys-table"] tbody tr td:first-child a[href^="/measures/"]`).Length(); n != 8 {
		t.Errorf("%d measures link to their page, want 8", n)
	}
}

// An incident still open says how long it has been open, in the JSON, the
// page and the Markdown.
func TestWeeklyOpenIncidentSoFar(t *testing.T) {
	storetest.Long(t)
	h := newHandler(t)
	for week := 0; week < 20; week++ {
		day := demoEnd.AddDate(0, 0, -7*(week+1)).Format("2006-01-02")
		var rev review.Review
		if err := json.Unmarshal(get(t, h, "/api/v1/weekly?week="+day).Body.Bytes(), &rev); err != nil {
			t.Fatal(err)
		}
		for _, in := range rev.IncidentsOpened {
			if in.ResolvedAt != nil {
				continue
			}
			if in.OpenSoFarSeconds == nil || *in.OpenSoFarSeconds != demoNow.Sub(in.CreatedAt).Seconds() {
				t.Fatalf("open incident #%d: open_so_far_seconds %v", in.Number, in.OpenSoFarSeconds)
			}
			doc := parse(t, get(t, h, "/weekly?week="+day).Body.String())
			cell := doc.Find(`[data-testid="weekly-opened"] tbody tr td:last-child`).Text()
			if !strings.Contains(cell, "so far") {
				t.Errorf("the page says %q for an open incident", cell)
			}
			if md := get(t, h, "/weekly.md?week="+day).Body.String(); !strings.Contains(md, "still open, for ") {
				t.Errorf("the Markdown does not say how long it is open:\n%s", md)
			}
			return
		}
	}
	t.Skip("no incident open at the demo's end in its last 20 weeks")
}

// readCSV reads a CSV response, checking it is RFC 4180 as sent.
func readCSV(t *testing.T, h http.Handler, target string) [][]string {
	t.Helper()
	rec := get(t, h, target)
	if rec.Code != http.StatusOK {
		t.Fatalf("%s: %d %s", target, rec.Code, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/csv; charset=utf-8") {
		t.Errorf("%s: Content-Type %q", target, ct)
	}
	if cd := rec.Header().Get("Content-Disposition"); !strings.HasPrefix(cd, `attachment; filename="tach-`) || !strings.HasSuffix(cd, `.csv"`) {
		t.Errorf("%s: Content-Disposition %q", target, cd)
	}
	body := rec.Body.String()
	records, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", target, err)
	}
	if !strings.HasSuffix(body, "\r\n") || strings.Count(body, "\r\n") < len(records) {
		t.Errorf("%s: records do not end in CRLF", target)
	}
	return records
}

func TestCSVExports(t *testing.T) {
	h := newHandler(t)
	// A list exports every row its filters hold, not one page, in its sort.
	var api struct {
		Page struct {
			Total int `json:"total"`
		} `json:"page"`
	}
	if err := json.Unmarshal(get(t, h, "/api/v1/changes?weeks=26&state=merged").Body.Bytes(), &api); err != nil {
		t.Fatal(err)
	}
	rows := readCSV(t, h, "/changes?weeks=26&state=merged&sort=lead_time&dir=desc&format=csv")
	if len(rows)-1 != api.Page.Total || api.Page.Total <= 500 {
		t.Errorf("%d rows in the CSV, the list holds %d (want more than a page of 500)", len(rows)-1, api.Page.Total)
	}
	if strings.Join(rows[0], ",") != "repo,number,title,author,state,bot,fix,created_at,merged_at,deployed_at,lead_time_seconds,size_lines,url" {
		t.Errorf("header %q", rows[0])
	}
	prev := 1e18
	for _, r := range rows[1:] {
		if r[4] != "merged" {
			t.Fatalf("a %s change in a list of merged ones", r[4])
		}
		if r[10] == "" {
			continue
		}
		v, err := strconv.ParseFloat(r[10], 64)
		if err != nil || v > prev {
			t.Fatalf("lead time %q out of the list's order", r[10])
		}
		prev = v
	}
	// The hostile title is a cell as it is: CSV carries text, not markup.
	rows = readCSV(t, h, "/changes?q=XSS&weeks=52&format=csv")
	if len(rows) != 2 || rows[1][2] != "<script>alert(1)</script> Fix XSS in search" {
		t.Errorf("the hostile change: %q", rows)
	}
	for _, c := range []struct {
		target string
		header string
	}{
		{"/deployments?kind=failed&format=csv", "finished_at,repo,environment,sha,status,production,failed_attempt,failed,failure_cause,rollback,rework,changes,incidents,recovered_at,recovery_seconds,url"},
		{"/incidents?weeks=52&format=csv", "created_at,repo,number,title,resolved_at,open_seconds,attributed,deployment_sha,deployment_finished_at,url"},
		{"/compare?decision=1&format=csv", "measure,name,unit,statistic,before,after,difference,relative_change,interval_low,interval_high,interval_of,p_value,n_before,n_after,n_unit,verdict"},
		{"/measures/lead-time?format=csv&table=slowest", "Repo,Change,Change link,Author,Deployed,Lead time,Coding,Pickup,Review,Deploy"},
	} {
		rows := readCSV(t, h, c.target)
		if strings.Join(rows[0], ",") != c.header || len(rows) < 2 {
			t.Errorf("%s: header %q, %d rows", c.target, rows[0], len(rows)-1)
		}
		if strings.HasPrefix(c.target, "/deployments") {
			for _, r := range rows[1:] {
				if r[7] != "true" {
					t.Errorf("a deployment that did not fail in the failed ones: %q", r)
				}
			}
		}
		if strings.HasPrefix(c.target, "/compare") {
			// Numbers stay numbers, negative ones too.
			for _, r := range rows[1:] {
				if r[6] != "" {
					if _, err := strconv.ParseFloat(r[6], 64); err != nil {
						t.Errorf("difference %q is not a number", r[6])
					}
				}
			}
		}
	}
	// A deployment's cell lists every change it shipped, as its page does.
	listed := false
	for _, r := range readCSV(t, h, "/measures/deployment-frequency?format=csv&table=deployments")[1:] {
		listed = listed || strings.Count(r[5], "\n#") >= 2
	}
	if !listed {
		t.Error("no deployment's CSV row lists its changes")
	}
	if rec := get(t, h, "/measures/lead-time?format=csv&table=nope"); rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "slowest") {
		t.Errorf("an unknown table: %d", rec.Code)
	}
	if rec := get(t, h, "/changes?format=xlsx"); rec.Code != http.StatusBadRequest {
		t.Errorf("format=xlsx: %d", rec.Code)
	}
	// Each table offers its CSV, with the page's filters.
	for target, want := range map[string]string{
		"/changes?state=open&q=fix":          "/changes?dir=desc&format=csv&q=fix&sort=merged&state=open",
		"/incidents?status=resolved&weeks=8": "format=csv",
		"/compare?decision=1":                "/compare?decision=1&format=csv",
		"/measures/lead-time?team=checkout":  "/measures/lead-time?format=csv&table=slowest&team=checkout",
		// The rows of the week shown are the rows exported.
		"/measures/lead-time?team=checkout&week=2026-02-09": "&week=2026-02-09",
	} {
		doc := parse(t, get(t, h, target).Body.String())
		href := doc.Find(`[data-testid="csv-link"]`).First().AttrOr("href", "")
		if !strings.Contains(href, want) {
			t.Errorf("%s: CSV link %q, want %q", target, href, want)
		}
	}
}

// Compression: pages, JSON and the scripts go out gzipped to a client that
// accepts it, with Vary; tiny bodies do not; a compressed asset's ETag
// still revalidates.
func TestResponsesAreCompressed(t *testing.T) {
	storetest.Long(t)
	h := newHandler(t)
	plain := get(t, h, "/weekly").Body.String()
	for _, target := range []string{"/weekly", "/api/v1/metrics", "/changes?format=csv"} {
		rec := get(t, h, target, "Accept-Encoding", "gzip")
		if rec.Header().Get("Content-Encoding") != "gzip" || !strings.Contains(rec.Header().Get("Vary"), "Accept-Encoding") {
			t.Errorf("%s: Content-Encoding %q, Vary %q", target, rec.Header().Get("Content-Encoding"), rec.Header().Get("Vary"))
			continue
		}
		if rec.Header().Get("Content-Length") != "" && rec.Header().Get("Content-Length") != strconv.Itoa(rec.Body.Len()) {
			t.Errorf("%s: Content-Length %s of the uncompressed body", target, rec.Header().Get("Content-Length"))
		}
		zr, err := gzip.NewReader(bytes.NewReader(rec.Body.Bytes()))
		if err != nil {
			t.Fatalf("%s: %v", target, err)
		}
		body, err := io.ReadAll(zr)
		if err != nil {
			t.Fatalf("%s: %v", target, err)
		}
		if target == "/weekly" && string(body) != plain {
			t.Error("the compressed page is not the page")
		}
		checkSecurityHeaders(t, rec.Header())
	}
	if rec := get(t, h, "/weekly"); rec.Header().Get("Content-Encoding") != "" {
		t.Error("compressed for a client that did not ask")
	}
	if rec := get(t, h, "/healthz", "Accept-Encoding", "gzip"); rec.Header().Get("Content-Encoding") != "" {
		t.Error("a 3-byte body compressed")
	}
	doc := parse(t, plain)
	for _, sel := range []string{`script[src*="tach.js"]`, `link[rel="stylesheet"]`} {
		src := doc.Find(sel).AttrOr("src", doc.Find(sel).AttrOr("href", ""))
		rec := get(t, h, src, "Accept-Encoding", "gzip")
		if rec.Header().Get("Content-Encoding") != "gzip" {
			t.Errorf("%s not compressed", src)
		}
		etag := rec.Header().Get("ETag")
		if !strings.HasSuffix(etag, `-gzip"`) {
			t.Errorf("%s: ETag %q of the compressed body", src, etag)
		}
		if again := get(t, h, src, "Accept-Encoding", "gzip", "If-None-Match", etag); again.Code != http.StatusNotModified {
			t.Errorf("%s: revalidating the compressed ETag: %d", src, again.Code)
		}
	}
}

func TestMeasuresIndexAndLocalDocs(t *testing.T) {
	storetest.Long(t)
	h := newHandler(t)
	doc := parse(t, get(t, h, "/measures?team=checkout").Body.String())
	items := doc.Find(`[data-testid="measure-index"] li`)
	if items.Length() != 9 {
		t.Errorf("%d measures in the index", items.Length())
	}
	first := items.First()
	if href := first.Find("a").First().AttrOr("href", ""); href != "/measures/deployment-frequency?team=checkout" {
		t.Errorf("first measure links to %q", href)
	}
	if !strings.Contains(first.Text(), "How often production deployments finish") {
		t.Errorf("first measure says %q", first.Text())
	}
	if nav := doc.Find(`[data-testid="nav"] a[aria-current="page"]`).AttrOr("href", ""); !strings.HasPrefix(nav, "/measures?") {
		t.Errorf("the Measures menu leads to %q", nav)
	}
	// The rules and the methods are served here, for installs without internet.
	for _, target := range []string{"/docs/metrics.md", "/docs/decision-impact.md"} {
		rec := get(t, h, target)
		if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "text/plain; charset=utf-8" || !strings.HasPrefix(rec.Body.String(), "# ") {
			t.Errorf("%s: %d %s", target, rec.Code, rec.Header().Get("Content-Type"))
		}
	}
	for _, target := range append(pages, "/compare?decision=1", "/measures") {
		if body := get(t, h, target).Body.String(); strings.Contains(body, "github.com/tach-dev") {
			t.Errorf("%s links to the repository on GitHub", target)
		}
	}
	doc = parse(t, get(t, h, "/compare?decision=1").Body.String())
	if doc.Find(`a[href="/docs/decision-impact.md"]`).Length() != 1 {
		t.Error("the compare page does not link the local methods")
	}
}

// Rough edges of the decision pages: the words and the links.
func TestDecisionRoughEdges(t *testing.T) {
	h := newHandler(t)
	// An empty kind asks for one.
	doc := parse(t, post(t, h, "/decisions", url.Values{"date": {"2026-01-12"}, "title": {"t"}, "kind": {""}}).Body.String())
	if msg := doc.Find(`[data-testid="error-kind"]`).Text(); !strings.HasPrefix(msg, "Choose a kind: architecture") {
		t.Errorf("an empty kind says %q", msg)
	}
	// The scope is one of three; each radio keeps only its control.
	doc = parse(t, get(t, h, "/decisions/new").Body.String())
	if doc.Find(`input[type="radio"][name="scope"]`).Length() != 3 || doc.Find(`#d-scope-everything[checked]`).Length() != 1 {
		t.Error("the form does not offer the scope as one choice")
	}
	before := len(decisions(t))
	rec := post(t, h, "/decisions", url.Values{"date": {"2026-01-12"}, "title": {"Everything"}, "kind": {"other"},
		"scope": {"everything"}, "team": {"platform"}, "repo": {"acme/web"}})
	id := createdID(t, rec)
	cleanUp(t, id)
	if d := decisions(t)[before]; d.ScopeTeam != "" || len(d.ScopeRepos) != 0 {
		t.Errorf("scope=everything stored team %q repos %v", d.ScopeTeam, d.ScopeRepos)
	}
	// Hints link the pages they name.
	doc = parse(t, get(t, h, "/decisions/999999/edit").Body.String())
	if doc.Find(`.fix a[href="/decisions"]`).Text() != "decisions page" {
		t.Errorf("the 404's hint: %q", doc.Find(`.fix`).Text())
	}
	doc = parse(t, get(t, h, "/compare").Body.String())
	if doc.Find(`[data-testid="empty-state"] a[href="/decisions"]`).Length() != 1 || doc.Find(`[data-testid="empty-state"] a[href="/decisions/candidates"]`).Text() != "Suggested decisions" {
		t.Errorf("the empty compare page's links: %q", doc.Find(`[data-testid="empty-state"] .fix`).Text())
	}
	doc = parse(t, get(t, h, "/decisions?done=created&decision=1").Body.String())
	if doc.Find(`[data-testid="decisions-notice"] a[href="/compare?decision=1"]`).Text() != "Open it to compare" {
		t.Errorf("the notice: %q", doc.Find(`[data-testid="decisions-notice"]`).Text())
	}
}

// addConfounder records a decision days after the demo's first one, in
// its scope, until the test ends; it returns both.
func addConfounder(t *testing.T, days int, title string) (first, added store.Decision) {
	t.Helper()
	first = decisions(t)[0]
	at, err := time.Parse(time.DateOnly, first.DecidedOn)
	if err != nil {
		t.Fatal(err)
	}
	added, err = demoDecisions.AddDecision(t.Context(), engine.DecisionInput{Date: at.AddDate(0, 0, days).Format(time.DateOnly), Title: title,
		Kind: "process", Team: first.ScopeTeam, Repos: first.ScopeRepos})
	if err != nil {
		t.Fatal(err)
	}
	cleanUp(t, added.ID)
	return first, added
}

// The compare page names the other decisions inside its windows, draws
// them, offers the window that avoids them, says where its two estimates
// disagree, and keeps the statistics one click away.
func TestCompareConfoundersAndReconcile(t *testing.T) {
	h := newHandler(t)
	first, d := addConfounder(t, -14, "Freeze the checkout API")
	id := strconv.FormatInt(d.ID, 10)
	doc := parse(t, get(t, h, "/compare?decision="+strconv.FormatInt(first.ID, 10)).Body.String())
	block := doc.Find(`[data-testid="compare-confounders"]`)
	if !strings.Contains(block.Text(), "Another decision falls in the windows compared: #"+id+` "Freeze the checkout API"`) ||
		!strings.Contains(block.Text(), "The estimate mixes their effects with this one's.") {
		t.Errorf("the warning: %q", block.Text())
	}
	if block.Find(`[data-testid="confounder"]`).AttrOr("href", "") != "/compare?decision="+id {
		t.Error("the other decision does not link to its comparison")
	}
	clean := block.Find(`[data-testid="clean-window"]`)
	if clean.Text() != "Compare 2 weeks on each side" || !strings.Contains(clean.AttrOr("href", ""), "window=2w") {
		t.Errorf("the clean window: %q %q", clean.Text(), clean.AttrOr("href", ""))
	}
	// Drawn on every chart of a measure, by its number.
	opt := doc.Find(`script#chart-compare-lead_time-option`).Text()
	if !strings.Contains(opt, `"name":"#`+id+`"`) {
		t.Errorf("the lead time chart does not mark #%s", id)
	}
	// The notes do not say it a second time.
	if strings.Contains(doc.Find(`[data-testid="compare-notes"]`).Text(), "Freeze the checkout API") {
		t.Error("the notes repeat the warning")
	}
	// The statistics are one click away; the reconciling sentences are not.
	if doc.Find(`details[data-testid="its-details"] [data-testid="its"]`).Length() != 1 {
		t.Error("the interrupted time series is not in a disclosure")
	}
	var c struct {
		Measures []struct {
			Key, Reconcile string
		} `json:"measures"`
		Confounders []struct {
			ID int64 `json:"id"`
		} `json:"confounders"`
		CleanWindowDays *int `json:"clean_window_days"`
	}
	if err := json.Unmarshal(get(t, h, "/api/v1/compare?decision="+strconv.FormatInt(first.ID, 10)).Body.Bytes(), &c); err != nil {
		t.Fatal(err)
	}
	if len(c.Confounders) != 1 || c.Confounders[0].ID != d.ID || c.CleanWindowDays == nil || *c.CleanWindowDays != 14 {
		t.Errorf("JSON: confounders %+v, clean window %v", c.Confounders, c.CleanWindowDays)
	}
	reconciled := doc.Find(`[data-testid="compare-reconcile"] li`)
	n := 0
	for _, m := range c.Measures {
		if m.Reconcile == "" {
			continue
		}
		n++
		if doc.Find(`[data-testid="panel-`+m.Key+`"] [data-testid="panel-reconcile"]`).Text() != m.Reconcile {
			t.Errorf("%s's panel does not say %q", m.Key, m.Reconcile)
		}
	}
	if n == 0 || reconciled.Length() != n {
		t.Errorf("%d measures reconciled in the JSON, %d on the page", n, reconciled.Length())
	}
	// Each interval bar has a scale: ticks, 0 among them, the last with its unit.
	bar := doc.Find(`[data-testid="compare-row-lead_time"] [data-testid="interval-bar"]`)
	labels := bar.Find(`[data-testid="interval-tick"]`).Map(func(_ int, s *goquery.Selection) string { return s.Text() })
	if len(labels) < 3 || !slices.Contains(labels, "0") || !strings.HasSuffix(labels[len(labels)-1], " %") {
		t.Errorf("lead time's scale: %q", labels)
	}
}
