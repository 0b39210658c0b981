package web_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tach-dev/tach/metrics"
	"github.com/tach-dev/tach/metrics/query"
	"github.com/tach-dev/tach/web"
)

func TestParseQuery(t *testing.T) {
	now := time.Date(2026, 3, 4, 15, 0, 0, 0, time.UTC)
	parse := func(raw string) web.Query {
		t.Helper()
		v, _ := url.ParseQuery(raw)
		q, err := web.ParseQuery(v, now, time.UTC)
		if err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		return q
	}
	q := parse("")
	if want := metrics.LastWholeWeeks(now, 12, time.UTC); q.Window != want || q.Weeks != 0 {
		t.Errorf("default window %v, want %v", q.Window, want)
	}
	q = parse("team=checkout&repo=acme/a,acme/b&repo=acme/a&weeks=4")
	if q.Scope.Team != "checkout" || strings.Join(q.Scope.Repos, " ") != "acme/a acme/b" || q.Weeks != 4 {
		t.Errorf("scope %+v weeks %d", q.Scope, q.Weeks)
	}
	if q.Window.From != time.Date(2026, 2, 2, 0, 0, 0, 0, time.UTC) {
		t.Errorf("4 weeks start %v", q.Window.From)
	}
	// from alone in the current week: up to now, as the CLI does.
	q = parse("from=2026-03-03")
	if !q.Window.To.Equal(now) {
		t.Errorf("from this week: to = %v", q.Window.To)
	}
	q = parse("from=2026-01-01&to=2026-02-01&sort=size&dir=asc&page=3&per_page=20&state=merged&q=+fix+")
	if q.List.Sort != "size" || q.List.Dir != "asc" || q.List.Page != 3 || q.List.PerPage != 20 || q.State != "merged" || q.Search != "fix" {
		t.Errorf("list options %+v, state %q, q %q", q.List, q.State, q.Search)
	}
	q = parse("week=2026-02-26")
	if week, err := q.ReviewWeek(); err != nil || !week.Equal(time.Date(2026, 2, 23, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("week %v %v", week, err)
	}
	// The week in progress has rows to show, but no review yet; a week
	// long before the window has a review but no rows in the window.
	q = parse("from=2026-03-02&week=2026-03-03")
	if shown, err := q.ShownWeek(); err != nil || !q.WeekGiven || !shown.From.Equal(time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)) || !shown.To.Equal(q.Window.To) {
		t.Errorf("the week in progress on a measure page: %v %v", shown, err)
	}
	if _, err := q.ReviewWeek(); err == nil {
		t.Error("the week in progress reviewed")
	}
	q = parse("weeks=4&week=2025-06-04")
	if _, err := q.ShownWeek(); err == nil || !strings.Contains(err.Error(), "outside the window") {
		t.Errorf("a week outside the window: %v", err)
	}
	if _, err := q.ReviewWeek(); err != nil {
		t.Errorf("a past week's review: %v", err)
	}
	// Parameters tach does not know are left alone.
	parse("utm_source=chat&fbclid=x")
}

// FuzzParseQuery: any query string is either a valid query with a
// non-empty window of bounded length, or an error — never a panic.
func FuzzParseQuery(f *testing.F) {
	for _, seed := range []string{
		"", "team=checkout", "repo=a&repo=b,c", "weeks=12", "weeks=-1", "from=2026-13-01", "from=2026-02-01&to=2026-01-01",
		"to=2026-03-02", "week=2026-02-30", "sort=size&dir=desc&page=2&per_page=500", "q=%00", "team=%E2%80%AE",
		"from=0001-01-01", "per_page=1e9", "state=open&kind=failed&status=resolved&download=1", "weeks=520", "weeks=521",
		"week=2999-01-01", "decision=1&weeks=4", "at=2026-01-05&weeks=4&window=2w", "period_a=2026-01-05..2026-03-02&period_b=x",
	} {
		f.Add(seed)
	}
	now := time.Date(2026, 3, 4, 15, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, raw string) {
		v, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		q, err := web.ParseQuery(v, now, time.UTC)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("an error without a message")
			}
			return
		}
		if !q.Window.From.Before(q.Window.To) {
			t.Fatalf("%q: empty window %v", raw, q.Window)
		}
		if q.Window.To.Sub(q.Window.From) > time.Duration(query.MaxWeeks+1)*7*24*time.Hour {
			t.Fatalf("%q: window of %v", raw, q.Window.To.Sub(q.Window.From))
		}
	})
}
