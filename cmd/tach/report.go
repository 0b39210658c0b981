package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tach-dev/tach/metrics"
	"github.com/tach-dev/tach/metrics/engine"
	"github.com/tach-dev/tach/metrics/render"
)

func init() {
	register("report", "print a report: metrics, weekly, compare", runReport)
}

// reportKinds are the reports `tach report` prints; later issues add more.
var reportKinds = map[string]func(ctx context.Context, env *cli, args []string) error{
	"metrics": runReportMetrics,
}

func runReport(ctx context.Context, env *cli, args []string) error {
	kinds := make([]string, 0, len(reportKinds))
	for k := range reportKinds {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	list := strings.Join(kinds, "|")
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			fmt.Fprintf(env.stdout, "Usage: tach report <%s> [flags]   (tach report metrics --help)\n", list)
			return nil
		}
		return usagef("which report? one of %s, e.g. `tach report metrics`", strings.ReplaceAll(list, "|", ", "))
	}
	run, ok := reportKinds[args[0]]
	if !ok {
		return usagef("unknown report %q; the reports are %s", args[0], strings.ReplaceAll(list, "|", ", "))
	}
	return run(ctx, env, args[1:])
}

// scopeFlags are the scope and window flags of reports.
type scopeFlags struct {
	repos    repeated
	team     string
	from, to string
}

func (f *scopeFlags) register(fs *flag.FlagSet) {
	fs.Var(&f.repos, "repo", "a repo to report on (owner/name or group/project); repeat for several")
	fs.StringVar(&f.team, "team", "", "a team of the config to report on")
	fs.StringVar(&f.from, "from", "", "first day of the window, `YYYY-MM-DD` (default: 12 whole weeks before the current week)")
	fs.StringVar(&f.to, "to", "", "day after the window, `YYYY-MM-DD`: the window is [from, to) (default: Monday of the current week)")
}

func (f *scopeFlags) scope() engine.Scope {
	return engine.Scope{Repos: f.repos, Team: f.team}
}

// window parses --from and --to in loc; the default is the last 12 whole
// weeks.
func (f *scopeFlags) window(now time.Time, loc *time.Location) (metrics.Window, error) {
	w := metrics.LastWholeWeeks(now, 12, loc)
	if f.from != "" {
		t, err := parseDay("--from", f.from, loc)
		if err != nil {
			return w, err
		}
		w.From = t
	}
	if f.to != "" {
		t, err := parseDay("--to", f.to, loc)
		if err != nil {
			return w, err
		}
		w.To = t
	} else if f.from != "" && !w.From.Before(w.To) {
		w.To = now
	}
	if !w.From.Before(w.To) {
		return w, usagef("the window is empty: --from %s is not before --to %s", w.From.In(loc).Format(time.DateOnly), w.To.In(loc).Format(time.DateOnly))
	}
	return w, nil
}

func parseDay(flagName, s string, loc *time.Location) (time.Time, error) {
	t, err := time.ParseInLocation(time.DateOnly, s, loc)
	if err != nil {
		reason := "want YYYY-MM-DD"
		if pe, ok := err.(*time.ParseError); ok && strings.HasPrefix(pe.Message, ": ") {
			reason = strings.TrimPrefix(pe.Message, ": ") + "; want YYYY-MM-DD"
		}
		return time.Time{}, usagef("%s %q is not a date: %s", flagName, s, reason)
	}
	return t, nil
}

func checkFormat(format string, allowed ...string) error {
	for _, a := range allowed {
		if format == a {
			return nil
		}
	}
	return usagef("--format %q is not one of %s", format, strings.Join(allowed, ", "))
}

func runReportMetrics(ctx context.Context, env *cli, args []string) error {
	fs := newFlags(env, "report metrics", "[--config F | --db F] [--repo R]... [--team T] [--from YYYY-MM-DD --to YYYY-MM-DD] [--format text|json|markdown]")
	var src sourceFlags
	var sc scopeFlags
	src.register(fs)
	sc.register(fs)
	format := fs.String("format", "text", "output `format`: text, json or markdown")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := checkFormat(*format, "text", "json", "markdown"); err != nil {
		return err
	}
	ws, err := src.open(ctx, true)
	if err != nil {
		return err
	}
	defer ws.Close()
	loc := ws.eng.Rules().Location
	now := time.Now()
	w, err := sc.window(now, loc)
	if err != nil {
		return err
	}
	rep, err := ws.eng.Report(ctx, sc.scope(), w, now)
	if err != nil {
		return err
	}
	switch *format {
	case "json":
		enc := json.NewEncoder(env.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	case "markdown":
		return writeMetricsMarkdown(env.stdout, rep)
	default:
		return writeMetricsText(env.stdout, rep)
	}
}

// metricRow is one line of the text and Markdown reports.
type metricRow struct {
	name, value, tier, detail string
}

func metricRows(r metrics.Report) []metricRow {
	tier := func(t *string) string {
		if t == nil {
			return render.Dash
		}
		return *t
	}
	num := func(v float64) *float64 { return &v }
	df, lt, cfr, rt := r.DeploymentFrequency, r.LeadTime, r.ChangeFailureRate, r.RecoveryTime
	ct := r.CycleTime
	return []metricRow{
		{"Deployment frequency", render.HumanNumber(df.PerWeek) + " / week", tier(df.Tier),
			fmt.Sprintf("%d deployments; median %s deploy days a week; %d failed attempts", df.Deployments, render.HumanNumber(df.DeployDaysPerWeekMedian), df.FailedAttempts)},
		{"Lead time for changes", render.HumanDuration(lt.MedianSeconds), tier(lt.Tier),
			fmt.Sprintf("median of %d changes; p75 %s, p90 %s", lt.Count, render.HumanDuration(lt.P75Seconds), render.HumanDuration(lt.P90Seconds))},
		{"Change failure rate", render.HumanPercent(cfr.Rate), tier(cfr.Tier),
			fmt.Sprintf("%d of %d deployments failed", cfr.Failed, cfr.Deployments)},
		{"Recovery time", render.HumanDuration(rt.MedianSeconds), tier(rt.Tier),
			fmt.Sprintf("median of %d recoveries; open incidents: %d", rt.Count, rt.OpenIncidents)},
		{"Rework rate", render.HumanPercent(r.ReworkRate.Rate), render.Dash,
			fmt.Sprintf("%d of %d deployments were unplanned fixes", r.ReworkRate.Rework, r.ReworkRate.Deployments)},
		{"Time to restore", render.HumanDuration(r.TimeToRestore.MedianSeconds), "",
			fmt.Sprintf("median of %d incidents resolved", r.TimeToRestore.Count)},
		{"Cycle: coding", render.HumanDuration(ct.Coding.MedianSeconds), "", "p75 " + render.HumanDuration(ct.Coding.P75Seconds)},
		{"Cycle: pickup", render.HumanDuration(ct.Pickup.MedianSeconds), "", "p75 " + render.HumanDuration(ct.Pickup.P75Seconds)},
		{"Cycle: review", render.HumanDuration(ct.Review.MedianSeconds), "", "p75 " + render.HumanDuration(ct.Review.P75Seconds)},
		{"Cycle: deploy", render.HumanDuration(ct.Deploy.MedianSeconds), "", "p75 " + render.HumanDuration(ct.Deploy.P75Seconds)},
		{"Throughput", render.HumanNumber(r.Throughput.PerWeek) + " / week", "", fmt.Sprintf("%d changes merged", r.Throughput.Merged)},
		{"PR size", render.HumanNumber(r.PRSize.MedianLines) + " lines", "", fmt.Sprintf("median of %d; p75 %s", r.PRSize.Count, render.HumanNumber(r.PRSize.P75Lines))},
		{"CI duration", render.HumanDuration(r.CI.MedianSeconds), "",
			fmt.Sprintf("median of %d runs; p90 %s; success %s", r.CI.Runs, render.HumanDuration(r.CI.P90Seconds), render.HumanPercent(r.CI.SuccessRate))},
		{"Open work", render.HumanNumber(num(float64(r.OpenWork.Open))) + " open", "", fmt.Sprintf("waiting too long for a first review: %d", r.OpenWork.StaleReview)},
	}
}

func scopeLine(r metrics.Report) string {
	what := "all repos"
	if r.Scope.Team != nil {
		what = "team " + *r.Scope.Team
	} else if len(r.Scope.Repos) > 0 && len(r.Scope.Repos) <= 3 {
		what = strings.Join(r.Scope.Repos, ", ")
	} else if len(r.Scope.Repos) > 3 {
		what = fmt.Sprintf("%d repos", len(r.Scope.Repos))
	}
	return fmt.Sprintf("%s, %s to %s (%s)", what, r.Scope.From, r.Scope.To, r.Scope.Timezone)
}

func writeMetricsText(w io.Writer, r metrics.Report) error {
	fmt.Fprintf(w, "tach metrics — %s\n\n", scopeLine(r))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "MEASURE\tVALUE\tTIER\tFROM")
	for _, row := range metricRows(r) {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", row.name, row.value, row.tier, row.detail)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w, "\nThe window is [from, to). Every rule is in docs/metrics.md.")
	return nil
}

func writeMetricsMarkdown(w io.Writer, r metrics.Report) error {
	fmt.Fprintf(w, "## tach metrics — %s\n\n", mdEscape(scopeLine(r)))
	fmt.Fprintln(w, "| Measure | Value | Tier | From |")
	fmt.Fprintln(w, "|---|---|---|---|")
	for _, row := range metricRows(r) {
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", row.name, row.value, row.tier, mdEscape(row.detail))
	}
	_, err := fmt.Fprintln(w, "\nThe window is [from, to). Every rule is in docs/metrics.md.")
	return err
}

// mdEscape keeps user text from breaking a Markdown table or becoming markup.
func mdEscape(s string) string {
	r := strings.NewReplacer("|", `\|`, "<", "&lt;", ">", "&gt;", "\n", " ", "*", `\*`, "_", `\_`, "`", "\\`", "[", `\[`, "]", `\]`)
	return r.Replace(s)
}
