package render

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"github.com/tach-dev/tach/metrics"
	"github.com/tach-dev/tach/metrics/impact"
	"github.com/tach-dev/tach/metrics/review"
)

// The weekly review as text for a terminal and as Markdown for notes or
// chat; the web page shows the same review in its own layout.

// WeeklyText writes the review for a terminal: `tach report weekly`. User
// text is cleaned of control characters, so a title cannot move the cursor
// or change colours.
func WeeklyText(w io.Writer, r review.Review, loc *time.Location) error {
	when := func(t time.Time) string { return t.In(loc).Format("Mon 2 Jan 15:04") }
	fmt.Fprintf(w, "tach weekly review — %s, the week %s to %s against the %d weeks before (%s)\n\n",
		plain(WeeklyScopeName(r.Scope)), r.Week.From, r.Week.To, review.BaselineWeeks, r.Scope.Timezone)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "MEASURE\tTHIS WEEK\t%d WEEKS BEFORE\tCHANGE\tVERDICT\tFROM\n", review.BaselineWeeks)
	for _, k := range r.Keys {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", k.Name, HumanValue(k.Unit, k.Value), HumanValue(k.Unit, k.Baseline),
			HumanChange(k), HumanVerdict(k), KeyCounts(k))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\n%s\n", JudgedNote())
	if note := HistoryNote(r.Before.PartialHistory, baselineName); note != "" {
		fmt.Fprintf(w, "\n%s No change against them is judged.\n", note)
	}

	changes := 0
	for _, d := range r.Shipped {
		changes += len(d.Changes)
	}
	fmt.Fprintf(w, "\nWhat shipped: %d production deployments, %d changes\n", len(r.Shipped), changes)
	for _, d := range r.Shipped {
		tags := DeploymentTags(outcome(d))
		tag := ""
		if len(tags) > 0 {
			tag = "  [" + strings.Join(tags, ", ") + "]"
		}
		fmt.Fprintf(w, "  %s  %s → %s %s%s\n", when(d.FinishedAt), plain(d.Repo), plain(d.Environment), ShortSHA(d.SHA), tag)
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

	fmt.Fprintf(w, "\nWaiting for a first review longer than %s: %d\n", HumanDuration(&r.StaleReviewSeconds), len(r.WaitingForReview))
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
		fmt.Fprintf(w, "\nOutliers: no change shipped in the %d weeks before, so no p90 to compare with.\n", review.BaselineWeeks)
	} else {
		fmt.Fprintf(w, "\nOutliers (lead time above %s, the p90 of the %d weeks before): %d\n", HumanDuration(r.OutlierThresholdSeconds), review.BaselineWeeks, len(r.Outliers))
		for _, c := range r.Outliers {
			fmt.Fprintf(w, "  %s\n", textChange(c, "lead time"))
		}
	}
	if len(r.NewRadarSignals) > 0 {
		fmt.Fprintf(w, "\nNew refactor radar signals this week (tach report radar): %d\n", len(r.NewRadarSignals))
		for _, s := range r.NewRadarSignals {
			fmt.Fprintf(w, "  %s\n", plain(RadarReviewSignal(s)))
		}
	}
	_, err := fmt.Fprintln(w, "\nThe week is [from, to). Every rule is in docs/metrics.md.")
	return err
}

// baselineName is the weekly review's baseline in a sentence.
var baselineName = fmt.Sprintf("the %d weeks before", review.BaselineWeeks)

// JudgedNote says how a change against an earlier period is judged.
func JudgedNote() string {
	return fmt.Sprintf("A change is improved or worsened only when the test of decision impact says so (its 95 %% interval excludes no change); "+
		"each side needs %d observations (%d weeks for a rate per week), else: not enough data.", impact.MinObservations, impact.MinObservations)
}

// HistoryNote says a period (named as the sentence names it: "this
// window", "the previous period") starts before the history start of some
// repos: "Partial history: tach holds every record of acme/api from
// 2026-08-10 14:02 UTC; this window is covered from then. Rates per week
// count only the weeks with data." Repos that
// share a history start are named together, at most historyNamed of them.
// "" when p is nil.
func HistoryNote(p *metrics.PartialHistory, period string) string {
	if p == nil {
		return ""
	}
	var starts []string
	for i := 0; i < len(p.Repos); {
		j := i
		for j < len(p.Repos) && p.Repos[j].HistoryStart == p.Repos[i].HistoryStart {
			j++
		}
		var names []string
		for _, r := range p.Repos[i:min(j, i+historyNamed)] {
			names = append(names, r.Repo)
		}
		if j-i > historyNamed {
			names = append(names, fmt.Sprintf("%d more repos", j-i-historyNamed))
		}
		starts = append(starts, joinAnd(names)+" from "+historyTime(p.Repos[i].HistoryStart))
		i = j
	}
	s := "Partial history: tach holds every record of " + strings.Join(starts, "; of ")
	if p.CoveredFrom == nil {
		return s + "; none of " + period + " is covered." + ratesNote
	}
	return s + "; " + period + " is covered from " + historyTime(*p.CoveredFrom) + "." + ratesNote
}

// ratesNote says how a rate per week treats the weeks before the history
// (metrics.Window.DataFrom).
const ratesNote = " Rates per week count only the weeks with data."

// historyNamed is how many repos of one history start a note names.
const historyNamed = 5

// historyTime shows an RFC 3339 instant as "2026-08-10 14:02 UTC".
func historyTime(s string) string {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return s
	}
	return t.UTC().Format("2006-01-02 15:04 MST")
}

// WeeklyScopeName names a weekly review's scope: a team, its modules and
// repos when it has modules (as scopeName), one repo, or how many repos.
func WeeklyScopeName(s metrics.Scope) string {
	switch {
	case s.Team != nil:
		return "team " + *s.Team
	case len(s.Modules) > 0:
		return scopeName(s)
	case len(s.Repos) == 1:
		return s.Repos[0]
	}
	return fmt.Sprintf("%d repos", len(s.Repos))
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

// WeeklyMarkdown writes the review as Markdown, for pasting into notes or
// chat: /weekly.md and `tach report weekly --format markdown` both print
// this. Every piece of user text (titles, logins, repo names) goes through
// MarkdownText, so a title like "<script>…" stays text in any renderer.
// Times are shown in loc.
func WeeklyMarkdown(out io.Writer, r review.Review, loc *time.Location) error {
	if loc == nil {
		loc = time.UTC
	}
	w := bufio.NewWriter(out)
	p := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }
	when := func(t time.Time) string { return t.In(loc).Format("Mon 2 Jan 15:04") }

	p("## Weekly review — %s, week of %s\n\n", MarkdownText(scopeName(r.Scope)), r.Week.From)
	p("The week [%s, %s) against the %d weeks before it [%s, %s), times in %s. Rules: docs/metrics.md.\n\n",
		r.Week.From, r.Week.To, review.BaselineWeeks, r.Baseline.From, r.Baseline.To, MarkdownText(r.Scope.Timezone))

	p("| Measure | This week | %d weeks before | Change | Verdict | From |\n|---|---|---|---|---|---|\n", review.BaselineWeeks)
	for _, k := range r.Keys {
		p("| %s | %s | %s | %s | %s | %s |\n", k.Name, HumanValue(k.Unit, k.Value), HumanValue(k.Unit, k.Baseline),
			HumanChange(k), HumanVerdict(k), KeyCounts(k))
	}
	p("\n%s\n", JudgedNote())
	if note := HistoryNote(r.Before.PartialHistory, baselineName); note != "" {
		p("\n%s No change against them is judged.\n", MarkdownText(note))
	}

	changes := 0
	for _, d := range r.Shipped {
		changes += len(d.Changes)
	}
	p("\n### What shipped: %s, %s\n\n", plural(len(r.Shipped), "deployment"), plural(changes, "change"))
	if len(r.Shipped) == 0 {
		p("No production deployment this week.\n")
	}
	for _, d := range r.Shipped {
		tags := deploymentTags(outcome(d), func(cause string) string { return "**failed** (" + MarkdownText(cause) + ")" })
		tag := ""
		if len(tags) > 0 {
			tag = " — " + strings.Join(tags, ", ")
		}
		p("- %s %s → %s %s%s\n", when(d.FinishedAt), MarkdownText(d.Repo), MarkdownText(d.Environment), MarkdownLink("`"+MarkdownCode(ShortSHA(d.SHA))+"`", d.URL), tag)
		for _, c := range d.Changes {
			p("  - %s\n", markdownChange(c, "lead time"))
		}
		for _, in := range d.Incidents {
			p("  - incident %s\n", markdownIncident(in))
		}
	}

	p("\n### Incidents: %d opened, %d resolved\n\n", len(r.IncidentsOpened), len(r.IncidentsResolved))
	if len(r.IncidentsOpened)+len(r.IncidentsResolved) == 0 {
		p("None.\n")
	}
	for _, in := range r.IncidentsOpened {
		p("- opened %s: %s\n", when(in.CreatedAt), markdownIncident(in))
	}
	for _, in := range r.IncidentsResolved {
		p("- resolved %s: %s\n", when(*in.ResolvedAt), markdownIncident(in))
	}

	p("\n### Waiting for a first review longer than %s: %d\n\n", HumanDuration(&r.StaleReviewSeconds), len(r.WaitingForReview))
	if len(r.WaitingForReview) == 0 {
		p("None.\n")
	}
	for _, c := range r.WaitingForReview {
		p("- %s\n", markdownChange(c, "waiting"))
	}

	p("\n### Largest open changes\n\n")
	if len(r.LargestOpen) == 0 {
		p("None.\n")
	}
	for _, c := range r.LargestOpen {
		p("- %s\n", markdownChange(c, "size"))
	}

	if r.OutlierThresholdSeconds == nil {
		p("\n### Outliers\n\nNo changes shipped in the %d weeks before, so there is no p90 to compare with.\n", review.BaselineWeeks)
	} else {
		p("\n### Outliers: lead time above %s (the p90 of the %d weeks before): %d\n\n", HumanDuration(r.OutlierThresholdSeconds), review.BaselineWeeks, len(r.Outliers))
		if len(r.Outliers) == 0 {
			p("None.\n")
		}
		for _, c := range r.Outliers {
			p("- %s\n", markdownChange(c, "lead time"))
		}
	}
	if len(r.NewRadarSignals) > 0 {
		p("\n### New refactor radar signals this week: %d\n\n", len(r.NewRadarSignals))
		for _, s := range r.NewRadarSignals {
			p("- %s\n", MarkdownText(RadarReviewSignal(s)))
		}
	}
	return w.Flush()
}

// plural is "1 change", "2 changes".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// scopeName names a report's scope in a title: team checkout,
// acme/api, acme/shop:checkout (module), 4 repos, all repos.
func scopeName(s metrics.Scope) string {
	names := append(slices.Clone(s.Repos), s.Modules...)
	switch {
	case s.Team != nil:
		return "team " + *s.Team
	case len(names) >= 1 && len(names) <= 3:
		return strings.Join(names, ", ")
	case len(s.Modules) > 0:
		return fmt.Sprintf("%d repos and modules", len(names))
	case len(s.Repos) > 3:
		return fmt.Sprintf("%d repos", len(s.Repos))
	}
	return "all repos"
}

// ShortSHA is a commit's first 7 characters, as tables show it.
func ShortSHA(sha string) string {
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}

// textChange is a change on one line of the text review, with its detail
// (lead time, waiting or size).
func textChange(c review.Change, detail string) string {
	return fmt.Sprintf("%s #%d %s (%s)", plain(c.Repo), c.Number, plain(c.Title), plain(c.Author)) + changeDetail(c, detail, "[%s]")
}

// markdownChange is textChange in Markdown, linking to the change.
func markdownChange(c review.Change, detail string) string {
	return fmt.Sprintf("%s %s by %s", MarkdownText(c.Repo), MarkdownLink(fmt.Sprintf("#%d %s", c.Number, MarkdownText(c.Title)), c.URL), MarkdownText(c.Author)) +
		changeDetail(c, detail, "(%s)")
}

// changeDetail is what follows a change: " — lead time 2.4 d", " — waiting
// 3h", " — 120 lines", then its tags, each in tag (a format: "[%s]").
func changeDetail(c review.Change, detail, tag string) string {
	var s string
	switch {
	case detail == "lead time" && c.LeadTimeSeconds != nil:
		s = " — lead time " + HumanDuration(c.LeadTimeSeconds)
	case detail == "waiting" && c.WaitingSeconds != nil:
		s = " — waiting " + HumanDuration(c.WaitingSeconds)
	case detail == "size" && c.SizeLines != nil:
		s = fmt.Sprintf(" — %d lines", *c.SizeLines)
	}
	if c.Fix {
		s += " " + fmt.Sprintf(tag, "fix")
	}
	if c.Bot {
		s += " " + fmt.Sprintf(tag, "bot")
	}
	return s
}

func textIncident(in review.Incident) string {
	return fmt.Sprintf("%s #%d %s", plain(in.Repo), in.Number, plain(in.Title)) + openFor(in)
}

func markdownIncident(in review.Incident) string {
	return fmt.Sprintf("%s %s", MarkdownText(in.Repo), MarkdownLink(fmt.Sprintf("#%d %s", in.Number, MarkdownText(in.Title)), in.URL)) + openFor(in)
}

// openFor is " — open for 2h 10m", or " — still open, for 3.2 d so far".
func openFor(in review.Incident) string {
	if in.OpenSeconds != nil {
		return " — open for " + HumanDuration(in.OpenSeconds)
	}
	if in.OpenSoFarSeconds != nil {
		return " — still open, for " + HumanDuration(in.OpenSoFarSeconds) + " so far"
	}
	return " — still open"
}

// DeploymentTags are a deployment's badges, in the web's tables and the
// text review alike: "failed: incident", "rollback", "rework", "failed
// attempt".
func DeploymentTags(d metrics.Deployment) []string {
	return deploymentTags(d, func(cause string) string { return "failed: " + cause })
}

// deploymentTags are DeploymentTags with the failure said by failed.
func deploymentTags(d metrics.Deployment, failed func(cause string) string) []string {
	var tags []string
	if d.Failed {
		tags = append(tags, failed(d.FailureCause))
	}
	if d.Rollback {
		tags = append(tags, "rollback")
	}
	if d.Rework {
		tags = append(tags, "rework")
	}
	if d.FailedAttempt {
		tags = append(tags, "failed attempt")
	}
	return tags
}

// outcome is what the review says of a deployment, as the deployment.
func outcome(d review.Deployment) metrics.Deployment {
	return metrics.Deployment{Failed: d.Failed, FailureCause: d.FailureCause, Rollback: d.Rollback, Rework: d.Rework}
}
