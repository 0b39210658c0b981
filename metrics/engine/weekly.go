package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/tach-dev/tach/metrics/review"
)

// WeeklyReview assembles the review of the week that starts at weekStart (a
// Monday 00:00 in the rules' timezone; see review.WeekOf), for a scope: its
// two reports from facts, as every report, and its lists from the week's
// rows.
func (rp *Reports) WeeklyReview(ctx context.Context, sc Scope, weekStart, now time.Time) (review.Review, error) {
	week, base := review.Windows(weekStart)
	r, err := rp.Resolve(ctx, sc)
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
	in.This, in.Before = scoped(in.This, r), scoped(in.Before, r)
	if in.Data, err = rp.Dataset(ctx, r, week); err != nil {
		return review.Review{}, fmt.Errorf("weekly review: %w", err)
	}
	repos, err := rp.st.Repos(ctx)
	if err != nil {
		return review.Review{}, fmt.Errorf("weekly review: %w", err)
	}
	for _, repo := range repos {
		in.Names[repo.ID] = repo.Name
	}
	return review.Build(in), nil
}
