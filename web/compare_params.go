package web

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tach-dev/tach/metrics"
	"github.com/tach-dev/tach/metrics/engine"
)

// The compare page's query parameters, read by ParseQuery (params.go) like
// every other parameter, with the same rules as `tach report compare`:
//
//	decision=ID                     before and after a recorded decision
//	at=YYYY-MM-DD                   before and after a day
//	period_a=FROM..TO&period_b=FROM..TO   two periods (TO is the day after)
//	vs_team=T | vs_repo=R…          the scope against another, over period=FROM..TO
//	                                (default: the last window of whole weeks)
//	window=8w  gap=1w               each side's length and the settling gap
//	team=T  repo=R…                 the scope (a decision's own by default)

// CompareQuery is what the compare page and /api/v1/compare compare.
type CompareQuery struct {
	Decision int64     // decision; 0 when absent
	At       time.Time // at; zero when absent
	// WindowDays and GapDays are window and gap in days; 0 when absent (the
	// engine's defaults: 8 weeks and none).
	WindowDays, GapDays int
	PeriodA, PeriodB    metrics.Window // period_a, period_b
	Period              metrics.Window // period: the one period of two scopes
	VsTeam              string         // vs_team
	VsRepos             []string       // vs_repo (repeatable, or comma-separated)

	// The parameters as given, for forms and links ("" when absent).
	AtParam, WindowParam, GapParam, PeriodAParam, PeriodBParam, PeriodParam string
}

// compareParams are the parameters parseCompare reads.
var compareParams = []string{"decision", "at", "window", "gap", "period_a", "period_b", "period", "vs_team", "vs_repo", "done", "candidate"}

// HasAnchor reports whether the query says what to compare.
func (c CompareQuery) HasAnchor() bool { return c.anchors() > 0 }

// anchors counts the things the query names to compare by.
func (c CompareQuery) anchors() int {
	n := 0
	for _, given := range []bool{c.Decision != 0, !c.At.IsZero(), c.PeriodAParam != "" || c.PeriodBParam != "", c.Scopes()} {
		if given {
			n++
		}
	}
	return n
}

// Scopes reports whether the query compares two scopes.
func (c CompareQuery) Scopes() bool { return c.VsTeam != "" || len(c.VsRepos) > 0 }

// parseCompare reads the compare parameters into q.Compare, and the done
// parameter (what a form just did, for the notice after its redirect).
func parseCompare(v url.Values, loc *time.Location, q *Query) error {
	get := func(name string) string { return strings.TrimSpace(v.Get(name)) }
	c := &q.Compare
	if s := get("decision"); s != "" {
		id, err := strconv.ParseInt(strings.TrimPrefix(s, "#"), 10, 64)
		if err != nil || id <= 0 {
			return badRequestf("decision %q is not a decision id: give the number the decisions page shows, like decision=1", truncate(s, 20))
		}
		c.Decision = id
	}
	if s := get("at"); s != "" {
		t, err := parseDay("at", s, loc)
		if err != nil {
			return err
		}
		c.At, c.AtParam = t, s
	}
	var err error
	if c.WindowDays, c.WindowParam, err = spanParam(get("window"), "window"); err != nil {
		return err
	}
	if c.WindowParam != "" && c.WindowDays < 7 {
		return badRequestf("window %q is shorter than a week: give weeks like window=8w or days like window=56d", c.WindowParam)
	}
	if c.GapDays, c.GapParam, err = spanParam(get("gap"), "gap"); err != nil {
		return err
	}
	for _, p := range []struct {
		name  string
		w     *metrics.Window
		param *string
	}{{"period_a", &c.PeriodA, &c.PeriodAParam}, {"period_b", &c.PeriodB, &c.PeriodBParam}, {"period", &c.Period, &c.PeriodParam}} {
		s := get(p.name)
		if s == "" {
			continue
		}
		w, err := parsePeriod(p.name, s, loc)
		if err != nil {
			return err
		}
		*p.w, *p.param = w, s
	}
	if team := get("vs_team"); team != "" {
		if err := checkName("vs_team", team); err != nil {
			return err
		}
		c.VsTeam = team
	}
	for _, raw := range v["vs_repo"] {
		for _, name := range strings.Split(raw, ",") {
			if name = strings.TrimSpace(name); name == "" {
				continue
			}
			if err := checkName("vs_repo", name); err != nil {
				return err
			}
			if !slices.Contains(c.VsRepos, name) {
				c.VsRepos = append(c.VsRepos, name)
			}
		}
	}
	if len(c.VsRepos) > maxRepos {
		return badRequestf("vs_repo is given %d times; at most %d repos fit in one comparison", len(c.VsRepos), maxRepos)
	}

	// One thing to compare, as `tach report compare` asks.
	switch {
	case c.anchors() > 1:
		return badRequestf("give one thing to compare: decision=ID, at=YYYY-MM-DD, period_a=…&period_b=…, or vs_team= / vs_repo= — not several")
	case c.VsTeam != "" && len(c.VsRepos) > 0:
		return badRequestf("give vs_team or vs_repo as the second scope, not both")
	case c.PeriodParam != "" && !c.Scopes():
		return badRequestf("period goes with vs_team or vs_repo; to compare two periods give period_a=FROM..TO&period_b=FROM..TO")
	case (c.PeriodAParam == "") != (c.PeriodBParam == ""):
		return badRequestf("give both period_a and period_b (FROM..TO each, like 2026-01-05..2026-03-02)")
	case c.Scopes() && c.GapParam != "":
		return badRequestf("gap applies before and after a date; two scopes are compared over one period (drop gap)")
	}
	done, err := oneOf(get("done"), "done", "created", "updated", "deleted", "accepted", "dismissed")
	if err != nil {
		return err
	}
	q.Done = done
	if id := get("candidate"); id != "" {
		if !isCandidateID(id) {
			return badRequestf("candidate %q is not a suggestion's id (letters and digits, as the suggestions page shows them)", truncate(id, 20))
		}
		q.Candidate = id
	}
	return nil
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

// spanParam reads a window or gap length with the CLI's rules (8w, 10d, or
// a bare number of weeks).
func spanParam(s, name string) (int, string, error) {
	if s == "" {
		return 0, "", nil
	}
	days, err := engine.ParseSpan(s)
	if err != nil {
		return 0, "", badRequestf("%s %q is not a length: give weeks like %s=8w or days like %s=10d", name, truncate(s, 20), name, name)
	}
	return days, s, nil
}

// parsePeriod reads FROM..TO: two days, TO the day after the period.
func parsePeriod(name, s string, loc *time.Location) (metrics.Window, error) {
	from, to, ok := strings.Cut(s, "..")
	if !ok {
		return metrics.Window{}, badRequestf("%s %q is not a period: write FROM..TO, like 2026-01-05..2026-03-02 (TO is the day after it)", name, truncate(s, 40))
	}
	var w metrics.Window
	var err error
	if w.From, err = parseDay(name, strings.TrimSpace(from), loc); err != nil {
		return w, err
	}
	if w.To, err = parseDay(name, strings.TrimSpace(to), loc); err != nil {
		return w, err
	}
	if !w.From.Before(w.To) {
		return w, badRequestf("%s %q is empty: FROM must be before TO", name, truncate(s, 40))
	}
	if w.To.Sub(w.From) > time.Duration(MaxWeeks)*7*24*time.Hour+time.Hour {
		return w, badRequestf("%s %q is longer than %d weeks; choose a shorter one", name, truncate(s, 40), MaxWeeks)
	}
	return w, nil
}

// compareRequest turns the query into the engine's request.
func compareRequest(q Query) engine.CompareRequest {
	c := q.Compare
	req := engine.CompareRequest{
		DecisionID: c.Decision, At: c.At, WindowDays: c.WindowDays, GapDays: c.GapDays,
		Scope:   engine.Scope{Team: q.Scope.Team, Repos: q.Scope.Repos},
		PeriodA: c.PeriodA, PeriodB: c.PeriodB,
	}
	if c.Scopes() {
		req.ScopeB = &engine.Scope{Team: c.VsTeam, Repos: c.VsRepos}
		req.PeriodA, req.PeriodB = c.Period, metrics.Window{}
	}
	return req
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
	set("window", c.WindowParam)
	set("gap", c.GapParam)
	if q.Scope.Team != "" {
		v.Set("team", q.Scope.Team)
	}
	for _, r := range q.Scope.Repos {
		v.Add("repo", r)
	}
	return v
}
