package radar

import (
	"github.com/tach-dev/tach/metrics"
)

// WeeklySeries are the radar's series of one scope from its facts
// (metrics.FactsOf of its rows; for a module, of its rows narrowed by
// metrics.ModuleDataset), over weeks (whole weeks, oldest first), by the
// rules of docs/metrics.md, "Refactor radar":
//   - lead time and its coding, pickup and review parts: the changes
//     shipped by the deployments that finished in the week;
//   - CI duration: the runs that finished in it (of a known duration);
//   - PR size: the changes merged in it (of a known size);
//   - change failure rate and rework rate: failed (rework) production
//     deployments ÷ production deployments that finished in it.
//
// Bots' changes count only with rules.IncludeBotChanges, as in the report.
func WeeklySeries(sc Scope, f metrics.Facts, weeks []metrics.Window, rules metrics.Rules) []Series {
	if len(weeks) == 0 {
		return nil
	}
	bounds := make([]int64, len(weeks)+1)
	for i, w := range weeks {
		bounds[i], _ = w.Seconds()
	}
	_, bounds[len(weeks)] = weeks[len(weeks)-1].Seconds()
	weekOf := func(t int64) int {
		if t < bounds[0] || t >= bounds[len(bounds)-1] {
			return -1
		}
		lo, hi := 0, len(bounds)-1 // bounds[lo] ≤ t < bounds[hi]
		for hi-lo > 1 {
			mid := (lo + hi) / 2
			if t >= bounds[mid] {
				lo = mid
			} else {
				hi = mid
			}
		}
		return lo
	}
	counts := func(bot bool) bool { return rules.IncludeBotChanges || !bot }
	out := make([]Series, len(Measures))
	byKey := map[string]*Series{}
	for i, m := range Measures {
		out[i] = Series{Scope: sc, Measure: m, Weeks: make([]Week, len(weeks))}
		for j := range out[i].Weeks {
			out[i].Weeks[j].Week = j
		}
		byKey[m.Key] = &out[i]
	}
	add := func(key string, week int, v float64) {
		w := &byKey[key].Weeks[week]
		w.Values = append(w.Values, v)
	}
	for _, s := range f.Shipped {
		wk := weekOf(s.At)
		if wk < 0 || !counts(s.Bot) {
			continue
		}
		add(metrics.KeyLeadTime, wk, s.Lead)
		for part, key := range map[int]string{metrics.PartCoding: KeyCodingTime, metrics.PartPickup: KeyPickupTime, metrics.PartReview: KeyReviewTime} {
			if s.Known&(1<<part) != 0 {
				add(key, wk, s.Parts[part])
			}
		}
	}
	for _, c := range f.CIRuns {
		if wk := weekOf(c.At); wk >= 0 && c.Known {
			add(metrics.KeyCI, wk, c.Seconds)
		}
	}
	for _, m := range f.Merged {
		if wk := weekOf(m.At); wk >= 0 && m.SizeKnown && counts(m.Bot) {
			add(metrics.KeyPRSize, wk, float64(m.Lines))
		}
	}
	for _, d := range f.Deploys {
		wk := weekOf(d.At)
		if wk < 0 || !d.Production {
			continue
		}
		for _, rate := range []struct {
			key   string
			event bool
		}{{metrics.KeyChangeFailureRate, d.Failed}, {metrics.KeyReworkRate, d.Rework}} {
			w := &byKey[rate.key].Weeks[wk]
			w.Trials++
			if rate.event {
				w.Events++
			}
		}
	}
	return out
}
