package query

import (
	"net/url"
	"strconv"
	"time"

	"github.com/tach-dev/tach/metrics"
)

// What a comparison (`tach report compare`, /compare) compares, in the
// parameters' names (the CLI's flags are the same with -- and dashes):
//
//	decision=ID                     before and after a recorded decision
//	at=YYYY-MM-DD                   before and after a day
//	period_a=FROM..TO&period_b=FROM..TO   two periods (TO is the day after)
//	vs_team=T | vs_repo=R…          the scope against another, over period=FROM..TO
//	                                (default: the last window of whole weeks)
//	window=8w (or weeks=8)  gap=1w  each side's length and the settling gap
//	team=T  repo=R…                 the scope (a decision's own by default)

// Compare is a comparison as asked for.
type Compare struct {
	Decision int64     // decision; 0 when absent
	At       time.Time // at; zero when absent
	// WindowDays and GapDays are window (or weeks) and gap in days; 0 when
	// absent (the engine's defaults: 8 weeks and none).
	WindowDays, GapDays int
	PeriodA, PeriodB    metrics.Window // period_a, period_b
	Period              metrics.Window // period: the one period of two scopes
	VsTeam              string         // vs_team
	VsRepos             []string       // vs_repo (repeatable, or comma-separated)
	VsModules           []string       // vs_module
	// Before and After (scope_before, scope_after), before and after a
	// date or decision: one scope before against another after.
	Before, After           *Scope
	BeforeParam, AfterParam string

	// The parameters as given, for forms and links ("" when absent);
	// WindowParam is weeks=N as Nw.
	AtParam, WindowParam, GapParam, PeriodAParam, PeriodBParam, PeriodParam string
}

// HasAnchor reports whether the comparison says what to compare.
func (c Compare) HasAnchor() bool { return c.anchors() > 0 }

// anchors counts the things the comparison names to compare by.
func (c Compare) anchors() int {
	n := 0
	for _, given := range []bool{c.Decision != 0, !c.At.IsZero(), c.PeriodAParam != "" || c.PeriodBParam != "", c.Scopes()} {
		if given {
			n++
		}
	}
	return n
}

// Scopes reports whether two scopes are compared.
func (c Compare) Scopes() bool { return c.VsTeam != "" || len(c.VsRepos) > 0 || len(c.VsModules) > 0 }

// Against is the scope compared with, for two scopes; nil otherwise.
func (c Compare) Against() *Scope {
	if !c.Scopes() {
		return nil
	}
	return &Scope{Team: c.VsTeam, Repos: c.VsRepos, Modules: c.VsModules}
}

// Periods are the two periods compared: period_a and period_b, or for
// two scopes the one period both are compared over, and none.
func (c Compare) Periods() (a, b metrics.Window) {
	if c.Scopes() {
		return c.Period, metrics.Window{}
	}
	return c.PeriodA, c.PeriodB
}

// NothingToCompare is the error of a comparison that names nothing to
// compare (HasAnchor is false).
func (s Surface) NothingToCompare() error {
	return s.bad("", "nothing to compare: give %s, %s, %s, or %s / %s", s.Given("decision", "ID"), s.Given("at", "YYYY-MM-DD"),
		s.Given("period_a", "FROM..TO", "period_b", "FROM..TO"), s.Name("vs_team"), s.Name("vs_repo"))
}

// Compare reads what to compare. It names one thing at most: without
// any (HasAnchor), the caller asks for one (NothingToCompare).
func (p Parser) Compare(v url.Values) (Compare, error) {
	var c Compare
	var err error
	if value := get(v, "decision"); value != "" {
		if c.Decision, err = p.DecisionID("decision", value); err != nil {
			return c, err
		}
	}
	if value := get(v, "at"); value != "" {
		if c.At, err = p.Day("at", value); err != nil {
			return c, err
		}
		c.AtParam = value
	}
	c.WindowParam = get(v, "window")
	if c.WindowDays, err = p.Span("window", c.WindowParam); err != nil {
		return c, err
	}
	if weeks := get(v, "weeks"); weeks != "" {
		if c.WindowParam != "" {
			return c, p.bad("weeks", "%s cannot be combined with %s: give each side's length once, like %s or %s",
				p.Name("weeks"), p.Name("window"), p.Given("weeks", "8"), p.Given("window", "8w"))
		}
		n, err := p.weeks(weeks)
		if err != nil {
			return c, err
		}
		c.WindowDays, c.WindowParam = 7*n, strconv.Itoa(n)+"w"
	}
	if c.WindowParam != "" && c.WindowDays < 7 {
		return c, p.bad("window", "%s %q is shorter than a week: give weeks like %s or days like %s",
			p.Name("window"), Truncate(c.WindowParam, 20), p.Given("window", "8w"), p.Given("window", "56d"))
	}
	c.GapParam = get(v, "gap")
	if c.GapDays, err = p.Span("gap", c.GapParam); err != nil {
		return c, err
	}
	for _, period := range []struct {
		param string
		w     *metrics.Window
		given *string
	}{{"period_a", &c.PeriodA, &c.PeriodAParam}, {"period_b", &c.PeriodB, &c.PeriodBParam}, {"period", &c.Period, &c.PeriodParam}} {
		value := get(v, period.param)
		if value == "" {
			continue
		}
		if *period.w, err = p.Period(period.param, value); err != nil {
			return c, err
		}
		*period.given = value
	}
	vs, err := p.scope(v, "vs_team", "vs_repo", "comparison")
	if err != nil {
		return c, err
	}
	c.VsTeam, c.VsRepos = vs.Team, vs.Repos
	if c.VsModules, err = p.modules(v, "vs_module"); err != nil {
		return c, err
	}
	for _, side := range []struct {
		param string
		to    **Scope
		raw   *string
	}{{"scope_before", &c.Before, &c.BeforeParam}, {"scope_after", &c.After, &c.AfterParam}} {
		value := get(v, side.param)
		if value == "" {
			continue
		}
		sc, err := p.ScopeValue(side.param, value)
		if err != nil {
			return c, err
		}
		*side.to, *side.raw = &sc, value
	}
	if (c.Before != nil || c.After != nil) && c.Decision == 0 && c.At.IsZero() {
		return c, p.bad("", "%s and %s compare one scope before a date against another after it: give %s or %s with them",
			p.Name("scope_before"), p.Name("scope_after"), p.Given("decision", "ID"), p.Given("at", "YYYY-MM-DD"))
	}

	// One thing to compare.
	switch {
	case c.anchors() > 1:
		return c, p.bad("", "give one thing to compare: %s, %s, %s, or %s / %s — not several", p.Given("decision", "ID"), p.Given("at", "YYYY-MM-DD"),
			p.Given("period_a", "…", "period_b", "…"), p.Name("vs_team"), p.Name("vs_repo"))
	case c.VsTeam != "" && len(c.VsRepos) > 0:
		return c, p.bad("", "give %s or %s as the second scope, not both", p.Name("vs_team"), p.Name("vs_repo"))
	case c.PeriodParam != "" && !c.Scopes():
		return c, p.bad("period", "%s goes with %s or %s; to compare two periods give %s", p.Name("period"), p.Name("vs_team"), p.Name("vs_repo"),
			p.Given("period_a", "FROM..TO", "period_b", "FROM..TO"))
	case (c.PeriodAParam == "") != (c.PeriodBParam == ""):
		return c, p.bad("", "give both %s and %s (FROM..TO each, like 2026-01-05..2026-03-02)", p.Name("period_a"), p.Name("period_b"))
	case c.Scopes() && c.GapParam != "":
		return c, p.bad("gap", "%s applies before and after a date; two scopes are compared over one period (drop %s)", p.Name("gap"), p.Name("gap"))
	}
	return c, nil
}
