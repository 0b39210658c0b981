package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tach-dev/tach/metrics"
	"github.com/tach-dev/tach/store"
)

// The page cache: what a page's reports are computed from does not change
// between two syncs, and twenty people opening the overview of a thousand
// repos should not compute it twenty times. Reports keeps, per scope and
// window, the reports a view shows (and the lead times its measure page
// lists), computed once from the rollups, for as long as the store's
// generation (store.Generation: it moves when a rollup is built or turns
// stale, and when repos or teams change) stays where it was. Decisions are
// read for each view.
// Only scopes whose every repo has a fresh rollup are cached: a stale
// repo's rows can change without the generation moving. Open work depends
// on the present, so it is recomputed for each view from the open changes
// kept in the entry. Concurrent views of one scope and window wait for one
// computation (flight.go), which the first of them leaving does not stop.

// cacheBudget is about how many bytes the cache keeps (the lead times of
// measure pages are most of it); beyond it the least recently used
// entries go.
const cacheBudget = 32 << 20

// slowestKept is how many of a window's slowest changes an entry keeps.
const slowestKept = 100

type pageCache struct {
	mu      sync.Mutex
	gen     int64
	meta    *cachedMeta
	entries map[string]*cacheEntry
	bytes   int
	tick    uint64
}

// cachedMeta is what every view reads of the store beside its rows: the
// repos and teams (the config's resolved against these repos, when the
// reports have a TeamsOf), and the scopes resolved against them.
type cachedMeta struct {
	repos    []store.Repo
	byID     map[int64]store.Repo
	teams    []store.Team
	modules  []store.Module
	resolved sync.Map // scope key → resolvedScope

	// What every page's filters list, made once: at ten thousand repos,
	// sorting their names and building their modules for each request
	// was a third of the overview's time.
	listsOnce sync.Once
	names     []string // every repo's name, sorted
	refs      []string // every module's REPO:NAME (allModules' order)
}

type resolvedScope struct {
	r       Resolved
	err     error
	history scopeHistory
}

// resolve is resolve(sc, m.repos, m.teams), remembered.
func (m *cachedMeta) resolve(sc Scope) (Resolved, error) {
	r, _, err := m.resolveWithHistory(sc)
	return r, err
}

// resolveWithHistory is resolve, with where the scope's history starts
// (historyOf), remembered with it.
func (m *cachedMeta) resolveWithHistory(sc Scope) (Resolved, scopeHistory, error) {
	key := sc.Team + "\x00" + strings.Join(sc.Repos, "\x00") + "\x01" + strings.Join(sc.Modules, "\x00")
	if v, ok := m.resolved.Load(key); ok {
		rs := v.(resolvedScope)
		return rs.r, rs.history, rs.err
	}
	r, err := resolve(sc, m.repos, m.teams, m.modules)
	var h scopeHistory
	if err == nil {
		h = historyOf(r, m.byID)
	}
	m.resolved.Store(key, resolvedScope{r, err, h})
	return r, h, err
}

// lists returns every repo's name, sorted, and every module's reference.
func (m *cachedMeta) lists() (names, refs []string) {
	m.listsOnce.Do(func() {
		m.names = make([]string, len(m.repos))
		for i, r := range m.repos {
			m.names[i] = r.Name
		}
		slices.Sort(m.names)
		for _, mod := range allModules(m.repos, m.modules) {
			m.refs = append(m.refs, mod.Ref())
		}
	})
	return m.names, m.refs
}

type cacheEntry struct {
	reports  *viewReports
	bytes    int
	lastUsed uint64
}

// viewReports are a view's reports but for open work, and what its measure
// pages list from facts.
type viewReports struct {
	report, previous metrics.Report
	weekly           []metrics.WeekReport
	open             []metrics.OpenFact
	leadSeconds      []float64               // every lead time of the window, in no order
	slowest          []metrics.ShippedFact   // the slowest changes of the window, slowest first (then by id)
	keys             []metrics.KeyComparison // the DORA keys against the previous period, judged
}

// reportsAt is what a view's reports are computed at beside their scope and
// window: the present, which cuts a window reaching past it for the
// comparison of the keys, and the scope's history; gated says the
// computation holds a slot of the gate already.
type reportsAt struct {
	now     time.Time
	history scopeHistory
	gated   bool
}

// slowestComplete says whether slowest holds every change of the window.
func (vr *viewReports) slowestComplete() bool { return len(vr.slowest) == len(vr.leadSeconds) }

// generation reads the store's generation and drops the cache when it
// moved. ok is false when the store cannot say.
func (rp *Reports) generation(ctx context.Context) (int64, bool) {
	g, err := rp.st.Generation(ctx)
	if err != nil {
		return 0, false
	}
	c := &rp.cache
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != g || c.entries == nil {
		c.gen, c.meta, c.entries, c.bytes = g, nil, map[string]*cacheEntry{}, 0
	}
	return g, true
}

// meta returns the repos and teams, from the cache while the generation
// stands, and the generation it read (ok as generation's), for the
// caller's own use of the cache.
func (rp *Reports) meta(ctx context.Context) (_ *cachedMeta, g int64, ok bool, _ error) {
	g, ok = rp.generation(ctx)
	if ok {
		rp.cache.mu.Lock()
		m := rp.cache.meta
		rp.cache.mu.Unlock()
		if m != nil {
			return m, g, ok, nil
		}
	}
	m := &cachedMeta{}
	var err error
	if m.repos, err = rp.st.Repos(ctx); err != nil {
		return nil, g, ok, err
	}
	if m.teams, err = rp.readTeams(ctx, m.repos); err != nil {
		return nil, g, ok, err
	}
	if m.modules, err = rp.st.Modules(ctx); err != nil {
		return nil, g, ok, err
	}
	m.byID = make(map[int64]store.Repo, len(m.repos))
	for _, r := range m.repos {
		m.byID[r.ID] = r
	}
	if ok {
		rp.cache.mu.Lock()
		if rp.cache.gen == g {
			rp.cache.meta = m
		}
		rp.cache.mu.Unlock()
	}
	return m, g, ok, nil
}

// cacheKey names a view's reports: its repos, its window as the facts read
// it (metrics.Window.Seconds; the windows views are asked for, parsed by
// metrics/query, have whole seconds at both ends) and whether the previous
// period's report is in.
func cacheKey(r Resolved, w metrics.Window, previous bool) string {
	b := reposKey(r, w)
	fmt.Fprintf(b, "|%t", previous)
	return b.String()
}

// reposKey starts a cache key with r's repos, in id order, its modules,
// and windows as the facts read them (metrics.Window.Seconds).
func reposKey(r Resolved, windows ...metrics.Window) *strings.Builder {
	var b strings.Builder
	if r.reposKey != nil {
		b.WriteString(*r.reposKey)
	} else {
		b.WriteString(scopeReposKey(r))
	}
	for _, w := range windows {
		lo, hi := w.Seconds()
		fmt.Fprintf(&b, "|%d|%d", lo, hi)
	}
	return &b
}

// scopeReposKey names r's repos and modules: a digest of their sorted IDs
// and references, made once per scope (resolve) — written out, ten
// thousand repos' IDs were a 50 KB key built for every request.
func scopeReposKey(r Resolved) string {
	ids := slices.Clone(r.IDs)
	slices.Sort(ids)
	h := sha256.New()
	var buf []byte
	for _, id := range ids {
		buf = strconv.AppendInt(buf[:0], id, 36)
		h.Write(append(buf, ','))
	}
	for _, m := range r.ModuleRefs() {
		h.Write(append([]byte(m), 0))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// genCache keeps values while the store's generation stands, at most kept
// of them: the next put after that, or after the generation moved, starts
// afresh.
type genCache[T any] struct {
	mu   sync.Mutex
	kept int
	gen  int64
	m    map[string]T
}

func (c *genCache[T]) get(gen int64, key string) (T, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		var none T
		return none, false
	}
	v, ok := c.m[key]
	return v, ok
}

func (c *genCache[T]) put(gen int64, key string, v T) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen || c.m == nil || len(c.m) >= c.kept {
		c.gen, c.m = gen, map[string]T{}
	}
	c.m[key] = v
}

// viewReports returns the reports of a view: from the cache of generation
// g (ok as generation's), or computed from facts — once for every view
// that asks at the same time, in a slot of the gate when the window is
// long — and cached when every repo of the scope has a fresh rollup.
func (rp *Reports) viewReports(ctx context.Context, g int64, ok bool, r Resolved, w, prev metrics.Window, previous bool, at reportsAt) (*viewReports, error) {
	if !ok {
		return rp.computeViewReports(ctx, r, w, prev, previous, at)
	}
	key := cacheKey(r, w, previous)
	c := &rp.cache
	c.mu.Lock()
	if en := c.entries[key]; en != nil && c.gen == g {
		c.tick++
		en.lastUsed = c.tick
		c.mu.Unlock()
		return en.reports, nil
	}
	c.mu.Unlock()
	return rp.views.do(ctx, strconv.FormatInt(g, 10)+"/"+key, func(ctx context.Context) (*viewReports, error) {
		if HeavyWindow(w) {
			release, err := rp.gate.Compute(ctx)
			if err != nil {
				return nil, err
			}
			defer release()
			at.gated = true // the keys' comparison runs in this slot
		}
		vr, cacheable, err := rp.computeViewReportsFresh(ctx, r, w, prev, previous, at)
		if err != nil || !cacheable {
			return vr, err
		}
		c.mu.Lock()
		if c.gen == g {
			en := &cacheEntry{reports: vr, bytes: 8*len(vr.leadSeconds) + 64*len(vr.slowest) + 48*len(vr.open) + 4096*(3+len(vr.weekly))}
			c.tick++
			en.lastUsed = c.tick
			if old := c.entries[key]; old != nil {
				c.bytes -= old.bytes
			}
			c.entries[key] = en
			c.bytes += en.bytes
			c.evict()
		}
		c.mu.Unlock()
		return vr, nil
	})
}

// evict drops the least recently used entries beyond the budget. c.mu is
// held.
func (c *pageCache) evict() {
	for c.bytes > cacheBudget && len(c.entries) > 1 {
		var oldest string
		var at uint64
		for k, en := range c.entries {
			if oldest == "" || en.lastUsed < at {
				oldest, at = k, en.lastUsed
			}
		}
		c.bytes -= c.entries[oldest].bytes
		delete(c.entries, oldest)
	}
}

func (rp *Reports) computeViewReports(ctx context.Context, r Resolved, w, prev metrics.Window, previous bool, at reportsAt) (*viewReports, error) {
	vr, _, err := rp.computeViewReportsFresh(ctx, r, w, prev, previous, at)
	return vr, err
}

// computeViewReportsFresh computes a view's reports from facts, and the
// keys' comparison from rows; cacheable says every repo's facts came from
// a fresh rollup and nothing depends on the present (the window ends
// before it).
func (rp *Reports) computeViewReportsFresh(ctx context.Context, r Resolved, w, prev metrics.Window, previous bool, at reportsAt) (*viewReports, bool, error) {
	if !previous {
		prev = metrics.Window{}
	}
	as, stale, err := rp.aggregate(ctx, r, at.history, w, prev, func(as *metrics.Aggregates) { as.Window.KeepSlowest(slowestKept) })
	if err != nil {
		return nil, false, err
	}
	// Open work is filled in per view (withOpenWork), so a fixed present
	// is as good as any here.
	var now time.Time
	vr := &viewReports{open: as.Window.Open()}
	rep, ok := as.Window.Report(now)
	vr.report = scoped(rep, r)
	if previous {
		p, pok := as.PreviousReport(now)
		vr.previous, ok = scoped(p, r), ok && pok
	}
	var wok bool
	vr.weekly, wok = as.WeekReports(now)
	if !ok || !wok {
		// A lead time that is not whole seconds (see Aggregate.Report):
		// from the facts, in the rows' order.
		f, err := rp.facts(ctx, r, w)
		if err != nil {
			return nil, false, err
		}
		vr.report = scoped(metrics.ComputeFacts(f, w, rp.rules, now), r)
		vr.weekly = metrics.WeeklyFacts(f, w, rp.rules, now)
		if previous {
			pf, err := rp.facts(ctx, r, prev)
			if err != nil {
				return nil, false, err
			}
			pf.CIRuns = nil
			vr.previous = scoped(metrics.ComputeFacts(pf, prev, rp.rules, now), r)
		}
	}
	vr.leadSeconds = as.Window.LeadSeconds()
	vr.slowest = as.Window.Slowest()
	if previous {
		keys := metrics.OnlyKeys(metrics.CompareKeys(vr.report, vr.previous), metrics.DORAKeys...)
		var judged bool
		if vr.keys, judged, err = rp.judgeKeys(ctx, r, keys, prev, w, at); err != nil {
			return nil, false, err
		}
		if !judged {
			return vr, false, nil // the gate was full: judged on a later view
		}
	}
	return vr, len(stale) == 0 && !w.To.After(at.now), nil
}

// scoped fills a report's scope with the resolved repos and team.
func scoped(rep metrics.Report, r Resolved) metrics.Report {
	rep.Scope.Repos = r.Names
	if rep.Scope.Repos == nil {
		rep.Scope.Repos = []string{}
	}
	if r.Team != "" {
		team := r.Team
		rep.Scope.Team = &team
	}
	rep.Scope.Modules = r.ModuleRefs()
	if len(rep.Scope.Modules) == 0 {
		rep.Scope.Modules = nil
	}
	return rep
}

// withOpenWork is a cached report with the open work at now.
func withOpenWork(rep metrics.Report, open metrics.OpenWork) metrics.Report {
	rep.OpenWork = open
	return rep
}
