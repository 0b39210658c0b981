package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tach-dev/tach/metrics/engine"
	"github.com/tach-dev/tach/metrics/query"
	"github.com/tach-dev/tach/metrics/render"
)

func init() {
	reportKinds["compare"] = runReportCompare
}

const compareUsage = "(--decision ID | --at YYYY-MM-DD | --period-a FROM..TO --period-b FROM..TO | --vs-team T2 | --vs-repo R2...) " +
	"[--window 8w | --weeks N] [--gap 1w] [--repo R]... [--team T] [--module REPO:NAME]... [--scope-before S --scope-after S] [--period FROM..TO] [--format text|json|markdown] [--config F | --db F]"

func runReportCompare(ctx context.Context, env *cli, args []string) error {
	fs := newFlags(env, "report compare", compareUsage)
	var src sourceFlags
	src.register(fs)
	fs.String("decision", "", "compare before and after a recorded decision `ID`, in its own scope unless --team or --repo is given")
	fs.String("at", "", "compare before and after a day, `YYYY-MM-DD`")
	fs.String("period-a", "", "compare two periods: the first, `FROM..TO` (TO is the day after it)")
	fs.String("period-b", "", "the second period, `FROM..TO`")
	fs.String("period", "", "with --vs-team or --vs-repo: the period both scopes are compared over, `FROM..TO` (default: the last --window of whole weeks)")
	fs.String("window", "8w", "length of each side: weeks (8w) or days (56d)")
	fs.String("weeks", "", "length of each side in whole weeks, `N`: the same as --window Nw")
	fs.String("gap", "0w", "settling time left out after the day: weeks (1w) or days (3d)")
	scopeFlags(fs, "compare")
	fs.String("vs-team", "", "compare the scope with this team over one period")
	fs.Var(new(repeated), "vs-repo", "compare the scope with these repos over one period; repeat for several")
	fs.Var(new(repeated), "vs-module", "compare the scope with these modules, `REPO:NAME`, over one period; repeat for several")
	fs.String("scope-before", "", "with --decision or --at: the scope before the day, such as module=acme/shop:payments (default: the decision's before scope, or the scope)")
	fs.String("scope-after", "", "with --decision or --at: the scope after the day, such as repo=acme/payments (default: the decision's after scope, or the scope)")
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
	cq, err := p.Compare(v)
	if err != nil {
		return err
	}
	if !cq.HasAnchor() {
		return query.Flags.NothingToCompare()
	}
	c, err := ws.decisions.Compare(ctx, engine.CompareRequestOf(engine.Scope(sc), cq), now)
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
