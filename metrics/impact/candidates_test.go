package impact_test

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/tach-dev/tach/metrics"
	"github.com/tach-dev/tach/metrics/impact"
	"github.com/tach-dev/tach/metrics/render"
)

// A year of two repos in team "shop": acme/mono from the start, whose lead
// time drops from about 40 h to about 15 h in week 30; acme/svc, created in
// week 20, split out of mono with a 4,000-line "Extract billing" change.

var candStart = time.Date(2025, 1, 6, 0, 0, 0, 0, time.UTC) // a Monday

func candWeek(n int) time.Time { return candStart.AddDate(0, 0, 7*n) }

func candInput() impact.CandidateInput {
	rng := rand.New(rand.NewPCG(21, 12))
	var ds metrics.Dataset
	id := int64(0)
	next := func() int64 { id++; return id }
	ship := func(repo int64, from, to time.Time, lead func(time.Time) time.Duration) {
		for d := from; d.Before(to); d = d.AddDate(0, 0, 1) {
			if d.Weekday() == time.Saturday || d.Weekday() == time.Sunday {
				continue
			}
			at := d.Add(15 * time.Hour)
			dep := metrics.Deployment{ID: next(), RepoID: repo, Environment: "production", Status: metrics.StatusSuccess,
				CreatedAt: at, FinishedAt: at, Production: true, Failed: rng.Float64() < 0.05}
			for range 2 {
				l := time.Duration(float64(lead(d)) * math.Exp(0.3*rng.NormFloat64()))
				size := int(100 * math.Exp(0.5*rng.NormFloat64()))
				ds.Changes = append(ds.Changes, metrics.Change{ID: next(), RepoID: repo, Number: id, Title: "Add a thing", Author: "dev",
					State: "merged", CreatedAt: at.Add(-l), FirstCommitAt: at.Add(-l), MergedAt: at.Add(-time.Hour),
					Additions: size, SizeKnown: true, DeploymentID: dep.ID, DeployedAt: at})
			}
			ds.Deployments = append(ds.Deployments, dep)
		}
	}
	ship(1, candStart, candWeek(52), func(t time.Time) time.Duration {
		if t.Before(candWeek(30)) {
			return 40 * time.Hour
		}
		return 15 * time.Hour
	})
	ship(2, candWeek(20).Add(24*time.Hour), candWeek(52), func(time.Time) time.Duration { return 20 * time.Hour })
	extract := candWeek(20).Add(34 * time.Hour)
	ds.Changes = append(ds.Changes, metrics.Change{ID: next(), RepoID: 1, Number: 9001, Title: "Extract billing into acme/svc", Author: "dev",
		Labels: []string{"refactor"}, State: "merged", CreatedAt: extract.Add(-72 * time.Hour), MergedAt: extract, Additions: 200,
		Deletions: 3800, SizeKnown: true})
	// A rewrite on its own, far from the split.
	rewrite := candWeek(45).Add(40 * time.Hour)
	ds.Changes = append(ds.Changes, metrics.Change{ID: next(), RepoID: 1, Number: 9003, Title: "Rewrite the invoice queries", Author: "dev",
		State: "merged", CreatedAt: rewrite.Add(-48 * time.Hour), MergedAt: rewrite, Additions: 2500, Deletions: 900, SizeKnown: true})
	// A large change that is no refactor is not suggested.
	ds.Changes = append(ds.Changes, metrics.Change{ID: next(), RepoID: 1, Number: 9002, Title: "Add the new checkout", Author: "dev",
		State: "merged", CreatedAt: candWeek(40), MergedAt: candWeek(40).Add(time.Hour), Additions: 5000, SizeKnown: true})
	return impact.CandidateInput{
		Repos: []impact.CandidateRepo{
			{ID: 1, Name: "acme/mono", CreatedAt: candStart.AddDate(-3, 0, 0), Team: "shop"},
			{ID: 2, Name: "acme/svc", CreatedAt: candWeek(20).Add(9 * time.Hour), Team: "shop"},
		},
		Teams:   map[string][]string{"shop": {"acme/mono", "acme/svc"}},
		Dataset: ds,
		Rules:   metrics.DefaultRules(),
		Now:     candWeek(52).Add(50 * time.Hour),
	}
}

// suggest is SuggestDecisions with the evidence in words, as the engine
// gives it.
func suggest(in impact.CandidateInput) []impact.Candidate {
	cands, err := impact.SuggestDecisions(in)
	if err != nil {
		panic(err) // no Stop: it cannot fail
	}
	render.ExplainCandidates(cands)
	return cands
}

func bySource(cands []impact.Candidate) map[string][]impact.Candidate {
	out := map[string][]impact.Candidate{}
	for _, c := range cands {
		out[c.Source] = append(out[c.Source], c)
	}
	return out
}

func TestSuggestDecisionsFindsEachSource(t *testing.T) {
	cands := suggest(candInput())
	got := bySource(cands)
	if len(got[impact.CandidateNewRepo]) != 1 || len(got[impact.CandidateLargeChange]) != 1 {
		t.Fatalf("candidates: %+v", cands)
	}
	// The new repo and the change that extracted it, a day apart in the
	// same team, are one suggestion with both pieces of evidence.
	nr := got[impact.CandidateNewRepo][0]
	evidence := strings.Join(nr.Evidence, " | ")
	if nr.Date != "2025-05-26" || nr.Team != "shop" || len(nr.Repos) != 0 || nr.Kind != "architecture" || !strings.Contains(nr.Title, "acme/svc") ||
		!strings.Contains(evidence, "created on 2025-05-26") || !strings.Contains(evidence, `#9001 "Extract billing into acme/svc" merged on 2025-05-27: 4000 lines`) {
		t.Errorf("new repo: %+v", nr)
	}
	lc := got[impact.CandidateLargeChange][0]
	if lc.Date != "2025-11-18" || lc.Title != "Rewrite the invoice queries" || lc.Kind != "data-access" ||
		len(lc.Repos) != 1 || lc.Repos[0] != "acme/mono" || !strings.Contains(lc.Evidence[0], "3400 lines") || len(lc.Evidence) != 1 {
		t.Errorf("large change: %+v", lc)
	}
	var leadShift *impact.Candidate
	for i, c := range got[impact.CandidateShift] {
		if c.Repos[0] == "acme/mono" && strings.Contains(strings.Join(c.Evidence, " "), "lead time (weekly median) fell") {
			leadShift = &got[impact.CandidateShift][i]
		}
	}
	if leadShift == nil {
		t.Fatalf("no lead-time shift in acme/mono: %+v", got[impact.CandidateShift])
	}
	if d, _ := time.Parse(time.DateOnly, leadShift.Date); d.Before(candWeek(29)) || d.After(candWeek(31)) {
		t.Errorf("shift dated %s, want the week of %s", leadShift.Date, candWeek(30).Format(time.DateOnly))
	}
	// acme/svc's start is not a shift of its own deployments.
	for _, c := range got[impact.CandidateShift] {
		if c.Repos[0] == "acme/svc" {
			t.Errorf("a new repo's start taken for a shift: %+v", c)
		}
	}
	// Newest first, ids stable and distinct.
	for i := 1; i < len(cands); i++ {
		if cands[i].Date > cands[i-1].Date {
			t.Errorf("not newest first: %s before %s", cands[i-1].Date, cands[i].Date)
		}
	}
	again := suggest(candInput())
	seen := map[string]bool{}
	for i, c := range cands {
		if again[i].ID != c.ID || seen[c.ID] || !strings.HasPrefix(c.ID, "c") {
			t.Errorf("ids: %s vs %s", c.ID, again[i].ID)
		}
		seen[c.ID] = true
	}
	raw, _ := json.Marshal(nr)
	if !strings.Contains(string(raw), `"team":"shop"`) {
		t.Errorf("JSON: %s", raw)
	}
	raw, _ = json.Marshal(lc)
	if !strings.Contains(string(raw), `"team":null`) || !strings.Contains(string(raw), `"repos":["acme/mono"]`) {
		t.Errorf("JSON: %s", raw)
	}
}

func TestSuggestDecisionsLeavesOutWhatIsRecordedOrAnswered(t *testing.T) {
	in := candInput()
	all := suggest(in)
	shift := bySource(all)[impact.CandidateShift][0]

	// The split, recorded for team shop three days after the repo appeared,
	// covers the new repo and its extract change (acme/mono is in shop), not
	// the rewrite months later.
	in.Recorded = []impact.CandidateScope{{Day: candWeek(20).AddDate(0, 0, 3), Team: "shop"}}
	got := bySource(suggest(in))
	if len(got[impact.CandidateNewRepo]) != 0 || len(got[impact.CandidateLargeChange]) != 1 || len(got[impact.CandidateShift]) == 0 {
		t.Errorf("after recording the split: %+v", got)
	}
	// A decision about another repo, or far from the day, covers nothing.
	in.Recorded = []impact.CandidateScope{
		{Day: candWeek(20), Repos: []string{"acme/other"}},
		{Day: candWeek(26), Team: "shop"},
	}
	if n := len(suggest(in)); n != len(all) {
		t.Errorf("unrelated decisions removed candidates: %d of %d left", n, len(all))
	}
	// A decision about everything covers every scope.
	in.Recorded = []impact.CandidateScope{{Day: candWeek(20).AddDate(0, 0, -2)}}
	if got := bySource(suggest(in)); len(got[impact.CandidateNewRepo]) != 0 {
		t.Errorf("an everything decision does not cover the new repo")
	}

	// Dismissed by id.
	in.Recorded = nil
	in.Answered = []impact.CandidateScope{{ID: shift.ID, Source: shift.Source}}
	for _, c := range suggest(in) {
		if c.ID == shift.ID {
			t.Error("a dismissed candidate is suggested again")
		}
	}
	// A candidate that moved by a week since it was dismissed (more data)
	// still matches the answer: same source, scope and nearby day.
	day, _ := time.Parse(time.DateOnly, shift.Date)
	in.Answered = []impact.CandidateScope{{ID: "cdeadbeef", Source: shift.Source, Day: day.AddDate(0, 0, 7), Repos: shift.Repos}}
	for _, c := range suggest(in) {
		if c.ID == shift.ID {
			t.Error("a dismissed candidate that moved a week is suggested again")
		}
	}
}

func TestSuggestDecisionsOnNoData(t *testing.T) {
	if got := suggest(impact.CandidateInput{Rules: metrics.DefaultRules(), Now: candStart}); got == nil || len(got) != 0 {
		t.Errorf("no data: %v", got)
	}
}
