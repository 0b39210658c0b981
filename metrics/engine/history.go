package engine

import (
	"context"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/tach-dev/tach/metrics"
	"github.com/tach-dev/tach/store"
)

// Where each repo's history starts (docs/metrics.md, "Where history
// starts"): tach holds all of a repo's records from its history start
// (store.Repo.HistoryStart) on. Before it, and after the repository was
// created at its provider (before that there was nothing to miss), the
// repo has a gap: a report whose window meets a scoped repo's gap says so,
// a week inside every scoped repo's gap has no values, and a comparison of
// periods that meet one is not made.

// repoGap is the span in which tach may miss a repo's records: [from, to)
// in Unix seconds, from = −∞ when the repo's creation is not known.
type repoGap struct {
	name     string
	start    time.Time // the history start
	from, to int64
}

// scopeHistory is the gaps of a scope's repos (those that have one), and
// when each of its repos was created (math.MinInt64: not known).
type scopeHistory struct {
	gaps    []repoGap
	created []int64
	// weeks remembers week's answers: a history is kept with its scope
	// while the generation stands (cachedMeta), and each view asks about
	// the same few dozen weeks, each a pass over every repo.
	weeks *sync.Map // [2]int64{lo, hi} → weekHistory
}

type weekHistory struct{ none, partial bool }

// historyOf reads the gaps of r's repos, whole or holding a module of it,
// from the repos of the database.
func historyOf(r Resolved, byID map[int64]store.Repo) scopeHistory {
	h := scopeHistory{weeks: &sync.Map{}}
	for _, id := range historyRepoIDs(r) {
		repo := byID[id]
		created := int64(math.MinInt64)
		if !repo.CreatedAt.IsZero() {
			created = repo.CreatedAt.Unix()
		}
		h.created = append(h.created, created)
		if repo.HistoryStart.IsZero() {
			continue // not known: nothing is claimed
		}
		g := repoGap{name: repo.Name, start: repo.HistoryStart, from: math.MinInt64, to: repo.HistoryStart.Unix()}
		if !repo.CreatedAt.IsZero() {
			g.from = repo.CreatedAt.Unix()
		}
		if g.from < g.to {
			h.gaps = append(h.gaps, g)
		}
	}
	slices.SortFunc(h.gaps, func(a, b repoGap) int {
		if a.name < b.name {
			return -1
		}
		if a.name > b.name {
			return 1
		}
		return 0
	})
	return h
}

// historyRepoIDs are the repos whose history is r's: its whole repos and
// those it holds modules of.
func historyRepoIDs(r Resolved) []int64 {
	return append(slices.Clone(r.IDs), moduleRepoIDs(r.Modules)...)
}

// FirstWholeWeek is the start of the first week every day of which lies
// after the history start of one of r's repos (the week a history starts
// in is not whole: docs/metrics.md, "Where history starts"); zero when
// none of them has a known history start.
func (rp *Reports) FirstWholeWeek(ctx context.Context, r Resolved) (time.Time, error) {
	m, _, _, err := rp.meta(ctx)
	if err != nil {
		return time.Time{}, err
	}
	var first time.Time
	for _, id := range historyRepoIDs(r) {
		if hs := m.byID[id].HistoryStart; !hs.IsZero() && (first.IsZero() || hs.Before(first)) {
			first = hs
		}
	}
	if first.IsZero() {
		return first, nil
	}
	loc := rp.rules.Timezone()
	week := metrics.WeekStart(first, loc)
	if week.Before(first) {
		week = metrics.AddDays(week, 7)
	}
	return week, nil
}

// meets reports whether g and the window [lo, hi) overlap.
func (g repoGap) meets(lo, hi int64) bool { return lo < g.to && g.from < hi && lo < hi }

// covers reports whether every repo of the scope holds all its records
// for the whole of w.
func (h scopeHistory) covers(w metrics.Window) bool {
	lo, hi := w.Seconds()
	for _, g := range h.gaps {
		if g.meets(lo, hi) {
			return false
		}
	}
	return true
}

// partial is a report's PartialHistory over w: nil when every repo covers
// it; else the repos that do not, and the part of w from which every repo
// does (null when none of it).
func (h scopeHistory) partial(w metrics.Window) *metrics.PartialHistory {
	lo, hi := w.Seconds()
	var p *metrics.PartialHistory
	from := lo
	for _, g := range h.gaps {
		if !g.meets(lo, hi) {
			continue
		}
		if p == nil {
			p = &metrics.PartialHistory{}
		}
		p.Repos = append(p.Repos, metrics.RepoHistoryStart{Repo: g.name, HistoryStart: g.start.UTC().Format(time.RFC3339)})
		from = max(from, g.to)
	}
	if p != nil && from < hi {
		f, t := time.Unix(from, 0).UTC().Format(time.RFC3339), time.Unix(hi, 0).UTC().Format(time.RFC3339)
		p.CoveredFrom, p.CoveredTo = &f, &t
	}
	return p
}

// week says how much of the scope holds all its records for the whole of
// a week: none of it (the week has no values), part of it, or all. A repo
// created after the week neither holds nor misses it: it had nothing.
func (h scopeHistory) week(w metrics.Window) (none, partial bool) {
	lo, hi := w.Seconds()
	if h.weeks != nil {
		if v, ok := h.weeks.Load([2]int64{lo, hi}); ok {
			wh := v.(weekHistory)
			return wh.none, wh.partial
		}
		defer func() { h.weeks.Store([2]int64{lo, hi}, weekHistory{none, partial}) }()
	}
	existing := 0
	for _, c := range h.created {
		if c < hi {
			existing++
		}
	}
	missing := 0
	for _, g := range h.gaps {
		if g.meets(lo, hi) {
			missing++
		}
	}
	return missing > 0 && missing >= existing, missing > 0 && missing < existing
}

// withDataFrom returns w with where the scope's data starts in it
// (metrics.Window.DataFrom): the start of the first week of w's weekly
// series that has values, or w.To when none has.
func (h scopeHistory) withDataFrom(w metrics.Window, loc *time.Location) metrics.Window {
	switch {
	case !w.From.Before(w.To):
	case len(h.gaps) == 0:
		w.DataFrom = w.From
	default:
		w.DataFrom = w.To
		if weeks := h.weeksWithValues(w, loc); len(weeks) > 0 {
			w.DataFrom = weeks[0].From
		}
	}
	return w
}

// weeksWithValues are the weeks of w's weekly series that have values.
func (h scopeHistory) weeksWithValues(w metrics.Window, loc *time.Location) []metrics.Window {
	var out []metrics.Window
	for _, wk := range metrics.SeriesWeeks(w, loc) {
		if none, _ := h.week(wk); !none {
			out = append(out, wk)
		}
	}
	return out
}

// withHistory marks the weeks of a scope by its history h.
func withHistory(weeks []metrics.WeekReport, h scopeHistory) []metrics.WeekReport {
	for i := range weeks {
		w := metrics.Window{From: weeks[i].Start, To: weeks[i].End}
		if w.To.IsZero() {
			w.To = metrics.AddDays(w.From, 7)
		}
		weeks[i].NoHistory, weeks[i].PartialHistory = h.week(w)
	}
	return weeks
}
