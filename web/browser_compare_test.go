package web_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// The compare and decision pages in Chromium: they load with no console
// error and no failed request, the compare page's charts draw, and the
// decision form works — fill it, submit, see the decision listed, delete
// it through the confirmation step. With TACH_SCREENSHOTS=DIR the compare
// page of decision 1, a form with its mistakes and the suggestions are
// saved there (the decisions page is saved by TestBrowser).
func TestBrowserCompareAndDecisions(t *testing.T) {
	b := browser(t)
	srv, host, charts := demoServer(t)
	shoot := screenshot

	t.Run("compare pages", func(t *testing.T) {
		ctx, w := tab(t, b, host)
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(1360, 1700)); err != nil {
			t.Fatal(err)
		}
		for _, p := range []struct{ name, path string }{
			{"compare", "/compare?decision=1"},
			{"", "/compare?at=2026-02-02&gap=1w"},
			{"", "/compare?team=checkout&vs_team=platform"},
			{"", "/compare"},
			{"decision-candidates", "/decisions/candidates"},
		} {
			if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+p.path)); err != nil {
				t.Fatalf("%s: %v", p.path, err)
			}
			boxes, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('[data-chart]').length`))
			if err != nil {
				t.Fatal(err)
			}
			if strings.HasPrefix(p.path, "/compare?") && boxes < 10 {
				t.Errorf("%s: %d charts, want one per measure", p.path, boxes)
			}
			if charts {
				if _, err := chromedp.Run(ctx, chromedp.Poll[bool](chartsDrawn, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
					t.Errorf("%s: charts did not draw (%d containers): %v", p.path, boxes, err)
				}
			}
			if strings.HasPrefix(p.path, "/compare?") {
				// The interval bars are SVG in the page, drawn without script.
				bars, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="interval-bar"] rect').length`))
				if bars < 8 {
					t.Errorf("%s: %d interval bars", p.path, bars)
				}
			}
			if p.name != "" {
				shoot(t, ctx, p.name)
			}
			if p.name == "compare" && os.Getenv("TACH_SCREENSHOTS") != "" {
				// And its weekly series.
				if _, err := chromedp.Run(ctx, chromedp.Evaluate[any](`document.querySelector('.compare-panels').scrollIntoView(); null`)); err != nil {
					t.Fatal(err)
				}
				shoot(t, ctx, "compare-charts")
			}
			problems, dialogs := w.take()
			for _, pr := range problems {
				t.Errorf("%s: %s", p.path, pr)
			}
			if len(dialogs) > 0 {
				t.Errorf("%s: dialogs opened: %v", p.path, dialogs)
			}
		}
	})

	t.Run("decision form", func(t *testing.T) {
		ctx, w := tab(t, b, host)
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(1360, 1100), chromedp.Navigate(srv.URL+"/decisions")); err != nil {
			t.Fatal(err)
		}
		// From the list to the form, as a reader would.
		submit := func(sel string) {
			t.Helper()
			if _, err := chromedp.Run(ctx, chromedp.WaitEvent(page.LoadEventFired, nil, chromedp.Click(chromedp.CSS(sel)))); err != nil {
				t.Fatalf("click %s: %v", sel, err)
			}
		}
		submit(`[data-testid="decision-new"]`)
		// A mistake first: no title, a javascript: link.
		if err := chromedp.Do(ctx,
			chromedp.SetValue(chromedp.CSS(`#d-date`), "2026-01-12"),
			chromedp.SetValue(chromedp.CSS(`#d-kind`), "tooling"),
			chromedp.SetValue(chromedp.CSS(`#d-link`), "javascript:alert(1)"),
		); err != nil {
			t.Fatal(err)
		}
		submit(`[data-testid="decision-submit"]`)
		msgs, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('[data-testid="form-errors"]').innerText`))
		if !strings.Contains(msgs, "title") || !strings.Contains(msgs, "link") {
			t.Errorf("form errors: %q", msgs)
		}
		kept, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#d-date').value + ' ' + document.querySelector('#d-kind').value`))
		if kept != "2026-01-12 tooling" {
			t.Errorf("the entered values are not kept: %q", kept)
		}
		shoot(t, ctx, "decision-form")
		// The scope is one choice: the team's select shows only once "A
		// team" is chosen, the repos' only for "Some repos".
		visible := func(sel string) bool {
			v, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector('`+sel+`').getClientRects().length > 0`))
			return v
		}
		if visible("#d-team") || visible("#d-repos") {
			t.Error("team and repos are offered before a scope is chosen")
		}
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#d-scope-team`))); err != nil {
			t.Fatal(err)
		}
		if !visible("#d-team") || visible("#d-repos") {
			t.Errorf("with A team chosen: team shown %v, repos shown %v", visible("#d-team"), visible("#d-repos"))
		}
		// Fixed, it is recorded, and the reader lands on its comparison.
		const title = "Move CI to bigger runners <b>now</b>"
		if err := chromedp.Do(ctx,
			chromedp.SetValue(chromedp.CSS(`#d-title`), title),
			chromedp.SetValue(chromedp.CSS(`#d-link`), "https://example.com/rfc/12"),
			chromedp.SetValue(chromedp.CSS(`#d-team`), "platform"),
			chromedp.SetValue(chromedp.CSS(`#d-note`), "Runners with 8 cores."),
		); err != nil {
			t.Fatal(err)
		}
		submit(`[data-testid="decision-submit"]`)
		loc, _ := chromedp.Run(ctx, chromedp.Location())
		if !strings.Contains(loc, "/compare?decision=") || !strings.Contains(loc, "done=created") {
			t.Fatalf("after submitting: %s", loc)
		}
		title2, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('[data-testid="page-title"]').textContent`))
		done, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('[data-testid="compare-done"]').innerText`))
		if !strings.Contains(title2, title) || !strings.Contains(done, "Recorded decision #") {
			t.Errorf("landed on %q, told %q", title2, done)
		}
		if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/decisions")); err != nil {
			t.Fatal(err)
		}
		listed, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('[data-testid="decisions-table"]').innerText`))
		if !strings.Contains(listed, title) || !strings.Contains(listed, "team platform") {
			t.Errorf("the new decision is not listed as text: %q", listed)
		}
		// Then delete it, confirming.
		row := `tr:has(a[href="https://example.com/rfc/12"])`
		submit(row + ` [data-testid="decision-delete"]`)
		submit(`[data-testid="delete-submit"]`)
		listed, _ = chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('[data-testid="decisions-table"]').innerText`))
		if strings.Contains(listed, title) {
			t.Error("the decision is still listed after deleting it")
		}
		problems, dialogs := w.take()
		for _, pr := range problems {
			if strings.Contains(pr, "status of 422") {
				continue // the form with its mistakes
			}
			t.Error(pr)
		}
		if len(dialogs) > 0 {
			t.Errorf("dialogs opened: %v", dialogs)
		}
	})
}
