package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/tach-dev/tach/metrics"
	"github.com/tach-dev/tach/metrics/review"
)

// WeeklyReview assembles the review of the week that starts at weekStart (a
// Monday 00:00 in the rules' timezone; see review.WeekOf), for a scope: its
// two reports from facts, as every report; the change of the headline keys
// judged by comparing the baseline with the week on their rows
// (judgeKeys); and its lists from the week's rows.
func (rp *Reports) WeeklyReview(ctx context.Context, sc Scope, weekStart, now time.Time) (review.Review, error) {
	week, base := review.Windows(weekStart)
	m, _, _, err := rp.meta(ctx)
	if err != nil {
		return review.Review{}, err
	}
	r, err := m.resolve(sc)
	if err != nil {
		return review.Review{}, err
	}
	in := review.Input{WeekStart: weekStart, Rules: rp.rules, Now: now, Names: map[int64]string{}}
	if in.This, err = rp.report(ctx, r, week, now); err != nil {
		return review.Review{}, fmt.Errorf("weekly review: %w", err)
	}
	if in.Before, err = rp.report(ctx, r, base, now); err != nil {
		return review.Review{}, fmt.Errorf("weekly review: %w", err)
	}
	hist := historyOf(r, m.byID)
	in.This, in.Before = scoped(in.This, r), scoped(in.Before, r)
	in.This.PartialHistory, in.Before.PartialHistory = hist.partial(week), hist.partial(base)
	if in.Keys, _, err = rp.judgeKeys(ctx, r, metrics.CompareKeys(in.This, in.Before), base, week, reportsAt{now: now, history: hist}); err != nil {
		return review.Review{}, fmt.Errorf("weekly review: %w", err)
	}
	if in.Data, err = rp.Dataset(ctx, r, week); err != nil {
		return review.Review{}, fmt.Errorf("weekly review: %w", err)
	}
	for _, repo := range m.repos {
		in.Names[repo.ID] = repo.Name
	}
	return review.Build(in), nil
}
