package render

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/tach-dev/tach/metrics/impact"
)

// The plain-language sentences of a comparison: one per measure, and one for
// the whole comparison ("Lead time fell from 2.1 d to 1.3 d (−38 %,
// interval −52 % to −21 %); deployment frequency rose …; no clear change in
// change failure rate").

// FormatChange shows a measure's change the way its interval reads: in
// points for proportions, relative where there is a relative change, in
// the unit otherwise (a dash when there is none).
func FormatChange(m impact.MeasureComparison) string {
	if m.Statistic != impact.StatProportion && m.RelativeChange != nil {
		return FormatPercentChange(m.RelativeChange)
	}
	return FormatMeasureDifference(m.Unit, m.Difference)
}

// FormatITSChange shows a level or slope change of the interrupted time
// series with its interval: "+1.2 a week (+0.3 to +2.1)".
func FormatITSChange(unit string, v float64, iv impact.CompareInterval) string {
	suffix := map[string]string{"per_week": " a week", "share": " points", "lines": " lines"}[unit]
	f := func(x *float64) string { return strings.TrimSuffix(FormatMeasureDifference(unit, x), suffix) }
	return fmt.Sprintf("%s%s (%s to %s)", f(&v), suffix, f(iv.Low), f(iv.High))
}

// FormatInterval shows a measure's 95 % interval the way the summary reads
// it: relative for medians and rates (−52 % to −21 %), in points for
// proportions (−22.0 to −6.6 points), in the unit when no relative interval
// exists.
func FormatInterval(m impact.MeasureComparison) string {
	end := func(v *float64, relative bool) string {
		if v == nil {
			return "∞"
		}
		if relative {
			return FormatPercentChange(v)
		}
		return FormatMeasureDifference(m.Unit, v)
	}
	switch {
	case m.Interval == nil:
		return Dash
	case m.Statistic == impact.StatProportion:
		lo, hi := end(m.Interval.Low, false), end(m.Interval.High, false)
		return strings.TrimSuffix(lo, " points") + " to " + hi
	case m.RelativeInterval != nil:
		return end(m.RelativeInterval.Low, true) + " to " + end(m.RelativeInterval.High, true)
	}
	return end(m.Interval.Low, false) + " to " + end(m.Interval.High, false)
}

// changeText is the parenthesis of a sentence: the change and its interval.
func changeText(m impact.MeasureComparison) string {
	if m.Interval == nil {
		return ""
	}
	return FormatChange(m) + ", interval " + FormatInterval(m)
}

func measureSentence(m impact.MeasureComparison, kind, beforeLabel, afterLabel string) string {
	b, a := FormatMeasureValue(m.Unit, m.Before), FormatMeasureValue(m.Unit, m.After)
	var s string
	switch m.Verdict {
	case impact.VerdictNotEnoughData:
		s = fmt.Sprintf("%s: not enough data (%d %s %s, %d %s; %d needed on each side)",
			m.Name, m.NBefore, m.NUnit, sideWord(kind, beforeLabel, true), m.NAfter, sideWord(kind, afterLabel, false), impact.MinObservations)
	case impact.VerdictNoClearChange:
		s = fmt.Sprintf("%s: no clear change (%s → %s", m.Name, b, a)
		if ct := changeText(m); ct != "" {
			s += ", " + ct
		}
		s += ")"
	default:
		up := m.Difference != nil && *m.Difference > 0 || m.Difference == nil && m.Interval != nil && m.Interval.Low != nil && *m.Interval.Low > 1
		if kind == impact.CompareScopes {
			dir := "lower"
			if up {
				dir = "higher"
			}
			s = fmt.Sprintf("%s is %s in %s than in %s: %s against %s (%s)", m.Name, dir, afterLabel, beforeLabel, a, b, changeText(m))
		} else {
			verb := "fell"
			if up {
				verb = "rose"
			}
			s = fmt.Sprintf("%s %s from %s to %s (%s)", m.Name, verb, b, a, changeText(m))
		}
	}
	if m.PreTrend != nil && m.PreTrend.Significant {
		s += " — " + m.PreTrend.Note
	}
	return s
}

func sideWord(kind, label string, before bool) string {
	if kind == impact.CompareScopes || kind == impact.ComparePeriods {
		return "in " + label
	}
	if before {
		return "before"
	}
	return "after"
}

func trendNote(m impact.MeasureComparison, g impact.TrendGuard) string {
	dir := "falling"
	if g.SlopePerWeek > 0 {
		dir = "rising"
	}
	p := g.PValue
	note := fmt.Sprintf("but it was already %s before (%s a week, %s)", dir, FormatMeasureDifference(m.Unit, &g.SlopePerWeek), FormatP(&p))
	if g.SameDirection && (m.Verdict == impact.VerdictImproved || m.Verdict == impact.VerdictWorsened) {
		note += ", so part of this change may be that trend"
	}
	return note
}

func overallSummary(c impact.Comparison) string {
	var changed, same, missing []string
	for _, m := range c.Measures {
		switch m.Verdict {
		case impact.VerdictImproved, impact.VerdictWorsened:
			changed = append(changed, m.Summary)
		case impact.VerdictNoClearChange:
			same = append(same, lowerName(m.Name))
		default:
			missing = append(missing, lowerName(m.Name))
		}
	}
	parts := make([]string, 0, len(changed)+2)
	for i, s := range changed {
		if i > 0 {
			s = lowerName(s)
		}
		parts = append(parts, s)
	}
	if len(same) > 0 {
		parts = append(parts, "no clear change in "+joinAnd(same))
	}
	if len(missing) > 0 {
		parts = append(parts, "not enough data for "+joinAnd(missing))
	}
	s := upperFirst(strings.Join(parts, "; ")) + "."
	if c.After.Partial {
		s = fmt.Sprintf("The %s side is partial (%s of %s days so far). ", AfterSide(c.Kind), formatFloat(c.After.Days, 0), formatFloat(c.After.Planned, 0)) + s
	}
	return s
}

// AfterSide is what the second side of a comparison is called: "after",
// or "second" for two periods or two scopes.
func AfterSide(kind string) string {
	if kind == impact.ComparePeriods || kind == impact.CompareScopes {
		return "second"
	}
	return "after"
}

func compareNotes(c impact.Comparison) []string {
	notes := []string{}
	if w := Confounders(c); w != "" {
		notes = append(notes, strings.TrimSpace(w+" "+CleanWindow(c)))
	}
	if c.After.Partial && c.After.CutAt != nil {
		notes = append(notes, fmt.Sprintf("The %s window is cut at the present (%s): %s days measured, and the weekly series leave out the week in progress.",
			AfterSide(c.Kind), *c.After.CutAt, formatFloat(c.After.Days, 1)))
	}
	var trending []string
	for _, m := range c.Measures {
		if m.PreTrend != nil && m.PreTrend.Significant {
			trending = append(trending, lowerName(m.Name))
		}
	}
	if len(trending) > 0 {
		notes = append(notes, fmt.Sprintf("Already trending before the %s: %s. For these, the interrupted time series (level and slope change) is the better estimate of what the %s did.",
			breakWord(c.Kind), joinAnd(trending), breakWord(c.Kind)))
	}
	notes = append(notes, fmt.Sprintf("Each verdict alone says \"improved\" or \"worsened\" by chance about 1 time in 20 when nothing changed; across %d measures an odd one is expected now and then. Trust the pattern the decision predicts, not one stray line.", len(c.Measures)))
	return notes
}

func breakWord(kind string) string {
	if kind == impact.CompareDecision {
		return "decision"
	}
	return "date"
}

// lowerName lower-cases a measure name's first letter unless it is an
// acronym (PR size, CI duration stay).
func lowerName(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 || len(s) <= n {
		return s
	}
	next, _ := utf8.DecodeRuneInString(s[n:])
	if unicode.IsUpper(next) {
		return s
	}
	return string(unicode.ToLower(r)) + s[n:]
}

func upperFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}

func joinAnd(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

// Explain writes the words of a comparison impact.Compare made: each measure's
// sentence (and the note of a significant pre-trend), the summary and the
// notes.
func Explain(c *impact.Comparison) {
	for i := range c.Measures {
		m := &c.Measures[i]
		if g := m.PreTrend; g != nil && g.Significant {
			g.Note = trendNote(*m, *g)
		}
		m.Summary = measureSentence(*m, c.Kind, c.Before.Label, c.After.Label)
		m.Reconcile = reconcile(*m, c.Kind, c.Settings.GapDays)
	}
	c.Summary = overallSummary(*c)
	c.Notes = compareNotes(*c)
}
