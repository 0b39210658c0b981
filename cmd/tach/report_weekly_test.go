package main

import (
	"encoding/json"
	"github.com/tach-dev/tach/store/storetest"
	"strings"
	"testing"
)

func TestReportWeekly(t *testing.T) {
	storetest.Long(t)
	week := []string{"report", "weekly", "--db", demoDB, "--week", "2026-11-18"}
	code, out, errOut := tach(t, append(week, "--format", "json")...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var rev struct {
		Week     struct{ From, To string }
		Baseline struct{ From, To string }
		Keys     []struct {
			Key string `json:"key"`
		} `json:"keys"`
		Shipped  []json.RawMessage `json:"shipped"`
		ThisWeek struct {
			DeploymentFrequency struct {
				Deployments int `json:"deployments"`
			} `json:"deployment_frequency"`
		} `json:"this_week"`
	}
	if err := json.Unmarshal([]byte(out), &rev); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if rev.Week.From != "2026-11-16" || rev.Week.To != "2026-11-23" || rev.Baseline.From != "2026-10-19" {
		t.Errorf("week %v against %v", rev.Week, rev.Baseline)
	}
	if len(rev.Keys) < 5 || len(rev.Shipped) != rev.ThisWeek.DeploymentFrequency.Deployments {
		t.Errorf("%d keys, %d shipped of %d deployments", len(rev.Keys), len(rev.Shipped), rev.ThisWeek.DeploymentFrequency.Deployments)
	}

	code, md, errOut := tach(t, append(week, "--format", "markdown", "--team", "checkout")...)
	if code != 0 || !strings.HasPrefix(md, "## Weekly review — team checkout, week of 2026-11-16") {
		t.Fatalf("markdown: exit %d %s\n%s", code, errOut, md)
	}
	// The summary for a chat, linking to the page when the dashboard's
	// address is given; the same words as the dashboard's /weekly.md?flavor=.
	code, slack, errOut := tach(t, append(week, "--format", "slack", "--team", "checkout", "--url", "https://tach.example.com/")...)
	if code != 0 || !strings.HasPrefix(slack, "*Weekly review — team checkout, week of 16 Nov 2026*") ||
		!strings.Contains(slack, "• *Change failure rate*:") ||
		!strings.Contains(slack, "<https://tach.example.com/weekly?team=checkout&week=2026-11-16|The whole review>") {
		t.Fatalf("slack: exit %d %s\n%s", code, errOut, slack)
	}
	code, teams, _ := tach(t, append(week, "--format", "teams")...)
	if code != 0 || !strings.Contains(teams, "- **Lead time for changes**:") || strings.Contains(teams, "The whole review") {
		t.Fatalf("teams (no --url, so no link): exit %d\n%s", code, teams)
	}
	code, text, _ := tach(t, week...)
	if code != 0 || !strings.Contains(text, "What shipped:") || !strings.Contains(text, "CHANGE") {
		t.Fatalf("text: exit %d\n%s", code, text)
	}
	if strings.ContainsAny(text, "\x1b\r") {
		t.Error("control characters reached the terminal")
	}

	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"--week", "2026-13-01"}, 2, `--week "2026-13-01" is not a date`},
		{[]string{"--week", "2199-01-01"}, 2, "--week 2199-01-01: the week of 2198-12-31 is not complete yet"},
		{[]string{"--format", "xml"}, 2, `--format "xml"`},
		{[]string{"--format", "slack", "--url", "tach.example.com"}, 2, `--url "tach.example.com" is not an http or https address`},
		{[]string{"--team", "nope"}, 1, `team "nope" is not configured`},
	} {
		code, _, errOut := tach(t, append([]string{"report", "weekly", "--db", demoDB}, c.args...)...)
		if code != c.code || !strings.Contains(errOut, c.msg) || strings.Count(strings.TrimSpace(errOut), "\n") > 0 {
			t.Errorf("%v: exit %d, %q; want %d and %q on one line", c.args, code, errOut, c.code, c.msg)
		}
	}
}
