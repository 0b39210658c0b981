package engine

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/tach-dev/tach/metrics"
)

// ModuleRefSep joins the refs of a repo's modules in the name of their
// part of a split.
const ModuleRefSep = " + "

// Split is a scope over two periods, whole and in parts, for a breakdown
// (metrics.Split.Breakdown): each repo of the scope, and each team with a
// repo in it (its repos in the scope) unless that team is the whole scope.
// Each repo's facts come from its rollup as a page's reports do, over
// both periods at once. The parts' names are repo and team names; the
// whole's is "".
//
// A scope's modules (those whose repo is not in it whole) are one more
// dimension: each repo's modules in the scope one part, named by their
// REPO:NAME refs joined with " + ", read from their rows as a page reads
// them.
func (rp *Reports) Split(ctx context.Context, sc Scope, current, previous metrics.Window) (*metrics.Split, error) {
	m, g, genOK, err := rp.meta(ctx)
	if err != nil {
		return nil, fmt.Errorf("split: %w", err)
	}
	r, hist, err := m.resolveWithHistory(sc)
	if err != nil {
		return nil, err
	}
	key := reposKey(r, current, previous).String()
	if split, ok := rp.splits.get(g, key); genOK && ok {
		return split, nil
	}
	span := metrics.Window{From: earlierOf(current.From, previous.From), To: laterOf(current.To, previous.To)}
	if HeavyWindow(span) {
		// Both periods of more than half a year: heavy work (gate.go).
		release, err := rp.gate.Compute(ctx)
		if err != nil {
			return nil, fmt.Errorf("split: %w", err)
		}
		defer release()
	}
	byID := make(map[int64]*metrics.SplitPart, len(r.IDs))
	repos := metrics.SplitDimension{Name: metrics.DimensionRepo}
	for _, id := range r.IDs {
		p := metrics.NewSplitPart(m.byID[id].Name, current, previous, rp.rules)
		byID[id] = p
		repos.Parts = append(repos.Parts, p)
	}
	modules := metrics.SplitDimension{Name: metrics.DimensionModule}
	ids, by := modulesByRepo(r.Modules)
	memberParts := map[*metrics.SplitPart]bool{}
	for _, id := range ids {
		refs := Resolved{Modules: by[id]}.ModuleRefs()
		p := metrics.NewSplitPart(strings.Join(refs, ModuleRefSep), current, previous, rp.rules)
		byID[id] = p
		modules.Parts = append(modules.Parts, p)
		memberParts[p] = !slices.ContainsFunc(by[id], func(m ResolvedModule) bool { return len(m.Authors) == 0 })
	}
	stale, err := rp.feedTo(ctx, r, span, workers(len(r.IDs), span), func(_ int, id int64) metrics.FactSink { return byID[id] }, true)
	if err != nil {
		return nil, fmt.Errorf("split: %w", err)
	}
	total := metrics.NewSplitPart("", current, previous, rp.rules)
	for _, p := range append(slices.Clone(repos.Parts), modules.Parts...) {
		total.Merge(p)
	}
	// A team's people in a repo they wrote nothing of in either period
	// are no part of it: a row of nothing would only hide the others.
	modules.Parts = slices.DeleteFunc(modules.Parts, func(p *metrics.SplitPart) bool {
		return memberParts[p] && p.Current.Empty() && p.Previous.Empty()
	})
	var dims []metrics.SplitDimension
	for _, d := range []metrics.SplitDimension{repos, modules} {
		if len(d.Parts) > 0 {
			dims = append(dims, d)
		}
	}
	teams := metrics.SplitDimension{Name: metrics.DimensionTeam}
	for _, t := range m.teams {
		var members []*metrics.SplitPart
		for _, id := range r.IDs {
			if slices.Contains(t.Repos, m.byID[id].Name) {
				members = append(members, byID[id])
			}
		}
		if len(members) == 0 || len(members) == len(r.IDs) {
			continue // no part of the scope, or all of it
		}
		p := metrics.NewSplitPart(t.Name, current, previous, rp.rules)
		for _, mp := range members {
			p.Merge(mp)
		}
		teams.Parts = append(teams.Parts, p)
	}
	if len(teams.Parts) > 0 {
		dims = append(dims, teams)
	}
	split := metrics.NewSplit(total, rp.rules, dims...)
	split.PreviousHistory = hist.partial(previous)
	// Read only from fresh rollups, the split stands while the generation
	// does (rows read for a stale rollup or a module can change without
	// it moving).
	if genOK && len(stale) == 0 && len(r.Modules) == 0 {
		rp.splits.put(g, key, split)
	}
	return split, nil
}

// Splits are kept while the store's generation stands (Reports.splits),
// as the comparisons are: a measure page's split reads every repo's
// rollups over both periods (at a thousand repos, 100 ms and more a
// request), and is read, never changed, by the pages that show it. A
// split of a thousand repos over 24 weeks holds a few megabytes, and tens
// once its figures' sorted values are kept (metrics.Aggregate); at most
// splitsKept are kept.
const splitsKept = 4
