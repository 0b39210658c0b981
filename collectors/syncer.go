package collectors

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tach-dev/tach/store"
)

// A Syncer is what `tach sync` does for one configuration and database,
// and what `tach serve` runs on its schedule and applies webhooks with:
// expand groups into their projects, run the collectors, bring the teams
// and the derived values up to date. It knows the providers only through
// what it is given (Provider, WebhookFunc), so this package stays below
// collectors/github and collectors/gitlab; cmd/tach wires them in.

// SyncConfig is what a Syncer needs of the configuration, in this
// package's terms.
type SyncConfig struct {
	// Repos are the repos named one by one, in the config's order; their
	// settings win over a group's.
	Repos []Repo
	// Groups are synced as every project in them (gitlab_group).
	Groups []Group
	// Orgs are synced as every repo they list, filtered (github_org; orgs.go).
	Orgs []Org
	// TeamSources are the teams whose members a provider gives, read
	// once per sync (members.go).
	TeamSources []TeamSource
	// Match returns the settings of a repo of provider by its name, as
	// the config covers it (an entry of its own, spelt as the config spells
	// it, or a project of a group, spelt as the provider does); false when
	// the config does not cover it.
	Match func(provider, name string) (Repo, bool)
	// Teams resolves the config's teams against the repos in the store.
	Teams func(repos []store.Repo) []store.Team
	// Modules gives a repo's modules as the config lists them; ok is
	// false for a repo whose modules come from elsewhere (its CODEOWNERS
	// file), whose stored modules the refresh leaves alone. Nil: no repo
	// has modules.
	Modules func(repo store.Repo) (mods []store.Module, ok bool)
	// History is how far back the first sync of a repo goes.
	History time.Duration
	// IncidentLabels mark an issue as an incident.
	IncidentLabels []string
	// Workers is how many repos sync at once.
	Workers int
}

// Group is a group of repos to sync (a GitLab group and its subgroups).
type Group struct {
	Provider        string
	Name            string
	IncludeArchived bool
}

// Deriver recomputes the derived values (production deployments, links,
// failures) of repos after their rows changed; cmd/tach wires the metric
// engine, which this package may not import.
type Deriver interface {
	Derive(ctx context.Context, repoIDs ...int64) error
}

// WebhookFunc applies one webhook event of a provider (github.ApplyWebhook,
// gitlab.ApplyWebhook).
type WebhookFunc func(ctx context.Context, st *store.Store, cfg WebhookConfig, event string, payload []byte) (Applied, error)

// NotConfiguredError is Run's error for a repo asked for by name that the
// config's repos do not include.
type NotConfiguredError struct{ Repo string }

func (e *NotConfiguredError) Error() string {
	return "sync: " + e.Repo + " is not in the config's repos"
}

// Syncer syncs one configuration's repos into one store.
type Syncer struct {
	st        *store.Store
	cfg       SyncConfig
	providers map[string]Provider
	webhooks  map[string]WebhookFunc
	deriver   Deriver

	// deriveMu keeps derives one at a time: a sync's and a webhook's
	// derive of the same repo would otherwise race to write its values.
	deriveMu sync.Mutex
}

// NewSyncer returns the Syncer of cfg over st, with the collector of each
// provider its repos name (by store.GitHub, store.GitLab), the webhook
// appliers by the same names, and the deriver of the changed repos.
func NewSyncer(st *store.Store, cfg SyncConfig, providers map[string]Provider, webhooks map[string]WebhookFunc, d Deriver) *Syncer {
	return &Syncer{st: st, cfg: cfg, providers: providers, webhooks: webhooks, deriver: d}
}

// Run syncs the config's repos (only those named in only, when given),
// reporting progress to tracker (nil: none). The summary is returned
// whenever the run started, even with an error. Teams and derived values
// are brought up to date even after a partial run: what was committed is
// consistent. The error is the run's (cancelled) or the derive's;
// per-repo failures are in the summary.
func (s *Syncer) Run(ctx context.Context, only []string, tracker *Tracker) (*Summary, error) {
	repos, err := s.reposToSync(ctx, only)
	if err != nil {
		return nil, err
	}
	if err := s.readTeamMembers(ctx); err != nil {
		return nil, err
	}
	opts := Options{History: s.cfg.History, IncidentLabels: s.cfg.IncidentLabels, Workers: s.cfg.Workers}
	sum, runErr := Run(ctx, s.st, s.providers, repos, opts, tracker)
	derr := s.refresh(context.WithoutCancel(ctx))
	if runErr != nil {
		return sum, runErr
	}
	if derr != nil {
		return sum, fmt.Errorf("sync: derive: %w", derr)
	}
	return sum, nil
}

// SyncFunc is Run of every repo, for a Scheduler.
func (s *Syncer) SyncFunc() SyncFunc {
	return func(ctx context.Context, tracker *Tracker) (*Summary, error) {
		return s.Run(ctx, nil, tracker)
	}
}

// reposToSync turns the config's entries into repos, expanding groups into
// their projects and keeping only those named in only, when given.
func (s *Syncer) reposToSync(ctx context.Context, only []string) ([]Repo, error) {
	var out []Repo
	seen := map[string]bool{}
	add := func(r Repo) {
		key := r.Provider + ":" + strings.ToLower(r.Name)
		if seen[key] {
			return
		}
		seen[key] = true
		out = append(out, r)
	}
	// Own entries first: their settings win over a group's.
	for _, r := range s.cfg.Repos {
		add(r)
	}
	for _, g := range s.cfg.Groups {
		exp, ok := s.providers[g.Provider].(Expander)
		if !ok {
			return nil, fmt.Errorf("sync: %s cannot list the projects of group %s", providerTitle(g.Provider), g.Name)
		}
		names, err := exp.ExpandGroup(ctx, g.Name, g.IncludeArchived)
		if err != nil {
			return nil, err
		}
		for _, n := range names {
			if r, ok := s.cfg.Match(g.Provider, n); ok {
				add(r)
			}
		}
	}
	if err := s.expandOrgs(ctx, add); err != nil {
		return nil, err
	}
	if len(only) > 0 {
		var kept []Repo
		for _, name := range only {
			i := slices.IndexFunc(out, func(r Repo) bool { return strings.EqualFold(r.Name, name) })
			if i < 0 {
				return nil, &NotConfiguredError{Repo: name}
			}
			kept = append(kept, out[i])
		}
		out = kept
	}
	return out, nil
}

// providerTitle is a provider's name as its users write it.
func providerTitle(provider string) string {
	switch provider {
	case store.GitHub:
		return "GitHub"
	case store.GitLab:
		return "GitLab"
	}
	return provider
}

// refresh makes the teams and modules tables say what the config says and
// derives the repos whose rows changed: in this run, or in one killed
// before its derive step (the marks of store.DerivePending).
func (s *Syncer) refresh(ctx context.Context) error {
	err := s.st.Write(ctx, func(tx *store.Tx) error {
		all, err := s.st.Repos(ctx)
		if err != nil {
			return err
		}
		if s.cfg.Modules != nil {
			for _, r := range all {
				if mods, ok := s.cfg.Modules(r); ok {
					if err := tx.ReplaceModules(ctx, r.ID, mods); err != nil {
						return err
					}
				}
			}
		}
		return tx.ReplaceTeams(ctx, s.cfg.Teams(all))
	})
	if err != nil {
		return err
	}
	return s.DerivePending(ctx)
}

// DerivePending recomputes the derived values of the repos marked as out
// of date (store.DerivePending), and clears their marks.
func (s *Syncer) DerivePending(ctx context.Context) error {
	s.deriveMu.Lock()
	defer s.deriveMu.Unlock()
	marks, err := s.st.DerivePending(ctx)
	if err != nil || len(marks) == 0 {
		return err
	}
	if err := s.deriver.Derive(ctx, store.PendingIDs(marks)...); err != nil {
		return err
	}
	return s.st.ClearDerivePending(ctx, marks)
}

// Configured reports whether the config covers a repo of provider, by the
// provider's name for it (web.WebhookOptions.KnownRepo).
func (s *Syncer) Configured(provider, name string) bool {
	_, ok := s.cfg.Match(provider, name)
	return ok
}

// webhookConfig is what applying a webhook of provider needs of the
// config.
func (s *Syncer) webhookConfig(provider string) WebhookConfig {
	return WebhookConfig{
		IncidentLabels: s.cfg.IncidentLabels,
		History:        s.cfg.History,
		Repo:           func(name string) (Repo, bool) { return s.cfg.Match(provider, name) },
	}
}

// ApplyWebhook applies one event of provider (store.GitHub or
// store.GitLab; event is its X-GitHub-Event or X-Gitlab-Event header) and
// derives the repo it changed. See WebhookOutcome for what to record of
// it.
func (s *Syncer) ApplyWebhook(ctx context.Context, provider, event string, payload []byte) (Applied, error) {
	apply, ok := s.webhooks[provider]
	if !ok {
		return Applied{}, fmt.Errorf("webhook: unknown provider %q", provider)
	}
	a, err := apply(ctx, s.st, s.webhookConfig(provider), event, payload)
	if err != nil || a.Rows == 0 {
		return a, err
	}
	if err := s.DerivePending(ctx); err != nil {
		return a, fmt.Errorf("webhook %s of %s: derive: %w", a.Event, a.Repo, err)
	}
	return a, nil
}

// FirstDelay is how long a server waits before its first scheduled sync:
// until the database's last successful sync is interval old, and at least
// five seconds (time to start up; all it waits for a database never
// synced).
func (s *Syncer) FirstDelay(ctx context.Context, interval time.Duration) time.Duration {
	first := 5 * time.Second
	states, err := s.st.SyncStates(ctx)
	if err != nil {
		return first
	}
	var last time.Time
	for _, st := range states {
		if st.LastSuccessAt.After(last) {
			last = st.LastSuccessAt
		}
	}
	if wait := time.Until(last.Add(interval)); !last.IsZero() && wait > first {
		first = wait
	}
	return first
}
