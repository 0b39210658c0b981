// Package demo writes a fictional organisation's year of engineering data
// into a store, so tach can be tried without a token and its numbers can be
// checked against effects built in on purpose.
//
// The organisation, Acme, is described in org.go: five repositories on
// GitHub and GitLab in two teams, about fifteen engineers and two dependency
// bots, and three recorded decisions whose effects the data carries (and
// nothing else moving at their dates). The generator plays each repository's
// history forward event by event: changes with reviews and CI runs,
// deployments with commit ranges (staging, failed attempts, re-runs,
// rollbacks), incidents and the hotfixes and reverts that follow them. Rows
// are written as they become final, about a thousand per transaction, so
// memory stays flat at any scale.
//
// The same Options always give the same rows: every draw comes from
// math/rand/v2 PCG streams seeded from Options.Seed and the repository's
// name, and no clock or map order is consulted. (The store itself stamps a
// decision's updated_at with the time of writing.)
package demo

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/tach-dev/tach/store"
)

// Options say what to generate.
type Options struct {
	// End is when the data stops: the Monday 00:00 UTC of the current week,
	// so that the last whole weeks are full. The history is the 52 weeks
	// before it.
	End time.Time
	// Seed picks one of many equally realistic histories.
	Seed int64
	// Scale is about how many changes to write in total, everything else in
	// proportion; 0 is the default organisation (about 2,500 changes).
	Scale int
}

// baseChanges is about how many changes the default organisation has; Scale
// divides by it.
const baseChanges = 2480

// acmeChanges is about how many changes Acme's repos have over a large
// organisation's three years.
const acmeChanges = 7400

// Summary counts the rows written, per table.
type Summary struct {
	Repos             int
	Teams             int
	Changes           int
	Reviews           int
	ChangeFiles       int // files changes touched (not in String: its line is as it was)
	Deployments       int
	DeploymentCommits int
	Incidents         int
	CIRuns            int
	Decisions         int
}

func (s Summary) String() string {
	return fmt.Sprintf("%d repos, %d teams, %d changes, %d reviews, %d deployments (%d range commits), %d incidents, %d CI runs, %d decisions",
		s.Repos, s.Teams, s.Changes, s.Reviews, s.Deployments, s.DeploymentCommits, s.Incidents, s.CIRuns, s.Decisions)
}

// Generate writes the demo organisation into st: repositories, teams,
// changes with reviews, deployments with commit ranges, incidents, CI runs,
// decisions and the demo marker. It writes raw rows only; run the metrics
// engine's Derive afterwards, with the rules of RepoSettings.
func Generate(ctx context.Context, st *store.Store, opt Options) (Summary, error) {
	var sum Summary
	if opt.End.IsZero() {
		return sum, errors.New("generate demo: no end time given")
	}
	if opt.Scale < 0 {
		return sum, fmt.Errorf("generate demo: scale %d is negative", opt.Scale)
	}
	org := opt.Scale >= orgScale
	weeks := historyWeeks
	if org {
		weeks = orgWeeks
	}
	clk := newClockWeeks(opt.End.UTC().Truncate(time.Second), weeks)
	scale := 1.0
	if opt.Scale > 0 && !org {
		scale = float64(opt.Scale) / baseChanges
	}
	defs := repoDefs
	var teams []store.Team
	for _, team := range []string{teamCheckout, teamPlatform} {
		t := store.Team{Name: team}
		for _, d := range repoDefs {
			if d.team == team {
				t.Repos = append(t.Repos, d.name)
			}
		}
		teams = append(teams, t)
	}
	if org {
		gen, genTeams := orgDefs(opt.Scale, opt.Seed)
		defs = append(slices.Clone(defs), gen...)
		teams = append(teams, genTeams...)
	}

	ids := make([]int64, len(defs))
	err := st.Write(ctx, func(tx *store.Tx) error {
		for i, d := range defs {
			created := clk.start.Add(-d.age).Add(9*time.Hour + time.Duration(i*17)*time.Minute)
			if d.age == 0 {
				created = clk.split.Add(9*time.Hour + 47*time.Minute)
			}
			id, _, err := tx.UpsertRepo(ctx, store.Repo{Provider: d.provider, Name: d.name, ProviderID: d.providerID,
				DefaultBranch: "main", URL: d.url(), CreatedAt: created})
			if err != nil {
				return err
			}
			// The demo holds every record from its first week.
			if _, err := tx.InitHistoryStart(ctx, id, clk.start); err != nil {
				return err
			}
			ids[i] = id
			if d.name == repoMonolith {
				if err := tx.ReplaceModules(ctx, id, Modules()); err != nil {
					return err
				}
			}
		}
		return tx.ReplaceTeams(ctx, teams)
	})
	if err != nil {
		return sum, fmt.Errorf("generate demo: %w", err)
	}
	sum.Repos, sum.Teams = len(defs), len(teams)

	w, err := newWriter(ctx, st, &sum)
	if err != nil {
		return sum, fmt.Errorf("generate demo: %w", err)
	}
	for i, d := range defs {
		if err := newSim(d, clk, w, ids[i], opt.Seed, scale).run(); err != nil {
			return sum, fmt.Errorf("generate demo: %w", err)
		}
	}
	for _, d := range clk.decisions() {
		sum.Decisions++
		if err := w.add(1, func(tx *store.Tx) error {
			_, err := tx.InsertDecision(ctx, d)
			return err
		}); err != nil {
			return sum, fmt.Errorf("generate demo: %w", err)
		}
	}
	if err := w.add(1, func(tx *store.Tx) error { return tx.SetMeta(ctx, store.MetaDemo, "1") }); err != nil {
		return sum, fmt.Errorf("generate demo: %w", err)
	}
	if err := w.flush(); err != nil {
		return sum, fmt.Errorf("generate demo: %w", err)
	}
	return sum, nil
}

// Rows is the number of rows written in all tables.
func (s Summary) Rows() int {
	return s.Repos + s.Teams + s.Changes + s.Reviews + s.Deployments + s.DeploymentCommits + s.Incidents + s.CIRuns + s.Decisions
}
