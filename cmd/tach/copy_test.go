package main

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/tach-dev/tach/store/storetest"
)

// reportCommands are the reports two databases holding the same data must
// print byte for byte alike.
var reportCommands = [][]string{
	{"report", "metrics", "--from", "2026-08-31", "--to", "2026-11-23"},
	{"report", "metrics", "--from", "2023-11-27", "--to", "2026-11-23", "--format", "json"},
	{"report", "metrics", "--team", "checkout", "--from", "2026-08-31", "--to", "2026-11-23", "--format", "markdown"},
	{"report", "weekly", "--week", "2026-11-16"},
	{"report", "weekly", "--week", "2026-11-16", "--format", "json"},
	{"report", "compare", "--decision", "1"},
	{"report", "compare", "--decision", "2", "--format", "json"},
	{"decisions", "list"},
}

// clockless masks what depends on the moment a report runs (the ages of
// open work and open incidents: to the nanosecond in JSON, and in text at
// a rounding boundary when the two runs straddle it), not on the database.
var clockless = regexp.MustCompile(`("(?:generated_at|waiting_seconds|open_so_far_seconds)": )[^,\n]*|( — waiting | — still open, for )[^\n(]*`)

// sameReports runs every report command against two databases and fails
// the test where their outputs differ.
func sameReports(t *testing.T, a, b string) {
	t.Helper()
	sameOutputs(t, reportCommands, []string{"--db", a}, []string{"--db", b})
}

// sameOutputs runs each command twice, once with the arguments a and once
// with b appended (--db F or --config F), and fails the test where the
// two outputs differ, once what depends on the clock is masked.
func sameOutputs(t *testing.T, commands [][]string, a, b []string) {
	t.Helper()
	for _, args := range commands {
		codeA, outA, errA := tach(t, append(append([]string{}, args...), a...)...)
		codeB, outB, errB := tach(t, append(append([]string{}, args...), b...)...)
		if codeA != 0 || codeB != 0 {
			t.Fatalf("%s: exit %d (%s) and %d (%s)", strings.Join(args, " "), codeA, errA, codeB, errB)
		}
		outA, outB = clockless.ReplaceAllString(outA, "$1$2"), clockless.ReplaceAllString(outB, "$1$2")
		if outA != outB {
			t.Errorf("%s differs:\n%s", strings.Join(args, " "), storetest.Diff(outA, outB))
		}
	}
}

// tach copy of the demo into the engine under test (PostgreSQL with
// TACH_TEST_POSTGRES) and back into a new file: every report reads the
// same, byte for byte, from the three.
func TestCopyReportsTheSameFigures(t *testing.T) {
	storetest.Long(t)
	mid := storetest.Database(t)
	code, out, errOut := tach(t, "copy", "--from", demoDB, "--to", mid)
	if code != 0 {
		t.Fatalf("copy: exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "each table has as many rows, with the same checksum, on both sides") {
		t.Errorf("copy said:\n%s", out)
	}
	back := filepath.Join(t.TempDir(), "back.db")
	if code, _, errOut := tach(t, "copy", "--from", mid, "--to", back); code != 0 {
		t.Fatalf("copy back: exit %d: %s", code, errOut)
	}
	sameReports(t, demoDB, mid)
	sameReports(t, demoDB, back)

	// Into a database that holds data: refused, then replaced on demand.
	code, _, errOut = tach(t, "copy", "--from", demoDB, "--to", mid)
	if code != 2 || !strings.Contains(errOut, "--replace") {
		t.Errorf("copy into a full database: exit %d, %q; want 2 and a word about --replace", code, errOut)
	}
	if code, _, errOut := tach(t, "copy", "--from", back, "--to", mid, "--replace"); code != 0 {
		t.Fatalf("copy --replace: exit %d: %s", code, errOut)
	}
	for _, bad := range [][]string{
		{"copy", "--from", demoDB},
		{"copy", "--from", demoDB, "--to", demoDB},
		{"copy", "--from", filepath.Join(t.TempDir(), "none.db"), "--to", back},
	} {
		if code, _, errOut := tach(t, bad...); code == 0 || errOut == "" {
			t.Errorf("%v: exit %d, %q; want an error", bad, code, errOut)
		}
	}
}
