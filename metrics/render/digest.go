package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"strings"

	"github.com/tach-dev/tach/metrics"
	"github.com/tach-dev/tach/metrics/impact"
	"github.com/tach-dev/tach/metrics/review"
)

// The weekly review as one chat message (the digest), in each platform's
// own format: Slack (Block Kit sections in mrkdwn), Microsoft Teams (an
// Adaptive Card), Mattermost and Discord (Markdown; Discord has no tables
// and takes 2,000 characters), and a generic webhook (JSON with the
// Markdown and the review itself). Every one carries the same words: the
// key measures against the four weeks before, what changed notably (new
// refactor radar signals among it), and a link to the page.

// DigestPlatforms are the platforms a digest is written for.
var DigestPlatforms = []string{"slack", "teams", "mattermost", "discord", "webhook"}

// discordLimit is the most characters Discord takes in a message.
const discordLimit = 2000

// digestText is the digest's words, before a platform's markup.
type digestText struct {
	title string
	keys  []digestKey
	notes []string // notable changes, one sentence each
	link  string   // the page, "" without a configured link
}

// digestKey is a key measure of the digest with its change judged by the
// compare engine (verdict and the counts of both sides, as everywhere the
// weekly review is shown).
type digestKey struct{ name, value, baseline, change, verdict, counts string }

func newDigestText(r review.Review, link string) digestText {
	d := digestText{title: fmt.Sprintf("Weekly review — %s, week of %s", scopeName(r.Scope), r.Week.From)}
	for _, k := range r.Keys {
		d.keys = append(d.keys, digestKey{name: k.Name, value: HumanValue(k.Unit, k.Value), baseline: HumanValue(k.Unit, k.Baseline),
			change: HumanChange(k), verdict: k.Verdict, counts: KeyCounts(k)})
	}
	for _, k := range r.Keys {
		if notableKey(k) {
			d.notes = append(d.notes, fmt.Sprintf("%s %s: %s against %s (%s; %s).", k.Name, k.Verdict, HumanValue(k.Unit, k.Value), HumanValue(k.Unit, k.Baseline), HumanChange(k), KeyCounts(k)))
		}
	}
	changes, failed := 0, 0
	for _, s := range r.Shipped {
		changes += len(s.Changes)
		if s.Failed {
			failed++
		}
	}
	shipped := fmt.Sprintf("Shipped: %s to production, %s.", plural(len(r.Shipped), "deployment"), plural(changes, "change"))
	if failed > 0 {
		shipped += fmt.Sprintf(" %d failed.", failed)
	}
	d.notes = append(d.notes, shipped)
	if n := len(r.IncidentsOpened) + len(r.IncidentsResolved); n > 0 {
		d.notes = append(d.notes, fmt.Sprintf("Incidents: %d opened, %d resolved.", len(r.IncidentsOpened), len(r.IncidentsResolved)))
	}
	if n := len(r.WaitingForReview); n > 0 {
		d.notes = append(d.notes, fmt.Sprintf("%s waiting for a first review longer than %s.", plural(n, "change"), HumanDuration(&r.StaleReviewSeconds)))
	}
	if n := len(r.Outliers); n > 0 && r.OutlierThresholdSeconds != nil {
		d.notes = append(d.notes, fmt.Sprintf("%s shipped with a lead time above %s, the p90 of the weeks before.", plural(n, "change"), HumanDuration(r.OutlierThresholdSeconds)))
	}
	for _, sig := range r.NewRadarSignals {
		d.notes = append(d.notes, "New refactor radar signal: "+RadarReviewSignal(sig)+".")
	}
	if link != "" {
		q := url.Values{"week": {r.Week.From}}
		if r.Scope.Team != nil {
			q.Set("team", *r.Scope.Team)
		}
		d.link = strings.TrimSuffix(link, "/") + "/weekly?" + q.Encode()
	}
	return d
}

// notableKey is a key measure that moved enough to say so in a digest:
// improved or worsened by the compare engine's test, and a rate by 5
// points or more, any other by a quarter or more of its baseline. The table beside it shows every move.
func notableKey(k metrics.KeyComparison) bool {
	if k.Verdict != impact.VerdictImproved && k.Verdict != impact.VerdictWorsened {
		return false // the compare engine's verdict, never a bare move
	}
	if k.Unit == "rate" {
		return k.Diff != nil && math.Abs(*k.Diff) >= 0.05
	}
	return k.Relative != nil && math.Abs(*k.Relative) >= 0.25
}

// Digest writes the review as the body of an incoming webhook's POST for
// platform (one of DigestPlatforms); link is the dashboard's address ("" for
// none).
func Digest(platform string, r review.Review, link string) ([]byte, error) {
	d := newDigestText(r, link)
	var v any
	switch platform {
	case "slack":
		v = d.slack()
	case "teams":
		v = d.teams()
	case "mattermost":
		v = map[string]any{"text": d.markdown(true)}
	case "discord":
		v = map[string]any{"content": truncateRunes(d.markdown(false), discordLimit), "allowed_mentions": map[string]any{"parse": []string{}}}
	case "webhook":
		v = map[string]any{"text": d.markdown(true), "title": d.title, "link": d.link, "review": r}
	default:
		return nil, fmt.Errorf("digest: unknown platform %q", platform)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("digest: %w", err)
	}
	return buf.Bytes(), nil
}

// markdown is the digest in Markdown: a table of the keys where tables
// render (Mattermost), a list where they do not (Discord).
func (d digestText) markdown(tables bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "#### %s\n\n", MarkdownText(d.title))
	if tables {
		fmt.Fprintf(&b, "| Measure | This week | %d weeks before | Change |\n|---|---|---|---|\n", review.BaselineWeeks)
		for _, k := range d.keys {
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", k.name, k.value, k.baseline, withDirection(k))
		}
	} else {
		for _, k := range d.keys {
			fmt.Fprintf(&b, "- **%s**: %s (%d weeks before: %s, %s)\n", k.name, k.value, review.BaselineWeeks, k.baseline, withDirection(k))
		}
	}
	b.WriteString("\n")
	for _, n := range d.notes {
		fmt.Fprintf(&b, "- %s\n", MarkdownText(n)) // a radar signal names repos and modules
	}
	if d.link != "" {
		fmt.Fprintf(&b, "\n%s\n", MarkdownLink("Open the weekly review", d.link))
	}
	return b.String()
}

// withDirection is a key's change with its verdict and counts: "▲ +200 %,
// worsened (median of 12 vs 40 changes)".
func withDirection(k digestKey) string {
	s := k.change
	if k.verdict != "" {
		s += ", " + k.verdict
	}
	if k.counts != "" {
		s += " (" + k.counts + ")"
	}
	return s
}

func (d digestText) slack() any {
	mrkdwn := func(s string) map[string]any { return map[string]any{"type": "mrkdwn", "text": s} }
	var keys []any
	for _, k := range d.keys {
		keys = append(keys, mrkdwn(fmt.Sprintf("*%s*\n%s (was %s, %s)", slackText(k.name), slackText(k.value), slackText(k.baseline), slackText(withDirection(k)))))
	}
	blocks := []any{
		map[string]any{"type": "header", "text": map[string]any{"type": "plain_text", "text": truncateRunes(d.title, 150)}},
	}
	// A section holds at most 10 fields.
	for i := 0; i < len(keys); i += 10 {
		blocks = append(blocks, map[string]any{"type": "section", "fields": keys[i:min(i+10, len(keys))]})
	}
	var notes strings.Builder
	for _, n := range d.notes {
		notes.WriteString("• " + slackText(n) + "\n")
	}
	blocks = append(blocks, map[string]any{"type": "section", "text": mrkdwn(strings.TrimSpace(notes.String()))})
	if d.link != "" {
		blocks = append(blocks, map[string]any{"type": "context", "elements": []any{mrkdwn("<" + d.link + "|Open the weekly review>")}})
	}
	return map[string]any{"text": slackText(d.title), "blocks": blocks}
}

func (d digestText) teams() any {
	var facts []any
	for _, k := range d.keys {
		facts = append(facts, map[string]any{"title": k.name, "value": fmt.Sprintf("%s (was %s, %s)", k.value, k.baseline, withDirection(k))})
	}
	body := []any{
		map[string]any{"type": "TextBlock", "text": d.title, "weight": "Bolder", "size": "Medium", "wrap": true},
		map[string]any{"type": "FactSet", "facts": facts},
	}
	for _, n := range d.notes {
		body = append(body, map[string]any{"type": "TextBlock", "text": n, "wrap": true, "spacing": "Small"})
	}
	card := map[string]any{
		"$schema": "http://adaptivecards.io/schemas/adaptive-card.json", "type": "AdaptiveCard", "version": "1.4", "body": body,
	}
	if d.link != "" {
		card["actions"] = []any{map[string]any{"type": "Action.OpenUrl", "title": "Open the weekly review", "url": d.link}}
	}
	return map[string]any{"type": "message", "attachments": []any{map[string]any{
		"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": nil, "content": card,
	}}}
}

// truncateRunes cuts s to at most n characters, ending in "…" when cut.
func truncateRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
