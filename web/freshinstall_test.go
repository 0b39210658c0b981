package web_test

import (
	"context"
	"log/slog"
	"net/http"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/tach-dev/tach/collectors"
	"github.com/tach-dev/tach/collectors/github"
	"github.com/tach-dev/tach/collectors/github/githubtest"
	"github.com/tach-dev/tach/metrics"
	"github.com/tach-dev/tach/metrics/engine"
	"github.com/tach-dev/tach/store"
	"github.com/tach-dev/tach/web"
)

// A fresh install: a repo with a year of history at its provider, synced
// for the first time with sync.history of 120 days. Before the history
// fix, the overview compared its 12 weeks with the 12 before, most of
// which lay before the synced history, counted them as zero deployments,
// and called deployment frequency "▲ +140 % better".

// freshHistory is how far back the first sync reads.
const freshHistory = 120 * 24 * time.Hour

// freshNow is the present of the fresh install: a Wednesday noon.
var freshNow = time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC)

var fresh struct {
	once    sync.Once
	err     error
	st      *store.Store
	reports *engine.Reports
	log     *engine.DecisionLog
}

// freshInstall syncs the fake GitHub's repo into a new database with a
// short history, through the collectors and the derive step as `tach
// sync` runs them, once per test binary.
func freshInstall(t *testing.T) (*store.Store, *engine.Reports, *engine.DecisionLog) {
	t.Helper()
	fresh.once.Do(func() {
		ctx := context.Background()
		srv := githubtest.New(t)
		srv.SetNow(func() time.Time { return freshNow })
		repo := srv.AddRepo("acme/api")
		repo.Generate(githubtest.History{PRs: 900, Deployments: 330, Runs: 1200, Incidents: 24, End: freshNow, Span: 330 * 24 * time.Hour})
		p, err := github.New(github.Options{BaseURL: srv.BaseURL(), GraphQLURL: srv.GraphQLURL(), Token: githubtest.DefaultToken,
			Transport: srv.Client().Transport, Now: func() time.Time { return freshNow }})
		if err != nil {
			fresh.err = err
			return
		}
		st, err := store.Open(ctx, filepath.Join(testDir, "fresh.db"))
		if err != nil {
			fresh.err = err
			return
		}
		rules := metrics.DefaultRepoRules() // deployments, linked by commits, to production
		envs := rules.Environments
		sum, err := collectors.Run(ctx, st, map[string]collectors.Provider{store.GitHub: p},
			[]collectors.Repo{{Provider: store.GitHub, Name: "acme/api", Source: "deployments", Environments: envs, Link: "commits"}},
			collectors.Options{History: freshHistory, IncidentLabels: []string{"incident"}, Workers: 1, Now: func() time.Time { return freshNow }}, nil)
		if err == nil && len(sum.Failed()) > 0 {
			err = sum.Failed()[0].Err
		}
		if err == nil {
			err = engine.NewDeriver(st, metrics.DefaultRules(), map[string]metrics.RepoRules{"acme/api": rules}).Derive(ctx)
		}
		fresh.err, fresh.st = err, st
		fresh.reports = engine.NewReports(st, metrics.DefaultRules(), nil)
		fresh.log = engine.NewDecisionLog(fresh.reports)
	})
	if fresh.err != nil {
		t.Fatalf("fresh install: %v", fresh.err)
	}
	return fresh.st, fresh.reports, fresh.log
}

// freshHandler is the dashboard over the fresh install at its present.
func freshHandler(t *testing.T) http.Handler {
	t.Helper()
	st, reports, log := freshInstall(t)
	return web.New(web.Options{
		Reports: reports, Decisions: log, Store: st,
		Logger: slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn})),
		Now:    func() time.Time { return freshNow },
	})
}
