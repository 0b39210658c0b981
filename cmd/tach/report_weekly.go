package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"github.com/tach-dev/tach/metrics"
	"github.com/tach-dev/tach/metrics/engine"
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
	loc := ws.eng.Rules().Location
	now := time.Now()
	start := engine.LastCompleteWeek(now, loc)
	if *week != "" {
		day, err := parseDay("--week", *week, loc)
		if err != nil {
			return err
		}
		if start, err = engine.WeekOf(day, now, loc); err != nil {
			if errors.Is(err, engine.ErrWeekNotComplete) {
				return usagef("--week %s: %s", *week, strings.TrimPrefix(err.Error(), engine.ErrWeekNotComplete.Error()+": "))
			}
			return err
		}
	}
	rev, err := ws.eng.WeeklyReview(ctx, engine.Scope{Repos: repos, Team: *team}, start, now)
	if err != nil {
		return err
	}
	switch *format {
	case "json":
		enc := json.NewEncoder(env.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rev)
	case "markdown":
		return rev.WriteMarkdown(env.stdout, loc)
	default:
		return writeWeeklyText(env.stdout, rev, loc)
	}
}

// writeWeeklyText prints the review for a terminal. User text is cleaned of
// control characters, so a title cannot move the cursor or change colours.
func writeWeeklyText(w io.Writer, r engine.WeeklyReview, loc *time.Location) error {
	when := func(t time.Time) string { return t.In(loc).Format("Mon 2 Jan 15:04") }
	fmt.Fprintf(w, "tach weekly review — %s, the week %s to %s against the %d weeks before (%s)\n\n",
		plain(weeklyScopeName(r.Scope)), r.Week.From, r.Week.To, engine.BaselineWeeks, r.Scope.Timezone)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "MEASURE\tTHIS WEEK\t%d WEEKS BEFORE\tCHANGE\n", engine.BaselineWeeks)
	for _, k := range r.Keys {
		change := engine.HumanChange(k)
		if k.Direction == "better" || k.Direction == "worse" {
			change += " " + k.Direction
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", k.Name, engine.HumanValue(k.Unit, k.Value), engine.HumanValue(k.Unit, k.Baseline), change)
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	changes := 0
	for _, d := range r.Shipped {
		changes += len(d.Changes)
	}
	fmt.Fprintf(w, "\nWhat shipped: %d production deployments, %d changes\n", len(r.Shipped), changes)
	for _, d := range r.Shipped {
		var tags []string
		if d.Failed {
			tags = append(tags, "failed: "+d.FailureCause)
		}
		if d.Rollback {
			tags = append(tags, "rollback")
		}
		if d.Rework {
			tags = append(tags, "rework")
		}
		tag := ""
		if len(tags) > 0 {
			tag = "  [" + strings.Join(tags, ", ") + "]"
		}
		fmt.Fprintf(w, "  %s  %s → %s %s%s\n", when(d.FinishedAt), plain(d.Repo), plain(d.Environment), shortSHA(d.SHA), tag)
		for _, c := range d.Changes {
			fmt.Fprintf(w, "      %s\n", textChange(c, "lead time"))
		}
		for _, in := range d.Incidents {
			fmt.Fprintf(w, "      incident %s\n", textIncident(in))
		}
	}

	fmt.Fprintf(w, "\nIncidents: %d opened, %d resolved\n", len(r.IncidentsOpened), len(r.IncidentsResolved))
	for _, in := range r.IncidentsOpened {
		fmt.Fprintf(w, "  opened %s  %s\n", when(in.CreatedAt), textIncident(in))
	}
	for _, in := range r.IncidentsResolved {
		fmt.Fprintf(w, "  resolved %s  %s\n", when(*in.ResolvedAt), textIncident(in))
	}

	fmt.Fprintf(w, "\nWaiting for a first review longer than %s: %d\n", render.HumanDuration(&r.StaleReviewSeconds), len(r.WaitingForReview))
	for _, c := range r.WaitingForReview {
		fmt.Fprintf(w, "  %s\n", textChange(c, "waiting"))
	}
	fmt.Fprintf(w, "\nLargest open changes:\n")
	if len(r.LargestOpen) == 0 {
		fmt.Fprintln(w, "  none")
	}
	for _, c := range r.LargestOpen {
		fmt.Fprintf(w, "  %s\n", textChange(c, "size"))
	}
	if r.OutlierThresholdSeconds == nil {
		fmt.Fprintf(w, "\nOutliers: no change shipped in the %d weeks before, so no p90 to compare with.\n", engine.BaselineWeeks)
	} else {
		fmt.Fprintf(w, "\nOutliers (lead time above %s, the p90 of the %d weeks before): %d\n", render.HumanDuration(r.OutlierThresholdSeconds), engine.BaselineWeeks, len(r.Outliers))
		for _, c := range r.Outliers {
			fmt.Fprintf(w, "  %s\n", textChange(c, "lead time"))
		}
	}
	_, err := fmt.Fprintln(w, "\nThe week is [from, to). Every rule is in docs/metrics.md.")
	return err
}

func textChange(c engine.ReviewChange, detail string) string {
	s := fmt.Sprintf("%s #%d %s (%s)", plain(c.Repo), c.Number, plain(c.Title), plain(c.Author))
	switch {
	case detail == "lead time" && c.LeadTimeSeconds != nil:
		s += " — lead time " + render.HumanDuration(c.LeadTimeSeconds)
	case detail == "waiting" && c.WaitingSeconds != nil:
		s += " — waiting " + render.HumanDuration(c.WaitingSeconds)
	case detail == "size" && c.SizeLines != nil:
		s += fmt.Sprintf(" — %d lines", *c.SizeLines)
	}
	if c.Fix {
		s += " [fix]"
	}
	if c.Bot {
		s += " [bot]"
	}
	return s
}

func textIncident(in engine.ReviewIncident) string {
	s := fmt.Sprintf("%s #%d %s", plain(in.Repo), in.Number, plain(in.Title))
	if in.OpenSeconds != nil {
		return s + " — open for " + render.HumanDuration(in.OpenSeconds)
	}
	return s + " — still open"
}

func weeklyScopeName(s metrics.Scope) string {
	switch {
	case s.Team != nil:
		return "team " + *s.Team
	case len(s.Repos) == 1:
		return s.Repos[0]
	}
	return fmt.Sprintf("%d repos", len(s.Repos))
}

func shortSHA(sha string) string {
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}

// plain replaces control characters (escape sequences, line breaks) with
// spaces.
func plain(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
}
