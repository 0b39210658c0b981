package web_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/tach-dev/tach/web"
)

// Browser tests drive Debian's Chromium (apt-get install chromium) through
// the DevTools protocol: every page loads with no console error, no failed
// request and no request to another host; the charts draw; a filter change
// updates the URL and the numbers; the demo's hostile title is text. With
// TACH_SCREENSHOTS=DIR each page is saved as DIR/NAME.png.

// screenshotPages are the pages every browser run visits, by screenshot name.
var screenshotPages = []struct{ name, path string }{
	{"overview", "/"},
	{"weekly", "/weekly"},
	{"measure-deployment-frequency", "/measures/deployment-frequency"},
	{"measure-lead-time", "/measures/lead-time"},
	{"measure-change-failure-rate", "/measures/change-failure-rate?weeks=26"},
	{"measure-recovery-time", "/measures/recovery-time?weeks=26"},
	{"measure-rework-rate", "/measures/rework-rate"},
	{"measure-cycle-time", "/measures/cycle-time"},
	{"measure-throughput", "/measures/throughput"},
	{"measure-pr-size", "/measures/pr-size"},
	{"measure-ci", "/measures/ci"},
	{"changes", "/changes?per_page=25"},
	{"deployments", "/deployments?per_page=25"},
	{"incidents", "/incidents?weeks=52&per_page=25"},
	{"decisions", "/decisions"},
	{"sync", "/sync"},
	{"definitions", "/docs/metrics"},
	{"error", "/?from=2026-13-01"},
}

func chromiumPath() string {
	if p := os.Getenv("TACH_CHROMIUM"); p != "" {
		return p
	}
	for _, p := range []string{"/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	return ""
}

// browser starts headless Chromium for the test, or skips it.
func browser(t *testing.T) context.Context {
	t.Helper()
	exe := chromiumPath()
	if exe == "" {
		t.Skip("browser tests skipped: Chromium not found at /usr/bin/chromium (install it with `apt-get install -y chromium`, or set TACH_CHROMIUM)")
	}
	if testing.Short() {
		t.Skip("browser tests skipped in -short mode")
	}
	if raceEnabled {
		t.Skip("browser tests skipped under -race (it makes the server tens of times slower); run them with `make browser` or `go test -run TestBrowser ./web`")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.WindowSize(1360, 900),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	b, cancelBrowser := chromedp.NewContext(alloc)
	t.Cleanup(cancelBrowser)
	if err := chromedp.Do(b); err != nil {
		t.Fatalf("start Chromium %s: %v", exe, err)
	}
	return b
}

// watcher records what went wrong in a tab: console errors, exceptions,
// browser log errors (CSP violations, failed loads), failed requests,
// requests to other hosts, and dialogs (which it dismisses).
type watcher struct {
	mu       sync.Mutex
	problems []string
	dialogs  []string
	host     string
}

func (w *watcher) add(format string, args ...any) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.problems = append(w.problems, fmt.Sprintf(format, args...))
}

func (w *watcher) take() (problems, dialogs []string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	problems, dialogs = w.problems, w.dialogs
	w.problems, w.dialogs = nil, nil
	return problems, dialogs
}

// tab opens a new tab with a watcher.
func tab(t *testing.T, b context.Context, host string) (context.Context, *watcher) {
	t.Helper()
	ctx, cancel := chromedp.NewContext(b)
	t.Cleanup(cancel)
	w := &watcher{host: host}
	err := chromedp.Listen(ctx, func(ev any) {
		switch ev := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
				w.add("console.%s", ev.Type)
			}
		case *runtime.EventExceptionThrown:
			w.add("exception: %s", ev.ExceptionDetails.Text)
		case *cdplog.EventEntryAdded:
			if ev.Entry.Level == cdplog.EntryLevelError {
				w.add("browser log (%s): %s %s", ev.Entry.Source, ev.Entry.Text, ev.Entry.URL)
			}
		case *network.EventLoadingFailed:
			if !ev.Canceled {
				w.add("request failed: %s (%s)", ev.ErrorText, ev.BlockedReason)
			}
		case *network.EventResponseReceived:
			if ev.Response.Status >= 400 && ev.Type != network.ResourceTypeDocument {
				w.add("%d for %s", ev.Response.Status, ev.Response.URL)
			}
		case *network.EventRequestWillBeSent:
			if u, err := url.Parse(ev.Request.URL); err == nil && u.Scheme != "data" && u.Host != w.host {
				w.add("request to another host: %s", ev.Request.URL)
			}
		case *page.EventJavascriptDialogOpening:
			w.mu.Lock()
			w.dialogs = append(w.dialogs, ev.Message)
			w.mu.Unlock()
			// A dialog blocks the page; close it from outside the event loop.
			go chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return ctx, w
}

// noProblems fails t with what went wrong in the tab since it was last
// asked: errors, failed requests, dialogs.
func noProblems(t *testing.T, w *watcher) {
	t.Helper()
	problems, dialogs := w.take()
	for _, p := range problems {
		t.Error(p)
	}
	if len(dialogs) > 0 {
		t.Errorf("dialogs opened: %v", dialogs)
	}
}

// demoServer serves the demo to a browser test: the server, the host its
// pages may request, and whether this build draws charts.
func demoServer(t *testing.T) (*httptest.Server, string, bool) {
	srv := httptest.NewServer(newHandler(t))
	t.Cleanup(srv.Close)
	charts := web.NewServer(web.Options{Reports: demoReports, Decisions: demoDecisions, Store: demoStore}).ChartsAvailable()
	return srv, strings.TrimPrefix(srv.URL, "http://"), charts
}

// chartsDrawn waits until every chart container holds a canvas or an svg.
const chartsDrawn = `(() => {
	const boxes = document.querySelectorAll('[data-chart]');
	return document.readyState === 'complete' && [...boxes].every(b => b.querySelector('canvas, svg'));
})()`

// screenshot saves the tab's page as DIR/name.png when TACH_SCREENSHOTS
// is DIR (made when missing); else it does nothing.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	shots := os.Getenv("TACH_SCREENSHOTS")
	if shots == "" {
		return
	}
	err := os.MkdirAll(shots, 0o755)
	if err == nil {
		var png []byte
		if png, err = chromedp.Run(ctx, chromedp.CaptureScreenshot()); err == nil {
			err = os.WriteFile(filepath.Join(shots, name+".png"), png, 0o644)
		}
	}
	if err != nil {
		t.Fatal(err)
	}
}

func TestBrowser(t *testing.T) {
	b := browser(t)
	srv, host, charts := demoServer(t)
	if !charts {
		if os.Getenv("TACH_REQUIRE_CHARTS") != "" {
			t.Fatal("ECharts is not embedded and TACH_REQUIRE_CHARTS is set: run `make assets` before the tests")
		}
		t.Log("ECharts is not embedded (run `make assets`): the chart drawing checks are skipped")
	}
	shots := os.Getenv("TACH_SCREENSHOTS")
	if shots != "" {
		if err := os.MkdirAll(shots, 0o755); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("pages", func(t *testing.T) {
		ctx, w := tab(t, b, host)
		// Screenshots are of the first 1700 pixels: the whole overview, and
		// the head of the longer pages.
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(1360, 1700)); err != nil {
			t.Fatal(err)
		}
		for _, p := range screenshotPages {
			start := time.Now()
			if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+p.path)); err != nil {
				t.Fatalf("%s: %v", p.path, err)
			}
			boxes, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('[data-chart]').length`))
			if err != nil {
				t.Fatalf("%s: %v", p.path, err)
			}
			if charts {
				if _, err := chromedp.Run(ctx, chromedp.Poll[bool](chartsDrawn, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
					t.Errorf("%s: charts did not draw (%d containers): %v", p.path, boxes, err)
				}
			}
			if strings.HasPrefix(p.path, "/measures/") && boxes < 2 {
				t.Errorf("%s: %d charts, want a trend and a distribution", p.path, boxes)
			}
			if p.name == "overview" && boxes < 9 {
				t.Errorf("overview: %d charts, want ≥ 9", boxes)
			}
			if shots != "" {
				png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
				if err != nil {
					t.Fatalf("%s: screenshot: %v", p.path, err)
				}
				if err := os.WriteFile(filepath.Join(shots, p.name+".png"), png, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			problems, dialogs := w.take()
			for _, pr := range problems {
				if p.name == "error" && strings.Contains(pr, "status of 400") && strings.HasSuffix(pr, srv.URL+p.path) {
					continue // the error page's own status
				}
				t.Errorf("%s: %s", p.path, pr)
			}
			if len(dialogs) > 0 {
				t.Errorf("%s: dialogs opened: %v", p.path, dialogs)
			}
			t.Logf("%s: %d charts, %v", p.path, boxes, time.Since(start).Round(time.Millisecond))
		}
	})

	t.Run("dark mode", func(t *testing.T) {
		ctx, w := tab(t, b, host)
		err := chromedp.Do(ctx, chromedp.EmulateViewport(1360, 1700), chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
				Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}},
			})
			return err
		}), chromedp.Navigate(srv.URL+"/"))
		if err != nil {
			t.Fatal(err)
		}
		if charts {
			if _, err := chromedp.Run(ctx, chromedp.Poll[bool](chartsDrawn, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
				t.Errorf("charts did not draw: %v", err)
			}
		}
		bg, err := chromedp.Run(ctx, chromedp.Evaluate[string](`getComputedStyle(document.body).backgroundColor`))
		if err != nil || bg != "rgb(20, 24, 28)" {
			t.Errorf("dark background = %q, %v", bg, err)
		}
		if shots != "" {
			png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
			if err == nil {
				err = os.WriteFile(filepath.Join(shots, "overview-dark.png"), png, 0o644)
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		if problems, _ := w.take(); len(problems) > 0 {
			t.Errorf("problems: %v", problems)
		}
	})

	t.Run("filter change updates the URL and the numbers", func(t *testing.T) {
		ctx, w := tab(t, b, host)
		card := `document.querySelector('[data-testid="card-deployment_frequency"] .card-detail').textContent`
		if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/")); err != nil {
			t.Fatal(err)
		}
		before, err := chromedp.Run(ctx, chromedp.Evaluate[string](card))
		if err != nil {
			t.Fatal(err)
		}
		// Choose a team, by keyboard: focus the select, pick the option,
		// then press Enter on the Apply button.
		if err := chromedp.Do(ctx,
			chromedp.SetValue(chromedp.CSS(`#f-team`), "platform"),
			chromedp.Focus(chromedp.CSS(`[data-testid="filter-apply"]`)),
		); err != nil {
			t.Fatal(err)
		}
		if _, err := chromedp.Run(ctx, chromedp.WaitEvent(page.LoadEventFired, nil, chromedp.KeyEvent("\r"))); err != nil {
			t.Fatal(err)
		}
		loc, err := chromedp.Run(ctx, chromedp.Location())
		if err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse(loc)
		if u.Query().Get("team") != "platform" {
			t.Fatalf("URL after the filter change: %s", loc)
		}
		after, err := chromedp.Run(ctx, chromedp.Evaluate[string](card))
		if err != nil {
			t.Fatal(err)
		}
		if after == before {
			t.Errorf("numbers did not change with the team: %q", after)
		}
		scope, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('[data-testid="scope"]').textContent`))
		if !strings.Contains(scope, "Team platform") {
			t.Errorf("scope line %q", scope)
		}
		// The preset links keep the team.
		href, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('[data-testid="filter-presets"] a').getAttribute('href')`))
		if !strings.Contains(href, "team=platform") {
			t.Errorf("preset link %q drops the team", href)
		}
		if problems, _ := w.take(); len(problems) > 0 {
			t.Errorf("problems: %v", problems)
		}
	})

	t.Run("hostile title renders as text", func(t *testing.T) {
		ctx, w := tab(t, b, host)
		for _, path := range []string{"/changes?q=XSS&weeks=52", "/weekly.md?week=2026-02-23"} {
			if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+path)); err != nil {
				t.Fatal(err)
			}
			if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.readyState === 'complete'`)); err != nil {
				t.Fatal(err)
			}
		}
		if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/changes?q=XSS&weeks=52")); err != nil {
			t.Fatal(err)
		}
		visible, err := chromedp.Run(ctx, chromedp.Evaluate[bool](
			`document.querySelector('[data-testid="list"]').innerText.includes('<script>alert(1)</script> Fix XSS in search')`))
		if err != nil || !visible {
			t.Errorf("the hostile title is not visible as text (%v)", err)
		}
		injected, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`[...document.scripts].filter(s => s.textContent.includes('alert(1)')).length`))
		if injected != 0 {
			t.Errorf("%d script elements carry the title", injected)
		}
		problems, dialogs := w.take()
		if len(dialogs) > 0 {
			t.Errorf("an alert opened: %v", dialogs)
		}
		for _, p := range problems {
			t.Error(p)
		}
	})
}
