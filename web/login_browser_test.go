package web_test

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// TestBrowserSignIn signs in as a person would, in headless Chromium: a
// page sends them to the sign-in form, a wrong password says so, the right
// one goes back to the page asked for with the user in the header, a
// writer sees "Sync now" and uses it, and signing out ends the session.
// Nothing may fail in the console (the CSP holds on these pages too). With
// TACH_SCREENSHOTS=DIR the sign-in form and the sync page are saved.
func TestBrowserSignIn(t *testing.T) {
	b := browser(t)
	e := newOpsEnv(t, nil)
	srv := httptest.NewServer(e.h)
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	shots := os.Getenv("TACH_SCREENSHOTS")
	shoot := func(ctx context.Context, name string) {
		t.Helper()
		if shots == "" {
			return
		}
		png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		if err == nil {
			err = os.WriteFile(filepath.Join(shots, name+".png"), png, 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	ctx, w := tab(t, b, host)
	click := func(sel string) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.WaitEvent(page.LoadEventFired, nil, chromedp.Click(chromedp.CSS(sel)))); err != nil {
			t.Fatalf("click %s: %v", sel, err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.querySelector(`+"`"+sel+"`"+`) || {innerText: ""}).innerText`))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	location := func() string {
		loc, _ := chromedp.Run(ctx, chromedp.Location())
		return strings.TrimPrefix(loc, srv.URL)
	}

	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1360, 900), chromedp.Navigate(srv.URL+"/sync")); err != nil {
		t.Fatal(err)
	}
	if loc := location(); loc != "/login?next=%2Fsync" {
		t.Fatalf("a page without signing in went to %s", loc)
	}
	shoot(ctx, "login")
	// A wrong password first.
	if err := chromedp.Do(ctx, chromedp.SetValue(chromedp.CSS(`#l-login`), "ada"), chromedp.SetValue(chromedp.CSS(`#l-password`), "not-it-at-all")); err != nil {
		t.Fatal(err)
	}
	click(`[data-testid="login-submit"]`)
	if msg := text(`[data-testid="login-error"]`); msg != "Wrong login or password." {
		t.Errorf("after a wrong password: %q", msg)
	}
	if kept, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#l-login').value + '|' + document.querySelector('#l-password').value`)); kept != "ada|" {
		t.Errorf("form after a failure keeps %q (the login, never the password)", kept)
	}
	if err := chromedp.Do(ctx, chromedp.SetValue(chromedp.CSS(`#l-password`), adaPassword)); err != nil {
		t.Fatal(err)
	}
	click(`[data-testid="login-submit"]`)
	if loc := location(); loc != "/sync" {
		t.Fatalf("after signing in: %s", loc)
	}
	if who := text(`[data-testid="account"]`); !strings.Contains(who, "ada") {
		t.Errorf("header: %q", who)
	}
	// The session cookie is out of reach of scripts.
	if c, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.cookie`)); strings.Contains(c, "tach_session") {
		t.Errorf("document.cookie shows the session: %q", c)
	}
	click(`[data-testid="sync-now"]`)
	if loc := location(); loc != "/sync" || e.sync.triggers != 1 {
		t.Errorf("sync now: at %s, %d syncs", loc, e.sync.triggers)
	}
	if disabled, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector('[data-testid="sync-now"]').disabled`)); !disabled {
		t.Error("the button is not disabled while a sync runs")
	}
	shoot(ctx, "sync-running")
	click(`[data-testid="sign-out"]`)
	if loc := location(); loc != "/login" {
		t.Errorf("after signing out: %s", loc)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/weekly")); err != nil {
		t.Fatal(err)
	}
	if loc := location(); !strings.HasPrefix(loc, "/login") {
		t.Errorf("after signing out, /weekly is at %s", loc)
	}
	problems, dialogs := w.take()
	for _, p := range problems {
		if strings.Contains(p, "status of 401") {
			continue // the form after the wrong password
		}
		t.Error(p)
	}
	if len(dialogs) > 0 {
		t.Errorf("dialogs: %v", dialogs)
	}
}
