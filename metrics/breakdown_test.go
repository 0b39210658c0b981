package metrics

import (
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"
)

// splitOf builds a split by repo (and the given teams of repos) from each
// repo's facts.
func splitOf(cur, prev Window, byRepo map[string]Facts, teams map[string][]string) *Split {
	r := DefaultRules()
	total := NewSplitPart("all", cur, prev, r)
	repos := SplitDimension{Name: DimensionRepo}
	parts := map[string]*SplitPart{}
	for name, f := range byRepo {
		p := NewSplitPart(name, cur, prev, r)
		f.Feed(p)
		f.Feed(total)
		parts[name] = p
		repos.Parts = append(repos.Parts, p)
	}
	dims := []SplitDimension{repos}
	if len(teams) > 0 {
		td := SplitDimension{Name: DimensionTeam}
		for name, members := range teams {
			t := NewSplitPart(name, cur, prev, r)
			for _, m := range members {
				byRepo[m].Feed(t)
			}
			td.Parts = append(td.Parts, t)
		}
		dims = append(dims, td)
	}
	return NewSplit(total, r, dims...)
}

func rowNamed(t *testing.T, b Breakdown, dim, name string) BreakdownRow {
	t.Helper()
	for _, d := range b.By {
		if d.Dimension != dim {
			continue
		}
		for _, r := range d.Rows {
			if r.Name == name {
				return r
			}
		}
	}
	t.Fatalf("no %s row %q in %+v", dim, name, b.By)
	return BreakdownRow{}
}

// The change failure rate of two repos, by hand: 2 of 10 before (api 2 of
// 5, web 0 of 5), 4 of 10 now (api 4 of 5, web 0 of 5). Without api the
// rate is 0 of 5 in both periods: api is the whole change, +20 points;
// without web it is 2 of 5 → 4 of 5 (+40 points): web's effect is −20
// points — its deployments diluted api's failures.
func TestBreakdownOfAShareByHand(t *testing.T) {
	prev := Window{From: hr(0), To: hr(7 * 24)}
	cur := Window{From: prev.To, To: hr(14 * 24)}
	deploys := func(from time.Time, n, failed int) []DeployFact {
		var out []DeployFact
		for i := range n {
			out = append(out, DeployFact{At: from.Add(time.Duration(i+1) * time.Hour).Unix(), Production: true, Failed: i < failed})
		}
		return out
	}
	api := Facts{Deploys: append(deploys(prev.From, 5, 2), deploys(cur.From, 5, 4)...)}
	web := Facts{Deploys: append(deploys(prev.From, 5, 0), deploys(cur.From, 5, 0)...)}
	b := splitOf(cur, prev, map[string]Facts{"acme/api": api, "acme/web": web}, nil).Breakdown(FigureChangeFailureRate)

	checkFloat(t, "total now", b.Total.Current.Value, f(0.4))
	checkFloat(t, "total before", b.Total.Previous.Value, f(0.2))
	checkFloat(t, "total change", b.Total.Change, f(0.2))
	if b.Total.Effect != nil || *b.Total.Current.K != 4 || b.Total.Current.N != 10 {
		t.Errorf("total %+v", b.Total)
	}
	a, w := rowNamed(t, b, DimensionRepo, "acme/api"), rowNamed(t, b, DimensionRepo, "acme/web")
	checkFloat(t, "api now", a.Current.Value, f(0.8))
	checkFloat(t, "api change", a.Change, f(0.4))
	checkFloat(t, "api effect", a.Effect, f(0.2))
	checkFloat(t, "web change", w.Change, f(0))
	checkFloat(t, "web effect", w.Effect, f(-0.2))
	if b.By[0].Rows[0].Name != "acme/api" {
		t.Errorf("rows %+v: the largest effect first", b.By[0].Rows)
	}
	if day := func(t time.Time) string { return t.Format(time.DateOnly) }; b.Current != (Period{day(cur.From), day(cur.To)}) || b.Previous != (Period{day(prev.From), day(prev.To)}) {
		t.Errorf("periods %+v against %+v", b.Current, b.Previous)
	}
}

// A count per week: a part's effect is its own change, and the effects add
// up to the whole's; the periods may differ in length (a week against the
// four before it).
func TestBreakdownOfACountPerWeek(t *testing.T) {
	prev := Window{From: hr(0), To: hr(28 * 24)}
	cur := Window{From: prev.To, To: hr(35 * 24)}
	at := func(day int) DeployFact { return DeployFact{At: hr(float64(day*24 + 10)).Unix(), Production: true} }
	// api: 8 in the four weeks (2 a week), 4 this week; web: 4 (1 a week), 0.
	var api, web Facts
	for d := range 8 {
		api.Deploys = append(api.Deploys, at(d*3))
	}
	for d := range 4 {
		api.Deploys = append(api.Deploys, at(28+d))
		web.Deploys = append(web.Deploys, at(d*7))
	}
	b := splitOf(cur, prev, map[string]Facts{"acme/api": api, "acme/web": web}, nil).Breakdown(FigureDeploymentsPerWeek)
	checkFloat(t, "total change", b.Total.Change, f(1))
	a, w := rowNamed(t, b, DimensionRepo, "acme/api"), rowNamed(t, b, DimensionRepo, "acme/web")
	checkFloat(t, "api effect", a.Effect, f(2))
	checkFloat(t, "web effect", w.Effect, f(-1))
	if w.Current.Value != nil || w.Current.N != 0 {
		t.Errorf("web this week: %+v, want no value (no deployment), n 0", w.Current)
	}
}

// A median: each part's effect is the whole's change minus the change of
// the whole without that part, checked against medians of the rest
// computed from scratch, on random histories with a team dimension.
func TestBreakdownOfAMedianIsLeaveOneOut(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	prev := Window{From: hr(0), To: hr(14 * 24)}
	cur := Window{From: prev.To, To: hr(28 * 24)}
	for range 50 {
		byRepo := map[string]Facts{}
		for _, name := range []string{"a", "b", "c", "d"} {
			var f Facts
			for i := range rng.IntN(12) {
				at := hr(float64(rng.IntN(28*24)) + 0.5)
				f.Shipped = append(f.Shipped, ShippedFact{At: at.Unix(), ChangeID: int64(i + 1), Lead: float64(1 + rng.IntN(50)*3600)})
			}
			byRepo[name] = f
		}
		teams := map[string][]string{"ab": {"a", "b"}, "bcd": {"b", "c", "d"}}
		s := splitOf(cur, prev, byRepo, teams)
		b := s.Breakdown(FigureLeadTime)
		medianOf := func(w Window, names ...string) *float64 {
			var xs []float64
			for _, n := range names {
				for _, x := range byRepo[n].Shipped {
					if x.At >= w.From.Unix() && x.At < w.To.Unix() {
						xs = append(xs, x.Lead)
					}
				}
			}
			return medianOrNilOf(xs)
		}
		diff := func(a, b *float64) *float64 {
			if a == nil || b == nil {
				return nil
			}
			d := *a - *b
			return &d
		}
		all := []string{"a", "b", "c", "d"}
		whole := diff(medianOf(cur, all...), medianOf(prev, all...))
		checkFloat(t, "whole change", b.Total.Change, whole)
		for _, dim := range b.By {
			for _, row := range dim.Rows {
				members := []string{row.Name}
				if dim.Dimension == DimensionTeam {
					members = teams[row.Name]
				}
				var rest []string
				for _, n := range all {
					if !slices.Contains(members, n) {
						rest = append(rest, n)
					}
				}
				var want *float64
				if whole != nil {
					want = whole
					if r := diff(medianOf(cur, rest...), medianOf(prev, rest...)); r != nil {
						want = diff(whole, r)
					}
				}
				checkFloat(t, dim.Dimension+" "+row.Name+" effect", row.Effect, want)
				checkFloat(t, dim.Dimension+" "+row.Name+" now", row.Current.Value, medianOf(cur, members...))
			}
		}
	}
}

func medianOrNilOf(xs []float64) *float64 {
	if len(xs) == 0 {
		return nil
	}
	sorted := slices.Sorted(slices.Values(xs))
	n := len(sorted)
	m := (sorted[(n-1)/2] + sorted[n/2]) / 2
	return &m
}

// A split keeps each figure's breakdown for the requests that read it: the
// one given again is the one computed, and a copy without the change
// (WithoutChange, for a change not judged) leaves it whole.
func TestBreakdownIsKeptWhole(t *testing.T) {
	prev := Window{From: hr(0), To: hr(14 * 24)}
	cur := Window{From: prev.To, To: hr(28 * 24)}
	byRepo := map[string]Facts{}
	for r, name := range []string{"a", "b", "c"} {
		var f Facts
		for i := range 8 {
			at := hr(float64(i*80+r) + 0.5)
			f.Shipped = append(f.Shipped, ShippedFact{At: at.Unix(), ChangeID: int64(i + 1), Lead: float64((i + 1) * (r + 1) * 3600)})
		}
		byRepo[name] = f
	}
	s := splitOf(cur, prev, byRepo, nil)
	first := s.Breakdown(FigureLeadTime)
	if first.Total.Change == nil || rowNamed(t, first, DimensionRepo, "a").Change == nil {
		t.Fatal("the breakdown has no change to keep")
	}
	_ = first.WithoutChange()
	again := s.Breakdown(FigureLeadTime)
	if again.Total.Change == nil || rowNamed(t, again, DimensionRepo, "a").Change == nil {
		t.Error("WithoutChange emptied the kept breakdown")
	}
	if fresh := s.breakdown(FigureLeadTime); !reflect.DeepEqual(fresh, again) {
		t.Errorf("kept %+v\nfresh %+v", again, fresh)
	}
}
