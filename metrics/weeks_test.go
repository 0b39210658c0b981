package metrics

import (
	"testing"
	"time"
)

func TestWeekStart(t *testing.T) {
	ny := mustLoad(t, "America/New_York")
	kolkata := mustLoad(t, "Asia/Kolkata")
	tests := []struct {
		name string
		t    time.Time
		loc  *time.Location
		want time.Time
	}{
		{"wednesday, UTC", time.Date(2025, 3, 5, 15, 0, 0, 0, time.UTC), time.UTC, t0},
		{"monday 00:00 starts its own week", t0, time.UTC, t0},
		{"sunday 23:59 is the previous week", time.Date(2025, 3, 9, 23, 59, 0, 0, time.UTC), time.UTC, t0},
		{"nil location is UTC", time.Date(2025, 3, 5, 15, 0, 0, 0, time.UTC), nil, t0},
		// DST starts in New York on Sunday 2025-03-09 at 02:00 (EST → EDT).
		// Sunday 23:30 EDT is Monday 03:30 UTC, still the week of Mon 3 March
		// (which began at 00:00 EST = 05:00 UTC).
		{"NY sunday 23:30 after the DST change", time.Date(2025, 3, 9, 23, 30, 0, 0, ny), ny, time.Date(2025, 3, 3, 0, 0, 0, 0, ny)},
		// Monday 00:30 EDT (04:30 UTC) is the new week, which began at 00:00
		// EDT = 04:00 UTC; a week of Add(168h) from 05:00 UTC would miss it.
		{"NY monday 00:30 after the DST change", time.Date(2025, 3, 10, 0, 30, 0, 0, ny), ny, time.Date(2025, 3, 10, 0, 0, 0, 0, ny)},
		// Kolkata is UTC+5:30 with no DST. Sunday 23:30 IST = Sunday 18:00 UTC.
		{"Kolkata sunday 23:30 is the previous week", time.Date(2025, 3, 9, 23, 30, 0, 0, kolkata), kolkata, time.Date(2025, 3, 3, 0, 0, 0, 0, kolkata)},
		// Monday 02:00 IST = Sunday 20:30 UTC: a new week in Kolkata, not in UTC.
		{"Kolkata monday 02:00 is the new week", time.Date(2025, 3, 10, 2, 0, 0, 0, kolkata), kolkata, time.Date(2025, 3, 10, 0, 0, 0, 0, kolkata)},
		{"the same instant read in UTC", time.Date(2025, 3, 10, 2, 0, 0, 0, kolkata), time.UTC, t0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := WeekStart(tt.t, tt.loc); !got.Equal(tt.want) {
				t.Errorf("WeekStart = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestWeeksAcrossDST(t *testing.T) {
	ny := mustLoad(t, "America/New_York")
	// Spring forward: the week of 3 March is 167 hours, the next 168.
	w := Window{From: time.Date(2025, 3, 3, 0, 0, 0, 0, ny), To: time.Date(2025, 3, 17, 0, 0, 0, 0, ny)}
	weeks := Weeks(w, ny)
	if len(weeks) != 2 {
		t.Fatalf("got %d weeks, want 2: %v", len(weeks), weeks)
	}
	if got := weeks[0].To.Sub(weeks[0].From); got != 167*time.Hour {
		t.Errorf("spring-forward week is %v, want 167h", got)
	}
	if !weeks[1].From.Equal(time.Date(2025, 3, 10, 0, 0, 0, 0, ny)) || !weeks[1].To.Equal(w.To) {
		t.Errorf("second week = %v", weeks[1])
	}
	// Fall back (Sunday 2 November 2025): that week is 169 hours.
	fall := Weeks(Window{From: time.Date(2025, 10, 27, 0, 0, 0, 0, ny), To: time.Date(2025, 11, 3, 0, 0, 0, 0, ny)}, ny)
	if len(fall) != 1 || fall[0].To.Sub(fall[0].From) != 169*time.Hour {
		t.Errorf("fall-back week = %v, want one of 169h", fall)
	}
}

func TestWeeksLeaveOutPartialWeeks(t *testing.T) {
	// Wed 5 March to Wed 26 March: whole weeks are 10–17 and 17–24 March.
	w := Window{From: time.Date(2025, 3, 5, 0, 0, 0, 0, time.UTC), To: time.Date(2025, 3, 26, 0, 0, 0, 0, time.UTC)}
	weeks := Weeks(w, time.UTC)
	if len(weeks) != 2 || weeks[0].From.Day() != 10 || weeks[1].From.Day() != 17 || weeks[1].To.Day() != 24 {
		t.Errorf("Weeks = %v, want 10–17 and 17–24 March", weeks)
	}
	if got := Weeks(Window{From: hr(1), To: hr(24 * 8)}, time.UTC); len(got) != 0 {
		t.Errorf("a window holding no whole week gave %v", got)
	}
}

func TestLastWholeWeeks(t *testing.T) {
	// Wednesday 26 March: the current week began Monday 24 March and is left
	// out; 12 weeks back from it is Monday 30 December 2024.
	now := time.Date(2025, 3, 26, 10, 0, 0, 0, time.UTC)
	w := LastWholeWeeks(now, 12, time.UTC)
	want := Window{From: time.Date(2024, 12, 30, 0, 0, 0, 0, time.UTC), To: time.Date(2025, 3, 24, 0, 0, 0, 0, time.UTC)}
	if !w.From.Equal(want.From) || !w.To.Equal(want.To) {
		t.Errorf("LastWholeWeeks = %v, want %v", w, want)
	}
	if len(Weeks(w, time.UTC)) != 12 {
		t.Errorf("the window holds %d whole weeks, want 12", len(Weeks(w, time.UTC)))
	}
	// At Monday 00:00 the week just ended is complete.
	if w := LastWholeWeeks(want.To, 1, time.UTC); !w.To.Equal(want.To) || !w.From.Equal(time.Date(2025, 3, 17, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("at Monday 00:00, LastWholeWeeks(1) = %v", w)
	}

	// In New York the window spans the spring-forward change: one hour
	// short of 84×24h, but 84 calendar days, and still 12 whole weeks.
	ny := mustLoad(t, "America/New_York")
	w = LastWholeWeeks(time.Date(2025, 3, 26, 10, 0, 0, 0, ny), 12, ny)
	if !w.From.Equal(time.Date(2024, 12, 30, 0, 0, 0, 0, ny)) || !w.To.Equal(time.Date(2025, 3, 24, 0, 0, 0, 0, ny)) {
		t.Errorf("NY LastWholeWeeks = %v", w)
	}
	if got := w.To.Sub(w.From); got != 84*24*time.Hour-time.Hour {
		t.Errorf("NY window lasts %v, want 2015h", got)
	}
	if got := WindowDays(w, ny); got != 84 {
		t.Errorf("WindowDays = %v, want 84", got)
	}
	if got := len(Weeks(w, ny)); got != 12 {
		t.Errorf("NY window holds %d weeks, want 12", got)
	}
}

func TestMonthsAndFourWeekBlocks(t *testing.T) {
	d := func(m time.Month, day int) time.Time { return time.Date(2025, m, day, 0, 0, 0, 0, time.UTC) }
	tests := []struct {
		name       string
		w          Window
		wantMonths int
		wantBlocks []Window // of MonthsOrFourWeekBlocks
	}{
		{"two whole months inside", Window{From: d(1, 15), To: d(4, 10)}, 2, []Window{{From: d(2, 1), To: d(3, 1)}, {From: d(3, 1), To: d(4, 1)}}},
		{"exactly one month", Window{From: d(1, 1), To: d(2, 1)}, 1, []Window{{From: d(1, 1), To: d(2, 1)}}},
		// 15 Jan – 20 Feb holds no whole month: 4-week blocks from 15 Jan,
		// only one of which fits (the next would end 12 March).
		{"no whole month: 4-week blocks", Window{From: d(1, 15), To: d(2, 20)}, 0, []Window{{From: d(1, 15), To: d(2, 12)}}},
		{"shorter than 4 weeks: nothing", Window{From: d(1, 15), To: d(2, 5)}, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Months(tt.w, time.UTC); len(got) != tt.wantMonths {
				t.Errorf("Months = %v, want %d", got, tt.wantMonths)
			}
			got := MonthsOrFourWeekBlocks(tt.w, time.UTC)
			if len(got) != len(tt.wantBlocks) {
				t.Fatalf("MonthsOrFourWeekBlocks = %v, want %v", got, tt.wantBlocks)
			}
			for i := range got {
				if !got[i].From.Equal(tt.wantBlocks[i].From) || !got[i].To.Equal(tt.wantBlocks[i].To) {
					t.Errorf("period %d = %v, want %v", i, got[i], tt.wantBlocks[i])
				}
			}
		})
	}
	// Months are local: in New York, March starts at 05:00 UTC on 1 March.
	ny := mustLoad(t, "America/New_York")
	m := Months(Window{From: time.Date(2025, 2, 20, 0, 0, 0, 0, ny), To: time.Date(2025, 4, 10, 0, 0, 0, 0, ny)}, ny)
	if len(m) != 1 || !m[0].From.Equal(time.Date(2025, 3, 1, 5, 0, 0, 0, time.UTC)) || !m[0].To.Equal(time.Date(2025, 4, 1, 4, 0, 0, 0, time.UTC)) {
		t.Errorf("NY months = %v, want March 05:00Z → April 04:00Z", m)
	}
}

func TestSeriesWeeksKeepPartWeeks(t *testing.T) {
	// Wed 5 March to Wed 26 March: 5–10 March (part), 10–17, 17–24, 24–26
	// (part); every moment of the window is in one week.
	day := func(d int) time.Time { return time.Date(2025, 3, d, 0, 0, 0, 0, time.UTC) }
	w := Window{From: day(5), To: day(26)}
	weeks := SeriesWeeks(w, time.UTC)
	want := []Window{{From: day(5), To: day(10)}, {From: day(10), To: day(17)}, {From: day(17), To: day(24)}, {From: day(24), To: day(26)}}
	if len(weeks) != len(want) {
		t.Fatalf("SeriesWeeks = %v, want %v", weeks, want)
	}
	for i := range want {
		if !weeks[i].From.Equal(want[i].From) || !weeks[i].To.Equal(want[i].To) {
			t.Errorf("week %d = %v, want %v", i, weeks[i], want[i])
		}
		if got, part := Partial(weeks[i], time.UTC), i == 0 || i == 3; got != part {
			t.Errorf("week %d partial = %t, want %t", i, got, part)
		}
	}
	// Whole weeks only when the window is whole weeks.
	if got := SeriesWeeks(Window{From: day(3), To: day(17)}, time.UTC); len(got) != 2 || Partial(got[0], time.UTC) || Partial(got[1], time.UTC) {
		t.Errorf("whole weeks: %v", got)
	}
	// A window inside one week is one part week.
	if got := SeriesWeeks(Window{From: hr(1), To: hr(30)}, time.UTC); len(got) != 1 || !got[0].From.Equal(hr(1)) || !got[0].To.Equal(hr(30)) {
		t.Errorf("a day's window: %v", got)
	}
}
