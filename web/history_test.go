package web_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/tach-dev/tach/collectors"
	"github.com/tach-dev/tach/collectors/github"
	"github.com/tach-dev/tach/collectors/github/githubtest"
	"github.com/tach-dev/tach/metrics"
	"github.com/tach-dev/tach/metrics/engine"
	"github.com/tach-dev/tach/metrics/impact"
	"github.com/tach-dev/tach/metrics/render"
	"github.com/tach-dev/tach/metrics/review"
	"github.com/tach-dev/tach/store"
	"github.com/tach-dev/tach/web"
)

// A fresh install: a repo with a year of history at its provider, synced
// for the first time with sync.history of 120 days. Before the history
// fix, the overview compared its 12 weeks with the 12 before, most of
// which lay before the synced history, counted them as zero deployments,
// and called deployment frequency "▲ +140 % better".

// freshHistory is how far back the first sync reads.
const freshHistory = 120 * 24 * time.Hour

// freshNow is the present of the fresh install: a Wednesday noon.
var freshNow = time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC)

var fresh struct {
	once    sync.Once
	err     error
	st      *store.Store
	reports *engine.Reports
	log     *engine.DecisionLog
}

// freshInstall syncs the fake GitHub's repo into a new database with a
// short history, through the collectors and the derive step as `tach
// sync` runs them, once per test binary.
func freshInstall(t *testing.T) (*store.Store, *engine.Reports, *engine.DecisionLog) {
	t.Helper()
	fresh.once.Do(func() {
		ctx := context.Background()
		srv := githubtest.New(t)
		srv.SetNow(func() time.Time { return freshNow })
		repo := srv.AddRepo("acme/api")
		repo.Generate(githubtest.History{PRs: 900, Deployments: 330, Runs: 1200, Incidents: 24, End: freshNow, Span: 330 * 24 * time.Hour})
		p, err := github.New(github.Options{BaseURL: srv.BaseURL(), GraphQLURL: srv.GraphQLURL(), Token: githubtest.DefaultToken,
			Transport: srv.Client().Transport, Now: func() time.Time { return freshNow }})
		if err != nil {
			fresh.err = err
			return
		}
		st, err := store.Open(ctx, filepath.Join(t.TempDir(), "fresh.db"))
		if err != nil {
			fresh.err = err
			return
		}
		rules := metrics.DefaultRepoRules() // deployments, linked by commits, to production
		envs := rules.Environments
		sum, err := collectors.Run(ctx, st, map[string]collectors.Provider{store.GitHub: p},
			[]collectors.Repo{{Provider: store.GitHub, Name: "acme/api", Source: "deployments", Environments: envs, Link: "commits"}},
			collectors.Options{History: freshHistory, IncidentLabels: []string{"incident"}, Workers: 1, Now: func() time.Time { return freshNow }}, nil)
		if err == nil && len(sum.Failed()) > 0 {
			err = sum.Failed()[0].Err
		}
		if err == nil {
			err = engine.NewDeriver(st, metrics.DefaultRules(), map[string]metrics.RepoRules{"acme/api": rules}).Derive(ctx)
		}
		fresh.err, fresh.st = err, st
		fresh.reports = engine.NewReports(st, metrics.DefaultRules(), nil)
		fresh.log = engine.NewDecisionLog(fresh.reports)
	})
	if fresh.err != nil {
		t.Fatalf("fresh install: %v", fresh.err)
	}
	return fresh.st, fresh.reports, fresh.log
}

// freshHandler is the dashboard over the fresh install at its present.
func freshHandler(t *testing.T) http.Handler {
	t.Helper()
	st, reports, log := freshInstall(t)
	return web.New(web.Options{
		Reports: reports, Decisions: log, Store: st,
		Logger: slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn})),
		Now:    func() time.Time { return freshNow },
	})
}

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
	area, _ := option["series"].([]any)[0].(map[string]any)["markArea"].(map[string]any)
	if area == nil || !strings.Contains(raw, `"name":"no data"`) || !strings.Contains(raw, `"xAxis":"2025-11-03"`) {
		t.Errorf("the weeks before the history are not shaded as no data: %v", area)
	}
	if note := doc.Find(`[data-testid="history-note"]`).Text(); !strings.Contains(note, "this window is covered from 2025-11-04 12:00 UTC") {
		t.Errorf("history note %q", note)
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
	for _, scope := range []url.Values{{}, {"team": {"checkout"}}, {"team": {"platform"}}, {"repo": {"acme/web"}}} {
		for _, window := range []url.Values{{}, {"weeks": {"8"}}, {"weeks": {"26"}}, {"from": {"2025-10-06"}, "to": {"2026-01-05"}}} {
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
			}
		}
		for _, week := range []string{"2026-02-23", "2026-02-02", "2026-01-12", "2025-12-22"} {
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
			}
		}
	}
	for _, v := range []string{impact.VerdictNoClearChange, impact.VerdictNotEnoughData, impact.VerdictImproved, impact.VerdictWorsened} {
		if judged[v] == 0 {
			t.Errorf("no key was judged %q: %v", v, judged)
		}
	}
}
