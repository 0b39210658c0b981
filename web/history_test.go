package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/tach-dev/tach/metrics"
	"github.com/tach-dev/tach/metrics/impact"
	"github.com/tach-dev/tach/metrics/render"
	"github.com/tach-dev/tach/metrics/review"
	"github.com/tach-dev/tach/store/storetest"
)

// The first sync of a fresh install records where its history starts:
// its present less sync.history.
func TestFreshInstallHistoryStart(t *testing.T) {
	st, _, _ := freshInstall(t)
	r, err := st.RepoByName(context.Background(), "acme/api")
	if err != nil {
		t.Fatal(err)
	}
	if want := freshNow.Add(-freshHistory); !r.HistoryStart.Equal(want) {
		t.Fatalf("history start %v, want the first sync's now − sync.history, %v", r.HistoryStart, want)
	}
}

// The overview of a fresh install: its 12 weeks are inside the synced
// history, the 12 weeks before are not, so no change against them is
// judged or shown, and the page says why.
func TestFreshInstallOverviewJudgesNothing(t *testing.T) {
	h := freshHandler(t)
	var api struct {
		Report   metrics.Report          `json:"report"`
		Previous *metrics.PartialHistory `json:"previous_partial_history"`
		Widgets  struct {
			Keys []metrics.KeyComparison `json:"keys"`
		} `json:"widgets"`
	}
	rec := get(t, h, "/api/v1/overview")
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &api); err != nil {
		t.Fatal(err)
	}
	if api.Report.PartialHistory != nil {
		t.Errorf("the window is inside the history, yet partial: %+v", api.Report.PartialHistory)
	}
	if api.Previous == nil || len(api.Previous.Repos) != 1 || api.Previous.Repos[0].Repo != "acme/api" {
		t.Errorf("previous period's partial history %+v, want acme/api's", api.Previous)
	}
	if api.Report.DeploymentFrequency.Deployments == 0 || len(api.Widgets.Keys) != 5 {
		t.Fatalf("%d deployments, %d keys: the fixture synced nothing", api.Report.DeploymentFrequency.Deployments, len(api.Widgets.Keys))
	}
	for _, k := range api.Widgets.Keys {
		if k.Verdict != metrics.VerdictNotEnoughHistory || k.Direction != "" || k.Diff != nil || k.Relative != nil {
			t.Errorf("%s: verdict %q, direction %q, diff %v: a change against a period before the history is shown", k.Key, k.Verdict, k.Direction, k.Diff)
		}
	}

	doc := htmlDoc(t, h, "/")
	card := doc.Find(`[data-testid="card-deployment_frequency"]`)
	delta := card.Find(`[data-testid="delta"]`)
	if text := delta.Text(); strings.Contains(text, "%") || strings.Contains(text, "improved") || strings.Contains(text, "better") {
		t.Errorf("deployment frequency's change %q: the fake gain is shown", text)
	}
	if v := card.Find(`[data-testid="delta-verdict"]`).Text(); v != "not enough history" {
		t.Errorf("verdict %q", v)
	}
	if c := card.Find(`[data-testid="delta-counts"]`).Text(); !strings.Contains(c, "deployments in 12 weeks vs") {
		t.Errorf("counts %q: the counts behind both sides are always shown", c)
	}
	if note := doc.Find(`[data-testid="history-note"]`).Text(); !strings.Contains(note, "acme/api from 2025-11-04 12:00 UTC") {
		t.Errorf("history note %q", note)
	}

	// The card's measure page judges nothing either, says why as the
	// overview does, and its breakdown shows both periods' figures
	// without a change or an effect.
	href := card.Find(`a[href^="/measures/"]`).First().AttrOr("href", "")
	measureAgrees(t, h, "fresh install, "+href, href, api.Widgets.Keys[0])
	if note := htmlDoc(t, h, href).Find(`[data-testid="history-note"]`).Text(); !strings.Contains(note, "the period before is covered from 2025-11-04 12:00 UTC. Rates per week count only the weeks with data. No change against it is judged.") {
		t.Errorf("the measure page's history note %q", note)
	}
	var res struct {
		Breakdown []metrics.Breakdown     `json:"breakdown"`
		Window    *metrics.PartialHistory `json:"partial_history"`
		Previous  *metrics.PartialHistory `json:"previous_partial_history"`
	}
	if err := json.Unmarshal(get(t, h, "/api/v1"+href).Body.Bytes(), &res); err != nil || len(res.Breakdown) != 1 {
		t.Fatalf("the measure's breakdown: %v", err)
	}
	if res.Window != nil || res.Previous == nil || len(res.Previous.Repos) != 1 {
		t.Errorf("the measure's partial history: window %+v, period before %+v", res.Window, res.Previous)
	}
	bd := res.Breakdown[0]
	if bd.Total.Change != nil || bd.Total.Previous.N == 0 || len(bd.By) == 0 || bd.By[0].Rows[0].Change != nil || bd.By[0].Rows[0].Effect != nil {
		t.Errorf("the breakdown of a comparison reaching before the history shows a change: %+v", bd)
	}
}

// Over 26 weeks, the weeks before the history start have no values (never
// 0), the charts shade them as no data, and the report says which part of
// its window is covered.
func TestFreshInstallGap(t *testing.T) {
	h := freshHandler(t)
	rec := get(t, h, "/api/v1/metrics?weeks=26")
	var rep metrics.Report
	if err := json.Unmarshal(rec.Body.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	p := rep.PartialHistory
	if p == nil || p.CoveredFrom == nil || *p.CoveredFrom != "2025-11-04T12:00:00Z" || p.CoveredTo == nil || *p.CoveredTo != "2026-03-02T00:00:00Z" {
		t.Fatalf("partial_history %s", rec.Body.String()[strings.Index(rec.Body.String(), `"partial_history"`):])
	}

	var ov struct {
		Widgets struct {
			Throughput struct {
				Weeks  []string              `json:"weeks"`
				Series map[string][]*float64 `json:"series"`
			} `json:"throughput"`
		} `json:"widgets"`
	}
	if err := json.Unmarshal(get(t, h, "/api/v1/overview?weeks=26").Body.Bytes(), &ov); err != nil {
		t.Fatal(err)
	}
	weeks, deps := ov.Widgets.Throughput.Weeks, ov.Widgets.Throughput.Series["deployments"]
	if len(weeks) != 26 || len(deps) != 26 {
		t.Fatalf("%d weeks, %d values", len(weeks), len(deps))
	}
	for i, w := range weeks {
		// The history starts on Tuesday 4 November: the week of 3
		// November is partly before it.
		before := w <= "2025-11-03"
		if before && deps[i] != nil {
			t.Errorf("week of %s, before the history start: %v deployments, want null", w, *deps[i])
		}
		if !before && deps[i] == nil {
			t.Errorf("week of %s, inside the history: null", w)
		}
	}

	doc := htmlDoc(t, h, "/?weeks=26")
	var option map[string]any
	raw := doc.Find(`script#chart-overview-throughput-option`).Text()
	if err := json.Unmarshal([]byte(raw), &option); err != nil {
		t.Fatalf("throughput chart option: %v", err)
	}
	// One shaded band from the first week to the week of 3 November,
	// named in the legend.
	var band string
	for _, sr := range option["series"].([]any) {
		if m := sr.(map[string]any); m["id"] == "no-data-0" {
			area, _ := json.Marshal(m["markArea"].(map[string]any)["data"])
			band = string(area)
		}
	}
	// A legend without a list of names names every series.
	legend, _ := json.Marshal(option["legend"])
	if data, listed := option["legend"].(map[string]any)["data"]; listed && !strings.Contains(fmt.Sprint(data), "no data") {
		band = "not in the legend"
	}
	if band != `[[{"name":"no data","xAxis":"2025-09-01"},{"xAxis":"2025-11-03"}]]` {
		t.Errorf("the weeks before the history are not shaded as no data: %s, legend %s", band, legend)
	}
	if note := doc.Find(`[data-testid="history-note"]`).Text(); !strings.Contains(note, "this window is covered from 2025-11-04 12:00 UTC") {
		t.Errorf("history note %q", note)
	}

	// The rates are over the 16 weeks with data (from 10 November), not
	// the 26 of the window; the period before is no data, not zero.
	df := rep.DeploymentFrequency
	if df.Deployments == 0 || df.PerWeek == nil || math.Abs(*df.PerWeek-float64(df.Deployments)/16) > 1e-9 {
		t.Errorf("%d deployments at %v a week; want them over the 16 weeks with data", df.Deployments, df.PerWeek)
	}
	want := fmt.Sprintf("%d deployments in 16 weeks vs no data before", df.Deployments)
	if cards := doc.Find(`[data-testid="key-cards"]`).Text(); !strings.Contains(cards, want) {
		t.Errorf("the deployment frequency card does not say %q:\n%s", want, cards)
	}
}

// htmlDoc serves a page and parses it.
func htmlDoc(t *testing.T, h http.Handler, path string) *goquery.Document {
	t.Helper()
	rec := get(t, h, path)
	if rec.Code != http.StatusOK {
		t.Fatalf("%s: status %d", path, rec.Code)
	}
	doc, err := goquery.NewDocumentFromReader(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// Every verdict the overview and the weekly review print — on the page, in
// /weekly.md and in their JSON — is the compare engine's on the same
// periods (/api/v1/compare?period_a=…&period_b=…), with the same counts.
func TestVerdictsAreTheCompareEngines(t *testing.T) {
	storetest.Long(t)
	h := newHandler(t)
	judged := map[string]int{}
	check := func(where string, keys []metrics.KeyComparison, scope url.Values, a, b string) {
		t.Helper()
		q := url.Values{"period_a": {a}, "period_b": {b}}
		for k, v := range scope {
			q[k] = v
		}
		rec := get(t, h, "/api/v1/compare?"+q.Encode())
		var c impact.Comparison
		if err := json.Unmarshal(rec.Body.Bytes(), &c); err != nil || rec.Code != http.StatusOK {
			t.Fatalf("%s: compare %d %v", where, rec.Code, err)
		}
		for _, k := range keys {
			var m *impact.MeasureComparison
			for i := range c.Measures {
				if c.Measures[i].Key == impact.KeyMeasures(k.Key)[0] {
					m = &c.Measures[i]
				}
			}
			if m == nil {
				t.Fatalf("%s: no measure for %s", where, k.Key)
			}
			if k.Verdict != m.Verdict || k.N != m.NAfter || k.BaselineN != m.NBefore || render.KeyCounts(k) == "" {
				t.Errorf("%s, %s: %q (%s), compare: %q (%d vs %d)", where, k.Key, k.Verdict, render.KeyCounts(k), m.Verdict, m.NAfter, m.NBefore)
			}
			judged[k.Verdict]++
		}
	}
	// Every scope, window and week is checked, each scope on two windows
	// and two weeks (not all of them: the whole cross product took
	// minutes under the race detector and finds nothing more).
	windows := []url.Values{{}, {"weeks": {"8"}}, {"weeks": {"26"}}, {"from": {"2025-10-06"}, "to": {"2026-01-05"}}}
	weeks := []string{"2026-02-23", "2026-02-02", "2026-01-12", "2025-12-22"}
	for i, scope := range []url.Values{{}, {"team": {"checkout"}}, {"team": {"platform"}}, {"repo": {"acme/web"}},
		{"module": {"acme/shop-monolith:checkout", "acme/shop-monolith:payments"}, "repo": {"acme/web"}}} {
		for _, window := range []url.Values{windows[i%len(windows)], windows[(i+1)%len(windows)]} {
			q := url.Values{}
			for k, v := range scope {
				q[k] = v
			}
			for k, v := range window {
				q[k] = v
			}
			var ov struct {
				Report   metrics.Report `json:"report"`
				Previous struct{ From, To string }
				Widgets  struct {
					Keys []metrics.KeyComparison `json:"keys"`
				} `json:"widgets"`
			}
			if err := json.Unmarshal(get(t, h, "/api/v1/overview?"+q.Encode()).Body.Bytes(), &ov); err != nil {
				t.Fatal(err)
			}
			where := "overview?" + q.Encode()
			check(where, ov.Widgets.Keys, scope, ov.Previous.From+".."+ov.Previous.To, ov.Report.Scope.From+".."+ov.Report.Scope.To)
			doc := htmlDoc(t, h, "/?"+q.Encode())
			for _, k := range ov.Widgets.Keys {
				card := doc.Find(`[data-testid="card-` + k.Key + `"]`)
				if v, c := card.Find(`[data-testid="delta-verdict"]`).Text(), card.Find(`[data-testid="delta-counts"]`).Text(); v != k.Verdict || c != render.KeyCounts(k) {
					t.Errorf("%s: the %s card says %q (%s), its JSON %q", where, k.Key, v, c, k.Verdict)
				}
				// The card's measure page, same scope and window, judges
				// its headline the same.
				href := card.Find(`a[href^="/measures/"]`).First().AttrOr("href", "")
				measureAgrees(t, h, where+", "+href, href, k)
			}
		}
		for _, week := range []string{weeks[i%len(weeks)], weeks[(i+2)%len(weeks)]} {
			q := url.Values{"week": {week}}
			for k, v := range scope {
				q[k] = v
			}
			var rev review.Review
			if err := json.Unmarshal(get(t, h, "/api/v1/weekly?"+q.Encode()).Body.Bytes(), &rev); err != nil {
				t.Fatal(err)
			}
			where := "weekly?" + q.Encode()
			check(where, rev.Keys, scope, rev.Baseline.From+".."+rev.Baseline.To, rev.Week.From+".."+rev.Week.To)
			md := get(t, h, "/weekly.md?"+q.Encode()).Body.String()
			rows := htmlDoc(t, h, "/weekly?"+q.Encode()).Find(`[data-testid="weekly-keys-table"] tbody tr`)
			for i, k := range rev.Keys {
				if !strings.Contains(md, "| "+k.Name+" | ") || !strings.Contains(md, " | "+k.Verdict+" | "+render.KeyCounts(k)+" |") {
					t.Errorf("%s: /weekly.md does not say %s: %s (%s)", where, k.Name, k.Verdict, render.KeyCounts(k))
				}
				cells := rows.Eq(i).Find("td")
				if strings.TrimSpace(cells.Eq(4).Text()) != k.Verdict || strings.TrimSpace(cells.Eq(5).Text()) != render.KeyCounts(k) {
					t.Errorf("%s: the page's %s row says %q (%q)", where, k.Name, strings.TrimSpace(cells.Eq(4).Text()), strings.TrimSpace(cells.Eq(5).Text()))
				}
				// The row's link: the measure page over the week, its
				// breakdown judging the week as the review does.
				measureAgrees(t, h, where+", "+k.Name, cells.Eq(0).Find("a").AttrOr("href", ""), k)
			}
			// The Copy summary and the chat flavors say the same verdicts
			// with the same counts.
			summary := htmlDoc(t, h, "/weekly?"+q.Encode()).Find(`[data-testid="copy-summary"]`).AttrOr("data-copy-text", "")
			chats := map[string]string{"summary": summary}
			for _, f := range render.Flavors {
				chats[f] = get(t, h, "/weekly.md?"+q.Encode()+"&flavor="+f).Body.String()
			}
			for _, k := range rev.Keys {
				if !slices.Contains(metrics.DORAKeys, k.Key) {
					continue // the summary leads with the DORA keys
				}
				for name, text := range chats {
					if !strings.Contains(text, k.Verdict) || !strings.Contains(text, "("+render.KeyCounts(k)+")") {
						t.Errorf("%s: the %s does not say %s: %s (%s):\n%s", where, name, k.Name, k.Verdict, render.KeyCounts(k), text)
					}
				}
			}
		}
	}
	for _, v := range []string{impact.VerdictNoClearChange, impact.VerdictNotEnoughData, impact.VerdictImproved, impact.VerdictWorsened} {
		if judged[v] == 0 {
			t.Errorf("no key was judged %q: %v", v, judged)
		}
	}
}

// measureAgrees checks that the measure page at href (and its JSON) judges
// the change of its headline as k is judged: verdict and counts.
func measureAgrees(t *testing.T, h http.Handler, where, href string, k metrics.KeyComparison) {
	t.Helper()
	u, err := url.Parse(href)
	if err != nil || !strings.HasPrefix(u.Path, "/measures/") {
		t.Errorf("%s: no measure page link (%q)", where, href)
		return
	}
	var res struct {
		Changes []metrics.KeyComparison `json:"changes"`
	}
	if err := json.Unmarshal(get(t, h, "/api/v1"+u.Path+"?"+u.RawQuery).Body.Bytes(), &res); err != nil || len(res.Changes) == 0 {
		t.Errorf("%s: the measure's JSON has no judged change (%v)", where, err)
		return
	}
	c := res.Changes[0]
	if c.Key != k.Key || c.Verdict != k.Verdict || render.KeyCounts(c) != render.KeyCounts(k) {
		t.Errorf("%s: the measure page judges %s %q (%s), the summary %q (%s)", where, c.Key, c.Verdict, render.KeyCounts(c), k.Verdict, render.KeyCounts(k))
	}
	delta := htmlDoc(t, h, u.Path+"?"+u.RawQuery).Find(`[data-testid="delta"]`).First()
	if v, n := delta.Find(`[data-testid="delta-verdict"]`).Text(), delta.Find(`[data-testid="delta-counts"]`).Text(); v != k.Verdict || n != render.KeyCounts(k) {
		t.Errorf("%s: the measure page's headline says %q (%s), want %q (%s)", where, v, n, k.Verdict, render.KeyCounts(k))
	}
}
