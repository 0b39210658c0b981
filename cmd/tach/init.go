package main

import (
	"bufio"
	"cmp"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tach-dev/tach/cmd/tach/config"
	"github.com/tach-dev/tach/collectors"
	"github.com/tach-dev/tach/collectors/github"
	"github.com/tach-dev/tach/collectors/gitlab"
	"github.com/tach-dev/tach/metrics"
)

// `tach init`: setup in one sitting. It asks (or takes as flags) the
// provider, the API's address, how to sign in and the GitHub organisation
// or GitLab group; checks access by listing its repos; looks at how each
// repo deploys (the provider's Discover: environments, deployments,
// deploy workflows or CI jobs, releases); and writes a commented
// tach.yaml with each repo's most likely deployment source.

func init() {
	register("init", "write a tach.yaml for an organisation or group: checks access and each repo's deployment source", runInit)
}

// initProvider is what init asks of a code host.
type initProvider interface {
	// repos lists the organisation's or group's repos that sync, checking
	// access on the way.
	repos(ctx context.Context, org string) ([]string, error)
	Discover(ctx context.Context, repo string) (collectors.Discovery, error)
}

// githubInit leaves out archived repos and forks.
type githubInit struct{ *github.Provider }

func (p githubInit) repos(ctx context.Context, org string) ([]string, error) {
	listed, err := p.ListOrg(ctx, org)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, r := range listed {
		if !r.Archived && !r.Fork {
			names = append(names, r.Name)
		}
	}
	return names, nil
}

// gitlabInit lists the group's projects and its subgroups', archived ones
// left out (what a gitlab_group entry syncs).
type gitlabInit struct{ *gitlab.Provider }

func (p gitlabInit) repos(ctx context.Context, group string) ([]string, error) {
	return p.ExpandGroup(ctx, group, false)
}

// initAnswers are what init needs to know.
type initAnswers struct {
	provider, baseURL, tokenEnv, org, out string
	appID                                 int64
	appKey                                string
}

func runInit(ctx context.Context, env *cli, args []string) error {
	fs := newFlags(env, "init", "[--non-interactive --provider github|gitlab --org ORG|--group GROUP (--token-env NAME | --app-id N --app-key FILE) [--base-url URL]] [--out tach.yaml] [--force]")
	var a initAnswers
	nonInteractive := fs.Bool("non-interactive", false, "ask nothing: take every answer from the flags")
	fs.StringVar(&a.provider, "provider", "github", "the code host: github or gitlab")
	fs.StringVar(&a.baseURL, "base-url", "", "the REST API's `URL` (default "+config.DefaultGitHubURL+" or "+config.DefaultGitLabURL+"; GitHub Enterprise Server: https://HOST/api/v3/, self-managed GitLab: https://HOST/api/v4)")
	fs.StringVar(&a.tokenEnv, "token-env", "", "the environment variable `NAME` that holds the token (default "+config.EnvGitHubToken+" or "+config.EnvGitLabToken+"; the file refers to it, never holds it)")
	appID := fs.String("app-id", "", "sign in as this GitHub App `id` instead of with a token")
	fs.StringVar(&a.appKey, "app-key", "", "the GitHub App's private key `file` (.pem)")
	fs.StringVar(&a.org, "org", "", "the GitHub organisation (or user) whose repos to sync")
	fs.StringVar(&a.org, "group", "", "the GitLab group whose projects (its subgroups' too) to sync")
	fs.StringVar(&a.out, "out", defaultConfigFile, "the configuration `file` to write")
	force := fs.Bool("force", false, "replace the file if it exists")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *appID != "" {
		id, err := strconv.ParseInt(*appID, 10, 64)
		if err != nil || id <= 0 {
			return usagef("--app-id %q is not an app id; give the number on the app's settings page", *appID)
		}
		a.appID = id
	}
	if !*nonInteractive {
		if env.stdin == nil {
			return usagef("tach init asks questions on standard input; give --non-interactive with the flags instead")
		}
		if err := askInit(env, &a); err != nil {
			return err
		}
	}
	if err := a.complete(); err != nil {
		return err
	}
	if _, err := os.Stat(a.out); err == nil && !*force {
		return usagef("%s exists; give --force to replace it, or --out another file", a.out)
	}
	p, err := a.connect()
	if err != nil {
		return err
	}

	listing := "repos"
	if a.provider == "gitlab" {
		listing = "projects"
	}
	fmt.Fprintf(env.stdout, "Listing the %s of %s at %s…\n", listing, a.org, a.baseURL)
	names, err := p.repos(ctx, a.org)
	if err != nil {
		return fmt.Errorf("init: %w", err)
	}
	prod := regexp.MustCompile(metrics.DefaultProductionEnvironments)
	var found []initRepo
	for _, name := range names {
		d, err := p.Discover(ctx, name)
		if err != nil {
			return fmt.Errorf("init: %w", err)
		}
		src, wf, why := d.Suggest(prod)
		found = append(found, initRepo{d: d, source: src, workflow: wf, why: why})
	}
	tw := tabwriter.NewWriter(env.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "REPO\tENVIRONMENTS\tDEPLOY %sS\tRELEASES\tSOURCE\n", strings.ToUpper(a.workflowKind()))
	for _, f := range found {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", f.d.Repo, orDash(f.d.Environments), orDash(f.d.DeployWorkflows), f.d.Releases, f.source)
	}
	tw.Flush()
	if a.provider == "gitlab" {
		fmt.Fprintf(env.stdout, "%d projects (subgroups included, archived projects left out).\n", len(found))
	} else {
		fmt.Fprintf(env.stdout, "%d repos (archived repos and forks left out).\n", len(found))
	}

	text := initConfig(a, found, time.Now())
	lookup := func(name string) (string, bool) { return "set", true } // the file refers to variables; their values are not checked here
	if _, err := config.ParseWith([]byte(text), a.out, lookup); err != nil {
		return fmt.Errorf("init: the file written would not load (a bug): %w", err)
	}
	if err := os.WriteFile(a.out, []byte(text), 0o600); err != nil {
		return fmt.Errorf("init: %w", err)
	}
	fmt.Fprintf(env.stdout, "Wrote %s. Next: tach sync --config %s, then tach serve --config %s.\n", a.out, a.out, a.out)
	return nil
}

// complete checks the answers and fills in the provider's defaults.
func (a *initAnswers) complete() error {
	switch a.provider {
	case "github":
		a.baseURL = cmp.Or(a.baseURL, config.DefaultGitHubURL)
		a.tokenEnv = cmp.Or(a.tokenEnv, config.EnvGitHubToken)
		if a.org == "" {
			return usagef("which organisation? give --org ORG (the organisation's or user's login)")
		}
		if a.appID != 0 && a.appKey == "" {
			return usagef("--app-id needs --app-key FILE, the app's private key")
		}
	case "gitlab":
		a.baseURL = cmp.Or(a.baseURL, config.DefaultGitLabURL)
		a.tokenEnv = cmp.Or(a.tokenEnv, config.EnvGitLabToken)
		a.org = strings.Trim(a.org, "/")
		if a.org == "" {
			return usagef("which group? give --group GROUP (its full path, such as acme/platform)")
		}
		if a.appID != 0 {
			return usagef("--app-id signs in as a GitHub App; GitLab takes a token: give --token-env NAME")
		}
	default:
		return usagef("--provider %q: give github or gitlab", a.provider)
	}
	return nil
}

// workflowKind is what deployments.workflow names on the provider.
func (a *initAnswers) workflowKind() string {
	if a.provider == "gitlab" {
		return "job"
	}
	return "workflow"
}

// connect is the provider the answers sign in to.
func (a *initAnswers) connect() (initProvider, error) {
	var token string
	if a.appID == 0 {
		if token = os.Getenv(a.tokenEnv); token == "" {
			return nil, usagef("environment variable %s holds no token; export it (a token with read access to the repos), or give --token-env NAME", a.tokenEnv)
		}
	}
	logger := slog.New(slog.DiscardHandler)
	if a.provider == "gitlab" {
		p, err := gitlab.New(gitlab.Options{BaseURL: a.baseURL, Token: token, Logger: logger})
		return gitlabInit{p}, err
	}
	opts := github.Options{BaseURL: a.baseURL, Token: token, Logger: logger, UserAgent: "tach/" + versionString() + " (init)"}
	if a.appID != 0 {
		key, err := os.ReadFile(a.appKey)
		if err != nil {
			return nil, fmt.Errorf("init: the app's key %s cannot be read: %w", a.appKey, err)
		}
		opts.App = &github.App{ID: a.appID, PrivateKey: key}
	}
	p, err := github.New(opts)
	return githubInit{p}, err
}

type initRepo struct {
	d                     collectors.Discovery
	source, workflow, why string
}

func orDash(l []string) string {
	if len(l) == 0 {
		return "–"
	}
	return strings.Join(l, ", ")
}

// askInit asks each question on stdin, the flag's value as the default.
func askInit(env *cli, a *initAnswers) error {
	in := bufio.NewReader(env.stdin)
	ask := func(q, def string) (string, error) {
		if def != "" {
			fmt.Fprintf(env.stdout, "%s [%s]: ", q, def)
		} else {
			fmt.Fprintf(env.stdout, "%s: ", q)
		}
		line, err := in.ReadString('\n')
		if err != nil && (err != io.EOF || line == "") {
			return "", usagef("no answer to %q (standard input ended); give --non-interactive with the flags instead", q)
		}
		if line = strings.TrimSpace(line); line == "" {
			return def, nil
		}
		return line, nil
	}
	var err error
	if a.provider, err = ask("Provider (github/gitlab)", a.provider); err != nil {
		return err
	}
	if a.provider == "gitlab" {
		if a.baseURL, err = ask("API address (self-managed GitLab: https://HOST/api/v4)", cmp.Or(a.baseURL, config.DefaultGitLabURL)); err != nil {
			return err
		}
		if a.tokenEnv, err = ask("Environment variable that holds the token (read_api)", cmp.Or(a.tokenEnv, config.EnvGitLabToken)); err != nil {
			return err
		}
		a.org, err = ask("Group (its full path, such as acme/platform)", a.org)
		return err
	}
	if a.baseURL, err = ask("API address (GitHub Enterprise Server: https://HOST/api/v3/)", cmp.Or(a.baseURL, config.DefaultGitHubURL)); err != nil {
		return err
	}
	how := "token"
	if a.appID != 0 {
		how = "app"
	}
	if how, err = ask("Sign in with a token or a GitHub App (token/app)", how); err != nil {
		return err
	}
	if how == "app" {
		id, err := ask("The app's id", strconv.FormatInt(a.appID, 10))
		if err != nil {
			return err
		}
		if a.appID, err = strconv.ParseInt(id, 10, 64); err != nil || a.appID <= 0 {
			return usagef("%q is not an app id; give the number on the app's settings page", id)
		}
		if a.appKey, err = ask("The app's private key file (.pem)", a.appKey); err != nil {
			return err
		}
	} else if a.tokenEnv, err = ask("Environment variable that holds the token", cmp.Or(a.tokenEnv, config.EnvGitHubToken)); err != nil {
		return err
	}
	if a.org, err = ask("Organisation or user", a.org); err != nil {
		return err
	}
	return nil
}

// initConfig is the tach.yaml init writes: commented, each repo with
// the deployment source found for it and why.
func initConfig(a initAnswers, repos []initRepo, now time.Time) string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p("# tach.yaml for %s, written by `tach init` on %s.\n", a.org, now.UTC().Format(time.DateOnly))
	p("# Every key, with its default, is in config.example.yaml; the README explains them.\n\n")
	p("database: tach.db\ntimezone: UTC   # week boundaries: set your team's, such as Europe/Paris\n\n")
	p("%s:\n", a.provider)
	if a.appID != 0 {
		key := a.appKey
		if abs, err := filepath.Abs(key); err == nil {
			key = abs
		}
		p("  # Signed in as a GitHub App (README: \"Signing in as a GitHub App\").\n")
		p("  app:\n    id: %d\n    private_key_file: %s\n", a.appID, yamlQuote(key))
	} else {
		p("  # Read from the environment, never stored in this file.\n")
		p("  token: ${%s}\n", a.tokenEnv)
	}
	p("  base_url: %s\n\n", yamlQuote(a.baseURL))
	// A repo's deployment source, as its entry sets it.
	source := func(r initRepo) {
		if r.source == "workflow" {
			p("    deployments: {source: workflow, workflow: %s}\n", yamlQuote(r.workflow))
		} else {
			p("    deployments: {source: %s}\n", r.source)
		}
	}
	if a.provider == "gitlab" {
		p("# Every project of %s and of its subgroups, listed again on every sync\n", a.org)
		p("# (new projects appear; archived ones stop syncing). A project whose\n")
		p("# deployment source is not the default (deployments to production) has\n")
		p("# its own entry, which wins; what tach found is in the comments.\n")
		p("repos:\n  - gitlab_group: %s\n", a.org)
		for _, r := range repos {
			p("  # %s: %s\n", r.d.Repo, r.why)
			if r.source != "deployments" {
				p("  - gitlab: %s\n", r.d.Repo)
				source(r)
			}
		}
		return b.String()
	}
	p("# The repos of %s, each with the deployment source it most likely uses\n", a.org)
	p("# (what tach found is in the comment above it). To sync every repo of the\n")
	p("# organisation, new ones too, instead: - github_org: %s\n", a.org)
	p("repos:\n")
	if len(repos) == 0 {
		p("  []  # none found: add - github: owner/name\n")
	}
	for _, r := range repos {
		p("  # %s\n", r.why)
		p("  - github: %s\n", r.d.Repo)
		source(r)
	}
	return b.String()
}

// yamlQuote single-quotes a value for YAML.
func yamlQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
