package render

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/tach-dev/tach/metrics"
	"github.com/tach-dev/tach/metrics/impact"
	"github.com/tach-dev/tach/metrics/review"
)

// The short summary of a weekly review, for a team's chat: the DORA keys
// with their verdicts and the counts behind them, the notable things of
// the week, and a link to the page. The dashboard's "Copy summary" puts it
// on the clipboard (as HTML and as text), /weekly.md?flavor=… and `tach
// report weekly --format slack|teams|mattermost` print it in a chat's
// syntax. One summary, built here from the review, so every surface says
// the same.

// Chat flavors: the chats whose syntax the summary can be written in.
const (
	FlavorSlack      = "slack"      // Slack's mrkdwn: *bold*, <url|text>
	FlavorTeams      = "teams"      // Microsoft Teams: Markdown
	FlavorMattermost = "mattermost" // Mattermost: Markdown
)

// Flavors are the chat flavors, in the order the help lists them.
var Flavors = []string{FlavorSlack, FlavorTeams, FlavorMattermost}

// MaxNotable is how many notable items a summary lists.
const MaxNotable = 6

// WeeklySummary is the short summary of a review. Its strings are plain
// text (not escaped): each writer escapes them for its syntax.
type WeeklySummary struct {
	Title   string // "Weekly review — team checkout, week of 30 Nov 2026"
	Against string // "against the 4 weeks before (2 Nov – 30 Nov)"
	Keys    []SummaryKey
	Notable []SummaryItem
	URL     string // the review's page; "" when unknown (the CLI without --url)
}

// SummaryKey is one headline measure of the summary.
type SummaryKey struct {
	Key      string // its name in the Report JSON
	Name     string // "Change failure rate"
	Value    string // "8.3 %"
	Baseline string // "2.4 %"
	Change   string // "+5.9 pp"
	Verdict  string // the compare engine's: improved, worsened, no clear change, not enough data, not enough history; "" when not judged
	Counts   string // the counts behind both sides: "2 of 24 vs 3 of 123 deployments" (KeyCounts)
}

// SummaryItem is one notable thing of the week: "Failed deployment:"
// then a linked text and a detail.
type SummaryItem struct {
	Lead   string // "Failed deployment"
	Text   string // "acme/payments bf723a4 → production"
	URL    string // where Text links to; "" for none
	Detail string // "30 Nov 12:47, incident #237"
}

// summaryKeys are the measures the summary leads with: the five DORA keys.
var summaryKeys = []string{metrics.KeyDeploymentFrequency, metrics.KeyLeadTime, metrics.KeyChangeFailureRate,
	metrics.KeyRecoveryTime, metrics.KeyReworkRate}

// Summarize builds the short summary of r, with times in loc and a link
// to pageURL ("" for none).
func Summarize(r review.Review, loc *time.Location, pageURL string) WeeklySummary {
	if loc == nil {
		loc = time.UTC
	}
	day := func(s string) string {
		t, err := time.ParseInLocation(time.DateOnly, s, loc)
		if err != nil {
			return s
		}
		return t.Format("2 Jan 2006")
	}
	s := WeeklySummary{
		Title:   fmt.Sprintf("Weekly review — %s, week of %s", scopeName(r.Scope), day(r.Week.From)),
		Against: fmt.Sprintf("against the %d weeks before (%s – %s)", review.BaselineWeeks, day(r.Baseline.From), day(r.Baseline.To)),
		URL:     pageURL,
	}
	for _, key := range summaryKeys {
		for _, k := range r.Keys {
			if k.Key == key {
				s.Keys = append(s.Keys, SummaryKey{Key: k.Key, Name: k.Name, Value: HumanValue(k.Unit, k.Value),
					Baseline: HumanValue(k.Unit, k.Baseline), Change: HumanChange(k), Verdict: k.Verdict, Counts: KeyCounts(k)})
			}
		}
	}
	s.Notable = notable(r, loc)
	return s
}

// notable lists what a team should hear about: failed deployments,
// incidents still open, lead-time outliers and the change waiting longest
// for a first review.
func notable(r review.Review, loc *time.Location) []SummaryItem {
	when := func(t time.Time) string { return t.In(loc).Format("Mon 2 Jan 15:04") }
	var out []SummaryItem
	for _, d := range r.Shipped {
		if !d.Failed {
			continue
		}
		detail := when(d.FinishedAt) + ", " + d.FailureCause
		if len(d.Incidents) > 0 {
			detail = when(d.FinishedAt)
			for _, in := range d.Incidents {
				detail += fmt.Sprintf(", incident #%d", in.Number)
			}
		}
		out = append(out, SummaryItem{Lead: "Failed deployment", Text: fmt.Sprintf("%s %s → %s", d.Repo, ShortSHA(d.SHA), d.Environment), URL: d.URL, Detail: detail})
	}
	seen := map[string]bool{}
	for _, in := range append(append([]review.Incident{}, r.IncidentsOpened...), r.IncidentsResolved...) {
		id := fmt.Sprintf("%s#%d", in.Repo, in.Number)
		if in.ResolvedAt != nil || seen[id] {
			continue
		}
		seen[id] = true
		out = append(out, SummaryItem{Lead: "Still open", Text: fmt.Sprintf("%s #%d %s", in.Repo, in.Number, in.Title), URL: in.URL,
			Detail: strings.TrimPrefix(openFor(in), " — ")})
	}
	for _, c := range r.Outliers {
		out = append(out, SummaryItem{Lead: "Slow change", Text: fmt.Sprintf("%s #%d %s", c.Repo, c.Number, c.Title), URL: c.URL,
			Detail: "lead time " + HumanDuration(c.LeadTimeSeconds)})
	}
	if n := len(r.WaitingForReview); n > 0 {
		c := r.WaitingForReview[0]
		out = append(out, SummaryItem{Lead: "Waiting longest for a review", Text: fmt.Sprintf("%s #%d %s", c.Repo, c.Number, c.Title), URL: c.URL,
			Detail: fmt.Sprintf("%s; %s waiting longer than %s", HumanDuration(c.WaitingSeconds), plural(n, "change"), HumanDuration(&r.StaleReviewSeconds))})
	}
	if len(out) > MaxNotable {
		out = out[:MaxNotable]
	}
	return out
}

// Line is a key in words, without markup: "8.3 % vs 2.4 % before:
// +5.9 pp, worse (2 of 24 deployments vs 3 of 123)".
func (k SummaryKey) Line() string {
	s := fmt.Sprintf("%s vs %s before", k.Value, k.Baseline)
	if k.Change != Dash {
		s += ": " + k.Change
	}
	if k.Verdict != "" {
		s += ", " + k.Verdict
	}
	if k.Counts != "" {
		s += " (" + k.Counts + ")"
	}
	return s
}

// WeeklySummaryText is the summary as plain text: the clipboard's
// text/plain, pasted where no formatting is kept.
func WeeklySummaryText(s WeeklySummary) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s, %s\n", s.Title, s.Against)
	for _, k := range s.Keys {
		fmt.Fprintf(&b, "• %s: %s\n", k.Name, k.Line())
	}
	if len(s.Notable) > 0 {
		b.WriteString("Notable:\n")
	}
	for _, it := range s.Notable {
		fmt.Fprintf(&b, "• %s: %s", it.Lead, it.Text)
		if it.Detail != "" {
			fmt.Fprintf(&b, " — %s", it.Detail)
		}
		b.WriteString("\n")
	}
	if s.URL != "" {
		fmt.Fprintf(&b, "%s\n", s.URL)
	}
	return plainLines(b.String())
}

// plainLines cleans control characters from each line of s (a title
// cannot move a cursor or start a line of its own).
func plainLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = plain(l)
	}
	return strings.Join(lines, "\n")
}

// WeeklyChat writes the summary in a chat's syntax (FlavorSlack,
// FlavorTeams or FlavorMattermost), ready to paste or post by webhook.
// User text (the scope, titles) is escaped for that syntax, so a title
// like "*<!channel>*" stays text; tach's own words carry no markup.
func WeeklyChat(out io.Writer, s WeeklySummary, flavor string) error {
	w := bufio.NewWriter(out)
	esc, bold, link := MarkdownText, func(t string) string { return "**" + t + "**" }, MarkdownLink
	bullet := "- "
	if flavor == FlavorSlack {
		esc, bold, link, bullet = slackText, func(t string) string { return "*" + t + "*" }, slackLink, "• "
	}
	fmt.Fprintf(w, "%s, %s\n\n", bold(esc(s.Title)), s.Against)
	for _, k := range s.Keys {
		line := k.Line()
		if k.Verdict == impact.VerdictImproved || k.Verdict == impact.VerdictWorsened {
			line = strings.Replace(line, ", "+k.Verdict, ", "+bold(k.Verdict), 1)
		}
		fmt.Fprintf(w, "%s%s: %s\n", bullet, bold(k.Name), line)
	}
	if len(s.Notable) > 0 {
		fmt.Fprintf(w, "\n%s\n", bold("Notable"))
	}
	for _, it := range s.Notable {
		text := esc(it.Text)
		if it.URL != "" {
			text = link(text, it.URL)
		}
		fmt.Fprintf(w, "%s%s: %s", bullet, it.Lead, text)
		if it.Detail != "" {
			fmt.Fprintf(w, " — %s", it.Detail)
		}
		fmt.Fprintln(w)
	}
	if s.URL != "" {
		fmt.Fprintf(w, "\n%s\n", link("The whole review", s.URL))
	}
	return w.Flush()
}

// slackEscaper escapes what Slack's mrkdwn reads as markup: &, < and >
// become entities (Slack's own rule: "<" starts a link or a mention such
// as <!channel>). Slack has no backslash escape, so the emphasis
// characters *, _, ~ and ` become look-alikes that mean nothing there.
var slackEscaper = strings.NewReplacer(
	"&", "&amp;", "<", "&lt;", ">", "&gt;",
	"*", "∗", "_", "＿", "~", "∼", "`", "ˋ",
	"\r\n", " ", "\n", " ", "\r", " ",
)

// slackText escapes user text for Slack's mrkdwn.
func slackText(s string) string { return slackEscaper.Replace(s) }

// slackLink is <url|text> for an http or https URL, else text alone. text
// must already be escaped; the URL's | and > would end the link, so they
// are percent-encoded.
func slackLink(text, rawURL string) string {
	u := safeURL(rawURL)
	if u == "" {
		return text
	}
	u = strings.NewReplacer("|", "%7C", ">", "%3E", "<", "%3C", " ", "%20").Replace(u)
	return "<" + u + "|" + text + ">"
}
