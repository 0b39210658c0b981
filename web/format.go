package web

import (
	"fmt"
	"strings"
	"time"

	"github.com/tach-dev/tach/metrics"
	"github.com/tach-dev/tach/metrics/impact"
	"github.com/tach-dev/tach/metrics/render"
	"github.com/tach-dev/tach/templates"
)

// Numbers as people read them, with the exact value on hover: every shown
// figure goes through one of these, so "–" always comes with its reason.

// nullValue is "–" with the reason on hover.
func nullValue(why string) templates.Value {
	return templates.Value{Text: render.Dash, Exact: why, Null: true}
}

// secondsValue shows a duration ("2.4 d") with its seconds on hover.
func secondsValue(s *float64, why string) templates.Value {
	if s == nil {
		return nullValue(why)
	}
	return templates.Value{Text: render.HumanDuration(s), Exact: exactSeconds(*s)}
}

func exactSeconds(s float64) string {
	switch {
	case s >= 86400:
		return fmt.Sprintf("%.0f s = %.2f days", s, s/86400)
	case s >= 3600:
		return fmt.Sprintf("%.0f s = %.2f hours", s, s/3600)
	default:
		return fmt.Sprintf("%.0f s", s)
	}
}

// rateValue shows a share ("7.1 %") with its parts on hover.
func rateValue(rate *float64, part, whole int, of string, why string) templates.Value {
	if rate == nil {
		return nullValue(why)
	}
	return templates.Value{Text: render.HumanPercent(rate), Exact: fmt.Sprintf("%d of %d %s = %.4f", part, whole, of, *rate)}
}

// numberValue shows a count or rate with one decimal, the exact value on
// hover with what it is.
func numberValue(v *float64, exact, why string) templates.Value {
	if v == nil {
		return nullValue(why)
	}
	if exact == "" {
		exact = fmt.Sprintf("%g", *v)
	}
	return templates.Value{Text: render.HumanNumber(v), Exact: exact}
}

func countValue(n int, exact string) templates.Value {
	return templates.Value{Text: fmt.Sprint(n), Exact: exact}
}

// keyValue formats a KeyComparison's value in its unit, for tables.
func keyValue(unit string, v *float64) templates.Value {
	if v == nil {
		return nullValue("cannot be computed: nothing to compute it from in this period")
	}
	text := render.HumanValue(unit, v)
	switch unit {
	case metrics.UnitSeconds:
		return templates.Value{Text: text, Exact: exactSeconds(*v)}
	case metrics.UnitRate:
		return templates.Value{Text: text, Exact: fmt.Sprintf("%.4f", *v)}
	}
	return templates.Value{Text: text, Exact: fmt.Sprintf("%.3f", *v)}
}

// delta is a judged KeyComparison as a card's change badge.
func delta(c metrics.KeyComparison, baselineLabel string) templates.Delta {
	d := templates.Delta{Text: render.HumanChange(c), Verdict: c.Verdict, Tone: verdictTone(c.Verdict), Counts: render.KeyCounts(c)}
	d.Title = keyTitle(c, baselineLabel)
	return d
}

// verdictTone is the colour of a verdict: good, bad, or neutral ("").
func verdictTone(verdict string) string {
	return map[string]string{impact.VerdictImproved: "good", impact.VerdictWorsened: "bad"}[verdict]
}

// keyTitle is the hover text of a judged change: the baseline's value, the
// test behind the verdict, or why there is none.
func keyTitle(c metrics.KeyComparison, baselineLabel string) string {
	t := fmt.Sprintf("%s: %s", baselineLabel, render.HumanValue(c.Unit, c.Baseline))
	if iv := render.KeyInterval(c); iv != "" {
		t += "; " + iv
	}
	switch {
	case c.Verdict == metrics.VerdictNotEnoughHistory:
		t += " — not compared: a period starts before the history start of a repo in scope"
	case c.Verdict == impact.VerdictNotEnoughData:
		t += fmt.Sprintf(" — not tested: each side needs %d observations (%d weeks for a rate per week)", impact.MinObservations, impact.MinObservations)
	case c.Diff == nil:
		t += " — no change can be computed when either period has no value"
	}
	return t
}

// historyNote is a page's note on where its scope's history starts: the
// window's partial history, or else that of the period it is compared
// with (whose changes are then not judged); "" when both are covered.
func historyNote(window, compared *metrics.PartialHistory, comparedName string) string {
	if note := render.HistoryNote(window, "this window"); note != "" {
		if compared != nil {
			note += " No change against " + comparedName + " is judged."
		}
		return note
	}
	if compared == nil {
		return ""
	}
	return render.HistoryNote(compared, comparedName) + " No change against it is judged."
}

// timeValue shows an instant in the rules' timezone, exact UTC on hover.
func timeValue(t time.Time, loc *time.Location) templates.Value {
	if t.IsZero() {
		return nullValue("not yet")
	}
	return templates.Value{Text: t.In(loc).Format("Mon 2 Jan 15:04"), Exact: t.UTC().Format(time.RFC3339)}
}

// timeCell is a table cell of an instant.
func timeCell(t time.Time, loc *time.Location) templates.Cell {
	if t.IsZero() {
		return templates.Cell{Text: render.Dash, Muted: true}
	}
	return templates.Cell{Text: t.In(loc).Format("2006-01-02 15:04"), Title: t.UTC().Format(time.RFC3339), NoWrap: true}
}

// dateCell is a table cell of an instant's day, the exact time on hover.
func dateCell(t time.Time, loc *time.Location) templates.Cell {
	if t.IsZero() {
		return templates.Cell{Text: render.Dash, Muted: true}
	}
	return templates.Cell{Text: t.In(loc).Format(time.DateOnly), Title: t.In(loc).Format("2006-01-02 15:04 MST"), NoWrap: true}
}

// durationCell is a table cell of a duration.
func durationCell(d time.Duration, known bool, why string) templates.Cell {
	if !known {
		return templates.Cell{Text: render.Dash, Title: why, Num: true, Muted: true}
	}
	s := d.Seconds()
	return templates.Cell{Text: render.HumanDuration(&s), Title: exactSeconds(s), Num: true}
}

func secondsCell(s *float64, why string) templates.Cell {
	if s == nil {
		return templates.Cell{Text: render.Dash, Title: why, Num: true, Muted: true}
	}
	return templates.Cell{Text: render.HumanDuration(s), Title: exactSeconds(*s), Num: true}
}

func intCell(n int) templates.Cell { return templates.Cell{Text: fmt.Sprint(n), Num: true} }

// sizeCell is a change's size: lines changed, with the split on hover.
func sizeCell(c metrics.Change) templates.Cell {
	if !c.SizeKnown {
		return templates.Cell{Text: render.Dash, Title: "the provider gave no size", Num: true, Muted: true}
	}
	return templates.Cell{Text: fmt.Sprint(c.Additions + c.Deletions), Title: fmt.Sprintf("+%d −%d in %d files", c.Additions, c.Deletions, c.ChangedFiles), Num: true}
}

// changeCell is a change's number and title, linking out to the provider.
func changeCell(c metrics.Change, r metrics.Rules) templates.Cell {
	cell := templates.Cell{Text: fmt.Sprintf("#%d %s", c.Number, c.Title), Href: c.URL, Title: "opened by " + c.Author}
	if r.IsBotChange(c) {
		cell.Tags = append(cell.Tags, "bot")
	}
	if c.Draft {
		cell.Tags = append(cell.Tags, "draft")
	}
	if r.IsFix(c) && !r.IsBotChange(c) {
		cell.Tags = append(cell.Tags, "fix")
	}
	return cell
}

// incidentCell is an incident's number and title, linking out.
func incidentCell(in metrics.Incident) templates.Cell {
	cell := templates.Cell{Text: fmt.Sprintf("#%d %s", in.Number, in.Title), Href: in.URL}
	if in.ResolvedAt.IsZero() {
		cell.Tags = append(cell.Tags, "open")
	}
	return cell
}

// shaCell is a deployment's commit, linking to the deployment.
func shaCell(sha, url string) templates.Cell {
	return templates.Cell{Text: render.ShortSHA(sha), Title: sha, Href: url}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}

func joinNonEmpty(sep string, parts ...string) string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, sep)
}
