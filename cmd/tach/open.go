package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"regexp"
	"slices"
	"strings"

	"github.com/tach-dev/tach/cmd/tach/config"
	"github.com/tach-dev/tach/metrics"
	"github.com/tach-dev/tach/metrics/engine"
	"github.com/tach-dev/tach/store"
)

// defaultConfigFile is read when neither --config nor --db is given.
const defaultConfigFile = "tach.yaml"

// sourceFlags are the --config and --db flags every reading command takes.
type sourceFlags struct {
	config string
	db     string
}

func (f *sourceFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.config, "config", "", "configuration `file` (default ./tach.yaml when it exists)")
	fs.StringVar(&f.db, "db", "", "database `file` or postgres:// URL; overrides the config's database, or stands alone with default rules")
}

// workspace is an open database with the services that read it by the
// config's rules: the reports, and the decision log.
type workspace struct {
	cfg       *config.Config
	st        *store.Store
	reports   *engine.Reports
	decisions *engine.DecisionLog
}

func (w *workspace) Close() error { return w.st.Close() }

// loadConfig reads --config, or ./tach.yaml, or gives the defaults when
// only --db was given.
func (f *sourceFlags) loadConfig() (*config.Config, error) {
	path := f.config
	if path == "" && f.db == "" {
		if _, err := os.Stat(defaultConfigFile); err != nil {
			return nil, usagef("no configuration: give --config FILE (see config.example.yaml) or --db FILE (for example the demo's, from `tach demo --no-serve --db FILE`)")
		}
		path = defaultConfigFile
	}
	if path == "" {
		return config.Default(), nil
	}
	return config.Load(path)
}

// open opens the database named by the flags. A reading command
// (mustExist) refuses to create a new, empty file.
func (f *sourceFlags) open(ctx context.Context, mustExist bool) (*workspace, error) {
	cfg, err := f.loadConfig()
	if err != nil {
		return nil, err
	}
	path := cfg.Database
	if f.db != "" {
		path = f.db
	}
	var st *store.Store
	if mustExist {
		st, err = store.OpenExisting(ctx, path)
	} else {
		st, err = store.Open(ctx, path)
	}
	if err != nil {
		return nil, err
	}
	ws := &workspace{cfg: cfg, st: st}
	if ws.reports, err = newReports(ctx, cfg, st, f.config != "" || f.db == ""); err != nil {
		st.Close()
		return nil, err
	}
	ws.decisions = engine.NewDecisionLog(ws.reports)
	return ws, nil
}

// openStore opens only the database named by the flags (no reports), for
// commands that manage it: users, backup.
func (f *sourceFlags) openStore(ctx context.Context, mustExist bool) (*store.Store, error) {
	path, err := f.database()
	if err != nil {
		return nil, err
	}
	if mustExist {
		return store.OpenExisting(ctx, path)
	}
	return store.Open(ctx, path)
}

// database is the database the flags name: --db, or the config's.
func (f *sourceFlags) database() (string, error) {
	cfg, err := f.loadConfig()
	if err != nil {
		return "", err
	}
	if f.db != "" {
		return f.db, nil
	}
	return cfg.Database, nil
}

// rulesOf turns the configuration into the rules of docs/metrics.md.
func rulesOf(cfg *config.Config) metrics.Rules {
	return metrics.Rules{
		Bots:              cfg.Bots,
		IncludeBotChanges: cfg.IncludeBotChanges,
		IncidentWindow:    cfg.Incidents.Window,
		ReworkLabels:      cfg.Rework.Labels,
		ReworkTitle:       cfg.Rework.Title,
		StaleReview:       cfg.StaleReview,
		Location:          cfg.Location,
	}
}

// newReports builds the reports for cfg over st. With a real config
// (fromConfig) the teams come from it, and the derived values are first
// brought up to date with its rules (deriveByConfig); a database given
// alone is read as it was derived, with the teams recorded in it.
func newReports(ctx context.Context, cfg *config.Config, st *store.Store, fromConfig bool) (*engine.Reports, error) {
	if !fromConfig {
		return engine.NewReports(st, rulesOf(cfg), nil), nil
	}
	if _, err := deriveByConfig(ctx, cfg, st); err != nil {
		return nil, err
	}
	return engine.NewReports(st, rulesOf(cfg), teamsOf(cfg, st)), nil
}

// deriveByConfig returns the derive step of cfg for the repos in st (each
// repo's deployment settings come from its entry in the config), having
// re-derived every repo when st was derived with other rules: a changed
// config, or repos the config has matched since. It is built again after
// a sync, which may have added repos.
func deriveByConfig(ctx context.Context, cfg *config.Config, st *store.Store) (*engine.Deriver, error) {
	repos, err := st.Repos(ctx)
	if err != nil {
		return nil, err
	}
	repoRules := map[string]metrics.RepoRules{}
	for _, r := range repos {
		entry, ok := cfg.Match(config.Provider(r.Provider), r.Name)
		if !ok {
			continue
		}
		repoRules[r.Name] = repoRulesOf(entry.Deployments)
	}
	d := engine.NewDeriver(st, rulesOf(cfg), repoRules)
	if _, err := d.DeriveIfRulesChanged(ctx); err != nil {
		return nil, err
	}
	return d, nil
}

func repoRulesOf(d config.Deployments) metrics.RepoRules {
	env := d.Environments
	if env == nil {
		env = regexp.MustCompile(metrics.DefaultProductionEnvironments)
	}
	return metrics.RepoRules{Source: string(d.Source), Link: string(d.Link), Environments: env}
}

// teamsOf resolves the config's teams against the repos in the database
// (a team may name a GitLab group, meaning every project in it).
func teamsOf(cfg *config.Config, st *store.Store) func(repos []store.Repo) []store.Team {
	return func(repos []store.Repo) []store.Team {
		read := map[string]store.ProviderMembers{} // members read from a provider at the last sync
		if st != nil && slices.ContainsFunc(cfg.Teams, func(t config.Team) bool { return t.From != nil }) {
			if m, err := st.TeamMembers(context.Background()); err == nil {
				read = m
			}
		}
		teams := make([]store.Team, 0, len(cfg.Teams))
		for _, t := range cfg.Teams {
			team := store.Team{Name: t.Name, Modules: t.Modules, Members: slices.Clone(t.Members)}
			if t.From != nil {
				for _, m := range read[t.Name].Members {
					if !slices.Contains(team.Members, m) {
						team.Members = append(team.Members, m)
					}
				}
			}
			for _, r := range repos {
				if t.Includes(r.Name) {
					team.Repos = append(team.Repos, r.Name)
				}
			}
			teams = append(teams, team)
		}
		return teams
	}
}

// modulesOf gives a repo's modules as the config lists them (none for a
// repo without modules: a module removed from the config goes at the next
// sync); false for a repo whose modules come from its CODEOWNERS file.
func modulesOf(cfg *config.Config) func(repo store.Repo) ([]store.Module, bool) {
	return func(repo store.Repo) ([]store.Module, bool) {
		entry, ok := cfg.Match(config.Provider(repo.Provider), repo.Name)
		if !ok || entry.Group {
			return nil, true
		}
		if entry.Modules.FromCodeowners {
			return nil, false
		}
		var out []store.Module
		for _, m := range entry.Modules.List {
			out = append(out, store.Module{Name: m.Name, Paths: m.Paths, Source: "config"})
		}
		return out, true
	}
}

// warnExposed says, when serve or sync starts, that the database's files
// are readable by others (a database made before tach created them 0600,
// or copied in), and how to fix it.
func warnExposed(log *slog.Logger, st *store.Store) {
	mode, files := st.ExposedFiles()
	if len(files) == 0 {
		return
	}
	quoted := make([]string, len(files))
	for i, f := range files {
		quoted[i] = shellQuote(f)
	}
	log.Warn("the database is readable by other users of this machine; it holds password and session hashes and everything synced",
		"file", st.Path(), "mode", fmt.Sprintf("%#o", mode), "fix", "chmod 600 "+strings.Join(quoted, " "))
}

// shellQuote quotes a path for a shell command, when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:@+,%=") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
