package metrics

import (
	"cmp"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/tach-dev/tach/metrics/stats"
)

// A breakdown says which part of a scope moved a figure between two
// periods: for each part (each repo, each team; each module once modules
// exist) its value in both periods with the counts behind them, and its
// effect on the scope's change — the change minus the change the scope
// would have had without that part's rows in either period. Everything in
// it can be recomputed by hand from the rows (docs/metrics.md, "Which
// part moved it").

// Figure is a figure a breakdown explains: the headline of a measure page.
type Figure string

// The figures a breakdown explains, by their JSON names: counts per week
// (records ÷ the period's days × 7), shares of the production
// deployments, medians of seconds (lead time and its parts, recovery, CI
// runs) and of lines (PR size).
const (
	FigureDeploymentsPerWeek, FigureMergedPerWeek Figure = "deployments_per_week", "merged_per_week"
	FigureChangeFailureRate, FigureReworkRate     Figure = "change_failure_rate", "rework_rate"

	FigureLeadTime, FigureCoding, FigurePickup, FigureReview, FigureDeploy Figure = "lead_time", "coding", "pickup", "review", "deploy"
	FigureRecoveryTime, FigureCI, FigurePRSize                             Figure = "recovery_time", "ci", "pr_size"
)

// figureKind is how a figure is computed from what it counts.
type figureKind int

const (
	kindMedian  figureKind = iota // the median of values (seconds, lines)
	kindShare                     // k of n deployments
	kindPerWeek                   // n records ÷ the period's days × 7
)

func (f Figure) kind() figureKind {
	switch f {
	case FigureChangeFailureRate, FigureReworkRate:
		return kindShare
	case FigureDeploymentsPerWeek, FigureMergedPerWeek:
		return kindPerWeek
	}
	return kindMedian
}

// counted is what an aggregate holds of a figure: the values of a median,
// or the k of n of a share, or the n of a count per week.
type counted struct {
	values []float64 // sorted; a median's only
	k, n   int
}

func (a *Aggregate) counted(f Figure) counted {
	var b *bag
	switch f {
	case FigureDeploymentsPerWeek:
		return counted{n: a.production}
	case FigureMergedPerWeek:
		return counted{n: a.merged}
	case FigureChangeFailureRate:
		return counted{k: a.failed, n: a.production}
	case FigureReworkRate:
		return counted{k: a.rework, n: a.production}
	case FigureLeadTime:
		b = &a.lead
	case FigureCoding:
		b = &a.parts[PartCoding]
	case FigurePickup:
		b = &a.parts[PartPickup]
	case FigureReview:
		b = &a.parts[PartReview]
	case FigureDeploy:
		b = &a.parts[PartDeploy]
	case FigureRecoveryTime:
		b = &a.rec
	case FigurePRSize:
		b = &a.lines
	case FigureCI:
		b = &a.ci
	default:
		return counted{}
	}
	// The sorted values are kept while the bag holds as many (a bag only
	// grows): a split is kept between requests (engine.Reports.Split) and
	// each view of it breaks down several figures, each reading the
	// whole's values and each part's.
	a.sortedMu.Lock()
	defer a.sortedMu.Unlock()
	if v, ok := a.sorted[f]; ok && len(v) == b.len() {
		return counted{values: v, n: len(v)}
	}
	values := slices.Clone(b.floats())
	slices.Sort(values)
	if a.sorted == nil {
		a.sorted = map[Figure][]float64{}
	}
	a.sorted[f] = values
	return counted{values: values, n: len(values)}
}

// SplitPart is one part of a scope over both periods of a breakdown: a
// FactSink that gives each fact to the period that holds it.
type SplitPart struct {
	Name              string
	Current, Previous *Aggregate
}

// NewSplitPart starts a part's aggregates of the two periods.
func NewSplitPart(name string, current, previous Window, r Rules) *SplitPart {
	return &SplitPart{Name: name, Current: NewAggregate(current, r), Previous: NewAggregate(previous, r)}
}

func (p *SplitPart) AddShipped(x ShippedFact) { p.Current.AddShipped(x); p.Previous.AddShipped(x) }
func (p *SplitPart) AddMerged(x MergedFact)   { p.Current.AddMerged(x); p.Previous.AddMerged(x) }
func (p *SplitPart) AddDeploy(x DeployFact)   { p.Current.AddDeploy(x); p.Previous.AddDeploy(x) }
func (p *SplitPart) AddRecovery(x DurationFact) {
	p.Current.AddRecovery(x)
	p.Previous.AddRecovery(x)
}
func (p *SplitPart) AddRestore(x DurationFact) {
	p.Current.AddRestore(x)
	p.Previous.AddRestore(x)
}
func (p *SplitPart) AddCIRun(x CIFact) { p.Current.AddCIRun(x); p.Previous.AddCIRun(x) }
func (p *SplitPart) AddOpen(OpenFact)  {} // open work is of no period
func (p *SplitPart) AddOpenIncident(at int64) {
	p.Current.AddOpenIncident(at)
	p.Previous.AddOpenIncident(at)
}

// Merge adds what o was given to p (same periods and rules).
func (p *SplitPart) Merge(o *SplitPart) {
	p.Current.Merge(o.Current)
	p.Previous.Merge(o.Previous)
}

// Split is a scope over two periods, whole (Total) and in parts along
// each dimension: "repo", "team" (a team's part is its repos in the
// scope; teams may overlap). A dimension's parts need not cover the scope,
// but each part's rows are rows of the scope.
type Split struct {
	Current, Previous Window
	Total             *SplitPart
	Dimensions        []SplitDimension
	// PreviousHistory is the earlier period's partial history (nil when
	// every repo of the scope holds all its records over it): a change
	// against it is not judged.
	PreviousHistory *PartialHistory
	loc             *time.Location
	// breakdowns remembers Breakdown's answers: a split is kept while the
	// store's generation stands and read by every request of a measure
	// page, and a breakdown over ten thousand repos takes each one's
	// "rest of the scope" — seconds of work to give the same rows.
	breakdowns *sync.Map // Figure → Breakdown
}

// SplitDimension is one way of cutting a scope in parts.
type SplitDimension struct {
	Name  string
	Parts []*SplitPart
}

// Dimensions of a split.
const (
	DimensionRepo   = "repo"
	DimensionTeam   = "team"
	DimensionModule = "module"
)

// NewSplit is the split of a scope whose whole is total, in the rules'
// timezone (the days of a count per week).
func NewSplit(total *SplitPart, r Rules, dims ...SplitDimension) *Split {
	return &Split{Current: total.Current.w, Previous: total.Previous.w, Total: total, Dimensions: dims, loc: r.Timezone(), breakdowns: &sync.Map{}}
}

// Breakdown of one figure over a split. Its JSON is the "breakdown" of
// /api/v1/measures/{measure}.
type Breakdown struct {
	Figure   Figure                 `json:"figure"`
	Current  Period                 `json:"current"`
	Previous Period                 `json:"previous"`
	Total    BreakdownRow           `json:"total"`
	By       []BreakdownByDimension `json:"by"`
}

// Period is a half-open range of days, [From, To), YYYY-MM-DD in the
// rules' timezone.
type Period struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// BreakdownByDimension is a breakdown's rows along one dimension, the
// largest effect first.
type BreakdownByDimension struct {
	Dimension string         `json:"dimension"`
	Rows      []BreakdownRow `json:"rows"`
}

// BreakdownRow is one part (or the whole) in both periods.
type BreakdownRow struct {
	Name     string        `json:"name"`
	Current  BreakdownSide `json:"current"`
	Previous BreakdownSide `json:"previous"`
	Change   *float64      `json:"change"` // current − previous value
	// Effect is how much of the whole's change is this part's: the whole's
	// change minus the change the whole would have had without this part
	// (in both periods). Null on the whole itself, and when the whole's
	// change cannot be computed.
	Effect *float64 `json:"effect"`
}

// BreakdownSide is a figure in one period with what it is computed from.
type BreakdownSide struct {
	Value *float64 `json:"value"` // seconds, lines, a share (0–1), or a count per week
	// N is what the value is computed from: the values of a median, the
	// deployments of a share, the records of a count per week.
	N int  `json:"n"`
	K *int `json:"k,omitempty"` // a share's numerator: the deployments that failed, or were rework
}

// side is a figure's value from what was counted over days.
func (f Figure) side(c counted, days float64) BreakdownSide {
	s := BreakdownSide{N: c.n}
	switch f.kind() {
	case kindShare:
		k := c.k
		s.K = &k
		s.Value = stats.RateOrNil(c.k, c.n)
	case kindPerWeek:
		if c.n > 0 && days > 0 {
			s.Value = stats.FloatOrNil(float64(c.n)/days*7, true)
		}
	default:
		s.Value = stats.FloatOrNil(median(c.values))
	}
	return s
}

func median(sorted []float64) (float64, bool) {
	if len(sorted) == 0 {
		return 0, false
	}
	return stats.PercentileWithout(sorted, nil, 0.5)
}

// change is current − previous of a figure. A count per week changes from
// its counts, 0 included (a part that stopped deploying went from some to
// none); a median or a share needs a value on both sides.
func (f Figure) change(cur, prev counted, curDays, prevDays float64) *float64 {
	if f.kind() == kindPerWeek {
		if curDays <= 0 || prevDays <= 0 {
			return nil
		}
		return stats.FloatOrNil(float64(cur.n)/curDays*7-float64(prev.n)/prevDays*7, true)
	}
	c, p := f.side(cur, curDays).Value, f.side(prev, prevDays).Value
	if c == nil || p == nil {
		return nil
	}
	return stats.FloatOrNil(*c-*p, true)
}

// without is the k of n the whole counted once a part's rows are taken
// out (a median's rest is read from the values: restChange).
func without(whole, part counted) counted {
	return counted{k: whole.k - part.k, n: whole.n - part.n}
}

// Breakdown explains f over the split. The breakdown is shared: callers
// read it (WithoutChange makes a copy).
func (s *Split) Breakdown(f Figure) Breakdown {
	if s.breakdowns == nil {
		return s.breakdown(f)
	}
	if b, ok := s.breakdowns.Load(f); ok {
		return b.(Breakdown)
	}
	b := s.breakdown(f)
	s.breakdowns.Store(f, b)
	return b
}

func (s *Split) breakdown(f Figure) Breakdown {
	day := func(t time.Time) string { return t.In(s.loc).Format(time.DateOnly) }
	curDays, prevDays := WindowDays(s.Current, s.loc), WindowDays(s.Previous, s.loc)
	wholeCur, wholePrev := s.Total.Current.counted(f), s.Total.Previous.counted(f)
	total := s.row(f, s.Total.Name, wholeCur, wholePrev, curDays, prevDays)
	out := Breakdown{
		Figure: f, Current: Period{day(s.Current.From), day(s.Current.To)}, Previous: Period{day(s.Previous.From), day(s.Previous.To)},
		Total: total, By: []BreakdownByDimension{},
	}
	for _, dim := range s.Dimensions {
		rows := make([]BreakdownRow, 0, len(dim.Parts))
		for _, p := range dim.Parts {
			cur, prev := p.Current.counted(f), p.Previous.counted(f)
			row := s.row(f, p.Name, cur, prev, curDays, prevDays)
			if total.Change != nil {
				effect := *total.Change
				if rest := s.restChange(f, wholeCur, cur, wholePrev, prev, curDays, prevDays); rest != nil {
					effect -= *rest
				}
				row.Effect = stats.FloatOrNil(effect, true)
			}
			rows = append(rows, row)
		}
		slices.SortStableFunc(rows, func(a, b BreakdownRow) int {
			return cmp.Or(cmp.Compare(absOr0(b.Effect), absOr0(a.Effect)), cmp.Compare(b.Current.N, a.Current.N), cmp.Compare(a.Name, b.Name))
		})
		out.By = append(out.By, BreakdownByDimension{Dimension: dim.Name, Rows: rows})
	}
	return out
}

func (s *Split) row(f Figure, name string, cur, prev counted, curDays, prevDays float64) BreakdownRow {
	return BreakdownRow{Name: name, Current: f.side(cur, curDays), Previous: f.side(prev, prevDays), Change: f.change(cur, prev, curDays, prevDays)}
}

// restChange is the whole's change without a part's rows; nil when the
// rest has no value on a side (the part is all there was).
func (s *Split) restChange(f Figure, wholeCur, cur, wholePrev, prev counted, curDays, prevDays float64) *float64 {
	if f.kind() != kindMedian {
		return f.change(without(wholeCur, cur), without(wholePrev, prev), curDays, prevDays)
	}
	c, okC := stats.PercentileWithout(wholeCur.values, cur.values, 0.5)
	p, okP := stats.PercentileWithout(wholePrev.values, prev.values, 0.5)
	if !okC || !okP {
		return nil
	}
	return stats.FloatOrNil(c-p, true)
}

func absOr0(p *float64) float64 {
	if p == nil {
		return 0
	}
	return math.Abs(*p)
}

// WithoutChange is the breakdown with no change and no effect: both
// periods' figures stay, for a comparison that is not made (a period
// reaches before the history start of a repo in scope, METRICS.md "Where
// history starts").
func (b Breakdown) WithoutChange() Breakdown {
	b.Total.Change, b.Total.Effect = nil, nil
	by := make([]BreakdownByDimension, len(b.By))
	for i, d := range b.By {
		rows := make([]BreakdownRow, len(d.Rows))
		for j, r := range d.Rows {
			r.Change, r.Effect = nil, nil
			rows[j] = r
		}
		by[i] = BreakdownByDimension{Dimension: d.Dimension, Rows: rows}
	}
	b.By = by
	return b
}
