package templates_test

import (
	"strings"
	"testing"

	"github.com/tach-dev/tach/templates"
)

func TestDecisionFormShowsErrorsAndKeepsValues(t *testing.T) {
	p := templates.DecisionFormPage{
		Page:   templates.Page{Title: "Record a decision"},
		Action: "/decisions", Submit: "Record decision", Cancel: "/decisions",
		Values: templates.DecisionValues{Date: "2026-02-30", Title: hostile, Kind: "vibes", Note: hostile, Link: "javascript:alert(1)"},
		Errors: map[string]string{
			"date": `The date "2026-02-30" is not a date: want YYYY-MM-DD.`,
			"kind": `The kind "vibes" is not one of architecture, …`,
			"link": `The link "javascript:alert(1)" is not an http(s) URL.`,
		},
		Summary: []string{"date…", "kind…", "link…"},
		Kinds:   []templates.Option{{Value: "", Label: "Choose a kind"}, {Value: "caching", Label: "caching"}, {Value: "vibes", Label: "vibes (not a kind)", Selected: true}},
		Teams:   []templates.Option{{Value: "", Label: "—", Selected: true}, {Value: "checkout", Label: "checkout"}},
		Repos:   []templates.Option{{Value: "acme/web", Label: "acme/web", Selected: true}},
	}
	doc, html := render(t, templates.DecisionForm(p))
	if strings.Contains(html, "<script>alert") {
		t.Fatal("hostile text rendered as markup")
	}
	form := byTestID(doc, "decision-form")
	if form.AttrOr("method", "") != "post" || form.AttrOr("action", "") != "/decisions" {
		t.Fatalf("form method %q action %q", form.AttrOr("method", ""), form.AttrOr("action", ""))
	}
	errs := byTestID(doc, "form-errors")
	if errs.AttrOr("role", "") != "alert" || errs.Find("li").Length() != 3 || !strings.Contains(errs.Text(), "Nothing was saved") {
		t.Errorf("error summary %q", errs.Text())
	}
	for _, f := range []string{"date", "kind", "link"} {
		msg := byTestID(doc, "error-"+f)
		if msg.Text() != p.Errors[f] {
			t.Errorf("%s: message %q", f, msg.Text())
		}
		control := doc.Find("#d-" + f)
		if control.AttrOr("aria-invalid", "") != "true" || !strings.Contains(control.AttrOr("aria-describedby", ""), msg.AttrOr("id", "?")) {
			t.Errorf("%s: control not tied to its message", f)
		}
		if !byTestID(doc, "field-"+f).HasClass("invalid") {
			t.Errorf("%s: field not marked", f)
		}
	}
	if byTestID(doc, "error-title").Length() != 0 || doc.Find("#d-title").AttrOr("aria-invalid", "") != "" {
		t.Error("the title is marked wrong")
	}
	// The entered values come back, as text.
	if doc.Find("#d-title").AttrOr("value", "") != hostile || doc.Find("#d-note").Text() != hostile || doc.Find("#d-date").AttrOr("value", "") != "2026-02-30" {
		t.Error("entered values are not kept")
	}
	if doc.Find("#d-link").AttrOr("value", "") != "javascript:alert(1)" {
		t.Error("the link is not kept")
	}
	if doc.Find("#d-kind option[selected]").AttrOr("value", "") != "vibes" || doc.Find("#d-repos option[selected]").AttrOr("value", "") != "acme/web" {
		t.Error("selections are not kept")
	}
	// Without errors there is no summary.
	p.Errors, p.Summary = nil, nil
	doc, _ = render(t, templates.DecisionForm(p))
	if byTestID(doc, "form-errors").Length() != 0 || doc.Find(`[aria-invalid]`).Length() != 0 {
		t.Error("errors shown without errors")
	}
}

func TestDecisionsList(t *testing.T) {
	p := templates.DecisionsPage{
		Page: templates.Page{Title: "Decisions"},
		Rows: []templates.DecisionRow{
			{ID: 2, Date: "2026-07-27", Title: hostile, Kind: "caching", Scope: "acme/catalog", Note: "short", NoteFull: hostile,
				Link: "https://example.com/adr/9", CompareHref: "/compare?decision=2", EditHref: "/decisions/2/edit", DeleteHref: "/decisions/2/delete"},
			{ID: 1, Date: "2026-04-27", Title: "Split", Kind: "architecture", Scope: "team checkout", CompareHref: "/compare?decision=1"},
		},
		NewHref:  "/decisions/new",
		Notice:   "Recorded decision #2.",
		JSONHref: "/api/v1/decisions",
	}
	doc, html := render(t, templates.Decisions(p))
	if strings.Contains(html, "<script>alert") {
		t.Fatal("hostile text rendered as markup")
	}
	r2 := byTestID(doc, "decision-row-2")
	if r2.Find(`[data-testid="decision-compare"]`).Text() != hostile || r2.Find(`[data-testid="decision-compare"]`).AttrOr("href", "") != "/compare?decision=2" {
		t.Error("the title does not link to the comparison")
	}
	l := r2.Find(`[data-testid="decision-link"]`)
	if l.AttrOr("href", "") != "https://example.com/adr/9" || l.AttrOr("rel", "") != "noopener noreferrer" || l.Text() != "example.com" {
		t.Errorf("link %q rel %q text %q", l.AttrOr("href", ""), l.AttrOr("rel", ""), l.Text())
	}
	if r2.Find("td.note").AttrOr("title", "") != hostile {
		t.Error("the whole note is not on hover")
	}
	// A reader who may not write sees no write links (row 1 has none).
	r1 := byTestID(doc, "decision-row-1")
	if r1.Find(`[data-testid="decision-edit"], [data-testid="decision-delete"], [data-testid="decision-link"]`).Length() != 0 {
		t.Error("row 1 shows links it does not have")
	}
	if byTestID(doc, "decisions-notice").AttrOr("role", "") != "status" {
		t.Error("the notice is not a status")
	}
	p.Rows, p.Empty = nil, "No decision is recorded yet."
	doc, _ = render(t, templates.Decisions(p))
	if byTestID(doc, "decisions-table-empty").Text() != p.Empty {
		t.Error("no empty state")
	}
}

func TestDecisionDeleteAsksFirst(t *testing.T) {
	p := templates.DecisionDeletePage{
		Page:     templates.Page{Title: "Delete decision #2"},
		Decision: templates.DecisionRow{ID: 2, Title: hostile, NoteFull: hostile},
		Action:   "/decisions/2/delete", Cancel: "/decisions",
	}
	doc, html := render(t, templates.DecisionDelete(p))
	if strings.Contains(html, "<script>alert") {
		t.Fatal("hostile text rendered as markup")
	}
	form := byTestID(doc, "delete-confirm").Find("form")
	if form.AttrOr("method", "") != "post" || form.AttrOr("action", "") != "/decisions/2/delete" || byTestID(doc, "delete-cancel").AttrOr("href", "") != "/decisions" {
		t.Error("no POST form with a way back")
	}
	if byTestID(doc, "delete-title").Text() != hostile {
		t.Error("the title is not shown")
	}
}

func TestCandidatesPage(t *testing.T) {
	p := templates.CandidatesPage{
		Page: templates.Page{Title: "Suggested decisions"},
		Candidates: []templates.CandidateItem{{
			ID: "c908e496e", Date: "2026-04-27", Title: hostile, Source: "a new repo", Kind: "architecture", Scope: "team checkout",
			Evidence: []string{"acme/payments appears", hostile}, AcceptAction: "/decisions/candidates/c908e496e/accept",
			DismissAction: "/decisions/candidates/c908e496e/dismiss", EditHref: "/decisions/new?candidate=c908e496e", CompareHref: "/compare?at=2026-04-27",
		}, {ID: "c2", Date: "2026-05-01", Title: "read only", CompareHref: "/compare?at=2026-05-01"}},
	}
	doc, html := render(t, templates.Candidates(p))
	if strings.Contains(html, "<script>alert") {
		t.Fatal("hostile text rendered as markup")
	}
	c := byTestID(doc, "candidate-c908e496e")
	if c.Find(`[data-testid="candidate-evidence"] li`).Length() != 2 || !strings.Contains(c.Text(), "2026-04-27") {
		t.Error("evidence or date missing")
	}
	accept := c.Find(`[data-testid="candidate-accept"]`).Closest("form")
	dismiss := c.Find(`[data-testid="candidate-dismiss"]`).Closest("form")
	if accept.AttrOr("method", "") != "post" || accept.AttrOr("action", "") != p.Candidates[0].AcceptAction ||
		dismiss.AttrOr("method", "") != "post" || dismiss.AttrOr("action", "") != p.Candidates[0].DismissAction {
		t.Error("Record it and Dismiss are not POST forms")
	}
	if byTestID(doc, "candidate-c2").Find("form").Length() != 0 {
		t.Error("a read-only suggestion has write buttons")
	}
}
