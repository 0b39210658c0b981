package config

import (
	"strings"
	"testing"
)

func TestGitHubOrg(t *testing.T) {
	c := mustParse(t, doc(
		"repos:",
		"  - github_org: acme",
		"    include: ['api-*', 'acme/web']",
		"    exclude: ['*-sandbox']",
		"    topics: [Production]",
		"    archived: true",
		"    forks: true",
		"    deployments: {source: releases}",
		"  - github: acme/api-core",
		"    deployments: {source: merges}",
		"teams:",
		"  - {name: all, repos: [acme]}",
		"  - {name: web, repos: [acme/web]}",
	), env())
	org := c.Repos[0]
	if !org.Group || org.Provider != GitHub || org.Org == nil || org.Name != "acme" {
		t.Fatalf("org entry = %+v", org)
	}
	o := org.Org
	if strings.Join(o.Include, ",") != "api-*,acme/web" || strings.Join(o.Exclude, ",") != "*-sandbox" || strings.Join(o.Topics, ",") != "production" || !o.Archived || !o.Forks {
		t.Errorf("filters = %+v", o)
	}
	if names := c.RepoNames(); strings.Join(names, ",") != "acme/api-core" {
		t.Errorf("RepoNames = %v; an org entry is listed, not named", names)
	}
	for name, want := range map[string]Source{
		"acme/api-core": SourceMerges,   // its own entry wins
		"acme/api-auth": SourceReleases, // the org's settings
		"ACME/Web":      SourceReleases,
	} {
		r, ok := c.Match(GitHub, name)
		if !ok || r.Deployments.Source != want {
			t.Errorf("Match(%s) = %v, %v; want source %s", name, r.Deployments.Source, ok, want)
		}
	}
	for _, name := range []string{"acme/api-sandbox", "acme/docs", "globex/api-x"} {
		if _, ok := c.Match(GitHub, name); ok {
			t.Errorf("Match(%s) covers a repo the entry's globs leave out", name)
		}
	}
	if !c.Teams[0].Includes("acme/anything") || !c.Teams[1].Includes("acme/web") {
		t.Errorf("teams = %+v", c.Teams)
	}
	// Defaults: no archived repos, no forks.
	c = mustParse(t, doc("repos: [{github_org: acme}]"), env())
	if o := c.Repos[0].Org; o.Archived || o.Forks || len(o.Include)+len(o.Exclude)+len(o.Topics) != 0 {
		t.Errorf("defaults = %+v", o)
	}
}

func TestGitHubOrgMistakes(t *testing.T) {
	for _, c := range []struct {
		yaml []string
		want string
	}{
		{[]string{"repos: [{github_org: acme/api}]"}, `repos[0].github_org: "acme/api" is not an organisation or user; write its login alone`},
		{[]string{"repos: [{github: acme/api, include: ['*']}]"}, "repos[0].include: only applies to github_org entries"},
		{[]string{"repos: [{github_org: acme, include: ['[']}]"}, `repos[0].include[0]: "[" is not a valid glob`},
		{[]string{"repos: [{github_org: acme, include_archived: true}]"}, "repos[0].include_archived: is gitlab_group's; a github_org entry takes archived: true"},
		{[]string{"repos: [{github_org: acme, forks: maybe}]"}, `repos[0].forks: "maybe" is not true or false`},
		{[]string{"repos: [{github_org: acme}, {github_org: ACME}]"}, "is already configured"},
	} {
		_, err := parse(doc(c.yaml...), "tach.yaml", env())
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s:\n got %v\nwant %s", strings.Join(c.yaml, " / "), err, c.want)
		}
	}
}
