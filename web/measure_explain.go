package web

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/tach-dev/tach/metrics"
	"github.com/tach-dev/tach/metrics/engine"
	"github.com/tach-dev/tach/metrics/render"
	"github.com/tach-dev/tach/metrics/review"
	"github.com/tach-dev/tach/templates"
)

// Every move explained where it is shown: a measure page's headline
// figures against the earlier period, with the counts of both sides, and
// which part of the scope moved them (metrics.Split.Breakdown); and the
// weeks of its trend, each a link to the page with that week's rows.

// figure is a headline figure of a measure page that a breakdown explains.
type figure struct {
	fig   metrics.Figure
	key   string // the key whose comparison judges its change (metrics.Key…)
	title string // "Lead time, median"
	unit  string // metrics.Unit…: how its values read
	noun  string // what its n counts
}

// figures are the headline figures of a measure page, in order.
func (d measureDef) figures() []figure { return measureFigures[d.slug] }

// measureFigures are each measure page's headline figures.
var measureFigures = map[string][]figure{
	measureDeploymentFrequency: {{metrics.FigureDeploymentsPerWeek, metrics.KeyDeploymentFrequency, "Deployments per week", metrics.UnitPerWeek, "deployments"}},
	measureLeadTime:            {{metrics.FigureLeadTime, metrics.KeyLeadTime, "Lead time, median", metrics.UnitSeconds, "changes"}},
	measureChangeFailureRate:   {{metrics.FigureChangeFailureRate, metrics.KeyChangeFailureRate, "Change failure rate", metrics.UnitRate, "deployments"}},
	measureRecoveryTime:        {{metrics.FigureRecoveryTime, metrics.KeyRecoveryTime, "Recovery time, median", metrics.UnitSeconds, "recoveries"}},
	measureReworkRate:          {{metrics.FigureReworkRate, metrics.KeyReworkRate, "Rework rate", metrics.UnitRate, "deployments"}},
	measureCycleTime: {
		{metrics.FigureCoding, metrics.KeyCodingTime, "Coding, median", metrics.UnitSeconds, "changes"},
		{metrics.FigurePickup, metrics.KeyPickupTime, "Pickup, median", metrics.UnitSeconds, "changes"},
		{metrics.FigureReview, metrics.KeyReviewTime, "Review, median", metrics.UnitSeconds, "changes"},
		{metrics.FigureDeploy, metrics.KeyDeployTime, "Deploy, median", metrics.UnitSeconds, "changes"},
	},
	measureThroughput: {{metrics.FigureMergedPerWeek, metrics.KeyThroughput, "Changes merged per week", metrics.UnitPerWeek, "changes"}},
	measurePRSize:     {{metrics.FigurePRSize, metrics.KeyPRSize, "PR size, median", metrics.UnitLines, "changes"}},
	measureCI:         {{metrics.FigureCI, metrics.KeyCI, "CI duration, median", metrics.UnitSeconds, "runs"}},
}

// breakdownRows is how many parts a breakdown table lists; the JSON has
// them all.
const breakdownRows = 12

// explain fills the change against the earlier period and its breakdown.
func (b *measureBuild) explain() {
	if b.split == nil {
		return
	}
	cur, prev := b.split.Current, b.split.Previous
	span := func(w metrics.Window) string {
		return fmt.Sprintf("%s – %s", w.From.In(b.loc).Format("2 Jan 2006"), metrics.AddDays(w.To.In(b.loc), -1).Format("2 Jan 2006"))
	}
	curLabel, prevLabel := "This period", "Period before"
	baseline := fmt.Sprintf("the period before (%s)", span(prev))
	if b.shown != nil {
		curLabel, prevLabel = "This week", fmt.Sprintf("%d weeks before", review.BaselineWeeks)
		baseline = fmt.Sprintf("the %d weeks before (%s)", review.BaselineWeeks, span(prev))
		b.res.changes.Title = fmt.Sprintf("The week of %s against the %d weeks before it (%s)", span(cur), review.BaselineWeeks, span(prev))
	} else {
		b.res.changes.Title = fmt.Sprintf("Against the period before, of the same length (%s)", span(prev))
	}
	for i, fc := range b.change {
		f, bd := fc.figure, fc.breakdown
		b.res.Breakdown = append(b.res.Breakdown, bd)
		b.res.Changes = append(b.res.Changes, fc.judged)
		b.res.changes.Rows = append(b.res.changes.Rows, templates.Change{
			Label: f.title, Value: f.sideValue(bd.Total.Current, scopeWords(b.rep.Scope)), Before: f.sideValue(bd.Total.Previous, scopeWords(b.rep.Scope)),
			Delta: delta(fc.judged, baseline),
		})
		bf := templates.BreakdownFigure{Title: f.title, Open: i == 0 || len(b.change) == 1,
			Lead: fmt.Sprintf("%s against %s; changes and effects in %s. A part that moved the figure has a large effect, one that followed the rest none.",
				span(cur), span(prev), unitWords[f.unit])}
		if fc.judged.Verdict == metrics.VerdictNotEnoughHistory {
			bf.Lead = fmt.Sprintf("%s against %s: not compared, as a period starts before the history start of a repo in scope (tach does not hold all its records then); both periods' figures only.",
				span(cur), span(prev))
		}
		for _, dim := range bd.By {
			bf.Tables = append(bf.Tables, b.breakdownTable(f, bd, dim, curLabel, prevLabel))
		}
		if len(bd.By) == 0 {
			bf.Tables = append(bf.Tables, b.breakdownTable(f, bd, metrics.BreakdownByDimension{Dimension: metrics.DimensionRepo}, curLabel, prevLabel))
		}
		b.res.breakdown = append(b.res.breakdown, bf)
	}
}

// unitWords name the unit a figure's change and effects are in.
var unitWords = map[string]string{
	metrics.UnitRate: "percentage points", metrics.UnitPerWeek: "records a week", metrics.UnitLines: "lines", metrics.UnitSeconds: "time",
}

// breakdownTable is a breakdown's rows along one dimension, the whole
// first.
func (b *measureBuild) breakdownTable(f figure, bd metrics.Breakdown, dim metrics.BreakdownByDimension, curLabel, prevLabel string) templates.Table {
	by := map[string]string{metrics.DimensionRepo: "Repo", metrics.DimensionTeam: "Team", metrics.DimensionModule: "Module"}[dim.Dimension]
	t := templates.Table{TestID: "breakdown-" + dim.Dimension, Caption: "By " + dim.Dimension, Columns: []templates.Column{
		{Label: by}, {Label: curLabel, Num: true}, {Label: prevLabel, Num: true}, {Label: "Change", Num: true},
		{Label: "Effect", Num: true, Title: "The whole's change minus the change it would have had without this part's rows"},
	}}
	whole := bd.Total
	t.Rows = append(t.Rows, []templates.Cell{
		{Text: scopeWords(b.rep.Scope), Title: "the whole scope"}, f.sideCell(whole.Current), f.sideCell(whole.Previous), f.changeCell(whole.Change),
		{Text: render.Dash, Num: true, Muted: true, Title: "the whole"},
	})
	for i, row := range dim.Rows {
		if i == breakdownRows {
			t.Rows = append(t.Rows, []templates.Cell{{Text: fmt.Sprintf("and %d more with smaller effects (this page as JSON lists them all)", len(dim.Rows)-i), Muted: true}, {}, {}, {}, {}})
			break
		}
		scope := url.Values{"repo": {row.Name}}
		switch dim.Dimension {
		case metrics.DimensionTeam:
			scope = url.Values{"team": {row.Name}}
		case metrics.DimensionModule:
			scope = url.Values{"module": strings.Split(row.Name, engine.ModuleRefSep)}
		}
		name := templates.Cell{Text: row.Name, Href: b.scopedLink(scope), Title: "this measure for " + row.Name + " alone"}
		effect := f.changeCell(row.Effect)
		if row.Effect != nil && whole.Change != nil {
			rest := *whole.Change - *row.Effect
			effect.Title = fmt.Sprintf("without %s the change would have been %s (it was %s)", row.Name, signedValue(f.unit, &rest), signedValue(f.unit, whole.Change))
		}
		t.Rows = append(t.Rows, []templates.Cell{name, f.sideCell(row.Current), f.sideCell(row.Previous), f.changeCell(row.Change), effect})
	}
	return t
}

// scopedLink is this page (window and week kept) for another scope.
func (b *measureBuild) scopedLink(scope url.Values) string {
	v := b.q.pageValues()
	v.Del("team")
	v.Del("repo")
	v.Del("module")
	for k, vs := range scope {
		v[k] = vs
	}
	return link("/measures/"+b.def.slug, v)
}

// sideValue is a figure in one period with what it is computed from.
func (f figure) sideValue(s metrics.BreakdownSide, whose string) templates.Value {
	if s.Value == nil {
		return templates.Value{Text: render.Dash + " (" + plural(s.N, f.one(), f.noun) + ")", Exact: fmt.Sprintf("nothing to compute it from for %s in this period", whose), Null: true}
	}
	text := render.HumanValue(f.unit, s.Value)
	switch f.unit {
	case metrics.UnitRate:
		return templates.Value{Text: fmt.Sprintf("%s (%d of %d)", text, *s.K, s.N), Exact: fmt.Sprintf("%d of %d %s = %.4f", *s.K, s.N, f.noun, *s.Value)}
	case metrics.UnitPerWeek:
		return templates.Value{Text: fmt.Sprintf("%s (%d)", text, s.N), Exact: fmt.Sprintf("%s in the period, per 7 days = %.3f", plural(s.N, f.one(), f.noun), *s.Value)}
	case metrics.UnitSeconds:
		return templates.Value{Text: fmt.Sprintf("%s (%d)", text, s.N), Exact: fmt.Sprintf("median of %s = %s", plural(s.N, f.one(), f.noun), exactSeconds(*s.Value))}
	}
	return templates.Value{Text: fmt.Sprintf("%s (%d)", text, s.N), Exact: fmt.Sprintf("median of %s = %g", plural(s.N, f.one(), f.noun), *s.Value)}
}

func (f figure) sideCell(s metrics.BreakdownSide) templates.Cell {
	v := f.sideValue(s, "this part")
	return templates.Cell{Text: v.Text, Title: v.Exact, Num: true, Muted: v.Null}
}

func (f figure) changeCell(v *float64) templates.Cell {
	if v == nil {
		return templates.Cell{Text: render.Dash, Num: true, Muted: true, Title: "a side has no value"}
	}
	return templates.Cell{Text: signedValue(f.unit, v), Num: true}
}

// one is the singular of the figure's noun.
func (f figure) one() string {
	switch f.noun {
	case "deployments":
		return "deployment"
	case "changes":
		return "change"
	case "recoveries":
		return "recovery"
	case "runs":
		return "run"
	}
	return f.noun
}

// figureChange is a headline figure's change against the earlier
// period: its breakdown by repo and team, and the change judged.
type figureChange struct {
	figure    figure
	breakdown metrics.Breakdown
	judged    metrics.KeyComparison
}

// figureChanges are the headline figures' changes over a split, judged by
// the comparison of its two periods the overview's cards and the weekly
// review are judged by (engine.Reports.JudgeChange): a figure is better
// or worse only when its test says so, with both sides' counts.
func (s *Server) figureChanges(ctx context.Context, def measureDef, sc engine.Scope, split *metrics.Split, now time.Time) ([]figureChange, error) {
	if split == nil {
		return nil, nil
	}
	out := make([]figureChange, len(def.figures()))
	keys := make([]metrics.KeyComparison, len(out))
	for i, f := range def.figures() {
		out[i] = figureChange{figure: f, breakdown: split.Breakdown(f.fig)}
		total := out[i].breakdown.Total
		keys[i] = metrics.CompareKey(f.key, f.title, f.unit, f.unit != metrics.UnitPerWeek, total.Current.Value, total.Previous.Value)
	}
	keys, err := s.reports.JudgeChange(ctx, sc, keys, split.Previous, split.Current, now)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].judged = keys[i]
		if keys[i].Verdict == metrics.VerdictNotEnoughHistory {
			// Not compared: no change, by part either.
			out[i].breakdown = out[i].breakdown.WithoutChange()
		}
	}
	return out, nil
}

// weekChoice fills the links to each week's rows and the shown week.
func (b *measureBuild) weekChoice() {
	var hrefs []string
	for i, w := range b.weeks {
		v := b.q.scopeValues()
		v.Set("week", b.labels[i])
		href := link("/measures/"+b.def.slug, v) + "#week"
		label := w.Start.In(b.loc).Format("2 Jan")
		title := fmt.Sprintf("the rows of %s – %s", w.Start.In(b.loc).Format("Mon 2 Jan"), w.End.Add(-time.Second).In(b.loc).Format("Mon 2 Jan"))
		if w.Partial {
			label += " (part)"
			title += " (a part week: the window holds only these days of it)"
		}
		active := b.shown != nil && b.shown.From.Equal(w.Start)
		b.res.weekLinks = append(b.res.weekLinks, templates.Link{Label: label, Href: href, Title: title, Active: active})
		hrefs = append(hrefs, href)
	}
	if b.res.trend.Option != nil {
		b.res.trend.Links = hrefs
	}
	if b.shown == nil {
		return
	}
	week := b.shown.From.In(b.loc)
	sw := &templates.ShownWeek{
		Label: "The week of " + metrics.WeekStart(week, b.loc).Format("Mon 2 Jan 2006") + ".",
		Note: fmt.Sprintf("The rows below are of %s – %s, and the breakdown compares it with the %d weeks before; the figures and charts above are of the whole window.",
			week.Format("Mon 2 Jan"), b.shown.To.Add(-time.Second).In(b.loc).Format("Mon 2 Jan"), review.BaselineWeeks),
		Whole: templates.Link{Label: "Show the whole window", Href: link("/measures/"+b.def.slug, b.q.scopeValues())},
	}
	if metrics.Partial(*b.shown, b.loc) {
		sw.Note = "A part week: " + sw.Note
	}
	b.res.week = sw
}

// signedValue is a change in a figure's unit with its sign: +2h 10m,
// −1.5 pp, +0.8 (a week), ±0.
func signedValue(unit string, v *float64) string {
	if v == nil {
		return render.Dash
	}
	x := *v
	abs := max(x, -x)
	var s string
	switch unit {
	case metrics.UnitRate:
		s = fmt.Sprintf("%.1f pp", abs*100)
	case metrics.UnitSeconds:
		s = render.HumanDuration(&abs)
	default:
		s = render.HumanNumber(&abs)
	}
	switch {
	case s == "0.0 pp" || s == "0" || s == "0s" || s == "0.0":
		return "±" + s
	case x < 0:
		return "−" + s
	}
	return "+" + s
}
