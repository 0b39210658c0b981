package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tach-dev/tach/metrics"
	"github.com/tach-dev/tach/metrics/impact"
	"github.com/tach-dev/tach/metrics/query"
	"github.com/tach-dev/tach/metrics/render"
	"github.com/tach-dev/tach/store"
)

// Before/after comparisons: the glue between the store and impact.Compare.
// A page renders the impact.Comparison it returns directly: every measure
// carries its values, interval, verdict, sentence and weekly series.

// DefaultWindowDays is the default length of each side of a comparison:
// 8 weeks (METRICS.md, "Decision impact").
const DefaultWindowDays = 56

// ErrBadCompare is wrapped by errors about a comparison that cannot be made
// as asked (nothing to compare, two anchors, an empty period).
var ErrBadCompare = errors.New("bad comparison")

// CompareRequest says what to compare. Give exactly one anchor: a decision,
// a date, two periods, or a second scope.
type CompareRequest struct {
	// DecisionID compares before and after a recorded decision, in the
	// decision's own scope unless Scope is given.
	DecisionID int64
	// At compares before and after a day (00:00 in the rules' timezone).
	At time.Time
	// WindowDays is each side's length (default 56, 8 weeks); GapDays the
	// settling time left out after the date (default 0).
	WindowDays int
	GapDays    int
	// Scope is what is compared (every repo when empty); with ScopeB, the
	// first of the two scopes.
	Scope Scope
	// PeriodA and PeriodB compare two arbitrary periods of Scope. With
	// ScopeB, PeriodA alone is the period both scopes are compared over
	// (default: the last WindowDays of whole weeks).
	PeriodA, PeriodB metrics.Window
	// ScopeB compares Scope with another scope over one period.
	ScopeB *Scope
	// Resamples and Seed override the bootstrap's fixed settings (tests).
	Resamples int
	Seed      uint64
}

// Compare runs a comparison, its words written. now cuts a window that
// reaches into the future (the result says the after side is partial).
func (l *DecisionLog) Compare(ctx context.Context, req CompareRequest, now time.Time) (impact.Comparison, error) {
	c, err := l.compare(ctx, req, now)
	if err != nil {
		return c, err
	}
	render.Explain(&c)
	return c, nil
}

func (l *DecisionLog) compare(ctx context.Context, req CompareRequest, now time.Time) (impact.Comparison, error) {
	loc := l.reports.rules.Location
	window, gap := req.WindowDays, req.GapDays
	if window == 0 {
		window = DefaultWindowDays
	}
	switch {
	case window < 7:
		return impact.Comparison{}, fmt.Errorf("%w: the window must be at least a week, not %d days", ErrBadCompare, window)
	case gap < 0:
		return impact.Comparison{}, fmt.Errorf("%w: the gap cannot be negative (%d days)", ErrBadCompare, gap)
	}
	periodA, periodB := !req.PeriodA.From.IsZero() || !req.PeriodA.To.IsZero(), !req.PeriodB.From.IsZero() || !req.PeriodB.To.IsZero()
	anchors := 0
	for _, set := range []bool{req.DecisionID != 0, !req.At.IsZero(), periodB || (periodA && req.ScopeB == nil), req.ScopeB != nil} {
		if set {
			anchors++
		}
	}
	switch {
	case anchors == 0:
		return impact.Comparison{}, fmt.Errorf("%w: nothing to compare: give a decision, a date, two periods, or two scopes", ErrBadCompare)
	case anchors > 1:
		return impact.Comparison{}, fmt.Errorf("%w: give one of a decision, a date, two periods, or two scopes", ErrBadCompare)
	case periodB && !periodA:
		return impact.Comparison{}, fmt.Errorf("%w: period B needs a period A", ErrBadCompare)
	case periodA && req.ScopeB == nil && !periodB:
		return impact.Comparison{}, fmt.Errorf("%w: period A needs a period B (or a second scope)", ErrBadCompare)
	}
	for _, p := range []metrics.Window{req.PeriodA, req.PeriodB} {
		if (p.From.IsZero() != p.To.IsZero()) || (!p.From.IsZero() && !p.From.Before(p.To)) {
			return impact.Comparison{}, fmt.Errorf("%w: the period %s to %s is empty", ErrBadCompare, formatDay(p.From, loc), formatDay(p.To, loc))
		}
	}
	opt := impact.CompareOptions{Rules: l.reports.rules, Resamples: req.Resamples, Seed: req.Seed}

	var c impact.Comparison
	switch {
	case req.ScopeB != nil:
		period := req.PeriodA
		if !periodA {
			period = metrics.LastWholeWeeks(now, window/7, loc)
		}
		opt.Kind = impact.CompareScopes
		ra, err := l.reports.Resolve(ctx, req.Scope)
		if err != nil {
			return c, err
		}
		rb, err := l.reports.Resolve(ctx, *req.ScopeB)
		if err != nil {
			return c, err
		}
		measured := cutAtNow(period, now)
		dsA, err := l.reports.Dataset(ctx, ra, measured)
		if err != nil {
			return c, fmt.Errorf("compare: %w", err)
		}
		dsB, err := l.reports.Dataset(ctx, rb, measured)
		if err != nil {
			return c, fmt.Errorf("compare: %w", err)
		}
		c = impact.Compare(
			impact.CompareSide{Label: scopeLabel(ra), Dataset: dsA, Window: measured, Planned: period},
			impact.CompareSide{Label: scopeLabel(rb), Dataset: dsB, Window: measured, Planned: period},
			opt)
		fillScope(&c.Before, ra)
		fillScope(&c.After, rb)
		c.Settings.WindowDays = int(metrics.WindowDays(period, loc))
		return c, nil

	case periodB:
		opt.Kind = impact.ComparePeriods
		a, b := req.PeriodA, req.PeriodB
		if !a.To.After(b.From) {
			opt.Break = b.From
		}
		r, err := l.reports.Resolve(ctx, req.Scope)
		if err != nil {
			return c, err
		}
		ma, mb := cutAtNow(a, now), cutAtNow(b, now)
		ds, err := l.reports.Dataset(ctx, r, metrics.Window{From: earlierOf(ma.From, mb.From), To: laterOf(ma.To, mb.To)})
		if err != nil {
			return c, fmt.Errorf("compare: %w", err)
		}
		c = impact.Compare(
			impact.CompareSide{Label: "period A", Dataset: ds, Window: ma, Planned: a},
			impact.CompareSide{Label: "period B", Dataset: ds, Window: mb, Planned: b},
			opt)
		fillScope(&c.Before, r)
		fillScope(&c.After, r)
		return c, nil
	}

	// Before and after a date or a decision.
	at, scope := req.At, req.Scope
	opt.Kind = impact.CompareDate
	var decision *impact.ComparedDecision
	if req.DecisionID != 0 {
		d, err := l.st.DecisionByID(ctx, req.DecisionID)
		if err != nil {
			return c, err
		}
		if at, err = time.ParseInLocation(time.DateOnly, d.DecidedOn, loc); err != nil {
			return c, fmt.Errorf("decision %d: its date %q is not a date", d.ID, d.DecidedOn)
		}
		if scope.Team == "" && len(scope.Repos) == 0 {
			scope = DecisionScope(d)
		}
		opt.Kind = impact.CompareDecision
		decision = comparedDecision(d)
	}
	at = dayStart(at, loc)
	opt.Break = at
	r, err := l.reports.Resolve(ctx, scope)
	if err != nil {
		return c, err
	}
	before := metrics.Window{From: metrics.AddDays(at, -window), To: at}
	after := metrics.Window{From: metrics.AddDays(at, gap), To: metrics.AddDays(at, gap+window)}
	mb, ma := cutAtNow(before, now), cutAtNow(after, now)
	ds, err := l.reports.Dataset(ctx, r, metrics.Window{From: mb.From, To: laterOf(mb.To, ma.To)})
	if err != nil {
		return c, fmt.Errorf("compare: %w", err)
	}
	c = impact.Compare(
		impact.CompareSide{Label: "before", Dataset: ds, Window: mb, Planned: before},
		impact.CompareSide{Label: "after", Dataset: ds, Window: ma, Planned: after},
		opt)
	c.Decision = decision
	fillScope(&c.Before, r)
	fillScope(&c.After, r)
	c.Settings.WindowDays, c.Settings.GapDays = window, gap
	return c, nil
}

// DecisionScope is a decision's own scope: its team, its repos, or
// everything.
func DecisionScope(d store.Decision) Scope {
	if d.ScopeTeam != "" {
		return Scope{Team: d.ScopeTeam}
	}
	return Scope{Repos: d.ScopeRepos}
}

func comparedDecision(d store.Decision) *impact.ComparedDecision {
	cd := &impact.ComparedDecision{ID: d.ID, Date: d.DecidedOn, Title: d.Title, Kind: d.Kind, Repos: d.ScopeRepos, Note: d.Note, Link: d.Link}
	if cd.Repos == nil {
		cd.Repos = []string{}
	}
	if d.ScopeTeam != "" {
		team := d.ScopeTeam
		cd.Team = &team
	}
	return cd
}

func fillScope(s *impact.SideSummary, r Resolved) {
	s.Repos = append([]string{}, r.Names...)
	if r.Team != "" {
		team := r.Team
		s.Team = &team
	}
}

// scopeLabel names a scope in a sentence: team checkout, acme/catalog,
// 4 repos, all repos.
func scopeLabel(r Resolved) string {
	switch {
	case r.Team != "":
		return "team " + r.Team
	case len(r.Scope.Repos) == 0:
		return "all repos"
	case len(r.Names) <= 2:
		return strings.Join(r.Names, " and ")
	}
	return fmt.Sprintf("%d repos", len(r.Names))
}

// cutAtNow ends w at now when it reaches past it (never before w.From).
func cutAtNow(w metrics.Window, now time.Time) metrics.Window {
	if w.To.After(now) {
		w.To = laterOf(now, w.From)
	}
	return w
}

func earlierOf(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func laterOf(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func dayStart(t time.Time, loc *time.Location) time.Time {
	l := t.In(loc)
	return time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, loc)
}

func formatDay(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return "…"
	}
	return t.In(loc).Format(time.DateOnly)
}

// CompareRequestOf is the request for the comparison c of the scope sc:
// what `tach report compare` and /compare both run.
func CompareRequestOf(sc Scope, c query.Compare) CompareRequest {
	req := CompareRequest{DecisionID: c.Decision, At: c.At, WindowDays: c.WindowDays, GapDays: c.GapDays, Scope: sc}
	req.PeriodA, req.PeriodB = c.Periods()
	if vs := c.Against(); vs != nil {
		b := Scope(*vs)
		req.ScopeB = &b
	}
	return req
}
