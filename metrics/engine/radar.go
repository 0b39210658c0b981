package engine

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/tach-dev/tach/metrics"
	"github.com/tach-dev/tach/metrics/radar"
	"github.com/tach-dev/tach/store"
)

// The refactor radar (docs/metrics.md, "Refactor radar"; docs/radar.md):
// every module of the scope's repos (their (unassigned) included), every
// repo without modules as a whole, and the scope's own modules, each
// measure's weekly series tested together; the files where the trouble
// concentrates and the modules that change together. Everything is read
// from rows: the rollups are per repo and per 28 days.

// HotspotsShown is how many hotspots the radar lists per scope.
const HotspotsShown = 5

// CouplingShown is how many module pairs the radar lists.
const CouplingShown = 10

// radarScope is one scope of a radar with what its rows say.
type radarScope struct {
	scope   radar.Scope
	changes []radar.Change // merged in the window, its own files only
}

// Radar runs the refactor radar of a scope over the whole weeks of w.
func (rp *Reports) Radar(ctx context.Context, sc Scope, w metrics.Window) (radar.Report, error) {
	m, _, _, err := rp.meta(ctx)
	if err != nil {
		return radar.Report{}, err
	}
	r, err := m.resolve(sc)
	if err != nil {
		return radar.Report{}, err
	}
	if HeavyWindow(w) {
		release, err := rp.gate.Compute(ctx)
		if err != nil {
			return radar.Report{}, err
		}
		defer release()
	}
	loc := rp.rules.Location
	weeks := metrics.Weeks(w, loc)
	rep := radar.Report{Scope: radar.ReportScope{Repos: slices.Clone(r.Names), Weeks: len(weeks), Timezone: loc.String(), WeekStarts: []string{}},
		Modules: []radar.ScopeReport{}, Coupling: []radar.PairReport{}}
	if rep.Scope.Repos == nil {
		rep.Scope.Repos = []string{}
	}
	if r.Team != "" {
		team := r.Team
		rep.Scope.Team = &team
	}
	if len(r.Modules) > 0 {
		rep.Scope.Modules = r.ModuleRefs()
	}
	span := w
	if len(weeks) > 0 {
		span = metrics.Window{From: weeks[0].From, To: weeks[len(weeks)-1].To}
	}
	rep.Scope.From, rep.Scope.To = span.From.In(loc).Format(time.DateOnly), span.To.In(loc).Format(time.DateOnly)
	for _, wk := range weeks {
		rep.Scope.WeekStarts = append(rep.Scope.WeekStarts, wk.From.In(loc).Format(time.DateOnly))
	}

	// The scopes, repo by repo: a repo in the scope as a whole gives its
	// modules (or itself, without modules); a module named gives itself.
	all := allModules(m.repos, m.modules)
	byRepo := map[int64][]ResolvedModule{}
	var repoIDs []int64
	for _, id := range r.IDs {
		repoIDs = append(repoIDs, id)
		for _, mod := range all {
			if mod.RepoID == id {
				byRepo[id] = append(byRepo[id], mod)
			}
		}
	}
	for _, mod := range r.Modules {
		if len(mod.Authors) > 0 {
			continue // a team's people: the radar ranks paths, not people
		}
		if _, ok := byRepo[mod.RepoID]; !ok {
			repoIDs = append(repoIDs, mod.RepoID)
		}
		byRepo[mod.RepoID] = append(byRepo[mod.RepoID], mod)
	}
	var series []radar.Series
	var scopes []radarScope
	var everyChange []radar.Change
	for _, id := range repoIDs {
		repo := m.byID[id]
		s, sc, changes, err := rp.radarRepo(ctx, repo, byRepo[id], all, span, weeks)
		if err != nil {
			return radar.Report{}, fmt.Errorf("radar: %s: %w", repo.Name, err)
		}
		series = append(series, s...)
		scopes = append(scopes, sc...)
		everyChange = append(everyChange, changes...)
	}
	run := radar.Run(series)
	rep.Tests = run.Tests
	trends := map[radar.Scope][]radar.Trend{}
	for _, t := range run.Trends {
		trends[t.Scope] = append(trends[t.Scope], t)
	}
	shares := map[radar.Scope]radar.Share{}
	for _, s := range radar.CrossModuleShares(everyChange) {
		shares[s.Scope] = s
	}
	own := map[radar.Scope][]radar.Change{}
	for _, s := range scopes {
		own[s.scope] = s.changes
	}
	for _, ranked := range run.Scopes {
		sr := radar.ScopeReport{Repo: ranked.Scope.Repo, Rank: ranked.Rank, Worsening: ranked.Worsening, Score: ranked.Score,
			Signals: []radar.SignalReport{}, Series: []radar.SeriesReport{}, Hotspots: []radar.HotspotReport{}}
		if ranked.Scope.Module != "" {
			name := ranked.Scope.Module
			sr.Module = &name
			if share, ok := shares[ranked.Scope]; ok {
				if v, ok := share.Value(); ok {
					sr.CrossModuleShare = &v
				}
			} else {
				zero := 0.0
				sr.CrossModuleShare = &zero
			}
		}
		for _, t := range ranked.Signals {
			sr.Signals = append(sr.Signals, radar.SignalOf(t))
		}
		for _, t := range trends[ranked.Scope] {
			sr.Series = append(sr.Series, radar.SeriesOf(t))
		}
		repo := repoNamed(m.repos, ranked.Scope.Repo)
		for _, c := range own[ranked.Scope] {
			if !c.Bot {
				sr.Changes++
			}
		}
		for _, h := range firstN(radar.Hotspots(own[ranked.Scope]), HotspotsShown) {
			sr.Hotspots = append(sr.Hotspots, radar.HotspotReport{Path: h.Path, Changes: h.Changes, FixChanges: h.FixChanges,
				Incidents: h.Incidents, Score: h.Score, URL: fileURL(repo, h.Path)})
		}
		rep.Modules = append(rep.Modules, sr)
	}
	for _, p := range firstN(radar.Coupling(everyChange), CouplingShown) {
		rep.Coupling = append(rep.Coupling, radar.PairReport{Repo: p.Repo, A: p.A, B: p.B, Changes: p.Changes})
	}
	return rep, nil
}

// radarRepo reads one repo's rows over span and makes its scopes' series
// and changes: mods are its modules in the radar (none: the repo as a
// whole); all are every module of every repo, for which modules each
// change touches.
func (rp *Reports) radarRepo(ctx context.Context, repo store.Repo, mods []ResolvedModule, all []ResolvedModule, span metrics.Window, weeks []metrics.Window) ([]radar.Series, []radarScope, []radar.Change, error) {
	ds, err := rp.Dataset(ctx, Resolved{IDs: []int64{repo.ID}}, span)
	if err != nil {
		return nil, nil, nil, err
	}
	// The changes merged in the window, with their files and the modules
	// those fall in.
	lo, hi := span.Seconds()
	var merged []metrics.Change
	for _, c := range ds.Changes {
		if t := c.MergedAt.Unix(); !c.MergedAt.IsZero() && t >= lo && t < hi {
			merged = append(merged, c)
		}
	}
	ids := make([]int64, len(merged))
	for i, c := range merged {
		ids[i] = c.ID
	}
	files, err := rp.st.FilesOfChanges(ctx, ids)
	if err != nil {
		return nil, nil, nil, err
	}
	incidents := map[int64][]int64{}
	for _, in := range ds.Incidents {
		if in.DeploymentID != 0 {
			incidents[in.DeploymentID] = append(incidents[in.DeploymentID], in.ID)
		}
	}
	var repoMods []ResolvedModule // every module of the repo, (unassigned) last
	for _, m := range all {
		if m.RepoID == repo.ID {
			repoMods = append(repoMods, m)
		}
	}
	changes := make([]radar.Change, len(merged))
	for i, c := range merged {
		ch := radar.Change{Repo: repo.Name, Fix: rp.rules.IsFix(c), Bot: rp.rules.IsBotChange(c)}
		if c.DeploymentID != 0 {
			ch.Incidents = incidents[c.DeploymentID]
		}
		for _, f := range files[c.ID] {
			ch.Paths = append(ch.Paths, f.Path)
			if f.PreviousPath != "" {
				ch.Paths = append(ch.Paths, f.PreviousPath)
			}
		}
		for _, m := range repoMods {
			if slices.ContainsFunc(ch.Paths, m.Matches) {
				ch.Modules = append(ch.Modules, m.Name)
			}
		}
		changes[i] = ch
	}

	var series []radar.Series
	var scopes []radarScope
	if len(mods) == 0 {
		sc := radar.Scope{Repo: repo.Name}
		series = radar.WeeklySeries(sc, metrics.FactsOf(ds, rp.rules), weeks, rp.rules)
		return series, []radarScope{{scope: sc, changes: changes}}, changes, nil
	}
	for _, mod := range mods {
		touching, err := rp.moduleLines(ctx, repo.ID, []ResolvedModule{mod})
		if err != nil {
			return nil, nil, nil, err
		}
		sc := radar.Scope{Repo: repo.Name, Module: mod.Name}
		md := metrics.ModuleDataset(ds, touching, rp.rules)
		series = append(series, radar.WeeklySeries(sc, metrics.FactsOf(md, rp.rules), weeks, rp.rules)...)
		// The module's changes, each with its files in the module.
		var own []radar.Change
		for _, c := range changes {
			if !slices.Contains(c.Modules, mod.Name) {
				continue
			}
			c.Paths = slices.DeleteFunc(slices.Clone(c.Paths), func(p string) bool { return !mod.Matches(p) })
			own = append(own, c)
		}
		scopes = append(scopes, radarScope{scope: sc, changes: own})
	}
	return series, scopes, changes, nil
}

func repoNamed(repos []store.Repo, name string) store.Repo {
	for _, r := range repos {
		if r.Name == name {
			return r
		}
	}
	return store.Repo{}
}

// fileURL is a file's page on its provider, at the repo's default branch
// ("" when the repo has no address).
func fileURL(r store.Repo, path string) string {
	if r.URL == "" || path == "" {
		return ""
	}
	branch := r.DefaultBranch
	if branch == "" {
		branch = "main"
	}
	escaped := make([]string, 0, 4)
	for _, part := range strings.Split(path, "/") {
		escaped = append(escaped, url.PathEscape(part))
	}
	sep := "/blob/"
	if r.Provider == store.GitLab {
		sep = "/-/blob/"
	}
	return strings.TrimSuffix(r.URL, "/") + sep + url.PathEscape(branch) + "/" + strings.Join(escaped, "/")
}
