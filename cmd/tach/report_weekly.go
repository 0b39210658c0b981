package main

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/tach-dev/tach/metrics/engine"
	"github.com/tach-dev/tach/metrics/render"
	"github.com/tach-dev/tach/metrics/review"
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
	var repos repeated
	fs.Var(&repos, "repo", "a repo to review (owner/name or group/project); repeat for several")
	team := fs.String("team", "", "a team of the config to review")
	week := fs.String("week", "", "any day of the week to review, `YYYY-MM-DD` (default: the last complete week)")
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
	start := review.LastCompleteWeek(now, loc)
	if *week != "" {
		day, err := parseDay("--week", *week, loc)
		if err != nil {
			return err
		}
		if start, err = review.WeekOf(day, now, loc); err != nil {
			if errors.Is(err, review.ErrWeekNotComplete) {
				return usagef("--week %s: %s", *week, strings.TrimPrefix(err.Error(), review.ErrWeekNotComplete.Error()+": "))
			}
			return err
		}
	}
	rev, err := ws.reports.WeeklyReview(ctx, engine.Scope{Repos: repos, Team: *team}, start, now)
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
