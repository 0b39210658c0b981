package web_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The radar in a real browser: the demo's degrading module ranked first,
// its signals drawn as sparklines that link to their measure's page in the
// module's scope, its hotspots linking to the provider. With
// TACH_SCREENSHOTS=DIR the page is saved as DIR/radar.png.
func TestBrowserRadar(t *testing.T) {
	b := browser(t)
	srv, host, charts := demoServer(t)
	if !charts {
		t.Skip("ECharts is not embedded (run `make assets`): the radar's sparklines cannot draw")
	}
	ctx, w := tab(t, b, host)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1360, 1700), chromedp.Navigate(srv.URL+"/radar")); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](chartsDrawn, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Fatalf("charts did not draw: %v", err)
	}
	first, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('[data-testid=radar-table] tbody tr td:nth-child(2)').textContent.trim()`))
	if err != nil || first != "acme/shop-monolith:search" {
		t.Errorf("ranked first: %q, %v", first, err)
	}
	type signal struct {
		Href  string `json:"href"`
		Drawn bool   `json:"drawn"`
	}
	signals, err := chromedp.Run(ctx, chromedp.Evaluate[[]signal](`[...document.querySelectorAll('#radar-1 [data-testid=radar-signal]')].map(s => ({
		href: s.querySelector('h3 a').getAttribute('href'),
		drawn: !!s.querySelector('[data-chart] canvas, [data-chart] svg')}))`))
	if err != nil || len(signals) < 2 {
		t.Fatalf("signals of the first: %v, %v", signals, err)
	}
	for _, s := range signals {
		if !strings.HasPrefix(s.Href, "/measures/") || !strings.Contains(s.Href, "module=acme%2Fshop-monolith%3Asearch") || !s.Drawn {
			t.Errorf("signal %+v: want a drawn sparkline linking to its measure in the module", s)
		}
	}
	hotspot, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#radar-1 [data-testid=radar-hotspots] tbody a').href`))
	if err != nil || !strings.HasPrefix(hotspot, "https://github.com/acme/shop-monolith/blob/main/search/") {
		t.Errorf("first hotspot links to %q, %v", hotspot, err)
	}
	if shots := os.Getenv("TACH_SCREENSHOTS"); shots != "" {
		png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		if err == nil {
			err = os.WriteFile(filepath.Join(shots, "radar.png"), png, 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	// A sparkline's link opens the measure in the module's scope.
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+signals[0].Href)); err != nil {
		t.Fatal(err)
	}
	scope, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('[data-testid=filter-module] option:checked').value`))
	if err != nil || scope != "acme/shop-monolith:search" {
		t.Errorf("measure page's module picker: %q, %v", scope, err)
	}
	if problems, _ := w.take(); len(problems) > 0 {
		t.Errorf("problems: %v", problems)
	}
}
