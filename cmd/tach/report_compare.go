package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tach-dev/tach/metrics"
	"github.com/tach-dev/tach/metrics/engine"
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
	loc := ws.reports.Rules().Location
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
	c, err := ws.decisions.Compare(ctx, req, time.Now())
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
		return render.CompareMarkdown(env.stdout, c)
	}
	return render.CompareText(env.stdout, c)
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
