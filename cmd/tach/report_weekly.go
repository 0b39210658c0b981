package main

import (
	"context"
	"encoding/json"
	"time"

	"github.com/tach-dev/tach/metrics/engine"
	"github.com/tach-dev/tach/metrics/query"
	"github.com/tach-dev/tach/metrics/render"
)

func init() {
	reportKinds["weekly"] = runReportWeekly
}

// runReportWeekly prints the weekly review: the last complete week (or the
// week of --week) against the 4 weeks before it. The data and the Markdown
// are the web dashboard's (/weekly, /weekly.md, /api/v1/weekly).
func runReportWeekly(ctx context.Context, env *cli, args []string) error {
	fs := newFlags(env, "report weekly", "[--config F | --db F] [--repo R]... [--team T] [--week YYYY-MM-DD] [--format text|json|markdown]")
	var src sourceFlags
	src.register(fs)
	scopeFlags(fs, "review")
	fs.String("week", "", "any day of the week to review, `YYYY-MM-DD` (default: the last complete week)")
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
	loc := ws.reports.Rules().Location
	now := time.Now()
	p, v := query.New(query.Flags, now, loc), given(fs)
	sc, err := p.Scope(v)
	if err != nil {
		return err
	}
	start, err := p.Week(v)
	if err != nil {
		return err
	}
	rev, err := ws.reports.WeeklyReview(ctx, engine.Scope(sc), start, now)
	if err != nil {
		return err
	}
	switch *format {
	case "json":
		enc := json.NewEncoder(env.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rev)
	case "markdown":
		return render.WeeklyMarkdown(env.stdout, rev, loc)
	default:
		return render.WeeklyText(env.stdout, rev, loc)
	}
}
