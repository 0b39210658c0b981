package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
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
	shoot := func(ctx context.Context, name string) { screenshot(t, ctx, name) }
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

// TestBrowserSignInNextStaysHere signs in with return addresses that a
// browser would read as another site's (a backslash is a slash to it) and
// checks that Chromium ends on tach, never on the other server — whether
// it signs in through the form or opens /login already signed in.
func TestBrowserSignInNextStaysHere(t *testing.T) {
	b := browser(t)
	e := newOpsEnv(t, nil)
	srv := httptest.NewServer(e.h)
	t.Cleanup(srv.Close)
	var visits atomic.Int32
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		visits.Add(1)
		fmt.Fprintln(w, "pwned")
	}))
	t.Cleanup(evil.Close)
	evilHost := strings.TrimPrefix(evil.URL, "http://")
	host := strings.TrimPrefix(srv.URL, "http://")

	for i, next := range []string{
		"/weekly",
		"/./\\" + evilHost + "/pwned",
		"/./%5C" + evilHost + "/pwned",
		"/\\" + evilHost + "/pwned",
		"/.//" + evilHost + "/pwned",
		"/\t/" + evilHost + "/pwned",
	} {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			ctx, _ := tab(t, b, host)
			// within runs a step with its own deadline: a navigation to the
			// other server may never report its load to this tab.
			within := func(d time.Duration, step func(ctx context.Context) error) error {
				c, cancel := context.WithTimeout(ctx, d)
				defer cancel()
				return step(c)
			}
			onTach := func(when string) {
				t.Helper()
				var loc string
				err := within(5*time.Second, func(c context.Context) (err error) {
					loc, err = chromedp.Run(c, chromedp.Location())
					return err
				})
				if u, perr := url.Parse(loc); err != nil || perr != nil || u.Host != host {
					t.Errorf("%s: the browser is at %q (%v), not on tach (%s)", when, loc, err, host)
				}
			}
			// Signed out: the tabs share the browser's cookies.
			err := within(10*time.Second, func(c context.Context) error {
				if err := chromedp.Do(c, chromedp.Navigate("about:blank")); err != nil {
					return err
				}
				if _, err := chromedp.Call(c, network.ClearBrowserCookies, cdp.Empty{}); err != nil {
					return err
				}
				return chromedp.Do(c, chromedp.Navigate(srv.URL+"/login?next="+url.QueryEscape(next)),
					chromedp.SetValue(chromedp.CSS(`#l-login`), "ada"), chromedp.SetValue(chromedp.CSS(`#l-password`), adaPassword))
			})
			if err != nil {
				t.Fatal(err)
			}
			// Where the browser ends is what counts, loaded or not.
			within(5*time.Second, func(c context.Context) error {
				_, err := chromedp.Run(c, chromedp.WaitEvent(page.LoadEventFired, nil, chromedp.Click(chromedp.CSS(`[data-testid="login-submit"]`))))
				return err
			})
			onTach("after signing in")
			// Signed in, /login sends the browser straight on.
			within(5*time.Second, func(c context.Context) error {
				return chromedp.Do(c, chromedp.Navigate(srv.URL+"/login?next="+url.QueryEscape(next)))
			})
			onTach("opening /login signed in")
		})
	}
	if n := visits.Load(); n > 0 {
		t.Errorf("the other server was visited %d times", n)
	}
}
