package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"sort"
	"strings"
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
	loc := ws.reports.Rules().Location
	now := time.Now()
	w, err := sc.window(now, loc)
	if err != nil {
		return err
	}
	rep, err := ws.reports.Report(ctx, sc.scope(), w, now)
	if err != nil {
		return err
	}
	switch *format {
	case "json":
		enc := json.NewEncoder(env.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	case "markdown":
		return render.MetricsMarkdown(env.stdout, rep)
	default:
		return render.MetricsText(env.stdout, rep)
	}
}
