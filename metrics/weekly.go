package metrics

import "time"

// WeekReport is the report of one week (Monday to Monday in the rules'
// timezone): the rows of the weekly review and of every trend chart.
type WeekReport struct {
	Start  time.Time
	Report Report
}

// Weekly computes a report for each whole week of w, in order. A week is
// computed exactly as a 7-day window would be, so week figures and the
// window's figure agree on what each counts (medians of weeks are not the
// window's median, of course).
func Weekly(ds Dataset, w Window, r Rules, now time.Time) []WeekReport {
	weeks := Weeks(w, r.Timezone())
	out := make([]WeekReport, 0, len(weeks))
	for _, week := range weeks {
		out = append(out, WeekReport{Start: week.From, Report: Compute(ds, week, r, now)})
	}
	return out
}
