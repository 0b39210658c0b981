package templates_test

import (
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/tach-dev/tach/templates"
)

func compareRows() []templates.CompareRow {
	return []templates.CompareRow{
		{
			Key: "lead_time", Name: "Lead time", Href: "#m-lead_time",
			Before: templates.Value{Text: "4.7 d", Exact: "median 405216 s"}, After: templates.Value{Text: "3.2 d", Exact: "median 276480 s"},
			Change: templates.Value{Text: "−33 %"}, P: templates.Value{Text: "< 0.001", Exact: "p = 2e-06"}, N: templates.Value{Text: "206 / 209"},
			Interval: templates.IntervalBar{Text: "−40 % to −12 %", Label: "95 % interval of the change: −40 % to −12 %; entirely below no change.",
				Has: true, Low: 10, High: 52.5, Est: 20, HasEst: true, Zero: 70, Tone: "improved"},
			Verdict: templates.Verdict{Key: "improved", Text: "improved", Title: "The interval excludes no change."},
		},
		{
			Key: "deploy_time", Name: "Deploy time",
			Interval: templates.IntervalBar{Text: "−80 % to −2.9 %", Label: "x", Has: true, Low: 7, High: 68, Zero: 70, OpenLow: true, Tone: "improved"},
			Verdict:  templates.Verdict{Key: "improved", Text: "improved"},
			PreTrend: &templates.PreTrendFlag{Text: "already falling before: −2h 32m a week", Title: hostile},
		},
		{
			Key: "pr_size", Name: "PR size",
			Interval: templates.IntervalBar{Text: "−10 % to +17 %", Label: "y", Has: true, Low: 50, High: 95, Zero: 70, Tone: "none"},
			Verdict:  templates.Verdict{Key: "no-clear-change", Text: "no clear change"},
		},
		{
			Key: "recovery_time", Name: "Recovery time", Interval: templates.IntervalBar{Text: "–"},
			Verdict: templates.Verdict{Key: "not-enough-data", Text: "not enough data"},
		},
		{
			Key: "pickup_time", Name: hostile, Interval: templates.IntervalBar{Text: "+5 % to +9 %", Label: hostile, Has: true, Low: 75, High: 80, Zero: 70, Tone: "worsened"},
			Verdict: templates.Verdict{Key: "worsened", Text: "worsened"},
		},
	}
}

func TestCompareTable(t *testing.T) {
	doc, html := render(t, templates.CompareTable([2]string{"Before", "After"}, compareRows()))
	table := byTestID(doc, "compare-table")
	if table.Find("tbody tr").Length() != 5 {
		t.Fatalf("%d rows", table.Find("tbody tr").Length())
	}
	heads := table.Find("thead th").Map(func(_ int, s *goquery.Selection) string { return strings.TrimSpace(s.Text()) })
	if strings.Join(heads, "|") != "Measure|Before|After|Change|95 % interval|p|n|Verdict" {
		t.Errorf("columns %v", heads)
	}
	lead := byTestID(doc, "compare-row-lead_time")
	if lead.AttrOr("data-verdict", "") != "improved" || lead.Find(`th a`).AttrOr("href", "") != "#m-lead_time" {
		t.Error("row without its verdict or its link to the chart")
	}
	if v := lead.Find(`[data-testid="value"]`).First(); v.Text() != "4.7 d" || v.AttrOr("title", "") != "median 405216 s" {
		t.Errorf("before %q (%q)", v.Text(), v.AttrOr("title", ""))
	}
	if got := strings.TrimSpace(lead.Find(`[data-testid="p-value"]`).Text()); got != "< 0.001" {
		t.Errorf("p %q", got)
	}
	// The pre-trend flag sits beside the verdict, its detail on hover.
	flag := byTestID(doc, "compare-row-deploy_time").Find(`[data-testid="pre-trend"]`)
	if !strings.Contains(flag.Text(), "already falling before") || flag.AttrOr("title", "") != hostile {
		t.Errorf("pre-trend flag %q", flag.Text())
	}
	if flag.Parent().Find(`[data-testid="verdict"]`).Length() != 1 {
		t.Error("the pre-trend flag is not beside the verdict")
	}
	if n := doc.Find(`[data-testid="pre-trend"]`).Length(); n != 1 {
		t.Errorf("%d pre-trend flags, want 1", n)
	}
	// No interval: no bar, a dash.
	rec := byTestID(doc, "compare-row-recovery_time")
	if rec.Find("svg").Length() != 0 || strings.TrimSpace(rec.Find(`[data-testid="interval-text"]`).Text()) != "–" {
		t.Error("a measure without an interval draws one")
	}
	// User text is text.
	if strings.Contains(html, "<script>alert") {
		t.Error("hostile text rendered as markup")
	}
	if !strings.Contains(byTestID(doc, "compare-row-pickup_time").Find("th").Text(), hostile) {
		t.Error("hostile name is not shown as text")
	}
}

func TestIntervalBar(t *testing.T) {
	row := compareRows()[0]
	doc, html := render(t, templates.IntervalBarView(row.Interval))
	svg := byTestID(doc, "interval-bar")
	if svg.Length() != 1 || svg.AttrOr("role", "") != "img" || svg.AttrOr("aria-label", "") != row.Interval.Label {
		t.Fatalf("bar: %s", html)
	}
	if svg.Find("title").Text() != row.Interval.Label {
		t.Error("no title for the bar")
	}
	if !svg.HasClass("ibar-improved") {
		t.Errorf("classes %q", svg.AttrOr("class", ""))
	}
	rect := byTestID(doc, "interval-range")
	if rect.AttrOr("x", "") != "10.0" || rect.AttrOr("width", "") != "42.5" {
		t.Errorf("range x=%s width=%s", rect.AttrOr("x", ""), rect.AttrOr("width", ""))
	}
	if byTestID(doc, "interval-zero").AttrOr("x1", "") != "70.0" {
		t.Error("zero is not where it should be")
	}
	if doc.Find("circle").AttrOr("cx", "") != "20.0" {
		t.Error("no estimate")
	}
	if strings.TrimSpace(byTestID(doc, "interval-text").Text()) != "−40 % to −12 %" {
		t.Error("the numbers are not in text beside the bar")
	}
	// No inline style: the CSP allows none.
	if doc.Find("[style], style").Length() != 0 {
		t.Error("inline style")
	}
	// An end beyond the scale is an arrow.
	doc, _ = render(t, templates.IntervalBarView(compareRows()[1].Interval))
	if doc.Find("path.ibar-open").Length() != 1 {
		t.Error("an open end without its arrow")
	}
}

func TestVerdictBadges(t *testing.T) {
	for _, c := range []struct{ key, text, icon string }{
		{"improved", "improved", "✓"}, {"worsened", "worsened", "✗"},
		{"no-clear-change", "no clear change", "≈"}, {"not-enough-data", "not enough data", "?"},
	} {
		doc, _ := render(t, templates.VerdictBadge(templates.Verdict{Key: c.key, Text: c.text, Title: "why"}))
		b := byTestID(doc, "verdict")
		if !b.HasClass("verdict-"+c.key) || b.AttrOr("data-verdict", "") != c.key || b.AttrOr("title", "") != "why" {
			t.Errorf("%s: %s", c.key, b.AttrOr("class", ""))
		}
		// Colour, an icon and the word: never colour alone.
		icon := b.Find(".verdict-icon")
		if icon.Text() != c.icon || icon.AttrOr("aria-hidden", "") != "true" {
			t.Errorf("%s: icon %q", c.key, icon.Text())
		}
		if got := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(b.Text()), c.icon)); got != c.text {
			t.Errorf("%s: word %q", c.key, got)
		}
	}
}

func TestComparePage(t *testing.T) {
	p := templates.ComparePage{
		Page:     templates.Page{Title: "Decision #1: " + hostile},
		Decision: &templates.DecisionCard{ID: 1, Date: "2026-04-27", Title: hostile, Kind: "architecture", Scope: "team checkout", Note: hostile, Link: "https://example.com/adr/7", EditHref: "/decisions/1/edit"},
		Sides:    []string{"before: 2026-03-02 to 2026-04-27 (8 weeks)", "after: 2026-04-27 to 2026-06-22 (8 weeks), partial: 20 of 56 days so far"},
		Partial:  "The after side is partial: 20 of 56 days so far.",
		Summary:  "Lead time fell from 4.7 d to 3.2 d.",
		Labels:   [2]string{"Before", "After"},
		Rows:     compareRows(),
		ITS:      []templates.ITSRow{{Key: "lead_time", Name: "Lead time", Level: "+3h (−1 d to +1 d)", LevelClear: false, Slope: "+1h (…)", SlopeClear: true}},
		Panels:   []templates.ComparePanel{{Key: "lead_time", Name: "Lead time", Verdict: templates.Verdict{Key: "improved", Text: "improved"}, Chart: templates.Chart{ID: "chart-compare-lead_time", Title: "Lead time"}}},
		Notes:    []string{"A note."},
		JSONHref: "/api/v1/compare?decision=1",
		CLI:      "tach report compare --decision 1",
		Forms:    templates.CompareForms{Action: "/compare"},
	}
	doc, html := render(t, templates.Compare(p))
	if strings.Contains(html, "<script>alert") {
		t.Fatal("hostile text rendered as markup")
	}
	if byTestID(doc, "compare-summary").Text() != p.Summary || byTestID(doc, "compare-partial").Length() != 1 {
		t.Error("no summary or no partial notice")
	}
	if byTestID(doc, "decision-note").Text() != hostile {
		t.Error("the note is not text")
	}
	link := byTestID(doc, "decision-link")
	if link.AttrOr("href", "") != "https://example.com/adr/7" || link.AttrOr("rel", "") != "noopener noreferrer" {
		t.Errorf("link %q rel %q", link.AttrOr("href", ""), link.AttrOr("rel", ""))
	}
	if byTestID(doc, "its-row-lead_time").Find("td.clear").Length() != 1 {
		t.Error("the clear slope change is not marked")
	}
	if byTestID(doc, "panel-lead_time").Find(`[data-testid="verdict"]`).Length() != 1 {
		t.Error("the panel has no verdict")
	}
	for _, id := range []string{"compare-form", "compare-periods-form", "compare-scopes-form"} {
		if f := byTestID(doc, id); f.AttrOr("method", "") != "get" || f.AttrOr("action", "") == "" {
			t.Errorf("%s is not a GET form", id)
		}
	}
	// A link that is not http(s) is not rendered as one.
	p.Decision.Link = ""
	doc, _ = render(t, templates.Compare(p))
	if byTestID(doc, "decision-link").Length() != 0 {
		t.Error("an empty link is rendered")
	}
}
