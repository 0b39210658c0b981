package query

import (
	"errors"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/tach-dev/tach/metrics"
	"github.com/tach-dev/tach/metrics/review"
)

// A Parser reads what is written on a surface at a moment, now (the
// default window ends where its week starts), in a timezone, loc (a day
// starts at midnight there).
type Parser struct {
	Surface
	now time.Time
	loc *time.Location
}

// New returns the parser of s at now in loc (nil: UTC). now is taken to
// the second: a window ending now ends on a whole second, as every
// window tach reads does.
func New(s Surface, now time.Time, loc *time.Location) Parser {
	if loc == nil {
		loc = time.UTC
	}
	return Parser{Surface: s, now: now.Truncate(time.Second), loc: loc}
}

// get is a parameter's value, trimmed; "" when absent.
func get(v url.Values, param string) string { return strings.TrimSpace(v.Get(param)) }

// Day reads YYYY-MM-DD as midnight in the parser's timezone.
func (p Parser) Day(param, value string) (time.Time, error) {
	t, err := time.ParseInLocation(time.DateOnly, value, p.loc)
	if err != nil {
		reason := ""
		var pe *time.ParseError
		if errors.As(err, &pe) && strings.HasPrefix(pe.Message, ": ") {
			reason = strings.TrimPrefix(pe.Message, ": ") + "; "
		}
		return t, p.bad(param, "%s %q is not a date: %swrite it as YYYY-MM-DD, for example 2026-03-02", p.Name(param), Truncate(value, quoted), reason)
	}
	if t.Year() < firstYear || t.Year() > lastYear {
		return t, p.bad(param, "%s %s is out of range: give a date between %d and %d", p.Name(param), value, firstYear, lastYear)
	}
	return t, nil
}

// Period reads FROM..TO: two days, TO the day after the period.
func (p Parser) Period(param, value string) (metrics.Window, error) {
	from, to, ok := strings.Cut(value, "..")
	if !ok {
		return metrics.Window{}, p.bad(param, "%s %q is not a period: want FROM..TO, like 2026-01-05..2026-03-02 (TO is the day after it)", p.Name(param), Truncate(value, quoted))
	}
	var w metrics.Window
	var err error
	if w.From, err = p.Day(param, strings.TrimSpace(from)); err != nil {
		return w, err
	}
	if w.To, err = p.Day(param, strings.TrimSpace(to)); err != nil {
		return w, err
	}
	if !w.From.Before(w.To) {
		return w, p.bad(param, "%s %q is empty: FROM must be before TO", p.Name(param), Truncate(value, quoted))
	}
	if tooLong(w.From, w.To) {
		return w, p.bad(param, "%s %q is longer than %d weeks; choose a shorter one", p.Name(param), Truncate(value, quoted), MaxWeeks)
	}
	return w, nil
}

// Window is the window a report asks for, and the parameters that set it.
type Window struct {
	metrics.Window
	// Weeks is the weeks parameter; 0 when from and to set the window, or
	// by default.
	Weeks int
	// FromParam and ToParam are from and to as given ("" when absent).
	FromParam, ToParam string
}

// Window reads from, to and weeks: the window [from, to), or the last
// weeks whole weeks (Monday to Monday), by default the last DefaultWeeks.
// A from alone starts the default window there; when that is in the
// current week, the window runs to now.
func (p Parser) Window(v url.Values) (Window, error) {
	var w Window
	from, to, weeks := get(v, "from"), get(v, "to"), get(v, "weeks")
	w.Window = metrics.LastWholeWeeks(p.now, DefaultWeeks, p.loc)
	if weeks != "" {
		if from != "" || to != "" {
			return w, p.bad("weeks", "%s cannot be combined with %s or %s; give either %s or %s", p.Name("weeks"), p.Name("from"), p.Name("to"),
				p.Given("weeks", "N"), p.Given("from", "YYYY-MM-DD", "to", "YYYY-MM-DD"))
		}
		n, err := p.weeks(weeks)
		if err != nil {
			return w, err
		}
		w.Weeks, w.Window = n, metrics.LastWholeWeeks(p.now, n, p.loc)
	}
	if from != "" {
		t, err := p.Day("from", from)
		if err != nil {
			return w, err
		}
		w.From, w.FromParam = t, from
	}
	if to != "" {
		t, err := p.Day("to", to)
		if err != nil {
			return w, err
		}
		w.To, w.ToParam = t, to
	} else if from != "" && !w.From.Before(w.To) {
		w.To = p.now
	}
	day := func(t time.Time) string { return t.In(p.loc).Format(time.DateOnly) }
	if !w.From.Before(w.To) {
		return w, p.bad("", "the window is empty: %s %s is not before %s %s", p.Name("from"), day(w.From), p.Name("to"), day(w.To))
	}
	if tooLong(w.From, w.To) {
		return w, p.bad("", "the window from %s to %s is longer than %d weeks; choose a shorter one", day(w.From), day(w.To), MaxWeeks)
	}
	return w, nil
}

// weeks reads the weeks parameter: a number of weeks, 1 to MaxWeeks.
func (s Surface) weeks(value string) (int, error) {
	n, err := strconv.Atoi(value)
	if err != nil || n < 1 || n > MaxWeeks {
		return 0, s.bad("weeks", "%s %q is not a number of weeks between 1 and %d", s.Name("weeks"), Truncate(value, 20), MaxWeeks)
	}
	return n, nil
}

// Week reads week, any day of the week to review, and returns the Monday
// that starts that week; without week, the last complete week. A week
// that is not over at now cannot be reviewed.
func (p Parser) Week(v url.Values) (time.Time, error) {
	value := get(v, "week")
	if value == "" {
		return review.LastCompleteWeek(p.now, p.loc), nil
	}
	day, err := p.Day("week", value)
	if err != nil {
		return day, err
	}
	start, err := review.WeekOf(day, p.now, p.loc)
	if errors.Is(err, review.ErrWeekNotComplete) {
		return start, p.bad("week", "%s %s: %s", p.Name("week"), value, strings.TrimPrefix(err.Error(), review.ErrWeekNotComplete.Error()+": "))
	}
	return start, err
}

// WeekIn reads week for a page over the window w — a measure page lists
// the rows of one week of its weekly series: any day of a week that
// overlaps w gives that week (Monday to Monday), cut to w as the series
// cuts its part weeks (metrics.SeriesWeeks). given is false, and the week
// empty, when week is absent. Unlike the reviewed week (Week), the week
// may still be running: it ends where w does.
func (p Parser) WeekIn(v url.Values, w metrics.Window) (_ metrics.Window, given bool, _ error) {
	value := get(v, "week")
	if value == "" {
		return metrics.Window{}, false, nil
	}
	day, err := p.Day("week", value)
	if err != nil {
		return metrics.Window{}, true, err
	}
	start := metrics.WeekStart(day, p.loc)
	for _, week := range metrics.SeriesWeeks(w, p.loc) {
		if metrics.WeekStart(week.From, p.loc).Equal(start) {
			return week, true, nil
		}
	}
	at := func(t time.Time) string { return t.In(p.loc).Format(time.DateOnly) }
	return metrics.Window{}, true, p.bad("week", "%s %s is outside the window from %s to %s: choose a week inside it, or a window that holds it (%s)",
		p.Name("week"), value, at(w.From), at(w.To), p.Given("from", at(start), "to", at(metrics.AddDays(start, 7))))
}

// ParseSpan reads a length: weeks (8w), days (10d) or a bare number of
// weeks, at most MaxWeeks. It returns days.
func ParseSpan(value string) (days int, ok bool) {
	s := strings.TrimSpace(strings.ToLower(value))
	unit := 7
	switch {
	case strings.HasSuffix(s, "w"):
		s = strings.TrimSuffix(s, "w")
	case strings.HasSuffix(s, "d"):
		s, unit = strings.TrimSuffix(s, "d"), 1
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > MaxWeeks*7/unit {
		return 0, false
	}
	return n * unit, true
}

// Span reads the length param (ParseSpan); 0 when value is empty.
func (s Surface) Span(param, value string) (int, error) {
	if value == "" {
		return 0, nil
	}
	days, ok := ParseSpan(value)
	if !ok {
		return 0, s.bad(param, "%s %q is not a length: give weeks like %s or days like %s", s.Name(param), Truncate(value, 20),
			s.Given(param, "8w"), s.Given(param, "10d"))
	}
	return days, nil
}
