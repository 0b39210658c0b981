package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/tach-dev/tach/cmd/tach/config"
	"github.com/tach-dev/tach/collectors"
	"github.com/tach-dev/tach/collectors/github"
	"github.com/tach-dev/tach/collectors/gitlab"
	"github.com/tach-dev/tach/store"
)

// The wiring of collectors.Syncer, which `tach sync` runs and `tach
// serve` schedules and applies webhooks with: the config in collectors'
// terms, the collectors its repos need, each provider's webhooks, and the
// derive step (configDeriver).

// providerFactories build a collector for a provider from the config; each
// provider registers itself from its own file (sync_github.go, ...).
var providerFactories = map[config.Provider]func(cfg *config.Config, log *slog.Logger) (collectors.Provider, error){}

// webhookAppliers apply one webhook event of each provider.
var webhookAppliers = map[string]collectors.WebhookFunc{
	store.GitHub: github.ApplyWebhook,
	store.GitLab: gitlab.ApplyWebhook,
}

// newSyncer builds the Syncer of cfg over st, with the collectors the
// config's repos need.
func newSyncer(cfg *config.Config, st *store.Store, log *slog.Logger) (*collectors.Syncer, error) {
	providers := map[string]collectors.Provider{}
	for _, r := range cfg.Repos {
		if _, ok := providers[string(r.Provider)]; ok {
			continue
		}
		build, ok := providerFactories[r.Provider]
		if !ok {
			return nil, fmt.Errorf("sync: this tach has no %s collector", r.Provider.Title())
		}
		p, err := build(cfg, log)
		if err != nil {
			return nil, err
		}
		providers[string(r.Provider)] = p
	}
	return collectors.NewSyncer(st, syncConfigOf(cfg), providers, webhookAppliers, configDeriver{cfg: cfg, st: st}), nil
}

// syncConfigOf is the config in collectors' terms.
func syncConfigOf(cfg *config.Config) collectors.SyncConfig {
	sc := collectors.SyncConfig{
		History: cfg.Sync.History, IncidentLabels: cfg.Incidents.Labels, Workers: cfg.Sync.Workers,
		Match: func(provider, name string) (collectors.Repo, bool) {
			entry, ok := cfg.Match(config.Provider(provider), name)
			if !ok {
				return collectors.Repo{}, false
			}
			if !entry.Group {
				name = entry.Name
			}
			return repoOf(entry, name), true
		},
		Teams:   teamsOf(cfg, nil),
		Modules: modulesOf(cfg),
	}
	for _, t := range cfg.Teams {
		if f := t.From; f != nil {
			kind := "github_team"
			if f.GitLabGroup != "" {
				kind = "gitlab_group"
			}
			sc.TeamSources = append(sc.TeamSources, collectors.TeamSource{Team: t.Name, Provider: string(f.Provider()), Name: f.Name(), Kind: kind})
		}
	}
	for _, r := range cfg.Repos {
		if o := r.Org; o != nil {
			sc.Orgs = append(sc.Orgs, collectors.Org{Provider: string(r.Provider), Name: r.Name, Include: o.Include, Exclude: o.Exclude,
				Topics: o.Topics, Archived: o.Archived, Forks: o.Forks})
		} else if r.Group {
			sc.Groups = append(sc.Groups, collectors.Group{Provider: string(r.Provider), Name: r.Name, IncludeArchived: r.IncludeArchived})
		} else {
			sc.Repos = append(sc.Repos, repoOf(r, r.Name))
		}
	}
	return sc
}

// repoOf is the collectors' view of a config entry for repo name.
func repoOf(entry config.Repo, name string) collectors.Repo {
	return collectors.Repo{
		Provider: string(entry.Provider), Name: name, Source: string(entry.Deployments.Source),
		Environments: entry.Deployments.Environments, Workflow: entry.Deployments.Workflow, Link: string(entry.Deployments.Link),
		Codeowners: !entry.Group && entry.Modules.FromCodeowners,
	}
}

// configDeriver derives with the derive step built afresh from the config
// each time (deriveByConfig): a sync may have added repos whose deployment
// settings it must know.
type configDeriver struct {
	cfg *config.Config
	st  *store.Store
}

var _ collectors.Deriver = configDeriver{}

func (d configDeriver) Derive(ctx context.Context, repoIDs ...int64) error {
	dv, err := deriveByConfig(ctx, d.cfg, d.st)
	if err != nil {
		return err
	}
	return dv.Derive(ctx, repoIDs...)
}
