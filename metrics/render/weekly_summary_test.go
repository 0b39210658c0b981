package render_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/tach-dev/tach/metrics"
	"github.com/tach-dev/tach/metrics/impact"
	"github.com/tach-dev/tach/metrics/render"
	"github.com/tach-dev/tach/metrics/review"
)

// hostileReview is a week whose failed deployment shipped with an
// incident titled to break out of every chat's syntax.
func hostileReview() review.Review {
	team := "pay*ments"
	v, b := 0.25, 0.05
	now := time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)
	opened := time.Date(2026, 2, 24, 9, 0, 0, 0, time.UTC)
	so := now.Sub(opened).Seconds()
	cfr := metrics.CompareKey(metrics.KeyChangeFailureRate, "Change failure rate", metrics.UnitRate, true, &v, &b)
	// Judged as the compare engine judges it (impact.JudgeKeys).
	failed, baseFailed := 6, 6
	cfr.Verdict, cfr.Direction, cfr.NUnit = impact.VerdictWorsened, "worse", "deployments"
	cfr.N, cfr.BaselineN, cfr.Count, cfr.BaselineCount = 24, 120, &failed, &baseFailed
	in := review.Incident{Repo: "acme/api", Number: 7, Title: "*<!channel>* _x_ [y](javascript:z) <script>", URL: "https://github.com/acme/api/issues/7",
		CreatedAt: opened, OpenSoFarSeconds: &so}
	r := review.Review{
		Scope: metrics.Scope{Team: &team, Timezone: "UTC"}, Week: review.Period{From: "2026-02-23", To: "2026-03-02"},
		Baseline: review.Period{From: "2026-01-26", To: "2026-02-23"},
		Keys:     []metrics.KeyComparison{cfr},
		Shipped: []review.Deployment{{Repo: "acme/api", Environment: "production", SHA: "0123456789", URL: "https://github.com/acme/api/deployments/1",
			FinishedAt: opened.Add(-time.Hour), Failed: true, FailureCause: "incident", Incidents: []review.Incident{in}}},
		IncidentsOpened: []review.Incident{in}, GeneratedAt: now,
	}
	r.This.ChangeFailureRate = metrics.ChangeFailureRate{Failed: 6, Deployments: 24}
	r.Before.ChangeFailureRate = metrics.ChangeFailureRate{Failed: 6, Deployments: 120}
	return r
}

func TestWeeklySummarySaysTheWeek(t *testing.T) {
	s := render.Summarize(hostileReview(), time.UTC, "https://tach.example.com/weekly?team=pay%2Aments&week=2026-02-23")
	text := render.WeeklySummaryText(s)
	for _, want := range []string{
		"Weekly review — team pay*ments, week of 23 Feb 2026, against the 4 weeks before (26 Jan 2026 – 23 Feb 2026)",
		"• Change failure rate: 25.0 % vs 5.0 % before: ▲ +20.0 pp, worsened (6 of 24 vs 6 of 120 deployments)",
		"• Failed deployment: acme/api 0123456 → production — Tue 24 Feb 08:00, incident #7",
		"• Still open: acme/api #7 *<!channel>* _x_ [y](javascript:z) <script> — still open, for 8.0 d so far",
		"https://tach.example.com/weekly?team=pay%2Aments&week=2026-02-23",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the text does not say %q:\n%s", want, text)
		}
	}
}

// Each chat gets the summary in its syntax, and user text stays text: no
// mention, no link, no emphasis from a title.
func TestWeeklyChatEscapesUserText(t *testing.T) {
	s := render.Summarize(hostileReview(), time.UTC, "https://tach.example.com/weekly?week=2026-02-23")
	var slack, teams bytes.Buffer
	if err := render.WeeklyChat(&slack, s, render.FlavorSlack); err != nil {
		t.Fatal(err)
	}
	if err := render.WeeklyChat(&teams, s, render.FlavorTeams); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"*Weekly review — team pay∗ments, week of 23 Feb 2026*",
		"• *Change failure rate*: 25.0 % vs 5.0 % before: ▲ +20.0 pp, *worsened* (6 of 24 vs 6 of 120 deployments)",
		"<https://github.com/acme/api/issues/7|acme/api #7 ∗&lt;!channel&gt;∗ ＿x＿ [y](javascript:z) &lt;script&gt;>",
		"<https://tach.example.com/weekly?week=2026-02-23|The whole review>",
	} {
		if !strings.Contains(slack.String(), want) {
			t.Errorf("Slack: no %q in\n%s", want, slack.String())
		}
	}
	if strings.Contains(slack.String(), "<!channel>") || strings.Contains(slack.String(), "<script") {
		t.Errorf("Slack: user text is markup:\n%s", slack.String())
	}
	for _, want := range []string{
		"**Weekly review — team pay\\*ments, week of 23 Feb 2026**",
		"- **Change failure rate**: 25.0 % vs 5.0 % before: ▲ +20.0 pp, **worsened** (6 of 24 vs 6 of 120 deployments)",
		"[acme/api \\#7 \\*&lt;\\!channel&gt;\\* \\_x\\_ \\[y\\]\\(javascript:z\\) &lt;script&gt;](https://github.com/acme/api/issues/7)",
	} {
		if !strings.Contains(teams.String(), want) {
			t.Errorf("Teams: no %q in\n%s", want, teams.String())
		}
	}
}
