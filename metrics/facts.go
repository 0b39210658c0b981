package metrics

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/tach-dev/tach/metrics/stats"
)

// Facts are the few figures of each row that a Report is computed from —
// a change's lead time and cycle parts, a deployment's outcome flags, a CI
// run's duration — each with the time that places it in a window. They
// are the rows of a Dataset reduced to what a report reads, so they can be
// kept precomputed (the store's rollups, per repository and period) and a
// report over three years of a thousand repositories reads a few bytes
// per row instead of whole rows.
//
// ComputeFacts(FactsOf(ds, r), w, r, now) is the report the reference
// implementation computes from the rows (Compute, in reference_test.go),
// value for value (TestComputeFactsIsCompute): every percentile is still
// the exact type-7 percentile of the same values, nothing is approximated.
// Times are whole Unix seconds, as the store keeps them; so are the
// durations of rows whose times are.
type Facts struct {
	Shipped       []ShippedFact  // changes shipped by a production deployment, at its FinishedAt
	Merged        []MergedFact   // merged changes, at MergedAt
	Deploys       []DeployFact   // production deployments and failed attempts, at FinishedAt
	Recoveries    []DurationFact // failed production deployments, at RecoveredAt
	Restores      []DurationFact // resolved incidents, at ResolvedAt
	CIRuns        []CIFact       // runs that ended in success or failure, at FinishedAt
	Open          []OpenFact     // open changes
	OpenIncidents []int64        // open incidents attributed to a production deployment: its FinishedAt
}

// Cycle parts, as indices of ShippedFact.Parts.
const (
	PartCoding = iota
	PartPickup
	PartReview
	PartDeploy
)

// ShippedFact is a change counted in lead time (but for the bot rule,
// applied when computing).
type ShippedFact struct {
	At       int64 // DeployedAt
	ChangeID int64
	Lead     float64    // seconds, > 0
	Parts    [4]float64 // seconds; a part whose bit is not in Known does not exist
	Known    uint8
	Bot      bool
}

// MergedFact is a merged change.
type MergedFact struct {
	At        int64 // MergedAt
	Lines     int   // additions + deletions
	SizeKnown bool
	Bot       bool
}

// DeployFact is a production deployment or a failed attempt.
type DeployFact struct {
	At            int64 // FinishedAt
	ID            int64
	Production    bool
	FailedAttempt bool
	Failed        bool
	Rework        bool
}

// DurationFact is a duration that happened by At.
type DurationFact struct {
	At      int64
	Seconds float64
}

// CIFact is a CI run that ended in success or failure.
type CIFact struct {
	At        int64 // FinishedAt
	ID        int64
	Seconds   float64 // FinishedAt − StartedAt, when DurationKnown
	Known     bool
	Succeeded bool
}

// OpenFact is an open change.
type OpenFact struct {
	CreatedAt int64
	ReadyAt   int64 // ReadyForReview: 0 while a draft with no ready time
	HasReady  bool
	Draft     bool
	Reviewed  bool // has a first review
	Bot       bool
}

// FactsOf reduces a Dataset (rows Derive has annotated) to its facts under
// the rules' bot pattern. Rows that no window could count are left out.
func FactsOf(ds Dataset, r Rules) Facts {
	var f Facts
	for _, c := range ds.Changes {
		bot := r.IsBotChange(c)
		if !c.MergedAt.IsZero() {
			lines, known := PRSizeLines(c)
			f.Merged = append(f.Merged, MergedFact{At: c.MergedAt.Unix(), Lines: lines, SizeKnown: known, Bot: bot})
		}
		if strings.EqualFold(c.State, "open") {
			ready := ReadyForReview(c)
			o := OpenFact{CreatedAt: c.CreatedAt.Unix(), HasReady: !ready.IsZero(), Draft: c.Draft, Reviewed: !c.FirstReviewAt.IsZero(), Bot: bot}
			if o.HasReady {
				o.ReadyAt = ready.Unix()
			}
			f.Open = append(f.Open, o)
		}
		if s, ok := shippedFact(c); ok {
			s.Bot = bot
			f.Shipped = append(f.Shipped, s)
		}
	}
	production := map[int64]time.Time{}
	for _, d := range ds.Deployments {
		if d.Production {
			production[d.ID] = d.FinishedAt
		}
		if (d.Production || d.FailedAttempt) && !d.FinishedAt.IsZero() {
			f.Deploys = append(f.Deploys, DeployFact{At: d.FinishedAt.Unix(), ID: d.ID, Production: d.Production,
				FailedAttempt: d.FailedAttempt, Failed: d.Failed, Rework: d.Rework})
		}
		if d.Production && d.Failed && !d.RecoveredAt.IsZero() {
			f.Recoveries = append(f.Recoveries, DurationFact{At: d.RecoveredAt.Unix(), Seconds: max(d.RecoveredAt.Sub(d.FinishedAt), 0).Seconds()})
		}
	}
	for _, in := range ds.Incidents {
		if !in.ResolvedAt.IsZero() && !in.CreatedAt.IsZero() {
			f.Restores = append(f.Restores, DurationFact{At: in.ResolvedAt.Unix(), Seconds: max(in.ResolvedAt.Sub(in.CreatedAt), 0).Seconds()})
		}
		if in.ResolvedAt.IsZero() && in.DeploymentID != 0 {
			if at, ok := production[in.DeploymentID]; ok && !at.IsZero() {
				f.OpenIncidents = append(f.OpenIncidents, at.Unix())
			}
		}
	}
	for _, run := range ds.CIRuns {
		if c, ok := CIFactOf(run); ok {
			f.CIRuns = append(f.CIRuns, c)
		}
	}
	return f
}

// CIFactOf is the fact of a CI run; ok is false for a run no window counts
// (not finished, or neither success nor failure).
func CIFactOf(run CIRun) (CIFact, bool) {
	if run.FinishedAt.IsZero() || !(ciSucceeded(run) || strings.EqualFold(run.Conclusion, "failure")) {
		return CIFact{}, false
	}
	d, known := CIRunDuration(run)
	return CIFact{At: run.FinishedAt.Unix(), ID: run.ID, Seconds: d.Seconds(), Known: known, Succeeded: ciSucceeded(run)}, true
}

// shippedFact is LeadTimeRows' row of c, whatever the window.
func shippedFact(c Change) (ShippedFact, bool) {
	if c.DeploymentID == 0 || c.DeployedAt.IsZero() || c.MergedAt.IsZero() {
		return ShippedFact{}, false
	}
	start := c.FirstCommitAt
	if start.IsZero() {
		start = c.CreatedAt
	}
	lead := c.DeployedAt.Sub(start)
	if start.IsZero() || lead <= 0 {
		return ShippedFact{}, false
	}
	s := ShippedFact{At: c.DeployedAt.Unix(), ChangeID: c.ID, Lead: lead.Seconds()}
	set := func(i int, p PartDuration) {
		if p.Known {
			s.Parts[i], s.Known = p.Duration.Seconds(), s.Known|1<<i
		}
	}
	ready := ReadyForReview(c)
	set(PartCoding, partBetween(start, ready))
	if !c.FirstReviewAt.IsZero() {
		set(PartPickup, partBetween(ready, c.FirstReviewAt))
		set(PartReview, partBetween(c.FirstReviewAt, c.MergedAt))
	}
	set(PartDeploy, partBetween(c.MergedAt, c.DeployedAt))
	return s, true
}

// Keep returns the facts placed in w (and every open change): a report
// over w from them is the report from all of f.
func (f Facts) Keep(w Window) Facts {
	lo, hi := w.Seconds()
	in := func(t int64) bool { return t >= lo && t < hi }
	return Facts{
		Shipped:       keepFacts(f.Shipped, func(s ShippedFact) bool { return in(s.At) }),
		Merged:        keepFacts(f.Merged, func(m MergedFact) bool { return in(m.At) }),
		Deploys:       keepFacts(f.Deploys, func(d DeployFact) bool { return in(d.At) }),
		Recoveries:    keepFacts(f.Recoveries, func(d DurationFact) bool { return in(d.At) }),
		Restores:      keepFacts(f.Restores, func(d DurationFact) bool { return in(d.At) }),
		CIRuns:        keepFacts(f.CIRuns, func(c CIFact) bool { return in(c.At) }),
		Open:          f.Open,
		OpenIncidents: keepFacts(f.OpenIncidents, in),
	}
}

func keepFacts[T any](xs []T, keep func(T) bool) []T {
	var out []T
	for _, x := range xs {
		if keep(x) {
			out = append(out, x)
		}
	}
	return out
}

// ComputeFacts is the report of one window from facts: every measure of
// docs/metrics.md.
func ComputeFacts(f Facts, w Window, r Rules, now time.Time) Report {
	a := NewAggregate(w, r)
	f.Feed(a)
	rep, ok := a.Report(now)
	if !ok {
		rep.LeadTime.MeanSeconds = leadMean(f.Shipped, func(s ShippedFact) bool { return a.in(s.At) && a.counts(s.Bot) })
	}
	return rep
}

// OpenWorkOf is a Report's open work from the open changes' facts.
func OpenWorkOf(open []OpenFact, r Rules, now time.Time) OpenWork {
	var ow OpenWork
	stale := r.StaleAfter()
	for _, o := range open {
		if time.Unix(o.CreatedAt, 0).After(now) || !(r.IncludeBotChanges || !o.Bot) {
			continue
		}
		ow.Open++
		if !o.Draft && o.HasReady && !o.Reviewed && now.Sub(time.Unix(o.ReadyAt, 0)) > stale {
			ow.StaleReview++
		}
	}
	return ow
}

// deployDaysOf is deployDaysIn from the sorted finish times of production
// deployments: for each period, its distinct days in loc.
func deployDaysOf(sorted []int64, periods []Window, loc *time.Location) []float64 {
	out := make([]float64, len(periods))
	for i, p := range periods {
		lo, hi := p.Seconds()
		k, _ := slices.BinarySearch(sorted, lo)
		days := 0
		var last civilDate
		for ; k < len(sorted) && sorted[k] < hi; k++ {
			if d := dateIn(time.Unix(sorted[k], 0), loc); days == 0 || d != last {
				days, last = days+1, d
			}
		}
		out[i] = float64(days)
	}
	return out
}

// exactSum is the sum of xs when it is the same in any order: whole
// numbers whose running totals stay below 2^53 are added without rounding.
func exactSum(xs []float64) (float64, bool) {
	var sum, abs float64
	for _, x := range xs {
		if x != math.Trunc(x) {
			return 0, false
		}
		sum += x
		abs += math.Abs(x)
	}
	return sum, abs < 1<<53
}

// leadMean is MeanOrNil of the lead times of LeadTimeRows, summed in the
// rows' order (by DeployedAt, then change id), as the rows list them.
func leadMean(shipped []ShippedFact, keep func(ShippedFact) bool) *float64 {
	rows := keepFacts(shipped, keep)
	slices.SortFunc(rows, func(a, b ShippedFact) int {
		return cmp.Or(cmp.Compare(a.At, b.At), cmp.Compare(a.ChangeID, b.ChangeID))
	})
	secs := make([]float64, len(rows))
	for i, s := range rows {
		secs[i] = s.Lead
	}
	return stats.MeanOrNil(secs)
}

// WeeklyFacts is a report for each week of w's weekly series (Monday to
// Monday in the rules' timezone, part weeks at its ends: SeriesWeeks),
// from facts. A week is computed exactly as a window of its days would be.
func WeeklyFacts(f Facts, w Window, r Rules, now time.Time) []WeekReport {
	as := NewAggregates(w, Window{}, r)
	f.Feed(as)
	out, ok := as.WeekReports(now)
	if !ok {
		weeks := SeriesWeeks(w, r.Timezone())
		for i, part := range SplitFacts(f, weeks) {
			out[i].Report = ComputeFacts(part, weeks[i], r, now)
		}
	}
	return out
}

// SplitFacts gives each of the periods (in order, not overlapping) the
// facts placed in it, and every one the open changes.
func SplitFacts(f Facts, periods []Window) []Facts {
	los, his := make([]int64, len(periods)), make([]int64, len(periods))
	for i, p := range periods {
		los[i], his[i] = p.Seconds()
	}
	// which is the period holding t, or −1.
	which := func(t int64) int {
		i, found := slices.BinarySearch(los, t)
		if !found {
			i-- // the last period starting before t
		}
		if i >= 0 && t < his[i] {
			return i
		}
		return -1
	}
	out := make([]Facts, len(periods))
	f.Feed(FactsAt(func(t int64) *Facts {
		if i := which(t); i >= 0 {
			return &out[i]
		}
		return nil
	}))
	for i := range out {
		out[i].Open = f.Open
	}
	return out
}
