package web_test

import (
	"github.com/tach-dev/tach/store/storetest"
	"regexp"
	"testing"
)

// TestPagesAndAPINotStored: what a signed-in reader sees (pages, the API,
// the Markdown export, errors, redirects) is never kept by a browser or a
// shared cache (no-store: not even to revalidate); tach's versioned
// static files are cached for a year.
func TestPagesAndAPINotStored(t *testing.T) {
	storetest.Long(t)
	e := newOpsEnv(t, nil)
	ada := e.login("ada", adaPassword)
	for _, target := range []string{"/", "/weekly", "/weekly.md", "/changes", "/decisions", "/sync", "/measures/lead-time",
		"/api/v1/metrics", "/api/v1/changes", "/api/v1/weekly", "/api/v1/scopes", "/nowhere", "/?from=2026-13-01", "/api/v1/nowhere"} {
		rec := e.do(req{target: target, cookie: ada})
		if got := rec.Header().Get("Cache-Control"); got != "no-store" {
			t.Errorf("%s (%d): Cache-Control %q, want no-store", target, rec.Code, got)
		}
	}
	page := e.do(req{target: "/", cookie: ada}).Body.String()
	css := regexp.MustCompile(`/static/tach\.css\?v=[0-9a-f]+`).FindString(page)
	if css == "" {
		t.Fatal("the page links no versioned stylesheet")
	}
	if got := e.do(req{target: css}).Header().Get("Cache-Control"); got != "public, max-age=31536000, immutable" {
		t.Errorf("%s: Cache-Control %q", css, got)
	}
	// The bare dashboard (tach's pages without tach serve's options) too.
	h := newHandler(t)
	for _, target := range []string{"/", "/api/v1/metrics"} {
		if got := get(t, h, target).Header().Get("Cache-Control"); got != "no-store" {
			t.Errorf("bare %s: Cache-Control %q", target, got)
		}
	}
}
