package web

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tach-dev/tach/metrics/engine"
	"github.com/tach-dev/tach/metrics/impact"
	"github.com/tach-dev/tach/metrics/query"
	"github.com/tach-dev/tach/metrics/render"
	"github.com/tach-dev/tach/store"
	"github.com/tach-dev/tach/templates"
)

// The compare page, /compare, and its JSON twin, /api/v1/compare: what a
// decision (or a date, two periods, two scopes) did to every measure, as
// the engine's impact.Comparison tells it — the same numbers as `tach
// report compare`. The page adds nothing to the statistics; it lays them
// out: the summary, the table with each interval drawn across zero, the
// interrupted time series, and each measure's weekly series.

// methodsURL is the methods document, served by tach itself (docFile).
const methodsURL = "/docs/decision-impact.md"

// compare runs the comparison the query asks for, with the decision
// log's errors turned into what the reader should see.
func (s *Server) compare(ctx context.Context, q Query) (impact.Comparison, error) {
	if !q.Compare.HasAnchor() {
		return impact.Comparison{}, query.Params.NothingToCompare()
	}
	c, err := s.decisions.Compare(ctx, engine.CompareRequestOf(q.Scope, q.Compare), s.now())
	switch {
	case err == nil:
		return c, nil
	case errors.Is(err, engine.ErrBadCompare):
		return c, badRequestf("%s", strings.TrimPrefix(err.Error(), engine.ErrBadCompare.Error()+": "))
	case errors.Is(err, store.ErrNotFound) && q.Compare.Decision != 0:
		return c, &httpError{status: http.StatusNotFound, msg: fmt.Sprintf("There is no decision #%d.", q.Compare.Decision),
			hint: "The decisions page lists every recorded decision, each with a link to its comparison.", links: []templates.Link{decisionsPageLink}}
	}
	return c, err
}

func (s *Server) apiCompare(w http.ResponseWriter, r *http.Request) error {
	q, err := s.parse(r)
	if err != nil {
		return err
	}
	c, err := s.compare(r.Context(), q)
	if err != nil {
		return err
	}
	release, err := s.heavyPage(r.Context(), true)
	if err != nil {
		return err
	}
	defer release()
	return s.serveJSON(w, c)
}

func (s *Server) comparePage(w http.ResponseWriter, r *http.Request) error {
	q, err := s.parse(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	decisions, err := s.decisions.Decisions(ctx)
	if err != nil {
		return err
	}
	choices, err := s.choices(ctx)
	if err != nil {
		return err
	}
	p := templates.ComparePage{
		Page:  templates.Page{Nav: nav(q, "compare"), Assets: s.assetURLs()},
		Forms: s.compareForms(q, decisions, choices),
	}
	if !q.Compare.HasAnchor() {
		p.Title = "Compare"
		p.Empty = &templates.Empty{
			Title: "What should tach compare?",
			Why:   "Pick a recorded decision to see every measure in the weeks before it against the weeks after it, with an interval that says how sure the numbers are and a verdict. Or compare around any date, two periods, or two scopes.",
			Fix:   "To add one, record it on the decisions page, or see what the data suggests under Suggested decisions.",
			Links: []templates.Link{decisionsPageLink, suggestionsLink},
		}
		if len(decisions) == 0 {
			p.Empty.Fix = "No decision is recorded yet: record one on the decisions page (or with `tach decisions add`), or see what the data suggests under Suggested decisions."
		}
		for _, d := range slices.Backward(decisions) {
			p.Choices = append(p.Choices, templates.Link{Label: d.DecidedOn + " · " + d.Title, Href: compareHref(d.ID), Title: storedDecisionScope(d)})
		}
		return s.render(w, r, templates.Compare(p))
	}
	c, err := s.compare(ctx, q)
	if err != nil {
		return err
	}
	if q.Format == "csv" {
		return compareCSV(w, c) // no charts to lay out: outside the render gate
	}
	release, err := s.heavyPage(ctx, true)
	if err != nil {
		return err
	}
	defer release()
	s.fillCompare(&p, r, q, c)
	p.Done, p.DoneLinks = doneNotice(q)
	if q.Done == "created" {
		p.Done, p.DoneLinks = fmt.Sprintf("Recorded decision #%d: here is every measure before and after it.", q.Compare.Decision), nil
	}
	if s.assets.echarts == "" {
		p.Notice = chartsNotice
	}
	return s.render(w, r, templates.Compare(p))
}

// compareHref is the comparison around a decision.
func compareHref(id int64) string { return "/compare?decision=" + strconv.FormatInt(id, 10) }

// fillCompare lays a comparison out on the page.
func (s *Server) fillCompare(p *templates.ComparePage, r *http.Request, q Query, c impact.Comparison) {
	p.Title = compareTitle(c)
	p.Scope = compareScopeLine(c)
	if d := c.Decision; d != nil {
		card := &templates.DecisionCard{ID: d.ID, Date: d.Date, Title: d.Title, Kind: d.Kind, Note: d.Note, Link: safeLink(d.Link),
			Scope: decisionScope(derefString(d.Team), d.Repos)}
		if s.canWrite(r) {
			card.EditHref = decisionPath(d.ID, "edit")
		}
		p.Decision = card
	}
	p.Sides = []string{sideLine(c.Before, c.Kind), sideLine(c.After, c.Kind)}
	if c.Kind == impact.CompareScopes {
		p.Sides = p.Sides[1:] // one period for both scopes
	}
	if c.Settings.GapDays > 0 && c.At != nil {
		p.Sides = append(p.Sides, fmt.Sprintf("settling gap: the %d days from %s to %s are left out", c.Settings.GapDays, *c.At, c.After.From))
	}
	if c.After.Partial {
		cut := ""
		if c.After.CutAt != nil {
			cut = " (cut at " + *c.After.CutAt + ")"
		}
		p.Partial = fmt.Sprintf("The %s side is partial: %s of %s days so far%s. Rates use the days measured and the weekly series leave out the week in progress; the verdicts may change as the side fills.",
			render.AfterSide(c.Kind), render.Days(c.After.Days), render.Days(c.After.Planned), cut)
	}
	p.Summary = c.Summary
	p.Labels = sideLabels(c)
	p.Notes = c.Notes
	p.Methods = templates.Link{Label: "Methods, and how to read this page:", Href: methodsURL, Title: "docs/decision-impact.md"}
	breakLabel := breakName(c)
	for _, m := range c.Measures {
		p.Rows = append(p.Rows, compareRow(m))
		p.Panels = append(p.Panels, templates.ComparePanel{
			Key: m.Key, Name: m.Name, Verdict: verdictOf(m), Summary: m.Summary, ITS: itsLine(m), Method: "Compared by: " + m.Method + ".",
			Reconcile: m.Reconcile, Chart: compareChart(c, m, breakLabel),
		})
		if m.ITS != nil {
			p.ITS = append(p.ITS, itsRow(m))
		}
	}
	if len(p.ITS) > 0 {
		p.ITSLead = "Beside the plain before/after: each measure's weekly values fitted by segmented regression (Wagner et al. 2002). The level change is the jump at the " + breakLabel +
			", measured against where the trend before it was heading; the slope change is how the weekly trend bent. In bold when the 95 % interval excludes 0. A measure that was already moving shows a clear before/after difference but no level change; for measures the trend guard flags, this is the better estimate."
	}
	p.Reconcile = render.Reconciliations(c)
	p.Confounding = confounding(q, c)
	if p.Confounding != nil {
		// The note says it again; the block above says it first.
		p.Notes = slices.DeleteFunc(slices.Clone(p.Notes), func(n string) bool { return strings.HasPrefix(n, p.Confounding.Warning) })
	}
	p.JSONHref = link("/api/v1/compare", q.compareValues())
	p.CSVHref = link("/compare", withValues(q.compareValues(), "format", "csv"))
	p.CLI = compareCLI(q)
}

// confounding is the block on the other decisions inside the windows, or
// nil when there are none.
func confounding(q Query, c impact.Comparison) *templates.Confounding {
	if len(c.Confounders) == 0 {
		return nil
	}
	out := &templates.Confounding{Warning: render.Confounders(c), Clean: render.CleanWindow(c)}
	for _, d := range c.Confounders {
		out.Decisions = append(out.Decisions, templates.Link{Label: fmt.Sprintf("#%d %s", d.ID, d.Title), Href: compareHref(d.ID),
			Title: fmt.Sprintf("%s, in the %s window (%s)", d.Date, d.Side, d.Kind)})
	}
	if n := c.CleanWindowDays; n != nil {
		weeks := strconv.Itoa(*n/7) + "w"
		v := q.compareValues()
		v.Del("weeks")
		v.Set("window", weeks)
		out.CleanLink = templates.Link{Label: "Compare " + render.WeeksText(float64(*n)) + " on each side", Href: link("/compare", v)}
	}
	return out
}

// compareTitle is the page's heading.
func compareTitle(c impact.Comparison) string {
	switch {
	case c.Decision != nil:
		return fmt.Sprintf("Decision #%d: %s", c.Decision.ID, c.Decision.Title)
	case c.Kind == impact.CompareScopes:
		return c.Before.Label + " against " + c.After.Label
	case c.Kind == impact.ComparePeriods:
		return "Period A against period B"
	case c.At != nil:
		return "Before and after " + *c.At
	}
	return "Compare"
}

// compareScopeLine says which repos are compared.
func compareScopeLine(c impact.Comparison) string {
	tz := c.Before.Timezone
	if c.Kind == impact.CompareScopes {
		return sideScope(c.Before) + " against " + sideScope(c.After) + " · " + tz
	}
	return sideScope(c.Before) + " · " + tz
}

func sideScope(s impact.SideSummary) string {
	repos := strings.Join(s.Repos, ", ")
	if len(s.Repos) > 4 {
		repos = fmt.Sprintf("%d repos", len(s.Repos))
	}
	switch {
	case len(s.Repos) == 0:
		return "no repos"
	case s.Team != nil:
		return "team " + *s.Team + " (" + repos + ")"
	}
	return repos
}

func sideLine(s impact.SideSummary, kind string) string {
	label := s.Label
	if kind == impact.CompareScopes {
		label = "period"
	}
	line := fmt.Sprintf("%s: %s to %s (%s)", label, s.From, s.To, render.WeeksText(s.Planned))
	if kind == impact.CompareScopes {
		line = fmt.Sprintf("%s: %s to %s (%s), the same for both scopes", label, s.From, s.To, render.WeeksText(s.Planned))
	}
	if s.Partial {
		line += fmt.Sprintf(", partial: %s of %s days so far", render.Days(s.Days), render.Days(s.Planned))
	}
	return line
}

// sideLabels are the table's column headings for the two sides.
func sideLabels(c impact.Comparison) [2]string {
	switch c.Kind {
	case impact.CompareScopes:
		return [2]string{c.Before.Label, c.After.Label}
	case impact.ComparePeriods:
		return [2]string{"Period A", "Period B"}
	}
	return [2]string{"Before", "After"}
}

// breakName is what the break is called on charts and in sentences.
func breakName(c impact.Comparison) string {
	switch {
	case c.Kind == impact.CompareDecision:
		return "decision"
	case c.Kind == impact.ComparePeriods:
		return "start of period B"
	}
	return "date"
}

func derefString(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// compareRow is one measure of the table.
func compareRow(m impact.MeasureComparison) templates.CompareRow {
	row := templates.CompareRow{
		Key: m.Key, Name: m.Name, Href: "#m-" + m.Key,
		Before:   measureValue(m, m.Before, m.CountBefore, m.NBefore, "before"),
		After:    measureValue(m, m.After, m.CountAfter, m.NAfter, "after"),
		Change:   changeValue(m),
		Interval: intervalBar(m),
		P:        pValue(m),
		N:        nValue(m),
		Verdict:  verdictOf(m),
	}
	if g := m.PreTrend; g != nil && g.Significant {
		dir := "falling"
		if g.SlopePerWeek > 0 {
			dir = "rising"
		}
		slope := g.SlopePerWeek
		p := g.PValue
		row.PreTrend = &templates.PreTrendFlag{
			Text: fmt.Sprintf("already %s before: %s a week", dir, render.FormatMeasureDifference(m.Unit, &slope)),
			Title: fmt.Sprintf("The weekly values before the break trend %s by %s a week (95 %% interval %s to %s, %s, %d weeks). Part of the change may be that trend: see the interrupted time series.",
				dir, render.FormatMeasureDifference(m.Unit, &slope), render.FormatMeasureDifference(m.Unit, g.Interval.Low), render.FormatMeasureDifference(m.Unit, g.Interval.High), render.FormatP(&p), g.Weeks),
		}
	}
	return row
}

// measureValue is one side's value, humanised, with the exact value and
// what it is made of on hover.
func measureValue(m impact.MeasureComparison, v *float64, count *int, n int, side string) templates.Value {
	text := render.FormatMeasureValue(m.Unit, v)
	if v == nil {
		return templates.Value{Text: text, Exact: fmt.Sprintf("No value %s: %d %s.", side, n, m.NUnit), Null: true}
	}
	var exact string
	switch m.Unit {
	case "seconds":
		exact = fmt.Sprintf("median %s s of %d %s", strconv.FormatFloat(*v, 'f', -1, 64), n, m.NUnit)
	case "lines":
		exact = fmt.Sprintf("median %s lines of %d %s", strconv.FormatFloat(*v, 'f', -1, 64), n, m.NUnit)
	case "per_week":
		c := 0
		if count != nil {
			c = *count
		}
		exact = fmt.Sprintf("%d in all, %s a week", c, strconv.FormatFloat(*v, 'f', 3, 64))
	case "share":
		c := 0
		if count != nil {
			c = *count
		}
		exact = fmt.Sprintf("%d of %d %s (%s)", c, n, m.NUnit, strconv.FormatFloat(*v, 'f', 4, 64))
	}
	return templates.Value{Text: text, Exact: exact}
}

func changeValue(m impact.MeasureComparison) templates.Value {
	switch {
	case m.Difference == nil && m.RelativeChange == nil:
		return templates.Value{Text: render.Dash, Exact: "One side has no value.", Null: true}
	case m.Statistic == impact.StatProportion:
		return templates.Value{Text: render.FormatMeasureDifference(m.Unit, m.Difference), Exact: "relative change " + render.FormatPercentChange(m.RelativeChange)}
	case m.RelativeChange != nil:
		return templates.Value{Text: render.FormatPercentChange(m.RelativeChange), Exact: "difference " + render.FormatMeasureDifference(m.Unit, m.Difference)}
	}
	return templates.Value{Text: render.FormatMeasureDifference(m.Unit, m.Difference)}
}

func pValue(m impact.MeasureComparison) templates.Value {
	if m.PValue == nil {
		return templates.Value{Text: render.Dash, Exact: "No test: " + m.Verdict + ".", Null: true}
	}
	return templates.Value{Text: render.FormatPValue(m.PValue), Exact: "p = " + strconv.FormatFloat(*m.PValue, 'g', 6, 64)}
}

func nValue(m impact.MeasureComparison) templates.Value {
	text := fmt.Sprintf("%d / %d", m.NBefore, m.NAfter)
	exact := fmt.Sprintf("%d %s on the first side, %d on the second", m.NBefore, m.NUnit, m.NAfter)
	if m.Statistic == impact.StatRate {
		text += " weeks"
		if m.CountBefore != nil && m.CountAfter != nil {
			exact = fmt.Sprintf("%d whole weeks on the first side (%d events), %d on the second (%d events)", m.NBefore, *m.CountBefore, m.NAfter, *m.CountAfter)
		}
	}
	return templates.Value{Text: text, Exact: exact}
}

// verdictOf is a measure's verdict badge.
func verdictOf(m impact.MeasureComparison) templates.Verdict {
	better := "lower is better"
	if m.Better == impact.HigherIsBetter {
		better = "higher is better"
	}
	v := templates.Verdict{Key: strings.ReplaceAll(m.Verdict, " ", "-"), Text: m.Verdict}
	switch m.Verdict {
	case impact.VerdictImproved:
		v.Title = "The 95 % interval excludes no change, on the better side (" + better + ")."
	case impact.VerdictWorsened:
		v.Title = "The 95 % interval excludes no change, on the worse side (" + better + ")."
	case impact.VerdictNoClearChange:
		v.Title = "The 95 % interval includes no change: the data cannot tell a change from noise."
	default:
		v.Title = fmt.Sprintf("Fewer than %d observations on a side (%d whole weeks for rates): no verdict.", impact.MinObservations, impact.MinObservations)
	}
	return v
}

// intervalBar draws the interval of the change the table shows: relative
// for medians and rates, in points for shares. Each row has its own scale,
// symmetric around zero, so "does it cross zero" reads at a glance.
func intervalBar(m impact.MeasureComparison) templates.IntervalBar {
	b := templates.IntervalBar{Text: render.FormatInterval(m), Tone: "none"}
	switch m.Verdict {
	case impact.VerdictImproved:
		b.Tone = "improved"
	case impact.VerdictWorsened:
		b.Tone = "worsened"
	}
	if m.Interval == nil {
		b.Label = "No interval: " + m.Verdict + "."
		return b
	}
	var lo, hi, est *float64
	format := func(v *float64) string { return render.FormatMeasureDifference(m.Unit, v) }
	switch {
	case m.Statistic == impact.StatProportion:
		lo, hi, est = m.Interval.Low, m.Interval.High, m.Difference
	case m.RelativeInterval != nil:
		lo, hi, est = m.RelativeInterval.Low, m.RelativeInterval.High, m.RelativeChange
		format = render.FormatPercentChange
	default:
		lo, hi, est = m.Interval.Low, m.Interval.High, m.Difference
	}
	span := 0.0
	for _, v := range []*float64{lo, hi, est} {
		if v != nil {
			span = math.Max(span, math.Abs(*v))
		}
	}
	if span == 0 {
		span = 1
	}
	span *= 1.1
	// Room at each end for the end ticks' labels.
	const margin = 16.0
	width := float64(templates.IntervalWidth) - 2*margin
	x := func(v float64) float64 { return margin + (v+span)/(2*span)*width }
	b.Ticks = intervalTicks(span, x, tickFormat(m))
	b.Has, b.Zero = true, x(0)
	b.Low, b.OpenLow = margin, true
	if lo != nil {
		b.Low, b.OpenLow = x(*lo), false
	}
	b.High, b.OpenHi = margin+width, true
	if hi != nil {
		b.High, b.OpenHi = x(*hi), false
	}
	if est != nil {
		b.Est, b.HasEst = x(*est), true
	}
	end := func(v *float64) string {
		if v == nil {
			return "no bound"
		}
		return format(v)
	}
	where := "it crosses no change, so the data cannot tell a change from noise"
	switch {
	case lo != nil && *lo > 0:
		where = "entirely above no change"
	case hi != nil && *hi < 0:
		where = "entirely below no change"
	}
	b.Label = fmt.Sprintf("95 %% interval of the change: %s to %s", end(lo), end(hi))
	if est != nil {
		b.Label += ", estimate " + format(est)
	}
	b.Label += "; " + where + "."
	return b
}

// intervalTicks are round values within ±span, 0 among them, at most two
// each side: the scale of one interval bar. Only the outermost ticks and
// zero are labelled, the last in words of its unit.
func intervalTicks(span float64, x func(float64) float64, label func(v float64, last bool) string) []templates.IntervalTick {
	// The largest round step (1, 2 or 5 × 10ⁿ) that fits at least once
	// within the span: one or two ticks each side.
	step := math.Pow(10, math.Ceil(math.Log10(span)))
	for _, f := range []float64{0.5, 0.4, 0.5} {
		if span/step >= 1 {
			break
		}
		step *= f // 10 → 5 → 2 → 1
	}
	n := int(math.Floor(span/step + 1e-9))
	var ticks []templates.IntervalTick
	for k := -n; k <= n; k++ {
		v := float64(k) * step
		t := templates.IntervalTick{X: x(v)}
		if k == 0 || k == n || k == -n {
			t.Label = label(v, k == n)
		}
		ticks = append(ticks, t)
	}
	return ticks
}

// tickFormat labels a bar's ticks in the unit its interval is drawn in:
// relative changes in %, shares in points, else the measure's unit.
func tickFormat(m impact.MeasureComparison) func(v float64, last bool) string {
	return func(v float64, last bool) string {
		if v == 0 {
			return "0"
		}
		var s string
		switch {
		case m.Statistic == impact.StatProportion:
			s = render.FormatMeasureDifference(m.Unit, &v)
			if !last {
				s = strings.TrimSuffix(s, " points")
			}
			return s
		case m.RelativeInterval != nil:
			s = strconv.FormatFloat(math.Abs(v)*100, 'f', -1, 64)
			if len(s) > 4 {
				s = strconv.FormatFloat(math.Abs(v)*100, 'f', 0, 64)
			}
			s = map[bool]string{true: "−", false: "+"}[v < 0] + s
			if last {
				s += " %"
			}
			return s
		}
		return render.FormatMeasureDifference(m.Unit, &v)
	}
}

// itsRow is one measure of the interrupted time series table.
func itsRow(m impact.MeasureComparison) templates.ITSRow {
	its := m.ITS
	lp, sp := its.LevelP, its.SlopeP
	pre, post := its.PreSlope, its.PostSlope
	return templates.ITSRow{
		Key: m.Key, Name: m.Name,
		Level: render.FormatITSChange(m.Unit, its.LevelChange, its.LevelInterval), LevelP: render.FormatPValue(&lp), LevelClear: excludesZero(its.LevelInterval),
		Slope: render.FormatITSChange(m.Unit, its.SlopeChange, its.SlopeInterval), SlopeP: render.FormatPValue(&sp), SlopeClear: excludesZero(its.SlopeInterval),
		Slopes:      render.FormatMeasureDifference(m.Unit, &pre) + " → " + render.FormatMeasureDifference(m.Unit, &post),
		Weeks:       fmt.Sprintf("%d / %d", its.WeeksBefore, its.WeeksAfter),
		LevelTitle:  "exact: " + exactIn(m.Unit, its.LevelChange),
		SlopesTitle: "the fitted weekly slope before the break, and after it",
	}
}

// exactIn is a value in a measure's unit, unrounded.
func exactIn(unit string, v float64) string {
	suffix := map[string]string{"seconds": " s", "per_week": " a week", "lines": " lines"}[unit]
	if unit == "share" {
		return strconv.FormatFloat(v*100, 'g', 6, 64) + " points"
	}
	return strconv.FormatFloat(v, 'g', 6, 64) + suffix
}

// itsLine is the interrupted time series of a measure in one line.
func itsLine(m impact.MeasureComparison) string {
	if m.ITS == nil {
		return ""
	}
	its := m.ITS
	lp, sp := its.LevelP, its.SlopeP
	return fmt.Sprintf("Interrupted time series: level change %s, %s; slope change %s a week, %s.",
		render.FormatITSChange(m.Unit, its.LevelChange, its.LevelInterval), render.FormatP(&lp),
		render.FormatITSChange(m.Unit, its.SlopeChange, its.SlopeInterval), render.FormatP(&sp))
}

// itsValue shows an estimate and its interval, the unit said once:
// +8.3 a week (+4.2 to +12.4), −3h 39m (−6h 45m to −32m).
func excludesZero(iv impact.CompareInterval) bool {
	return iv.Low != nil && *iv.Low > 0 || iv.High != nil && *iv.High < 0
}

// compareCLI is the same comparison as a command.
func compareCLI(q Query) string {
	c := q.Compare
	args := []string{"tach", "report", "compare"}
	add := func(flag, value string) {
		if value != "" {
			args = append(args, flag, shellQuote(value))
		}
	}
	if c.Decision != 0 {
		add("--decision", strconv.FormatInt(c.Decision, 10))
	}
	add("--at", c.AtParam)
	add("--period-a", c.PeriodAParam)
	add("--period-b", c.PeriodBParam)
	add("--vs-team", c.VsTeam)
	for _, r := range c.VsRepos {
		add("--vs-repo", r)
	}
	for _, m := range c.VsModules {
		add("--vs-module", m)
	}
	add("--scope-before", c.BeforeParam)
	add("--scope-after", c.AfterParam)
	add("--period", c.PeriodParam)
	add("--window", c.WindowParam)
	add("--gap", c.GapParam)
	add("--team", q.Scope.Team)
	for _, r := range q.Scope.Repos {
		add("--repo", r)
	}
	for _, m := range q.Scope.Modules {
		add("--module", m)
	}
	return strings.Join(args, " ")
}

// shellQuote quotes a value for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && !strings.ContainsFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:@,+=", r))
	}) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// Window and gap choices of the compare form.
var (
	windowChoices = []struct{ value, label string }{{"4w", "4 weeks"}, {"6w", "6 weeks"}, {"8w", "8 weeks"}, {"12w", "12 weeks"}, {"26w", "26 weeks"}}
	gapChoices    = []struct{ value, label string }{{"0w", "none"}, {"3d", "3 days"}, {"1w", "1 week"}, {"2w", "2 weeks"}, {"4w", "4 weeks"}}
)

// compareForms fills the forms with the current comparison.
func (s *Server) compareForms(q Query, decisions []store.Decision, ch scopeChoices) templates.CompareForms {
	c := q.Compare
	f := templates.CompareForms{Action: "/compare", At: c.AtParam, PeriodA: c.PeriodAParam, PeriodB: c.PeriodBParam, Period: c.PeriodParam}
	f.Decisions = append(f.Decisions, templates.Option{Value: "", Label: "— none: compare around the date —", Selected: c.Decision == 0})
	for _, d := range slices.Backward(decisions) {
		f.Decisions = append(f.Decisions, templates.Option{Value: strconv.FormatInt(d.ID, 10),
			Label: fmt.Sprintf("#%d · %s · %s", d.ID, d.DecidedOn, truncate(d.Title, 60)), Selected: d.ID == c.Decision})
	}
	spans := func(choices []struct{ value, label string }, days int, def int, given string) []templates.Option {
		var out []templates.Option
		found := false
		if given == "" {
			days = def
		}
		for _, ch := range choices {
			d, _ := query.ParseSpan(ch.value)
			sel := d == days && !found
			found = found || sel
			out = append(out, templates.Option{Value: ch.value, Label: ch.label, Selected: sel})
		}
		if !found {
			out = append(out, templates.Option{Value: given, Label: given, Selected: true})
		}
		return out
	}
	f.Windows = spans(windowChoices, c.WindowDays, engine.DefaultWindowDays, c.WindowParam)
	f.Gaps = spans(gapChoices, c.GapDays, 0, c.GapParam)
	f.Teams = []templates.Option{{Value: "", Label: "the decision's, or every repo", Selected: q.Scope.Team == ""}}
	f.VsTeams = []templates.Option{{Value: "", Label: "—", Selected: c.VsTeam == ""}}
	for _, t := range ch.teams {
		f.Teams = append(f.Teams, templates.Option{Value: t.Name, Label: t.Name, Selected: t.Name == q.Scope.Team})
		f.VsTeams = append(f.VsTeams, templates.Option{Value: t.Name, Label: t.Name, Selected: t.Name == c.VsTeam})
	}
	f.Repos, f.RepoNames = s.names("repo", ch.repos, q.Scope.Repos)
	f.VsRepos, f.VsRepoNames = s.names("repo", ch.repos, c.VsRepos)
	f.ScopeBefore, f.ScopeAfter = c.BeforeParam, c.AfterParam
	switch {
	case c.PeriodAParam != "":
		f.Open = "periods"
	case c.Scopes():
		f.Open = "scopes"
	}
	return f
}

// dayOf parses a YYYY-MM-DD of a comparison (always valid: the engine
// wrote it).
func dayOf(s string) time.Time {
	t, _ := time.Parse(time.DateOnly, s)
	return t
}
