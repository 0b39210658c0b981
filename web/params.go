package web

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/tach-dev/tach/metrics"
	"github.com/tach-dev/tach/metrics/engine"
	"github.com/tach-dev/tach/metrics/query"
	"github.com/tach-dev/tach/metrics/render"
	"github.com/tach-dev/tach/store"
)

// Query is every query parameter tach's pages and API take, parsed and
// validated. One function (ParseQuery) reads them all, so the rules are in
// one place and can be fuzzed; the days, windows, periods, scopes and
// comparisons among them are read by metrics/query, as the CLI reads its
// flags.
type Query struct {
	Scope  engine.Scope   // team, repo (repeatable)
	Window metrics.Window // from, to, or weeks; the last 12 whole weeks by default
	Weeks  int            // the weeks parameter; 0 when from/to set the window or by default
	// From and To are the from and to parameters as given ("" when absent).
	From, To string

	// week is read two ways, each by the pages that take it: the weekly
	// review reviews a complete week (ReviewWeek), a measure page lists
	// the rows of one week of its window (ShownWeek). A week that is no
	// day at all is refused on every page.
	reviewWeek time.Time
	reviewErr  error
	shownWeek  metrics.Window
	shownErr   error
	WeekGiven  bool              // week was given
	weekParam  string            // week as given
	List       store.ListOptions // sort, dir, page, per_page
	State      string            // changes: open, merged, closed
	Kind       string            // deployments: production, failed, rework, rollback, failed_attempt
	Status     string            // incidents: open, resolved
	Search     string            // q: a substring of a title or author
	Download   bool              // download=1 on exports: attachment
	// Format is csv when the page's table is asked for as CSV (csv.go);
	// Table names which of a measure page's tables.
	Format, Table string
	// Flavor is the chat whose syntax /weekly.md writes the review's
	// summary in (render.Flavors); "" for the whole review in Markdown.
	Flavor string

	Compare query.Compare // the compare page's parameters
	Done    string        // done: what a form just did (created, updated, deleted, ...), for a notice
	// Candidate is a suggested decision's id (candidate), for the form
	// that records it.
	Candidate string
}

// Limits of the web's own query parameters (the others are metrics/query's).
const (
	maxPage   = 1_000_000
	maxSearch = 200
)

// queryParams are the parameters ParseQuery knows; anything else is ignored
// (links pasted from elsewhere may carry tracking parameters).
var queryParams = []string{"team", "repo", "from", "to", "weeks", "week", "sort", "dir", "page", "per_page", "state", "kind", "status", "q", "download", "format", "flavor", "table",
	"decision", "at", "window", "gap", "period_a", "period_b", "period", "vs_team", "vs_repo", "done", "candidate",
	"module", "vs_module", "scope_before", "scope_after"}

// ParseQuery validates the query parameters of a request at now, with week
// and day boundaries in loc. A mistake is an error saying which parameter,
// what was wrong and what to write instead (a *query.BadInput, or an
// httpError); the server answers it with 400.
func ParseQuery(v url.Values, now time.Time, loc *time.Location) (Query, error) {
	var q Query
	for _, name := range queryParams {
		if name != "repo" && name != "vs_repo" && name != "module" && name != "vs_module" && len(v[name]) > 1 {
			return q, badRequestf("%s is given %d times; give it once", name, len(v[name]))
		}
	}
	get := func(name string) string { return strings.TrimSpace(v.Get(name)) }
	p := query.New(query.Params, now, loc)

	sc, err := p.Scope(v)
	if err != nil {
		return q, err
	}
	q.Scope = engine.Scope(sc)
	w, err := p.Window(v)
	if err != nil {
		return q, err
	}
	q.Window, q.Weeks, q.From, q.To = w.Window, w.Weeks, w.FromParam, w.ToParam
	q.reviewWeek, q.reviewErr = p.Week(v)
	q.shownWeek, q.WeekGiven, q.shownErr = p.WeekIn(v, q.Window)
	q.weekParam = get("week")
	if q.reviewErr != nil && q.shownErr != nil {
		return q, q.reviewErr
	}

	// Lists.
	q.List.Sort = get("sort")
	if q.List.Sort != "" && !isIdent(q.List.Sort) {
		return q, badRequestf("sort %q is not a column name", q.List.Sort)
	}
	switch dir := get("dir"); dir {
	case "", store.Asc, store.Desc:
		q.List.Dir = dir
	default:
		return q, badRequestf("dir %q is neither asc nor desc", dir)
	}
	if q.List.Page, err = p.Int("page", get("page"), 1, maxPage); err != nil {
		return q, err
	}
	if q.List.PerPage, err = p.Int("per_page", get("per_page"), 1, store.MaxPerPage); err != nil {
		return q, err
	}
	if q.State, err = p.OneOf("state", get("state"), store.StateOpen, store.StateMerged, store.StateClosed); err != nil {
		return q, err
	}
	if q.Kind, err = p.OneOf("kind", get("kind"), store.DeploymentKinds...); err != nil {
		return q, err
	}
	if q.Status, err = p.OneOf("status", get("status"), store.IncidentOpen, store.IncidentResolved); err != nil {
		return q, err
	}
	q.Search = get("q")
	if len(q.Search) > maxSearch || strings.ContainsFunc(q.Search, unicode.IsControl) {
		return q, badRequestf("q is longer than %d characters or holds control characters; search for a shorter piece of a title or login", maxSearch)
	}
	switch d := get("download"); d {
	case "", "0":
	case "1":
		q.Download = true
	default:
		return q, badRequestf("download %q is neither 0 nor 1", d)
	}

	if q.Format, err = p.OneOf("format", get("format"), "csv"); err != nil {
		return q, err
	}
	if q.Flavor, err = p.OneOf("flavor", get("flavor"), render.Flavors...); err != nil {
		return q, err
	}
	if q.Table = get("table"); q.Table != "" && !isIdent(strings.ReplaceAll(q.Table, "-", "_")) {
		return q, badRequestf("table %q is not a table's name (letters and dashes, as the page's Download CSV links give it)", truncate(q.Table, 40))
	}

	// The compare page, and what a form just did.
	if q.Compare, err = p.Compare(v); err != nil {
		return q, err
	}
	if q.Done, err = p.OneOf("done", get("done"), "created", "updated", "deleted", "accepted", "dismissed"); err != nil {
		return q, err
	}
	if id := get("candidate"); id != "" {
		if !isCandidateID(id) {
			return q, badRequestf("candidate %q is not a suggestion's id (letters and digits, as the suggestions page shows them)", truncate(id, 20))
		}
		q.Candidate = id
	}
	return q, nil
}

// ReviewWeek is the Monday of the week the weekly review reviews (week;
// the last complete one by default), or why week names none: a week not
// over yet.
func (q Query) ReviewWeek() (time.Time, error) { return q.reviewWeek, q.reviewErr }

// ShownWeek is the week of the window whose rows a measure page lists
// (week: the week that holds the day, cut to the window), or why week
// names none: a week outside the window. Without week it is empty.
func (q Query) ShownWeek() (metrics.Window, error) { return q.shownWeek, q.shownErr }

func isIdent(s string) bool {
	if len(s) > 40 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r == '_') {
			return false
		}
	}
	return true
}

// isCandidateID: a suggestion's id is a short hash, letters and digits.
func isCandidateID(s string) bool {
	if s == "" || len(s) > 40 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// truncate shortens s for a message or a label.
func truncate(s string, n int) string { return query.Truncate(s, n) }

// scopeOnly are q's team, repos and modules, without the window.
func scopeOnly(q Query) url.Values {
	v := url.Values{}
	if q.Scope.Team != "" {
		v.Set("team", q.Scope.Team)
	}
	for _, repo := range q.Scope.Repos {
		v.Add("repo", repo)
	}
	for _, m := range q.Scope.Modules {
		v.Add("module", m)
	}
	return v
}

// scopeValues are the scope and window parameters of q, for links that keep
// them (the navigation, presets, sort headers).
func (q Query) scopeValues() url.Values {
	return q.windowValues(scopeOnly(q))
}

// pageValues are scopeValues and the shown week: a measure page's links
// to itself and to the other measures keep the week.
func (q Query) pageValues() url.Values {
	v := q.scopeValues()
	if q.WeekGiven {
		v.Set("week", q.weekParam)
	}
	return v
}

func (q Query) windowValues(v url.Values) url.Values {
	if q.From != "" {
		v.Set("from", q.From)
	}
	if q.To != "" {
		v.Set("to", q.To)
	}
	if q.Weeks != 0 {
		v.Set("weeks", strconv.Itoa(q.Weeks))
	}
	return v
}

// compareValues are the query's compare parameters, for links (the JSON
// twin, the forms).
func (q Query) compareValues() url.Values {
	v := url.Values{}
	c := q.Compare
	if c.Decision != 0 {
		v.Set("decision", strconv.FormatInt(c.Decision, 10))
	}
	set := func(name, value string) {
		if value != "" {
			v.Set(name, value)
		}
	}
	set("at", c.AtParam)
	set("period_a", c.PeriodAParam)
	set("period_b", c.PeriodBParam)
	set("period", c.PeriodParam)
	set("vs_team", c.VsTeam)
	for _, r := range c.VsRepos {
		v.Add("vs_repo", r)
	}
	for _, m := range c.VsModules {
		v.Add("vs_module", m)
	}
	set("scope_before", c.BeforeParam)
	set("scope_after", c.AfterParam)
	set("window", c.WindowParam)
	set("gap", c.GapParam)
	for k, vs := range scopeOnly(q) {
		v[k] = vs
	}
	return v
}

// link is path with the given values, "path?a=b".
func link(path string, v url.Values) string {
	if len(v) == 0 {
		return path
	}
	return path + "?" + v.Encode()
}

// String shows a Query in error messages and logs.
func (q Query) String() string {
	return fmt.Sprintf("team=%q repos=%v window=[%s, %s)", q.Scope.Team, q.Scope.Repos, q.Window.From, q.Window.To)
}
