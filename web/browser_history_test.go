package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tach-dev/tach/metrics"
	"github.com/tach-dev/tach/metrics/render"
	"github.com/tach-dev/tach/web"
)

// The changes against an earlier period in Chromium, on the demo and on a
// fresh install synced with 120 days of history: each card's arrow is the
// sign of its change and its colour the verdict, written in words beside
// the counts of both sides; the fresh install's overview judges no change
// against the period before its history, says why, and shades the weeks
// before it as no data. With TACH_SCREENSHOTS=DIR: overview-390.png and
// weekly-390.png (390 px wide, the demo), overview-fresh-install.png (its
// 26 weeks, the gap in view).
func TestBrowserVerdictsAndHistory(t *testing.T) {
	b := browser(t)
	charts := web.NewServer(web.Options{Reports: demoReports, Decisions: demoDecisions, Store: demoStore}).ChartsAvailable()
	open := func(t *testing.T, ctx context.Context, w *watcher, url string) {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
			t.Fatalf("%s: %v", url, err)
		}
		if charts {
			if _, err := chromedp.Run(ctx, chromedp.Poll[bool](chartsDrawn, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
				t.Errorf("%s: charts did not draw: %v", url, err)
			}
		}
		if problems, dialogs := w.take(); len(problems)+len(dialogs) > 0 {
			t.Errorf("%s: %v %v", url, problems, dialogs)
		}
	}
	// cards reads each key card's change as the page shows it.
	type card struct {
		Key, Change, Verdict, Counts, Color string
	}
	const readCards = `[...document.querySelectorAll('[data-testid^="card-"]')].map(c => {
		const d = c.querySelector('[data-testid="delta"]');
		const v = c.querySelector('[data-testid="delta-verdict"]'), n = c.querySelector('[data-testid="delta-counts"]');
		return {Key: c.dataset.testid.slice(5), Change: d.querySelector('.delta-change').textContent.trim(),
			Verdict: v ? v.textContent : "", Counts: n ? n.textContent : "", Color: getComputedStyle(d).color};
	})`
	// toneColors are the colours of the verdicts' tones on the page open
	// in ctx.
	toneColors := func(t *testing.T, ctx context.Context) map[string]string {
		t.Helper()
		colors, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]string](`(() => {
			const probe = document.createElement('span');
			document.body.append(probe);
			const color = v => { probe.style.color = 'var(' + v + ')'; return getComputedStyle(probe).color; };
			const out = {good: color('--better'), bad: color('--worse'), none: color('--muted')};
			probe.remove();
			return out;
		})()`))
		if err != nil || colors["good"] == colors["none"] {
			t.Fatalf("colours %v: %v", colors, err)
		}
		return colors
	}

	t.Run("demo: arrow by sign, colour by verdict", func(t *testing.T) {
		h := newHandler(t)
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		ctx, w := tab(t, b, strings.TrimPrefix(srv.URL, "http://"))
		for _, q := range []string{"", "?weeks=26", "?team=checkout&weeks=8", "?repo=acme/catalog"} {
			open(t, ctx, w, srv.URL+"/"+q)
			colors := toneColors(t, ctx)
			cards, err := chromedp.Run(ctx, chromedp.Evaluate[[]card](readCards))
			if err != nil {
				t.Fatal(err)
			}
			var api struct {
				Widgets struct {
					Keys []metrics.KeyComparison `json:"keys"`
				} `json:"widgets"`
			}
			if err := json.Unmarshal(get(t, h, "/api/v1/overview"+q).Body.Bytes(), &api); err != nil || len(cards) != len(api.Widgets.Keys) {
				t.Fatalf("%s: %d cards, %d keys (%v)", q, len(cards), len(api.Widgets.Keys), err)
			}
			for i, c := range cards {
				k := api.Widgets.Keys[i]
				up, down := strings.HasPrefix(c.Change, "▲"), strings.HasPrefix(c.Change, "▼")
				if k.Diff != nil && !k.Negligible() && (up != (*k.Diff > 0) || down != (*k.Diff < 0)) {
					t.Errorf("%s %s: %q for a change of %v", q, c.Key, c.Change, *k.Diff)
				}
				tone := map[string]string{"improved": "good", "worsened": "bad"}[k.Verdict]
				if tone == "" {
					tone = "none"
				}
				if c.Color != colors[tone] || c.Verdict != k.Verdict || c.Counts == "" {
					t.Errorf("%s %s: %q in %s, verdict %q, counts %q; want %q in %s", q, c.Key, c.Change, c.Color, c.Verdict, c.Counts, k.Verdict, colors[tone])
				}
			}
		}
		// Each measure page's headline, as the page shows it: its change
		// judged as the card's, arrow by sign, colour by verdict.
		for _, q := range []string{"", "?weeks=26"} {
			var api struct {
				Widgets struct {
					Keys []metrics.KeyComparison `json:"keys"`
				} `json:"widgets"`
			}
			if err := json.Unmarshal(get(t, h, "/api/v1/overview"+q).Body.Bytes(), &api); err != nil {
				t.Fatal(err)
			}
			for _, k := range api.Widgets.Keys {
				open(t, ctx, w, srv.URL+"/measures/"+strings.ReplaceAll(k.Key, "_", "-")+q)
				colors := toneColors(t, ctx)
				got, err := chromedp.Run(ctx, chromedp.Evaluate[card](`(() => {
					const d = document.querySelector('[data-testid="change"] [data-testid="delta"]');
					const v = d.querySelector('[data-testid="delta-verdict"]'), n = d.querySelector('[data-testid="delta-counts"]');
					return {Change: d.querySelector('.delta-change').textContent.trim(), Verdict: v ? v.textContent : "", Counts: n ? n.textContent : "", Color: getComputedStyle(d).color};
				})()`))
				tone := map[string]string{"improved": "good", "worsened": "bad"}[k.Verdict]
				if tone == "" {
					tone = "none"
				}
				up := strings.HasPrefix(got.Change, "▲")
				if err != nil || got.Verdict != k.Verdict || got.Counts != render.KeyCounts(k) || got.Color != colors[tone] ||
					(k.Diff != nil && !k.Negligible() && up != (*k.Diff > 0)) {
					t.Errorf("%s measure page%s: %+v (%v); the card: %q %q %v", k.Key, q, got, err, k.Verdict, render.KeyCounts(k), k.Diff)
				}
			}
		}
	})

	t.Run("demo at 390 px", func(t *testing.T) {
		srv := httptest.NewServer(newHandler(t))
		t.Cleanup(srv.Close)
		ctx, w := tab(t, b, strings.TrimPrefix(srv.URL, "http://"))
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 1700, chromedp.EmulateScale(2), chromedp.EmulateMobile)); err != nil {
			t.Fatal(err)
		}
		for _, p := range []struct{ name, path, verdicts string }{
			{"overview-390", "/", `document.querySelectorAll('[data-testid="delta-verdict"]')`},
			{"weekly-390", "/weekly", `document.querySelectorAll('[data-testid="weekly-keys-table"] tbody tr')`},
		} {
			open(t, ctx, w, srv.URL+p.path)
			// The page does not scroll sideways: a table wider than the
			// screen scrolls in its own box, the rest fits.
			fits, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth <= 390 && `+p.verdicts+`.length >= 5`))
			if err != nil || !fits {
				t.Errorf("%s: wider than 390 px, or its verdicts are missing (%v)", p.path, err)
			}
			screenshot(t, ctx, p.name)
		}
	})

	t.Run("fresh install: no fake gain, a visible gap", func(t *testing.T) {
		h := freshHandler(t)
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		ctx, w := tab(t, b, strings.TrimPrefix(srv.URL, "http://"))
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(1360, 1700)); err != nil {
			t.Fatal(err)
		}
		open(t, ctx, w, srv.URL+"/")
		colors := toneColors(t, ctx)
		cards, err := chromedp.Run(ctx, chromedp.Evaluate[[]card](readCards))
		if err != nil || len(cards) != 5 {
			t.Fatalf("%d cards: %v", len(cards), err)
		}
		for _, c := range cards {
			if c.Verdict != metrics.VerdictNotEnoughHistory || strings.ContainsAny(c.Change, "▲▼%") || c.Color != colors["none"] {
				t.Errorf("%s: %q %q in %s: a change against the period before the history is shown", c.Key, c.Change, c.Verdict, c.Color)
			}
		}
		note, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('[data-testid="history-note"]').innerText`))
		if !strings.Contains(note, "acme/api from 2025-11-04") || !strings.Contains(note, "the previous period is covered from 2025-11-04 12:00 UTC. Rates per week count only the weeks with data. No change against it is judged.") {
			t.Errorf("history note %q", note)
		}

		open(t, ctx, w, srv.URL+"/?weeks=26")
		if charts {
			// The throughput chart draws the gap: its "no data" series
			// shades the weeks before the history, and those weeks have no
			// bar.
			gap, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]any](`(() => {
				const o = echarts.getInstanceByDom(document.getElementById('chart-overview-throughput')).getOption();
				const area = (o.series.find(s => s.id === 'no-data-0') || {}).markArea;
				return {band: area && area.data.length ? area.data[0][0].name + ' ' + area.data[0][0].xAxis + '..' + area.data[0][1].xAxis : '',
					first: String(o.series.find(s => s.name === 'deployments').data[0].value)};
			})()`))
			if err != nil || gap["band"] != "no data 2025-09-01..2025-11-03" || gap["first"] != "-" {
				t.Errorf("the gap as drawn: %v (%v)", gap, err)
			}
		}
		if rec := get(t, h, "/api/v1/metrics?weeks=26"); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"covered_from": "2025-11-04T12:00:00Z"`) {
			t.Errorf("/api/v1/metrics?weeks=26: %d %s", rec.Code, rec.Body)
		}
		screenshot(t, ctx, "overview-fresh-install")

		// The measure page: no verdict against the period before the
		// history, a breakdown without changes, and the gap on its trend.
		open(t, ctx, w, srv.URL+"/measures/deployment-frequency?weeks=26")
		m, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]string](`(() => {
			const d = document.querySelector('[data-testid="change"] [data-testid="delta"]');
			const row = document.querySelector('[data-testid="breakdown-repo"] tbody tr');
			return {verdict: d.querySelector('[data-testid="delta-verdict"]').textContent, change: d.querySelector('.delta-change').textContent.trim(),
				color: getComputedStyle(d).color, breakdown: row ? row.cells[3].textContent.trim() : "no breakdown",
				band: typeof echarts === 'undefined' ? 'no data' : (echarts.getInstanceByDom(document.querySelector('[data-testid="trend"] [data-chart]')).getOption().series.find(s => s.id === 'no-data-0') || {markArea: {data: [[{name: ''}]]}}).markArea.data[0][0].name};
		})()`))
		if err != nil || m["verdict"] != metrics.VerdictNotEnoughHistory || strings.ContainsAny(m["change"], "▲▼%") || m["color"] != colors["none"] ||
			m["breakdown"] != render.Dash || m["band"] != "no data" {
			t.Errorf("the fresh install's deployment frequency page: %v (%v)", m, err)
		}
		screenshot(t, ctx, "measure-fresh-install")

		// The weekly review: a week whose 4 weeks before reach before the
		// history judges nothing; the last week, inside it, does.
		for week, notJudged := range map[string]bool{"2025-11-17": true, "2026-02-23": false} {
			open(t, ctx, w, srv.URL+"/weekly?week="+week)
			verdicts, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('[data-testid="weekly-keys-table"] tbody tr')].map(r => r.cells[4].textContent.trim())`))
			if err != nil || len(verdicts) != 8 {
				t.Fatalf("week %s: verdicts %q (%v)", week, verdicts, err)
			}
			for _, v := range verdicts {
				if (v == metrics.VerdictNotEnoughHistory) != notJudged {
					t.Errorf("week %s: %q", week, verdicts)
					break
				}
			}
			// The Copy summary says the same.
			summary, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('[data-testid="copy-summary"]').dataset.copyText`))
			if err != nil || strings.Contains(summary, metrics.VerdictNotEnoughHistory) != notJudged {
				t.Errorf("week %s: the summary says %q (%v)", week, summary, err)
			}
		}

		// On a phone the fresh install's pages fit, their gap and notes
		// included.
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 1700, chromedp.EmulateScale(2), chromedp.EmulateMobile)); err != nil {
			t.Fatal(err)
		}
		for _, path := range []string{"/?weeks=26", "/weekly?week=2025-11-17", "/measures/deployment-frequency?weeks=26"} {
			open(t, ctx, w, srv.URL+path)
			fits, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth <= 390 && !!document.querySelector('[data-testid="history-note"]')`))
			if err != nil || !fits {
				t.Errorf("%s at 390 px: wider than the screen, or no history note (%v)", path, err)
			}
		}
	})
}
