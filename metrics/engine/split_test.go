package engine_test

import (
	"context"
	"fmt"
	"regexp"
	"testing"

	"github.com/tach-dev/tach/metrics"
	"github.com/tach-dev/tach/metrics/engine"
	"github.com/tach-dev/tach/store"
	"github.com/tach-dev/tach/store/storetest"
)

// figureOf reads a breakdown's figure from a report.
var figureOf = map[metrics.Figure]func(metrics.Report) (*float64, int){
	metrics.FigureDeploymentsPerWeek: func(r metrics.Report) (*float64, int) {
		return r.DeploymentFrequency.PerWeek, r.DeploymentFrequency.Deployments
	},
	metrics.FigureLeadTime: func(r metrics.Report) (*float64, int) { return r.LeadTime.MedianSeconds, r.LeadTime.Count },
	metrics.FigureChangeFailureRate: func(r metrics.Report) (*float64, int) {
		return r.ChangeFailureRate.Rate, r.ChangeFailureRate.Deployments
	},
	metrics.FigureRecoveryTime: func(r metrics.Report) (*float64, int) { return r.RecoveryTime.MedianSeconds, r.RecoveryTime.Count },
	metrics.FigureReworkRate:   func(r metrics.Report) (*float64, int) { return r.ReworkRate.Rate, r.ReworkRate.Deployments },
	metrics.FigureCoding: func(r metrics.Report) (*float64, int) {
		return r.CycleTime.Coding.MedianSeconds, r.CycleTime.Coding.Count
	},
	metrics.FigurePickup: func(r metrics.Report) (*float64, int) {
		return r.CycleTime.Pickup.MedianSeconds, r.CycleTime.Pickup.Count
	},
	metrics.FigureMergedPerWeek: func(r metrics.Report) (*float64, int) { return r.Throughput.PerWeek, r.Throughput.Merged },
	metrics.FigurePRSize:        func(r metrics.Report) (*float64, int) { return r.PRSize.MedianLines, r.PRSize.Count },
	metrics.FigureCI:            func(r metrics.Report) (*float64, int) { return r.CI.MedianSeconds, r.CI.Runs },
}

// TestSplitIsEachPartsReport: each part of a split, and its whole, read
// in either period what the report of that scope and period says — from
// rollups, and from rows when the rollups do not match the rules.
func TestSplitIsEachPartsReport(t *testing.T) {
	storetest.Long(t)
	ctx := context.Background()
	st, _ := demoStore(t)
	teams := func([]store.Repo) []store.Team {
		return []store.Team{{Name: "shop", Repos: []string{"acme/web", "acme/catalog"}}, {Name: "everything", Repos: []string{"acme/web", "acme/catalog", "acme/payments", "acme/shop-monolith", "acme-platform/infra/terraform"}}}
	}
	current := metrics.LastWholeWeeks(demoEnd, 4, nil)
	previous := metrics.Window{From: current.From.AddDate(0, 0, -28), To: current.From}
	week := metrics.Window{From: current.To.AddDate(0, 0, -7), To: current.To}
	otherBots := metrics.DefaultRules()
	otherBots.Bots = regexp.MustCompile(`(?i)bot`) // not the rollups' rules: read from rows
	for _, rules := range []metrics.Rules{metrics.DefaultRules(), otherBots} {
		eng := engine.NewReports(st, rules, teams)
		for _, c := range []struct {
			name     string
			cur, old metrics.Window
		}{{"4 weeks", current, previous}, {"a week against 4", week, metrics.Window{From: week.From.AddDate(0, 0, -28), To: week.From}}} {
			split, err := eng.Split(ctx, engine.Scope{}, c.cur, c.old)
			if err != nil {
				t.Fatal(err)
			}
			report := func(sc engine.Scope, w metrics.Window) metrics.Report {
				rep, err := eng.Report(ctx, sc, w, demoEnd)
				if err != nil {
					t.Fatal(err)
				}
				return rep
			}
			check := func(what string, sc engine.Scope, row metrics.BreakdownRow, f metrics.Figure, of func(metrics.Report) (*float64, int)) {
				t.Helper()
				for _, side := range []struct {
					got metrics.BreakdownSide
					w   metrics.Window
				}{{row.Current, c.cur}, {row.Previous, c.old}} {
					want, n := of(report(sc, side.w))
					if fmt.Sprint(deref(side.got.Value)) != fmt.Sprint(deref(want)) || side.got.N != n {
						t.Errorf("%s, %s, %s over %v: %v of %d; the report says %v of %d", c.name, what, f, side.w.From, deref(side.got.Value), side.got.N, deref(want), n)
					}
				}
			}
			var dims []string
			for f, of := range figureOf {
				b := split.Breakdown(f)
				check("the whole", engine.Scope{}, b.Total, f, of)
				dims = dims[:0]
				for _, dim := range b.By {
					dims = append(dims, dim.Dimension)
					for _, row := range dim.Rows {
						sc := engine.Scope{Repos: []string{row.Name}}
						if dim.Dimension == metrics.DimensionTeam {
							sc = engine.Scope{Team: row.Name}
						}
						check(row.Name, sc, row, f, of)
					}
				}
			}
			// The team of every repo is the whole: no part of it.
			if fmt.Sprint(dims) != "[repo team]" || len(split.Breakdown(metrics.FigureLeadTime).By[1].Rows) != 1 {
				t.Errorf("dimensions %v, teams %+v; want repos, and the team shop alone", dims, split.Breakdown(metrics.FigureLeadTime).By)
			}
		}
	}
}

func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

// A team by people in repos they wrote nothing of: those repos are no
// row of its breakdown (each was a row of nothing), the others are.
func TestSplitOfPeopleLeavesOutRepoTheyDidNotTouch(t *testing.T) {
	storetest.Long(t)
	ctx := context.Background()
	st, _ := demoStore(t)
	teams := func([]store.Repo) []store.Team {
		return []store.Team{{Name: "people", Members: []string{"jonas-b"}}}
	}
	eng := engine.NewReports(st, metrics.DefaultRules(), teams)
	current := metrics.LastWholeWeeks(demoEnd, 4, nil)
	previous := metrics.Window{From: current.From.AddDate(0, 0, -28), To: current.From}
	split, err := eng.Split(ctx, engine.Scope{Team: "people"}, current, previous)
	if err != nil {
		t.Fatal(err)
	}
	b := split.Breakdown(metrics.FigurePRSize) // N: the changes merged
	var rows []string
	for _, dim := range b.By {
		for _, row := range dim.Rows {
			rows = append(rows, row.Name)
			if row.Current.N == 0 && row.Previous.N == 0 {
				t.Errorf("%s: a row with nothing merged in either period", row.Name)
			}
		}
	}
	if len(rows) == 0 || len(rows) >= 5 || b.Total.Current.N == 0 {
		t.Errorf("rows %v of the demo's 5 repos, %d merged in all", rows, b.Total.Current.N)
	}
}
