package web

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/tach-dev/tach/metrics/radar"
	"github.com/tach-dev/tach/metrics/render"
	"github.com/tach-dev/tach/templates"
)

// The refactor radar: /radar (the page), /radar.md and /api/v1/radar.
// The data comes from the reports' Radar and the words from render, the
// same as `tach report radar`.

// radarScopesShown is how many scopes the page shows in full (more when
// more have signals).
const radarScopesShown = 3

// radarRanked is how many scopes the ranking lists before the first
// without a worsening signal that it leaves to the JSON (an organisation
// of a thousand repos).
const radarRanked = 50

func (s *Server) radarOf(r *http.Request) (Query, radar.Report, error) {
	q, err := s.parse(r)
	if err != nil {
		return q, radar.Report{}, err
	}
	rep, err := s.reports.Radar(r.Context(), q.Scope, q.Window)
	return q, rep, err
}

func (s *Server) apiRadar(w http.ResponseWriter, r *http.Request) error {
	_, rep, err := s.radarOf(r)
	if err != nil {
		return err
	}
	return s.serveJSON(w, rep)
}

func (s *Server) radarMarkdown(w http.ResponseWriter, r *http.Request) error {
	_, rep, err := s.radarOf(r)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := render.RadarMarkdown(&buf, rep); err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "text/markdown; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.Write(buf.Bytes())
	return nil
}

// radarMeasurePage is the measure page of a radar measure.
func radarMeasurePage(key string) string {
	switch key {
	case "lead_time":
		return measureLeadTime
	case radar.KeyCodingTime, radar.KeyPickupTime, radar.KeyReviewTime:
		return measureCycleTime
	case "ci":
		return measureCI
	case "pr_size":
		return measurePRSize
	case "change_failure_rate":
		return measureChangeFailureRate
	case "rework_rate":
		return measureReworkRate
	}
	return ""
}

func (s *Server) radarPage(w http.ResponseWriter, r *http.Request) error {
	q, rep, err := s.radarOf(r)
	if err != nil {
		return err
	}
	c, err := s.choices(r.Context())
	if err != nil {
		return err
	}
	page := templates.RadarPage{Page: s.page(q, "/radar", "radar", "Refactor radar", c, true)}
	page.Summary = fmt.Sprintf("%d worsening and %d improving signals across %d tests, %d weeks from %s to %s",
		rep.Signals(radar.Worsening), rep.Signals(radar.Improving), rep.Tests, rep.Scope.Weeks, rep.Scope.From, rep.Scope.To)
	exports := q.scopeValues()
	page.JSONHref, page.MarkdownHref = link("/api/v1/radar", exports), link("/radar.md", exports)
	page.Rule = "A signal is a Mann–Kendall trend of a measure's weekly values whose Benjamini–Hochberg q (across every test of this radar) is below 0.05; " +
		"weeks with fewer than 3 observations are left out and a series needs 6 weeks. Hotspot score = changes × (1 + fix changes). The rules are in docs/metrics.md."

	// A scope's own links: its repo, or its module, over the same window.
	scopeLink := func(path string, sr radar.ScopeReport) string {
		v := url.Values{}
		if sr.Module == nil {
			v.Set("repo", sr.Repo)
		} else {
			v.Set("module", sr.Repo+":"+*sr.Module)
		}
		return link(path, q.windowValues(v))
	}
	page.Ranking = templates.Table{TestID: "radar-table", Columns: []templates.Column{
		{Label: "Rank", Num: true}, {Label: "Module"}, {Label: "Worsening", Num: true}, {Label: "Cross-module", Num: true},
		{Label: "Changes", Num: true}, {Label: "Signals"},
	}, Empty: "Nothing to rank: no repo in this scope has changes in the window."}
	for i, sr := range rep.Modules {
		if i == radarRanked && sr.Worsening == 0 {
			page.Ranking.Rows = append(page.Ranking.Rows, []templates.Cell{{Text: "…", Muted: true},
				{Text: fmt.Sprintf("%d more without a worsening signal (the JSON lists every one)", len(rep.Modules)-i), Href: page.JSONHref, Muted: true},
				{}, {}, {}, {}})
			break
		}
		var sigs []string
		for _, sig := range sr.Signals {
			sigs = append(sigs, render.RadarSignal(sig))
		}
		name := templates.Cell{Text: render.RadarScopeName(sr), Href: scopeLink("/", sr)}
		if i < radarScopesShown || sr.Worsening > 0 {
			name.Href = "#radar-" + strconv.Itoa(sr.Rank)
		}
		worse := templates.Cell{Text: strconv.Itoa(sr.Worsening), Num: true}
		if sr.Worsening > 0 {
			worse.Tags = []string{"worse"}
		}
		page.Ranking.Rows = append(page.Ranking.Rows, []templates.Cell{
			{Text: strconv.Itoa(sr.Rank), Num: true}, name, worse,
			{Text: render.RadarShare(sr.CrossModuleShare), Num: true}, {Text: strconv.Itoa(sr.Changes), Num: true},
			{Text: orDash(strings.Join(sigs, "; ")), Muted: len(sigs) == 0},
		})
		if i >= radarScopesShown && sr.Worsening == 0 {
			continue
		}
		page.Scopes = append(page.Scopes, s.radarScope(rep, sr, scopeLink))
	}
	page.Coupling = templates.Table{TestID: "radar-coupling-table", Columns: []templates.Column{
		{Label: "Repo"}, {Label: "Modules"}, {Label: "Changes touching both", Num: true},
	}, Empty: "No change touched two modules of a repo in this window (or no repo here has modules)."}
	for _, p := range rep.Coupling {
		page.Coupling.Rows = append(page.Coupling.Rows, []templates.Cell{{Text: p.Repo}, {Text: p.A + " + " + p.B}, {Text: strconv.Itoa(p.Changes), Num: true}})
	}
	return s.render(w, r, templates.Radar(page))
}

// radarScope is a scope shown in full: a sparkline per signal (every
// measure's when it has none, so the page shows what was tested) and
// its hotspots.
func (s *Server) radarScope(rep radar.Report, sr radar.ScopeReport, scopeLink func(string, radar.ScopeReport) string) templates.RadarScope {
	out := templates.RadarScope{ID: "radar-" + strconv.Itoa(sr.Rank), Rank: sr.Rank, Name: render.RadarScopeName(sr), Href: scopeLink("/", sr)}
	facts := []string{fmt.Sprintf("%d changes merged in the window", sr.Changes)}
	if sr.CrossModuleShare != nil {
		facts = append(facts, "cross-module share "+render.RadarShare(sr.CrossModuleShare))
	}
	out.Facts = strings.Join(facts, " · ")
	byMeasure := map[string]radar.SeriesReport{}
	for _, se := range sr.Series {
		byMeasure[se.Measure] = se
	}
	for _, sig := range sr.Signals {
		se := byMeasure[sig.Measure]
		values := make([]*float64, len(rep.Scope.WeekStarts))
		for _, p := range se.Points {
			if p.Week >= 0 && p.Week < len(values) {
				v := p.Value
				if render.RadarUnit(sig.Measure) == "share" {
					v *= 100
				}
				values[p.Week] = &v
			}
		}
		title := render.RadarMeasureName(sig.Measure)
		id := fmt.Sprintf("chart-radar-%d-%s", sr.Rank, strings.ReplaceAll(sig.Measure, "_", "-"))
		chart := sparkChart(id, title+" of "+out.Name, weekAxis{labels: rep.Scope.WeekStarts, shown: -1}, series{name: title, values: values}, render.RadarUnit(sig.Measure) == "seconds")
		out.Signals = append(out.Signals, templates.RadarSignal{
			Title: title, Href: scopeLink("/measures/"+radarMeasurePage(sig.Measure), sr),
			Text:  fmt.Sprintf("%s, %s (q %s, %d weeks)", sig.Direction, render.RadarSlope(sig), render.FormatPValue(&sig.QValue), sig.Weeks),
			Chart: chart,
		})
	}
	out.Hotspots = templates.Table{TestID: "radar-hotspots", Columns: []templates.Column{
		{Label: "Path"}, {Label: "Changes", Num: true}, {Label: "Fix changes", Num: true}, {Label: "Incidents", Num: true}, {Label: "Score", Num: true},
	}, Empty: "No change touched it in this window."}
	for _, h := range sr.Hotspots {
		out.Hotspots.Rows = append(out.Hotspots.Rows, []templates.Cell{
			{Text: h.Path, Href: h.URL}, {Text: strconv.Itoa(h.Changes), Num: true}, {Text: strconv.Itoa(h.FixChanges), Num: true},
			{Text: strconv.Itoa(h.Incidents), Num: true}, {Text: strconv.Itoa(h.Score), Num: true},
		})
	}
	return out
}

func orDash(s string) string {
	if s == "" {
		return render.Dash
	}
	return s
}
