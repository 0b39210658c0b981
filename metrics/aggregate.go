package metrics

import (
	"cmp"
	"container/heap"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/tach-dev/tach/metrics/stats"
)

// FactSink takes facts one at a time: Facts keeps them, an Aggregate keeps
// only what a report needs of them, Aggregates route them to the
// aggregates of a window, its weeks and the period before it.
type FactSink interface {
	AddShipped(ShippedFact)
	AddMerged(MergedFact)
	AddDeploy(DeployFact)
	AddRecovery(DurationFact)
	AddRestore(DurationFact)
	AddCIRun(CIFact)
	AddOpen(OpenFact)
	AddOpenIncident(at int64)
}

func (f *Facts) AddShipped(x ShippedFact)   { f.Shipped = append(f.Shipped, x) }
func (f *Facts) AddMerged(x MergedFact)     { f.Merged = append(f.Merged, x) }
func (f *Facts) AddDeploy(x DeployFact)     { f.Deploys = append(f.Deploys, x) }
func (f *Facts) AddRecovery(x DurationFact) { f.Recoveries = append(f.Recoveries, x) }
func (f *Facts) AddRestore(x DurationFact)  { f.Restores = append(f.Restores, x) }
func (f *Facts) AddCIRun(x CIFact)          { f.CIRuns = append(f.CIRuns, x) }
func (f *Facts) AddOpen(x OpenFact)         { f.Open = append(f.Open, x) }
func (f *Facts) AddOpenIncident(at int64)   { f.OpenIncidents = append(f.OpenIncidents, at) }

// FactsAt is a FactSink that appends each fact placed in time, open
// incidents included, to the Facts its time picks (nil: to none). Open
// changes, which are of no time, are left out.
type FactsAt func(at int64) *Facts

func (to FactsAt) AddShipped(x ShippedFact) { to.add(x.At, func(f *Facts) { f.AddShipped(x) }) }
func (to FactsAt) AddMerged(x MergedFact)   { to.add(x.At, func(f *Facts) { f.AddMerged(x) }) }
func (to FactsAt) AddDeploy(x DeployFact)   { to.add(x.At, func(f *Facts) { f.AddDeploy(x) }) }
func (to FactsAt) AddRecovery(x DurationFact) {
	to.add(x.At, func(f *Facts) { f.AddRecovery(x) })
}
func (to FactsAt) AddRestore(x DurationFact) { to.add(x.At, func(f *Facts) { f.AddRestore(x) }) }
func (to FactsAt) AddCIRun(x CIFact)         { to.add(x.At, func(f *Facts) { f.AddCIRun(x) }) }
func (to FactsAt) AddOpen(OpenFact)          {}
func (to FactsAt) AddOpenIncident(at int64) {
	to.add(at, func(f *Facts) { f.AddOpenIncident(at) })
}

func (to FactsAt) add(at int64, add func(*Facts)) {
	if f := to(at); f != nil {
		add(f)
	}
}

// Feed gives every fact of f to s.
func (f Facts) Feed(s FactSink) {
	for _, x := range f.Shipped {
		s.AddShipped(x)
	}
	for _, x := range f.Merged {
		s.AddMerged(x)
	}
	for _, x := range f.Deploys {
		s.AddDeploy(x)
	}
	for _, x := range f.Recoveries {
		s.AddRecovery(x)
	}
	for _, x := range f.Restores {
		s.AddRestore(x)
	}
	for _, x := range f.CIRuns {
		s.AddCIRun(x)
	}
	for _, x := range f.Open {
		s.AddOpen(x)
	}
	for _, at := range f.OpenIncidents {
		s.AddOpenIncident(at)
	}
}

// An Aggregate is one window's report in the making: it keeps, of the
// facts it is given, only the values and counts the report is made of
// (4 bytes a value for whole seconds), so that a report over millions of
// rows holds no row.
type Aggregate struct {
	w      Window
	lo, hi int64
	r      Rules
	noCI   bool

	lead, rec, restore, lines, ci bag
	parts                         [4]bag
	prodTimes                     []int64

	production, failedAttempts, failed, rework int
	merged, ciRuns, ciSucceeded, openIncidents int
	open                                       []OpenFact

	slowest *slowestHeap

	// counted's sorted values of each figure (breakdown.go), read only.
	sortedMu sync.Mutex
	sorted   map[Figure][]float64
}

// Empty reports whether nothing of the window was counted: no change,
// deployment, attempt, recovery, incident or CI run.
func (a *Aggregate) Empty() bool {
	return a.production == 0 && a.failedAttempts == 0 && a.merged == 0 && a.ciRuns == 0 && a.openIncidents == 0 &&
		a.lead.len() == 0 && a.rec.len() == 0 && a.restore.len() == 0 && a.lines.len() == 0
}

// NewAggregate starts the report of w under r.
func NewAggregate(w Window, r Rules) *Aggregate {
	a := &Aggregate{w: w, r: r}
	a.lo, a.hi = w.Seconds()
	return a
}

// WithoutCI makes the aggregate ignore CI runs (a period whose runs are
// not loaded: its CI figures are null).
func (a *Aggregate) WithoutCI() *Aggregate { a.noCI = true; return a }

// KeepSlowest makes the aggregate keep the n slowest changes it counts in
// lead time (Slowest).
func (a *Aggregate) KeepSlowest(n int) *Aggregate {
	a.slowest = &slowestHeap{n: n}
	return a
}

func (a *Aggregate) in(t int64) bool         { return t >= a.lo && t < a.hi }
func (a *Aggregate) counts(bot bool) bool    { return a.r.IncludeBotChanges || !bot }
func (a *Aggregate) AddOpen(o OpenFact)      { a.open = append(a.open, o) }
func (a *Aggregate) AddOpenIncident(t int64) { a.openIncidents += b2i(a.in(t)) }

func (a *Aggregate) AddShipped(s ShippedFact) {
	if !a.in(s.At) || !a.counts(s.Bot) {
		return
	}
	a.lead.add(s.Lead)
	for i := range a.parts {
		if s.Known&(1<<i) != 0 {
			a.parts[i].add(s.Parts[i])
		}
	}
	if a.slowest != nil {
		a.slowest.offer(s)
	}
}

func (a *Aggregate) AddMerged(m MergedFact) {
	if !a.in(m.At) || !a.counts(m.Bot) {
		return
	}
	a.merged++
	if m.SizeKnown {
		a.lines.add(float64(m.Lines))
	}
}

func (a *Aggregate) AddDeploy(d DeployFact) {
	if !a.in(d.At) {
		return
	}
	if d.Production {
		a.production++
		a.prodTimes = append(a.prodTimes, d.At)
		a.failed += b2i(d.Failed)
		a.rework += b2i(d.Rework)
	}
	a.failedAttempts += b2i(d.FailedAttempt)
}

func (a *Aggregate) AddRecovery(d DurationFact) {
	if a.in(d.At) {
		a.rec.add(d.Seconds)
	}
}

func (a *Aggregate) AddRestore(d DurationFact) {
	if a.in(d.At) {
		a.restore.add(d.Seconds)
	}
}

func (a *Aggregate) AddCIRun(c CIFact) {
	if a.noCI || !a.in(c.At) {
		return
	}
	a.ciRuns++
	a.ciSucceeded += b2i(c.Succeeded)
	if c.Known {
		a.ci.add(c.Seconds)
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Merge adds what b was given to a (same window and rules).
func (a *Aggregate) Merge(b *Aggregate) {
	a.lead.merge(&b.lead)
	a.rec.merge(&b.rec)
	a.restore.merge(&b.restore)
	a.lines.merge(&b.lines)
	a.ci.merge(&b.ci)
	for i := range a.parts {
		a.parts[i].merge(&b.parts[i])
	}
	a.prodTimes = append(a.prodTimes, b.prodTimes...)
	a.production += b.production
	a.failedAttempts += b.failedAttempts
	a.failed += b.failed
	a.rework += b.rework
	a.merged += b.merged
	a.ciRuns += b.ciRuns
	a.ciSucceeded += b.ciSucceeded
	a.openIncidents += b.openIncidents
	a.open = append(a.open, b.open...)
	if a.slowest != nil && b.slowest != nil {
		for _, s := range b.slowest.xs {
			a.slowest.offer(s)
		}
	}
}

// Open are the open changes the aggregate was given.
func (a *Aggregate) Open() []OpenFact { return a.open }

// LeadSeconds are the lead times counted, in no particular order.
func (a *Aggregate) LeadSeconds() []float64 { return a.lead.floats() }

// Slowest returns the slowest changes kept (KeepSlowest), slowest first,
// then by change id.
func (a *Aggregate) Slowest() []ShippedFact {
	if a.slowest == nil {
		return nil
	}
	out := slices.Clone(a.slowest.xs)
	slices.SortFunc(out, slowerFirst)
	return out
}

// Report is the report of the window at now. ok is false only when a lead
// time is not a whole number of seconds (never so for stored rows): its
// mean then depends on the order of the rows, which an aggregate does not
// keep, and ComputeFacts must compute it from the facts.
func (a *Aggregate) Report(now time.Time) (rep Report, ok bool) {
	loc := a.r.Timezone()
	w := a.w
	rep.Scope = Scope{From: w.From.In(loc).Format(time.DateOnly), To: w.To.In(loc).Format(time.DateOnly), Timezone: loc.String()}

	rep.LeadTime = LeadTime{Count: a.lead.len()}
	ok = true
	if n := a.lead.len(); n > 0 {
		if sum, exact := a.lead.exactSum(); exact {
			rep.LeadTime.MeanSeconds = stats.FloatOrNil(sum/float64(n), true)
		} else {
			ok = false
		}
	}
	rep.LeadTime.MedianSeconds, rep.LeadTime.P75Seconds, rep.LeadTime.P90Seconds = a.lead.percentiles(0.5, 0.75, 0.90)
	rep.LeadTime.Tier = LeadTimeTier(rep.LeadTime.MedianSeconds)
	cycle := func(b *bag) CyclePart {
		p := CyclePart{Count: b.len()}
		p.MedianSeconds, p.P75Seconds, _ = b.percentiles(0.5, 0.75)
		return p
	}
	rep.CycleTime = CycleTime{Coding: cycle(&a.parts[PartCoding]), Pickup: cycle(&a.parts[PartPickup]), Review: cycle(&a.parts[PartReview]), Deploy: cycle(&a.parts[PartDeploy])}

	production := a.production
	rates := w.withData() // the weeks with values (Window.DataFrom)
	df := DeploymentFrequency{Deployments: production, FailedAttempts: a.failedAttempts, SuccessRate: stats.RateOrNil(production, production+a.failedAttempts)}
	if production > 0 {
		slices.Sort(a.prodTimes)
		df.PerWeek = perWeek(production, rates, loc)
		df.DeployDaysPerWeekMedian = stats.MedianOrNil(deployDaysOf(a.prodTimes, Weeks(rates, loc), loc))
		df.DeployDaysPerMonthMedian = stats.MedianOrNil(deployDaysOf(a.prodTimes, MonthsOrFourWeekBlocks(rates, loc), loc))
		df.Tier = DeploymentFrequencyTier(df.DeployDaysPerWeekMedian, df.DeployDaysPerMonthMedian)
	}
	rep.DeploymentFrequency = df
	cfr := stats.RateOrNil(a.failed, production)
	rep.ChangeFailureRate = ChangeFailureRate{Failed: a.failed, Deployments: production, Rate: cfr, Tier: ChangeFailureRateTier(cfr)}
	rep.ReworkRate = ReworkRate{Rework: a.rework, Deployments: production, Rate: stats.RateOrNil(a.rework, production)}

	rep.RecoveryTime = RecoveryTime{Count: a.rec.len(), OpenIncidents: a.openIncidents}
	rep.RecoveryTime.MedianSeconds, rep.RecoveryTime.P75Seconds, rep.RecoveryTime.P90Seconds = a.rec.percentiles(0.5, 0.75, 0.90)
	rep.RecoveryTime.Tier = RecoveryTimeTier(rep.RecoveryTime.MedianSeconds)
	rep.TimeToRestore = TimeToRestore{Count: a.restore.len()}
	rep.TimeToRestore.MedianSeconds, _, _ = a.restore.percentiles(0.5)

	rep.Throughput = Throughput{Merged: a.merged, PerWeek: perWeek(a.merged, rates, loc)}
	rep.PRSize = PRSize{Count: a.lines.len()}
	rep.PRSize.MedianLines, rep.PRSize.P75Lines, _ = a.lines.percentiles(0.5, 0.75)

	rep.CI = CI{Runs: a.ciRuns, SuccessRate: stats.RateOrNil(a.ciSucceeded, a.ciRuns)}
	rep.CI.MedianSeconds, rep.CI.P90Seconds, _ = a.ci.percentiles(0.5, 0.90)

	rep.OpenWork = OpenWorkOf(a.open, a.r, now)
	return rep, ok
}

// Aggregates route facts to the aggregate of a window, of each week of its
// weekly series (SeriesWeeks: part weeks at its ends included) and,
// optionally, of the period before it.
type Aggregates struct {
	Window   *Aggregate
	Weeks    []*Aggregate
	Previous *Aggregate // nil unless asked for
	weekLo   []int64
	weekHi   []int64
	weeks    []Window
}

// NewAggregates starts the reports of w and its weeks; with a previous
// period (prev.To after prev.From), its report too, without CI runs.
func NewAggregates(w, prev Window, r Rules) *Aggregates {
	as := &Aggregates{Window: NewAggregate(w, r), weeks: SeriesWeeks(w, r.Timezone())}
	for _, wk := range as.weeks {
		lo, hi := wk.Seconds()
		as.weekLo, as.weekHi = append(as.weekLo, lo), append(as.weekHi, hi)
		as.Weeks = append(as.Weeks, NewAggregate(wk, r))
	}
	if prev.From.Before(prev.To) {
		as.Previous = NewAggregate(prev, r).WithoutCI()
	}
	return as
}

func (as *Aggregates) week(t int64) *Aggregate {
	i, found := slices.BinarySearch(as.weekLo, t)
	if !found {
		i--
	}
	if i >= 0 && t < as.weekHi[i] {
		return as.Weeks[i]
	}
	return nil
}

// add gives a fact dated at to the window, its week and the period before.
func (as *Aggregates) add(at int64, to func(*Aggregate)) {
	to(as.Window)
	if wk := as.week(at); wk != nil {
		to(wk)
	}
	if as.Previous != nil {
		to(as.Previous)
	}
}

func (as *Aggregates) AddShipped(x ShippedFact) { as.add(x.At, func(a *Aggregate) { a.AddShipped(x) }) }
func (as *Aggregates) AddMerged(x MergedFact)   { as.add(x.At, func(a *Aggregate) { a.AddMerged(x) }) }
func (as *Aggregates) AddDeploy(x DeployFact)   { as.add(x.At, func(a *Aggregate) { a.AddDeploy(x) }) }
func (as *Aggregates) AddRecovery(x DurationFact) {
	as.add(x.At, func(a *Aggregate) { a.AddRecovery(x) })
}
func (as *Aggregates) AddRestore(x DurationFact) {
	as.add(x.At, func(a *Aggregate) { a.AddRestore(x) })
}
func (as *Aggregates) AddCIRun(x CIFact) { as.add(x.At, func(a *Aggregate) { a.AddCIRun(x) }) }
func (as *Aggregates) AddOpenIncident(at int64) {
	as.add(at, func(a *Aggregate) { a.AddOpenIncident(at) })
}

// AddOpen keeps an open change once, for every report.
func (as *Aggregates) AddOpen(x OpenFact) { as.Window.AddOpen(x) }

// Merge adds what o was given to as (made alike).
func (as *Aggregates) Merge(o *Aggregates) {
	as.Window.Merge(o.Window)
	for i := range as.Weeks {
		as.Weeks[i].Merge(o.Weeks[i])
	}
	if as.Previous != nil {
		as.Previous.Merge(o.Previous)
	}
}

// PreviousReport is the report of the period before, at now; ok as
// Report's.
func (as *Aggregates) PreviousReport(now time.Time) (Report, bool) {
	as.Previous.open = as.Window.open
	return as.Previous.Report(now)
}

// WeekReports are the reports of the weeks at now; ok as Report's.
func (as *Aggregates) WeekReports(now time.Time) ([]WeekReport, bool) {
	out := make([]WeekReport, len(as.Weeks))
	allOK := true
	for i, a := range as.Weeks {
		a.open = as.Window.open
		rep, ok := a.Report(now)
		allOK = allOK && ok
		out[i] = weekReport(as.weeks[i], rep, as.Window.r)
	}
	return out, allOK
}

// weekReport is the report of week, one of SeriesWeeks.
func weekReport(week Window, rep Report, r Rules) WeekReport {
	return WeekReport{Start: week.From, End: week.To, Partial: Partial(week, r.Timezone()), Report: rep}
}

// bag holds a multiset of values: whole seconds (or lines) as uint32 in
// chunks (so that it grows without copying), or, once a value is not a
// whole number in uint32's range, every value as float64.
type bag struct {
	chunks [][]uint32
	n      int
	max    uint32 // of the uint32 values
	f      []float64
}

// bagChunk is how many values a chunk holds at most. The first holds
// bagFirstChunk and each next one twice the last: a split keeps a bag per
// figure, repo and period, most of them small, and a thousand repos' bags
// of bagChunk values each would take a gigabyte.
const (
	bagChunk      = 1 << 14
	bagFirstChunk = 1 << 6
)

func (b *bag) add(x float64) {
	if b.f == nil && x >= 0 && x <= math.MaxUint32 && x == math.Trunc(x) {
		v := uint32(x)
		if k := len(b.chunks); k == 0 || len(b.chunks[k-1]) == cap(b.chunks[k-1]) {
			size := bagFirstChunk
			if k > 0 {
				size = min(bagChunk, max(bagFirstChunk, 2*cap(b.chunks[k-1])))
			}
			b.chunks = append(b.chunks, make([]uint32, 0, size))
		}
		c := &b.chunks[len(b.chunks)-1]
		*c = append(*c, v)
		b.n++
		b.max = max(b.max, v)
		return
	}
	if b.f == nil {
		b.f = b.floats()
		b.chunks, b.n = nil, 0
	}
	b.f = append(b.f, x)
}

func (b *bag) len() int { return b.n + len(b.f) }

func (b *bag) floats() []float64 {
	if b.f != nil {
		return b.f
	}
	out := make([]float64, 0, b.n)
	for _, c := range b.chunks {
		for _, v := range c {
			out = append(out, float64(v))
		}
	}
	return out
}

func (b *bag) uints() []uint32 {
	if len(b.chunks) == 1 {
		return b.chunks[0]
	}
	out := make([]uint32, 0, b.n)
	for _, c := range b.chunks {
		out = append(out, c...)
	}
	return out
}

func (b *bag) merge(o *bag) {
	if b.f == nil && o.f == nil {
		b.chunks = append(b.chunks, o.chunks...)
		b.n += o.n
		b.max = max(b.max, o.max)
		return
	}
	if b.f == nil {
		b.f, b.chunks, b.n = b.floats(), nil, 0
	}
	b.f = append(b.f, o.floats()...)
}

// exactSum is the values' sum when it is the same in any order.
func (b *bag) exactSum() (float64, bool) {
	if b.f != nil {
		return exactSum(b.f)
	}
	var sum uint64
	for _, c := range b.chunks {
		for _, v := range c {
			sum += uint64(v)
		}
	}
	return float64(sum), sum < 1<<53
}

// percentiles are PercentileOrNil of the values for each p (up to three).
// The values are reordered.
func (b *bag) percentiles(ps ...float64) (x, y, z *float64) {
	var out [3]*float64
	switch {
	case b.f != nil:
		out = stats.PercentilesBySelection(b.f, ps)
	case b.n < 1<<12:
		out = stats.PercentilesBySelection(b.uints(), ps)
	default:
		out = stats.PercentilesByHistogram(b.chunks, b.n, b.max, ps)
	}
	return out[0], out[1], out[2]
}

// slowerFirst orders shipped facts by lead time, longest first, then by
// change id.
func slowerFirst(a, b ShippedFact) int {
	return cmp.Or(cmp.Compare(b.Lead, a.Lead), cmp.Compare(a.ChangeID, b.ChangeID))
}

// slowestHeap keeps the n slowest facts offered: a heap whose root is the
// fastest of them.
type slowestHeap struct {
	n  int
	xs []ShippedFact
}

func (h *slowestHeap) Len() int           { return len(h.xs) }
func (h *slowestHeap) Less(i, j int) bool { return slowerFirst(h.xs[i], h.xs[j]) > 0 }
func (h *slowestHeap) Swap(i, j int)      { h.xs[i], h.xs[j] = h.xs[j], h.xs[i] }
func (h *slowestHeap) Push(x any)         { h.xs = append(h.xs, x.(ShippedFact)) }
func (h *slowestHeap) Pop() any {
	x := h.xs[len(h.xs)-1]
	h.xs = h.xs[:len(h.xs)-1]
	return x
}

func (h *slowestHeap) offer(s ShippedFact) {
	switch {
	case h.n <= 0:
	case len(h.xs) < h.n:
		heap.Push(h, s)
	case slowerFirst(s, h.xs[0]) < 0:
		h.xs[0] = s
		heap.Fix(h, 0)
	}
}

// perWeek is count ÷ window days × 7, with calendar days of loc (WindowDays);
// nil for an empty count or window.
func perWeek(count int, w Window, loc *time.Location) *float64 {
	days := WindowDays(w, loc)
	if count == 0 || days <= 0 {
		return nil
	}
	return stats.FloatOrNil(float64(count)/days*7, true)
}
