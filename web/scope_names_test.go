package web_test

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tach-dev/tach/web"
)

// namesHandler serves the demo (five repos) as an organisation too large
// to list its repos: past two, forms take them typed.
func namesHandler(t testing.TB) http.Handler {
	return web.New(web.Options{
		Reports: demoReports, Decisions: demoDecisions, Store: demoStore,
		Logger:      slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn})),
		Now:         func() time.Time { return demoNow },
		NamesListed: 2,
	})
}

// Past the forms' limit, the repo filter is a field of typed names that
// keeps the scope chosen, on every form that offers repos; under it, the
// multi-select it was.
func TestManyReposAreTypedNotListed(t *testing.T) {
	h := namesHandler(t)
	rec := get(t, h, "/?repo=acme/payments,acme/web")
	if rec.Code != http.StatusOK {
		t.Fatalf("overview: %d %s", rec.Code, rec.Body)
	}
	doc := parse(t, rec.Body.String())
	field := doc.Find(`[data-testid="filter-repo"]`)
	if goquery := field.Nodes; len(goquery) != 1 || goquery[0].Data != "input" {
		t.Fatalf("the repo filter is not one input: %d nodes", len(goquery))
	}
	if v, _ := field.Attr("value"); v != "acme/payments, acme/web" {
		t.Errorf("the typed field holds %q, not the scope", v)
	}
	if s, _ := field.Attr("data-suggest"); s != "/api/v1/scopes/names?kind=repo" {
		t.Errorf("suggestions from %q", s)
	}
	if list, _ := field.Attr("list"); doc.Find("datalist#"+list).Length() != 1 {
		t.Errorf("no datalist %q for the suggestions", list)
	}
	if doc.Find(`select[name="repo"] option`).Length() != 0 {
		t.Error("the repos are still listed as options")
	}
	if n := doc.Find("#f-repo-count").Text(); !strings.Contains(n, "5 to choose from") {
		t.Errorf("the field says %q, not how many repos there are", n)
	}
	if scope := doc.Find(`[data-testid="scope"]`).Text(); scope != "" && !strings.Contains(scope, "acme/payments, acme/web") {
		t.Errorf("the page covers %q", scope)
	}

	// Every form with repos: the compare page's three, the decision form.
	for path, fields := range map[string][]string{
		"/compare":            {"cf-repo", "pf-repo", "sf-repo", "sv-repo"},
		"/decisions/new":      {"d-repos"},
		"/measures/lead-time": {"f-repo"},
	} {
		rec := get(t, h, path)
		if rec.Code != http.StatusOK {
			t.Fatalf("%s: %d", path, rec.Code)
		}
		doc := parse(t, rec.Body.String())
		for _, id := range fields {
			if n := doc.Find("input#" + id + "[data-suggest]").Length(); n != 1 {
				t.Errorf("%s: #%s is not a typed field", path, id)
			}
		}
		if n := doc.Find(`option[value="acme/payments"]`).Length(); n != 0 {
			t.Errorf("%s: acme/payments still listed %d times", path, n)
		}
	}

	// Under the limit: the multi-select, the scope selected.
	doc = parse(t, get(t, newHandler(t), "/?repo=acme/payments").Body.String())
	if n := doc.Find(`select[data-testid="filter-repo"] option`).Length(); n != 5 {
		t.Errorf("%d repos listed, want the demo's 5", n)
	}
	if v, _ := doc.Find(`select[data-testid="filter-repo"] option[selected]`).Attr("value"); v != "acme/payments" {
		t.Errorf("selected: %q", v)
	}
}

// The suggestions: names holding the text typed, ignoring case, those
// that start with it (or a part after "/" or ":" does) first, at most 20.
func TestScopeNameSuggestions(t *testing.T) {
	h := namesHandler(t)
	names := func(target string) []string {
		t.Helper()
		rec := get(t, h, target)
		if rec.Code != http.StatusOK {
			t.Fatalf("%s: %d %s", target, rec.Code, rec.Body)
		}
		var out struct {
			Names []string `json:"names"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			t.Fatal(err)
		}
		return out.Names
	}
	if got := names("/api/v1/scopes/names?kind=repo&q=PAY"); len(got) != 1 || got[0] != "acme/payments" {
		t.Errorf("pay: %v", got)
	}
	// Every demo repo holds a "c" (in "acme"); after a "/" only catalog.
	got := names("/api/v1/scopes/names?kind=repo&q=c")
	if len(got) != 5 || got[0] != "acme/catalog" {
		t.Errorf("c: %v", got)
	}
	if got := names("/api/v1/scopes/names?kind=repo&q=zzz"); got == nil || len(got) != 0 {
		t.Errorf("zzz: %v, want []", got)
	}
	for _, bad := range []string{"/api/v1/scopes/names?kind=team&q=a", "/api/v1/scopes/names?q=a",
		"/api/v1/scopes/names?kind=repo&q=" + strings.Repeat("a", 301)} {
		if rec := get(t, h, bad); rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "kind") && !strings.Contains(rec.Body.String(), "longer") {
			t.Errorf("%s: %d %s", bad, rec.Code, rec.Body)
		}
	}
}

// In Chromium: typing part of a repo's name offers it, after the names
// already typed; choosing it and applying scopes the page to both.
func TestBrowserTypedRepos(t *testing.T) {
	b := browser(t)
	srv := httptest.NewServer(namesHandler(t))
	t.Cleanup(srv.Close)
	ctx, w := tab(t, b, strings.TrimPrefix(srv.URL, "http://"))
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/?repo=acme/web")); err != nil {
		t.Fatal(err)
	}
	// Type after the name there, as a user clicking into the field would.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { const f = document.querySelector('#f-repo'); f.focus(); f.setSelectionRange(f.value.length, f.value.length); return true })()`)); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.KeyEvent(", pay")); err != nil {
		t.Fatal(err)
	}
	offered := `[...document.querySelectorAll('#f-repo-names option')].map(o => o.value).join('|')`
	var got string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if got, _ = chromedp.Run(ctx, chromedp.Evaluate[string](offered)); got != "" {
			break
		}
	}
	if got != "acme/web, acme/payments" {
		v, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#f-repo').value`))
		t.Fatalf("offered %q for %q", got, v)
	}
	// Choosing a suggestion sets the field to it; then apply.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { const f = document.querySelector('#f-repo'); f.value = document.querySelector('#f-repo-names option').value; document.querySelector('[data-testid="filter-apply"]').click(); return true })()`)); err != nil {
		t.Fatal(err)
	}
	var u *url.URL
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		loc, err := chromedp.Run(ctx, chromedp.Location())
		if u, _ = url.Parse(loc); err == nil && u.Query().Get("repo") != "acme/web" {
			break
		}
	}
	if u.Query().Get("repo") != "acme/web, acme/payments" {
		t.Fatalf("applied: %s", u)
	}
	ready := `document.readyState === 'complete' && document.querySelector('#f-repo') !== null`
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](ready)); err == nil && ok {
			break
		}
	}
	if v, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#f-repo').value`)); v != "acme/web, acme/payments" {
		t.Errorf("the new page's field holds %q", v)
	}
	noProblems(t, w)
}
