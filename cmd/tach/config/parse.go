package config

import (
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// The keys of each mapping, in the order config.example.yaml documents them.
var (
	topKeys       = []string{"database", "timezone", "listen", "allowed_hosts", "log", "github", "gitlab", "repos", "incidents", "teams", "bots", "include_bot_changes", "rework", "stale_review", "sync", "webhooks", "auth", "digest"}
	logKeys       = []string{"format", "level"}
	apiKeys       = []string{"token", "base_url"}
	repoKeys      = append([]string{"github", "github_org", "gitlab", "gitlab_group", "deployments", "include_archived", "modules"}, orgKeys...)
	deployKeys    = []string{"source", "environments", "workflow", "link"}
	incidentKeys  = []string{"labels", "window"}
	teamKeys      = []string{"name", "repos", "modules", "members", "from"}
	reworkKeys    = []string{"labels", "title"}
	syncKeys      = []string{"interval", "history", "workers"}
	webhookKeys   = []string{"github_secret", "gitlab_token"}
	providerKeys  = []string{"github", "github_org", "gitlab", "gitlab_group"}
	sourceChoices = []string{string(SourceDeployments), string(SourceWorkflow), string(SourceReleases), string(SourceMerges)}
	linkChoices   = []string{string(LinkCommits), string(LinkTime)}
	formatChoices = []string{"text", "json"}
	levelChoices  = []string{"debug", "info", "warn", "error"}
	topLevelHints = map[string]string{
		"production_environments": "set it per repo as repos[].deployments.environments",
		"incident_window":         "set it as incidents.window",
		"incident_labels":         "set it as incidents.labels",
		"rework_labels":           "set it as rework.labels",
		"rework_title":            "set it as rework.title",
		"deployments":             "it belongs inside a repos entry: repos[].deployments",
		"token":                   "set it as github.token or gitlab.token",
		"interval":                "set it as sync.interval",
		"history":                 "set it as sync.history",
		"workers":                 "set it as sync.workers",
		"format":                  "set it as log.format",
		"level":                   "set it as log.level",
		"session_ttl":             "set it as auth.session_ttl",
		"trusted_proxy":           "set it as auth.trusted_proxy",
	}
)

// parser walks the YAML node tree, filling a Config and collecting errors.
type parser struct {
	file    string
	lookup  func(string) (string, bool)
	errs    []*Error
	missing []MissingEnv
	secrets []string
}

func (p *parser) errorf(n *yaml.Node, key, format string, args ...any) {
	line := 0
	if n != nil {
		line = n.Line
	}
	p.errs = append(p.errs, &Error{File: p.file, Line: line, Key: key, Msg: fmt.Sprintf(format, args...)})
}

// parse is Parse with the environment given as lookup.
func parse(data []byte, name string, lookup func(string) (string, bool)) (*Config, error) {
	c := Default()
	c.File = name
	p := &parser{file: name, lookup: lookup}
	root, err := decode(data)
	if err != nil {
		p.yamlError(err, data)
		return nil, join(name, p.errs, nil)
	}
	var cross crossRefs
	if root != nil {
		p.config(root, c, &cross)
	}
	p.teams(c, &cross)
	if c.GitHub.App == nil { // an app needs no token: GITHUB_TOKEN is not read
		p.implicitSecret(&c.GitHub.Token, "github.token", EnvGitHubToken, cross.github)
	}
	p.implicitSecret(&c.GitLab.Token, "gitlab.token", EnvGitLabToken, cross.gitlab)
	p.implicitSecret(&c.Webhooks.GitHubSecret, "webhooks.github_secret", EnvGitHubWebhookSecret, cross.webhooks)
	p.implicitSecret(&c.Webhooks.GitLabToken, "webhooks.gitlab_token", EnvGitLabWebhookToken, cross.webhooks)
	for _, s := range []Secret{c.GitHub.Token, c.GitLab.Token, c.Webhooks.GitHubSecret, c.Webhooks.GitLabToken, c.Auth.MetricsToken} {
		if s.value != "" {
			p.secrets = append(p.secrets, s.value)
		}
	}
	if len(p.errs) > 0 {
		return nil, join(name, p.errs, p.secrets)
	}
	c.Database = resolveDatabase(c.Database, filepath.Dir(name))
	c.missing = p.missing
	return c, nil
}

// crossRefs carries what the sections need from each other once all are read.
type crossRefs struct {
	teams    []teamNode
	github   *yaml.Node // the github mapping's key, if present
	gitlab   *yaml.Node
	webhooks *yaml.Node
}

type teamNode struct {
	index   int
	node    *yaml.Node
	name    string
	repos   []scalarVal
	modules []scalarVal
	members []string  // lower-case logins (members.go)
	from    *TeamFrom // where members are read at each sync
}

func (p *parser) config(n *yaml.Node, c *Config, cross *crossRefs) {
	n = deref(n)
	if isNull(n) {
		return
	}
	if n.Kind != yaml.MappingNode {
		p.errorf(n, "", "expected a mapping of settings (key: value) at the top of the file, got %s; see config.example.yaml", describe(n))
		return
	}
	f := p.fields(n, "", topKeys)
	if e, ok := f["database"]; ok {
		if s, ok := p.str(e.val, "database", "a file path such as tach.db, or a postgres:// URL"); ok {
			switch {
			case IsPostgres(s.val):
				if pw, err := checkPostgresURL(s.val); err != nil {
					p.errorf(e.val, "database", "%s", err)
				} else {
					c.Database = s.val
					if pw != "" {
						p.secrets = append(p.secrets, pw)
					}
				}
			case strings.HasPrefix(s.val, "~"):
				p.errorf(e.val, "database", "%s starts with \"~\", which is not expanded; write %s or an absolute path", quote(s.val), quote("${HOME}"+strings.TrimPrefix(s.val, "~")))
			default:
				c.Database = s.val
			}
		}
	}
	if e, ok := f["timezone"]; ok {
		if s, ok := p.str(e.val, "timezone", "an IANA time zone such as UTC or Europe/Paris"); ok {
			loc, err := time.LoadLocation(s.val)
			if err != nil || strings.HasPrefix(s.val, "/") || strings.Contains(s.val, "..") {
				p.errorf(e.val, "timezone", "%s is not a known IANA time zone%s; write a name such as UTC, Europe/Paris or America/New_York", quote(s.val), s.hint())
			} else {
				c.Timezone, c.Location = s.val, loc
			}
		}
	}
	if e, ok := f["listen"]; ok {
		if s, ok := p.str(e.val, "listen", "a host:port address such as 127.0.0.1:8080"); ok {
			if why := checkListen(s.val); why != "" {
				p.errorf(e.val, "listen", "%s %s%s; write host:port such as 127.0.0.1:8080, or :8080 for every interface", quote(s.val), why, s.hint())
			} else {
				c.Listen = s.val
			}
		}
	}
	if e, ok := f["allowed_hosts"]; ok {
		p.allowedHosts(e.val, c)
	}
	if e, ok := f["log"]; ok {
		p.log(e.val, &c.Log)
	}
	if e, ok := f["github"]; ok {
		cross.github = e.key
		p.api(e.val, "github", GitHub, &c.GitHub)
	}
	if e, ok := f["gitlab"]; ok {
		cross.gitlab = e.key
		p.api(e.val, "gitlab", GitLab, &c.GitLab)
	}
	if e, ok := f["repos"]; ok {
		p.repos(e.val, c)
	}
	if e, ok := f["incidents"]; ok {
		if g, ok := p.mapping(e.val, "incidents", incidentKeys, "labels and window"); ok {
			if e, ok := g["labels"]; ok {
				if l, ok := p.strList(e.val, "incidents.labels", "labels"); ok {
					c.Incidents.Labels = l
				}
			}
			if e, ok := g["window"]; ok {
				if d, ok := p.duration(e.val, "incidents.window"); ok {
					c.Incidents.Window = d
				}
			}
		}
	}
	if e, ok := f["teams"]; ok {
		p.readTeams(e.val, cross)
	}
	if e, ok := f["bots"]; ok {
		if re, ok := p.regex(e.val, "bots"); ok {
			c.Bots = re
		}
	}
	if e, ok := f["include_bot_changes"]; ok {
		if b, ok := p.boolean(e.val, "include_bot_changes"); ok {
			c.IncludeBotChanges = b
		}
	}
	if e, ok := f["rework"]; ok {
		if g, ok := p.mapping(e.val, "rework", reworkKeys, "labels and title"); ok {
			if e, ok := g["labels"]; ok {
				if l, ok := p.strList(e.val, "rework.labels", "labels"); ok {
					c.Rework.Labels = l
				}
			}
			if e, ok := g["title"]; ok {
				if re, ok := p.regex(e.val, "rework.title"); ok {
					c.Rework.Title = re
				}
			}
		}
	}
	if e, ok := f["stale_review"]; ok {
		if d, ok := p.duration(e.val, "stale_review"); ok {
			c.StaleReview = d
		}
	}
	if e, ok := f["sync"]; ok {
		if g, ok := p.mapping(e.val, "sync", syncKeys, "interval, history and workers"); ok {
			if e, ok := g["interval"]; ok {
				if d, ok := p.duration(e.val, "sync.interval"); ok {
					c.Sync.Interval = d
				}
			}
			if e, ok := g["history"]; ok {
				if d, ok := p.duration(e.val, "sync.history"); ok {
					c.Sync.History = d
				}
			}
			if e, ok := g["workers"]; ok {
				if w, ok := p.integer(e.val, "sync.workers", 1, MaxSyncWorkers); ok {
					c.Sync.Workers = w
				}
			}
		}
	}
	if e, ok := f["webhooks"]; ok {
		cross.webhooks = e.key
		if g, ok := p.mapping(e.val, "webhooks", webhookKeys, "github_secret and gitlab_token"); ok {
			if e, ok := g["github_secret"]; ok {
				p.secret(e.val, "webhooks.github_secret", &c.Webhooks.GitHubSecret)
			}
			if e, ok := g["gitlab_token"]; ok {
				p.secret(e.val, "webhooks.gitlab_token", &c.Webhooks.GitLabToken)
			}
		}
	}
	if e, ok := f["auth"]; ok {
		p.auth(e.val, &c.Auth)
	}
	if e, ok := f["digest"]; ok {
		p.digest(e, c)
	}
}

// checkListen returns why addr is not a host:port address, or "".
func checkListen(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "is not a host:port address"
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return "has no valid port (0 to 65535)"
	}
	if host != "" && net.ParseIP(host) == nil && !validHostname(host) {
		return "has an invalid host"
	}
	return ""
}

// allowedHosts reads allowed_hosts: host names or IP addresses, without
// a port (any port is answered).
func (p *parser) allowedHosts(n *yaml.Node, c *Config) {
	list, ok := p.strList(n, "allowed_hosts", "host names")
	if !ok {
		return
	}
	for i, s := range list {
		item, key := deref(n.Content[i]), fmt.Sprintf("allowed_hosts[%d]", i)
		name := strings.ToLower(strings.TrimSuffix(s, "."))
		if ip := strings.TrimSuffix(strings.TrimPrefix(name, "["), "]"); net.ParseIP(ip) != nil {
			name = ip
		}
		if net.ParseIP(name) == nil && !validHostname(name) {
			p.errorf(item, key, "%s is not a host name; write the name alone, such as tach.example.com or 10.0.0.5 "+
				"(no scheme, port, path or wildcard: any port is answered)", quote(s))
			continue
		}
		c.AllowedHosts = append(c.AllowedHosts, name)
	}
}

func validHostname(h string) bool {
	if len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
		}
	}
	return true
}

func (p *parser) log(n *yaml.Node, l *Log) {
	g, ok := p.mapping(n, "log", logKeys, "format and level")
	if !ok {
		return
	}
	if e, ok := g["format"]; ok {
		if v, ok := p.choice(e.val, "log.format", formatChoices); ok {
			l.Format = v
		}
	}
	if e, ok := g["level"]; ok {
		if v, ok := p.choice(e.val, "log.level", levelChoices); ok {
			_ = l.Level.UnmarshalText([]byte(v))
		}
	}
}

func (p *parser) api(n *yaml.Node, key string, prov Provider, a *API) {
	keys, example := apiKeys, "token and base_url"
	if prov == GitHub {
		keys, example = append(slices.Clone(apiKeys), "app"), "token or app, and base_url"
	}
	g, ok := p.mapping(n, key, keys, example)
	if !ok {
		return
	}
	if e, ok := g["token"]; ok {
		p.secret(e.val, key+".token", &a.Token)
	}
	if e, ok := g["app"]; ok {
		if t, both := g["token"]; both {
			p.errorf(t.key, key+".token", "is set along with github.app; sign in with one: remove the token to use the app, or the app to use the token")
		} else {
			p.app(e, a, filepath.Dir(p.file))
		}
	}
	if e, ok := g["base_url"]; ok {
		k := key + ".base_url"
		example := "https://ghe.example.com/api/v3/"
		if prov == GitLab {
			example = "https://gitlab.example.com/api/v4"
		}
		if s, ok := p.str(e.val, k, "a URL such as "+example); ok {
			u, err := url.Parse(s.val)
			switch {
			case err != nil || u.Host == "" || u.Scheme != "http" && u.Scheme != "https":
				p.errorf(e.val, k, "%s is not an http(s) URL%s; write the API root, such as %s", quote(s.val), s.hint(), example)
			case u.RawQuery != "" || u.Fragment != "" || u.User != nil:
				p.errorf(e.val, k, "%s must not carry a query, fragment or credentials; write the API root, such as %s (the token goes in %s.token)", quote(redactURL(u)), example, key)
			default:
				a.BaseURL = s.val
				if prov == GitHub && !strings.HasSuffix(a.BaseURL, "/") {
					a.BaseURL += "/"
				}
			}
		}
	}
}

// redactURL prints a URL without its credentials.
func redactURL(u *url.URL) string {
	v := *u
	if v.User != nil {
		v.User = url.User("…")
	}
	return v.String()
}

var (
	ownerRE = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$`)
	nameRE  = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)
	pathRE  = regexp.MustCompile(`^[A-Za-z0-9_.][A-Za-z0-9_.-]*$`)
)

// checkRepoName returns why name is not a valid name for a provider key, or "".
func checkRepoName(kind, name string) string {
	if strings.Contains(name, "://") || strings.HasPrefix(name, "git@") {
		return "is a URL; write the path only, such as " + examplePath(kind)
	}
	if strings.HasSuffix(name, ".git") {
		return "ends in .git; write " + quote(strings.TrimSuffix(name, ".git"))
	}
	parts := strings.Split(name, "/")
	switch kind {
	case "github_org":
		if len(parts) != 1 || !ownerRE.MatchString(parts[0]) {
			return "is not an organisation or user; write its login alone, such as acme"
		}
	case "github":
		if len(parts) != 2 || !ownerRE.MatchString(parts[0]) || !nameRE.MatchString(parts[1]) || parts[1] == "." || parts[1] == ".." {
			return "is not owner/name; write it as, for example, acme/api"
		}
	case "gitlab", "gitlab_group":
		if kind == "gitlab" && len(parts) < 2 {
			return "is not a project path; write group/project or group/subgroup/project"
		}
		for _, s := range parts {
			if !pathRE.MatchString(s) || s == "." || s == ".." {
				if kind == "gitlab" {
					return "is not a project path; write group/project or group/subgroup/project"
				}
				return "is not a group path; write group or group/subgroup"
			}
		}
	}
	return ""
}

func examplePath(kind string) string {
	switch kind {
	case "github_org":
		return "acme"
	case "gitlab":
		return "acme/platform/billing"
	case "gitlab_group":
		return "acme/platform"
	}
	return "acme/api"
}

func (p *parser) repos(n *yaml.Node, c *Config) {
	if n.Kind != yaml.SequenceNode {
		p.errorf(n, "repos", "expected a list of repos (items such as \"- github: acme/api\"), got %s", describe(n))
		return
	}
	type seenRepo struct {
		index int
		line  int
	}
	seen := map[string]seenRepo{}
	for i, item := range n.Content {
		key := fmt.Sprintf("repos[%d]", i)
		item = deref(item)
		if item.Kind == yaml.ScalarNode && item.ShortTag() == "!!str" && checkRepoName("gitlab", item.Value) == "" {
			p.errorf(item, key, "expected a mapping naming the provider, got a string; write \"- github: %s\" or \"- gitlab: %s\"", item.Value, item.Value)
			continue
		}
		if item.Kind != yaml.MappingNode {
			p.errorf(item, key, "expected a mapping such as \"github: acme/api\", got %s", describe(item))
			continue
		}
		before := len(p.errs)
		f := p.fields(item, key, repoKeys)
		var provs []entry
		var kinds []string
		for _, k := range providerKeys {
			if e, ok := f[k]; ok {
				provs, kinds = append(provs, e), append(kinds, k)
			}
		}
		if len(provs) > 1 {
			second := 1
			if provs[0].key.Line > provs[1].key.Line {
				second = 0
			}
			p.errorf(provs[second].key, key, "names both %s and %s; an entry names exactly one of github, github_org, gitlab, gitlab_group, so split it into two entries", kinds[0], kinds[1])
			continue
		}
		if len(provs) == 0 {
			if len(p.errs) == before {
				p.errorf(item, key, "names no repository; add github: owner/name, github_org: org, gitlab: group/project or gitlab_group: group")
			}
			continue
		}
		kind, e := kinds[0], provs[0]
		k := key + "." + kind
		s, ok := p.str(e.val, k, "a path such as "+examplePath(kind))
		if !ok {
			continue
		}
		name := strings.Trim(s.val, "/")
		if why := checkRepoName(kind, name); why != "" {
			p.errorf(e.val, k, "%s %s%s", quote(s.val), why, s.hint())
			continue
		}
		r := Repo{Provider: GitHub, Name: name, Deployments: DefaultDeployments(), Line: item.Line}
		if kind != "github" && kind != "github_org" {
			r.Provider = GitLab
		}
		r.Group = kind == "gitlab_group" || kind == "github_org"
		p.orgEntry(f, key, kind, &r)
		if e, ok := f["include_archived"]; ok {
			if kind == "github_org" {
				p.errorf(e.key, key+".include_archived", "is gitlab_group's; a github_org entry takes archived: true")
			} else if !r.Group {
				p.errorf(e.key, key+".include_archived", "only applies to gitlab_group entries; remove it (a repo named on its own is synced even when archived)")
			} else if b, ok := p.boolean(e.val, key+".include_archived"); ok {
				r.IncludeArchived = b
			}
		}
		if e, ok := f["deployments"]; ok {
			p.deployments(e, key+".deployments", &r.Deployments)
		}
		if e, ok := f["modules"]; ok {
			if r.Group {
				p.errorf(e.key, key+".modules", "applies to one repo, not a gitlab_group; give each project its own entry with its modules")
			} else {
				p.modules(e, key+".modules", &r.Modules)
			}
		}
		// Names are unique across providers, since teams name repos
		// without their provider; a gitlab project may also sit inside
		// a gitlab_group (its own entry overrides the group's settings).
		id := strings.ToLower(name)
		if r.Group {
			id = "group:" + id
		}
		if prev, dup := seen[id]; dup {
			p.errorf(e.val, k, "%s is already configured at line %d (repos[%d]); list each repo once", name, prev.line, prev.index)
			continue
		}
		seen[id] = seenRepo{i, e.val.Line}
		c.Repos = append(c.Repos, r)
	}
}

func (p *parser) deployments(e entry, key string, d *Deployments) {
	g, ok := p.mapping(e.val, key, deployKeys, "source, environments, workflow and link")
	if !ok {
		return
	}
	srcNode := e.key
	if s, ok := g["source"]; ok {
		srcNode = s.val
		v, ok := p.choice(s.val, key+".source", sourceChoices)
		if !ok {
			return // the other keys depend on the source
		}
		d.Source = Source(v)
	}
	if s, ok := g["environments"]; ok {
		if d.Source != SourceDeployments {
			p.errorf(s.key, key+".environments", "has no effect with source: %s (only deployments have environments); remove it", d.Source)
		} else if re, ok := p.regex(s.val, key+".environments"); ok {
			d.Environments = re
		}
	}
	if s, ok := g["workflow"]; ok {
		if d.Source != SourceWorkflow {
			p.errorf(s.key, key+".workflow", "only applies to source: workflow (the source is %s); remove it or set source: workflow", d.Source)
		} else if v, ok := p.str(s.val, key+".workflow", "the name of the deploying workflow or pipeline job"); ok {
			d.Workflow = v.val
		}
	} else if d.Source == SourceWorkflow {
		p.errorf(srcNode, key+".workflow", "required when source is workflow; name the workflow (GitHub: its name or file, such as deploy.yml) or pipeline job (GitLab) that deploys to production")
	}
	if s, ok := g["link"]; ok {
		if d.Source == SourceMerges {
			p.errorf(s.key, key+".link", "has no effect with source: merges (each merge ships itself); remove it")
		} else if v, ok := p.choice(s.val, key+".link", linkChoices); ok {
			d.Link = Link(v)
		}
	}
}

func (p *parser) readTeams(n *yaml.Node, cross *crossRefs) {
	if n.Kind != yaml.SequenceNode {
		p.errorf(n, "teams", "expected a list of teams (items such as \"- {name: payments, repos: [acme/api]}\"), got %s", describe(n))
		return
	}
	for i, item := range n.Content {
		key := fmt.Sprintf("teams[%d]", i)
		item = deref(item)
		g, ok := p.mapping(item, key, teamKeys, "name and repos")
		if !ok {
			continue
		}
		t := teamNode{index: i, node: item}
		if e, ok := g["name"]; ok {
			if s, ok := p.str(e.val, key+".name", "the team's name"); ok {
				t.name = s.val
			} else {
				continue
			}
		} else {
			p.errorf(item, key+".name", "required; give the team a name")
			continue
		}
		if m, ok := g["modules"]; ok {
			t.modules = p.teamModules(m, key+".modules")
		}
		p.teamPeople(g, key, &t)
		e, ok := g["repos"]
		if !ok {
			if _, mods := g["modules"]; mods || hasPeople(g) {
				cross.teams = append(cross.teams, t)
				continue
			}
			p.errorf(item, key+".repos", "required; list the team's repos, such as [acme/api] (or its modules, such as modules: [acme/shop:checkout], or its people: members: [ada, grace])")
			continue
		}
		if e.val.Kind != yaml.SequenceNode {
			p.errorf(e.val, key+".repos", "expected a list of repo names such as [acme/api], got %s", describe(e.val))
			continue
		}
		for j, r := range e.val.Content {
			if s, ok := p.str(deref(r), fmt.Sprintf("%s.repos[%d]", key, j), "a repo name"); ok {
				s.val = strings.Trim(s.val, "/")
				t.repos = append(t.repos, s)
			}
		}
		cross.teams = append(cross.teams, t)
	}
}

// teams checks the teams read by readTeams against the repos.
func (p *parser) teams(c *Config, cross *crossRefs) {
	exact := map[string]string{} // lower-case name → name as configured
	groups := map[string]string{}
	var names []string
	for _, r := range c.Repos {
		if r.Group {
			groups[strings.ToLower(r.Name)] = r.Name
		} else {
			exact[strings.ToLower(r.Name)] = r.Name
		}
		names = append(names, r.Name)
	}
	firstLine := map[string]int{}
	for _, t := range cross.teams {
		key := fmt.Sprintf("teams[%d]", t.index)
		if line, dup := firstLine[t.name]; dup {
			p.errorf(t.node, key+".name", "team %s is already defined at line %d; team names must be unique", quote(t.name), line)
			continue
		}
		firstLine[t.name] = t.node.Line
		team := Team{Name: t.name, Repos: []string{}, Members: t.members, From: t.from, Line: t.node.Line, groups: map[string]bool{}}
		seen := map[string]int{}
		for j, s := range t.repos {
			k := fmt.Sprintf("%s.repos[%d]", key, j)
			lower := strings.ToLower(s.val)
			name, isGroup := "", false
			if n, ok := exact[lower]; ok {
				name = n
			} else if n, ok := groups[lower]; ok {
				name, isGroup = n, true
			} else {
				for g := range groups {
					if strings.HasPrefix(lower, g+"/") && checkRepoName("gitlab", s.val) == "" {
						name = s.val // a project of a group: spelled as written
						break
					}
				}
			}
			if name == "" {
				msg := fmt.Sprintf("%s is not a configured repo", quote(s.val))
				if sg := suggest(s.val, names); sg != "" {
					msg += fmt.Sprintf(" (did you mean %q?)", sg)
				}
				p.errorf(s.node, k, "%s%s; add it to repos, or name a repo listed there (or a project inside a gitlab_group)", msg, s.hint())
				continue
			}
			if prev, dup := seen[strings.ToLower(name)]; dup {
				p.errorf(s.node, k, "%s is listed twice in the team (first at line %d); keep one", name, prev)
				continue
			}
			seen[strings.ToLower(name)] = s.node.Line
			team.Repos = append(team.Repos, name)
			if isGroup {
				team.groups[strings.ToLower(name)] = true
			}
		}
		p.checkTeamModules(c, key, t.modules, &team)
		c.Teams = append(c.Teams, team)
	}
}
