package config

import (
	"strings"
	"testing"
	"time"
)

func TestDigest(t *testing.T) {
	c := mustParse(t, doc(
		"digest:",
		"  schedule: Fri 16:30",
		"  link: https://tach.example.com/",
		"  scope: repos",
		"  to:",
		"    - slack: ${SLACK}",
		"    - webhook: https://hooks.example.com/x?key=abc",
	), env("SLACK", "https://hooks.slack.com/services/T0/B0/xyz"))
	d := c.Digest
	if d == nil || d.Weekday != time.Friday || d.Hour != 16 || d.Minute != 30 || d.Schedule() != "Fri 16:30" || d.Link != "https://tach.example.com" || d.Scope != "repos" || len(d.To) != 2 {
		t.Fatalf("digest = %+v", d)
	}
	if d.To[0].Platform != "slack" || d.To[0].URL.Reveal() != "https://hooks.slack.com/services/T0/B0/xyz" || d.To[1].Platform != "webhook" {
		t.Errorf("to = %+v", d.To)
	}
	if err := c.CheckDigest(); err != nil {
		t.Error(err)
	}
	// Defaults: Monday 09:00, one digest per team.
	c = mustParse(t, doc("digest:", "  to: [{teams: 'https://x.example.com/a'}]"), env())
	if d := c.Digest; d.Weekday != time.Monday || d.Hour != 9 || d.Minute != 0 || d.Scope != "team" {
		t.Errorf("defaults = %+v", d)
	}
	c = mustParse(t, doc("digest:", "  to: [{discord: '${HOOK}'}]"), env())
	if err := c.CheckDigest(); err == nil || !strings.Contains(err.Error(), "tach.yaml:2: digest.to[0].discord: environment variable HOOK is not set") {
		t.Errorf("CheckDigest with an unset variable: %v", err)
	}
}

func TestDigestMistakes(t *testing.T) {
	for _, c := range []struct {
		yaml []string
		want string
	}{
		{[]string{"digest:", "  schedule: Monday", "  to: [{slack: 'https://a.example.com'}]"}, `digest.schedule: "Monday" is not a weekday and time; write it as "Mon 09:00"`},
		{[]string{"digest:", "  schedule: Mon 25:00", "  to: [{slack: 'https://a.example.com'}]"}, `"Mon 25:00" is not a weekday and time`},
		{[]string{"digest:", "  schedule: Mon 09:00"}, "digest.to: required"},
		{[]string{"digest:", "  to: [{irc: 'https://a.example.com'}]"}, `digest.to[0]: unknown key "irc"`},
		{[]string{"digest:", "  to: [{slack: 'https://a.example.com', teams: 'https://b.example.com'}]"}, "digest.to[0]: names 2 platforms"},
		{[]string{"digest:", "  to: [{slack: 'hooks.slack.com/services/T0/secretpart'}]"}, "digest.to[0].slack: is not an http(s) URL"},
		{[]string{"digest:", "  scope: org", "  to: [{slack: 'https://a.example.com'}]"}, `digest.scope: "org" is not one of team, repos`},
	} {
		_, err := parse(doc(c.yaml...), "tach.yaml", env())
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s:\n got %v\nwant %s", strings.Join(c.yaml, " / "), err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "secretpart") {
			t.Errorf("a webhook URL is in the error: %v", err)
		}
	}
}
