package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/tach-dev/tach/metrics"
	"github.com/tach-dev/tach/metrics/review"
	"github.com/tach-dev/tach/store/storetest"
)

// measureJSON is what these tests read of /api/v1/measures/{measure}.
type measureJSON struct {
	Summary json.RawMessage `json:"summary"`
	Weekly  []struct {
		Week    string              `json:"week"`
		Partial bool                `json:"partial"`
		End     string              `json:"end"`
		Values  map[string]*float64 `json:"values"`
	} `json:"weekly"`
	Week      *metrics.Period     `json:"week"`
	Breakdown []metrics.Breakdown `json:"breakdown"`
	Rows      map[string][]struct {
		ID         int64      `json:"id"`
		Repo       string     `json:"repo"`
		FinishedAt *time.Time `json:"finished_at"`
		Failed     bool       `json:"failed"`
		Changes    []struct {
			Number int64 `json:"number"`
			Bot    bool  `json:"bot"`
		} `json:"changes"`
		Incidents []struct {
			Number int64 `json:"number"`
		} `json:"incidents"`
		RolledBackBy *struct {
			SHA string `json:"sha"`
		} `json:"rolled_back_by"`
	} `json:"rows"`
}

func getMeasure(t *testing.T, h http.Handler, target string) measureJSON {
	t.Helper()
	rec := get(t, h, target)
	if rec.Code != http.StatusOK {
		t.Fatalf("%s: %d %s", target, rec.Code, rec.Body)
	}
	var m measureJSON
	if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
		t.Fatalf("%s: %v", target, err)
	}
	return m
}

func getReport(t *testing.T, h http.Handler, target string) metrics.Report {
	t.Helper()
	var rep metrics.Report
	rec := get(t, h, target)
	if err := json.Unmarshal(rec.Body.Bytes(), &rep); err != nil || rec.Code != http.StatusOK {
		t.Fatalf("%s: %d %v", target, rec.Code, err)
	}
	return rep
}

func show(p *float64) string {
	if p == nil {
		return "null"
	}
	return fmt.Sprintf("%.6g", *p)
}

// The change failure rate's breakdown: the whole is the page's figure and
// the report of the period before; each repo's row is that repo's report
// in both periods; effects are the whole's change minus the change
// without the repo — all recomputable from the reports.
func TestMeasureBreakdownExplainsTheChange(t *testing.T) {
	h := newHandler(t)
	m := getMeasure(t, h, "/api/v1/measures/change-failure-rate?weeks=26")
	if len(m.Breakdown) != 1 || m.Breakdown[0].Figure != metrics.FigureChangeFailureRate {
		t.Fatalf("breakdown %+v", m.Breakdown)
	}
	b := m.Breakdown[0]
	var summary metrics.ChangeFailureRate
	if err := json.Unmarshal(m.Summary, &summary); err != nil {
		t.Fatal(err)
	}
	if show(b.Total.Current.Value) != show(summary.Rate) || *b.Total.Current.K != summary.Failed || b.Total.Current.N != summary.Deployments {
		t.Errorf("the whole this period %+v; the page says %d of %d", b.Total.Current, summary.Failed, summary.Deployments)
	}
	window := func(p metrics.Period) string { return "from=" + p.From + "&to=" + p.To }
	if b.Current.From != "2025-09-01" || b.Previous.To != b.Current.From {
		t.Errorf("periods %+v against %+v; want 26 weeks to 2026-03-02 against the 26 before", b.Current, b.Previous)
	}
	byRepo := b.By[0]
	if byRepo.Dimension != metrics.DimensionRepo || len(byRepo.Rows) != 5 {
		t.Fatalf("by %+v, want the 5 demo repos first", b.By)
	}
	var total, wholeChange float64
	wholeChange = *b.Total.Change
	for _, row := range byRepo.Rows {
		for _, side := range []struct {
			got    metrics.BreakdownSide
			period metrics.Period
		}{{row.Current, b.Current}, {row.Previous, b.Previous}} {
			rep := getReport(t, h, "/api/v1/metrics?repo="+url.QueryEscape(row.Name)+"&"+window(side.period))
			cfr := rep.ChangeFailureRate
			if show(side.got.Value) != show(cfr.Rate) || *side.got.K != cfr.Failed || side.got.N != cfr.Deployments {
				t.Errorf("%s %v: %+v; its report says %d of %d", row.Name, side.period, side.got, cfr.Failed, cfr.Deployments)
			}
		}
		// Without the repo: the whole's counts less its own.
		restNow := float64(*b.Total.Current.K-*row.Current.K) / float64(b.Total.Current.N-row.Current.N)
		restBefore := float64(*b.Total.Previous.K-*row.Previous.K) / float64(b.Total.Previous.N-row.Previous.N)
		if want := wholeChange - (restNow - restBefore); row.Effect == nil || fmt.Sprintf("%.9f", *row.Effect) != fmt.Sprintf("%.9f", want) {
			t.Errorf("%s effect %v, want %.6f", row.Name, show(row.Effect), want)
		}
		total += float64(row.Current.N)
	}
	if int(total) != summary.Deployments {
		t.Errorf("the repos' deployments add up to %v, the page's to %d", total, summary.Deployments)
	}

	// The page shows the change with both sides' counts, and the tables.
	doc := parse(t, get(t, h, "/measures/change-failure-rate?weeks=26").Body.String())
	change := doc.Find(`[data-testid="changes"] [data-testid="change"]`).Text()
	if want := fmt.Sprintf("(%d of %d)", summary.Failed, summary.Deployments); !strings.Contains(change, want) || !strings.Contains(change, fmt.Sprintf("(%d of %d)", *b.Total.Previous.K, b.Total.Previous.N)) {
		t.Errorf("change against the period before %q: want both sides' counts", change)
	}
	if rows := doc.Find(`[data-testid="breakdown"] [data-testid="breakdown-repo"] tbody tr`); rows.Length() != 6 {
		t.Errorf("the breakdown by repo has %d rows, want the whole and 5 repos", rows.Length())
	}
	// A repo's name leads to the page of that repo alone.
	href, _ := doc.Find(`[data-testid="breakdown-repo"] tbody tr:nth-child(2) a`).Attr("href")
	if u, err := url.Parse(href); err != nil || u.Path != "/measures/change-failure-rate" || u.Query().Get("repo") != byRepo.Rows[0].Name || u.Query().Get("weeks") != "26" {
		t.Errorf("the first repo links to %q", href)
	}
}

// Every measure page has its breakdown and its change, and each figure's
// whole is the page's own report's.
func TestEveryMeasureHasItsBreakdown(t *testing.T) {
	storetest.Long(t)
	h := newHandler(t)
	for _, slug := range []string{"deployment-frequency", "lead-time", "change-failure-rate", "recovery-time", "rework-rate", "cycle-time", "throughput", "pr-size", "ci"} {
		m := getMeasure(t, h, "/api/v1/measures/"+slug+"?weeks=26")
		want := 1
		if slug == "cycle-time" {
			want = 4
		}
		if len(m.Breakdown) != want {
			t.Errorf("%s: %d figures explained, want %d", slug, len(m.Breakdown), want)
			continue
		}
		if m.Breakdown[0].Total.Current.N == 0 {
			t.Errorf("%s: the breakdown counts nothing this period: %+v", slug, m.Breakdown[0].Total)
		}
		doc := parse(t, get(t, h, "/measures/"+slug+"?weeks=26").Body.String())
		if n := doc.Find(`[data-testid="change"]`).Length(); n != want {
			t.Errorf("%s: %d changes against the period before, want %d", slug, n, want)
		}
		if doc.Find(`[data-testid="breakdown"] details[open]`).Length() < 1 {
			t.Errorf("%s: no open breakdown", slug)
		}
	}
}

// A week of the trend: each week is a link (the charts' clicks go there),
// and the page with week= lists only that week's rows and breaks that
// week down against the 4 weeks before it.
func TestMeasureWeekShowsThatWeeksRows(t *testing.T) {
	storetest.Long(t)
	h := newHandler(t)
	whole := getMeasure(t, h, "/api/v1/measures/change-failure-rate?weeks=26")
	var week string
	for _, w := range whole.Weekly {
		if v := w.Values["failed"]; v != nil && *v > 0 {
			week = w.Week // a week with a failure
		}
	}
	if week == "" {
		t.Fatal("no week of 26 with a failed deployment")
	}
	doc := parse(t, get(t, h, "/measures/change-failure-rate?weeks=26").Body.String())
	links := doc.Find(`[data-testid="week-links"] a`)
	if links.Length() != 26 {
		t.Errorf("%d week links, want 26", links.Length())
	}
	var href string
	links.Each(func(_ int, a *goquery.Selection) {
		if h, _ := a.Attr("href"); strings.Contains(h, "week="+week) {
			href = h
		}
	})
	if href == "" || !strings.HasSuffix(href, "#week") {
		t.Fatalf("no link to the week of %s: %q", week, href)
	}
	opt, _ := doc.Find(`[data-testid="trend"] [data-testid="chart"]`).Attr("data-links")
	if !strings.Contains(opt, "week="+week) {
		t.Errorf("the trend's clicks do not lead to the week's link: %s", opt)
	}

	m := getMeasure(t, h, "/api/v1/measures/change-failure-rate?weeks=26&week="+week)
	start, _ := time.Parse(time.DateOnly, week)
	end := start.AddDate(0, 0, 7)
	if m.Week == nil || m.Week.From != week || m.Week.To != end.Format(time.DateOnly) {
		t.Errorf("week %+v, want %s", m.Week, week)
	}
	failed := m.Rows["failed"]
	if len(failed) == 0 {
		t.Fatal("no failed deployment listed in the week")
	}
	for _, d := range failed {
		if d.FinishedAt.Before(start) || !d.FinishedAt.Before(end) {
			t.Errorf("deployment %d finished %v, outside the week of %s", d.ID, d.FinishedAt, week)
		}
	}
	if len(failed) >= len(getMeasure(t, h, "/api/v1/measures/change-failure-rate?weeks=26").Rows["failed"]) {
		t.Errorf("the week lists %d failed deployments, no fewer than the window", len(failed))
	}
	b := m.Breakdown[0]
	if b.Current != (metrics.Period{From: week, To: end.Format(time.DateOnly)}) || b.Previous.From != start.AddDate(0, 0, -7*review.BaselineWeeks).Format(time.DateOnly) {
		t.Errorf("the week's breakdown compares %+v with %+v; want the week with the %d before", b.Current, b.Previous, review.BaselineWeeks)
	}
	doc = parse(t, get(t, h, "/measures/change-failure-rate?weeks=26&week="+week).Body.String())
	if doc.Find(`#week[data-testid="shown-week"]`).Length() != 1 || doc.Find(`[data-testid="week-links"] a[aria-current]`).Length() != 1 {
		t.Error("the shown week is not said, or not marked among the weeks")
	}
	// The links to the other measures keep the week.
	if href, _ := doc.Find(`[data-testid="measure-nav"] a`).First().Attr("href"); !strings.Contains(href, "week="+week) {
		t.Errorf("measure link %q drops the week", href)
	}
	// A week outside the window is refused, saying which window.
	rec := get(t, h, "/measures/change-failure-rate?weeks=4&week=2025-06-04")
	if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "outside the window") {
		t.Errorf("a week outside the window: %d", rec.Code)
	}
}

// A window that does not start on a Monday keeps its part weeks: the
// first and last weeks of the series are marked partial, and the weeks'
// failures add up to the window's.
func TestPartWeeksAreInTheCharts(t *testing.T) {
	h := newHandler(t)
	m := getMeasure(t, h, "/api/v1/measures/change-failure-rate?from=2026-01-01&to=2026-02-01")
	var summary metrics.ChangeFailureRate
	if err := json.Unmarshal(m.Summary, &summary); err != nil {
		t.Fatal(err)
	}
	if len(m.Weekly) != 5 || !m.Weekly[0].Partial || m.Weekly[0].Week != "2026-01-01" || m.Weekly[0].End != "2026-01-05" || !m.Weekly[4].Partial || m.Weekly[4].End != "2026-02-01" {
		t.Fatalf("weeks %+v; want Thu 1 Jan – Mon 5 Jan (part), three whole weeks, Mon 26 Jan – Sun 1 Feb (part)", m.Weekly)
	}
	failed := 0.0
	for _, w := range m.Weekly {
		if w.Partial != (w.Week == "2026-01-01" || w.Week == "2026-01-26") {
			t.Errorf("week %s partial %t", w.Week, w.Partial)
		}
		if v := w.Values["failed"]; v != nil {
			failed += *v
		}
	}
	if int(failed) != summary.Failed {
		t.Errorf("the weeks hold %v failed deployments, the window %d", failed, summary.Failed)
	}
	body := get(t, h, "/measures/change-failure-rate?from=2026-01-01&to=2026-02-01").Body.String()
	doc := parse(t, body)
	if !strings.Contains(doc.Find(`[data-testid="trend"] .chart-note`).Text(), "part week") || !strings.Contains(body, `"part-week"`) {
		t.Error("the trend does not shade and name its part weeks")
	}
	if n := doc.Find(`[data-testid="trend"] [data-testid="chart-data"] .tag`).Length(); n != 2 {
		t.Errorf("%d weeks tagged part in the trend's table, want 2", n)
	}
}

// A deployment lists every change it shipped, people's before bots', and
// a rolled-back one links to the row of the rollback that replaced it.
func TestDeploymentRowsListEveryChange(t *testing.T) {
	storetest.Long(t)
	h := newHandler(t)
	m := getMeasure(t, h, "/api/v1/measures/deployment-frequency?weeks=52")
	many, mixed := false, false
	for _, d := range m.Rows["deployments"] {
		if len(d.Changes) > 2 {
			many = true
		}
		seenBot := false
		for _, c := range d.Changes {
			if c.Bot {
				seenBot = true
			} else if seenBot {
				t.Errorf("deployment %d lists a person's change after a bot's: %+v", d.ID, d.Changes)
			}
		}
		if seenBot && !d.Changes[0].Bot {
			mixed = true
		}
	}
	if !many || !mixed {
		t.Errorf("no deployment with more than 2 changes (%t), or with people's and bots' (%t): the check checks nothing", many, mixed)
	}
	doc := parse(t, get(t, h, "/measures/deployment-frequency?weeks=52").Body.String())
	rows := doc.Find(`[data-testid="section-deployments"] tbody tr`)
	listed := 0
	rows.Each(func(_ int, tr *goquery.Selection) {
		id, _ := tr.Attr("id")
		if !strings.HasPrefix(id, "deployment-") {
			t.Errorf("a deployment row has id %q", id)
		}
		listed += tr.Find(`.cell-items li`).Length()
	})
	if listed == 0 || strings.Contains(doc.Find(`[data-testid="section-deployments"]`).Text(), "more)") {
		t.Errorf("%d changes and incidents listed in the deployments' cells, or some hidden behind \"+N more\"", listed)
	}

	// A rolled-back deployment of the change failure rate page links to
	// its rollback's row in the deployments list, which has that row.
	doc = parse(t, get(t, h, "/measures/change-failure-rate?weeks=52").Body.String())
	var rollback string
	doc.Find(`[data-testid="section-failed"] a`).EachWithBreak(func(_ int, a *goquery.Selection) bool {
		href, _ := a.Attr("href")
		if strings.HasPrefix(href, "/deployments?") && strings.Contains(href, "#deployment-") {
			rollback = href
			return false
		}
		return true
	})
	if rollback == "" {
		t.Fatal("no failed deployment links to the rollback that replaced it")
	}
	path, anchor, _ := strings.Cut(rollback, "#")
	if parse(t, get(t, h, path).Body.String()).Find("tr#"+anchor).Length() != 1 {
		t.Errorf("%s has no row %s", path, anchor)
	}
}

// Each key of the weekly review links to its measure page over the
// reviewed week and the 4 before, showing the week's rows; that page's
// breakdown of the week is the review's row: this week and the weeks
// before, the same numbers.
func TestWeeklyKeysLinkToTheirBreakdown(t *testing.T) {
	storetest.Long(t)
	h := newHandler(t)
	var rev review.Review
	if err := json.Unmarshal(get(t, h, "/api/v1/weekly").Body.Bytes(), &rev); err != nil {
		t.Fatal(err)
	}
	doc := parse(t, get(t, h, "/weekly").Body.String())
	links := doc.Find(`[data-testid="weekly-keys-table"] tbody tr td:first-child a`)
	if links.Length() != len(rev.Keys) {
		t.Fatalf("%d of %d key rows link to their measure", links.Length(), len(rev.Keys))
	}
	links.Each(func(i int, a *goquery.Selection) {
		href, _ := a.Attr("href")
		u, err := url.Parse(href)
		if err != nil || u.Fragment != "breakdown" || u.Query().Get("week") != rev.Week.From {
			t.Errorf("%s links to %q", rev.Keys[i].Name, href)
			return
		}
		m := getMeasure(t, h, "/api/v1"+u.Path+"?"+u.RawQuery)
		k := rev.Keys[i]
		var b metrics.Breakdown
		for _, bd := range m.Breakdown {
			if string(bd.Figure) == k.Key || k.Key == metrics.KeyDeploymentFrequency && bd.Figure == metrics.FigureDeploymentsPerWeek ||
				k.Key == metrics.KeyThroughput && bd.Figure == metrics.FigureMergedPerWeek {
				b = bd
			}
		}
		if b.Figure == "" {
			t.Errorf("%s: no breakdown of its figure on %s", k.Name, href)
			return
		}
		if show(b.Total.Current.Value) != show(k.Value) || show(b.Total.Previous.Value) != show(k.Baseline) {
			t.Errorf("%s: the review says %s against %s, its breakdown %s against %s", k.Name, show(k.Value), show(k.Baseline), show(b.Total.Current.Value), show(b.Total.Previous.Value))
		}
	})
}
