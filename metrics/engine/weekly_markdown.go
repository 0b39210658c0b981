package engine

import (
	"bufio"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/tach-dev/tach/metrics"
	"github.com/tach-dev/tach/metrics/render"
)

// WriteMarkdown writes the review as Markdown, for pasting into notes or
// chat: /weekly.md and `tach report weekly --format markdown` both print
// this. Every piece of user text (titles, logins, repo names) goes through
// MarkdownText, so a title like "<script>…" stays text in any renderer.
// Times are shown in loc.
func (r WeeklyReview) WriteMarkdown(out io.Writer, loc *time.Location) error {
	if loc == nil {
		loc = time.UTC
	}
	w := bufio.NewWriter(out)
	p := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }
	when := func(t time.Time) string { return t.In(loc).Format("Mon 2 Jan 15:04") }

	p("## Weekly review — %s, week of %s\n\n", MarkdownText(scopeName(r.Scope)), r.Week.From)
	p("The week [%s, %s) against the %d weeks before it [%s, %s), times in %s. Rules: docs/metrics.md.\n\n",
		r.Week.From, r.Week.To, BaselineWeeks, r.Baseline.From, r.Baseline.To, MarkdownText(r.Scope.Timezone))

	p("| Measure | This week | %d weeks before | Change |\n|---|---|---|---|\n", BaselineWeeks)
	for _, k := range r.Keys {
		change := HumanChange(k)
		if k.Direction == "better" || k.Direction == "worse" {
			change += " (" + k.Direction + ")"
		}
		p("| %s | %s | %s | %s |\n", k.Name, HumanValue(k.Unit, k.Value), HumanValue(k.Unit, k.Baseline), change)
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
		var tags []string
		if d.Failed {
			tags = append(tags, "**failed** ("+MarkdownText(d.FailureCause)+")")
		}
		if d.Rollback {
			tags = append(tags, "rollback")
		}
		if d.Rework {
			tags = append(tags, "rework")
		}
		tag := ""
		if len(tags) > 0 {
			tag = " — " + strings.Join(tags, ", ")
		}
		p("- %s %s → %s %s%s\n", when(d.FinishedAt), MarkdownText(d.Repo), MarkdownText(d.Environment), MarkdownLink("`"+MarkdownCode(shortSHA(d.SHA))+"`", d.URL), tag)
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

	p("\n### Waiting for a first review longer than %s: %d\n\n", render.HumanDuration(&r.StaleReviewSeconds), len(r.WaitingForReview))
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
		p("\n### Outliers\n\nNo changes shipped in the %d weeks before, so there is no p90 to compare with.\n", BaselineWeeks)
	} else {
		p("\n### Outliers: lead time above %s (the p90 of the %d weeks before): %d\n\n", render.HumanDuration(r.OutlierThresholdSeconds), BaselineWeeks, len(r.Outliers))
		if len(r.Outliers) == 0 {
			p("None.\n")
		}
		for _, c := range r.Outliers {
			p("- %s\n", markdownChange(c, "lead time"))
		}
	}
	return w.Flush()
}

func markdownChange(c ReviewChange, detail string) string {
	s := fmt.Sprintf("%s %s by %s", MarkdownText(c.Repo), MarkdownLink(fmt.Sprintf("#%d %s", c.Number, MarkdownText(c.Title)), c.URL), MarkdownText(c.Author))
	switch {
	case detail == "lead time" && c.LeadTimeSeconds != nil:
		s += " — lead time " + render.HumanDuration(c.LeadTimeSeconds)
	case detail == "waiting" && c.WaitingSeconds != nil:
		s += " — waiting " + render.HumanDuration(c.WaitingSeconds)
	case detail == "size" && c.SizeLines != nil:
		s += fmt.Sprintf(" — %d lines", *c.SizeLines)
	}
	if c.Fix {
		s += " (fix)"
	}
	if c.Bot {
		s += " (bot)"
	}
	return s
}

func markdownIncident(in ReviewIncident) string {
	s := fmt.Sprintf("%s %s", MarkdownText(in.Repo), MarkdownLink(fmt.Sprintf("#%d %s", in.Number, MarkdownText(in.Title)), in.URL))
	if in.OpenSeconds != nil {
		s += " — open for " + render.HumanDuration(in.OpenSeconds)
	} else {
		s += " — still open"
	}
	return s
}

// plural is "1 change", "2 changes".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func scopeName(s metrics.Scope) string {
	switch {
	case s.Team != nil:
		return "team " + *s.Team
	case len(s.Repos) == 1:
		return s.Repos[0]
	case len(s.Repos) > 1 && len(s.Repos) <= 3:
		return strings.Join(s.Repos, ", ")
	case len(s.Repos) > 3:
		return fmt.Sprintf("%d repos", len(s.Repos))
	}
	return "all repos"
}

func shortSHA(sha string) string {
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}

// markdownEscaper turns everything Markdown or HTML could read as markup into
// text: HTML's < > & become entities (which every renderer shows as the
// characters), Markdown's punctuation gets a backslash, and line breaks
// become spaces so a title cannot start a block of its own.
var markdownEscaper = strings.NewReplacer(
	"&", "&amp;", "<", "&lt;", ">", "&gt;",
	`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`, "(", `\(`, ")", `\)`,
	"#", `\#`, "|", `\|`, "!", `\!`, "~", `\~`,
	"\r\n", " ", "\n", " ", "\r", " ",
)

// MarkdownText escapes user text for Markdown.
func MarkdownText(s string) string { return markdownEscaper.Replace(s) }

// MarkdownCode makes s safe inside a `code span`: backticks and line breaks
// are dropped.
func MarkdownCode(s string) string {
	return strings.NewReplacer("`", "", "\n", " ", "\r", " ").Replace(s)
}

// MarkdownLink is [text](url) for an http or https URL, else text alone.
// text must already be escaped. The URL is re-encoded so parentheses,
// spaces and angle brackets cannot end the link early.
func MarkdownLink(text, rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return text
	}
	safe := strings.NewReplacer("(", "%28", ")", "%29", " ", "%20", "<", "%3C", ">", "%3E", `"`, "%22").Replace(u.String())
	return "[" + text + "](" + safe + ")"
}
