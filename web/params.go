package web

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/tach-dev/tach/metrics"
	"github.com/tach-dev/tach/metrics/engine"
	"github.com/tach-dev/tach/store"
)

// Query is every query parameter tach's pages and API take, parsed and
// validated. One function (ParseQuery) reads them all, so the rules are in
// one place and can be fuzzed.
type Query struct {
	Scope  engine.Scope   // team, repo (repeatable)
	Window metrics.Window // from, to, or weeks; the last 12 whole weeks by default
	Weeks  int            // the weeks parameter; 0 when from/to set the window or by default
	// From and To are the from and to parameters as given ("" when absent).
	From, To string

	Week     time.Time // week: any day of a week to review; zero for the last complete one
	HasWeek  bool
	List     store.ListOptions // sort, dir, page, per_page
	State    string            // changes: open, merged, closed
	Kind     string            // deployments: production, failed, rework, rollback, failed_attempt
	Status   string            // incidents: open, resolved
	Search   string            // q: a substring of a title or author
	Download bool              // download=1 on exports: attachment

	Compare CompareQuery // the compare page's parameters (compare_params.go)
	Done    string       // done: what a form just did (created, updated, deleted, ...), for a notice
	// Candidate is a suggested decision's id (candidate), for the form
	// that records it.
	Candidate string
}

// Limits of the query parameters.
const (
	DefaultWeeks  = 12
	MaxWeeks      = 520 // ten years: more is a typo, and costly
	maxNameLength = 300
	maxRepos      = 200
	maxPage       = 1_000_000
	maxSearch     = 200
)

// queryParams are the parameters ParseQuery knows; anything else is ignored
// (links pasted from elsewhere may carry tracking parameters).
var queryParams = []string{"team", "repo", "from", "to", "weeks", "week", "sort", "dir", "page", "per_page", "state", "kind", "status", "q", "download"}

// singleParams are the parameters given once at most.
var singleParams = append(slices.Clip(queryParams), compareParams...)

// ParseQuery validates the query parameters of a request at now, with week
// and day boundaries in loc. A mistake is an error saying which parameter,
// what was wrong and what to write instead; the server answers it with 400.
func ParseQuery(v url.Values, now time.Time, loc *time.Location) (Query, error) {
	if loc == nil {
		loc = time.UTC
	}
	var q Query
	for _, name := range singleParams {
		if name != "repo" && name != "vs_repo" && len(v[name]) > 1 {
			return q, badRequestf("%s is given %d times; give it once", name, len(v[name]))
		}
	}
	get := func(name string) string { return strings.TrimSpace(v.Get(name)) }

	// Scope.
	if team := get("team"); team != "" {
		if err := checkName("team", team); err != nil {
			return q, err
		}
		q.Scope.Team = team
	}
	for _, raw := range v["repo"] {
		for _, name := range strings.Split(raw, ",") {
			if name = strings.TrimSpace(name); name == "" {
				continue
			}
			if err := checkName("repo", name); err != nil {
				return q, err
			}
			if !slices.Contains(q.Scope.Repos, name) {
				q.Scope.Repos = append(q.Scope.Repos, name)
			}
		}
	}
	if len(q.Scope.Repos) > maxRepos {
		return q, badRequestf("repo is given %d times; at most %d repos fit in one view", len(q.Scope.Repos), maxRepos)
	}

	// Window.
	from, to, weeks := get("from"), get("to"), get("weeks")
	q.Window = metrics.LastWholeWeeks(now, DefaultWeeks, loc)
	if weeks != "" {
		if from != "" || to != "" {
			return q, badRequestf("weeks cannot be combined with from or to; give either weeks=N or from=YYYY-MM-DD&to=YYYY-MM-DD")
		}
		n, err := strconv.Atoi(weeks)
		if err != nil || n < 1 || n > MaxWeeks {
			return q, badRequestf("weeks %q is not a number of weeks between 1 and %d", weeks, MaxWeeks)
		}
		q.Weeks = n
		q.Window = metrics.LastWholeWeeks(now, n, loc)
	}
	if from != "" {
		t, err := parseDay("from", from, loc)
		if err != nil {
			return q, err
		}
		q.Window.From, q.From = t, from
	}
	if to != "" {
		t, err := parseDay("to", to, loc)
		if err != nil {
			return q, err
		}
		q.Window.To, q.To = t, to
	} else if from != "" && !q.Window.From.Before(q.Window.To) {
		// A from in the current week: up to now, as the CLI does.
		q.Window.To = now
	}
	if !q.Window.From.Before(q.Window.To) {
		return q, badRequestf("the window is empty: from %s is not before to %s (to is exclusive: the window is [from, to))",
			q.Window.From.In(loc).Format(time.DateOnly), q.Window.To.In(loc).Format(time.DateOnly))
	}
	if q.Window.To.Sub(q.Window.From) > time.Duration(MaxWeeks)*7*24*time.Hour+time.Hour {
		return q, badRequestf("the window from %s to %s is longer than %d weeks; choose a shorter one",
			q.Window.From.In(loc).Format(time.DateOnly), q.Window.To.In(loc).Format(time.DateOnly), MaxWeeks)
	}

	// The weekly review's week.
	if week := get("week"); week != "" {
		t, err := parseDay("week", week, loc)
		if err != nil {
			return q, err
		}
		q.Week, q.HasWeek = metrics.WeekStart(t, loc), true
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
	var err error
	if q.List.Page, err = intParam(get("page"), "page", 1, maxPage); err != nil {
		return q, err
	}
	if q.List.PerPage, err = intParam(get("per_page"), "per_page", 1, store.MaxPerPage); err != nil {
		return q, err
	}
	if q.State, err = oneOf(get("state"), "state", store.StateOpen, store.StateMerged, store.StateClosed); err != nil {
		return q, err
	}
	if q.Kind, err = oneOf(get("kind"), "kind", store.DeploymentKinds...); err != nil {
		return q, err
	}
	if q.Status, err = oneOf(get("status"), "status", store.IncidentOpen, store.IncidentResolved); err != nil {
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
	if err := parseCompare(v, loc, &q); err != nil {
		return q, err
	}
	return q, nil
}

// parseDay reads YYYY-MM-DD as midnight in loc.
func parseDay(name, s string, loc *time.Location) (time.Time, error) {
	t, err := time.ParseInLocation(time.DateOnly, s, loc)
	if err != nil {
		reason := ""
		if pe, ok := err.(*time.ParseError); ok && strings.HasPrefix(pe.Message, ": ") {
			reason = strings.TrimPrefix(pe.Message, ": ") + "; "
		}
		return t, badRequestf("%s %q is not a date: %swrite it as YYYY-MM-DD, for example 2026-03-02", name, truncate(s, 40), reason)
	}
	if t.Year() < 1970 || t.Year() > 2200 {
		return t, badRequestf("%s %s is out of range: give a date between 1970 and 2200", name, s)
	}
	return t, nil
}

// checkName refuses team and repo names no team or repo can have: too long,
// or with control characters.
func checkName(param, name string) error {
	if len(name) > maxNameLength || strings.ContainsFunc(name, unicode.IsControl) {
		return badRequestf("%s %q is not a %s name: names are at most %d characters, without control characters", param, truncate(name, 40), param, maxNameLength)
	}
	return nil
}

func intParam(s, name string, lo, hi int) (int, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		return 0, badRequestf("%s %q is not a whole number between %d and %d", name, truncate(s, 20), lo, hi)
	}
	return n, nil
}

func oneOf(s, name string, allowed ...string) (string, error) {
	if s == "" || slices.Contains(allowed, s) {
		return s, nil
	}
	return "", badRequestf("%s %q is not one of %s", name, truncate(s, 40), strings.Join(allowed, ", "))
}

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

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	// Cut on a rune boundary.
	for n > 0 && !utf8RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }

// scopeValues are the scope and window parameters of q, for links that keep
// them (the navigation, presets, sort headers).
func (q Query) scopeValues() url.Values {
	v := url.Values{}
	if q.Scope.Team != "" {
		v.Set("team", q.Scope.Team)
	}
	for _, r := range q.Scope.Repos {
		v.Add("repo", r)
	}
	return q.windowValues(v)
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
