package render

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/tach-dev/tach/metrics/impact"
)

// A comparison as the CLI prints it, in text and Markdown: the sides, the
// summary, a table of the measures and the interrupted time series.

// compareTitle is the heading of a comparison.
func compareTitle(c impact.Comparison) string {
	switch {
	case c.Decision != nil:
		return fmt.Sprintf("decision #%d %q (%s), %s · %s", c.Decision.ID, c.Decision.Title, c.Decision.Kind, c.Decision.Date, sidesScope(c))
	case c.Kind == impact.CompareScopes:
		return fmt.Sprintf("%s against %s", c.Before.Label, c.After.Label)
	case c.Kind == impact.ComparePeriods:
		return "two periods · " + sideScope(c.Before)
	case c.At != nil:
		return "before and after " + *c.At + " · " + sidesScope(c)
	}
	return sideScope(c.Before)
}

// sidesScope is the scope of a before/after comparison: one, or the one
// before and the one after when they differ.
func sidesScope(c impact.Comparison) string {
	before, after := sideScope(c.Before), sideScope(c.After)
	if before == after {
		return before
	}
	return before + " before, " + after + " after"
}

func sideScope(s impact.SideSummary) string {
	names := append(slices.Clone(s.Repos), s.Modules...)
	switch {
	case s.Team != nil:
		return "team " + *s.Team
	case len(names) == 0:
		return "no repos"
	case len(names) <= 3:
		return strings.Join(names, ", ")
	case len(s.Modules) > 0:
		return fmt.Sprintf("%d repos and modules", len(names))
	}
	return fmt.Sprintf("%d repos", len(s.Repos))
}

func sideLine(s impact.SideSummary) string {
	line := fmt.Sprintf("%s: %s to %s (%s)", s.Label, s.From, s.To, WeeksText(s.Planned))
	if s.Partial {
		line += fmt.Sprintf(", partial: %s days so far", strconv.FormatFloat(s.Days, 'f', 0, 64))
	}
	return line
}

// WeeksText is a side's length: "8 weeks", "1 week", "10 days".
func WeeksText(days float64) string {
	if w := days / 7; w == math.Trunc(w) {
		if w == 1 {
			return "1 week"
		}
		return fmt.Sprintf("%d weeks", int(w))
	}
	return Days(days) + " days"
}

// Days is a number of days, with one decimal when it is not whole.
func Days(d float64) string {
	if d == math.Trunc(d) {
		return strconv.FormatFloat(d, 'f', 0, 64)
	}
	return strconv.FormatFloat(d, 'f', 1, 64)
}

// compareRow is one measure as the text and Markdown tables show it.
type compareRow struct {
	name, before, after, change, interval, p, n, verdict, trend string
}

func compareRows(c impact.Comparison) []compareRow {
	rows := make([]compareRow, 0, len(c.Measures))
	for _, m := range c.Measures {
		row := compareRow{
			name:     m.Name,
			before:   FormatMeasureValue(m.Unit, m.Before),
			after:    FormatMeasureValue(m.Unit, m.After),
			change:   FormatChange(m),
			interval: FormatInterval(m),
			p:        FormatPValue(m.PValue),
			n:        fmt.Sprintf("%d / %d", m.NBefore, m.NAfter),
			verdict:  m.Verdict,
			trend:    Dash,
		}
		if m.Statistic == impact.StatRate {
			row.n += " weeks"
		}
		if t := m.PreTrend; t != nil {
			dir := "none"
			if t.Significant {
				dir = "falling"
				if t.SlopePerWeek > 0 {
					dir = "rising"
				}
				row.verdict += " (pre-trend!)"
			}
			pv := t.PValue
			row.trend = fmt.Sprintf("%s (%s)", dir, FormatP(&pv))
		}
		rows = append(rows, row)
	}
	return rows
}

// itsRows are the measures with an interrupted time series: name, level
// change and slope change, each with its interval.
func itsRows(c impact.Comparison) [][3]string {
	var rows [][3]string
	for _, m := range c.Measures {
		if its := m.ITS; its != nil {
			rows = append(rows, [3]string{m.Name, FormatITSChange(m.Unit, its.LevelChange, its.LevelInterval), FormatITSChange(m.Unit, its.SlopeChange, its.SlopeInterval)})
		}
	}
	return rows
}

// CompareText writes a comparison for a terminal: `tach report compare`.
func CompareText(w io.Writer, c impact.Comparison) error {
	fmt.Fprintf(w, "tach compare — %s\n", compareTitle(c))
	fmt.Fprintf(w, "%s · %s · %s\n\n", sideLine(c.Before), sideLine(c.After), c.Before.Timezone)
	fmt.Fprintln(w, wrap(c.Summary, 100))
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "MEASURE\t%s\t%s\tCHANGE\t95 %% INTERVAL\tP\tN\tVERDICT\tPRE-TREND\n", strings.ToUpper(c.Before.Label), strings.ToUpper(c.After.Label))
	for _, r := range compareRows(c) {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.name, r.before, r.after, r.change, r.interval, r.p, r.n, r.verdict, r.trend)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if its := itsRows(c); len(its) > 0 {
		fmt.Fprintln(w, "\nInterrupted time series (weekly values; change at the date, 95 % intervals):")
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "MEASURE\tLEVEL CHANGE\tSLOPE CHANGE A WEEK")
		for _, r := range its {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", r[0], r[1], r[2])
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if rs := Reconciliations(c); len(rs) > 0 {
		fmt.Fprintln(w, "\nWhere the before/after and the time series disagree:")
		for _, r := range rs {
			fmt.Fprintln(w, wrap("- "+r, 100))
		}
	}
	fmt.Fprintln(w)
	for _, n := range c.Notes {
		fmt.Fprintln(w, wrap("Note: "+n, 100))
	}
	_, err := fmt.Fprintln(w, "Methods and how to read this: docs/decision-impact.md.")
	return err
}

// CompareMarkdown writes a comparison as Markdown.
func CompareMarkdown(w io.Writer, c impact.Comparison) error {
	fmt.Fprintf(w, "## tach compare — %s\n\n", mdEscape(compareTitle(c)))
	fmt.Fprintf(w, "%s · %s · %s\n\n", mdEscape(sideLine(c.Before)), mdEscape(sideLine(c.After)), mdEscape(c.Before.Timezone))
	fmt.Fprintf(w, "%s\n\n", mdEscape(c.Summary))
	fmt.Fprintf(w, "| Measure | %s | %s | Change | 95 %% interval | p | n | Verdict | Pre-trend |\n", mdEscape(upperFirstWord(c.Before.Label)), mdEscape(upperFirstWord(c.After.Label)))
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|")
	for _, r := range compareRows(c) {
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", r.name, r.before, r.after, r.change, r.interval, mdEscape(r.p), r.n, r.verdict, r.trend)
	}
	if its := itsRows(c); len(its) > 0 {
		fmt.Fprintln(w, "\n**Interrupted time series** (weekly values; change at the date, 95 % intervals)")
		fmt.Fprintln(w, "\n| Measure | Level change | Slope change a week |")
		fmt.Fprintln(w, "|---|---|---|")
		for _, r := range its {
			fmt.Fprintf(w, "| %s | %s | %s |\n", r[0], r[1], r[2])
		}
	}
	if rs := Reconciliations(c); len(rs) > 0 {
		fmt.Fprintln(w, "\n**Where the before/after and the time series disagree**")
		fmt.Fprintln(w)
		for _, r := range rs {
			fmt.Fprintf(w, "- %s\n", mdEscape(r))
		}
	}
	fmt.Fprintln(w)
	for _, n := range c.Notes {
		fmt.Fprintf(w, "- %s\n", mdEscape(n))
	}
	_, err := fmt.Fprintln(w, "\nMethods and how to read this: docs/decision-impact.md.")
	return err
}

func upperFirstWord(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// wrap breaks text into lines of at most width runes at spaces.
func wrap(s string, width int) string {
	var b strings.Builder
	line := 0
	for i, word := range strings.Fields(s) {
		n := len([]rune(word))
		if i > 0 {
			if line+1+n > width {
				b.WriteByte('\n')
				line = 0
			} else {
				b.WriteByte(' ')
				line++
			}
		}
		b.WriteString(word)
		line += n
	}
	return b.String()
}
