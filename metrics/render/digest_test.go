package render_test

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tach-dev/tach/metrics"
	"github.com/tach-dev/tach/metrics/render"
	"github.com/tach-dev/tach/metrics/review"
)

func digestReview() review.Review {
	f := func(v float64) *float64 { return &v }
	team := "pay<ments>"
	stale := 48 * 3600.0
	return review.Review{
		Scope:    metrics.Scope{Team: &team, Timezone: "UTC"},
		Week:     review.Period{From: "2026-11-30", To: "2026-12-07"},
		Baseline: review.Period{From: "2026-11-02", To: "2026-11-30"},
		Keys: []metrics.KeyComparison{
			{Key: "deployment_frequency", Name: "Deployment frequency", Unit: "per_week", Value: f(12), Baseline: f(10), Diff: f(2), Relative: f(0.2), Verdict: "not enough data"},
			{Key: "lead_time", Name: "Lead time for changes", Unit: "seconds", Value: f(3 * 86400), Baseline: f(86400), Diff: f(2 * 86400), Relative: f(2), LowerIsBetter: true, Direction: "worse",
				Verdict: "worsened", N: 12, BaselineN: 40, NUnit: "changes"},
			{Key: "change_failure_rate", Name: "Change failure rate", Unit: "rate", Value: nil, Baseline: f(0.1), Direction: ""},
		},
		Shipped:            []review.Deployment{{Repo: "acme/api", Failed: true, Changes: []review.Change{{Title: "x"}, {Title: "y"}}}},
		IncidentsOpened:    []review.Incident{{Title: "down"}},
		WaitingForReview:   []review.Change{{Title: "<b>waiting</b>"}},
		StaleReviewSeconds: stale,
		NewRadarSignals:    []review.RadarSignal{{Repo: "acme/shop", Measure: "lead_time", Direction: "worsening", SlopePerWeek: 3600, QValue: 0.01, Weeks: 12}},
	}
}

// TestDigestPerPlatform: each platform gets its own format, with the key
// measures, the notable changes and the link; user text stays text.
func TestDigestPerPlatform(t *testing.T) {
	r := digestReview()
	const link = "https://tach.example.com/"
	wantLink := "https://tach.example.com/weekly?team=pay%3Cments%3E&week=2026-11-30"
	body := func(platform string) map[string]any {
		t.Helper()
		b, err := render.Digest(platform, r, link)
		if err != nil {
			t.Fatal(err)
		}
		var v map[string]any
		if err := json.Unmarshal(b, &v); err != nil {
			t.Fatalf("%s: not JSON: %v\n%s", platform, err, b)
		}
		return v
	}

	slack := body("slack")
	blocks, _ := slack["blocks"].([]any)
	if len(blocks) < 3 || blocks[0].(map[string]any)["type"] != "header" {
		t.Fatalf("slack blocks = %v", blocks)
	}
	var buf strings.Builder
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.Encode(slack)
	raw := buf.String()
	// The compare engine's verdicts with the counts of both sides, never a
	// bare "better" or "worse".
	for _, want := range []string{"Lead time for changes", "3.0 d", "▲ +200 %, worsened (median of 12 vs 40 changes)", "Lead time for changes worsened: 3.0 d against 1.0 d", "20 %, not enough data", "Shipped: 1 deployment to production, 2 changes. 1 failed.", "<" + wantLink + "|Open the weekly review>", "pay&lt;ments&gt;"} {
		if !strings.Contains(raw, want) {
			t.Errorf("slack lacks %q:\n%s", want, raw)
		}
	}
	if slack["text"] == "" {
		t.Error("slack has no fallback text")
	}

	teams := body("teams")
	att := teams["attachments"].([]any)[0].(map[string]any)
	card := att["content"].(map[string]any)
	if att["contentType"] != "application/vnd.microsoft.card.adaptive" || card["type"] != "AdaptiveCard" || card["version"] != "1.4" {
		t.Fatalf("teams = %v", teams)
	}
	facts := card["body"].([]any)[1].(map[string]any)["facts"].([]any)
	if len(facts) != 3 || facts[1].(map[string]any)["title"] != "Lead time for changes" {
		t.Errorf("teams facts = %v", facts)
	}
	if a := card["actions"].([]any)[0].(map[string]any); a["type"] != "Action.OpenUrl" || a["url"] != wantLink {
		t.Errorf("teams action = %v", a)
	}

	mm := body("mattermost")["text"].(string)
	if strings.Contains(mm, "Deployment frequency not enough data:") || !strings.Contains(mm, "Lead time for changes worsened: 3.0 d against 1.0 d") {
		t.Errorf("notable: a +20 %% move is listed, or a +200 %% one is not:\n%s", mm)
	}
	if !strings.Contains(mm, "New refactor radar signal: ") || !strings.Contains(mm, "acme/shop") {
		t.Errorf("mattermost has no radar signal:\n%s", mm)
	}
	if !strings.Contains(mm, "| Lead time for changes | 3.0 d | 1.0 d |") || !strings.Contains(mm, "[Open the weekly review]("+wantLink+")") {
		t.Errorf("mattermost:\n%s", mm)
	}
	dc := body("discord")
	content := dc["content"].(string)
	if strings.Contains(content, "|---|") || !strings.Contains(content, "- **Lead time for changes**: 3.0 d") {
		t.Errorf("discord (no tables):\n%s", content)
	}
	if am := dc["allowed_mentions"].(map[string]any); len(am["parse"].([]any)) != 0 {
		t.Error("discord may mention people")
	}
	if strings.Contains(content, "pay<ments>") {
		t.Error("a team name went out as markup")
	}

	hook := body("webhook")
	if hook["link"] != wantLink || hook["review"].(map[string]any)["week"].(map[string]any)["from"] != "2026-11-30" || hook["text"] != mm {
		t.Errorf("webhook = %v", hook)
	}
	if _, err := render.Digest("irc", r, link); err == nil {
		t.Error("an unknown platform was accepted")
	}
}

func TestDigestDiscordFitsItsLimit(t *testing.T) {
	r := digestReview()
	for i := 0; i < 200; i++ {
		r.Keys = append(r.Keys, r.Keys[1])
	}
	b, err := render.Digest("discord", r, "")
	if err != nil {
		t.Fatal(err)
	}
	var v struct{ Content string }
	json.Unmarshal(b, &v)
	if n := utf8.RuneCountInString(v.Content); n > 2000 || !strings.HasSuffix(v.Content, "…") {
		t.Errorf("discord content is %d characters", n)
	}
}
