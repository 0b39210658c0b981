package review_test

import (
	"errors"
	"testing"
	"time"

	"github.com/tach-dev/tach/metrics/review"
)

func TestWeekOf(t *testing.T) {
	day := func(month time.Month, d int) time.Time { return time.Date(2026, month, d, 0, 0, 0, 0, time.UTC) }
	now := time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC) // a Wednesday
	if got := review.LastCompleteWeek(now, time.UTC); !got.Equal(day(2, 23)) {
		t.Errorf("last complete week starts %v", got)
	}
	got, err := review.WeekOf(day(2, 26), now, time.UTC)
	if err != nil || !got.Equal(day(2, 23)) {
		t.Errorf("WeekOf(Thursday) = %v, %v", got, err)
	}
	if _, err := review.WeekOf(day(3, 2), now, time.UTC); !errors.Is(err, review.ErrWeekNotComplete) {
		t.Errorf("the current week: %v", err)
	}
}
