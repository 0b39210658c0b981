package web_test

import (
	"context"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The measure pages in Chromium: a click on a week of a chart lists that
// week's rows; from the overview's change failure rate, two clicks reach
// the failed deployments that moved it and their incidents; every chart
// has a legend, a unit on each axis, labels kept inside it and decisions
// drawn behind the bars, at 1360 and 390 pixels wide; part weeks are
// shaded. With TACH_SCREENSHOTS=DIR the lead time and change failure rate
// pages are saved 390 pixels wide (the 1360 ones are TestBrowser's).
func TestBrowserMeasures(t *testing.T) {
	b := browser(t)
	srv, host, charts := demoServer(t)
	if !charts {
		t.Skip("ECharts is not embedded (run `make assets`): the measure pages' charts cannot be clicked")
	}
	shots := os.Getenv("TACH_SCREENSHOTS")
	// measureTab is a new tab with a viewport width pixels wide.
	measureTab := func(t *testing.T, width int64) (context.Context, *watcher) {
		t.Helper()
		ctx, w := tab(t, b, host)
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, 1700)); err != nil {
			t.Fatal(err)
		}
		return ctx, w
	}
	load := func(t *testing.T, ctx context.Context, path string) {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+path)); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](chartsDrawn, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
			t.Fatalf("%s: charts did not draw: %v", path, err)
		}
	}
	// follow does what leads to another page (a click) and waits for that
	// page to load. (The click's own wait may end in the page it left:
	// what counts is that the new one loads.)
	follow := func(t *testing.T, ctx context.Context, click chromedp.Action[chromedp.Void]) {
		t.Helper()
		before, err := chromedp.Run(ctx, chromedp.Location())
		if err != nil {
			t.Fatal(err)
		}
		clickErr := chromedp.Do(ctx, click)
		loaded := `location.href !== ` + strconv.Quote(before) + ` && document.readyState === 'complete'`
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			// Asked while the page changes, the question may find no page.
			if done, err := chromedp.Run(ctx, chromedp.Evaluate[bool](loaded)); err == nil && done {
				return
			}
		}
		t.Fatalf("no new page after the click (%v)", clickErr)
	}
	location := func(t *testing.T, ctx context.Context) *url.URL {
		t.Helper()
		loc, err := chromedp.Run(ctx, chromedp.Location())
		if err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse(loc)
		return u
	}

	t.Run("a click on a week lists its rows", func(t *testing.T) {
		ctx, w := measureTab(t, 1360)
		load(t, ctx, "/measures/change-failure-rate?weeks=26")
		// The page point of the middle of the 20th week's column, low in
		// the plot (a click anywhere in the column counts).
		pt, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](`(() => {
			const el = document.querySelector('[data-testid="trend"] [data-chart]');
			el.scrollIntoView({block: 'center'});
			const chart = echarts.getInstanceByDom(el);
			const x = chart.convertToPixel({xAxisIndex: 0}, 19);
			const y = chart.convertToPixel({yAxisIndex: 0}, 0);
			const r = el.getBoundingClientRect();
			return [r.left + x, r.top + y - 10];
		})()`))
		if err != nil || len(pt) != 2 {
			t.Fatalf("where the week is: %v %v", pt, err)
		}
		want, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`JSON.parse(document.querySelector('[data-testid="trend"] [data-chart]').dataset.links)[19]`))
		follow(t, ctx, chromedp.MouseClickXY(pt[0], pt[1]))
		u := location(t, ctx)
		wantURL, _ := url.Parse(want)
		if u.Query().Get("week") == "" || u.Query().Get("week") != wantURL.Query().Get("week") || u.Query().Get("weeks") != "26" {
			t.Fatalf("after the click: %s; want the 20th week's link %s", u, want)
		}
		shown, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('[data-testid="shown-week"]').innerText`))
		if !strings.Contains(shown, "The week of") {
			t.Errorf("the shown week says %q", shown)
		}
		// The rows are that week's.
		week, _ := time.Parse(time.DateOnly, u.Query().Get("week"))
		finished, _ := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('[data-testid="section-failed"] tbody tr td:first-child')].map(td => td.textContent.trim())`))
		for _, f := range finished {
			at, err := time.Parse("2006-01-02 15:04", f)
			if err != nil || at.Before(week) || !at.Before(week.AddDate(0, 0, 7)) {
				t.Errorf("a failed deployment of %q listed for the week of %s", f, week.Format(time.DateOnly))
			}
		}
		// "The whole window" goes back.
		follow(t, ctx, chromedp.Click(chromedp.CSS(`[data-testid="whole-window"]`)))
		if u := location(t, ctx); u.Query().Get("week") != "" {
			t.Errorf("the whole window is %s", u)
		}
		noProblems(t, w)
	})

	t.Run("two clicks from the change failure rate to its failed deployments and incidents", func(t *testing.T) {
		ctx, w := measureTab(t, 1360)
		load(t, ctx, "/?weeks=26")
		// 1: the change failure rate card, where its change is shown.
		follow(t, ctx, chromedp.Click(chromedp.CSS(`[data-testid="card-change_failure_rate"] .card-title a`)))
		if u := location(t, ctx); u.Path != "/measures/change-failure-rate" {
			t.Fatalf("the card leads to %s", u)
		}
		// The page says the change, with both sides' counts, and which repo
		// moved it most.
		change, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('[data-testid="changes"]').innerText`))
		if !strings.Contains(change, " of ") {
			t.Errorf("the change against the period before: %q", change)
		}
		repo, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('[data-testid="breakdown-repo"] tbody tr:nth-child(2) a').textContent`))
		// 2: that repo.
		follow(t, ctx, chromedp.Click(chromedp.CSS(`[data-testid="breakdown-repo"] tbody tr:nth-child(2) a`)))
		if u := location(t, ctx); u.Query().Get("repo") != repo || u.Query().Get("weeks") != "26" {
			t.Fatalf("the repo leads to %s", u)
		}
		// Its failed deployments are listed, each with its incidents (or
		// the rollback), each a link.
		type row struct {
			Repo      string `json:"repo"`
			Incidents int    `json:"incidents"`
			Rollback  bool   `json:"rollback"`
		}
		rows, err := chromedp.Run(ctx, chromedp.Evaluate[[]row](`[...document.querySelectorAll('[data-testid="section-failed"] tbody tr')].map(tr => ({
			repo: tr.children[1].textContent.trim(),
			incidents: tr.children[5].querySelectorAll('.cell-items a').length,
			rollback: !!tr.children[5].querySelector('a[href*="#deployment-"]') || !!tr.children[6].querySelector('a[href*="#deployment-"]'),
		}))`))
		if err != nil || len(rows) == 0 {
			t.Fatalf("no failed deployment listed for %s: %v", repo, err)
		}
		incidents := 0
		for _, r := range rows {
			if r.Repo != repo {
				t.Errorf("a failed deployment of %s on %s's page", r.Repo, repo)
			}
			if r.Incidents == 0 && !r.Rollback {
				t.Errorf("a failed deployment of %s lists neither its incidents nor its rollback", r.Repo)
			}
			incidents += r.Incidents
		}
		if incidents == 0 {
			t.Error("no incident listed under the failed deployments")
		}
		noProblems(t, w)
	})

	// Every chart of every measure page, at both widths: a legend, a name
	// (its unit) on every value axis kept inside the chart, labels inside
	// the grid, decisions behind the bars with their numbers above the
	// plot, and nothing wider than the page.
	checkCharts := func(t *testing.T, ctx context.Context, path string) {
		t.Helper()
		problems, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`(() => {
			const out = [];
			document.querySelectorAll('[data-chart]').forEach(el => {
				const o = echarts.getInstanceByDom(el).getOption();
				const id = el.id;
				if (id.startsWith('chart-spark-')) return; // a card's sparkline: a trend, no axes by design
				if (!o.legend || !o.legend.length || o.legend[0].show === false) out.push(id + ': no legend');
				(o.grid || []).forEach(g => { if (!g.containLabel) out.push(id + ': labels may be cut'); });
				(o.yAxis || []).forEach((a, i) => {
					if (!a.name) out.push(id + ': y axis ' + i + ' has no unit');
					if (!a.nameTextStyle || !a.nameTextStyle.align) out.push(id + ': y axis ' + i + ' name may be cut');
				});
				(o.series || []).forEach(s => {
					if (s.markLine && s.markLine.data && s.markLine.data.length) {
						if (!String(s.id).startsWith('decisions-')) out.push(id + ': a decision drawn on series ' + s.name);
						if (s.markLine.z >= 2) out.push(id + ': decisions drawn over the bars');
						if (s.markLine.label.position !== 'end') out.push(id + ': decision labels inside the plot');
						if (s.markLine.label.width) out.push(id + ': decision labels cut to a width');
					}
				});
				const r = el.getBoundingClientRect();
				if (r.right > document.documentElement.clientWidth + 1) out.push(id + ': wider than the page');
			});
			const drawn = [...document.querySelectorAll('[data-chart]')].some(el =>
				(echarts.getInstanceByDom(el).getOption().series || []).some(s => String(s.id).startsWith('decisions-')));
			if (drawn && !document.querySelector('[data-testid="chart-marks"]')) out.push('decisions drawn but not named');
			return out;
		})()`))
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range problems {
			t.Errorf("%s: %s", path, p)
		}
	}
	for _, width := range []int64{1360, 390} {
		t.Run("charts at "+map[int64]string{1360: "1360", 390: "390"}[width]+" px", func(t *testing.T) {
			ctx, w := measureTab(t, width)
			for _, slug := range []string{"deployment-frequency", "lead-time", "change-failure-rate", "recovery-time", "rework-rate", "cycle-time", "throughput", "pr-size", "ci"} {
				path := "/measures/" + slug + "?weeks=26"
				load(t, ctx, path)
				checkCharts(t, ctx, path)
			}
			if width == 390 && shots != "" {
				for _, slug := range []string{"lead-time", "change-failure-rate"} {
					load(t, ctx, "/measures/"+slug+"?weeks=26")
					png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
					if err == nil {
						err = os.WriteFile(shots+"/measure-"+slug+"-390.png", png, 0o644)
					}
					if err != nil {
						t.Fatal(err)
					}
				}
			}
			noProblems(t, w)
		})
	}

	// The same on a database synced with a short history (freshHandler:
	// 120 days of a fake GitHub): every chart of the overview and the
	// measure pages over 26 weeks, most of them before the history, keeps
	// its legend, units and labels, beside its "no data" band.
	t.Run("charts on a fresh install", func(t *testing.T) {
		fresh := httptest.NewServer(freshHandler(t))
		t.Cleanup(fresh.Close)
		ctx, w := tab(t, b, strings.TrimPrefix(fresh.URL, "http://"))
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(1360, 1700)); err != nil {
			t.Fatal(err)
		}
		for _, path := range []string{"/?weeks=26", "/measures/deployment-frequency?weeks=26", "/measures/lead-time?weeks=26",
			"/measures/change-failure-rate?weeks=26", "/measures/cycle-time?weeks=26", "/measures/throughput?weeks=26", "/measures/ci?weeks=26"} {
			if err := chromedp.Do(ctx, chromedp.Navigate(fresh.URL+path)); err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			if _, err := chromedp.Run(ctx, chromedp.Poll[bool](chartsDrawn, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
				t.Fatalf("%s: charts did not draw: %v", path, err)
			}
			checkCharts(t, ctx, path)
			band, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`[...document.querySelectorAll('[data-chart]')].some(el =>
				(echarts.getInstanceByDom(el).getOption().series || []).some(s => s.id === 'no-data-0'))`))
			if err != nil || !band {
				t.Errorf("%s: no chart shades the weeks before the history (%v)", path, err)
			}
		}
		noProblems(t, w)
	})

	t.Run("part weeks are shaded", func(t *testing.T) {
		ctx, w := measureTab(t, 1360)
		// Thursday 1 January to Sunday 1 February: a part week at each end.
		load(t, ctx, "/measures/change-failure-rate?from=2026-01-01&to=2026-02-01")
		shades, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`(() => {
			const o = echarts.getInstanceByDom(document.querySelector('[data-testid="trend"] [data-chart]')).getOption();
			return o.xAxis[0].splitArea.areaStyle.color;
		})()`))
		if err != nil || len(shades) != 5 {
			t.Fatalf("the weeks' shades %v %v", shades, err)
		}
		for i, c := range shades {
			if part := i == 0 || i == 4; part == (c == "transparent") || c == "part-week" {
				t.Errorf("week %d is shaded %q", i, c)
			}
		}
		checkCharts(t, ctx, "part weeks")
		noProblems(t, w)
	})
}
