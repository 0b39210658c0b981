// Package query is the one grammar of what a report asks for: days
// (YYYY-MM-DD), windows (from and to, or the last weeks whole weeks),
// periods (FROM..TO), lengths (8w, 10d), scopes (a team, repos), the week
// of a review, decision ids and formats, with their limits and defaults.
// The CLI's flags and the web's query parameters are both read here, so
// the same mistake gets the same words on both — a one-line error from
// tach, a 400 from the server — with the parameter named as its writer
// wrote it: --from on the command line, from in an address.
//
// A window leaves here as a metrics.Window with whole seconds at both
// ends, the form metrics.Window.Seconds hands the facts, the rollups, the
// report cache and the store.
//
// It imports metrics (windows, weeks) and metrics/review (the reviewed
// week); it does no I/O.
package query

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Limits and defaults of the input.
const (
	// DefaultWeeks is the default window: the last 12 whole weeks.
	DefaultWeeks = 12
	// MaxWeeks bounds a window, a period and a length: ten years. More is
	// a typo, and costly.
	MaxWeeks = 520
	// MaxRepos is how many repos one scope names at most.
	MaxRepos = 200
	// MaxNameLength bounds a team's or a repo's name.
	MaxNameLength = 300
)

// quoted is how much of a value a message repeats.
const quoted = 40

// A Surface is where input is written. A parameter has one name, its
// query parameter's (period_a); a surface changes only how a message
// names it (period_a, --period-a) and shows a value given to it.
type Surface int

const (
	// Params are the web's query parameters: from=2026-03-02&to=2026-06-01.
	Params Surface = iota
	// Flags are the CLI's flags: --from 2026-03-02 --to 2026-06-01.
	Flags
)

// Name is what s calls the parameter param: period_a, or --period-a.
func (s Surface) Name(param string) string {
	if s == Flags {
		return "--" + strings.ReplaceAll(param, "_", "-")
	}
	return param
}

// Given shows parameters given values, for an example in a message:
// Given("weeks", "N") is weeks=N, or --weeks N; several pairs are joined
// as the surface joins them. A pair with no name is the value alone (a
// positional argument).
func (s Surface) Given(pairs ...string) string {
	var parts []string
	for i := 0; i+1 < len(pairs); i += 2 {
		name, value := pairs[i], pairs[i+1]
		switch {
		case name == "":
			parts = append(parts, value)
		case s == Flags:
			parts = append(parts, s.Name(name)+" "+value)
		default:
			parts = append(parts, name+"="+value)
		}
	}
	if s == Flags {
		return strings.Join(parts, " ")
	}
	return strings.Join(parts, "&")
}

// BadInput is input its writer can fix: the parameter, as the surface
// names it ("" when the mistake is in how several go together), and a
// message saying what is wrong and what to write instead. tach prints it
// as one line and exits with status 2; the server answers it with 400.
type BadInput struct {
	Param string
	Msg   string
}

func (e *BadInput) Error() string { return e.Msg }

// bad is a BadInput about param.
func (s Surface) bad(param, format string, args ...any) error {
	name := ""
	if param != "" {
		name = s.Name(param)
	}
	return &BadInput{Param: name, Msg: fmt.Sprintf(format, args...)}
}

// Int reads a whole number between lo and hi; 0 when value is empty.
func (s Surface) Int(param, value string, lo, hi int) (int, error) {
	if value == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(value)
	if err != nil || n < lo || n > hi {
		return 0, s.bad(param, "%s %q is not a whole number between %d and %d", s.Name(param), Truncate(value, 20), lo, hi)
	}
	return n, nil
}

// OneOf checks that value is one of allowed, or empty (not given).
func (s Surface) OneOf(param, value string, allowed ...string) (string, error) {
	if value == "" {
		return "", nil
	}
	return s.Choice(param, value, allowed...)
}

// Choice checks that value is one of allowed: an output format (--format
// text|json|markdown), or another choice that must be made.
func (s Surface) Choice(param, value string, allowed ...string) (string, error) {
	if slices.Contains(allowed, value) {
		return value, nil
	}
	return "", s.bad(param, "%s %q is not one of %s", s.Name(param), Truncate(value, quoted), strings.Join(allowed, ", "))
}

// DecisionID reads the id of a recorded decision (#3 or 3). An empty
// param is a positional argument.
func (s Surface) DecisionID(param, value string) (int64, error) {
	id, err := strconv.ParseInt(strings.TrimPrefix(value, "#"), 10, 64)
	if err != nil || id <= 0 {
		what := fmt.Sprintf("%q", Truncate(value, 20))
		if param != "" {
			what = s.Name(param) + " " + what
		}
		return 0, s.bad(param, "%s is not a decision id: give the number the decision log shows, like %s", what, s.Given(param, "1"))
	}
	return id, nil
}

// name checks a team's or a repo's name: no team or repo has a longer one,
// or one with control characters.
func (s Surface) name(param, what, value string) error {
	if len(value) > MaxNameLength || strings.ContainsFunc(value, unicode.IsControl) {
		return s.bad(param, "%s %q is not a %s name: names are at most %d characters, without control characters",
			s.Name(param), Truncate(value, quoted), what, MaxNameLength)
	}
	return nil
}

// Truncate shortens s to at most n bytes and an ellipsis, on a rune
// boundary, for repeating input (or a title) where it must stay short.
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// days bounds: a date outside them is a typo.
const firstYear, lastYear = 1970, 2200

// tooLong reports whether from..to is longer than MaxWeeks (an hour more
// for a daylight-saving change).
func tooLong(from, to time.Time) bool {
	return to.Sub(from) > time.Duration(MaxWeeks)*7*24*time.Hour+time.Hour
}
