package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/tach-dev/tach/metrics/engine"
	"github.com/tach-dev/tach/metrics/query"
	"github.com/tach-dev/tach/metrics/render"
)

func init() {
	register("report", "print a report: metrics, weekly, compare, radar", runReport)
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

// scopeFlags registers --repo and --team: what a report covers. Like every
// flag of a report, metrics/query reads them (given).
func scopeFlags(fs *flag.FlagSet, what string) {
	fs.Var(new(repeated), "repo", "a repo to "+what+" (owner/name or group/project); repeat for several")
	fs.String("team", "", "a team of the config to "+what)
	fs.Var(new(repeated), "module", "a module to "+what+", `REPO:NAME` (such as acme/shop:checkout); repeat for several")
}

// windowFlags registers --from, --to and --weeks: the window of a report.
func windowFlags(fs *flag.FlagSet) {
	fs.String("from", "", fmt.Sprintf("first day of the window, `YYYY-MM-DD` (default: %d whole weeks before the current week)", query.DefaultWeeks))
	fs.String("to", "", "day after the window, `YYYY-MM-DD`: the window is [from, to) (default: Monday of the current week)")
	fs.String("weeks", "", fmt.Sprintf("the last `N` whole weeks, Monday to Monday, instead of --from and --to (default %d, at most %d)", query.DefaultWeeks, query.MaxWeeks))
}

// given are the flags given on the command line by their query parameter
// names (--period-a is period_a), for metrics/query to read as it reads
// the web's query: the same rules and the same words. A flag left at its
// default is not given.
func given(fs *flag.FlagSet) url.Values {
	v := url.Values{}
	fs.Visit(func(f *flag.Flag) { v.Set(strings.ReplaceAll(f.Name, "-", "_"), f.Value.String()) })
	return v
}

func runReportMetrics(ctx context.Context, env *cli, args []string) error {
	fs := newFlags(env, "report metrics", "[--config F | --db F] [--repo R]... [--team T] [--module REPO:NAME]... [--from YYYY-MM-DD --to YYYY-MM-DD | --weeks N] [--format text|json|markdown]")
	var src sourceFlags
	src.register(fs)
	scopeFlags(fs, "report on")
	windowFlags(fs)
	format := fs.String("format", "text", "output `format`: text, json or markdown")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if _, err := query.Flags.Choice("format", *format, "text", "json", "markdown"); err != nil {
		return err
	}
	ws, err := src.open(ctx, true)
	if err != nil {
		return err
	}
	defer ws.Close()
	now := time.Now()
	p, v := query.New(query.Flags, now, ws.reports.Rules().Location), given(fs)
	sc, err := p.Scope(v)
	if err != nil {
		return err
	}
	w, err := p.Window(v)
	if err != nil {
		return err
	}
	rep, err := ws.reports.Report(ctx, engine.Scope(sc), w.Window, now)
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
