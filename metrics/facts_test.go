package metrics

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
	"testing"
	"time"
)

// randomHistory is a repo's derived history with a bit of everything:
// drafts, bots, reviews, unknown sizes, open changes, deployments to
// production and staging that fail, re-run and roll back, incidents open
// and resolved, CI runs of every conclusion. Times are whole seconds, as
// the store keeps them.
func randomHistory(rng *rand.Rand, repoID int64, nextID *int64) (RepoHistory, []CIRun) {
	start := t0.Add(-120 * 24 * time.Hour)
	at := func(hours float64) time.Time {
		return start.Add(time.Duration(hours * float64(time.Hour))).Truncate(time.Second)
	}
	span := 150 * 24.0
	id := func() int64 { *nextID++; return *nextID }
	h := RepoHistory{RepoID: repoID, Rules: DefaultRepoRules()}
	var shas []string
	for range 40 + rng.IntN(80) {
		created := rng.Float64() * span
		c := Change{ID: id(), RepoID: repoID, Number: *nextID, Title: "feature", Author: "alice", State: "open",
			CreatedAt: at(created), BaseBranch: "main"}
		switch u := rng.Float64(); {
		case u < 0.1:
			c.Author = "dependabot[bot]"
		case u < 0.15:
			c.Author, c.AuthorIsBot = "helper", true
		case u < 0.25:
			c.Title = "fix: things"
		}
		if rng.Float64() < 0.8 {
			c.FirstCommitAt = at(created - rng.Float64()*48)
		}
		if rng.Float64() < 0.15 {
			c.Draft = true
			if rng.Float64() < 0.5 {
				c.ReadyAt = at(created + rng.Float64()*24)
			}
		} else if rng.Float64() < 0.7 {
			c.ReadyAt = c.CreatedAt
		}
		if rng.Float64() < 0.9 {
			c.Additions, c.Deletions, c.SizeKnown = rng.IntN(500), rng.IntN(300), true
		}
		for range rng.IntN(4) {
			c.Reviews = append(c.Reviews, Review{Author: []string{"bob", "carol", "alice", "ci[bot]"}[rng.IntN(4)],
				State: []string{"approved", "commented", "changes_requested"}[rng.IntN(3)], At: at(created + rng.Float64()*72)})
		}
		switch u := rng.Float64(); {
		case u < 0.75 && !c.Draft:
			c.State = "merged"
			c.MergedAt = at(created + rng.Float64()*96)
			c.MergeSHA = fmt.Sprintf("m%d", c.ID)
			shas = append(shas, c.MergeSHA)
		case u < 0.85:
			c.State, c.ClosedAt = "closed", at(created+rng.Float64()*96)
		}
		h.Changes = append(h.Changes, c)
	}
	var live []string
	for range 10 + rng.IntN(40) {
		finished := at(rng.Float64() * (span + 100))
		d := Deployment{ID: id(), RepoID: repoID, Environment: "production", Status: StatusSuccess,
			CreatedAt: finished.Add(-5 * time.Minute), FinishedAt: finished}
		switch u := rng.Float64(); {
		case u < 0.1:
			d.Status = StatusFailure
		case u < 0.15:
			d.Status = StatusError
		case u < 0.2:
			d.Environment = "staging"
		case u < 0.23:
			d.Status, d.FinishedAt = StatusPending, time.Time{}
		}
		if len(live) > 2 && rng.Float64() < 0.15 {
			d.SHA = live[rng.IntN(len(live)-1)] // a rollback, or a re-run
		} else if len(shas) > 0 {
			d.SHA = shas[rng.IntN(len(shas))]
		}
		live = append(live, d.SHA)
		h.Deployments = append(h.Deployments, d)
	}
	for range rng.IntN(12) {
		created := rng.Float64() * span
		in := Incident{ID: id(), RepoID: repoID, Number: *nextID, Title: "down", CreatedAt: at(created)}
		if rng.Float64() < 0.8 {
			in.ResolvedAt = at(created + rng.Float64()*30)
		}
		h.Incidents = append(h.Incidents, in)
	}
	var runs []CIRun
	for range rng.IntN(100) {
		finished := rng.Float64() * span
		run := CIRun{ID: id(), RepoID: repoID, Name: "ci", Status: "completed",
			Conclusion: []string{"success", "success", "Failure", "cancelled", "skipped", "SUCCESS", ""}[rng.IntN(7)],
			CreatedAt:  at(finished - 2), FinishedAt: at(finished)}
		if rng.Float64() < 0.9 {
			run.StartedAt = at(finished - rng.Float64()*2)
		}
		if rng.Float64() < 0.05 {
			run.FinishedAt = time.Time{}
		}
		runs = append(runs, run)
	}
	return h, runs
}

func randomDataset(seed uint64, r Rules) Dataset {
	rng := rand.New(rand.NewPCG(seed, 1))
	var ds Dataset
	next := int64(0)
	for repo := int64(1); repo <= 3; repo++ {
		h, runs := randomHistory(rng, repo, &next)
		out := Derive(h, r)
		ds.Changes = append(ds.Changes, out.Changes...)
		ds.Deployments = append(ds.Deployments, out.Deployments...)
		ds.Incidents = append(ds.Incidents, out.Incidents...)
		ds.CIRuns = append(ds.CIRuns, runs...)
	}
	return ds
}

func reportJSON(t *testing.T, r Report) string {
	t.Helper()
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestComputeFactsIsCompute checks that a report from facts is the report
// from rows, byte for byte in JSON, over random histories, windows (whole
// days and arbitrary instants), time zones and rules.
func TestComputeFactsIsCompute(t *testing.T) {
	locs := []*time.Location{time.UTC, mustLoad(t, "Europe/Berlin"), mustLoad(t, "America/New_York"), mustLoad(t, "Asia/Kathmandu")}
	checked := 0
	for seed := uint64(1); seed <= 40; seed++ {
		r := DefaultRules()
		r.Location = locs[seed%uint64(len(locs))]
		r.IncludeBotChanges = seed%3 == 0
		if seed%5 == 0 {
			r.Bots = regexp.MustCompile(`^help`)
			r.StaleReview = 5 * time.Hour
		}
		ds := randomDataset(seed, r)
		facts := FactsOf(ds, r)
		rng := rand.New(rand.NewPCG(seed, 2))
		for range 12 {
			from := t0.Add(-time.Duration(rng.IntN(130*24)) * time.Hour)
			var w Window
			switch rng.IntN(3) {
			case 0: // whole weeks in the location
				w = LastWholeWeeks(from, 1+rng.IntN(16), r.Location)
			case 1: // whole days
				f := from.In(r.Location)
				d0 := time.Date(f.Year(), f.Month(), f.Day(), 0, 0, 0, 0, r.Location)
				w = Window{From: d0, To: d0.AddDate(0, 0, 1+rng.IntN(120))}
			default: // any instants
				w = Window{From: from.Add(time.Duration(rng.Int64N(int64(time.Hour)))), To: from.Add(time.Duration(rng.Int64N(int64(2000 * time.Hour))))}
			}
			now := t0.Add(time.Duration(rng.IntN(200)-100) * time.Hour).Add(time.Duration(rng.IntN(1e9)))
			want := reportJSON(t, Compute(ds, w, r, now))
			got := reportJSON(t, ComputeFacts(facts, w, r, now))
			if got != want {
				t.Fatalf("seed %d, window %v–%v in %s:\nfacts %s\nrows  %s", seed, w.From, w.To, r.Location, got, want)
			}
			// Facts kept for the window give the same report.
			if kept := reportJSON(t, ComputeFacts(facts.Keep(w), w, r, now)); kept != want {
				t.Fatalf("seed %d: kept facts differ:\n%s\n%s", seed, kept, want)
			}
			checked++
		}
	}
	t.Logf("%d reports compared", checked)
}

func TestWeeklyFactsIsWeekly(t *testing.T) {
	for seed := uint64(1); seed <= 10; seed++ {
		r := DefaultRules()
		if seed%2 == 0 {
			r.Location = mustLoad(t, "America/New_York")
		}
		ds := randomDataset(seed, r)
		w := LastWholeWeeks(t0.Add(time.Duration(seed)*24*time.Hour), 4+int(seed), r.Location)
		want := Weekly(ds, w, r, t0)
		got := WeeklyFacts(FactsOf(ds, r), w, r, t0)
		if len(got) != len(want) {
			t.Fatalf("seed %d: %d weeks, want %d", seed, len(got), len(want))
		}
		for i := range want {
			if !got[i].Start.Equal(want[i].Start) || reportJSON(t, got[i].Report) != reportJSON(t, want[i].Report) {
				t.Fatalf("seed %d week %d:\n%s\n%s", seed, i, reportJSON(t, got[i].Report), reportJSON(t, want[i].Report))
			}
		}
	}
}

// Aggregates of a window, its weeks and the period before, fed in two
// halves and merged, give the reports ComputeFacts gives.
func TestAggregatesMerge(t *testing.T) {
	for seed := uint64(1); seed <= 8; seed++ {
		r := DefaultRules()
		ds := randomDataset(seed, r)
		f := FactsOf(ds, r)
		w := LastWholeWeeks(t0, 6, r.Location)
		prev := Window{From: w.From.AddDate(0, 0, -42), To: w.From}
		half := func(i int) Facts {
			var g Facts
			pick := func(n int) bool { return n%2 == i }
			for n, x := range f.Shipped {
				if pick(n) {
					g.Shipped = append(g.Shipped, x)
				}
			}
			for n, x := range f.Merged {
				if pick(n) {
					g.Merged = append(g.Merged, x)
				}
			}
			for n, x := range f.Deploys {
				if pick(n) {
					g.Deploys = append(g.Deploys, x)
				}
			}
			for n, x := range f.CIRuns {
				if pick(n) {
					g.CIRuns = append(g.CIRuns, x)
				}
			}
			if i == 0 {
				g.Recoveries, g.Restores, g.Open, g.OpenIncidents = f.Recoveries, f.Restores, f.Open, f.OpenIncidents
			}
			return g
		}
		a, b := NewAggregates(w, prev, r), NewAggregates(w, prev, r)
		a.Window.KeepSlowest(5)
		b.Window.KeepSlowest(5)
		half(0).Feed(a)
		half(1).Feed(b)
		a.Merge(b)
		rep, _ := a.Window.Report(t0)
		if got, want := reportJSON(t, rep), reportJSON(t, ComputeFacts(f, w, r, t0)); got != want {
			t.Fatalf("seed %d window:\n%s\n%s", seed, got, want)
		}
		prevFacts := f
		prevFacts.CIRuns = nil
		rep, _ = a.PreviousReport(t0)
		if got, want := reportJSON(t, rep), reportJSON(t, ComputeFacts(prevFacts, prev, r, t0)); got != want {
			t.Fatalf("seed %d previous:\n%s\n%s", seed, got, want)
		}
		weeks, _ := a.WeekReports(t0)
		for i, wk := range Weekly(ds, w, r, t0) {
			if got, want := reportJSON(t, weeks[i].Report), reportJSON(t, wk.Report); got != want {
				t.Fatalf("seed %d week %d:\n%s\n%s", seed, i, got, want)
			}
		}
		rows := LeadTimeRows(ds, w, r)
		slices.SortStableFunc(rows, func(x, y ChangeTiming) int {
			if x.LeadTime != y.LeadTime {
				return int(y.LeadTime - x.LeadTime)
			}
			return int(x.Change.ID - y.Change.ID)
		})
		slowest := a.Window.Slowest()
		for i := range min(5, len(rows)) {
			if slowest[i].ChangeID != rows[i].Change.ID {
				t.Fatalf("seed %d: slowest[%d] = change %d, want %d", seed, i, slowest[i].ChangeID, rows[i].Change.ID)
			}
		}
	}
}
