package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// env returns a lookup function over a fixed environment.
func env(kv ...string) func(string) (string, bool) {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

// doc joins lines into a YAML document, so tests can count lines.
func doc(lines ...string) []byte { return []byte(strings.Join(lines, "\n") + "\n") }

func mustParse(t *testing.T, data []byte, lookup func(string) (string, bool)) *Config {
	t.Helper()
	c, err := parse(data, "tach.yaml", lookup)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return c
}

func TestParseFull(t *testing.T) {
	data, err := os.ReadFile("testdata/full.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c, err := parse(data, "conf/tach.yaml", env("FULL_GH_TOKEN", "ghp_fromenv", "FULL_GL_HOOK", "gl-hook-from-env"))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	paris, _ := time.LoadLocation("Europe/Paris")
	check := []struct {
		name      string
		got, want any
	}{
		{"File", c.File, "conf/tach.yaml"},
		{"Database", c.Database, filepath.Join("conf", "data", "velocity.db")},
		{"Timezone", c.Timezone, "Europe/Paris"},
		{"Location", c.Location.String(), paris.String()},
		{"Listen", c.Listen, "0.0.0.0:9090"},
		{"AllowedHosts", c.AllowedHosts, []string{"tach.example.com", "10.0.0.5", "fd00::5"}},
		{"Log.Format", c.Log.Format, "json"},
		{"Log.Level", c.Log.Level.String(), "DEBUG"},
		{"GitHub.Token", c.GitHub.Token.Reveal(), "ghp_fromenv"},
		{"GitHub.BaseURL", c.GitHub.BaseURL, "https://ghe.example.com/api/v3/"},
		{"GitLab.Token", c.GitLab.Token.Reveal(), "glpat-literal-token-value"},
		{"GitLab.BaseURL", c.GitLab.BaseURL, "https://gitlab.example.com/api/v4"},
		{"len(Repos)", len(c.Repos), 6},
		{"Incidents.Labels", c.Incidents.Labels, []string{"incident", "outage"}},
		{"Incidents.Window", c.Incidents.Window, 72 * time.Hour},
		{"Bots", c.Bots.String(), "^(ci-user|deploy-bot)$"},
		{"IncludeBotChanges", c.IncludeBotChanges, true},
		{"Rework.Labels", c.Rework.Labels, []string{"hotfix"}},
		{"Rework.Title", c.Rework.Title.String(), "(?i)^hotfix"},
		{"StaleReview", c.StaleReview, 36 * time.Hour},
		{"Sync.Interval", c.Sync.Interval, 30 * time.Minute},
		{"Sync.History", c.Sync.History, 56 * 24 * time.Hour},
		{"Sync.Workers", c.Sync.Workers, 8},
		{"Webhooks.GitHubSecret", c.Webhooks.GitHubSecret.Reveal(), "gh-webhook-secret-value"},
		{"Webhooks.GitLabToken", c.Webhooks.GitLabToken.Reveal(), "gl-hook-from-env"},
		{"RepoNames", c.RepoNames(), []string{"acme/api", "acme/web", "acme/docs", "acme/site", "acme/platform/billing"}},
		{"TeamRepos", c.TeamRepos(), map[string][]string{
			"payments": {"acme/api", "acme/platform/billing"},
			"platform": {"acme/platform", "acme/platform/ledger"},
			"web":      {"acme/web", "acme/site", "acme/docs"},
		}},
		{"MissingEnv", len(c.MissingEnv()), 0},
	}
	for _, x := range check {
		if !reflect.DeepEqual(x.got, x.want) {
			t.Errorf("%s = %#v, want %#v", x.name, x.got, x.want)
		}
	}

	type repo struct {
		Provider        Provider
		Name            string
		Group, Archived bool
		Source          Source
		Env             string
		Workflow        string
		Link            Link
		Line            int
	}
	var got []repo
	for _, r := range c.Repos {
		got = append(got, repo{r.Provider, r.Name, r.Group, r.IncludeArchived, r.Deployments.Source,
			r.Deployments.Environments.String(), r.Deployments.Workflow, r.Deployments.Link, r.Line})
	}
	want := []repo{
		{GitHub, "acme/api", false, false, SourceDeployments, "^(live|prod-.*)$", "", LinkTime, 15},
		{GitHub, "acme/web", false, false, SourceWorkflow, DefaultEnvironments, "deploy.yml", LinkCommits, 20},
		{GitHub, "acme/docs", false, false, SourceReleases, DefaultEnvironments, "", LinkCommits, 24},
		{GitHub, "acme/site", false, false, SourceMerges, DefaultEnvironments, "", LinkCommits, 26},
		{GitLab, "acme/platform/billing", false, false, SourceDeployments, DefaultEnvironments, "", LinkCommits, 28},
		{GitLab, "acme/platform", true, true, SourceDeployments, "^production$", "", LinkCommits, 29},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("repos:\n got %+v\nwant %+v", got, want)
	}
	if err := c.CheckSync(); err != nil {
		t.Errorf("CheckSync: %v", err)
	}
	if err := c.CheckWebhooks(); err != nil {
		t.Errorf("CheckWebhooks: %v", err)
	}
}

func TestDefaults(t *testing.T) {
	d := Default()
	for _, src := range []string{
		"",
		"# only a comment\n",
		"---\n",
		"{}\n",
		// A key with no value takes its default.
		"database:\ntimezone:\nlog:\nrepos:\nincidents:\nteams:\nsync:\n",
		"log: {format: , level: }\nsync: {workers: }\n",
	} {
		c, err := parse([]byte(src), "tach.yaml", env())
		if err != nil {
			t.Errorf("%q: %v", src, err)
			continue
		}
		if c.Database != "tach.db" || c.Timezone != "UTC" || c.Location != time.UTC || c.Listen != "127.0.0.1:8080" ||
			c.Log != d.Log || c.GitHub.BaseURL != "https://api.github.com/" || c.GitLab.BaseURL != "https://gitlab.com/api/v4" ||
			len(c.Repos) != 0 || len(c.Teams) != 0 ||
			!reflect.DeepEqual(c.Incidents.Labels, []string{"incident"}) || c.Incidents.Window != 168*time.Hour ||
			c.Bots.String() != `(?i)(\[bot\]$|^dependabot|^renovate|^github-actions)` || c.IncludeBotChanges ||
			!reflect.DeepEqual(c.Rework.Labels, []string{"hotfix", "bug", "incident"}) || c.Rework.Title.String() != `(?i)^(revert|hotfix|fix)\b` ||
			c.StaleReview != 48*time.Hour || c.Sync != (Sync{time.Hour, 180 * 24 * time.Hour, 4}) {
			t.Errorf("%q: defaults not applied: %+v", src, c)
		}
	}
	if d.Log.Format != "text" || d.Log.Level.String() != "INFO" || d.Location != time.UTC || d.File != "" {
		t.Errorf("Default() = %+v", d)
	}
	if d.GitHub.Token.Reveal() != "" || d.Webhooks.GitHubSecret.Reveal() != "" {
		t.Error("Default() has a token")
	}
	// Default returns independent copies.
	d.Rework.Labels[0] = "changed"
	if Default().Rework.Labels[0] != "hotfix" {
		t.Error("Default shares its label slices")
	}
}

func TestRepoDeploymentDefaults(t *testing.T) {
	c := mustParse(t, doc(
		"repos:",
		"  - github: acme/a",
		"  - github: acme/b",
		"    deployments: {link: time}",
		"  - github: acme/c",
		"    deployments: {source: releases}",
		"  - github: acme/d",
		"    deployments:",
		"  - github: acme/e",
		"    deployments: {environments: '^live$'}",
	), env())
	want := []struct {
		source Source
		env    string
		link   Link
	}{
		{SourceDeployments, DefaultEnvironments, LinkCommits},
		{SourceDeployments, DefaultEnvironments, LinkTime},
		{SourceReleases, DefaultEnvironments, LinkCommits},
		{SourceDeployments, DefaultEnvironments, LinkCommits},
		{SourceDeployments, "^live$", LinkCommits},
	}
	for i, w := range want {
		d := c.Repos[i].Deployments
		if d.Source != w.source || d.Environments.String() != w.env || d.Link != w.link || d.Workflow != "" {
			t.Errorf("repos[%d].deployments = %+v, want %+v", i, d, w)
		}
	}
	// Each repo has its own compiled regex (no shared mutable state is
	// implied, but the defaults must not alias one repo's override).
	if c.Repos[4].Deployments.Environments == c.Repos[0].Deployments.Environments {
		t.Error("override shares the default regex")
	}
}

func TestExampleFile(t *testing.T) {
	const path = "../../../config.example.yaml"
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lookup := env("GITHUB_TOKEN", "ghp_example", "GITLAB_TOKEN", "glpat-example",
		"TACH_GITHUB_WEBHOOK_SECRET", "s1s1s1s1", "TACH_GITLAB_WEBHOOK_TOKEN", "s2s2s2s2")
	c, err := parse(data, path, lookup)
	if err != nil {
		t.Fatalf("config.example.yaml: %v", err)
	}
	if len(c.Repos) == 0 || len(c.Teams) == 0 {
		t.Errorf("example has no repos or teams: %+v", c)
	}
	if c.Database != filepath.Join("../../..", "tach.db") {
		t.Errorf("Database = %q, want it next to the example", c.Database)
	}
	if err := c.CheckSync(); err != nil {
		t.Errorf("CheckSync: %v", err)
	}
	if err := c.CheckWebhooks(); err != nil {
		t.Errorf("CheckWebhooks: %v", err)
	}
	// The example documents the defaults: with the same environment, it
	// gives the same settings as a file with no keys at all.
	d, err := parse(doc("repos: [{github: acme/api}]"), path, lookup)
	if err != nil {
		t.Fatal(err)
	}
	if c.Timezone != d.Timezone || c.Listen != d.Listen || c.Log != d.Log || c.GitHub.BaseURL != d.GitHub.BaseURL ||
		c.GitLab.BaseURL != d.GitLab.BaseURL || !reflect.DeepEqual(c.Incidents, d.Incidents) || c.Bots.String() != d.Bots.String() ||
		c.IncludeBotChanges != d.IncludeBotChanges || !reflect.DeepEqual(c.Rework, d.Rework) || c.StaleReview != d.StaleReview ||
		c.Sync != d.Sync || c.Repos[0].Deployments.Source != d.Repos[0].Deployments.Source ||
		c.Repos[0].Deployments.Environments.String() != d.Repos[0].Deployments.Environments.String() ||
		c.Repos[0].Deployments.Link != d.Repos[0].Deployments.Link {
		t.Errorf("config.example.yaml departs from the defaults:\n%+v\n%+v", c, d)
	}
	// Every key the parser knows is documented in the example.
	text := string(data)
	for _, keys := range [][]string{topKeys, logKeys, apiKeys, repoKeys, deployKeys, incidentKeys, teamKeys, reworkKeys, syncKeys, webhookKeys} {
		for _, k := range keys {
			if !strings.Contains(text, k+":") {
				t.Errorf("config.example.yaml does not document %q", k)
			}
		}
	}
	// And Load reads it from disk.
	if _, err := Load(path); err != nil {
		t.Errorf("Load: %v", err)
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name string
		src  []byte
		want []string // each error's full text, in order
	}{
		{"unknown key", doc("database: x.db", "timezone: UTC", "listen: :80", "databse: y.db"),
			[]string{`tach.yaml:4: unknown key "databse" (did you mean "database"?)`}},
		{"unknown nested key", doc("repos:", "  - github: acme/api", "    deployments:", "      sorce: workflow"),
			[]string{`tach.yaml:4: repos[0].deployments: unknown key "sorce" (did you mean "source"?)`}},
		{"unknown key, no close match", doc("log:", "  colour: red"),
			[]string{`tach.yaml:2: log: unknown key "colour"; the keys here are format, level`}},
		{"unknown key with a hint", doc("production_environments: prod"),
			[]string{`tach.yaml:1: unknown key "production_environments"; set it per repo as repos[].deployments.environments`}},
		{"repeated key", doc("listen: :80", "timezone: UTC", "listen: :81"),
			[]string{`tach.yaml:3: listen: repeated (first set at line 1); keep one`}},
		{"string for a list", doc("repos: acme/api"),
			[]string{`tach.yaml:1: repos: expected a list of repos (items such as "- github: acme/api"), got a string`}},
		{"string for labels", doc("", "incidents:", "  labels: incident"),
			[]string{`tach.yaml:3: incidents.labels: expected a list of labels such as [a, b], got a string`}},
		{"list for a string", doc("timezone: [UTC]"),
			[]string{`tach.yaml:1: timezone: expected an IANA time zone such as UTC or Europe/Paris, got a list`}},
		{"mapping for a bool", doc("include_bot_changes: {a: b}"),
			[]string{`tach.yaml:1: include_bot_changes: expected true or false, got a mapping (key: value)`}},
		{"not a bool", doc("include_bot_changes: yes"),
			[]string{`tach.yaml:1: include_bot_changes: "yes" is not true or false; write true or false`}},
		{"workers out of range", doc("sync:", "  workers: 0"),
			[]string{`tach.yaml:2: sync.workers: "0" is not a whole number from 1 to 64`}},
		{"top level not a mapping", doc("- a", "- b"),
			[]string{`tach.yaml:1: expected a mapping of settings (key: value) at the top of the file, got a list; see config.example.yaml`}},
		{"bad regex", doc("bots: '(?i)(bot'"),
			[]string{`tach.yaml:1: bots: "(?i)(bot" is not a valid regular expression: missing closing ); fix the pattern (Go RE2 syntax; in YAML, single-quote it so backslashes stay as written)`}},
		{"bad repo regex", doc("repos:", "  - github: acme/api", "    deployments:", "      environments: '^prod(?=x)'"),
			[]string{`tach.yaml:4: repos[0].deployments.environments: "^prod(?=x)" is not a valid regular expression: invalid or unsupported Perl syntax at "(?="; fix the pattern (Go RE2 syntax; in YAML, single-quote it so backslashes stay as written)`}},
		{"empty regex", doc("rework:", "  title: ''"),
			[]string{`tach.yaml:2: rework.title: is empty, and an empty regular expression matches everything; write a pattern (use '^$' to match nothing)`}},
		{"bad timezone", doc("timezone: Europe/Pariss"),
			[]string{`tach.yaml:1: timezone: "Europe/Pariss" is not a known IANA time zone; write a name such as UTC, Europe/Paris or America/New_York`}},
		{"bad duration", doc("sync:", "  interval: 1h", "  history: 6 months"),
			[]string{`tach.yaml:3: sync.history: "6 months" is not a duration; write a duration such as 90m, 48h, 180d or 8w`}},
		{"duration without unit", doc("stale_review: 48"),
			[]string{`tach.yaml:1: stale_review: "48" has no unit; write a duration such as 90m, 48h, 180d or 8w (for example 48h)`}},
		{"negative duration", doc("incidents: {window: -1d}"),
			[]string{`tach.yaml:1: incidents.window: "-1d" must be longer than zero; write a duration such as 90m, 48h, 180d or 8w`}},
		{"bad listen", doc("listen: 8080"),
			[]string{`tach.yaml:1: listen: "8080" is not a host:port address; write host:port such as 127.0.0.1:8080, or :8080 for every interface`}},
		{"bad listen port", doc("listen: localhost:http2"),
			[]string{`tach.yaml:1: listen: "localhost:http2" has no valid port (0 to 65535); write host:port such as 127.0.0.1:8080, or :8080 for every interface`}},
		{"allowed_hosts not a list", doc("allowed_hosts: tach.example.com"),
			[]string{`tach.yaml:1: allowed_hosts: expected a list of host names such as [a, b], got a string`}},
		{"allowed_hosts with a scheme", doc("allowed_hosts:", "  - https://tach.example.com"),
			[]string{`tach.yaml:2: allowed_hosts[0]: "https://tach.example.com" is not a host name; write the name alone, such as tach.example.com or 10.0.0.5 (no scheme, port, path or wildcard: any port is answered)`}},
		{"allowed_hosts with a port", doc("allowed_hosts: [tach.example.com, 'tach.example.com:8443']"),
			[]string{`tach.yaml:1: allowed_hosts[1]: "tach.example.com:8443" is not a host name; write the name alone, such as tach.example.com or 10.0.0.5 (no scheme, port, path or wildcard: any port is answered)`}},
		{"allowed_hosts with a wildcard", doc("allowed_hosts: ['*.example.com']"),
			[]string{`tach.yaml:1: allowed_hosts[0]: "*.example.com" is not a host name; write the name alone, such as tach.example.com or 10.0.0.5 (no scheme, port, path or wildcard: any port is answered)`}},
		{"bad log level", doc("log: {level: verbose}"),
			[]string{`tach.yaml:1: log.level: "verbose" is not one of debug, info, warn, error`}},
		{"bad base_url", doc("github:", "  base_url: ghe.example.com"),
			[]string{`tach.yaml:2: github.base_url: "ghe.example.com" is not an http(s) URL; write the API root, such as https://ghe.example.com/api/v3/`}},
		{"bad source", doc("repos:", "  - github: acme/api", "  - github: acme/web", "    deployments:", "      source: deploy"),
			[]string{`tach.yaml:5: repos[1].deployments.source: "deploy" is not one of deployments, workflow, releases, merges`}},
		{"close source", doc("repos:", "  - github: acme/api", "    deployments: {source: release}"),
			[]string{`tach.yaml:3: repos[0].deployments.source: "release" is not one of deployments, workflow, releases, merges (did you mean "releases"?)`}},
		{"workflow missing", doc("repos:", "  - gitlab: acme/billing", "    deployments:", "      source: workflow", "      link: time"),
			[]string{`tach.yaml:4: repos[0].deployments.workflow: required when source is workflow; name the workflow (GitHub: its name or file, such as deploy.yml) or pipeline job (GitLab) that deploys to production`}},
		{"workflow without source workflow", doc("repos:", "  - github: acme/api", "    deployments:", "      workflow: deploy"),
			[]string{`tach.yaml:4: repos[0].deployments.workflow: only applies to source: workflow (the source is deployments); remove it or set source: workflow`}},
		{"link with merges", doc("repos:", "  - github: acme/api", "    deployments: {source: merges,", "      link: time}"),
			[]string{`tach.yaml:4: repos[0].deployments.link: has no effect with source: merges (each merge ships itself); remove it`}},
		{"bad link", doc("repos:", "  - github: acme/api", "    deployments: {link: sha}"),
			[]string{`tach.yaml:3: repos[0].deployments.link: "sha" is not one of commits, time`}},
		{"two providers", doc("repos:", "  - github: acme/api", "    gitlab: acme/api"),
			[]string{`tach.yaml:3: repos[0]: names both github and gitlab; an entry names exactly one of github, github_org, gitlab, gitlab_group, so split it into two entries`}},
		{"no provider", doc("repos:", "  - github: acme/api", "  - deployments: {source: merges}"),
			[]string{`tach.yaml:3: repos[1]: names no repository; add github: owner/name, github_org: org, gitlab: group/project or gitlab_group: group`}},
		{"repo as a string", doc("repos:", "  - acme/api"),
			[]string{`tach.yaml:2: repos[0]: expected a mapping naming the provider, got a string; write "- github: acme/api" or "- gitlab: acme/api"`}},
		{"bad github name", doc("repos:", "  - github: acme"),
			[]string{`tach.yaml:2: repos[0].github: "acme" is not owner/name; write it as, for example, acme/api`}},
		{"repo URL", doc("repos:", "  - github: https://github.com/acme/api"),
			[]string{`tach.yaml:2: repos[0].github: "https://github.com/acme/api" is a URL; write the path only, such as acme/api`}},
		{"gitlab project without group", doc("repos:", "  - gitlab: billing"),
			[]string{`tach.yaml:2: repos[0].gitlab: "billing" is not a project path; write group/project or group/subgroup/project`}},
		{"include_archived on a project", doc("repos:", "  - gitlab: acme/billing", "    include_archived: true"),
			[]string{`tach.yaml:3: repos[0].include_archived: only applies to gitlab_group entries; remove it (a repo named on its own is synced even when archived)`}},
		{"duplicate repo", doc("repos:", "  - github: acme/api", "  - gitlab: acme/web", "  - github: Acme/API"),
			[]string{`tach.yaml:4: repos[2].github: Acme/API is already configured at line 2 (repos[0]); list each repo once`}},
		{"team names unknown repo", doc("repos:", "  - github: acme/api", "teams:", "  - name: payments", "    repos: [acme/api, acme/apy]"),
			[]string{`tach.yaml:5: teams[0].repos[1]: "acme/apy" is not a configured repo (did you mean "acme/api"?); add it to repos, or name a repo listed there (or a project inside a gitlab_group)`}},
		{"team repo outside the group", doc("teams:", "  - {name: a, repos: [acme/platformx/x]}", "repos:", "  - gitlab_group: acme/platform"),
			[]string{`tach.yaml:2: teams[0].repos[0]: "acme/platformx/x" is not a configured repo; add it to repos, or name a repo listed there (or a project inside a gitlab_group)`}},
		{"duplicate team", doc("repos: [{github: acme/api}]", "teams:", "  - {name: a, repos: [acme/api]}", "  - {name: a, repos: [acme/api]}"),
			[]string{`tach.yaml:4: teams[1].name: team "a" is already defined at line 3; team names must be unique`}},
		{"team without name", doc("repos: [{github: acme/api}]", "teams:", "  - repos: [acme/api]"),
			[]string{`tach.yaml:3: teams[0].name: required; give the team a name`}},
		{"malformed YAML", doc("database: tach.db", "repos:", "  - github: acme/api", "   deployments: {source: merges}"),
			[]string{`tach.yaml:4: invalid YAML: did not find expected '-' indicator; fix the YAML syntax (indent with spaces, and quote values that contain ": " or start with a special character)`}},
		{"malformed YAML, parser", doc("a: 1", "b:", "  - x", " - y"),
			[]string{`tach.yaml:4: invalid YAML: did not find expected key; fix the YAML syntax (indent with spaces, and quote values that contain ": " or start with a special character)`}},
		{"unclosed flow", doc("database: tach.db", "", "teams: [{name: a", "sync: {}"),
			[]string{`tach.yaml:3: invalid YAML: did not find expected ',' or '}'; fix the YAML syntax (indent with spaces, and quote values that contain ": " or start with a special character)`}},
		{"tab indentation", doc("log:", "\tformat: json"),
			[]string{`tach.yaml:2: invalid YAML: found character that cannot start any token; YAML does not allow tabs for indentation; indent with spaces`}},
		{"tab on line 1", []byte("\tdatabase: x\n"),
			[]string{`tach.yaml:1: invalid YAML: found character that cannot start any token; YAML does not allow tabs for indentation; indent with spaces`}},
		{"unknown anchor", doc("repos:", "  - github: acme/api", "    deployments: *deploy"),
			[]string{`tach.yaml:3: invalid YAML: unknown anchor 'deploy' referenced; define the anchor (&deploy) before using it`}},
		{"two documents", doc("database: a.db", "---", "database: b.db"),
			[]string{`tach.yaml:2: a second YAML document starts here; tach reads one document, so remove the "---" and merge the settings`}},
		{"bad env reference", doc("database: ${DB_PATH"),
			[]string{`tach.yaml:1: database: "${" has no closing "}"; write ${NAME} for an environment variable, or $$ for a literal $`}},
		{"empty value from unset env", doc("timezone: ${TACH_TZ}"),
			[]string{`tach.yaml:1: timezone: is empty (environment variable TACH_TZ is not set); write an IANA time zone such as UTC or Europe/Paris, or remove the key for the default`}},
		{"postgres URL without a server", doc("database: postgres:///tach"),
			[]string{`tach.yaml:1: database: "postgres:///tach" names no server; write postgres://USER:PASSWORD@HOST:PORT/DATABASE`}},
		{"bad pool size, password hidden", doc("database: postgres://tach:s3cret-pw@db/tach?pool_max_conns=zero"),
			[]string{`tach.yaml:1: database: "postgres://tach:xxxxx@db/tach?pool_max_conns=zero": pool_max_conns=zero is not a number of connections from 1 to 1000`}},
		{"unparsable postgres URL, password hidden", doc("database: 'postgres://tach:s3cret-pw@db:port/tach'"),
			[]string{`tach.yaml:1: database: is not a URL tach can read; write postgres://USER:PASSWORD@HOST:PORT/DATABASE?sslmode=require (a password with /, ?, # or @ must be percent-encoded)`}},
		{"home in database", doc("database: ~/tach.db"),
			[]string{`tach.yaml:1: database: "~/tach.db" starts with "~", which is not expanded; write "${HOME}/tach.db" or an absolute path`}},
		{"several errors, sorted by line", doc("teams: [{name: a, repos: [x/y]}]", "timezone: Nowhere", "repos:", "  - github: acme/api", "    deployments: {source: workflow}"),
			[]string{
				`tach.yaml:1: teams[0].repos[0]: "x/y" is not a configured repo; add it to repos, or name a repo listed there (or a project inside a gitlab_group)`,
				`tach.yaml:2: timezone: "Nowhere" is not a known IANA time zone; write a name such as UTC, Europe/Paris or America/New_York`,
				`tach.yaml:5: repos[0].deployments.workflow: required when source is workflow; name the workflow (GitHub: its name or file, such as deploy.yml) or pipeline job (GitLab) that deploys to production`,
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := parse(tt.src, "tach.yaml", env())
			if err == nil {
				t.Fatalf("no error; config %+v", c)
			}
			if c != nil {
				t.Error("a Config returned with an error")
			}
			got := strings.Split(err.Error(), "\n")
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("errors:\n got %q\nwant %q", got, tt.want)
			}
			errs := Errors(err)
			if len(errs) != len(tt.want) {
				t.Fatalf("Errors() gave %d, want %d", len(errs), len(tt.want))
			}
			for _, e := range errs {
				if e.File != "tach.yaml" || e.Line == 0 {
					t.Errorf("error without file or line: %+v", e)
				}
			}
		})
	}
}

func TestErrorCap(t *testing.T) {
	var lines []string
	for i := 0; i < maxErrors+10; i++ {
		lines = append(lines, "unknown_"+strings.Repeat("x", i+1)+": 1")
	}
	_, err := parse(doc(lines...), "tach.yaml", env())
	errs := Errors(err)
	if len(errs) != maxErrors+1 || !strings.Contains(errs[maxErrors].Error(), "10 more errors not shown") {
		t.Errorf("got %d errors, last %v", len(errs), errs[len(errs)-1])
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "tach.yaml")
	if err := os.WriteFile(path, doc("database: sub/x.db", "listen: :0", "datbase: y"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path)
	if err == nil || err.Error() != path+`:3: unknown key "datbase" (did you mean "database"?)` {
		t.Errorf("Load error = %v", err)
	}
	if err := os.WriteFile(path, doc("database: sub/x.db"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if c.Database != filepath.Join(dir, "sub", "x.db") || c.File != path {
		t.Errorf("Database = %q, File = %q", c.Database, c.File)
	}
	_, err = Load(filepath.Join(dir, "missing.yaml"))
	if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "missing.yaml") {
		t.Errorf("Load(missing) = %v", err)
	}
}

func TestDatabasePath(t *testing.T) {
	abs := filepath.Join(t.TempDir(), "abs.db")
	tests := []struct{ name, db, want string }{
		{"etc/tach/tach.yaml", "", filepath.Join("etc", "tach", "tach.db")},
		{"etc/tach/tach.yaml", "data.db", filepath.Join("etc", "tach", "data.db")},
		{"tach.yaml", "../x.db", filepath.Join("..", "x.db")},
		{"etc/tach.yaml", abs, abs},
		{"etc/tach.yaml", ":memory:", ":memory:"},
		{"etc/tach.yaml", "file:x.db?mode=ro", "file:x.db?mode=ro"},
		{"etc/tach.yaml", "${DATA}/t.db", filepath.Join(string(filepath.Separator)+"var", "lib", "t.db")},
		{"etc/tach.yaml", "postgres://tach@db:5432/tach?sslmode=require", "postgres://tach@db:5432/tach?sslmode=require"},
	}
	for _, tt := range tests {
		src := ""
		if tt.db != "" {
			src = "database: '" + tt.db + "'"
		}
		c, err := parse([]byte(src), tt.name, env("DATA", "/var/lib"))
		if err != nil {
			t.Errorf("%s %q: %v", tt.name, tt.db, err)
			continue
		}
		if c.Database != tt.want {
			t.Errorf("%s %q: Database = %q, want %q", tt.name, tt.db, c.Database, tt.want)
		}
	}
}

// A PostgreSQL URL takes its password from the environment, and no error
// about the file shows it.
func TestDatabasePasswordFromEnvIsNeverShown(t *testing.T) {
	src := doc("database: postgres://tach:${TACH_DB_PASSWORD}@db.internal/tach?sslmode=require", "timezone: Nowhere")
	_, err := parse(src, "tach.yaml", env("TACH_DB_PASSWORD", "pw-from-the-env"))
	if err == nil || strings.Contains(err.Error(), "pw-from-the-env") {
		t.Fatalf("error = %v, want one without the password", err)
	}
	c, err := parse(doc("database: postgres://tach:${TACH_DB_PASSWORD}@db.internal/tach"), "tach.yaml", env("TACH_DB_PASSWORD", "pw-from-the-env"))
	if err != nil || c.Database != "postgres://tach:pw-from-the-env@db.internal/tach" {
		t.Fatalf("Database = %q, %v", c.Database, err)
	}
}

func TestEnvExpansion(t *testing.T) {
	c := mustParse(t, doc(
		"database: ${DIR}/tach-${ENVNAME}.db",
		"listen: ${HOST}:${PORT}",
		"github:",
		"  token: ${TOKEN}",
		"  base_url: https://${GHE}/api/v3/",
		"incidents:",
		"  labels: [incident, '${EXTRA_LABEL}', 'cost$$']",
		"bots: '^bot$|^${BOT}$'",
		"sync: {workers: '${WORKERS}', interval: '${INTERVAL}'}",
		"include_bot_changes: ${BOTS_TOO}",
		"repos:",
		"  - github: ${ORG}/api",
		"    deployments: {environments: '^${PROD}$'}",
		"teams: [{name: '${TEAM}', repos: ['${ORG}/api']}]",
		"webhooks: {github_secret: '${UNSET_SECRET}'}",
	), env("DIR", "/srv", "ENVNAME", "prod", "HOST", "0.0.0.0", "PORT", "9000", "TOKEN", "ghp_secret",
		"GHE", "ghe.corp", "EXTRA_LABEL", "sev1", "BOT", "ci", "WORKERS", "2", "INTERVAL", "15m", "BOTS_TOO", "true",
		"ORG", "acme", "PROD", "live", "TEAM", "core"))
	check := []struct {
		name      string
		got, want any
	}{
		{"Database", c.Database, filepath.Join("/srv", "tach-prod.db")},
		{"Listen", c.Listen, "0.0.0.0:9000"},
		{"Token", c.GitHub.Token.Reveal(), "ghp_secret"},
		{"BaseURL", c.GitHub.BaseURL, "https://ghe.corp/api/v3/"},
		{"Labels", c.Incidents.Labels, []string{"incident", "sev1", "cost$"}},
		{"Bots", c.Bots.String(), "^bot$|^ci$"},
		{"Workers", c.Sync.Workers, 2},
		{"Interval", c.Sync.Interval, 15 * time.Minute},
		{"IncludeBotChanges", c.IncludeBotChanges, true},
		{"Repo", c.Repos[0].Name, "acme/api"},
		{"Environments", c.Repos[0].Deployments.Environments.String(), "^live$"},
		{"Teams", c.TeamRepos(), map[string][]string{"core": {"acme/api"}}},
		{"MissingEnv", c.MissingEnv(), []MissingEnv{{Key: "webhooks.github_secret", Line: 15, Name: "UNSET_SECRET"}}},
	}
	for _, x := range check {
		if !reflect.DeepEqual(x.got, x.want) {
			t.Errorf("%s = %#v, want %#v", x.name, x.got, x.want)
		}
	}
}

func TestExpand(t *testing.T) {
	lookup := env("A", "1", "B_2", "two", "EMPTY", "")
	tests := []struct {
		in, want string
		missing  []string
		err      bool
	}{
		{"plain", "plain", nil, false},
		{"${A}", "1", nil, false},
		{"x${A}y${B_2}z", "x1ytwoz", nil, false},
		{"${EMPTY}", "", nil, false},
		{"${NOPE}-${A}-${NOPE2}", "-1-", []string{"NOPE", "NOPE2"}, false},
		{"$$", "$", nil, false},
		{"$${A}", "${A}", nil, false},
		{"^prod$", "^prod$", nil, false},
		{"$A", "$A", nil, false},
		{"a$", "a$", nil, false},
		{"(a|b)$|^c", "(a|b)$|^c", nil, false},
		{"${", "", nil, true},
		{"${}", "", nil, true},
		{"${1A}", "", nil, true},
		{"${A-B}", "", nil, true},
		{"${A:-x}", "", nil, true},
	}
	for _, tt := range tests {
		e, err := expand(tt.in, lookup)
		if (err != nil) != tt.err {
			t.Errorf("expand(%q) error = %v", tt.in, err)
			continue
		}
		if err == nil && (e.value != tt.want || !reflect.DeepEqual(e.missing, tt.missing)) {
			t.Errorf("expand(%q) = %q missing %v, want %q missing %v", tt.in, e.value, e.missing, tt.want, tt.missing)
		}
	}
}

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		err  bool
	}{
		{"90m", 90 * time.Minute, false},
		{"1h30m", 90 * time.Minute, false},
		{"48h", 48 * time.Hour, false},
		{"180d", 180 * Day, false},
		{"8w", 8 * Week, false},
		{"1d12h", 36 * time.Hour, false},
		{"1w2d3h4m5s", Week + 2*Day + 3*time.Hour + 4*time.Minute + 5*time.Second, false},
		{"1.5d", 36 * time.Hour, false},
		{"0.5w", 84 * time.Hour, false},
		{"500ms", 500 * time.Millisecond, false},
		{"-2d", -2 * Day, false},
		{"+1d", Day, false},
		{"0", 0, false},
		{"", 0, true},
		{"d", 0, true},
		{"12", 0, true},
		{"1x", 0, true},
		{"1..5d", 0, true},
		{"1dd", 0, true},
		{"1 d", 0, true},
		{"-", 0, true},
		{"99999999999999999999d", 0, true},
		{"106751d", 106751 * Day, false},
		{"106752d", 0, true},
		{"106751d24h", 0, true},
	}
	for _, tt := range tests {
		got, err := ParseDuration(tt.in)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.err)
		}
	}
	for _, d := range []time.Duration{time.Second, 90 * time.Minute, 36 * time.Hour, Week, 180 * Day, 8 * Week, 10 * time.Second, Day + time.Second, -3 * Day, 500 * time.Millisecond} {
		s := FormatDuration(d)
		back, err := ParseDuration(s)
		if err != nil || back != d {
			t.Errorf("FormatDuration(%v) = %q, which parses to %v, %v", d, s, back, err)
		}
	}
	for d, want := range map[time.Duration]string{168 * time.Hour: "1w", 180 * Day: "180d", 36 * time.Hour: "1d12h", 90 * time.Minute: "1h30m", 48 * time.Hour: "2d", 10 * time.Second: "10s", 0: "0s"} {
		if got := FormatDuration(d); got != want {
			t.Errorf("FormatDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestCheckSync(t *testing.T) {
	const secret = "ghp_THISISASECRETVALUE"
	tests := []struct {
		name   string
		src    []byte
		lookup func(string) (string, bool)
		want   []string // nil: no error
	}{
		{"token from a set variable", doc("repos: [{github: acme/api}]", "github: {token: '${GH}'}"), env("GH", secret), nil},
		{"token in the file", doc("repos: [{github: acme/api}]", "github: {token: "+secret+"}"), env(), nil},
		{"implicit token", doc("repos: [{github: acme/api}]"), env("GITHUB_TOKEN", secret), nil},
		{"gitlab needs no github token", doc("repos: [{gitlab: acme/x}]"), env("GITLAB_TOKEN", secret), nil},
		{"unset variable", doc("repos:", "  - github: acme/api", "", "", "", "", "github:", "  token: ${GITHUB_TOKEN}"), env("GITLAB_TOKEN", secret),
			[]string{"tach.yaml:8: github.token: environment variable GITHUB_TOKEN is not set; export it or put the token in the file"}},
		{"two unset variables", doc("repos: [{gitlab: acme/x}]", "gitlab: {token: '${A}${B}'}"), env("GITHUB_TOKEN", secret),
			[]string{"tach.yaml:2: gitlab.token: environment variables A, B are not set; export them or put the token in the file"}},
		{"empty variable", doc("repos: [{github: acme/api}]", "github: {token: '${GH}'}"), env("GH", ""),
			[]string{"tach.yaml:2: github.token: environment variable GH is empty; export the token in it or put the token in the file"}},
		{"empty literal", doc("repos: [{github: acme/api}]", "github: {token: ''}"), env("GITHUB_TOKEN", secret),
			[]string{"tach.yaml:2: github.token: is empty, and GitHub repo acme/api needs a token; put the token here or write ${GITHUB_TOKEN}"}},
		{"implicit, unset", doc("database: x.db", "repos:", "  - gitlab_group: acme"), env(),
			[]string{"tach.yaml:3: gitlab.token: not set, and neither is environment variable GITLAB_TOKEN that it defaults to; GitLab repo acme needs a token, so export GITLAB_TOKEN or set gitlab.token in the file"}},
		{"implicit, empty", doc("repos:", "  - github: acme/api"), env("GITHUB_TOKEN", " "),
			[]string{"tach.yaml:2: github.token: not set, and environment variable GITHUB_TOKEN that it defaults to is empty; GitHub repo acme/api needs a token, so export GITHUB_TOKEN with the token or set github.token in the file"}},
		{"both providers", doc("repos: [{github: a/b}, {gitlab: c/d}]", "github: {token: '${X}'}", "gitlab: {token: '${Y}'}"), env(),
			[]string{
				"tach.yaml:2: github.token: environment variable X is not set; export it or put the token in the file",
				"tach.yaml:3: gitlab.token: environment variable Y is not set; export it or put the token in the file",
			}},
		{"no repos", doc("database: x.db"), env("GITHUB_TOKEN", secret),
			[]string{`tach.yaml: repos: no repos are configured; add an entry such as "- github: acme/api", "- gitlab: acme/platform/billing" or "- gitlab_group: acme/platform"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustParse(t, tt.src, tt.lookup)
			err := c.CheckSync()
			if tt.want == nil {
				if err != nil {
					t.Fatalf("CheckSync: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("CheckSync: no error")
			}
			if got := strings.Split(err.Error(), "\n"); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("CheckSync:\n got %q\nwant %q", got, tt.want)
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("CheckSync error contains the secret: %v", err)
			}
		})
	}
	// Default (the --db mode) has no repos, so nothing to sync.
	if err := Default().CheckSync(); err == nil || err.Error() != `repos: no repos are configured; add an entry such as "- github: acme/api", "- gitlab: acme/platform/billing" or "- gitlab_group: acme/platform"` {
		t.Errorf("Default().CheckSync() = %v", err)
	}
}

func TestCheckSyncProcessEnv(t *testing.T) {
	// Parse itself reads the process environment.
	t.Setenv("TACH_TEST_TOKEN_VAR", "ghp_processenvsecret")
	c, err := Parse(doc("repos: [{github: acme/api}]", "github: {token: '${TACH_TEST_TOKEN_VAR}'}", "webhooks: {github_secret: '${TACH_TEST_UNSET_HOOK}'}"), "tach.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if c.GitHub.Token.Reveal() != "ghp_processenvsecret" {
		t.Errorf("token = %q", c.GitHub.Token.Reveal())
	}
	if err := c.CheckSync(); err != nil {
		t.Errorf("CheckSync: %v", err)
	}
	err = c.CheckWebhooks()
	if err == nil || err.Error() != "tach.yaml:3: webhooks.github_secret: environment variable TACH_TEST_UNSET_HOOK is not set; export it or put the secret in the file" {
		t.Errorf("CheckWebhooks = %v", err)
	}
}

func TestCheckWebhooks(t *testing.T) {
	tests := []struct {
		name   string
		src    []byte
		lookup func(string) (string, bool)
		want   string
	}{
		{"set", doc("repos: [{github: a/b}, {gitlab: c/d}]", "webhooks: {github_secret: s3cr3t-value, gitlab_token: '${T}'}"), env("T", "tok"), ""},
		{"implicit", doc("repos: [{github: a/b}]"), env("TACH_GITHUB_WEBHOOK_SECRET", "x"), ""},
		{"no repos, nothing needed", doc("webhooks: {github_secret: '${NOPE}'}"), env(), ""},
		{"unset", doc("repos: [{gitlab: c/d}]", "webhooks:", "  gitlab_token: ${HOOK}"), env(),
			"tach.yaml:3: webhooks.gitlab_token: environment variable HOOK is not set; export it or put the secret in the file"},
		{"implicit unset", doc("repos: [{github: a/b}]"), env(),
			"tach.yaml:1: webhooks.github_secret: not set, and neither is environment variable TACH_GITHUB_WEBHOOK_SECRET that it defaults to; GitHub repo a/b needs a secret, so export TACH_GITHUB_WEBHOOK_SECRET or set webhooks.github_secret in the file"},
	}
	for _, tt := range tests {
		c := mustParse(t, tt.src, tt.lookup)
		err := c.CheckWebhooks()
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tt.want {
			t.Errorf("%s: CheckWebhooks = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestNoSecretInErrors(t *testing.T) {
	const tok = "ghp_0123456789abcdefSECRET"
	tests := [][]byte{
		// A token pasted as a key, next to its real place.
		doc("github: {token: "+tok+"}", tok+": 1"),
		// A token inside ${ }.
		doc("github: {token: '${" + tok + "}'}"),
		// Wrong types for secrets.
		doc("github: {token: [" + tok + "]}"),
		doc("webhooks: {gitlab_token: {" + tok + ": x}}"),
		// A malformed reference.
		doc("gitlab: {token: '" + tok + "${'}"),
		// A token where a URL goes.
		doc("github: {token: " + tok + ", base_url: 'https://user:" + tok + "@ghe.example.com/?a=b'}"),
	}
	for _, src := range tests {
		_, err := parse(src, "tach.yaml", env())
		if err == nil {
			t.Errorf("%q: no error", src)
			continue
		}
		if strings.Contains(err.Error(), tok) || strings.Contains(err.Error(), "0123456789abcdef") {
			t.Errorf("error shows the secret: %v", err)
		}
	}
}

func TestMatchAndTeams(t *testing.T) {
	c := mustParse(t, doc(
		"repos:",
		"  - github: acme/api",
		"  - gitlab_group: acme",
		"  - gitlab_group: acme/platform",
		"    deployments: {source: releases}",
		"  - gitlab: acme/platform/billing",
		"    deployments: {source: merges}",
		"teams:",
		"  - {name: all-gitlab, repos: [acme]}",
		"  - {name: payments, repos: [ACME/API, acme/platform/billing, acme/platform/ledger]}",
	), env())
	for _, tt := range []struct {
		prov   Provider
		name   string
		ok     bool
		source Source
		group  string
	}{
		{GitHub, "acme/api", true, SourceDeployments, ""},
		{GitHub, "Acme/Api", true, SourceDeployments, ""},
		{GitHub, "acme/other", false, "", ""},
		{GitLab, "acme/api", true, SourceDeployments, "acme"},
		{GitLab, "acme/platform/billing", true, SourceMerges, ""},
		{GitLab, "acme/platform/ledger", true, SourceReleases, "acme/platform"},
		{GitLab, "acme/platform/sub/x", true, SourceReleases, "acme/platform"},
		{GitLab, "acmeco/x", false, "", ""},
	} {
		r, ok := c.Match(tt.prov, tt.name)
		if ok != tt.ok || ok && (r.Deployments.Source != tt.source || r.Group != (tt.group != "") || r.Group && r.Name != tt.group) {
			t.Errorf("Match(%s, %s) = %+v, %v", tt.prov, tt.name, r, ok)
		}
	}
	if got := c.TeamRepos()["payments"]; !reflect.DeepEqual(got, []string{"acme/api", "acme/platform/billing", "acme/platform/ledger"}) {
		t.Errorf("payments = %q (names are spelled as in repos)", got)
	}
	for repo, want := range map[string][]string{
		"acme/api":              {"all-gitlab", "payments"},
		"acme/platform/billing": {"all-gitlab", "payments"},
		"acme/platform/ledger":  {"all-gitlab", "payments"},
		"acme/platform/other":   {"all-gitlab"},
		"other/x":               nil,
	} {
		if got := c.TeamsOf(repo); !reflect.DeepEqual(got, want) {
			t.Errorf("TeamsOf(%s) = %q, want %q", repo, got, want)
		}
	}
	if got := c.RepoNames(); !reflect.DeepEqual(got, []string{"acme/api", "acme/platform/billing"}) {
		t.Errorf("RepoNames = %q", got)
	}
}

func TestAnchorsAndMerge(t *testing.T) {
	c := mustParse(t, doc(
		"repos:",
		"  - github: acme/a",
		"    deployments: &deploy",
		"      source: workflow",
		"      workflow: deploy",
		"  - github: acme/b",
		"    deployments: *deploy",
		"  - github: acme/c",
		"    deployments:",
		"      <<: *deploy",
		"      workflow: release",
		"      link: time",
		"incidents: {labels: &labels [a, b]}",
		"rework: {labels: *labels}",
	), env())
	want := []Deployments{
		{Source: SourceWorkflow, Workflow: "deploy", Link: LinkCommits},
		{Source: SourceWorkflow, Workflow: "deploy", Link: LinkCommits},
		{Source: SourceWorkflow, Workflow: "release", Link: LinkTime},
	}
	for i, w := range want {
		d := c.Repos[i].Deployments
		if d.Source != w.Source || d.Workflow != w.Workflow || d.Link != w.Link {
			t.Errorf("repos[%d].deployments = %+v, want %+v", i, d, w)
		}
	}
	if !reflect.DeepEqual(c.Rework.Labels, []string{"a", "b"}) {
		t.Errorf("rework.labels = %q", c.Rework.Labels)
	}
	// A self-referencing anchor neither loops nor panics.
	for _, src := range []string{
		"log: &a {<<: *a}\n",
		"repos: &r [*r]\n",
		"teams: &t [{name: x, repos: *t}]\n",
		"incidents: &i {labels: *i}\n",
	} {
		if _, err := parse([]byte(src), "tach.yaml", env()); err == nil {
			t.Logf("%q parsed", src)
		}
	}
}

func TestMergeBomb(t *testing.T) {
	// Each level merges the previous one ten times: 10^20 merges if
	// expanded naively.
	lines := []string{"x0: &a0 {format: text}"}
	for i := 1; i <= 20; i++ {
		refs := strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*a%d, ", i-1), 10), ", ")
		lines = append(lines, fmt.Sprintf("x%d: &a%d {<<: [%s]}", i, i, refs))
	}
	lines = append(lines, "log: {<<: [*a20, *a20]}")
	done := make(chan error, 1)
	go func() { _, err := parse(doc(lines...), "tach.yaml", env()); done <- err }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("parse did not finish")
	}
}
