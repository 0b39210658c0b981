package metrics

import "time"

// Calendar arithmetic in the configured timezone. Days are added with
// time.Date, never Add(24h): across a daylight-saving change a local day is
// 23 or 25 hours long, and a week 167 or 169.

// WeekStart returns Monday 00:00, in loc, of the week that holds t. A nil
// loc means UTC.
func WeekStart(t time.Time, loc *time.Location) time.Time {
	local := t.In(orUTC(loc))
	sinceMonday := (int(local.Weekday()) + 6) % 7
	return time.Date(local.Year(), local.Month(), local.Day()-sinceMonday, 0, 0, 0, 0, local.Location())
}

// Weeks returns the whole weeks (Monday to Monday in loc) inside w, in order.
// Partial weeks at either end are left out.
func Weeks(w Window, loc *time.Location) []Window {
	start := WeekStart(w.From, loc)
	if start.Before(w.From) {
		start = AddDays(start, 7)
	}
	var weeks []Window
	for end := AddDays(start, 7); !end.After(w.To); start, end = end, AddDays(end, 7) {
		weeks = append(weeks, Window{From: start, To: end})
	}
	return weeks
}

// SeriesWeeks returns the weeks of a weekly series over w, in order: every
// week (Monday to Monday in loc) that overlaps w, cut to w. A window that
// does not start (end) on a Monday has a part week at its start (end), so
// every moment of w is in one week of the series and no record of the
// window is left out of a weekly chart. Partial says which weeks are cut.
func SeriesWeeks(w Window, loc *time.Location) []Window {
	var weeks []Window
	for start := WeekStart(w.From, loc); start.Before(w.To); start = AddDays(start, 7) {
		week := Window{From: start, To: AddDays(start, 7)}
		if week.From.Before(w.From) {
			week.From = w.From
		}
		if week.To.After(w.To) {
			week.To = w.To
		}
		weeks = append(weeks, week)
	}
	return weeks
}

// Partial reports whether week, one of SeriesWeeks, is a part week: cut
// by its window, shorter than Monday to Monday.
func Partial(week Window, loc *time.Location) bool {
	start := WeekStart(week.From, loc)
	return !start.Equal(week.From) || !AddDays(start, 7).Equal(week.To)
}

// LastWholeWeeks returns the window of the last n complete weeks before now:
// it ends at the Monday 00:00 that starts the current week (the week in
// progress is left out). The default report window is 12 weeks.
func LastWholeWeeks(now time.Time, n int, loc *time.Location) Window {
	to := WeekStart(now, loc)
	return Window{From: AddDays(to, -7*max(n, 0)), To: to}
}

// Months returns the calendar months (in loc) wholly inside w, in order.
func Months(w Window, loc *time.Location) []Window {
	from := w.From.In(orUTC(loc))
	start := time.Date(from.Year(), from.Month(), 1, 0, 0, 0, 0, from.Location())
	if start.Before(w.From) {
		start = start.AddDate(0, 1, 0)
	}
	var months []Window
	for end := start.AddDate(0, 1, 0); !end.After(w.To); start, end = end, end.AddDate(0, 1, 0) {
		months = append(months, Window{From: start, To: end})
	}
	return months
}

// MonthsOrFourWeekBlocks returns the periods of the deployment-frequency
// tier's monthly rule: the calendar months wholly inside w, or, when none
// is (a window shorter than a month, or one that straddles two), the
// consecutive whole 4-week blocks from w.From. A window shorter than 4 weeks
// that holds no month has no period at all.
func MonthsOrFourWeekBlocks(w Window, loc *time.Location) []Window {
	if months := Months(w, loc); len(months) > 0 {
		return months
	}
	var blocks []Window
	start := w.From.In(orUTC(loc))
	for end := AddDays(start, 28); !end.After(w.To); start, end = end, AddDays(end, 28) {
		blocks = append(blocks, Window{From: start, To: end})
	}
	return blocks
}

// WindowDays is the window's length in calendar days of loc (wall-clock
// time, so 12 weeks are 84 days even across a daylight-saving change). It
// is the "window days" of per-week rates.
func WindowDays(w Window, loc *time.Location) float64 {
	return wallClock(w.To, loc).Sub(wallClock(w.From, loc)).Hours() / 24
}

// wallClock re-reads t's local date and time in loc as if it were UTC, where
// every day is 24 hours.
func wallClock(t time.Time, loc *time.Location) time.Time {
	l := t.In(orUTC(loc))
	return time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), l.Minute(), l.Second(), l.Nanosecond(), time.UTC)
}

// AddDays moves t by n calendar days in t's location, keeping its clock
// time (across a daylight-saving change a day is not 24 hours).
func AddDays(t time.Time, n int) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day()+n, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), t.Location())
}

// civilDate is a calendar day in some location: the unit of "deploy days".
type civilDate struct {
	year  int
	month time.Month
	day   int
}

func dateIn(t time.Time, loc *time.Location) civilDate {
	y, m, d := t.In(orUTC(loc)).Date()
	return civilDate{y, m, d}
}
