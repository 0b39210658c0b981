// Package config loads and validates tach's YAML configuration.
//
// Load reads a file, Parse a byte slice; both return a *Config with every
// default applied, or every mistake found, each an *Error naming the file,
// line and key:
//
//	tach.yaml:12: repos[1].deployments.source: "deploy" is not one of deployments, workflow, releases, merges
//
// Any string value may reference environment variables as ${NAME} ("$$"
// is a literal "$"). An unset variable expands to "" and is not an error
// when loading, since not every command needs every value (a report needs
// no token); CheckSync and CheckWebhooks fail, before any request, when a
// needed token or secret is missing. Tokens and webhook secrets are of type
// Secret, which never prints its value.
//
// config.example.yaml at the top of the repository documents every key.
package config

import (
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	// Time zone data embedded in the binary, so that "timezone" works on a
	// host (or container) with no /usr/share/zoneinfo.
	_ "time/tzdata"
)

// Defaults, as docs/metrics.md gives them.
const (
	DefaultDatabase       = "tach.db"
	DefaultTimezone       = "UTC"
	DefaultListen         = "127.0.0.1:8080"
	DefaultGitHubURL      = "https://api.github.com/"
	DefaultGitLabURL      = "https://gitlab.com/api/v4"
	DefaultEnvironments   = `(?i)^(prod|production)$`
	DefaultBots           = `(?i)(\[bot\]$|^dependabot|^renovate|^github-actions)`
	DefaultReworkTitle    = `(?i)^(revert|hotfix|fix)\b`
	DefaultIncidentWindow = 168 * time.Hour
	DefaultStaleReview    = 48 * time.Hour
	DefaultSyncInterval   = time.Hour
	DefaultSyncHistory    = 180 * Day
	DefaultSyncWorkers    = 4
	MaxSyncWorkers        = 64
)

// Environment variables a token or webhook secret is read from when its key
// is absent from the file.
const (
	EnvGitHubToken         = "GITHUB_TOKEN"
	EnvGitLabToken         = "GITLAB_TOKEN"
	EnvGitHubWebhookSecret = "TACH_GITHUB_WEBHOOK_SECRET"
	EnvGitLabWebhookToken  = "TACH_GITLAB_WEBHOOK_TOKEN"
)

// DefaultIncidentLabels and DefaultReworkLabels are the default label lists.
var (
	DefaultIncidentLabels = []string{"incident"}
	DefaultReworkLabels   = []string{"hotfix", "bug", "incident"}
)

// Config is tach's configuration, with every default applied. Treat it as
// read-only once loaded; it is safe for concurrent reads.
type Config struct {
	// File is the configuration file's name as given to Load or Parse;
	// empty for Default.
	File string `json:"file,omitempty"`
	// Database is the SQLite file's path, resolved against the directory
	// of File when relative (":memory:" and "file:" URIs are kept as they
	// are), or a PostgreSQL URL (postgres://…), kept as it is. A URL's
	// password is never printed: RedactedDatabase is for messages.
	Database string `json:"database"`
	// Timezone is the IANA name of Location, which sets week boundaries.
	Timezone string         `json:"timezone"`
	Location *time.Location `json:"-"`
	// Listen is the web server's host:port.
	Listen string `json:"listen"`
	// AllowedHosts are the host names (or addresses) the web server
	// answers to besides localhost, the loopback addresses and Listen's
	// host: lower-case, without brackets. Without sign-in they are the
	// only others answered (DNS rebinding); with sign-in, when set, too.
	AllowedHosts []string `json:"allowed_hosts,omitempty"`
	Log          Log      `json:"log"`
	GitHub       API      `json:"github"`
	GitLab       API      `json:"gitlab"`
	// Repos are the repos, projects and groups to sync, in file order.
	Repos     []Repo    `json:"repos"`
	Incidents Incidents `json:"incidents"`
	// Teams, in file order; TeamRepos gives them as a map.
	Teams []Team `json:"teams"`
	// Bots matches the logins of bot authors.
	Bots              *regexp.Regexp `json:"bots"`
	IncludeBotChanges bool           `json:"include_bot_changes"`
	Rework            Rework         `json:"rework"`
	// StaleReview is how long an open change may wait for a first review
	// before it is shown as stale.
	StaleReview time.Duration `json:"stale_review"`
	Sync        Sync          `json:"sync"`
	Webhooks    Webhooks      `json:"webhooks"`
	// Auth configures sign-in to `tach serve` (auth.go).
	Auth Auth `json:"auth"`
	// Digest delivers the weekly review to chat (digest.go); nil when not
	// configured.
	Digest *Digest `json:"digest,omitempty"`

	missing []MissingEnv
}

// Log configures the program's log/slog output.
type Log struct {
	Format string     `json:"format"` // text or json
	Level  slog.Level `json:"level"`
}

// API is one provider's API access.
type API struct {
	// Token is the access token (GitHub: a personal access token or app
	// token; GitLab: a personal, group or project access token).
	Token Secret `json:"token"`
	// BaseURL is the REST API's root. GitHub's always ends in "/" (as
	// go-github requires): https://api.github.com/, or
	// https://ghe.example.com/api/v3/ for GitHub Enterprise Server.
	BaseURL string `json:"base_url"`
	// App, for GitHub, signs in as a GitHub App instead of with Token
	// (githubapp.go); nil when not configured.
	App *GitHubApp `json:"app,omitempty"`
}

// Provider is a code host.
type Provider string

// Providers.
const (
	GitHub Provider = "github"
	GitLab Provider = "gitlab"
)

// Title is the provider's name as people write it.
func (p Provider) Title() string {
	switch p {
	case GitHub:
		return "GitHub"
	case GitLab:
		return "GitLab"
	}
	return string(p)
}

// Repo is one entry of repos: a GitHub repository, a GitLab project, or
// (Group) every project of a GitLab group and its subgroups.
type Repo struct {
	Provider Provider `json:"provider"`
	// Name is owner/name (GitHub), group/subgroup/project (GitLab), or
	// the group's path when Group is set.
	Name string `json:"name"`
	// Group marks a gitlab_group or github_org entry.
	Group bool `json:"group,omitempty"`
	// Org holds a github_org entry's filters (orgs.go); nil for others.
	Org *OrgFilter `json:"org,omitempty"`
	// IncludeArchived includes a group's archived projects (groups only).
	IncludeArchived bool        `json:"include_archived,omitempty"`
	Deployments     Deployments `json:"deployments"`
	// Modules are the repo's module scopes (modules.go).
	Modules Modules `json:"modules,omitzero"`
	// Line is the entry's line in the file (0 when not from a file).
	Line int `json:"-"`
}

// String returns the repo's name.
func (r Repo) String() string { return r.Name }

// Source says where a repo's production deployments come from.
type Source string

// Deployment sources (docs/metrics.md, "Production deployment").
const (
	SourceDeployments Source = "deployments" // GitHub deployments / GitLab deployments
	SourceWorkflow    Source = "workflow"    // successful runs of a CI workflow / pipeline
	SourceReleases    Source = "releases"    // published releases
	SourceMerges      Source = "merges"      // every merge ships itself
)

// Link says how a deployment finds the changes it shipped.
type Link string

// Link modes.
const (
	LinkCommits Link = "commits" // merge commits in the range between deployments
	LinkTime    Link = "time"    // changes merged between deployments
)

// Deployments configures how a repo's production deployments are found.
type Deployments struct {
	Source Source `json:"source"`
	// Environments matches production environment names (source deployments).
	Environments *regexp.Regexp `json:"environments"`
	// Workflow names the deploying workflow (GitHub: its name or file name,
	// such as deploy.yml) or pipeline job (GitLab); set only for source workflow.
	Workflow string `json:"workflow,omitempty"`
	Link     Link   `json:"link"`
}

// Incidents configures which issues are incidents and how they find their
// deployment.
type Incidents struct {
	// Labels mark an issue as an incident (any one of them).
	Labels []string `json:"labels"`
	// Window is how long after a deployment an incident is still
	// attributed to it.
	Window time.Duration `json:"window"`
}

// Team is a named set of repos.
type Team struct {
	Name string `json:"name"`
	// Repos are repo names from repos, spelled as there; a name may be a
	// gitlab_group path (every project of the group) or a project inside one.
	Repos []string `json:"repos"`
	// Modules are modules the team owns beside its repos, as REPO:NAME.
	Modules []string `json:"modules,omitempty"`
	// Members are the team's people (lower-case logins): their changes
	// in every repo are the team's (members.go). From, when set, adds the
	// members of a GitHub team or GitLab group, read at each sync.
	Members []string  `json:"members,omitempty"`
	From    *TeamFrom `json:"from,omitempty"`
	Line    int       `json:"-"`

	groups map[string]bool // lower-cased entries of Repos that are gitlab_group paths
}

// Includes reports whether repo (owner/name or a GitLab path) belongs to
// the team: named in Repos, or inside a gitlab_group named in Repos.
// Names compare case-insensitively, as GitHub and GitLab compare them.
func (t Team) Includes(repo string) bool {
	repo = strings.ToLower(repo)
	for _, r := range t.Repos {
		r = strings.ToLower(r)
		if r == repo || t.groups[r] && strings.HasPrefix(repo, r+"/") {
			return true
		}
	}
	return false
}

// Rework configures which changes are fixes (docs/metrics.md, "Deployment
// rework rate").
type Rework struct {
	Labels []string       `json:"labels"`
	Title  *regexp.Regexp `json:"title"`
}

// Sync configures collection.
type Sync struct {
	// Interval between syncs when serving.
	Interval time.Duration `json:"interval"`
	// History is how far back the first sync of a repo goes.
	History time.Duration `json:"history"`
	// Workers is how many repos sync at once.
	Workers int `json:"workers"`
}

// Webhooks holds the secrets incoming webhooks are verified with.
type Webhooks struct {
	// GitHubSecret is the secret of GitHub webhooks (X-Hub-Signature-256).
	GitHubSecret Secret `json:"github_secret"`
	// GitLabToken is the secret token of GitLab webhooks (X-Gitlab-Token).
	GitLabToken Secret `json:"gitlab_token"`
}

// MissingEnv is a ${NAME} reference to an environment variable that was
// not set when the file was loaded.
type MissingEnv struct {
	Key  string // e.g. github.token
	Line int
	Name string // the variable
}

// Default returns the configuration with every default and no repos, as
// used when tach runs on a database alone (--db). It reads no environment
// variable: its tokens and secrets are empty.
func Default() *Config {
	return &Config{
		Database:    DefaultDatabase,
		Timezone:    DefaultTimezone,
		Location:    time.UTC,
		Listen:      DefaultListen,
		Log:         Log{Format: "text", Level: slog.LevelInfo},
		GitHub:      API{BaseURL: DefaultGitHubURL},
		GitLab:      API{BaseURL: DefaultGitLabURL},
		Incidents:   Incidents{Labels: clone(DefaultIncidentLabels), Window: DefaultIncidentWindow},
		Bots:        regexp.MustCompile(DefaultBots),
		Rework:      Rework{Labels: clone(DefaultReworkLabels), Title: regexp.MustCompile(DefaultReworkTitle)},
		StaleReview: DefaultStaleReview,
		Sync:        Sync{Interval: DefaultSyncInterval, History: DefaultSyncHistory, Workers: DefaultSyncWorkers},
		Auth:        defaultAuth(),
	}
}

// DefaultDeployments returns a repo's deployment settings when its entry
// sets none: source deployments, environments prod or production, link
// commits.
func DefaultDeployments() Deployments {
	return Deployments{
		Source:       SourceDeployments,
		Environments: regexp.MustCompile(DefaultEnvironments),
		Link:         LinkCommits,
	}
}

// Load reads and parses the configuration file at path. Errors name path
// as given.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load config: %w", err)
	}
	return Parse(data, path)
}

// Parse parses a configuration file's contents. name is the file's name: it
// starts every error message, and a relative database path is resolved
// against its directory. Environment references are expanded from the
// process environment.
func Parse(data []byte, name string) (*Config, error) {
	return parse(data, name, os.LookupEnv)
}

// RepoNames returns the names of the github and gitlab entries of repos, in
// file order. gitlab_group entries are not included: their projects are
// known only once the group is listed (see Match).
func (c *Config) RepoNames() []string {
	var names []string
	for _, r := range c.Repos {
		if !r.Group {
			names = append(names, r.Name)
		}
	}
	return names
}

// Match returns the settings that apply to a repo of provider named name
// (case-insensitively): its own entry, or else the entry of the innermost
// gitlab_group that contains it.
func (c *Config) Match(provider Provider, name string) (Repo, bool) {
	lower := strings.ToLower(name)
	best := -1
	for i, r := range c.Repos {
		if r.Provider != provider {
			continue
		}
		rn := strings.ToLower(r.Name)
		if !r.Group && rn == lower {
			return r, true
		}
		if r.Group && strings.HasPrefix(lower, rn+"/") && (r.Org == nil || r.Org.Admits(name)) && (best < 0 || len(r.Name) > len(c.Repos[best].Name)) {
			best = i
		}
	}
	if best < 0 {
		return Repo{}, false
	}
	return c.Repos[best], true
}

// TeamRepos returns each team's repos by team name (a fresh map).
func (c *Config) TeamRepos() map[string][]string {
	m := make(map[string][]string, len(c.Teams))
	for _, t := range c.Teams {
		m[t.Name] = clone(t.Repos)
	}
	return m
}

// TeamsOf returns the names of the teams that repo belongs to, in file
// order.
func (c *Config) TeamsOf(repo string) []string {
	var names []string
	for _, t := range c.Teams {
		if t.Includes(repo) {
			names = append(names, t.Name)
		}
	}
	return names
}

// MissingEnv returns the ${NAME} references whose variable was not set
// when the file was loaded, in file order.
func (c *Config) MissingEnv() []MissingEnv { return append([]MissingEnv(nil), c.missing...) }

func clone(s []string) []string { return append([]string(nil), s...) }

// resolveDatabase resolves a database path against dir.
func resolveDatabase(db, dir string) string {
	if db == ":memory:" || strings.HasPrefix(db, "file:") || filepath.IsAbs(db) || IsPostgres(db) {
		return db
	}
	return filepath.Join(dir, db)
}

// IsPostgres reports whether a database setting is a PostgreSQL URL.
func IsPostgres(db string) bool {
	return strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://")
}

// checkPostgresURL checks the shape of a PostgreSQL URL (the server checks
// the rest when tach connects) and returns its password. Its errors never
// show the password.
func checkPostgresURL(db string) (password string, err error) {
	u, perr := url.Parse(db)
	if perr != nil {
		return "", fmt.Errorf("is not a URL tach can read; write postgres://USER:PASSWORD@HOST:PORT/DATABASE?sslmode=require (a password with /, ?, # or @ must be percent-encoded)")
	}
	password, _ = u.User.Password()
	redacted := u.Redacted()
	if u.Host == "" {
		return password, fmt.Errorf("%s names no server; write postgres://USER:PASSWORD@HOST:PORT/DATABASE", quote(redacted))
	}
	if v := u.Query().Get("pool_max_conns"); v != "" {
		if n, err := strconv.Atoi(v); err != nil || n < 1 || n > 1000 {
			return password, fmt.Errorf("%s: pool_max_conns=%s is not a number of connections from 1 to 1000", quote(redacted), v)
		}
	}
	return password, nil
}
