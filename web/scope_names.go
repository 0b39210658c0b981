package web

import (
	"cmp"
	"net/http"
	"slices"
	"strings"

	"github.com/tach-dev/tach/metrics/query"
	"github.com/tach-dev/tach/templates"
)

// Past a few hundred repos a form no longer lists them: ten thousand
// options were 800 KB of every page (most of the overview's time to
// serve at that size) and a list no one can scroll. The field takes names
// typed instead, comma-separated as every scope parameter takes them, and
// the browser suggests names from /api/v1/scopes/names as one types.

// DefaultNamesListed is how many repos, or modules, a form lists as
// options before it takes them typed.
const DefaultNamesListed = 300

// suggestedNames is how many names one suggestion answers with.
const suggestedNames = 20

// names is a form's choice of several of all (repos or modules, kind):
// options with chosen selected, or, past the server's limit, a typed
// field holding chosen.
func (s *Server) names(kind string, all, chosen []string) ([]templates.Option, *templates.TypedNames) {
	if len(all) > s.listed {
		return nil, &templates.TypedNames{Value: strings.Join(chosen, ", "), Count: len(all), Example: all[0],
			Suggest: "/api/v1/scopes/names?kind=" + kind}
	}
	opts := make([]templates.Option, len(all))
	for i, n := range all {
		opts[i] = templates.Option{Value: n, Label: n, Selected: slices.Contains(chosen, n)}
	}
	return opts, nil
}

// apiScopeNames suggests names for a typed field: up to 20 repos or
// modules (kind) whose name holds q, ignoring case — those whose name, or
// a part of it after "/" or ":", starts with q first.
func (s *Server) apiScopeNames(w http.ResponseWriter, r *http.Request) error {
	kind, q := r.URL.Query().Get("kind"), strings.ToLower(strings.TrimSpace(r.URL.Query().Get("q")))
	if kind != "repo" && kind != "module" {
		return badRequestf("kind must be repo or module")
	}
	if len(q) > query.MaxNameLength {
		return badRequestf("q is longer than any name (%d characters at most)", query.MaxNameLength)
	}
	c, err := s.choices(r.Context())
	if err != nil {
		return err
	}
	all := c.repos
	if kind == "module" {
		all = c.modules
	}
	type match struct {
		name string
		rank int
	}
	var found []match
	for _, n := range all {
		lower := strings.ToLower(n)
		i := strings.Index(lower, q)
		switch {
		case i < 0:
			continue
		case i == 0:
			found = append(found, match{n, 0})
		case strings.Contains(lower, "/"+q) || strings.Contains(lower, ":"+q):
			found = append(found, match{n, 1})
		default:
			found = append(found, match{n, 2})
		}
	}
	slices.SortFunc(found, func(a, b match) int { return cmp.Or(cmp.Compare(a.rank, b.rank), cmp.Compare(a.name, b.name)) })
	out := struct {
		Names []string `json:"names"`
		More  bool     `json:"more"` // more names hold q than are listed
	}{Names: []string{}, More: len(found) > suggestedNames}
	for _, m := range found[:min(len(found), suggestedNames)] {
		out.Names = append(out.Names, m.name)
	}
	return s.serveJSON(w, out)
}
