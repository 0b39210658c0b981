package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tach-dev/tach/metrics/query"
	"github.com/tach-dev/tach/store"
	"github.com/tach-dev/tach/templates"
)

// navPages is the navigation, in order. Later pages (compare, decisions
// editing, sign-in) join here.
var navPages = []struct {
	label, path, section string
}{
	{"Overview", "/", "overview"},
	{"Weekly review", "/weekly", "weekly"},
	{"Measures", "/measures", "measures"},
	{"Radar", "/radar", "radar"},
	{"Changes", "/changes", "changes"},
	{"Deployments", "/deployments", "deployments"},
	{"Incidents", "/incidents", "incidents"},
	{"Decisions", "/decisions", "decisions"},
	{"Compare", "/compare", "compare"},
	{"Sync", "/sync", "sync"},
}

// scopeChoices are the teams and repos a filter form offers.
type scopeChoices struct {
	teams   []store.Team
	repos   []string
	modules []string // REPO:NAME, every repo's, (unassigned) included
}

// choices are what the filters offer (shared with the engine's cache:
// read only).
func (s *Server) choices(ctx context.Context) (scopeChoices, error) {
	var c scopeChoices
	var err error
	c.teams, c.repos, c.modules, err = s.reports.ScopeChoices(ctx)
	return c, err
}

// nav is the navigation with the scope and window kept in every link.
func nav(q Query, section string) []templates.NavItem {
	v := q.scopeValues()
	items := make([]templates.NavItem, len(navPages))
	for i, p := range navPages {
		items[i] = templates.NavItem{Label: p.label, Href: link(p.path, v), Active: p.section == section}
	}
	return items
}

func (s *Server) assetURLs() templates.Assets {
	return templates.Assets{CSS: s.assets.url("tach.css"), JS: s.assets.url("tach.js"), ECharts: s.assets.echarts}
}

// chartsNotice says what to do when this build has no ECharts.
const chartsNotice = "Charts are not in this build: run `make assets` (it fetches ECharts from the npm registry at a pinned, checked version) and rebuild. Every chart's numbers are in the table under it."

// page is the layout data of a page with scope filters.
func (s *Server) page(q Query, path, section, title string, c scopeChoices, withCharts bool) templates.Page {
	p := templates.Page{
		Title:  title,
		Nav:    nav(q, section),
		Assets: s.assetURLs(),
		Filter: s.filter(q, path, c),
		Scope:  s.scopeLine(q, c),
	}
	if withCharts && s.assets.echarts == "" {
		p.Notice = chartsNotice
	}
	return p
}

// barePage is the layout data of a page without filters (errors).
func (s *Server) barePage(title string) templates.Page {
	return templates.Page{Title: title, Nav: nav(Query{}, ""), Assets: s.assetURLs()}
}

func (s *Server) filter(q Query, path string, c scopeChoices) *templates.Filter {
	loc := s.reports.Rules().Location
	f := &templates.Filter{
		Action: path,
		From:   q.Window.From.In(loc).Format(time.DateOnly),
		To:     q.Window.To.In(loc).Format(time.DateOnly),
	}
	f.Teams = append(f.Teams, templates.Option{Value: "", Label: "All teams", Selected: q.Scope.Team == ""})
	for _, t := range c.teams {
		f.Teams = append(f.Teams, templates.Option{Value: t.Name, Label: t.Name, Selected: t.Name == q.Scope.Team})
	}
	f.Repos, f.RepoNames = s.names("repo", c.repos, q.Scope.Repos)
	f.Modules, f.ModuleNames = s.names("module", c.modules, q.Scope.Modules)
	scope := scopeOnly(q)
	for _, n := range []int{4, 12, 26, 52} {
		v := cloneValues(scope)
		v.Set("weeks", strconv.Itoa(n))
		active := q.Weeks == n || (n == query.DefaultWeeks && q.Weeks == 0 && q.From == "" && q.To == "")
		f.Presets = append(f.Presets, templates.Link{Label: fmt.Sprintf("%d weeks", n), Href: link(path, v), Active: active})
	}
	return f
}

// scopeLine says in one line what a page covers.
func (s *Server) scopeLine(q Query, c scopeChoices) string {
	loc := s.reports.Rules().Location
	what := "All repos"
	switch {
	case len(q.Scope.Modules) > 0:
		what = strings.Join(append(slices.Clone(q.Scope.Repos), q.Scope.Modules...), ", ")
		if q.Scope.Team != "" {
			what = "Team " + q.Scope.Team + ", " + what
		}
	case q.Scope.Team != "" && len(q.Scope.Repos) > 0:
		what = fmt.Sprintf("Team %s, repos %s", q.Scope.Team, strings.Join(q.Scope.Repos, ", "))
	case q.Scope.Team != "":
		what = "Team " + q.Scope.Team
	case len(q.Scope.Repos) > 0:
		what = strings.Join(q.Scope.Repos, ", ")
	case len(c.repos) > 0:
		what = fmt.Sprintf("All %d repos", len(c.repos))
	}
	w := q.Window
	days := w.To.Sub(w.From).Hours() / 24
	length := fmt.Sprintf("%.0f days", days)
	if int(days+0.5)%7 == 0 {
		length = fmt.Sprintf("%d weeks", int(days+0.5)/7)
	}
	return fmt.Sprintf("%s · %s, %s to %s (exclusive) · %s", what, length,
		w.From.In(loc).Format(time.DateOnly), w.To.In(loc).Format(time.DateOnly), loc)
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = slices.Clone(vs)
	}
	return out
}

// parse reads the request's query at the server's clock.
func (s *Server) parse(r *http.Request) (Query, error) {
	return ParseQuery(r.URL.Query(), s.now(), s.reports.Rules().Location)
}
