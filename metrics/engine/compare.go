package engine

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
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
	// ScopeBefore and ScopeAfter, before and after a date or a decision,
	// compare one scope before against another after (a module before
	// against the service it became); each defaults to the decision's
	// before_scope / after_scope, then to Scope.
	ScopeBefore, ScopeAfter *Scope
	// Resamples and Seed override the bootstrap's fixed settings (tests).
	Resamples int
	Seed      uint64
}

// Compare runs a comparison, its words written. now cuts a window that
// reaches into the future (the result says the after side is partial).
//
// Comparisons are heavy work: each runs in a slot of the reports' gate,
// and identical ones asked at the same time run once (the same scopes,
// planned windows and settings; each caller gets the comparison as cut at
// the now of the first). The work stops when every caller waiting for it
// has gone.
func (l *DecisionLog) Compare(ctx context.Context, req CompareRequest, now time.Time) (impact.Comparison, error) {
	p, err := l.plan(ctx, req, now)
	if err != nil {
		return impact.Comparison{}, err
	}
	return l.compares.do(ctx, p.key(), func(ctx context.Context) (impact.Comparison, error) {
		release, err := l.reports.gate.Compute(ctx)
		if err != nil {
			return impact.Comparison{}, err
		}
		defer release()
		c, err := l.run(ctx, p)
		if err != nil {
			return c, err
		}
		render.Explain(&c)
		return c, nil
	})
}

// comparePlan is a comparison checked and resolved, its windows set:
// everything but the rows and the statistics.
type comparePlan struct {
	opt            impact.CompareOptions
	before, after  impact.CompareSide // without their rows
	scopeA, scopeB Resolved           // the same but for a comparison of two scopes
	load           metrics.Window     // the rows read: of scopeA, for both sides unless loadB is set
	loadB          metrics.Window     // the rows of scopeB read for the after side; zero: the before side's
	decision       *impact.ComparedDecision
	windowDays     int // the settings to report
	gapDays        int
}

// comparesCI reports whether the plan compares CI duration (the CI runs
// are read only then).
func (p *comparePlan) comparesCI() bool {
	return p.opt.Measures == nil || slices.Contains(p.opt.Measures, "ci_duration")
}

// key is what makes two plans the same comparison, for coalescing.
func (p *comparePlan) key() string {
	var b strings.Builder
	ids := func(r Resolved) {
		sorted := slices.Clone(r.IDs)
		slices.Sort(sorted)
		for _, id := range sorted {
			b.WriteString(strconv.FormatInt(id, 36))
			b.WriteByte(',')
		}
		for _, m := range r.ModuleRefs() {
			b.WriteString(m)
			b.WriteByte(0)
		}
		b.WriteByte('|')
	}
	ids(p.scopeA)
	ids(p.scopeB)
	// The planned windows, not the measured ones: those are cut at each
	// caller's now, which would keep a comparison reaching into the
	// present from ever being shared.
	for _, w := range []metrics.Window{p.before.Planned, p.after.Planned} {
		lo, hi := w.Seconds()
		fmt.Fprintf(&b, "%d..%d|", lo, hi)
	}
	var decision int64
	if p.decision != nil {
		decision = p.decision.ID
	}
	fmt.Fprintf(&b, "%s|%d|%d|%d|%d|%d|%d", p.opt.Kind, p.opt.Break.Unix(), p.opt.Resamples, p.opt.Seed, decision, p.windowDays, p.gapDays)
	return b.String()
}

// plan checks req, resolves its scopes and sets its windows.
func (l *DecisionLog) plan(ctx context.Context, req CompareRequest, now time.Time) (*comparePlan, error) {
	loc := l.reports.rules.Location
	window, gap := req.WindowDays, req.GapDays
	if window == 0 {
		window = DefaultWindowDays
	}
	switch {
	case window < 7:
		return nil, fmt.Errorf("%w: the window must be at least a week, not %d days", ErrBadCompare, window)
	case gap < 0:
		return nil, fmt.Errorf("%w: the gap cannot be negative (%d days)", ErrBadCompare, gap)
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
		return nil, fmt.Errorf("%w: nothing to compare: give a decision, a date, two periods, or two scopes", ErrBadCompare)
	case anchors > 1:
		return nil, fmt.Errorf("%w: give one of a decision, a date, two periods, or two scopes", ErrBadCompare)
	case periodB && !periodA:
		return nil, fmt.Errorf("%w: period B needs a period A", ErrBadCompare)
	case periodA && req.ScopeB == nil && !periodB:
		return nil, fmt.Errorf("%w: period A needs a period B (or a second scope)", ErrBadCompare)
	}
	for _, p := range []metrics.Window{req.PeriodA, req.PeriodB} {
		if (p.From.IsZero() != p.To.IsZero()) || (!p.From.IsZero() && !p.From.Before(p.To)) {
			return nil, fmt.Errorf("%w: the period %s to %s is empty", ErrBadCompare, formatDay(p.From, loc), formatDay(p.To, loc))
		}
	}
	p := &comparePlan{opt: impact.CompareOptions{Rules: l.reports.rules, Resamples: req.Resamples, Seed: req.Seed}}

	switch {
	case req.ScopeB != nil:
		period := req.PeriodA
		if !periodA {
			period = metrics.LastWholeWeeks(now, window/7, loc)
		}
		p.opt.Kind = impact.CompareScopes
		var err error
		if p.scopeA, err = l.reports.Resolve(ctx, req.Scope); err != nil {
			return nil, err
		}
		if p.scopeB, err = l.reports.Resolve(ctx, *req.ScopeB); err != nil {
			return nil, err
		}
		measured := cutAtNow(period, now)
		p.before = impact.CompareSide{Label: scopeLabel(p.scopeA), Window: measured, Planned: period}
		p.after = impact.CompareSide{Label: scopeLabel(p.scopeB), Window: measured, Planned: period}
		p.load, p.loadB = measured, measured
		p.windowDays = int(metrics.WindowDays(period, loc))
		return p, nil

	case periodB:
		r, err := l.reports.Resolve(ctx, req.Scope)
		if err != nil {
			return nil, err
		}
		return periodsPlan(r, req.PeriodA, req.PeriodB, now, p.opt), nil
	}

	// Before and after a date or a decision.
	at, scope := req.At, req.Scope
	var scopeBefore, scopeAfter *Scope
	p.opt.Kind = impact.CompareDate
	if req.DecisionID != 0 {
		d, err := l.st.DecisionByID(ctx, req.DecisionID)
		if err != nil {
			return nil, err
		}
		if at, err = time.ParseInLocation(time.DateOnly, d.DecidedOn, loc); err != nil {
			return nil, fmt.Errorf("decision %d: its date %q is not a date", d.ID, d.DecidedOn)
		}
		if scope.Team == "" && len(scope.Repos) == 0 && len(scope.Modules) == 0 {
			scope = DecisionScope(d)
			if scopeBefore, scopeAfter, err = decisionSides(d); err != nil {
				return nil, err
			}
		}
		p.opt.Kind = impact.CompareDecision
		p.decision = comparedDecision(d)
	}
	at = dayStart(at, loc)
	p.opt.Break = at
	scopeBefore, scopeAfter = cmp.Or(req.ScopeBefore, scopeBefore, &scope), cmp.Or(req.ScopeAfter, scopeAfter, &scope)
	var err error
	if p.scopeA, err = l.reports.Resolve(ctx, *scopeBefore); err != nil {
		return nil, err
	}
	if p.scopeB, err = l.reports.Resolve(ctx, *scopeAfter); err != nil {
		return nil, err
	}
	before := metrics.Window{From: metrics.AddDays(at, -window), To: at}
	after := metrics.Window{From: metrics.AddDays(at, gap), To: metrics.AddDays(at, gap+window)}
	mb, ma := cutAtNow(before, now), cutAtNow(after, now)
	p.before = impact.CompareSide{Label: "before", Window: mb, Planned: before}
	p.after = impact.CompareSide{Label: "after", Window: ma, Planned: after}
	p.load = metrics.Window{From: mb.From, To: laterOf(mb.To, ma.To)}
	if scopeKey(p.scopeA) != scopeKey(p.scopeB) {
		// One scope before, another after: each side's rows of its own.
		p.before.Label, p.after.Label = "before: "+scopeLabel(p.scopeA), "after: "+scopeLabel(p.scopeB)
		p.load, p.loadB = mb, ma
	}
	p.windowDays, p.gapDays = window, gap
	return p, nil
}

// periodsPlan is the plan of a comparison of period a (before) with
// period b (after) of r's repos, each cut at now: what `tach report
// compare --period-a A --period-b B` runs, and what judges the change of
// the headline keys against an earlier period (judgeKeys).
func periodsPlan(r Resolved, a, b metrics.Window, now time.Time, opt impact.CompareOptions) *comparePlan {
	p := &comparePlan{opt: opt, scopeA: r, scopeB: r}
	p.opt.Kind = impact.ComparePeriods
	if !a.To.After(b.From) {
		p.opt.Break = b.From
	}
	ma, mb := cutAtNow(a, now), cutAtNow(b, now)
	p.before = impact.CompareSide{Label: "period A", Window: ma, Planned: a}
	p.after = impact.CompareSide{Label: "period B", Window: mb, Planned: b}
	p.load = metrics.Window{From: earlierOf(ma.From, mb.From), To: laterOf(ma.To, mb.To)}
	if p.load.To.Sub(p.load.From) > ma.To.Sub(ma.From)+mb.To.Sub(mb.From) {
		// Apart: each side's rows, not the years between them (each
		// period is at most ten years, so what a comparison holds is
		// bounded).
		p.load, p.loadB = ma, mb
	}
	return p
}

// run reads the plan's rows and compares, stopping when ctx ends.
func (l *DecisionLog) run(ctx context.Context, p *comparePlan) (impact.Comparison, error) {
	c, _, err := l.reports.runPlan(ctx, p, func() error {
		if l.onStep != nil {
			l.onStep()
		}
		return ctx.Err()
	})
	if err != nil {
		return c, fmt.Errorf("compare: %w", err)
	}
	c.Decision = p.decision
	fillScope(&c.Before, p.scopeA)
	fillScope(&c.After, p.scopeB)
	c.Settings.WindowDays, c.Settings.GapDays = p.windowDays, p.gapDays
	if p.opt.Kind == impact.CompareScopes {
		return c, nil
	}
	anchor := int64(0)
	if p.decision != nil {
		anchor = p.decision.ID
	}
	err = l.findConfounders(ctx, &c, [2]Resolved{p.scopeA, p.scopeB}, [2]metrics.Window{p.before.Window, p.after.Window}, anchor, p.opt.Break, p.gapDays)
	return c, err
}

// findConfounders fills c's confounders: the recorded decisions, other
// than the one compared (anchor), whose scope shares a repo (whole or
// through a module) with either side's scope and
// whose day falls in one of the sides' windows (after the first side's
// first day). Around a date (at), it also finds the longest window of
// whole weeks that holds none of them.
func (l *DecisionLog) findConfounders(ctx context.Context, c *impact.Comparison, scopes [2]Resolved, sides [2]metrics.Window, anchor int64, at time.Time, gap int) error {
	decisions, err := l.st.Decisions(ctx)
	if err != nil {
		return fmt.Errorf("compare: the other decisions: %w", err)
	}
	loc := l.reports.rules.Location
	compared := map[string]bool{}
	for _, r := range scopes {
		for _, name := range r.touchedRepos() {
			compared[name] = true
		}
	}
	labels := [2]string{c.Before.Label, c.After.Label}
	var dates []time.Time
	for _, d := range decisions {
		day, err := time.ParseInLocation(time.DateOnly, d.DecidedOn, loc)
		if d.ID == anchor || err != nil {
			continue
		}
		// A decision on the first side's first day does not split it: both
		// sides lie wholly after it.
		side := -1
		for i, w := range sides {
			if w.Contains(day) && (i > 0 || day.After(w.From)) {
				side = i
			}
		}
		if side < 0 {
			continue
		}
		if shares, err := l.sharesRepo(ctx, d, compared); err != nil || !shares {
			if err != nil {
				return fmt.Errorf("compare: decision %d's scope: %w", d.ID, err)
			}
			continue
		}
		origin := at
		if origin.IsZero() {
			origin = sides[0].From
		}
		week := metrics.WindowDays(metrics.Window{From: origin, To: day}, loc) / 7
		c.Confounders = append(c.Confounders, impact.Confounder{ID: d.ID, Date: d.DecidedOn, Title: d.Title, Kind: d.Kind, Side: labels[side], Week: week})
		dates = append(dates, day)
	}
	if len(dates) > 0 && (c.Kind == impact.CompareDecision || c.Kind == impact.CompareDate) {
		if n := impact.CleanWindowDays(at, gap, dates); n > 0 {
			c.CleanWindowDays = &n
		}
	}
	return nil
}

// sharesRepo reports whether decision d's scope holds one of the compared
// repos, whole or through a module: a decision about everything does; one whose team or repos are no
// longer known does not.
func (l *DecisionLog) sharesRepo(ctx context.Context, d store.Decision, compared map[string]bool) (bool, error) {
	if d.ScopeTeam == "" && len(d.ScopeRepos) == 0 {
		return true, nil
	}
	res, err := l.reports.Resolve(ctx, DecisionScope(d))
	if errors.Is(err, ErrUnknownScope) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return slices.ContainsFunc(res.touchedRepos(), func(name string) bool { return compared[name] }), nil
}

// runPlan reads a plan's rows and compares, asking stop between steps. It
// returns the rows of the after side too. CI runs, the largest table, are
// read only when CI duration is compared.
func (rp *Reports) runPlan(ctx context.Context, p *comparePlan, stop func() error) (impact.Comparison, metrics.Dataset, error) {
	load := rp.Dataset
	if !p.comparesCI() {
		load = rp.datasetWithoutCI
	}
	before, after := p.before, p.after
	var err error
	if before.Dataset, err = load(ctx, p.scopeA, p.load); err != nil {
		return impact.Comparison{}, after.Dataset, err
	}
	after.Dataset = before.Dataset
	if !p.loadB.From.IsZero() {
		if after.Dataset, err = load(ctx, p.scopeB, p.loadB); err != nil {
			return impact.Comparison{}, after.Dataset, err
		}
	}
	opt := p.opt
	opt.Stop = stop
	c, err := impact.Compare(before, after, opt)
	return c, after.Dataset, err
}

// runPlanFacts is runPlan reading the plan's facts — from the rollups,
// from rows only for a repo whose rollup is stale — instead of its rows:
// the same comparison (impact.CompareSide.Facts) for a fraction of the
// reading and the memory. Only the comparison is returned, not the rows.
func (rp *Reports) runPlanFacts(ctx context.Context, p *comparePlan, stop func() error) (impact.Comparison, error) {
	before, after := p.before, p.after
	// As runPlan: CI runs, the most facts, only when CI is compared
	// (sorting them was an eighth of the overview's first judgement).
	load := func(r Resolved, w metrics.Window) (*metrics.Facts, error) {
		f, err := rp.facts(ctx, r, w)
		if !p.comparesCI() {
			f.CIRuns = nil
		}
		return &f, err
	}
	var err error
	if before.Facts, err = load(p.scopeA, p.load); err != nil {
		return impact.Comparison{}, err
	}
	after.Facts = before.Facts
	if !p.loadB.From.IsZero() {
		if after.Facts, err = load(p.scopeB, p.loadB); err != nil {
			return impact.Comparison{}, err
		}
	}
	opt := p.opt
	opt.Stop = stop
	return impact.Compare(before, after, opt)
}

// DecisionScope is a decision's own scope: its team, its repos and
// modules, or everything.
func DecisionScope(d store.Decision) Scope {
	if d.ScopeTeam != "" {
		return Scope{Team: d.ScopeTeam}
	}
	return Scope{Repos: d.ScopeRepos, Modules: d.ScopeModules}
}

// decisionSides are a decision's before and after scopes, when it names
// them (nil otherwise).
func decisionSides(d store.Decision) (before, after *Scope, err error) {
	for _, side := range []struct {
		raw string
		to  **Scope
	}{{d.BeforeScope, &before}, {d.AfterScope, &after}} {
		if side.raw == "" {
			continue
		}
		sc, err := ParseScope(side.raw)
		if err != nil {
			return nil, nil, fmt.Errorf("decision %d: %w", d.ID, err)
		}
		*side.to = &sc
	}
	return before, after, nil
}

// scopeKey names a resolved scope's repos and modules.
func scopeKey(r Resolved) string {
	ids := slices.Clone(r.IDs)
	slices.Sort(ids)
	return fmt.Sprint(ids, r.ModuleRefs(), r.Team)
}

func comparedDecision(d store.Decision) *impact.ComparedDecision {
	cd := &impact.ComparedDecision{ID: d.ID, Date: d.DecidedOn, Title: d.Title, Kind: d.Kind, Repos: d.ScopeRepos, Note: d.Note, Link: d.Link,
		Modules: d.ScopeModules, BeforeScope: d.BeforeScope, AfterScope: d.AfterScope}
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
	if len(r.Modules) > 0 {
		s.Modules = r.ModuleRefs()
	}
	if r.Team != "" {
		team := r.Team
		s.Team = &team
	}
}

// scopeLabel names a scope in a sentence: team checkout, acme/catalog,
// 4 repos, all repos.
func scopeLabel(r Resolved) string {
	mods := r.ModuleRefs()
	switch {
	case r.Team != "":
		return "team " + r.Team
	case len(r.Names) == 0 && len(mods) > 0 && len(mods) <= 2:
		return "module " + strings.Join(mods, " and ")
	case len(r.Names)+len(mods) > 2 && len(mods) > 0:
		return fmt.Sprintf("%d repos and modules", len(r.Names)+len(mods))
	case len(mods) > 0:
		return strings.Join(append(slices.Clone(r.Names), mods...), " and ")
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
	if c.Before != nil {
		b := Scope(*c.Before)
		req.ScopeBefore = &b
	}
	if c.After != nil {
		a := Scope(*c.After)
		req.ScopeAfter = &a
	}
	return req
}
