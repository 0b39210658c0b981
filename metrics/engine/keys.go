package engine

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tach-dev/tach/metrics"
	"github.com/tach-dev/tach/metrics/impact"
)

// The change of the headline keys against an earlier period — the
// overview's cards, the weekly review's week in numbers — judged as `tach
// report compare --period-a PREV --period-b CUR` judges it (METRICS.md,
// "Where history starts, and changes against an earlier period").

// judgeKeys judges the change of keys (of the reports of cur against prev,
// metrics.CompareKeys) by the comparison of the two periods
// (periodsPlan): better or worse only when its test says so, and not at
// all when either period reaches before the history start of a repo of r.
//
// The comparison is heavy work: it runs in a slot of the gate (unless the
// caller holds one, at.gated), once for the callers that ask at the same
// time, and is kept while the generation stands. When the gate is full the
// keys are returned not judged (Verdict "") and judged is false: a page
// shows them without a verdict rather than not at all, and is not cached.
func (rp *Reports) judgeKeys(ctx context.Context, r Resolved, keys []metrics.KeyComparison, prev, cur metrics.Window, at reportsAt) (_ []metrics.KeyComparison, judged bool, _ error) {
	names := make([]string, len(keys))
	for i, k := range keys {
		names[i] = k.Key
	}
	opt := impact.CompareOptions{Rules: rp.rules, Measures: impact.KeyMeasures(names...)}
	key := comparisonKey(r, prev, cur, opt.Measures)
	judged = true
	g, genOK := rp.generation(ctx)
	c, ok := rp.comparisons.get(g, key)
	if !ok {
		var err error
		c, err = rp.judging.do(ctx, strconv.FormatInt(g, 10)+"/"+key, func(ctx context.Context) (impact.Comparison, error) {
			if !at.gated {
				release, err := rp.gate.Compute(ctx)
				if err != nil {
					return impact.Comparison{}, err
				}
				defer release()
			}
			c, err := rp.compareKeys(ctx, periodsPlan(r, prev, cur, at.now, opt))
			// Rows of a repo whose rollup is stale change without the
			// generation moving; a period reaching past the present is
			// cut at it: neither is kept.
			if err == nil && genOK && !cur.To.After(at.now) && !prev.To.After(at.now) && rp.allFresh(ctx, r) {
				rp.comparisons.put(g, key, c)
			}
			return c, err
		})
		switch {
		case errors.Is(err, ErrBusy):
			judged = false
		case err != nil:
			return nil, false, fmt.Errorf("compare with the previous period: %w", err)
		}
	}
	if judged {
		impact.JudgeKeys(keys, c)
	}
	if !at.history.covers(metrics.Window{From: earlierOf(prev.From, cur.From), To: laterOf(prev.To, cur.To)}) {
		impact.NoHistory(keys)
		// A rate per week is over the weeks with data (Window.DataFrom):
		// so are the weeks its counts name ("107 deployments in 16 weeks",
		// not in the 26 of a window whose first 10 tach never read).
		loc := rp.rules.Timezone()
		for i := range keys {
			if keys[i].Unit == metrics.UnitPerWeek {
				keys[i].N, keys[i].BaselineN = len(at.history.weeksWithValues(cur, loc)), len(at.history.weeksWithValues(prev, loc))
			}
		}
	}
	return keys, judged, nil
}

// compareKeys runs a plan of the keys' measures. The measures facts
// compare as rows do come from the facts; recovery time, which facts
// cannot order as rows do (impact.FromFacts), from the change failures
// recovered in the periods alone. Reading every row of both periods
// instead took 87 s at ten thousand repos, for a few hundred recoveries.
// Each measure has its own bootstrap stream and weekly series, so two
// comparisons give what one would, measure for measure.
func (rp *Reports) compareKeys(ctx context.Context, plan *comparePlan) (impact.Comparison, error) {
	if impact.FromFacts(plan.opt.Measures) {
		return rp.runPlanFacts(ctx, plan, ctx.Err)
	}
	var fromFacts, fromRows []string
	for _, m := range plan.opt.Measures {
		if impact.FromFacts([]string{m}) {
			fromFacts = append(fromFacts, m)
		} else {
			fromRows = append(fromRows, m)
		}
	}
	if !slices.Equal(fromRows, []string{"recovery_time"}) || len(plan.scopeA.Modules) > 0 || !plan.loadB.From.IsZero() {
		// A module's deployments are its changes' (moduleData): rows.
		c, _, err := rp.runPlan(ctx, plan, ctx.Err)
		return c, err
	}
	rows := *plan
	rows.opt.Measures = fromRows
	lo, hi := plan.load.Seconds()
	recovered, err := rp.st.RecoveredDeployments(ctx, plan.scopeA.IDs, lo, hi)
	if err != nil {
		return impact.Comparison{}, err
	}
	rows.before.Dataset = metrics.Dataset{Deployments: mapSlice(recovered, toDeployment)}
	rows.after.Dataset = rows.before.Dataset
	opt := rows.opt
	opt.Stop = ctx.Err
	c, err := impact.Compare(rows.before, rows.after, opt)
	if err != nil || len(fromFacts) == 0 {
		return c, err
	}
	facts := *plan
	facts.opt.Measures = fromFacts
	fc, err := rp.runPlanFacts(ctx, &facts, ctx.Err)
	if err != nil {
		return impact.Comparison{}, err
	}
	// In CompareMeasures' order, as one comparison lists them.
	fc.Measures = append(fc.Measures, c.Measures...)
	slices.SortStableFunc(fc.Measures, func(a, b impact.MeasureComparison) int {
		return cmp.Compare(impact.MeasureIndex(a.Key), impact.MeasureIndex(b.Key))
	})
	return fc, nil
}

// allFresh reports whether every repo of r has a fresh rollup.
func (rp *Reports) allFresh(ctx context.Context, r Resolved) bool {
	n := -1
	err := rp.st.ReadRollups(ctx, r.IDs, rollupVersion(rp.rules), 1, 0, func(fresh map[int64][]byte) error {
		n = len(fresh)
		return nil
	}, nil)
	return err == nil && n == len(r.IDs)
}

// comparisonKey names a comparison of two periods of r's repos.
func comparisonKey(r Resolved, prev, cur metrics.Window, measures []string) string {
	b := reposKey(r, prev, cur)
	b.WriteString("|" + strings.Join(measures, ","))
	return b.String()
}

// The comparisons that judge keys are kept while the store's generation
// stands (Reports.comparisons), as the page cache keeps reports: the
// weekly review is not a view of the page cache, and its comparison (the
// bootstrap of four measures) costs more than the rest of the page. A
// comparison is a few kilobytes; at most comparisonsKept are kept.
const comparisonsKept = 512

// JudgeChange judges the change of keys from prev to cur in a scope as
// the overview's cards and the weekly review are judged (judgeKeys): a
// measure page's headline against its earlier period. When the gate is
// full the keys come back not judged (Verdict ""), as on the overview.
func (rp *Reports) JudgeChange(ctx context.Context, sc Scope, keys []metrics.KeyComparison, prev, cur metrics.Window, now time.Time) ([]metrics.KeyComparison, error) {
	m, _, _, err := rp.meta(ctx)
	if err != nil {
		return nil, fmt.Errorf("judge change: %w", err)
	}
	r, h, err := m.resolveWithHistory(sc)
	if err != nil {
		return nil, err
	}
	keys, _, err = rp.judgeKeys(ctx, r, keys, prev, cur, reportsAt{now: now, history: h})
	return keys, err
}
