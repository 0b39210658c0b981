package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tach-dev/tach/metrics"
	"github.com/tach-dev/tach/metrics/engine"
	"github.com/tach-dev/tach/metrics/impact"
	"github.com/tach-dev/tach/metrics/render"
)

func init() {
	reportKinds["compare"] = runReportCompare
}

const compareUsage = "(--decision ID | --at YYYY-MM-DD | --period-a FROM..TO --period-b FROM..TO | --vs-team T2 | --vs-repo R2...) " +
	"[--window 8w] [--gap 1w] [--repo R]... [--team T] [--period FROM..TO] [--format text|json|markdown] [--config F | --db F]"

func runReportCompare(ctx context.Context, env *cli, args []string) error {
	fs := newFlags(env, "report compare", compareUsage)
	var src sourceFlags
	src.register(fs)
	var repos, vsRepos repeated
	decision := fs.String("decision", "", "compare before and after a recorded decision `ID`, in its own scope unless --team or --repo is given")
	at := fs.String("at", "", "compare before and after a day, `YYYY-MM-DD`")
	periodA := fs.String("period-a", "", "compare two periods: the first, `FROM..TO` (TO is the day after it)")
	periodB := fs.String("period-b", "", "the second period, `FROM..TO`")
	period := fs.String("period", "", "with --vs-team or --vs-repo: the period both scopes are compared over, `FROM..TO` (default: the last --window of whole weeks)")
	window := fs.String("window", "8w", "length of each side: weeks (8w) or days (56d)")
	gap := fs.String("gap", "0w", "settling time left out after the day: weeks (1w) or days (3d)")
	fs.Var(&repos, "repo", "a repo to compare (owner/name or group/project); repeat for several")
	team := fs.String("team", "", "a team of the config to compare")
	vsTeam := fs.String("vs-team", "", "compare the scope with this team over one period")
	fs.Var(&vsRepos, "vs-repo", "compare the scope with these repos over one period; repeat for several")
	format := fs.String("format", "text", "output `format`: text, json or markdown")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := checkFormat(*format, "text", "json", "markdown"); err != nil {
		return err
	}
	windowDays, err := engine.ParseSpan(*window)
	if err != nil {
		return usagef("--window %s", err)
	}
	if windowDays < 7 {
		return usagef("--window %q is shorter than a week", *window)
	}
	gapDays, err := engine.ParseSpan(*gap)
	if err != nil {
		return usagef("--gap %s", err)
	}
	anchors := 0
	for _, given := range []bool{*decision != "", *at != "", *periodA != "" || *periodB != "", *vsTeam != "" || len(vsRepos) > 0} {
		if given {
			anchors++
		}
	}
	switch {
	case anchors == 0:
		return usagef("what to compare? give --decision ID, --at YYYY-MM-DD, --period-a and --period-b, or --vs-team / --vs-repo")
	case anchors > 1:
		return usagef("give only one of --decision, --at, --period-a/--period-b, --vs-team/--vs-repo")
	case *vsTeam != "" && len(vsRepos) > 0:
		return usagef("give --vs-team or --vs-repo, not both")
	case *period != "" && *vsTeam == "" && len(vsRepos) == 0:
		return usagef("--period goes with --vs-team or --vs-repo; to compare two periods give --period-a and --period-b")
	case (*periodA == "") != (*periodB == ""):
		return usagef("give both --period-a and --period-b")
	}

	ws, err := src.open(ctx, true)
	if err != nil {
		return err
	}
	defer ws.Close()
	loc := ws.eng.Rules().Location
	req := engine.CompareRequest{WindowDays: windowDays, GapDays: gapDays, Scope: engine.Scope{Repos: repos, Team: *team}}
	switch {
	case *decision != "":
		if req.DecisionID, err = parseDecisionID(*decision); err != nil {
			return err
		}
	case *at != "":
		if req.At, err = parseDay("--at", *at, loc); err != nil {
			return err
		}
	case *periodA != "":
		if req.PeriodA, err = parsePeriod("--period-a", *periodA, loc); err != nil {
			return err
		}
		if req.PeriodB, err = parsePeriod("--period-b", *periodB, loc); err != nil {
			return err
		}
	default:
		req.ScopeB = &engine.Scope{Team: *vsTeam, Repos: vsRepos}
		if *period != "" {
			if req.PeriodA, err = parsePeriod("--period", *period, loc); err != nil {
				return err
			}
		}
	}
	c, err := ws.eng.Compare(ctx, req, time.Now())
	if err != nil {
		if errors.Is(err, engine.ErrBadCompare) {
			return usageError{err.Error()}
		}
		return fmt.Errorf("report compare: %w", err)
	}
	switch *format {
	case "json":
		return writeJSON(env.stdout, c)
	case "markdown":
		return writeCompareMarkdown(env.stdout, c)
	}
	return writeCompareText(env.stdout, c)
}

// parsePeriod reads FROM..TO: two days, TO the day after the period.
func parsePeriod(flagName, s string, loc *time.Location) (metrics.Window, error) {
	from, to, ok := strings.Cut(s, "..")
	if !ok {
		return metrics.Window{}, usagef("%s %q is not a period: want FROM..TO, like 2026-01-05..2026-03-02 (TO is the day after it)", flagName, s)
	}
	var w metrics.Window
	var err error
	if w.From, err = parseDay(flagName, strings.TrimSpace(from), loc); err != nil {
		return w, err
	}
	if w.To, err = parseDay(flagName, strings.TrimSpace(to), loc); err != nil {
		return w, err
	}
	if !w.From.Before(w.To) {
		return w, usagef("%s %q is empty: FROM must be before TO", flagName, s)
	}
	return w, nil
}

// compareTitle is the heading of a comparison.
func compareTitle(c impact.Comparison) string {
	switch {
	case c.Decision != nil:
		return fmt.Sprintf("decision #%d %q (%s), %s · %s", c.Decision.ID, c.Decision.Title, c.Decision.Kind, c.Decision.Date, sideScope(c.Before))
	case c.Kind == impact.CompareScopes:
		return fmt.Sprintf("%s against %s", c.Before.Label, c.After.Label)
	case c.Kind == impact.ComparePeriods:
		return "two periods · " + sideScope(c.Before)
	case c.At != nil:
		return "before and after " + *c.At + " · " + sideScope(c.Before)
	}
	return sideScope(c.Before)
}

func sideScope(s impact.SideSummary) string {
	switch {
	case s.Team != nil:
		return "team " + *s.Team
	case len(s.Repos) == 0:
		return "no repos"
	case len(s.Repos) <= 3:
		return strings.Join(s.Repos, ", ")
	}
	return fmt.Sprintf("%d repos", len(s.Repos))
}

func sideLine(s impact.SideSummary) string {
	line := fmt.Sprintf("%s: %s to %s (%s)", s.Label, s.From, s.To, weeksText(s.Planned))
	if s.Partial {
		line += fmt.Sprintf(", partial: %s days so far", strconv.FormatFloat(s.Days, 'f', 0, 64))
	}
	return line
}

func weeksText(days float64) string {
	if w := days / 7; w == float64(int(w)) {
		if w == 1 {
			return "1 week"
		}
		return fmt.Sprintf("%d weeks", int(w))
	}
	return fmt.Sprintf("%.0f days", days)
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
			before:   render.FormatMeasureValue(m.Unit, m.Before),
			after:    render.FormatMeasureValue(m.Unit, m.After),
			change:   render.FormatChange(m),
			interval: render.FormatInterval(m),
			p:        render.FormatPValue(m.PValue),
			n:        fmt.Sprintf("%d / %d", m.NBefore, m.NAfter),
			verdict:  m.Verdict,
			trend:    render.Dash,
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
			row.trend = fmt.Sprintf("%s (%s)", dir, render.FormatP(&pv))
		}
		rows = append(rows, row)
	}
	return rows
}

func itsText(m impact.MeasureComparison) (level, slope string) {
	if m.ITS == nil {
		return render.Dash, render.Dash
	}
	its := m.ITS
	return render.FormatITSChange(m.Unit, its.LevelChange, its.LevelInterval), render.FormatITSChange(m.Unit, its.SlopeChange, its.SlopeInterval)
}

// itsValue shows an estimate and its interval, the unit said once:
// +8.3 a week (+4.2 to +12.4), −3h 39m (−6h 45m to −32m).
func writeCompareText(w io.Writer, c impact.Comparison) error {
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
	if hasITS(c) {
		fmt.Fprintln(w, "\nInterrupted time series (weekly values; change at the date, 95 % intervals):")
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "MEASURE\tLEVEL CHANGE\tSLOPE CHANGE A WEEK")
		for _, m := range c.Measures {
			if m.ITS == nil {
				continue
			}
			level, slope := itsText(m)
			fmt.Fprintf(tw, "%s\t%s\t%s\n", m.Name, level, slope)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	fmt.Fprintln(w)
	for _, n := range c.Notes {
		fmt.Fprintln(w, wrap("Note: "+n, 100))
	}
	_, err := fmt.Fprintln(w, "Methods and how to read this: docs/decision-impact.md.")
	return err
}

func hasITS(c impact.Comparison) bool {
	for _, m := range c.Measures {
		if m.ITS != nil {
			return true
		}
	}
	return false
}

func writeCompareMarkdown(w io.Writer, c impact.Comparison) error {
	fmt.Fprintf(w, "## tach compare — %s\n\n", mdEscape(compareTitle(c)))
	fmt.Fprintf(w, "%s · %s · %s\n\n", mdEscape(sideLine(c.Before)), mdEscape(sideLine(c.After)), mdEscape(c.Before.Timezone))
	fmt.Fprintf(w, "%s\n\n", mdEscape(c.Summary))
	fmt.Fprintf(w, "| Measure | %s | %s | Change | 95 %% interval | p | n | Verdict | Pre-trend |\n", mdEscape(upperFirstWord(c.Before.Label)), mdEscape(upperFirstWord(c.After.Label)))
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|")
	for _, r := range compareRows(c) {
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", r.name, r.before, r.after, r.change, r.interval, mdEscape(r.p), r.n, r.verdict, r.trend)
	}
	if hasITS(c) {
		fmt.Fprintln(w, "\n**Interrupted time series** (weekly values; change at the date, 95 % intervals)")
		fmt.Fprintln(w, "\n| Measure | Level change | Slope change a week |")
		fmt.Fprintln(w, "|---|---|---|")
		for _, m := range c.Measures {
			if m.ITS == nil {
				continue
			}
			level, slope := itsText(m)
			fmt.Fprintf(w, "| %s | %s | %s |\n", m.Name, level, slope)
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
