package query_test

import (
	"errors"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tach-dev/tach/metrics"
	"github.com/tach-dev/tach/metrics/query"
)

// now is a Wednesday afternoon.
var now = time.Date(2026, 3, 4, 15, 4, 5, 600, time.UTC)

func values(raw string) url.Values {
	v, err := url.ParseQuery(raw)
	if err != nil {
		panic(err)
	}
	return v
}

func TestWindow(t *testing.T) {
	p := query.New(query.Params, now, time.UTC)
	day := func(s string) time.Time { t, _ := time.Parse(time.DateOnly, s); return t }
	for _, c := range []struct {
		raw      string
		from, to time.Time
		weeks    int
	}{
		{"", day("2025-12-08"), day("2026-03-02"), 0},
		{"weeks=4", day("2026-02-02"), day("2026-03-02"), 4},
		{"weeks=1", day("2026-02-23"), day("2026-03-02"), 1},
		{"from=2026-01-05&to=2026-02-02", day("2026-01-05"), day("2026-02-02"), 0},
		{"from=2026-01-05", day("2026-01-05"), day("2026-03-02"), 0},
		{"to=2026-01-05", day("2025-12-08"), day("2026-01-05"), 0},
		// from in the current week: up to now, to the second.
		{"from=2026-03-03", day("2026-03-03"), now.Truncate(time.Second), 0},
	} {
		w, err := p.Window(values(c.raw))
		if err != nil {
			t.Errorf("%s: %v", c.raw, err)
			continue
		}
		if !w.From.Equal(c.from) || !w.To.Equal(c.to) || w.Weeks != c.weeks {
			t.Errorf("%s: window [%v, %v) weeks %d; want [%v, %v) weeks %d", c.raw, w.From, w.To, w.Weeks, c.from, c.to, c.weeks)
		}
		if w.From.Nanosecond() != 0 || w.To.Nanosecond() != 0 {
			t.Errorf("%s: the window does not end on whole seconds: %v", c.raw, w.Window)
		}
	}
	// weeks=N is the window of the last N whole weeks, and from/to of those
	// weeks is the same window.
	w4, _ := p.Window(values("weeks=4"))
	ft, _ := p.Window(values("from=" + w4.From.Format(time.DateOnly) + "&to=" + w4.To.Format(time.DateOnly)))
	if w4.Window != ft.Window || w4.Window != metrics.LastWholeWeeks(now, 4, time.UTC) {
		t.Errorf("weeks=4 is %v; from/to of those weeks %v", w4.Window, ft.Window)
	}
	// Days are midnight in the parser's timezone.
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no timezone database")
	}
	w, err := query.New(query.Flags, now, berlin).Window(values("from=2026-01-05&to=2026-02-02"))
	if err != nil || !w.From.Equal(time.Date(2026, 1, 5, 0, 0, 0, 0, berlin)) {
		t.Errorf("from in Berlin: %v, %v", w.From, err)
	}
}

// TestSurfacesSayTheSame: each mistake gets the same words on the command
// line and from the web, the parameter named as each writes it.
func TestSurfacesSayTheSame(t *testing.T) {
	window := func(p query.Parser, v url.Values) error { _, err := p.Window(v); return err }
	compare := func(p query.Parser, v url.Values) error { _, err := p.Compare(v); return err }
	weekIn := func(p query.Parser, v url.Values) error {
		w, err := p.Window(v)
		if err == nil {
			_, _, err = p.WeekIn(v, w.Window)
		}
		return err
	}
	for _, c := range []struct {
		read       func(query.Parser, url.Values) error
		raw        string
		flags, web string
	}{
		{window, "from=2026-13-01",
			`--from "2026-13-01" is not a date: month out of range; write it as YYYY-MM-DD, for example 2026-03-02`,
			`from "2026-13-01" is not a date: month out of range; write it as YYYY-MM-DD, for example 2026-03-02`},
		{window, "from=2026-06-01&to=2026-03-01",
			"the window is empty: --from 2026-06-01 is not before --to 2026-03-01",
			"the window is empty: from 2026-06-01 is not before to 2026-03-01"},
		{window, "weeks=4&to=2026-03-01",
			"--weeks cannot be combined with --from or --to; give either --weeks N or --from YYYY-MM-DD --to YYYY-MM-DD",
			"weeks cannot be combined with from or to; give either weeks=N or from=YYYY-MM-DD&to=YYYY-MM-DD"},
		{window, "weeks=521",
			`--weeks "521" is not a number of weeks between 1 and 520`,
			`weeks "521" is not a number of weeks between 1 and 520`},
		{window, "from=1990-01-01&to=2026-01-01",
			"the window from 1990-01-01 to 2026-01-01 is longer than 520 weeks; choose a shorter one",
			"the window from 1990-01-01 to 2026-01-01 is longer than 520 weeks; choose a shorter one"},
		{window, "from=1969-12-29",
			"--from 1969-12-29 is out of range: give a date between 1970 and 2200",
			"from 1969-12-29 is out of range: give a date between 1970 and 2200"},
		{weekIn, "weeks=4&week=2026-01-07",
			"--week 2026-01-07 is outside the window from 2026-02-02 to 2026-03-02: choose a week inside it, or a window that holds it (--from 2026-01-05 --to 2026-01-12)",
			"week 2026-01-07 is outside the window from 2026-02-02 to 2026-03-02: choose a week inside it, or a window that holds it (from=2026-01-05&to=2026-01-12)"},
		{weekIn, "week=2026-02-31",
			`--week "2026-02-31" is not a date: day out of range; write it as YYYY-MM-DD, for example 2026-03-02`,
			`week "2026-02-31" is not a date: day out of range; write it as YYYY-MM-DD, for example 2026-03-02`},
		{compare, "period_a=2026-01-05&period_b=2026-06-01..2026-07-27",
			`--period-a "2026-01-05" is not a period: want FROM..TO, like 2026-01-05..2026-03-02 (TO is the day after it)`,
			`period_a "2026-01-05" is not a period: want FROM..TO, like 2026-01-05..2026-03-02 (TO is the day after it)`},
		{compare, "decision=x",
			`--decision "x" is not a decision id: give the number the decision log shows, like --decision 1`,
			`decision "x" is not a decision id: give the number the decision log shows, like decision=1`},
		{compare, "at=2026-04-27&window=eight",
			`--window "eight" is not a length: give weeks like --window 8w or days like --window 10d`,
			`window "eight" is not a length: give weeks like window=8w or days like window=10d`},
		{compare, "at=2026-04-27&window=3d",
			`--window "3d" is shorter than a week: give weeks like --window 8w or days like --window 56d`,
			`window "3d" is shorter than a week: give weeks like window=8w or days like window=56d`},
		{compare, "at=2026-04-27&window=4w&weeks=4",
			"--weeks cannot be combined with --window: give each side's length once, like --weeks 8 or --window 8w",
			"weeks cannot be combined with window: give each side's length once, like weeks=8 or window=8w"},
		{compare, "decision=1&at=2026-01-05",
			"give one thing to compare: --decision ID, --at YYYY-MM-DD, --period-a … --period-b …, or --vs-team / --vs-repo — not several",
			"give one thing to compare: decision=ID, at=YYYY-MM-DD, period_a=…&period_b=…, or vs_team / vs_repo — not several"},
		{compare, "period=2026-01-05..2026-03-02",
			"--period goes with --vs-team or --vs-repo; to compare two periods give --period-a FROM..TO --period-b FROM..TO",
			"period goes with vs_team or vs_repo; to compare two periods give period_a=FROM..TO&period_b=FROM..TO"},
		{compare, "vs_team=platform&gap=1w",
			"--gap applies before and after a date; two scopes are compared over one period (drop --gap)",
			"gap applies before and after a date; two scopes are compared over one period (drop gap)"},
	} {
		for _, s := range []struct {
			surface query.Surface
			want    string
		}{{query.Flags, c.flags}, {query.Params, c.web}} {
			err := c.read(query.New(s.surface, now, time.UTC), values(c.raw))
			var bad *query.BadInput
			if !errors.As(err, &bad) || bad.Msg != s.want {
				t.Errorf("%s on %v:\n got %v\nwant %s", c.raw, s.surface, err, s.want)
			}
		}
	}
	if got := query.Flags.NothingToCompare().Error(); got != "nothing to compare: give --decision ID, --at YYYY-MM-DD, --period-a FROM..TO --period-b FROM..TO, or --vs-team / --vs-repo" {
		t.Errorf("nothing to compare: %s", got)
	}
	if _, err := query.Flags.Choice("format", "xml", "text", "json"); err == nil || err.Error() != `--format "xml" is not one of text, json` {
		t.Errorf("format: %v", err)
	}
	if _, err := query.Flags.DecisionID("", "abc"); err == nil || err.Error() != `"abc" is not a decision id: give the number the decision log shows, like 1` {
		t.Errorf("positional decision id: %v", err)
	}
}

func TestWeek(t *testing.T) {
	p := query.New(query.Flags, now, time.UTC)
	start, err := p.Week(values(""))
	if err != nil || !start.Equal(time.Date(2026, 2, 23, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("default week %v %v", start, err)
	}
	start, err = p.Week(values("week=2026-02-12"))
	if err != nil || !start.Equal(time.Date(2026, 2, 9, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("week of 2026-02-12: %v %v", start, err)
	}
	_, err = p.Week(values("week=2026-03-03"))
	if err == nil || err.Error() != "--week 2026-03-03: the week of 2026-03-02 is not complete yet (it ends on 2026-03-09); choose an earlier week" {
		t.Errorf("this week: %v", err)
	}
}

func TestWeekIn(t *testing.T) {
	p := query.New(query.Params, now, time.UTC)
	day := func(m time.Month, d int) time.Time { return time.Date(2026, m, d, 0, 0, 0, 0, time.UTC) }
	// A window from Wednesday 4 February to now (Wednesday 4 March).
	w := metrics.Window{From: day(2, 4), To: now}
	for _, c := range []struct {
		raw      string
		from, to time.Time
	}{
		{"week=2026-02-11", day(2, 9), day(2, 16)},        // a whole week, from its Wednesday
		{"week=2026-02-02", day(2, 4), day(2, 9)},         // the first, part week: from the window's start
		{"week=2026-03-03", day(3, 2), now},               // the week in progress: to the window's end
		{"week=%202026-02-16%20", day(2, 16), day(2, 23)}, // its Monday, spaced
	} {
		week, given, err := p.WeekIn(values(c.raw), w)
		if err != nil || !given || !week.From.Equal(c.from) || !week.To.Equal(c.to) {
			t.Errorf("%s: %v %t %v; want [%v, %v)", c.raw, week, given, err, c.from, c.to)
		}
	}
	if week, given, err := p.WeekIn(values(""), w); given || err != nil || !week.From.IsZero() {
		t.Errorf("no week: %v %t %v", week, given, err)
	}
	if _, _, err := p.WeekIn(values("week=2026-03-10"), w); err == nil {
		t.Error("a week after the window: no error")
	}
}

func TestScopeAndCompare(t *testing.T) {
	p := query.New(query.Flags, now, time.UTC)
	sc, err := p.Scope(values("team=checkout&repo=acme/a,acme/b&repo=acme/a"))
	if err != nil || sc.Team != "checkout" || strings.Join(sc.Repos, " ") != "acme/a acme/b" {
		t.Errorf("scope %+v %v", sc, err)
	}
	if _, err := p.Scope(values("team=" + url.QueryEscape("a\x00b"))); err == nil || !strings.Contains(err.Error(), "--team") {
		t.Errorf("a control character in a team: %v", err)
	}
	c, err := p.Compare(values("decision=%232&weeks=6&gap=10d"))
	if err != nil || c.Decision != 2 || c.WindowDays != 42 || c.WindowParam != "6w" || c.GapDays != 10 || !c.HasAnchor() {
		t.Errorf("weeks=6 is window=6w: %+v %v", c, err)
	}
	c, err = p.Compare(values("vs_repo=acme/web&period=2026-01-05..2026-03-02"))
	a, b := c.Periods()
	if err != nil || c.Against() == nil || c.Against().Repos[0] != "acme/web" || a != c.Period || b != (metrics.Window{}) {
		t.Errorf("scopes: %+v %v", c, err)
	}
	for in, want := range map[string]int{"8w": 56, "1w": 7, "10d": 10, "0w": 0, "3": 21, " 2W ": 14} {
		if got, ok := query.ParseSpan(in); !ok || got != want {
			t.Errorf("ParseSpan(%q) = %d, %v; want %d", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "w", "8x", "-1w", "1.5w", "99999w"} {
		if _, ok := query.ParseSpan(in); ok {
			t.Errorf("ParseSpan(%q): want an error", in)
		}
	}
}

// FuzzSurfacesAgree: any input is accepted or refused alike on the command
// line and on the web, read as the same thing, and a refusal names the
// parameter as each surface does.
func FuzzSurfacesAgree(f *testing.F) {
	for _, seed := range []string{
		"", "weeks=4", "from=2026-13-01", "from=2026-02-01&to=2026-01-01", "team=a&repo=b,c", "week=2026-02-30",
		"decision=%233&window=6w&gap=1w", "period_a=2026-01-05..2026-03-02&period_b=2026-03-02..2026-04-27",
		"vs_team=x&period=2026-01-05..2026-03-02", "weeks=3&window=2w", "at=2026-01-05&weeks=521",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		v, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		web, cli := query.New(query.Params, now, time.UTC), query.New(query.Flags, now, time.UTC)
		agree := func(what string, a, b any, errWeb, errCLI error) {
			if (errWeb == nil) != (errCLI == nil) {
				t.Fatalf("%s of %q: web %v, CLI %v", what, raw, errWeb, errCLI)
			}
			var bw, bc *query.BadInput
			if errors.As(errWeb, &bw) != errors.As(errCLI, &bc) || bw != nil && (bw.Param == "") != (bc.Param == "") ||
				bw != nil && bw.Param != "" && query.Flags.Name(bw.Param) != bc.Param {
				t.Fatalf("%s of %q: web %#v, CLI %#v", what, raw, bw, bc)
			}
			if bw != nil && (bw.Msg == "" || strings.Contains(bw.Msg, "\n")) {
				t.Fatalf("%s of %q: message %q", what, raw, bw.Msg)
			}
			if errWeb == nil && !reflect.DeepEqual(a, b) {
				t.Fatalf("%s of %q: web %+v, CLI %+v", what, raw, a, b)
			}
		}
		for _, r := range []struct {
			what string
			read func(query.Parser) (any, error)
		}{
			{"scope", func(p query.Parser) (any, error) { return p.Scope(v) }},
			{"window", func(p query.Parser) (any, error) { return p.Window(v) }},
			{"week", func(p query.Parser) (any, error) { return p.Week(v) }},
			{"week in a window", func(p query.Parser) (any, error) {
				w, err := p.Window(v)
				if err != nil {
					return nil, err
				}
				week, _, err := p.WeekIn(v, w.Window)
				return week, err
			}},
			{"compare", func(p query.Parser) (any, error) { return p.Compare(v) }},
		} {
			a, errW := r.read(web)
			b, errC := r.read(cli)
			agree(r.what, a, b, errW, errC)
		}
		if w, err := web.Window(v); err == nil && (!w.From.Before(w.To) || w.To.Sub(w.From) > time.Duration(query.MaxWeeks+1)*7*24*time.Hour) {
			t.Fatalf("window of %q: %v", raw, w.Window)
		}
	})
}
