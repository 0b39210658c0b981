package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/tach-dev/tach/store"
	"github.com/tach-dev/tach/store/storetest"
)

// These tests write to the shared demo database; each removes what it
// records, so the demo's three decisions are all that is left.

// post sends a form and returns the recorder.
func post(t testing.TB, h http.Handler, target string, form url.Values, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, target, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func decisions(t *testing.T) []store.Decision {
	t.Helper()
	ds, err := demoStore.Decisions(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

// createdID reads the new decision's id from the redirect after it.
func createdID(t *testing.T, rec *httptest.ResponseRecorder) int64 {
	t.Helper()
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("status %d, want 303:\n%s", rec.Code, rec.Body)
	}
	u, err := url.Parse(rec.Header().Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	id, err := strconv.ParseInt(u.Query().Get("decision"), 10, 64)
	if err != nil {
		t.Fatalf("redirect to %s", rec.Header().Get("Location"))
	}
	return id
}

func cleanUp(t *testing.T, id int64) {
	t.Cleanup(func() {
		ctx := context.Background() // t.Context() is done by now
		ds, err := demoStore.Decisions(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range ds {
			if d.ID == id {
				if err := demoDecisions.DeleteDecision(ctx, id); err != nil {
					t.Error(err)
				}
			}
		}
	})
}

// location is a redirect's target without its fragment.
func location(rec *httptest.ResponseRecorder) string {
	l, _, _ := strings.Cut(rec.Header().Get("Location"), "#")
	return l
}

func TestDecisionRoundTrip(t *testing.T) {
	h := newHandler(t)
	before := len(decisions(t))
	form := url.Values{"date": {"2026-01-12"}, "title": {"Move CI to bigger runners"}, "kind": {"tooling"},
		"repo": {"acme/web", "acme/catalog"}, "note": {"Eight cores.\r\nExpected: faster CI."}, "link": {"https://example.com/rfc/12"}}

	// The form, then the decision recorded and listed.
	doc := parse(t, get(t, h, "/decisions/new").Body.String())
	if doc.Find(`[data-testid="decision-form"][method="post"][action="/decisions"]`).Length() != 1 {
		t.Fatal("no form posting to /decisions")
	}
	if doc.Find(`#d-kind option`).Length() != len(store.DecisionKinds)+1 {
		t.Error("the kinds are not all offered")
	}
	rec := post(t, h, "/decisions", form)
	id := createdID(t, rec)
	cleanUp(t, id)
	// Saved, the reader lands on its comparison, told what happened.
	if want := "/compare?decision=" + strconv.FormatInt(id, 10) + "&done=created"; rec.Header().Get("Location") != want {
		t.Errorf("redirect to %s, want %s", rec.Header().Get("Location"), want)
	}
	d := decisions(t)[before]
	if d.Title != "Move CI to bigger runners" || d.Kind != "tooling" || strings.Join(d.ScopeRepos, ",") != "acme/web,acme/catalog" || d.Note != "Eight cores.\nExpected: faster CI." {
		t.Errorf("stored %+v", d)
	}
	doc = parse(t, get(t, h, location(rec)).Body.String())
	if !strings.Contains(doc.Find(`[data-testid="compare-done"]`).Text(), "Recorded decision #"+strconv.FormatInt(id, 10)) {
		t.Error("no notice after recording")
	}
	if !strings.Contains(doc.Find(`[data-testid="page-title"]`).Text(), "Move CI to bigger runners") {
		t.Errorf("landed on %q", doc.Find(`[data-testid="page-title"]`).Text())
	}
	doc = parse(t, get(t, h, "/decisions").Body.String())
	row := doc.Find(`[data-testid="decision-row-` + strconv.FormatInt(id, 10) + `"]`)
	if !strings.Contains(row.Text(), "Move CI to bigger runners") || !strings.Contains(row.Text(), "acme/web, acme/catalog") {
		t.Errorf("row %q", row.Text())
	}
	if row.Find(`[data-testid="decision-compare"]`).AttrOr("href", "") != "/compare?decision="+strconv.FormatInt(id, 10) {
		t.Error("the row does not link to its comparison")
	}
	if l := row.Find(`[data-testid="decision-link"]`); l.AttrOr("href", "") != "https://example.com/rfc/12" || l.AttrOr("rel", "") != "noopener noreferrer" {
		t.Errorf("link %q rel %q", l.AttrOr("href", ""), l.AttrOr("rel", ""))
	}
	// Its comparison opens.
	if rec := get(t, h, "/compare?decision="+strconv.FormatInt(id, 10)); rec.Code != http.StatusOK {
		t.Errorf("its compare page: %d", rec.Code)
	}

	// Edit: the form holds the values; the change is stored.
	edit := "/decisions/" + strconv.FormatInt(id, 10)
	doc = parse(t, get(t, h, edit+"/edit").Body.String())
	if doc.Find(`#d-title`).AttrOr("value", "") != "Move CI to bigger runners" || doc.Find(`#d-repos option[selected]`).Length() != 2 {
		t.Error("the edit form does not hold the decision")
	}
	if doc.Find(`#d-scope-repos[checked]`).Length() != 1 {
		t.Error("the edit form does not choose the repos as the scope")
	}
	// A browser sends both controls; the scope radio says which counts.
	form.Set("title", "Move CI to 8-core runners")
	form.Set("team", "platform")
	form.Set("scope", "team")
	rec = post(t, h, edit, form)
	if rec.Code != http.StatusSeeOther || !strings.HasPrefix(rec.Header().Get("Location"), "/compare?decision="+strconv.FormatInt(id, 10)+"&done=updated") {
		t.Fatalf("update: %d %s", rec.Code, rec.Header().Get("Location"))
	}
	if d := decisions(t)[before]; d.Title != "Move CI to 8-core runners" || d.ScopeTeam != "platform" || len(d.ScopeRepos) != 0 {
		t.Errorf("updated %+v", d)
	}

	// Delete: a confirmation first (GET changes nothing), then gone.
	doc = parse(t, get(t, h, edit+"/delete").Body.String())
	if !strings.Contains(doc.Find(`[data-testid="delete-title"]`).Text(), "8-core") || doc.Find(`form[method="post"][action="`+edit+`/delete"]`).Length() != 1 {
		t.Error("no confirmation step")
	}
	if len(decisions(t)) != before+1 {
		t.Fatal("showing the confirmation deleted the decision")
	}
	rec = post(t, h, edit+"/delete", nil)
	if rec.Code != http.StatusSeeOther || len(decisions(t)) != before {
		t.Fatalf("delete: %d, %d decisions", rec.Code, len(decisions(t)))
	}
	for _, target := range []string{edit + "/edit", edit + "/delete", "/compare?decision=" + strconv.FormatInt(id, 10)} {
		if rec := get(t, h, target); rec.Code != http.StatusNotFound {
			t.Errorf("%s after delete: %d", target, rec.Code)
		}
	}
	for _, rec := range []*httptest.ResponseRecorder{post(t, h, edit, form), post(t, h, edit+"/delete", nil), post(t, h, "/decisions/abc/delete", nil)} {
		if rec.Code != http.StatusNotFound {
			t.Errorf("write to a missing decision: %d", rec.Code)
		}
	}
}

// Bad input comes back as the form, with 422, the entered values, a
// message beside each wrong field — and nothing stored.
// A decision scoped to a module, comparing the module before against the
// service it became after.
func TestDecisionWithModulesAndTwoScopes(t *testing.T) {
	h := newHandler(t)
	before := len(decisions(t))
	doc := parse(t, get(t, h, "/decisions/new?module=acme/shop-monolith:payments").Body.String())
	if doc.Find(`#d-modules option[selected][value="acme/shop-monolith:payments"]`).Length() != 1 || doc.Find(`#d-before_scope`).Length() != 1 {
		t.Fatal("the form has no module picker with the page's module, or no before scope")
	}
	form := url.Values{"date": {"2026-01-12"}, "title": {"Move payments out"}, "kind": {"architecture"},
		"module": {"acme/shop-monolith:payments"}, "before_scope": {"module=acme/shop-monolith:payments"}, "after_scope": {"acme/payments"}}
	id := createdID(t, post(t, h, "/decisions", form))
	cleanUp(t, id)
	d := decisions(t)[before]
	if strings.Join(d.ScopeModules, ",") != "acme/shop-monolith:payments" || d.BeforeScope != "module=acme/shop-monolith:payments" || d.AfterScope != "repo=acme/payments" {
		t.Errorf("stored %+v", d)
	}
	api := get(t, h, "/api/v1/compare?decision="+strconv.FormatInt(id, 10))
	if api.Code != http.StatusOK || !strings.Contains(api.Body.String(), `"modules": [`) || !strings.Contains(api.Body.String(), `"label": "after: acme/payments"`) {
		t.Errorf("its comparison: %d %s", api.Code, api.Body.String()[:min(400, api.Body.Len())])
	}
}

func TestDecisionFormRefusesBadInput(t *testing.T) {
	h := newHandler(t)
	before := decisions(t)
	good := url.Values{"date": {"2026-01-12"}, "title": {"A decision"}, "kind": {"process"}}
	for _, c := range []struct {
		name   string
		change url.Values
		fields []string
	}{
		{"empty title", url.Values{"title": {"  "}}, []string{"title"}},
		{"multi-line title", url.Values{"title": {"one\ntwo"}}, []string{"title"}},
		{"bad date", url.Values{"date": {"2026-02-30"}}, []string{"date"}},
		{"no date", url.Values{"date": {""}}, []string{"date"}},
		{"unknown kind", url.Values{"kind": {"vibes"}}, []string{"kind"}},
		{"unknown team", url.Values{"team": {"nope"}}, []string{"scope"}},
		{"unknown repo", url.Values{"repo": {"acme/nope"}}, []string{"scope"}},
		{"team and repos", url.Values{"team": {"platform"}, "repo": {"acme/web"}}, []string{"scope"}},
		{"unknown module", url.Values{"module": {"acme/shop-monolith:nope"}}, []string{"scope"}},
		{"unknown before scope", url.Values{"before_scope": {"module=acme/shop-monolith:nope"}}, []string{"before_scope"}},
		{"bad after scope", url.Values{"after_scope": {"colour=blue"}}, []string{"after_scope"}},
		{"javascript link", url.Values{"link": {"javascript:alert(1)"}}, []string{"link"}},
		{"relative link", url.Values{"link": {"/decisions"}}, []string{"link"}},
		{"everything wrong", url.Values{"title": {""}, "date": {"soon"}, "kind": {""}, "link": {"data:text/html,x"}}, []string{"title", "date", "kind", "link"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			form := url.Values{}
			for k, v := range good {
				form[k] = v
			}
			for k, v := range c.change {
				form[k] = v
			}
			for _, target := range []string{"/decisions", "/decisions/1"} {
				rec := post(t, h, target, form)
				if rec.Code != http.StatusUnprocessableEntity {
					t.Fatalf("POST %s: %d, want 422", target, rec.Code)
				}
				checkSecurityHeaders(t, rec.Header())
				doc := parse(t, rec.Body.String())
				if doc.Find(`[data-testid="form-errors"] li`).Length() != len(c.fields) {
					t.Errorf("POST %s: errors %q, want %d", target, doc.Find(`[data-testid="form-errors"]`).Text(), len(c.fields))
				}
				for _, f := range c.fields {
					if doc.Find(`[data-testid="error-`+f+`"]`).Length() != 1 {
						t.Errorf("POST %s: no message beside %s", target, f)
					}
				}
				if got := doc.Find(`#d-title`).AttrOr("value", ""); got != form.Get("title") {
					t.Errorf("POST %s: title %q not kept (%q)", target, form.Get("title"), got)
				}
				if doc.Find(`[data-testid="decision-form"]`).AttrOr("action", "") != target {
					t.Errorf("POST %s: the form posts elsewhere", target)
				}
			}
			after := decisions(t)
			if len(after) != len(before) {
				t.Fatalf("something was stored: %d decisions, was %d", len(after), len(before))
			}
			if after[0].UpdatedAt != before[0].UpdatedAt || after[0].Title != before[0].Title {
				t.Error("decision 1 was changed")
			}
		})
	}
	// A field's error points the control at its message.
	doc := parse(t, post(t, h, "/decisions", url.Values{"date": {"x"}, "title": {"t"}, "kind": {"other"}}).Body.String())
	date := doc.Find(`#d-date`)
	if date.AttrOr("aria-invalid", "") != "true" || !strings.Contains(date.AttrOr("aria-describedby", ""), "d-date-error") {
		t.Errorf("date field: aria-invalid %q, described by %q", date.AttrOr("aria-invalid", ""), date.AttrOr("aria-describedby", ""))
	}
}

// A write sent by another site's page is refused (no login protects the
// log yet), and nothing is stored.
func TestDecisionWritesRefuseCrossSiteRequests(t *testing.T) {
	h := newHandler(t)
	before := len(decisions(t))
	form := url.Values{"date": {"2026-01-12"}, "title": {"Forged"}, "kind": {"other"}}
	for _, rec := range []*httptest.ResponseRecorder{
		post(t, h, "/decisions", form, "Sec-Fetch-Site", "cross-site"),
		post(t, h, "/decisions/1/delete", nil, "Sec-Fetch-Site", "cross-site"),
		post(t, h, "/decisions", form, "Origin", "https://evil.example"),
	} {
		if rec.Code != http.StatusForbidden {
			t.Errorf("cross-site write: %d, want 403", rec.Code)
		}
	}
	if len(decisions(t)) != before {
		t.Fatal("a cross-site request changed the log")
	}
	// The same form from tach's own page passes.
	rec := post(t, h, "/decisions", form, "Sec-Fetch-Site", "same-origin")
	cleanUp(t, createdID(t, rec))
}

// Hostile text in a decision is text everywhere it appears: the list, the
// compare page, its charts, the API.
func TestDecisionHostileTextIsEscaped(t *testing.T) {
	const title = `<script>alert("t")</script> & <img src=x onerror=alert(2)>`
	const note = `<b>bold</b> "quoted" </script><script>alert(3)</script>`
	h := newHandler(t)
	rec := post(t, h, "/decisions", url.Values{"date": {"2025-12-01"}, "title": {title}, "kind": {"other"}, "note": {note},
		"link": {`https://example.com/"><script>alert(4)</script>`}})
	id := createdID(t, rec)
	cleanUp(t, id)
	sid := strconv.FormatInt(id, 10)
	for _, target := range []string{"/decisions", "/compare?decision=" + sid, "/decisions/" + sid + "/edit", "/decisions/" + sid + "/delete", "/compare", "/?weeks=26"} {
		body := get(t, h, target).Body.String()
		for _, raw := range []string{"<script>alert", "<img src=x", "<b>bold", `"><script>`} {
			if strings.Contains(body, raw) {
				t.Errorf("%s: %q is in the page as markup", target, raw)
			}
		}
		doc := parse(t, body)
		if target == "/decisions" && !strings.Contains(doc.Find(`[data-testid="decision-row-`+sid+`"]`).Text(), title) {
			t.Errorf("%s: the title is not shown as text", target)
		}
		if target == "/compare?decision="+sid {
			if got := doc.Find(`[data-testid="page-title"]`).Text(); got != "Decision #"+sid+": "+title {
				t.Errorf("compare title %q", got)
			}
			if !strings.Contains(doc.Find(`[data-testid="decision-note"]`).Text(), note) {
				t.Error("the note is not shown as text")
			}
		}
	}
	var out struct {
		Decisions []struct {
			ID    int64  `json:"id"`
			Title string `json:"title"`
		} `json:"decisions"`
	}
	if err := json.Unmarshal(get(t, h, "/api/v1/decisions").Body.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, d := range out.Decisions {
		found = found || d.ID == id && d.Title == title
	}
	if !found {
		t.Errorf("API: %+v", out.Decisions)
	}
}

func TestDecisionsPageAndAPI(t *testing.T) {
	h := newHandler(t)
	doc := parse(t, get(t, h, "/decisions").Body.String())
	rows := doc.Find(`[data-testid="decisions-table"] tbody tr`)
	if rows.Length() != 3 {
		t.Fatalf("%d decisions listed, the demo has 3", rows.Length())
	}
	if rows.First().Find("td").First().Text() < rows.Last().Find("td").First().Text() {
		t.Error("the list is not newest first")
	}
	for _, id := range []string{"decision-new", "decision-candidates"} {
		if doc.Find(`[data-testid="`+id+`"]`).Length() != 1 {
			t.Errorf("no %s link", id)
		}
	}
	if rows.Find(`[data-testid="decision-edit"]`).Length() != 3 || rows.Find(`[data-testid="decision-delete"]`).Length() != 3 {
		t.Error("rows lack edit or delete")
	}
	var out struct {
		Decisions []struct {
			ID         int64  `json:"id"`
			CompareURL string `json:"compare_url"`
		} `json:"decisions"`
		Kinds []string `json:"kinds"`
	}
	if err := json.Unmarshal(get(t, h, "/api/v1/decisions").Body.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	if len(out.Decisions) != 3 || out.Decisions[0].CompareURL != "/api/v1/compare?decision=1" || len(out.Kinds) != len(store.DecisionKinds) {
		t.Errorf("API %+v", out)
	}
}

// Suggestions: listed with their evidence; "Record it" records one and
// opens its comparison; "Dismiss" makes one go away. (Each request here
// searches the whole history, which -race makes slow: the test keeps to
// four.)
func TestCandidates(t *testing.T) {
	storetest.Long(t)
	h := newHandler(t)
	doc := parse(t, get(t, h, "/decisions/candidates").Body.String())
	items := doc.Find(`[data-testid="candidates"] > li`)
	if items.Length() < 2 {
		// The demo has four; each run of this test answers two of them.
		t.Skipf("%d suggestions left in the shared demo database (an earlier run with -count answered them)", items.Length())
	}
	id := func(s *goquery.Selection) string {
		return strings.TrimPrefix(s.AttrOr("data-testid", ""), "candidate-")
	}
	first, second := id(items.Eq(0)), id(items.Eq(1))
	item := items.Eq(0)
	if item.Find(`[data-testid="candidate-evidence"] li`).Length() == 0 || !regexp.MustCompile(`\d{4}-\d{2}-\d{2}`).MatchString(item.Find("h2").Text()) {
		t.Errorf("suggestion %s without its date or evidence: %q", first, item.Text())
	}
	if item.Find(`form[method="post"][action="/decisions/candidates/`+first+`/accept"] button`).Length() != 1 {
		t.Error("no one-click Record it")
	}
	if href := item.Find(`[data-testid="candidate-edit"]`).AttrOr("href", ""); href != "/decisions/new?candidate="+first {
		t.Errorf("change-then-record link %q", href)
	}

	// Record it: one click, then its comparison.
	before := len(decisions(t))
	rec := post(t, h, "/decisions/candidates/"+first+"/accept", nil)
	if rec.Code != http.StatusSeeOther || !strings.HasPrefix(rec.Header().Get("Location"), "/compare?decision=") {
		t.Fatalf("accept: %d %s", rec.Code, rec.Header().Get("Location"))
	}
	newID := createdID(t, rec)
	cleanUp(t, newID)
	ds := decisions(t)
	i := slices.IndexFunc(ds, func(d store.Decision) bool { return d.ID == newID })
	if len(ds) != before+1 || i < 0 || !strings.Contains(item.Find("h2").Text(), ds[i].DecidedOn) || !strings.HasPrefix(ds[i].Note, "Suggested by tach") {
		t.Fatalf("accept stored %d decisions: %+v", len(ds), ds)
	}
	doc = parse(t, get(t, h, location(rec)).Body.String())
	if !strings.Contains(doc.Find(`[data-testid="compare-done"]`).Text(), "Recorded the suggestion") || doc.Find(`[data-testid="compare-table"]`).Length() != 1 {
		t.Error("the comparison does not open after recording")
	}

	// Dismiss; then neither is suggested any more (the API says so).
	if rec := post(t, h, "/decisions/candidates/"+second+"/dismiss", nil); rec.Code != http.StatusSeeOther {
		t.Fatalf("dismiss: %d", rec.Code)
	}
	var out struct {
		Candidates []struct {
			ID       string   `json:"id"`
			Evidence []string `json:"evidence"`
		} `json:"candidates"`
	}
	if err := json.Unmarshal(get(t, h, "/api/v1/decisions/candidates").Body.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	if len(out.Candidates) != items.Length()-2 {
		t.Errorf("%d suggestions left of %d", len(out.Candidates), items.Length())
	}
	for _, c := range out.Candidates {
		if c.ID == first || c.ID == second || len(c.Evidence) == 0 {
			t.Errorf("suggestion %+v", c)
		}
	}
	if rec := post(t, h, "/decisions/candidates/no-such-id/accept", nil); rec.Code != http.StatusNotFound {
		t.Errorf("unknown suggestion: %d, want 404", rec.Code)
	}
}
