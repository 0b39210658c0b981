package engine_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/tach-dev/tach/metrics"
	"github.com/tach-dev/tach/metrics/engine"
	"github.com/tach-dev/tach/store"
	"github.com/tach-dev/tach/store/storetest"
)

// TestTeamsFollowTheRepos checks what `tach serve` relies on to need no
// new reports after a sync: a repo synced after the reports were built
// joins the team the config gives it, in the team list, in a team's scope
// and in a page's view.
func TestTeamsFollowTheRepos(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	addRepo := func(name string) {
		t.Helper()
		err := st.Write(ctx, func(tx *store.Tx) error {
			_, _, err := tx.UpsertRepo(ctx, store.Repo{Provider: store.GitHub, Name: name, CreatedAt: cmpStart})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	// The config's team "core": every repo of acme.
	core := func(repos []store.Repo) []store.Team {
		team := store.Team{Name: "core"}
		for _, r := range repos {
			if strings.HasPrefix(r.Name, "acme/") {
				team.Repos = append(team.Repos, r.Name)
			}
		}
		return []store.Team{team}
	}
	addRepo("acme/api")
	addRepo("other/tool")
	reports := engine.NewReports(st, metrics.DefaultRules(), core)
	want := func(names ...string) {
		t.Helper()
		teams, err := reports.TeamList(ctx)
		if err != nil || len(teams) != 1 || !slices.Equal(teams[0].Repos, names) {
			t.Fatalf("teams %+v (%v), want core of %v", teams, err, names)
		}
		r, err := reports.Resolve(ctx, engine.Scope{Team: "core"})
		if err != nil || !slices.Equal(r.Names, names) {
			t.Fatalf("team core resolves to %v (%v), want %v", r.Names, err, names)
		}
		v, err := reports.View(ctx, engine.Scope{Team: "core"}, metrics.Window{From: cmpStart, To: cmpEnd}, cmpEnd, engine.WithoutRows())
		if err != nil || !slices.Equal(v.Scope.Names, names) || !slices.Equal(v.Report().Scope.Repos, names) {
			t.Fatalf("the view of team core covers %v (%v), want %v", v.Scope.Names, err, names)
		}
	}
	want("acme/api")
	addRepo("acme/worker")
	want("acme/api", "acme/worker")
}
