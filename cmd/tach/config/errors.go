package config

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Error is one mistake in a configuration file. Its message is one line:
//
//	tach.yaml:12: repos[1].deployments.source: "deploy" is not one of deployments, workflow, releases, merges
//
// Parse and Load return every Error found, joined with errors.Join; use
// errors.As on each (or the Errors helper) to inspect them.
type Error struct {
	File string // the file's name as given to Load or Parse; may be empty
	Line int    // 1-based; 0 when the mistake has no single line
	Key  string // the key's path, e.g. repos[1].deployments.source; empty for the file itself
	Msg  string // what is wrong and what to do
}

func (e *Error) Error() string {
	var b strings.Builder
	switch {
	case e.File != "" && e.Line > 0:
		b.WriteString(e.File + ":" + strconv.Itoa(e.Line) + ": ")
	case e.File != "":
		b.WriteString(e.File + ": ")
	case e.Line > 0:
		b.WriteString("line " + strconv.Itoa(e.Line) + ": ")
	}
	if e.Key != "" {
		b.WriteString(e.Key + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Errors returns the *Error values inside err (as returned by Load, Parse,
// CheckSync or CheckWebhooks), in order.
func Errors(err error) []*Error {
	var out []*Error
	var walk func(error)
	walk = func(err error) {
		if err == nil {
			return
		}
		if e, ok := err.(*Error); ok {
			out = append(out, e)
			return
		}
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range j.Unwrap() {
				walk(e)
			}
			return
		}
		walk(errors.Unwrap(err))
	}
	walk(err)
	return out
}

// maxErrors caps how many errors one Parse reports.
const maxErrors = 50

// join sorts errs by line (stably), scrubs secret values from every
// message, caps the count and joins them.
func join(file string, errs []*Error, secrets []string) error {
	if len(errs) == 0 {
		return nil
	}
	sort.SliceStable(errs, func(i, j int) bool { return errs[i].Line < errs[j].Line })
	out := make([]error, 0, min(len(errs), maxErrors+1))
	for i, e := range errs {
		if i == maxErrors {
			out = append(out, &Error{File: file, Msg: fmt.Sprintf("%d more errors not shown; fix the ones above first", len(errs)-maxErrors)})
			break
		}
		e.Msg = scrub(e.Msg, secrets)
		e.Key = scrub(e.Key, secrets)
		out = append(out, e)
	}
	return errors.Join(out...)
}

// scrub replaces every occurrence of a secret value in s. Messages never
// quote secret values on purpose; this is the second line of defence
// against one arriving by accident (say, a token pasted as a key).
func scrub(s string, secrets []string) string {
	for _, v := range secrets {
		if len(v) >= 6 && strings.Contains(s, v) {
			s = strings.ReplaceAll(s, v, redacted)
		}
	}
	return s
}

// quote quotes a value for a message, shortened when long.
func quote(s string) string {
	const max = 60
	if r := []rune(s); len(r) > max {
		s = string(r[:max]) + "…"
	}
	return strconv.Quote(s)
}

// suggest returns the candidate closest to s, or "" when none is close.
func suggest(s string, candidates []string) string {
	norm := func(x string) string { return strings.ReplaceAll(strings.ToLower(x), "-", "_") }
	ns := norm(s)
	best, bestDist := "", 1<<30
	for _, c := range candidates {
		d := distance(ns, norm(c))
		if d < bestDist {
			best, bestDist = c, d
		}
	}
	limit := 2
	if n := len([]rune(s)); n <= 4 {
		limit = 1
	}
	if best == "" || bestDist > limit {
		return ""
	}
	return best
}

// distance is the optimal string alignment distance between a and b
// (Levenshtein with adjacent transpositions), on runes.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	if len(ra) > 64 || len(rb) > 64 {
		if a == b {
			return 0
		}
		return 1 << 20
	}
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}

// oneOf lists choices for a message: "a, b, c".
func oneOf(choices ...string) string { return strings.Join(choices, ", ") }
