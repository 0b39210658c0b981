package main

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
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
	fs := newFlags(env, "report weekly", "[--config F | --db F] [--repo R]... [--team T] [--week YYYY-MM-DD] [--format text|json|markdown|slack|teams|mattermost] [--url URL]")
	var src sourceFlags
	src.register(fs)
	scopeFlags(fs, "review")
	fs.String("week", "", "any day of the week to review, `YYYY-MM-DD` (default: the last complete week)")
	format := fs.String("format", "text", "output `format`: text, json, markdown, or a summary for a chat: "+strings.Join(render.Flavors, ", "))
	pageURL := fs.String("url", "", "the dashboard's `address` (https://tach.example.com), for the summary's link to the review's page")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if _, err := query.Flags.Choice("format", *format, append([]string{"text", "json", "markdown"}, render.Flavors...)...); err != nil {
		return err
	}
	if *pageURL != "" && !strings.HasPrefix(*pageURL, "http://") && !strings.HasPrefix(*pageURL, "https://") {
		return usagef("--url %q is not an http or https address; give the dashboard's, like https://tach.example.com", *pageURL)
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
	case render.FlavorSlack, render.FlavorTeams, render.FlavorMattermost:
		link := ""
		if *pageURL != "" {
			link = strings.TrimRight(*pageURL, "/") + weeklyPath(sc, rev.Week.From)
		}
		return render.WeeklyChat(env.stdout, render.Summarize(rev, loc, link), *format)
	default:
		return render.WeeklyText(env.stdout, rev, loc)
	}
}

// weeklyPath is the review's page on the dashboard: /weekly with its scope
// and week, as the page's own links write it.
func weeklyPath(sc query.Scope, week string) string {
	v := url.Values{}
	if sc.Team != "" {
		v.Set("team", sc.Team)
	}
	for _, r := range sc.Repos {
		v.Add("repo", r)
	}
	v.Set("week", week)
	return "/weekly?" + v.Encode()
}
