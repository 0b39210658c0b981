package main

import (
	"encoding/json"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tach-dev/tach/metrics"
)

// TestReportWeeksIsFromTo: --weeks 4 is the report of the last 4 whole
// weeks, byte for byte the report of --from and --to of those weeks, in
// every format.
func TestReportWeeksIsFromTo(t *testing.T) {
	code, out, errOut := tach(t, "report", "metrics", "--db", demoDB, "--weeks", "4", "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var rep struct {
		Scope struct{ From, To, Timezone string }
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	loc, err := time.LoadLocation(rep.Scope.Timezone)
	if err != nil {
		t.Fatal(err)
	}
	want := metrics.LastWholeWeeks(time.Now(), 4, loc)
	if rep.Scope.From != want.From.Format(time.DateOnly) || rep.Scope.To != want.To.Format(time.DateOnly) {
		t.Fatalf("--weeks 4 reports %s to %s; the last 4 whole weeks are %v", rep.Scope.From, rep.Scope.To, want)
	}
	for _, format := range []string{"text", "json", "markdown"} {
		_, weeks, _ := tach(t, "report", "metrics", "--db", demoDB, "--weeks", "4", "--format", format)
		_, fromTo, _ := tach(t, "report", "metrics", "--db", demoDB, "--from", rep.Scope.From, "--to", rep.Scope.To, "--format", format)
		if weeks != fromTo || weeks == "" {
			t.Errorf("%s: --weeks 4 differs from --from %s --to %s:\n%s\n---\n%s", format, rep.Scope.From, rep.Scope.To, weeks, fromTo)
		}
	}

	// On a comparison, --weeks N is each side's length: --window Nw.
	_, weeks, _ := tach(t, "report", "compare", "--db", demoDB, "--decision", "2", "--weeks", "6", "--format", "json")
	_, window, _ := tach(t, "report", "compare", "--db", demoDB, "--decision", "2", "--window", "6w", "--format", "json")
	if weeks != window || !strings.Contains(weeks, `"window_days": 42`) {
		t.Errorf("compare --weeks 6 differs from --window 6w:\n%s\n---\n%s", weeks, window)
	}
}

// TestBadInputSameWordsOnCLIAndWeb: the same mistake gets the same message
// from `tach report` (one line, exit 2) and from /api/v1 (400), the
// parameter named --from on the command line and from in the address.
func TestBadInputSameWordsOnCLIAndWeb(t *testing.T) {
	db := filepath.Join(t.TempDir(), "demo.db")
	copyFile(t, demoDB, db)
	s := startServe(t, "--db", db, "--listen", "127.0.0.1:0")
	c := s.client()
	flagName := regexp.MustCompile(`--([a-z]+(-[a-z]+)*)`)
	for _, tc := range []struct {
		args []string // after `tach report`
		path string
	}{
		{[]string{"metrics", "--from", "2026-13-01"}, "/api/v1/metrics?from=2026-13-01"},
		{[]string{"metrics", "--from", "2026-06-01", "--to", "2026-03-01"}, "/api/v1/metrics?from=2026-06-01&to=2026-03-01"},
		{[]string{"metrics", "--from", "2001-01-01", "--to", "2026-01-01"}, "/api/v1/metrics?from=2001-01-01&to=2026-01-01"},
		{[]string{"metrics", "--weeks", "0"}, "/api/v1/metrics?weeks=0"},
		{[]string{"weekly", "--week", "nope"}, "/api/v1/weekly?week=nope"},
		{[]string{"weekly", "--week", "2199-01-01"}, "/api/v1/weekly?week=2199-01-01"},
		{[]string{"compare", "--period-a", "2026-01-05", "--period-b", "2026-06-01..2026-07-27"},
			"/api/v1/compare?period_a=2026-01-05&period_b=2026-06-01..2026-07-27"},
		{[]string{"compare", "--period-a", "2026-03-02..2026-01-05", "--period-b", "2026-06-01..2026-07-27"},
			"/api/v1/compare?period_a=2026-03-02..2026-01-05&period_b=2026-06-01..2026-07-27"},
		{[]string{"compare", "--period-a", "2026-01-05..2026-03-02"}, "/api/v1/compare?period_a=2026-01-05..2026-03-02"},
		{[]string{"compare", "--vs-team", "platform", "--vs-repo", "acme/web"}, "/api/v1/compare?vs_team=platform&vs_repo=acme/web"},
	} {
		args := append([]string{"report"}, tc.args...)
		code, out, errOut := tach(t, append(args, "--db", demoDB)...)
		cli, ok := strings.CutPrefix(errOut, "tach: ")
		cli, oneLine := strings.CutSuffix(cli, "\n")
		if code != 2 || out != "" || !ok || !oneLine || strings.Contains(cli, "\n") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want one line and exit 2", args, code, out, errOut)
			continue
		}
		status, body := s.do(c, "GET", tc.path, nil)
		var answer struct{ Error string }
		if err := json.Unmarshal([]byte(body), &answer); err != nil || status != 400 {
			t.Errorf("%s: %d %s; want 400 and an error", tc.path, status, body)
			continue
		}
		// The words are the same; only the parameters' names differ.
		asParams := flagName.ReplaceAllStringFunc(cli, func(f string) string { return strings.ReplaceAll(f[2:], "-", "_") })
		if asParams != answer.Error {
			t.Errorf("%v and %s say different things:\nCLI %s\nweb %s", args, tc.path, cli, answer.Error)
		}
	}
}
