package engine

import (
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/tach-dev/tach/metrics"
	"github.com/tach-dev/tach/store"
)

// Rollups: the derive step packs each repo's facts (metrics.Facts) per
// 28-day period into the store (migration 0004), and reports read them
// back for the periods their window touches, keeping only the facts inside
// it. A report from rollups is the report from rows (TestRollupReportIs
// RowReport): the facts are exact, and a repo whose rollup is not fresh
// (rows written since it was built, or built with other rules) is read
// from its rows instead.
//
// Packing, per period: six sections (shipped, merged, deployments,
// recoveries, restores, CI runs), each a count and its facts in time
// order; times as uvarint steps from the previous one (the first from the
// period's start), change ids (the only ids kept: for the slowest changes
// a page lists) as zigzag steps from the previous one, durations as
// whole seconds (x<<1) or, for a duration that is not whole, 1 and the
// float's 8 bytes. Open changes and open incidents are packed apart.

// rollupFormat names the packing; a new one makes every rollup stale.
const rollupFormat = "facts-2"

const (
	rollupEpoch  = 345600     // Monday 1970-01-05 00:00 UTC
	rollupWidth  = 28 * 86400 // seconds in a period
	maxWholeSecs = float64(1 << 60)
)

// periodOf is the period holding Unix second t.
func periodOf(t int64) int {
	d := t - rollupEpoch
	p := d / rollupWidth
	if d%rollupWidth < 0 {
		p--
	}
	return int(p)
}

func periodStart(p int) int64 { return rollupEpoch + int64(p)*rollupWidth }

// rollupVersion says which packing and rules a rollup must have been built
// with to be read: the bot pattern decides Bot in every fact.
func rollupVersion(rules metrics.Rules) string {
	bots := ""
	if rules.Bots != nil {
		bots = rules.Bots.String()
	}
	return rollupFormat + "\x00" + bots
}

// packFacts packs a repo's facts into periods, and its open facts. ok is
// false when a fact lies outside the periods a rollup can hold (before
// 1970): the repo is then read from its rows.
func packFacts(f metrics.Facts) (periods map[int][]byte, open []byte, ok bool) {
	bufs := map[int]*metrics.Facts{}
	ok = true
	// Open incidents are packed with the open changes (packOpen), not in
	// periods.
	dated := f
	dated.OpenIncidents = nil
	dated.Feed(metrics.FactsAt(func(t int64) *metrics.Facts {
		p := periodOf(t)
		if p < 0 || p > store.MaxPeriod {
			ok, p = false, 0
		}
		b := bufs[p]
		if b == nil {
			b = &metrics.Facts{}
			bufs[p] = b
		}
		return b
	}))
	if !ok {
		return nil, nil, false
	}
	out := make(map[int][]byte, len(bufs))
	for p, b := range bufs {
		out[p] = packPeriod(b, periodStart(p))
	}
	return out, packOpen(f), true
}

// packPeriod packs the facts of one period, which starts at start.
func packPeriod(b *metrics.Facts, start int64) []byte {
	slices.SortFunc(b.Shipped, func(x, y metrics.ShippedFact) int {
		return cmp.Or(cmp.Compare(x.At, y.At), cmp.Compare(x.ChangeID, y.ChangeID))
	})
	slices.SortFunc(b.Merged, func(x, y metrics.MergedFact) int { return cmp.Compare(x.At, y.At) })
	slices.SortFunc(b.Deploys, func(x, y metrics.DeployFact) int { return cmp.Or(cmp.Compare(x.At, y.At), cmp.Compare(x.ID, y.ID)) })
	slices.SortFunc(b.Recoveries, func(x, y metrics.DurationFact) int { return cmp.Compare(x.At, y.At) })
	slices.SortFunc(b.Restores, func(x, y metrics.DurationFact) int { return cmp.Compare(x.At, y.At) })
	slices.SortFunc(b.CIRuns, func(x, y metrics.CIFact) int { return cmp.Or(cmp.Compare(x.At, y.At), cmp.Compare(x.ID, y.ID)) })

	var out []byte
	var t, id int64
	step := func(at int64) { out = binary.AppendUvarint(out, uint64(at-t)); t = at }
	stepID := func(x int64) { out = binary.AppendVarint(out, x-id); id = x }
	section := func(n int) { out = binary.AppendUvarint(out, uint64(n)); t, id = start, 0 }

	section(len(b.Shipped))
	for _, s := range b.Shipped {
		step(s.At)
		stepID(s.ChangeID)
		flags := s.Known
		if s.Bot {
			flags |= 1 << 4
		}
		out = append(out, flags)
		out = appendSeconds(out, s.Lead)
		for i := range s.Parts {
			if s.Known&(1<<i) != 0 {
				out = appendSeconds(out, s.Parts[i])
			}
		}
	}
	section(len(b.Merged))
	for _, m := range b.Merged {
		step(m.At)
		var flags byte
		if m.SizeKnown {
			flags |= 1
		}
		if m.Bot {
			flags |= 2
		}
		out = append(out, flags)
		if m.SizeKnown {
			out = binary.AppendVarint(out, int64(m.Lines))
		}
	}
	section(len(b.Deploys))
	for _, d := range b.Deploys {
		step(d.At)
		out = append(out, bits(d.Production, d.FailedAttempt, d.Failed, d.Rework))
	}
	for _, durs := range [][]metrics.DurationFact{b.Recoveries, b.Restores} {
		section(len(durs))
		for _, d := range durs {
			step(d.At)
			out = appendSeconds(out, d.Seconds)
		}
	}
	section(len(b.CIRuns))
	for _, c := range b.CIRuns {
		step(c.At)
		out = append(out, bits(c.Known, c.Succeeded))
		if c.Known {
			out = appendSeconds(out, c.Seconds)
		}
	}
	return out
}

func packOpen(f metrics.Facts) []byte {
	var out []byte
	out = binary.AppendUvarint(out, uint64(len(f.Open)))
	for _, o := range f.Open {
		out = binary.AppendVarint(out, o.CreatedAt)
		out = append(out, bits(o.HasReady, o.Draft, o.Reviewed, o.Bot))
		if o.HasReady {
			out = binary.AppendVarint(out, o.ReadyAt-o.CreatedAt)
		}
	}
	out = binary.AppendUvarint(out, uint64(len(f.OpenIncidents)))
	for _, at := range f.OpenIncidents {
		out = binary.AppendVarint(out, at)
	}
	return out
}

func bits(bs ...bool) byte {
	var b byte
	for i, v := range bs {
		if v {
			b |= 1 << i
		}
	}
	return b
}

func appendSeconds(b []byte, x float64) []byte {
	if x >= 0 && x < maxWholeSecs && x == math.Trunc(x) {
		return binary.AppendUvarint(b, uint64(x)<<1)
	}
	b = binary.AppendUvarint(b, 1)
	return binary.LittleEndian.AppendUint64(b, math.Float64bits(x))
}

var errBadRollup = errors.New("malformed rollup")

// unpacker reads packed facts.
type unpacker struct {
	b   []byte
	err error
}

func (u *unpacker) uvarint() uint64 {
	v, n := binary.Uvarint(u.b)
	if n <= 0 {
		u.err, u.b = errBadRollup, nil
		return 0
	}
	u.b = u.b[n:]
	return v
}

func (u *unpacker) varint() int64 {
	v, n := binary.Varint(u.b)
	if n <= 0 {
		u.err, u.b = errBadRollup, nil
		return 0
	}
	u.b = u.b[n:]
	return v
}

func (u *unpacker) byte() byte {
	if len(u.b) == 0 {
		u.err = errBadRollup
		return 0
	}
	c := u.b[0]
	u.b = u.b[1:]
	return c
}

func (u *unpacker) seconds() float64 {
	v := u.uvarint()
	if v&1 == 0 {
		return float64(v >> 1)
	}
	if len(u.b) < 8 {
		u.err, u.b = errBadRollup, nil
		return 0
	}
	x := math.Float64frombits(binary.LittleEndian.Uint64(u.b))
	u.b = u.b[8:]
	return x
}

// unpackPeriod gives the facts of one packed period that fall in [lo, hi)
// to f.
func unpackPeriod(b []byte, period int, lo, hi int64, f metrics.FactSink) error {
	u := unpacker{b: b}
	start := periodStart(period)
	all := lo <= start && start+rollupWidth <= hi
	in := func(t int64) bool { return all || (t >= lo && t < hi) }
	var t, id int64
	section := func() int { t, id = start, 0; return int(u.uvarint()) }
	step := func() int64 { t += int64(u.uvarint()); return t }
	stepID := func() int64 { id += u.varint(); return id }

	for range section() {
		s := metrics.ShippedFact{At: step(), ChangeID: stepID()}
		flags := u.byte()
		s.Known, s.Bot = flags&0x0f, flags&(1<<4) != 0
		s.Lead = u.seconds()
		for i := range s.Parts {
			if s.Known&(1<<i) != 0 {
				s.Parts[i] = u.seconds()
			}
		}
		if in(s.At) {
			f.AddShipped(s)
		}
	}
	for range section() {
		m := metrics.MergedFact{At: step()}
		flags := u.byte()
		m.SizeKnown, m.Bot = flags&1 != 0, flags&2 != 0
		if m.SizeKnown {
			m.Lines = int(u.varint())
		}
		if in(m.At) {
			f.AddMerged(m)
		}
	}
	for range section() {
		d := metrics.DeployFact{At: step()}
		flags := u.byte()
		d.Production, d.FailedAttempt, d.Failed, d.Rework = flags&1 != 0, flags&2 != 0, flags&4 != 0, flags&8 != 0
		if in(d.At) {
			f.AddDeploy(d)
		}
	}
	for _, add := range []func(metrics.DurationFact){f.AddRecovery, f.AddRestore} {
		for range section() {
			d := metrics.DurationFact{At: step(), Seconds: u.seconds()}
			if in(d.At) {
				add(d)
			}
		}
	}
	for range section() {
		c := metrics.CIFact{At: step()}
		flags := u.byte()
		c.Known, c.Succeeded = flags&1 != 0, flags&2 != 0
		if c.Known {
			c.Seconds = u.seconds()
		}
		if in(c.At) {
			f.AddCIRun(c)
		}
	}
	if u.err != nil || len(u.b) != 0 {
		return fmt.Errorf("period %d: %w", period, errBadRollup)
	}
	return nil
}

func unpackOpen(b []byte, f metrics.FactSink) error {
	if len(b) == 0 {
		return nil
	}
	u := unpacker{b: b}
	for range int(u.uvarint()) {
		o := metrics.OpenFact{CreatedAt: u.varint()}
		flags := u.byte()
		o.HasReady, o.Draft, o.Reviewed, o.Bot = flags&1 != 0, flags&2 != 0, flags&4 != 0, flags&8 != 0
		if o.HasReady {
			o.ReadyAt = o.CreatedAt + u.varint()
		}
		f.AddOpen(o)
	}
	for range int(u.uvarint()) {
		f.AddOpenIncident(u.varint())
	}
	if u.err != nil || len(u.b) != 0 {
		return fmt.Errorf("open facts: %w", errBadRollup)
	}
	return nil
}

// buildRollup is the rollup of a derived repo history and its CI runs.
func (dv *Deriver) buildRollup(ctx context.Context, repoID int64, out metrics.RepoHistory) (store.Rollup, error) {
	f := metrics.FactsOf(metrics.Dataset{Changes: out.Changes, Deployments: out.Deployments, Incidents: out.Incidents}, dv.rules)
	err := dv.st.EachCIRunTiming(ctx, repoID, func(r store.CIRunTiming) error {
		if c, ok := metrics.CIFactOf(metrics.CIRun{ID: r.ID, RepoID: r.RepoID, Conclusion: r.Conclusion, StartedAt: r.StartedAt, FinishedAt: r.FinishedAt}); ok {
			f.CIRuns = append(f.CIRuns, c)
		}
		return nil
	})
	if err != nil {
		return store.Rollup{}, err
	}
	periods, open, ok := packFacts(f)
	if !ok {
		return store.Rollup{Version: "unpackable"}, nil // never fresh: read from rows
	}
	return store.Rollup{Version: rollupVersion(dv.rules), Periods: periods, Open: open}, nil
}

// facts loads the facts of r's repos that fall in w (with every open
// change).
func (rp *Reports) facts(ctx context.Context, r Resolved, w metrics.Window) (metrics.Facts, error) {
	var f metrics.Facts
	_, err := rp.feed(ctx, r, w, []metrics.FactSink{&f})
	return f, err
}

// feed gives the facts of r's repos that fall in w (and every open change)
// to sinks, the repos shared among them, each read on its own connection
// and goroutine: from the repos' rollups where they are fresh, from their
// rows elsewhere (given to the first sink). It returns the repos read from
// rows.
func (rp *Reports) feed(ctx context.Context, r Resolved, w metrics.Window, sinks []metrics.FactSink) (stale []int64, err error) {
	return rp.feedTo(ctx, r, w, len(sinks), func(i int, _ int64) metrics.FactSink { return sinks[i] }, false)
}

// feedTo is feed with the sink of each worker (0 to workers − 1) and repo
// given by sinkOf; byRepo says that the sinks differ by repo, so the
// repos read from rows are read one by one (else together, into worker
// 0's sink).
func (rp *Reports) feedTo(ctx context.Context, r Resolved, w metrics.Window, workers int, sinkOf func(worker int, repoID int64) metrics.FactSink, byRepo bool) (stale []int64, err error) {
	lo, hi := w.Seconds()
	version := rollupVersion(rp.rules)
	parts := make([][]int64, workers)
	for i, id := range r.IDs {
		parts[i%workers] = append(parts[i%workers], id)
	}
	stales := make([][]int64, workers)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for i := range workers {
		read := func() {
			from, to := periodOf(lo), periodOf(hi-1)
			if hi <= lo {
				from, to = 1, 0 // no period
			}
			errs[i] = rp.st.ReadRollups(ctx, parts[i], version, from, to,
				func(fresh map[int64][]byte) error {
					for _, id := range parts[i] {
						open, ok := fresh[id]
						if !ok {
							stales[i] = append(stales[i], id)
							continue
						}
						if err := unpackOpen(open, sinkOf(i, id)); err != nil {
							return fmt.Errorf("repo %d: %w", id, err)
						}
					}
					return nil
				},
				func(repoID int64, p int, b []byte) error {
					// A thousand repos over years are a hundred thousand
					// periods: stop as soon as nobody waits for them.
					if err := ctx.Err(); err != nil {
						return err
					}
					if err := unpackPeriod(b, p, lo, hi, sinkOf(i, repoID)); err != nil {
						return fmt.Errorf("repo %d: %w", repoID, err)
					}
					return nil
				})
		}
		if workers == 1 {
			read()
		} else {
			wg.Go(read)
		}
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	for _, s := range stales {
		stale = append(stale, s...)
	}
	if len(stale) > 0 {
		// Each repo's rows on their own when the sinks differ by repo (a
		// rollup turns stale for a sync's moment: few repos, rarely).
		groups := [][]int64{stale}
		if byRepo {
			groups = make([][]int64, len(stale))
			for i, id := range stale {
				groups[i] = []int64{id}
			}
		}
		for _, ids := range groups {
			ds, err := rp.Dataset(ctx, Resolved{IDs: ids}, w)
			if err != nil {
				return nil, err
			}
			metrics.FactsOf(ds, rp.rules).Keep(w).Feed(sinkOf(0, ids[0]))
		}
	}
	if len(r.Modules) > 0 {
		// Modules are read from their rows: nothing of them is cached.
		// Each repo's modules on their own when the sinks differ by repo.
		ids, by := modulesByRepo(r.Modules)
		groups := [][]ResolvedModule{r.Modules}
		if byRepo {
			groups = make([][]ResolvedModule, len(ids))
			for i, id := range ids {
				groups[i] = by[id]
			}
		}
		for _, mods := range groups {
			ds, err := rp.moduleData(ctx, mods, w)
			if err != nil {
				return nil, err
			}
			metrics.FactsOf(ds, rp.rules).Keep(w).Feed(sinkOf(0, mods[0].RepoID))
		}
		stale = append(stale, ids...)
	}
	return stale, nil
}

// workers is how many goroutines read a scope's rollups for a window: one
// per CPU for a large scope over a long window, else one. Reading a few
// thousand packed periods is quicker on one connection than split over two
// (each with its own page cache to fill).
func workers(repos int, w metrics.Window) int {
	if repos < 64 || w.To.Sub(w.From) < 180*24*time.Hour {
		return 1
	}
	return max(1, runtime.GOMAXPROCS(0))
}

// mergeableSink is a sink that a worker fills and that takes in another's.
type mergeableSink[A any] interface {
	metrics.FactSink
	Merge(A)
}

// feedMerged feeds the facts of r's repos over span to sinks made by mk,
// one per worker, and merges them into the first.
func feedMerged[A mergeableSink[A]](ctx context.Context, rp *Reports, r Resolved, span metrics.Window, mk func() A) (A, []int64, error) {
	parts := make([]A, workers(len(r.IDs), span))
	sinks := make([]metrics.FactSink, len(parts))
	for i := range parts {
		parts[i] = mk()
		sinks[i] = parts[i]
	}
	stale, err := rp.feed(ctx, r, span, sinks)
	if err != nil {
		var none A
		return none, nil, err
	}
	for _, p := range parts[1:] {
		parts[0].Merge(p)
	}
	return parts[0], stale, nil
}

// aggregate computes the aggregates of r's repos for w, its weeks and,
// when prev is not empty, the period before, on workers goroutines,
// merged, their rates over the weeks with data by r's history h. fill
// configures each part alike.
func (rp *Reports) aggregate(ctx context.Context, r Resolved, h scopeHistory, w, prev metrics.Window, fill func(*metrics.Aggregates)) (*metrics.Aggregates, []int64, error) {
	loc := rp.rules.Timezone()
	w, prev = h.withDataFrom(w, loc), h.withDataFrom(prev, loc)
	span := w
	if prev.From.Before(prev.To) {
		span.From = prev.From
	}
	return feedMerged(ctx, rp, r, span, func() *metrics.Aggregates {
		as := metrics.NewAggregates(w, prev, rp.rules)
		if fill != nil {
			fill(as)
		}
		return as
	})
}

// WithDataFrom returns w with where r's data starts in it (DataFrom), by
// its repos' history starts: rates per week are taken from there.
func (rp *Reports) WithDataFrom(ctx context.Context, r Resolved, w metrics.Window) (metrics.Window, error) {
	m, _, _, err := rp.meta(ctx)
	if err != nil {
		return metrics.Window{}, err
	}
	return historyOf(r, m.byID).withDataFrom(w, rp.rules.Timezone()), nil
}

// report computes the report of r's repos over w from their facts, its
// rates over the weeks with data by r's history h.
func (rp *Reports) report(ctx context.Context, r Resolved, h scopeHistory, w metrics.Window, now time.Time) (metrics.Report, error) {
	w = h.withDataFrom(w, rp.rules.Timezone())
	a, _, err := feedMerged(ctx, rp, r, w, func() *metrics.Aggregate { return metrics.NewAggregate(w, rp.rules) })
	if err != nil {
		return metrics.Report{}, err
	}
	rep, ok := a.Report(now)
	if !ok {
		// A lead time that is not whole seconds: its mean needs the rows'
		// order, which only the facts keep.
		f, err := rp.facts(ctx, r, w)
		if err != nil {
			return metrics.Report{}, err
		}
		rep = metrics.ComputeFacts(f, w, rp.rules, now)
	}
	return rep, nil
}

// weekly computes the report of each whole week of w from the facts of r's
// repos.
func (rp *Reports) weekly(ctx context.Context, r Resolved, h scopeHistory, w metrics.Window, now time.Time) ([]metrics.WeekReport, error) {
	as, _, err := rp.aggregate(ctx, r, h, w, metrics.Window{}, nil)
	if err != nil {
		return nil, err
	}
	weeks, ok := as.WeekReports(now)
	if !ok {
		f, err := rp.facts(ctx, r, w)
		if err != nil {
			return nil, err
		}
		weeks = metrics.WeeklyFacts(f, w, rp.rules, now)
	}
	return weeks, nil
}
