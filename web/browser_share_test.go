package web_test

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// narrowPages are the pages checked at a phone's width, by screenshot name.
var narrowPages = []struct{ name, path string }{
	{"weekly-390", "/weekly"}, {"compare-390", "/compare?decision=1"}, {"changes-390", "/changes?per_page=10"},
	{"overview-390", "/"}, {"measure-lead-time-390", "/measures/lead-time"}, {"deployments-390", "/deployments?per_page=10"},
	{"incidents-390", "/incidents?weeks=52&per_page=10"}, {"decisions-390", "/decisions"}, {"decision-form-390", "/decisions/new"},
	{"decision-candidates-390", "/decisions/candidates"}, {"sync-390", "/sync"}, {"definitions-390", "/docs/metrics"}, {"measures-390", "/measures"},
}

// The weekly review shared, the compare page's confounders and every page
// at a phone's width, in Chromium: Copy summary puts HTML and text on the
// clipboard, the week picker moves to a Monday and shows that week, the
// compressed scripts run, and at 390 px no page is wider than the screen,
// tables are cards and charts fit their box. With TACH_SCREENSHOTS=DIR the
// 390 px pages are saved as NAME-390.png.
func TestBrowserShareAndNarrow(t *testing.T) {
	b := browser(t)
	srv, host, charts := demoServer(t)
	shoot := screenshot

	t.Run("copy summary", func(t *testing.T) {
		ctx, w := tab(t, b, host)
		// Reading the clipboard back needs the read permission.
		grant := func(ctx context.Context, _ *chromedp.Target) error {
			for _, name := range []string{"clipboard-read", "clipboard-write"} {
				if _, err := chromedp.Call(ctx, cdpbrowser.SetPermission, cdpbrowser.SetPermissionParams{
					Permission: &cdpbrowser.PermissionDescriptor{Name: name}, Setting: cdpbrowser.PermissionSettingGranted, Origin: srv.URL}); err != nil {
					return err
				}
			}
			return nil
		}
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(1360, 900), chromedp.Func(grant), chromedp.Navigate(srv.URL+"/weekly?team=checkout")); err != nil {
			t.Fatal(err)
		}
		// tach.js shows the button it makes work.
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`!document.querySelector('[data-testid="copy-summary"]').hidden`, chromedp.WithPollingTimeout(5*time.Second))); err != nil {
			t.Fatal("the Copy summary button stays hidden")
		}
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`[data-testid="copy-summary"]`))); err != nil {
			t.Fatal(err)
		}
		status, err := chromedp.Run(ctx, chromedp.Poll[string](`(() => { const s = document.querySelector('#copy-status').textContent; return s || null; })()`, chromedp.WithPollingTimeout(5*time.Second)))
		if err != nil || !strings.HasPrefix(status, "Copied") {
			t.Fatalf("status after the click: %q (%v)", status, err)
		}
		type clip struct{ HTML, Text string }
		got, err := chromedp.Run(ctx, chromedp.Evaluate[clip](`(async () => {
			const [item] = await navigator.clipboard.read();
			return { HTML: await (await item.getType('text/html')).text(), Text: await (await item.getType('text/plain')).text() };
		})()`, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatal(err)
		}
		want := url.Values{"team": {"checkout"}, "week": {"2026-02-23"}}.Encode()
		if !strings.Contains(got.HTML, "<b>Change failure rate</b>") || !strings.Contains(got.HTML, `href="`+srv.URL+"/weekly?"+strings.ReplaceAll(want, "&", "&amp;")+`"`) {
			t.Errorf("the clipboard's HTML:\n%s", got.HTML)
		}
		if !strings.HasPrefix(got.Text, "Weekly review — team checkout, week of 23 Feb 2026") || !strings.Contains(got.Text, "• Lead time for changes: ") ||
			!strings.Contains(got.Text, srv.URL+"/weekly?"+want) {
			t.Errorf("the clipboard's text:\n%s", got.Text)
		}
		noProblems(t, w)
	})

	t.Run("copy summary without the clipboard API", func(t *testing.T) {
		ctx, w := tab(t, b, host)
		// As on plain http on a LAN: no navigator.clipboard.write.
		if err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
				Source: `Object.defineProperty(navigator, 'clipboard', { value: undefined });`})
			return err
		}), chromedp.Navigate(srv.URL+"/weekly")); err != nil {
			t.Fatal(err)
		}
		// The copy event carries both types; the page's listener sees them.
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[any](`document.addEventListener('copy', e => setTimeout(() => {
			window.copied = 'yes';
		}, 0)); null`)); err != nil {
			t.Fatal(err)
		}
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`[data-testid="copy-summary"]`))); err != nil {
			t.Fatal(err)
		}
		status, _ := chromedp.Run(ctx, chromedp.Poll[string](`document.querySelector('#copy-status').textContent || null`, chromedp.WithPollingTimeout(5*time.Second)))
		// The listener marks the event a tick after it (setTimeout): wait
		// for that tick rather than race it.
		fired, _ := chromedp.Run(ctx, chromedp.Poll[string](`window.copied || null`, chromedp.WithPollingTimeout(2*time.Second)))
		open, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector('#summary-text').open`))
		// Either the copy event did it, or the text is open and selected
		// for Ctrl+C; never nothing.
		switch {
		case strings.HasPrefix(status, "Copied") && fired == "yes":
		case strings.Contains(status, "Ctrl+C") && open:
		default:
			t.Errorf("without the Clipboard API: status %q, copy event %q, text open %v", status, fired, open)
		}
		noProblems(t, w)
	})

	t.Run("week picker", func(t *testing.T) {
		ctx, w := tab(t, b, host)
		if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/weekly?team=checkout")); err != nil {
			t.Fatal(err)
		}
		// A Thursday, typed as a reader would; it moves to its Monday.
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[any](`(() => { const i = document.querySelector('#week-pick');
			i.value = '2026-02-12'; i.dispatchEvent(new Event('change', { bubbles: true })); return null; })()`)); err != nil {
			t.Fatal(err)
		}
		v, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#week-pick').value`))
		if v != "2026-02-09" {
			t.Errorf("the picker shows %q, want the Monday 2026-02-09", v)
		}
		if _, err := chromedp.Run(ctx, chromedp.WaitEvent(page.LoadEventFired, nil, chromedp.Click(chromedp.CSS(`[data-testid="week-go"]`)))); err != nil {
			t.Fatal(err)
		}
		loc, _ := chromedp.Run(ctx, chromedp.Location())
		u, _ := url.Parse(loc)
		if u.Query().Get("week") != "2026-02-09" || u.Query().Get("team") != "checkout" {
			t.Errorf("after Show: %s", loc)
		}
		title, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('[data-testid="week-nav"] strong').textContent`))
		if title != "Week of Mon 9 Feb 2026" {
			t.Errorf("the page reviews %q", title)
		}
		// The summary rows lead to the measure over that week (its rows,
		// and its breakdown against the 4 weeks before).
		href, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('[data-testid="weekly-keys-table"] tbody a').getAttribute('href')`))
		if !strings.Contains(href, "week=2026-02-09") || !strings.Contains(href, "to=2026-02-16") {
			t.Errorf("the first measure links to %q", href)
		}
		// Its scripts arrived compressed and run.
		enc, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`performance.getEntriesByType('resource').filter(r => r.name.includes('tach.js')).every(r => r.encodedBodySize < r.decodedBodySize)`))
		if !enc {
			t.Error("tach.js was not compressed")
		}
		noProblems(t, w)
	})

	t.Run("confounders on the compare page", func(t *testing.T) {
		first, _ := addConfounder(t, 21, "Turn on the payments feature flag")
		ctx, w := tab(t, b, host)
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(1360, 1500), chromedp.Navigate(srv.URL+"/compare?decision="+strconv.FormatInt(first.ID, 10))); err != nil {
			t.Fatal(err)
		}
		if charts {
			if _, err := chromedp.Run(ctx, chromedp.Poll[bool](chartsDrawn, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
				t.Errorf("charts did not draw: %v", err)
			}
		}
		warning, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('[data-testid="compare-confounders"]').innerText`))
		if !strings.Contains(warning, "Turn on the payments feature flag") || !strings.Contains(warning, "Compare 3 weeks on each side") {
			t.Errorf("the warning reads %q", warning)
		}
		// The statistics are one click away.
		open, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector('[data-testid="its-details"]').open`))
		if open {
			t.Error("the interrupted time series is open before a click")
		}
		shoot(t, ctx, "compare-confounders")
		// The clean window's link compares without it.
		if _, err := chromedp.Run(ctx, chromedp.WaitEvent(page.LoadEventFired, nil, chromedp.Click(chromedp.CSS(`[data-testid="clean-window"]`)))); err != nil {
			t.Fatal(err)
		}
		left, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="compare-confounders"]').length`))
		sides, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('[data-testid="compare-sides"]').innerText`))
		if left != 0 || !strings.Contains(sides, "(3 weeks)") {
			t.Errorf("the clean window still warns (%d) or is not 3 weeks: %q", left, sides)
		}
		noProblems(t, w)
	})

	t.Run("390 px", func(t *testing.T) {
		ctx, w := tab(t, b, host)
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 2400, chromedp.EmulateMobile)); err != nil {
			t.Fatal(err)
		}
		for _, p := range narrowPages {
			if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+p.path)); err != nil {
				t.Fatalf("%s: %v", p.path, err)
			}
			if charts {
				if _, err := chromedp.Run(ctx, chromedp.Poll[bool](chartsDrawn, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
					t.Errorf("%s: charts did not draw: %v", p.path, err)
				}
			}
			// Nothing is wider than the screen: no sideways scrolling.
			wide, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => {
				const vw = document.documentElement.clientWidth;
				if (document.documentElement.scrollWidth <= vw) return '';
				const over = [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > vw + 1 && !e.closest('.visually-hidden, thead'));
				return document.documentElement.scrollWidth + ' px: ' + over.slice(0, 3).map(e => e.tagName + '.' + e.className).join(', ');
			})()`))
			if wide != "" {
				t.Errorf("%s is wider than 390 px: %s", p.path, wide)
			}
			// Tables are cards: rows stack, headers are hidden from sight.
			cards, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => {
				const t = document.querySelector('.table-wrap table');
				if (!t) return 'none';
				const row = t.querySelector('tbody tr');
				return getComputedStyle(row).display + ' ' + (t.querySelector('thead') ? t.querySelector('thead').getBoundingClientRect().width : 0);
			})()`))
			if cards != "none" && cards != "block 1" {
				t.Errorf("%s: a table row is %q, want a card (block) with its header hidden", p.path, cards)
			}
			// Charts fit their box.
			if charts {
				over, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`[...document.querySelectorAll('[data-chart] canvas')].filter(c => c.getBoundingClientRect().width > c.closest('[data-chart]').getBoundingClientRect().width + 1).length`))
				if over > 0 {
					t.Errorf("%s: %d charts wider than their box", p.path, over)
				}
			}
			shoot(t, ctx, p.name)
			noProblems(t, w)
		}
		// A chart follows its container when the screen turns.
		if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/measures/lead-time")); err != nil {
			t.Fatal(err)
		}
		if charts {
			if _, err := chromedp.Run(ctx, chromedp.Poll[bool](chartsDrawn, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
				t.Fatal(err)
			}
			if err := chromedp.Do(ctx, chromedp.EmulateViewport(700, 1200, chromedp.EmulateMobile)); err != nil {
				t.Fatal(err)
			}
			fit, err := chromedp.Run(ctx, chromedp.Poll[bool](`(() => {
				const c = document.querySelector('[data-chart]');
				const canvas = c.querySelector('canvas');
				return Math.abs(canvas.getBoundingClientRect().width - c.getBoundingClientRect().width) < 2 && c.getBoundingClientRect().width > 400;
			})()`, chromedp.WithPollingTimeout(5*time.Second)))
			if err != nil || !fit {
				t.Errorf("the chart did not follow its box to 700 px: %v", err)
			}
		}
		noProblems(t, w)
	})
}
