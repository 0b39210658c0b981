package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/tach-dev/tach/metrics"
	"github.com/tach-dev/tach/metrics/radar"
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
	r, hist, err := m.resolveWithHistory(sc)
	if err != nil {
		return review.Review{}, err
	}
	in := review.Input{WeekStart: weekStart, Rules: rp.rules, Now: now, Names: map[int64]string{}}
	if in.This, err = rp.report(ctx, r, hist, week, now); err != nil {
		return review.Review{}, fmt.Errorf("weekly review: %w", err)
	}
	if in.Before, err = rp.report(ctx, r, hist, base, now); err != nil {
		return review.Review{}, fmt.Errorf("weekly review: %w", err)
	}
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
	rev := review.Build(in)
	if rev.NewRadarSignals, err = rp.newRadarSignals(ctx, sc, week.To); err != nil {
		return review.Review{}, fmt.Errorf("weekly review: %w", err)
	}
	return rev, nil
}

// radarWeeks is the window of the radar the weekly review reads.
const radarWeeks = 12

// newRadarSignals are the signals of the radar of the radarWeeks weeks
// ending at end that the radar ending a week earlier did not raise: what
// the reviewed week changed.
func (rp *Reports) newRadarSignals(ctx context.Context, sc Scope, end time.Time) ([]review.RadarSignal, error) {
	type key struct{ repo, module, measure, direction string }
	seen := map[key]bool{}
	prevEnd := metrics.AddDays(end, -7)
	before, err := rp.Radar(ctx, sc, metrics.Window{From: metrics.AddDays(prevEnd, -7*radarWeeks), To: prevEnd})
	if err != nil {
		return nil, err
	}
	keyOf := func(s radar.ScopeReport, sig radar.SignalReport) key {
		k := key{repo: s.Repo, measure: sig.Measure, direction: string(sig.Direction)}
		if s.Module != nil {
			k.module = *s.Module
		}
		return k
	}
	for _, s := range before.Modules {
		for _, sig := range s.Signals {
			seen[keyOf(s, sig)] = true
		}
	}
	now, err := rp.Radar(ctx, sc, metrics.Window{From: metrics.AddDays(end, -7*radarWeeks), To: end})
	if err != nil {
		return nil, err
	}
	out := []review.RadarSignal{}
	for _, s := range now.Modules {
		for _, sig := range s.Signals {
			if seen[keyOf(s, sig)] {
				continue
			}
			out = append(out, review.RadarSignal{Repo: s.Repo, Module: s.Module, Measure: sig.Measure, Direction: string(sig.Direction),
				SlopePerWeek: sig.SlopePerWeek, QValue: sig.QValue, Weeks: sig.Weeks})
		}
	}
	return out, nil
}
