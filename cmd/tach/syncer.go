package main

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	"github.com/tach-dev/tach/cmd/tach/config"
	"github.com/tach-dev/tach/collectors"
	"github.com/tach-dev/tach/collectors/github"
	"github.com/tach-dev/tach/collectors/gitlab"
	"github.com/tach-dev/tach/store"
)

// syncer is what `tach sync` does, for one config and database: build the
// providers, expand groups, run the collectors, bring the teams and the
// derived values up to date. `tach serve` keeps one for its scheduler
// (SyncFunc) and its webhooks (ApplyWebhook).
type syncer struct {
	cfg       *config.Config
	st        *store.Store
	log       *slog.Logger
	providers map[string]collectors.Provider
	// Workers overrides the config's sync.workers when > 0.
	Workers int

	// deriveMu keeps derives one at a time: a sync's and a webhook's
	// derive of the same repo would otherwise race to write its values.
	deriveMu sync.Mutex
}

// newSyncer builds the collectors the config's repos need.
func newSyncer(cfg *config.Config, st *store.Store, log *slog.Logger) (*syncer, error) {
	s := &syncer{cfg: cfg, st: st, log: log, providers: map[string]collectors.Provider{}}
	for _, r := range cfg.Repos {
		if _, ok := s.providers[string(r.Provider)]; ok {
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
		s.providers[string(r.Provider)] = p
	}
	return s, nil
}

// Run syncs the config's repos (only those named in only, when given),
// reporting progress to tracker (nil: none). The summary is returned
// whenever the run started, even with an error. Teams and derived values
// are brought up to date even after a partial run: what was committed is
// consistent. The error is the run's (cancelled) or the derive's;
// per-repo failures are in the summary.
func (s *syncer) Run(ctx context.Context, only []string, tracker *collectors.Tracker) (*collectors.Summary, error) {
	repos, err := reposToSync(ctx, s.cfg, s.providers, only)
	if err != nil {
		return nil, err
	}
	opts := collectors.Options{History: s.cfg.Sync.History, IncidentLabels: s.cfg.Incidents.Labels, Workers: s.cfg.Sync.Workers}
	if s.Workers > 0 {
		opts.Workers = s.Workers
	}
	sum, runErr := collectors.Run(ctx, s.st, s.providers, repos, opts, tracker)
	derr := s.refresh(context.WithoutCancel(ctx))
	if runErr != nil {
		return sum, runErr
	}
	if derr != nil {
		return sum, fmt.Errorf("sync: derive: %w", derr)
	}
	return sum, nil
}

// SyncFunc is Run of every repo, for the scheduler.
func (s *syncer) SyncFunc() collectors.SyncFunc {
	return func(ctx context.Context, tracker *collectors.Tracker) (*collectors.Summary, error) {
		return s.Run(ctx, nil, tracker)
	}
}

// refresh makes the teams table say what the config says and derives the
// repos whose rows changed: in this run, or in one killed before its
// derive step (the marks of store.DerivePending).
func (s *syncer) refresh(ctx context.Context) error {
	err := s.st.Write(ctx, func(tx *store.Tx) error {
		all, err := s.st.Repos(ctx)
		if err != nil {
			return err
		}
		return tx.ReplaceTeams(ctx, teamsOf(s.cfg, all))
	})
	if err != nil {
		return err
	}
	return s.DerivePending(ctx)
}

// DerivePending recomputes the derived values of the repos marked as out
// of date (store.DerivePending), and clears their marks.
func (s *syncer) DerivePending(ctx context.Context) error {
	s.deriveMu.Lock()
	defer s.deriveMu.Unlock()
	marks, err := s.st.DerivePending(ctx)
	if err != nil || len(marks) == 0 {
		return err
	}
	// A new engine each time: a sync may have added repos whose rules it
	// must know.
	eng, err := newEngine(ctx, s.cfg, s.st, true)
	if err != nil {
		return err
	}
	if err := eng.Derive(ctx, store.PendingIDs(marks)...); err != nil {
		return err
	}
	return s.st.ClearDerivePending(ctx, marks)
}

// WebhookConfig is what applying a webhook needs of the config, for a
// provider: its repos (own entries by their config spelling, projects of
// a gitlab_group by the provider's), incident labels and history.
func (s *syncer) WebhookConfig(provider config.Provider) collectors.WebhookConfig {
	return collectors.WebhookConfig{
		IncidentLabels: s.cfg.Incidents.Labels,
		History:        s.cfg.Sync.History,
		Repo: func(name string) (collectors.Repo, bool) {
			entry, ok := s.cfg.Match(provider, name)
			if !ok {
				return collectors.Repo{}, false
			}
			if !entry.Group {
				name = entry.Name
			}
			return repoOf(entry, name), true
		},
	}
}

// ApplyWebhook applies one event of provider (store.GitHub or
// store.GitLab; event is its X-GitHub-Event or X-Gitlab-Event header) and
// derives the repo it changed. See collectors.WebhookOutcome for what to
// record of it.
func (s *syncer) ApplyWebhook(ctx context.Context, provider, event string, payload []byte) (collectors.Applied, error) {
	var a collectors.Applied
	var err error
	switch provider {
	case store.GitHub:
		a, err = github.ApplyWebhook(ctx, s.st, s.WebhookConfig(config.GitHub), event, payload)
	case store.GitLab:
		a, err = gitlab.ApplyWebhook(ctx, s.st, s.WebhookConfig(config.GitLab), event, payload)
	default:
		return a, fmt.Errorf("webhook: unknown provider %q", provider)
	}
	if err != nil || a.Rows == 0 {
		return a, err
	}
	if err := s.DerivePending(ctx); err != nil {
		return a, fmt.Errorf("webhook %s of %s: derive: %w", a.Event, a.Repo, err)
	}
	return a, nil
}

// repoOf is the collectors' view of a config entry for repo name.
func repoOf(entry config.Repo, name string) collectors.Repo {
	return collectors.Repo{
		Provider: string(entry.Provider), Name: name, Source: string(entry.Deployments.Source),
		Environments: entry.Deployments.Environments, Workflow: entry.Deployments.Workflow, Link: string(entry.Deployments.Link),
	}
}
