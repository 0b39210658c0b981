package templates_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"

	"github.com/tach-dev/tach/templates"
)

// render renders a component and parses it, to find elements by their
// data-testid.
func render(t *testing.T, c templ.Component) (*goquery.Document, string) {
	t.Helper()
	var buf bytes.Buffer
	if err := c.Render(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(buf.String()))
	if err != nil {
		t.Fatal(err)
	}
	return doc, buf.String()
}

func byTestID(doc *goquery.Document, id string) *goquery.Selection {
	return doc.Find(`[data-testid="` + id + `"]`)
}

const hostile = `<script>alert(1)</script> Fix "XSS" & more`

func TestNumShowsExactValueOrWhyNull(t *testing.T) {
	doc, _ := render(t, templates.Num(templates.Value{Text: "2.4 d", Exact: "207360 s"}))
	v := byTestID(doc, "value")
	if v.Text() != "2.4 d" || v.AttrOr("title", "") != "207360 s" {
		t.Errorf("value %q title %q", v.Text(), v.AttrOr("title", ""))
	}
	doc, _ = render(t, templates.Num(templates.Value{Text: "–", Exact: "No deployment in this window.", Null: true}))
	v = byTestID(doc, "value")
	if !v.HasClass("null") || v.AttrOr("title", "") == "" {
		t.Errorf("null value without its reason: %s", v.AttrOr("title", ""))
	}
}

func TestKeyCard(t *testing.T) {
	card := templates.KeyCard{
		Key: "lead_time", Title: "Lead time for changes", Href: "/measures/lead-time",
		Value: templates.Value{Text: "2.0 d", Exact: "172800 s"}, Detail: "median of 467 changes",
		Tier: "high", TierRows: []templates.TierRow{{Tier: "elite", Rule: "elite: median < 1 day"}, {Tier: "high", Rule: "high: median < 1 week", Current: true}},
		Delta: templates.Delta{Text: "▼ −6 %", Verdict: "improved", Tone: "good", Counts: "median of 467 vs 420 changes", Title: "previous period: 2.1 d"},
		Spark: templates.Chart{ID: "chart-spark-lead_time", Title: "Lead time, weekly", Size: "spark", Option: json.RawMessage(`{"series":[]}`),
			Table: templates.Table{Columns: []templates.Column{{Label: "Week of"}, {Label: "median"}}, Rows: [][]templates.Cell{{{Text: "2026-02-23"}, {Text: "2.0 d"}}}}},
	}
	doc, _ := render(t, templates.KeyCardView(card))
	c := byTestID(doc, "card-lead_time")
	if c.Length() != 1 {
		t.Fatal("no card")
	}
	if got := c.Find(".card-value " + `[data-testid="value"]`).Text(); got != "2.0 d" {
		t.Errorf("value %q", got)
	}
	badge := byTestID(doc, "tier-badge")
	if strings.TrimSpace(badge.Text()) != "high" || !badge.HasClass("tier-high") || !strings.Contains(badge.AttrOr("title", ""), "median < 1 day") {
		t.Errorf("tier badge %q class %q title %q", badge.Text(), badge.AttrOr("class", ""), badge.AttrOr("title", ""))
	}
	if byTestID(doc, "tier-table").Find("tr.current th").Text() != "high" {
		t.Error("the current tier is not marked in the table")
	}
	delta := byTestID(doc, "delta")
	if !delta.HasClass("delta-good") || byTestID(doc, "delta-verdict").Text() != "improved" {
		t.Errorf("delta %q: the verdict must be in words, not colour alone", delta.Text())
	}
	if got := byTestID(doc, "delta-counts").Text(); got != "median of 467 vs 420 changes" {
		t.Errorf("delta counts %q: the counts behind both sides are always shown", got)
	}
	if byTestID(doc, "chart").Length() != 1 || byTestID(doc, "chart-table").Length() != 1 {
		t.Error("no sparkline with its table")
	}
	if c.Find(`a[href="/measures/lead-time"]`).Length() != 1 {
		t.Error("the card does not link to its measure")
	}
}

func TestChartBoxCarriesOptionAsData(t *testing.T) {
	// A label that tries to close the script element must stay inside it.
	option := json.RawMessage(`{"series":[{"name":"</script><script>alert(1)</script>"}]}`)
	chart := templates.Chart{ID: "chart-x", Title: "X per week", Option: option, Note: "In days.",
		Table: templates.Table{Columns: []templates.Column{{Label: "Week of"}}, Rows: [][]templates.Cell{{{Text: "2026-02-23"}}}}}
	doc, html := render(t, templates.ChartBox(chart))
	box := byTestID(doc, "chart")
	if box.AttrOr("id", "") != "chart-x" || box.AttrOr("data-chart", "") != "chart-x-option" || box.AttrOr("aria-label", "") != "X per week" {
		t.Errorf("chart container attributes: %v", box.Nodes[0].Attr)
	}
	data := doc.Find("script#chart-x-option")
	if data.AttrOr("type", "") != "application/json" {
		t.Fatal("option is not a JSON data block")
	}
	var back map[string]any
	if err := json.Unmarshal([]byte(data.Text()), &back); err != nil {
		t.Fatalf("option does not survive: %v", err)
	}
	if strings.Count(html, "<script") != 1 {
		t.Errorf("the option's text broke out of its script element:\n%s", html)
	}
	if byTestID(doc, "chart-table").Find("summary").Text() != "View as table" {
		t.Error("no table view")
	}

	doc, _ = render(t, templates.ChartBox(templates.Chart{ID: "chart-y", Title: "Y", Empty: "The window holds no whole week."}))
	if byTestID(doc, "chart").Length() != 0 || !strings.Contains(byTestID(doc, "chart-empty").Text(), "no whole week") {
		t.Error("an empty chart does not say why")
	}
}

func TestDataTableEscapesAndSorts(t *testing.T) {
	table := templates.Table{TestID: "list", Columns: []templates.Column{
		{Label: "Title", SortHref: "/changes?sort=title&dir=asc", Sorted: "desc"}, {Label: "Lines", Num: true},
	}, Rows: [][]templates.Cell{{
		{Text: hostile, Href: "javascript:alert(1)", Tags: []string{"fix"}}, {Text: "12", Num: true, Title: "+10 −2"},
	}, {
		{Text: "fine", Href: "https://github.com/acme/api/pull/1"}, {Text: "3", Num: true},
	}}}
	doc, html := render(t, templates.DataTable(table))
	if strings.Contains(html, "<script>alert") {
		t.Fatal("a title became markup")
	}
	cells := byTestID(doc, "list").Find("tbody td")
	if cells.First().Find("a").Text() != hostile {
		t.Errorf("title text %q", cells.First().Text())
	}
	if href := cells.First().Find("a").AttrOr("href", ""); strings.HasPrefix(href, "javascript:") {
		t.Errorf("a javascript: link survived: %q", href)
	}
	if doc.Find(`a[href="https://github.com/acme/api/pull/1"]`).AttrOr("rel", "") != "noopener noreferrer" {
		t.Error("links out keep the opener or referrer")
	}
	th := doc.Find(`th[aria-sort="descending"]`)
	if th.Length() != 1 || th.Find(`[data-testid="sort-link"]`).AttrOr("href", "") != "/changes?sort=title&dir=asc" {
		t.Error("sorted column header")
	}
	if !doc.Find("td.n").First().Is("[title]") {
		t.Error("number cell lost its title")
	}
	if doc.Find(".tag-fix").Length() != 1 {
		t.Error("no fix tag")
	}
	doc, _ = render(t, templates.DataTable(templates.Table{TestID: "list", Empty: "No change matches these filters."}))
	if byTestID(doc, "list-empty").Text() != "No change matches these filters." {
		t.Error("empty table does not say so")
	}
}

func TestLayoutAndFilters(t *testing.T) {
	page := templates.Page{
		Title:  hostile,
		Nav:    []templates.NavItem{{Label: "Overview", Href: "/?team=checkout", Active: true}, {Label: "Changes", Href: "/changes?team=checkout"}},
		Assets: templates.Assets{CSS: "/static/tach.css?v=1", JS: "/static/tach.js?v=2"},
		Scope:  "Team checkout · 12 weeks",
		Notice: "Charts are not in this build: run `make assets`.",
		Filter: &templates.Filter{
			Action: "/", From: "2026-01-05", To: "2026-03-02",
			Teams:   []templates.Option{{Value: "", Label: "All teams"}, {Value: "checkout", Label: "checkout", Selected: true}},
			Repos:   []templates.Option{{Value: "acme/api", Label: "acme/api", Selected: true}, {Value: "acme/web", Label: "acme/web"}},
			Presets: []templates.Link{{Label: "12 weeks", Href: "/?weeks=12", Active: true}},
			Keep:    []templates.Param{{Name: "sort", Value: "size"}},
		},
	}
	doc, html := render(t, templates.Overview(templates.OverviewPage{Page: page}, nil, nil))
	if strings.Contains(html, "<script>alert") {
		t.Fatal("the title became markup")
	}
	if byTestID(doc, "page-title").Text() != hostile || !strings.HasPrefix(doc.Find("title").Text(), hostile) {
		t.Error("title not shown as text")
	}
	if doc.Find(`script[src*="echarts"]`).Length() != 0 {
		t.Error("ECharts linked though the build has none")
	}
	if !strings.Contains(byTestID(doc, "notice").Text(), "make assets") {
		t.Error("no notice")
	}
	if doc.Find(`[data-testid="nav"] a[aria-current="page"]`).Text() != "Overview" {
		t.Error("active page not marked")
	}
	form := byTestID(doc, "filter-form")
	if form.AttrOr("method", "") != "get" || form.AttrOr("action", "") != "/" {
		t.Error("the filters are not a GET form")
	}
	if byTestID(doc, "filter-team").Find("option[selected]").AttrOr("value", "") != "checkout" {
		t.Error("team not selected")
	}
	if byTestID(doc, "filter-repo").Find("option[selected]").Length() != 1 {
		t.Error("repo not selected")
	}
	if byTestID(doc, "filter-from").AttrOr("value", "") != "2026-01-05" || byTestID(doc, "filter-to").AttrOr("type", "") != "date" {
		t.Error("window fields")
	}
	if form.Find(`input[type="hidden"][name="sort"]`).AttrOr("value", "") != "size" {
		t.Error("sort is not kept")
	}
	// Every field has a label (keyboard and screen-reader use).
	form.Find("select, input:not([type=hidden])").Each(func(_ int, s *goquery.Selection) {
		id := s.AttrOr("id", "")
		if id == "" || doc.Find(`label[for="`+id+`"]`).Length() != 1 {
			t.Errorf("field %s has no label", s.AttrOr("name", "?"))
		}
	})
	// The weekly review hides the window.
	page.Filter.NoWindow = true
	doc, _ = render(t, templates.Layout(page))
	if byTestID(doc, "filter-from").Length() != 0 || byTestID(doc, "filter-presets").Length() != 0 {
		t.Error("window fields shown on a page without a window")
	}
}

func TestErrorPage(t *testing.T) {
	doc, _ := render(t, templates.Error(templates.ErrorPage{Page: templates.Page{Title: "Bad Request"}, Status: 400,
		Message: `from "2026-13-01" is not a date`, Hint: "Write it as YYYY-MM-DD."}))
	if byTestID(doc, "error").AttrOr("role", "") != "alert" || !strings.Contains(byTestID(doc, "error-message").Text(), "2026-13-01") {
		t.Error("error message")
	}
	if !strings.Contains(doc.Find(".error-status").Text(), "400 Bad Request") {
		t.Error("status")
	}
}

func TestWeeklyAndListPages(t *testing.T) {
	wp := templates.WeeklyPage{
		Page: templates.Page{Title: "Weekly review"}, Week: "Week of Mon 23 Feb 2026",
		Prev:         templates.Link{Label: "week of 16 Feb", Href: "/weekly?week=2026-02-16"},
		MarkdownHref: "/weekly.md?week=2026-02-23", JSONHref: "/api/v1/weekly?week=2026-02-23",
		Shipped: []templates.ShippedItem{{When: templates.Value{Text: "Tue 24 Feb 10:00"}, Repo: "acme/api", Env: "production",
			SHA: templates.Link{Label: "abc1234", Href: "https://github.com/acme/api/deployments"}, Tags: []string{"failed: incident"},
			Changes:   []templates.Cell{{Text: hostile, Href: "https://github.com/acme/api/pull/1"}},
			Incidents: []templates.Cell{{Text: "incident #7 API down", Tags: []string{"open"}}}}},
	}
	doc, html := render(t, templates.Weekly(wp))
	if strings.Contains(html, "<script>alert") {
		t.Fatal("markup from a title")
	}
	shipped := byTestID(doc, "weekly-shipped")
	if shipped.Find(".shipped > li").Length() != 1 || !strings.Contains(shipped.Text(), hostile) || shipped.Find(".tag-failed").Length() != 1 {
		t.Errorf("shipped: %q", shipped.Text())
	}
	if byTestID(doc, "weekly-markdown").AttrOr("href", "") != "/weekly.md?week=2026-02-23" {
		t.Error("no Markdown export link")
	}
	lp := templates.ListPage{Page: templates.Page{Title: "Changes"}, Pager: templates.Pager{Summary: "1–50 of 120",
		Next:  templates.Link{Label: "Next", Href: "/changes?page=2"},
		Pages: []templates.Link{{Label: "1", Active: true}, {Label: "2", Href: "/changes?page=2"}, {Label: "…"}, {Label: "3", Href: "/changes?page=3"}}}}
	doc, _ = render(t, templates.List(lp))
	if byTestID(doc, "pager").Length() != 2 || byTestID(doc, "pager-summary").First().Text() != "1–50 of 120" {
		t.Error("pager")
	}
	if byTestID(doc, "pager-prev").Length() != 0 || byTestID(doc, "pager-next").First().AttrOr("rel", "") != "next" {
		t.Error("pager links")
	}
}
