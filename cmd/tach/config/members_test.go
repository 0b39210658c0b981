package config

import (
	"strings"
	"testing"
)

func TestTeamMembers(t *testing.T) {
	c := mustParse(t, doc(
		"repos: [{github: acme/mono}]",
		"teams:",
		"  - {name: search, members: ['@Ada', grace]}",
		"  - {name: infra, from: {github_team: acme/infra}}",
		"  - {name: billing, repos: [acme/mono], from: {gitlab_group: acme/billing/}}",
	), env())
	if got := c.Teams[0]; strings.Join(got.Members, ",") != "ada,grace" || len(got.Repos) != 0 || got.From != nil {
		t.Errorf("search = %+v", got)
	}
	if f := c.Teams[1].From; f == nil || f.Provider() != GitHub || f.Name() != "acme/infra" {
		t.Errorf("infra from = %+v", f)
	}
	if f := c.Teams[2].From; f == nil || f.Provider() != GitLab || f.Name() != "acme/billing" || len(c.Teams[2].Repos) != 1 {
		t.Errorf("billing = %+v", c.Teams[2])
	}
}

func TestTeamMembersMistakes(t *testing.T) {
	for _, c := range []struct {
		yaml []string
		want string
	}{
		{[]string{"teams: [{name: a}]"}, "teams[0].repos: required; list the team's repos"},
		{[]string{"teams: [{name: a, members: [ada, ADA]}]"}, "teams[0].members[1]: ADA is listed twice"},
		{[]string{"teams: [{name: a, members: ['ada lovelace']}]"}, `teams[0].members[0]: "ada lovelace" is not a login`},
		{[]string{"teams: [{name: a, from: {github_team: acme}}]"}, `teams[0].from.github_team: "acme" is not org/slug`},
		{[]string{"teams: [{name: a, from: {github_team: acme/x, gitlab_group: acme}}]"}, "teams[0].from: names 2 sources"},
		{[]string{"teams: [{name: a, from: {okta_group: x}}]"}, `teams[0].from: unknown key "okta_group"`},
	} {
		_, err := parse(doc(c.yaml...), "tach.yaml", env())
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s:\n got %v\nwant %s", strings.Join(c.yaml, " / "), err, c.want)
		}
	}
}
