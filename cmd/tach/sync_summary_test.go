package main

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/tach-dev/tach/collectors"
	"github.com/tach-dev/tach/store"
)

// The summary `tach sync` prints after a run: words a reader knows, and a
// table that fits a 100-column terminal even with long repo names; a
// failure's error and a warning on lines of their own.
func TestSyncSummaryFitsAndSaysWhat(t *testing.T) {
	res := func(n, u int) *collectors.ResourceSummary { return &collectors.ResourceSummary{New: n, Updated: u} }
	all := map[string]*collectors.ResourceSummary{
		collectors.ResourceRepo: res(1, 0), collectors.ResourceChanges: res(12345, 678), collectors.ResourceChangeFiles: res(90000, 0),
		collectors.ResourceDeployments: res(4321, 12), collectors.ResourceRanges: res(4321, 0), collectors.ResourceCIRuns: res(98765, 4321),
		collectors.ResourceIncidents: res(321, 45),
	}
	warned := map[string]*collectors.ResourceSummary{collectors.ResourceChanges: res(3, 1),
		collectors.ResourceRanges: {New: 2, Warnings: []string{"deployment abc1234: the compare is too long for GitHub to generate; linked by time"}}}
	sum := &collectors.Summary{Duration: 83 * time.Second, Repos: []collectors.RepoSummary{
		{Repo: "acme-platform/infrastructure/terraform-modules-shared", Provider: store.GitLab, Resources: all, Requests: 12345, RateLimitRemaining: 1900},
		{Repo: "acme/payments", Provider: store.GitHub, Resources: all, Requests: 321, RateLimitRemaining: 4966,
			RateLimitReset: time.Date(2026, 3, 4, 13, 5, 0, 0, time.Local)},
		{Repo: "acme/web", Provider: store.GitHub, Resources: map[string]*collectors.ResourceSummary{}, Requests: 2, RateLimitRemaining: 4964,
			Err: errors.New("GET /repos/acme/web: 404 Not Found: the repository does not exist or the token cannot see it")},
		{Repo: "acme/catalog", Provider: store.GitHub, Resources: warned, Requests: 9, RateLimitRemaining: 4970},
	}}
	var buf bytes.Buffer
	writeSyncSummary(&buf, sum)
	out := buf.String()
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	table := lines[:6] // the caption, the header and one line per repo
	for _, l := range table {
		if n := utf8.RuneCountInString(l); n > 100 {
			t.Errorf("%d columns: %q", n, l)
		}
	}
	for _, want := range []string{"PRS/MRS", "DEPLOYMENTS", "INCIDENTS", "CI RUNS", "REQUESTS", "12345/678", "acme-platform/infrastructure/te…",
		"acme/web failed: GET /repos/acme/web: 404", "GitHub API: 4964 requests left", "GitLab API: 1900 requests left", "4 repos, 12677 API requests, 1m23s.",
		"warned\n", "acme/catalog warned: deployment abc1234: the compare is too long for GitHub to generate; linked by time"} {
		if !strings.Contains(out, want) {
			t.Errorf("the summary does not say %q:\n%s", want, out)
		}
	}
	for _, jargon := range []string{"deployment_ranges", "change_files", "new/upd ", "RATE LEFT", "FAILED:"} {
		if strings.Contains(out, jargon) {
			t.Errorf("the summary says %q:\n%s", jargon, out)
		}
	}
}
