package web

import (
	"net/http"
	"strings"
	"time"

	"github.com/tach-dev/tach/store"
	"github.com/tach-dev/tach/templates"
)

// The decisions page lists the recorded decisions, read-only for now: the
// decision-impact work adds creating, editing and deleting them, and the
// before/after comparison each one links to.

func (s *Server) decisionsPage(w http.ResponseWriter, r *http.Request) error {
	q, err := s.parse(r)
	if err != nil {
		return err
	}
	ds, err := s.store.Decisions(r.Context())
	if err != nil {
		return err
	}
	p := templates.DecisionsPage{Page: templates.Page{Title: "Decisions", Nav: nav(q, "decisions"), Assets: s.assetURLs()}}
	p.Table = templates.Table{TestID: "decisions-table", Columns: []templates.Column{
		{Label: "Date"}, {Label: "Decision"}, {Label: "Kind"}, {Label: "Scope"}, {Label: "Note"},
	}}
	p.Table.Empty = "No decision is recorded yet. Decisions (a service split, a new ORM, a cache) appear as marked lines on every time chart; recording and comparing them arrives with `tach decisions`."
	for _, d := range ds {
		title := templates.Cell{Text: d.Title, Href: d.Link}
		p.Table.Rows = append(p.Table.Rows, []templates.Cell{
			{Text: d.DecidedOn}, title, {Text: d.Kind}, {Text: decisionScope(d)}, {Text: truncate(d.Note, 240), Title: d.Note},
		})
	}
	p.Note = "Each decision is drawn as a dashed line on the time charts of the scopes it concerns. Comparing before and after a decision comes with the decision-impact pages."
	return s.render(w, r, templates.Decisions(p))
}

func decisionScope(d store.Decision) string {
	switch {
	case d.ScopeTeam != "" && len(d.ScopeRepos) > 0:
		return "team " + d.ScopeTeam + ": " + strings.Join(d.ScopeRepos, ", ")
	case d.ScopeTeam != "":
		return "team " + d.ScopeTeam
	case len(d.ScopeRepos) > 0:
		return strings.Join(d.ScopeRepos, ", ")
	}
	return "everything"
}

type apiDecision struct {
	ID         int64     `json:"id"`
	DecidedOn  string    `json:"decided_on"`
	Title      string    `json:"title"`
	Kind       string    `json:"kind"`
	ScopeTeam  string    `json:"scope_team"`
	ScopeRepos []string  `json:"scope_repos"`
	Note       string    `json:"note"`
	Link       string    `json:"link"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

func apiDecisions(ds []store.Decision) []apiDecision {
	out := []apiDecision{}
	for _, d := range ds {
		repos := d.ScopeRepos
		if repos == nil {
			repos = []string{}
		}
		out = append(out, apiDecision{ID: d.ID, DecidedOn: d.DecidedOn, Title: d.Title, Kind: d.Kind, ScopeTeam: d.ScopeTeam,
			ScopeRepos: repos, Note: d.Note, Link: d.Link, CreatedAt: d.CreatedAt.UTC(), UpdatedAt: d.UpdatedAt.UTC()})
	}
	return out
}

func (s *Server) apiDecisions(w http.ResponseWriter, r *http.Request) error {
	ds, err := s.store.Decisions(r.Context())
	if err != nil {
		return err
	}
	return s.serveJSON(w, map[string]any{"decisions": apiDecisions(ds)})
}

// apiScopes lists the repos and teams a filter can name.
func (s *Server) apiScopes(w http.ResponseWriter, r *http.Request) error {
	repos, err := s.store.Repos(r.Context())
	if err != nil {
		return err
	}
	teams, err := s.metrics.TeamList(r.Context())
	if err != nil {
		return err
	}
	type apiRepo struct {
		Name     string `json:"name"`
		Provider string `json:"provider"`
		URL      string `json:"url"`
	}
	type apiTeam struct {
		Name  string   `json:"name"`
		Repos []string `json:"repos"`
	}
	out := struct {
		Repos    []apiRepo `json:"repos"`
		Teams    []apiTeam `json:"teams"`
		Timezone string    `json:"timezone"`
	}{Repos: []apiRepo{}, Teams: []apiTeam{}, Timezone: s.metrics.Rules().Location.String()}
	for _, r := range repos {
		out.Repos = append(out.Repos, apiRepo{Name: r.Name, Provider: r.Provider, URL: r.URL})
	}
	for _, t := range teams {
		out.Teams = append(out.Teams, apiTeam{Name: t.Name, Repos: orEmpty(t.Repos)})
	}
	return s.serveJSON(w, out)
}
