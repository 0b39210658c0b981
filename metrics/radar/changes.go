package radar

import (
	"cmp"
	"slices"
)

// Where the trouble concentrates: the files that keep changing and keep
// needing fixes, and the modules whose changes keep crossing into each
// other. These count the window's changes; bots' changes (dependency
// bumps touching every module's manifest) count in none of them.

// Unassigned is the module of the paths no named module claims.
const Unassigned = "(unassigned)"

// Change is one change of the window as the hotspots and the coupling see
// it.
type Change struct {
	Repo string
	// Paths are the files it changed (for a rename, both paths); for a
	// module's hotspots, only the files in that module.
	Paths []string
	// Modules are the modules it touches, Unassigned included.
	Modules []string
	Fix     bool // the rework rule's fix test: labels or title
	Bot     bool
	// Incidents are the ids of the incidents attributed to the
	// deployments that shipped it.
	Incidents []int64
}

// Hotspot is one file's history in the window.
type Hotspot struct {
	Repo, Path string
	Changes    int // non-bot changes touching it
	FixChanges int // of which fixes
	Incidents  int // distinct incidents of the deployments that shipped them
	Score      int // Changes × (1 + FixChanges)
}

// Hotspots counts every path the non-bot changes touched and orders them
// by score, then changes, then repo and path: frequent change that keeps
// needing fixes first.
func Hotspots(changes []Change) []Hotspot {
	type key struct{ repo, path string }
	spots := map[key]*Hotspot{}
	incidents := map[key]map[int64]bool{}
	for _, c := range changes {
		if c.Bot {
			continue
		}
		for _, p := range distinct(c.Paths) {
			k := key{c.Repo, p}
			h := spots[k]
			if h == nil {
				h = &Hotspot{Repo: c.Repo, Path: p}
				spots[k] = h
				incidents[k] = map[int64]bool{}
			}
			h.Changes++
			if c.Fix {
				h.FixChanges++
			}
			for _, id := range c.Incidents {
				incidents[k][id] = true
			}
		}
	}
	out := make([]Hotspot, 0, len(spots))
	for k, h := range spots {
		h.Incidents = len(incidents[k])
		h.Score = h.Changes * (1 + h.FixChanges)
		out = append(out, *h)
	}
	slices.SortFunc(out, func(a, b Hotspot) int {
		return cmp.Or(
			cmp.Compare(b.Score, a.Score),
			cmp.Compare(b.Changes, a.Changes),
			cmp.Compare(a.Repo, b.Repo),
			cmp.Compare(a.Path, b.Path),
		)
	})
	return out
}

// Pair is two named modules of one repo and the changes touching both.
type Pair struct {
	Repo    string
	A, B    string // A < B
	Changes int
}

// Coupling counts, for each pair of named modules (not Unassigned) of a
// repo, the non-bot changes that touch both; a change touching three
// modules counts for each of its three pairs. Pairs come by changes, then
// repo, A and B.
func Coupling(changes []Change) []Pair {
	counts := map[Pair]int{}
	for _, c := range changes {
		if c.Bot {
			continue
		}
		named := named(c.Modules)
		for i, a := range named {
			for _, b := range named[i+1:] {
				counts[Pair{Repo: c.Repo, A: a, B: b}]++
			}
		}
	}
	out := make([]Pair, 0, len(counts))
	for p, n := range counts {
		p.Changes = n
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b Pair) int {
		names := slices.Compare([]string{a.Repo, a.A, a.B}, []string{b.Repo, b.A, b.B})
		return cmp.Or(cmp.Compare(b.Changes, a.Changes), names)
	})
	return out
}

// Share is a module's cross-module share: of the non-bot changes that
// touch it, those that touch two or more named modules — how well its
// boundary holds.
type Share struct {
	Scope       Scope
	Changes     int
	CrossModule int
}

// Value is CrossModule ÷ Changes; ok is false without changes.
func (s Share) Value() (share float64, ok bool) {
	if s.Changes == 0 {
		return 0, false
	}
	return float64(s.CrossModule) / float64(s.Changes), true
}

// CrossModuleShares counts the cross-module share of every module the
// non-bot changes touch (Unassigned too: its changes that cross two named
// modules), by repo and module.
func CrossModuleShares(changes []Change) []Share {
	shares := map[Scope]*Share{}
	for _, c := range changes {
		if c.Bot {
			continue
		}
		cross := len(named(c.Modules)) >= 2
		for _, m := range distinct(c.Modules) {
			s := Scope{c.Repo, m}
			if shares[s] == nil {
				shares[s] = &Share{Scope: s}
			}
			shares[s].Changes++
			if cross {
				shares[s].CrossModule++
			}
		}
	}
	out := make([]Share, 0, len(shares))
	for _, s := range shares {
		out = append(out, *s)
	}
	slices.SortFunc(out, func(a, b Share) int {
		return cmp.Or(cmp.Compare(a.Scope.Repo, b.Scope.Repo), cmp.Compare(a.Scope.Module, b.Scope.Module))
	})
	return out
}

// distinct is xs sorted without repeats.
func distinct(xs []string) []string {
	out := slices.Clone(xs)
	slices.Sort(out)
	return slices.Compact(out)
}

// named is the distinct named modules of ms, sorted.
func named(ms []string) []string {
	return slices.DeleteFunc(distinct(ms), func(m string) bool { return m == Unassigned })
}
