package store_test

import (
	"testing"

	"github.com/tach-dev/tach/store"
	"github.com/tach-dev/tach/store/storetest"
)

// The page cache keeps the repos and teams while the generation stands:
// it moves when they change, and only then — a sync that writes the same
// teams keeps the cache.
func TestGenerationMovesWithReposAndTeams(t *testing.T) {
	st := storetest.New(t)
	gen := func() int64 {
		t.Helper()
		g, err := st.Generation(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	replace := func(teams []store.Team) {
		t.Helper()
		if err := st.Write(ctx, func(tx *store.Tx) error { return tx.ReplaceTeams(ctx, teams) }); err != nil {
			t.Fatal(err)
		}
	}
	g0 := gen()
	mustRepo(t, st, "acme/api")
	g1 := gen()
	if g1 == g0 {
		t.Fatal("a new repo left the generation where it was")
	}
	teams := []store.Team{{Name: "core", Repos: []string{"acme/api", "acme/not-synced-yet"}}, {Name: "empty"}}
	replace(teams)
	g2 := gen()
	if g2 == g1 {
		t.Fatal("new teams left the generation where it was")
	}
	replace(teams)
	mustRepo(t, st, "acme/api") // the same repo again
	if g := gen(); g != g2 {
		t.Fatalf("writing the same teams and repo moved the generation from %d to %d", g2, g)
	}
	mustRepo(t, st, "acme/not-synced-yet")
	g3 := gen()
	replace(teams) // now the team's second repo exists
	if g := gen(); g == g3 {
		t.Fatal("a team that gained a repo left the generation where it was")
	}
	got, err := st.Teams(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || len(got[0].Repos) != 2 || got[0].Name != "core" || got[1].Name != "empty" {
		t.Fatalf("teams = %+v", got)
	}
}
