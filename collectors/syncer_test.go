package collectors_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tach-dev/tach/collectors"
	"github.com/tach-dev/tach/store"
	"github.com/tach-dev/tach/store/storetest"
)

// groupProvider is a provider whose group "acme" holds acme/api, acme/web
// and acme/old; syncing a repo writes one change.
type groupProvider struct {
	mu     sync.Mutex
	synced map[string]collectors.Repo
}

func (p *groupProvider) Name() string { return store.GitLab }

func (p *groupProvider) ExpandGroup(ctx context.Context, group string, includeArchived bool) ([]string, error) {
	return []string{group + "/api", group + "/web", "elsewhere/lib"}, nil
}

func (p *groupProvider) SyncRepo(ctx context.Context, repo collectors.Repo, sink *collectors.Sink) error {
	p.mu.Lock()
	p.synced[repo.Name] = repo
	p.mu.Unlock()
	at := time.Date(2025, 6, 2, 12, 0, 0, 0, time.UTC)
	return sink.Commit(ctx, collectors.ResourceChanges, store.SyncState{Watermark: at}, true, func(b *collectors.Batch) error {
		_, err := b.Change(ctx, store.Change{Number: 1, ProviderID: repo.Name + "!1", Title: "one", Author: "ann", State: "open", CreatedAt: at, UpdatedAt: at})
		return err
	})
}

// recordingDeriver records the repos it was asked to derive.
type recordingDeriver struct {
	mu  sync.Mutex
	ids []int64
	err error
}

func (d *recordingDeriver) Derive(ctx context.Context, ids ...int64) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.ids = append(d.ids, ids...)
	return d.err
}

// groupConfig names acme/api on its own (source deployments) and the group
// acme (source merges), and a team of every acme repo.
func groupConfig() collectors.SyncConfig {
	own := collectors.Repo{Provider: store.GitLab, Name: "acme/api", Source: "deployments"}
	return collectors.SyncConfig{
		Repos:  []collectors.Repo{own},
		Groups: []collectors.Group{{Provider: store.GitLab, Name: "acme"}},
		Match: func(provider, name string) (collectors.Repo, bool) {
			switch {
			case provider != store.GitLab:
				return collectors.Repo{}, false
			case strings.EqualFold(name, own.Name):
				return own, true
			case strings.HasPrefix(strings.ToLower(name), "acme/"):
				return collectors.Repo{Provider: store.GitLab, Name: name, Source: "merges"}, true
			}
			return collectors.Repo{}, false
		},
		Teams: func(repos []store.Repo) []store.Team {
			t := store.Team{Name: "platform"}
			for _, r := range repos {
				t.Repos = append(t.Repos, r.Name)
			}
			return []store.Team{t}
		},
		Workers: 2,
	}
}

func newGroupSyncer(t *testing.T) (*collectors.Syncer, *store.Store, *groupProvider, *recordingDeriver) {
	st := storetest.New(t)
	p := &groupProvider{synced: map[string]collectors.Repo{}}
	d := &recordingDeriver{}
	s := collectors.NewSyncer(st, groupConfig(), map[string]collectors.Provider{store.GitLab: p}, nil, d)
	return s, st, p, d
}

// TestSyncerExpandsGroupsAndDerives: a group's projects are synced with
// the group's settings except where the config names a project itself;
// projects the config does not cover are left out; the teams and the
// derived values of every repo written follow the run.
func TestSyncerExpandsGroupsAndDerives(t *testing.T) {
	ctx := context.Background()
	s, st, p, d := newGroupSyncer(t)
	sum, err := s.Run(ctx, nil, nil)
	if err != nil || len(sum.Failed()) != 0 {
		t.Fatalf("run: %v, %+v", err, sum)
	}
	if len(p.synced) != 2 || p.synced["acme/api"].Source != "deployments" || p.synced["acme/web"].Source != "merges" {
		t.Errorf("synced %+v; want acme/api by its own entry and acme/web by the group's", p.synced)
	}
	touched := sum.Touched()
	slices.Sort(touched)
	if !slices.Equal(d.ids, touched) || len(d.ids) != 2 {
		t.Errorf("derived %v, want the repos written %v", d.ids, sum.Touched())
	}
	if marks, err := st.DerivePending(ctx); err != nil || len(marks) != 0 {
		t.Errorf("derive marks left: %v, %v", marks, err)
	}
	teams, err := st.Teams(ctx)
	if err != nil || len(teams) != 1 || !slices.Equal(teams[0].Repos, []string{"acme/api", "acme/web"}) {
		t.Errorf("teams = %+v, %v", teams, err)
	}
	// The next sync is due an interval after this one, and never sooner
	// than the server's start-up.
	if got := s.FirstDelay(ctx, time.Hour); got < 59*time.Minute || got > time.Hour {
		t.Errorf("first delay after a sync = %v, want about an hour", got)
	}
	if got := s.FirstDelay(ctx, time.Second); got != 5*time.Second {
		t.Errorf("first delay with a short interval = %v, want 5s", got)
	}
}

// TestSyncerOnlyTheReposAsked: --repo keeps the repos named (any case,
// a group's projects included); a name the config does not cover is an
// error naming it, before any request.
func TestSyncerOnlyTheReposAsked(t *testing.T) {
	ctx := context.Background()
	s, _, p, _ := newGroupSyncer(t)
	if got := s.FirstDelay(ctx, time.Hour); got != 5*time.Second {
		t.Errorf("first delay of a database never synced = %v, want 5s", got)
	}
	sum, err := s.Run(ctx, []string{"ACME/WEB"}, nil)
	if err != nil || len(sum.Repos) != 1 || sum.Repos[0].Repo != "acme/web" {
		t.Fatalf("run of acme/web: %v, %+v", err, sum)
	}
	_, err = s.Run(ctx, []string{"acme/api", "acme/nope"}, nil)
	var nc *collectors.NotConfiguredError
	if !errors.As(err, &nc) || nc.Repo != "acme/nope" {
		t.Errorf("a repo not in the config: %v", err)
	}
	if _, ok := p.synced["acme/api"]; ok {
		t.Error("acme/api was synced by a run refused for another repo")
	}
}

// TestSyncerDeriveErrorAfterTheRows: a failed derive fails the run, and
// the marks stay for the next one.
func TestSyncerDeriveErrorAfterTheRows(t *testing.T) {
	ctx := context.Background()
	s, st, _, d := newGroupSyncer(t)
	d.err = errors.New("rules broken")
	sum, err := s.Run(ctx, nil, nil)
	if err == nil || !strings.Contains(err.Error(), "sync: derive: rules broken") || sum == nil || len(sum.Repos) != 2 {
		t.Fatalf("run = %+v, %v", sum, err)
	}
	if marks, err := st.DerivePending(ctx); err != nil || len(marks) != 2 {
		t.Errorf("derive marks = %v, %v; want both repos still marked", marks, err)
	}
}

// TestSyncerAppliesWebhooksByProvider: an event goes to its provider's
// applier with the config's view of that provider's repos, and the repo it
// wrote is derived; an event that wrote nothing derives nothing.
func TestSyncerAppliesWebhooksByProvider(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	d := &recordingDeriver{}
	gitlabHook := func(ctx context.Context, st *store.Store, cfg collectors.WebhookConfig, event string, payload []byte) (collectors.Applied, error) {
		a := collectors.Applied{Event: event, Repo: string(payload)}
		repo, ok := cfg.Repo(a.Repo)
		if !ok {
			return a, collectors.ErrWebhookUnknownRepo
		}
		if event == "Note Hook" {
			a.Ignored = "not used"
			return a, nil
		}
		err := st.Write(ctx, func(tx *store.Tx) error {
			id, _, err := tx.UpsertRepoName(ctx, store.GitLab, repo.Name)
			a.RepoID, a.Rows = id, 1
			if err != nil {
				return err
			}
			return tx.MarkDerivePending(ctx, id)
		})
		return a, err
	}
	s := collectors.NewSyncer(st, groupConfig(), nil, map[string]collectors.WebhookFunc{store.GitLab: gitlabHook}, d)

	a, err := s.ApplyWebhook(ctx, store.GitLab, "Merge Request Hook", []byte("ACME/WEB"))
	if err != nil || a.Rows != 1 || !slices.Equal(d.ids, []int64{a.RepoID}) {
		t.Fatalf("applied %+v, %v; derived %v", a, err, d.ids)
	}
	if _, err := st.RepoByName(ctx, "ACME/WEB"); err != nil {
		t.Errorf("a group's project is stored as the provider spells it: %v", err)
	}
	if a, err := s.ApplyWebhook(ctx, store.GitLab, "Note Hook", []byte("acme/web")); err != nil || a.Ignored == "" || len(d.ids) != 1 {
		t.Errorf("an ignored event: %+v, %v; derived %v", a, err, d.ids)
	}
	if _, err := s.ApplyWebhook(ctx, store.GitLab, "Push Hook", []byte("elsewhere/lib")); !errors.Is(err, collectors.ErrWebhookUnknownRepo) {
		t.Errorf("a project the config does not cover: %v", err)
	}
	if _, err := s.ApplyWebhook(ctx, store.GitHub, "push", nil); err == nil || !strings.Contains(err.Error(), `unknown provider "github"`) {
		t.Errorf("a provider without an applier: %v", err)
	}
	if !s.Configured(store.GitLab, "acme/web") || s.Configured(store.GitLab, "elsewhere/lib") || s.Configured(store.GitHub, "acme/api") {
		t.Error("Configured does not follow the config's Match")
	}
}
