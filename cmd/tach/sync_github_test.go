package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tach-dev/tach/collectors/github/githubtest"
	"github.com/tach-dev/tach/metrics"
)

// TestSyncGitHubEndToEnd is the issue's "done when", as a new user would
// do it: a GitHub-compatible server at a configured base_url, `tach sync
// --config F`, then `tach report metrics --format json`, whose numbers must
// be exactly those METRICS.md defines for the history below (computed by
// hand in the comments).
func TestSyncGitHubEndToEnd(t *testing.T) {
	// The window is the four whole weeks before the current one, so every
	// event is in the past and inside sync.history (180d); T0 is a Monday.
	today := time.Now().UTC().Truncate(24 * time.Hour)
	monday := today.AddDate(0, 0, -((int(today.Weekday()) + 6) % 7))
	t0 := monday.AddDate(0, 0, -28)
	at := func(days int, hhmm string) time.Time {
		var h, m int
		fmt.Sscanf(hhmm, "%d:%d", &h, &m)
		return t0.AddDate(0, 0, days).Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute)
	}

	srv := githubtest.New(t)
	r := srv.AddRepo("acme/shop")
	r.AddCommit("initial commit", t0.AddDate(0, 0, -60))
	alice, bob, carol, dave, erin := githubtest.Person("alice"), githubtest.Person("bob"), githubtest.Person("carol"), githubtest.Person("dave"), githubtest.Person("erin")
	commit := func(pr *githubtest.PullRequest, authored ...time.Time) {
		pr.Commits = nil
		for i, a := range authored {
			pr.Commits = append(pr.Commits, githubtest.Commit{SHA: githubtest.SHA(fmt.Sprint(pr.Title, i)), Message: pr.Title, Author: pr.Author, AuthoredAt: a})
		}
	}

	// A: alice. first commit 1d 09:00, opened 1d 10:00, approved by bob
	// 12:00, merged 14:00; 100+20 lines.
	a := r.AddPR("Add cart", alice, at(1, "10:00"))
	commit(a, at(1, "09:00"))
	a.Additions, a.Deletions = 100, 20
	r.Review(a, bob, "APPROVED", at(1, "12:00"))
	r.Merge(a, at(1, "14:00"))
	// B: a fix (label bug, title "Fix ..."). commit 2d 08:00, opened 09:00,
	// approved by dave 11:00, merged 13:00; 10+5 lines.
	b := r.AddPR("Fix checkout total", carol, at(2, "09:00"))
	commit(b, at(2, "08:00"))
	b.Labels = []string{"bug"}
	b.Additions, b.Deletions = 10, 5
	r.Review(b, dave, "APPROVED", at(2, "11:00"))
	r.Merge(b, at(2, "13:00"))
	// C: dependabot, merged 3d 03:00: a bot change, left out everywhere.
	c := r.AddPR("Bump lodash from 4.17.20 to 4.17.21", githubtest.Bot("dependabot"), at(3, "02:00"))
	commit(c, at(3, "01:00"))
	r.Merge(c, at(3, "03:00"))
	// D: bob, opened as a draft 8d 09:00 with commits authored 8d 08:00 and
	// (listed second, cherry-picked) 7d 20:00; ready 8d 15:00; a bot review
	// 15:30 (does not count); approved by alice 18:00; merged 9d 10:00;
	// 300+50 lines.
	d := r.AddPR("New search", bob, at(8, "09:00"))
	commit(d, at(8, "08:00"), at(7, "20:00"))
	d.Additions, d.Deletions = 300, 50
	d.Timeline = []githubtest.TimelineEvent{{Type: githubtest.ReadyForReview, At: at(8, "15:00"), Actor: bob}}
	r.Review(d, githubtest.Bot("copilot-pull-request-reviewer"), "COMMENTED", at(8, "15:30"))
	r.Review(d, alice, "APPROVED", at(8, "18:00"))
	r.Merge(d, at(9, "10:00"))
	// E: open since 20d 10:00, never reviewed: open work, stale. Its
	// incident label does not make a pull request an incident.
	e := r.AddPR("Refactor payments", erin, at(20, "10:00"))
	e.Labels = []string{"incident"}

	// Deployments to production: D1 (A) success 1d 15:10; D2 (C, so B and
	// C) success 3d 04:05; D3 (D) failure 9d 11:05 — a failed attempt; D4
	// (D) success 9d 12:06. And one to staging, never production.
	dep := func(sha, env string, created, finished time.Time, outcome string) {
		x := r.Deploy(sha, env, created, "in_progress")
		r.AddStatus(x, outcome, finished)
	}
	dep(a.MergeCommit, "production", at(1, "15:00"), at(1, "15:10"), "success")
	dep(c.MergeCommit, "production", at(3, "04:00"), at(3, "04:05"), "success")
	dep(d.MergeCommit, "production", at(9, "11:00"), at(9, "11:05"), "failure")
	dep(d.MergeCommit, "staging", at(9, "11:30"), at(9, "11:35"), "success")
	dep(d.MergeCommit, "production", at(9, "12:00"), at(9, "12:06"), "success")

	// An incident 9d 14:00, resolved 18:00; an issue that is not one.
	inc := r.AddIssue("Search returns 500", at(9, "14:00"), "incident")
	inc.ClosedAt, inc.UpdatedAt = at(9, "18:00"), at(9, "18:00")
	r.AddIssue("Docs typo", at(10, "09:00"), "docs")

	// CI: success 1d 14:00:05→14:10 (595 s), failure 2d 09:00:05→09:07
	// (415 s), cancelled (left out), success 8d 09:00:05→09:20 (1195 s).
	r.AddRun("CI", "ci.yml", "main", a.MergeCommit, at(1, "14:00"), "success", at(1, "14:10"))
	r.AddRun("CI", "ci.yml", "fix-total", b.Commits[0].SHA, at(2, "09:00"), "failure", at(2, "09:07"))
	r.AddRun("CI", "ci.yml", "main", b.MergeCommit, at(2, "13:00"), "cancelled", at(2, "13:02"))
	r.AddRun("CI", "ci.yml", "main", d.Commits[0].SHA, at(8, "09:00"), "success", at(8, "09:20"))

	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "tach.yaml")
	cfg := fmt.Sprintf(`database: tach.db
github:
  token: %s
  base_url: %s
repos:
  - github: acme/shop
    deployments:
      source: deployments
      link: commits
    modules:
      - {name: all, paths: ["**"]}
      - {name: none, paths: ["no/such/dir/**"]}
`, githubtest.DefaultToken, srv.BaseURL())
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}

	var out, errOut bytes.Buffer
	env := &cli{stdout: &out, stderr: &errOut}
	if code := run(context.Background(), env, []string{"sync", "--config", cfgFile}); code != 0 {
		t.Fatalf("tach sync exited %d\nstdout:\n%s\nstderr:\n%s", code, out.String(), errOut.String())
	}
	if !strings.Contains(out.String(), "acme/shop") || strings.Contains(out.String(), "FAILED") {
		t.Errorf("sync summary:\n%s", out.String())
	}
	if strings.Contains(out.String()+errOut.String(), githubtest.DefaultToken) {
		t.Errorf("the token was printed")
	}
	// One request per resource: repo, pull requests, deployments, CI runs,
	// incidents (two: the newest issue update, then the labelled list), and
	// one page of the default branch's history for the ranges of the new
	// deployments with a predecessor (D2 and D4).
	if n := srv.TotalRequests(); n != 7 || srv.Requests("graphql.history") != 1 {
		t.Errorf("sync made %d requests (%s), want 7", n, srv.CountsString())
	}

	out.Reset()
	args := []string{"report", "metrics", "--config", cfgFile, "--repo", "acme/shop",
		"--from", t0.Format(time.DateOnly), "--to", monday.Format(time.DateOnly), "--format", "json"}
	if code := run(context.Background(), env, args); code != 0 {
		t.Fatalf("tach report exited %d\n%s", code, errOut.String())
	}
	var rep metrics.Report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("report JSON: %v\n%s", err, out.String())
	}

	check := func(name string, got *float64, want float64) {
		t.Helper()
		if got == nil {
			t.Errorf("%s = null, want %v", name, want)
		} else if math.Abs(*got-want) > 1e-6 {
			t.Errorf("%s = %v, want %v", name, *got, want)
		}
	}
	checkInt := func(name string, got, want int) {
		t.Helper()
		if got != want {
			t.Errorf("%s = %d, want %d", name, got, want)
		}
	}
	checkTier := func(name string, got *string, want string) {
		t.Helper()
		if got == nil || *got != want {
			t.Errorf("%s tier = %v, want %s", name, got, want)
		}
	}

	// Deployment frequency: D1, D2, D4 (production, success, finished in
	// the window) = 3; 3 ÷ 28 days × 7 = 0.75 a week. Deploy days by week:
	// [2 (days 1, 3), 1 (day 9), 0, 0] → median 0.5; in the one 4-week
	// block (or a February wholly inside): 3 days → medium. Failed
	// attempts: D3; success rate 3 ÷ (3 + 1).
	df := rep.DeploymentFrequency
	checkInt("deployments", df.Deployments, 3)
	check("per_week", df.PerWeek, 0.75)
	check("deploy_days_per_week_median", df.DeployDaysPerWeekMedian, 0.5)
	check("deploy_days_per_month_median", df.DeployDaysPerMonthMedian, 3)
	checkTier("deployment frequency", df.Tier, metrics.TierMedium)
	checkInt("failed_attempts", df.FailedAttempts, 1)
	check("deploy_success_rate", df.SuccessRate, 0.75)

	// Lead time (non-bot changes shipped in the window; C is a bot's):
	// A by D1: 1d 15:10 − 1d 09:00 = 22200 s; B by D2 (range D1...D2 holds
	// B and C): 3d 04:05 − 2d 08:00 = 72300 s; D by D4 (range D2...D4):
	// 9d 12:06 − 7d 20:00 = 144360 s. Median 72300 (< 1 day: elite); p75
	// 72300 + 0.5 × 72060 = 108330; p90 72300 + 0.8 × 72060 = 129948;
	// mean 238860 ÷ 3 = 79620.
	lt := rep.LeadTime
	checkInt("lead time count", lt.Count, 3)
	check("lead time median", lt.MedianSeconds, 72300)
	check("lead time p75", lt.P75Seconds, 108330)
	check("lead time p90", lt.P90Seconds, 129948)
	check("lead time mean", lt.MeanSeconds, 79620)
	checkTier("lead time", lt.Tier, metrics.TierElite)

	// Change failure rate: the incident (9d 14:00) belongs to D4, the last
	// production deployment before it (12:06, within 168h): 1 of 3 (> 15 %:
	// low). No rollback (the shas A, C, D never repeat).
	cfr := rep.ChangeFailureRate
	checkInt("failed", cfr.Failed, 1)
	checkInt("cfr deployments", cfr.Deployments, 3)
	check("cfr rate", cfr.Rate, 1.0/3)
	checkTier("change failure rate", cfr.Tier, metrics.TierLow)

	// Recovery: D4 from 9d 12:06 to the incident's resolution 18:00 =
	// 21240 s (< 1 day: high); nothing left open. Time to restore: the
	// incident's 14:00 → 18:00 = 14400 s.
	rt := rep.RecoveryTime
	checkInt("recovery count", rt.Count, 1)
	check("recovery median", rt.MedianSeconds, 21240)
	check("recovery p90", rt.P90Seconds, 21240)
	checkTier("recovery", rt.Tier, metrics.TierHigh)
	checkInt("open incidents", rt.OpenIncidents, 0)
	checkInt("time to restore count", rep.TimeToRestore.Count, 1)
	check("time to restore median", rep.TimeToRestore.MedianSeconds, 14400)

	// Rework: D2 ships B (a fix) and C (a bot's: neither way) → rework; D1
	// (A) and D4 (D) are planned. 1 of 3.
	checkInt("rework", rep.ReworkRate.Rework, 1)
	check("rework rate", rep.ReworkRate.Rate, 1.0/3)

	// Cycle time of A, B, D:
	// coding = ready − first commit: 3600, 3600, 8d 15:00 − 7d 20:00 = 68400
	//   → median 3600, p75 3600 + 0.5 × 64800 = 36000;
	// pickup = first human review − ready: 7200, 7200, 18:00 − 15:00 = 10800
	//   (the bot's 15:30 review does not count) → median 7200, p75 9000;
	// review = merge − first review: 7200, 7200, 9d 10:00 − 8d 18:00 = 57600
	//   → median 7200, p75 32400;
	// deploy = deployment − merge: 4200, 3d 04:05 − 2d 13:00 = 54300, 7560
	//   → median 7560, p75 7560 + 0.5 × 46740 = 30930.
	ct := rep.CycleTime
	check("coding median", ct.Coding.MedianSeconds, 3600)
	check("coding p75", ct.Coding.P75Seconds, 36000)
	check("pickup median", ct.Pickup.MedianSeconds, 7200)
	check("pickup p75", ct.Pickup.P75Seconds, 9000)
	check("review median", ct.Review.MedianSeconds, 7200)
	check("review p75", ct.Review.P75Seconds, 32400)
	check("deploy median", ct.Deploy.MedianSeconds, 7560)
	check("deploy p75", ct.Deploy.P75Seconds, 30930)

	// Throughput: A, B, D merged in the window = 3, 0.75 a week. PR size:
	// 120, 15, 350 → median 120, p75 120 + 0.5 × 230 = 235.
	checkInt("throughput", rep.Throughput.Merged, 3)
	check("throughput per week", rep.Throughput.PerWeek, 0.75)
	checkInt("pr size count", rep.PRSize.Count, 3)
	check("pr size median", rep.PRSize.MedianLines, 120)
	check("pr size p75", rep.PRSize.P75Lines, 235)

	// CI: 595, 415, 1195 s (the cancelled run is left out) → median 595,
	// p90 595 + 0.8 × 600 = 1075; success 2 of 3.
	checkInt("ci runs", rep.CI.Runs, 3)
	check("ci median", rep.CI.MedianSeconds, 595)
	check("ci p90", rep.CI.P90Seconds, 1075)
	check("ci success rate", rep.CI.SuccessRate, 2.0/3)

	// Open work: E, waiting for a first review for more than 48h.
	checkInt("open", rep.OpenWork.Open, 1)
	checkInt("stale review", rep.OpenWork.StaleReview, 1)

	// The sync wrote the config's modules: a module of every path has the
	// repo's changes and deployments, one of no path has none.
	module := func(name string) metrics.Report {
		t.Helper()
		out.Reset()
		args := []string{"report", "metrics", "--config", cfgFile, "--module", "acme/shop:" + name,
			"--from", t0.Format(time.DateOnly), "--to", monday.Format(time.DateOnly), "--format", "json"}
		if code := run(context.Background(), env, args); code != 0 {
			t.Fatalf("tach report --module exited %d\n%s", code, errOut.String())
		}
		var r metrics.Report
		if err := json.Unmarshal(out.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	all, none := module("all"), module("none")
	if all.LeadTime.Count != lt.Count || *all.LeadTime.MedianSeconds != *lt.MedianSeconds || all.DeploymentFrequency.Deployments != df.Deployments ||
		all.ChangeFailureRate.Failed != cfr.Failed || all.PRSize.Count != rep.PRSize.Count || *all.PRSize.MedianLines != *rep.PRSize.MedianLines {
		t.Errorf("module of every path: %+v", all)
	}
	if none.LeadTime.Count != 0 || none.DeploymentFrequency.Deployments != 0 || none.Throughput.Merged != 0 {
		t.Errorf("module of no path: %+v", none)
	}

	// A second sync finds nothing new: at most 2 requests per resource.
	srv.ResetCounts()
	out.Reset()
	if code := run(context.Background(), env, []string{"sync", "--config", cfgFile}); code != 0 {
		t.Fatalf("second tach sync exited %d\n%s", code, errOut.String())
	}
	if n := srv.TotalRequests(); n > 5 {
		t.Errorf("re-sync made %d requests (%s)", n, srv.CountsString())
	}
}

// TestSyncGitHubFailures: a rejected token and a missing repo exit 1 with
// messages that say what to do; a repo that syncs still does.
func TestSyncGitHubFailures(t *testing.T) {
	srv := githubtest.New(t)
	srv.AddRepo("acme/shop").Generate(githubtest.History{PRs: 5, Deployments: 2})
	dir := t.TempDir()
	write := func(token string) string {
		f := filepath.Join(dir, "tach.yaml")
		cfg := fmt.Sprintf("database: tach.db\ngithub:\n  token: %s\n  base_url: %s\nrepos:\n  - github: acme/shop\n  - github: acme/missing\n", token, srv.BaseURL())
		if err := os.WriteFile(f, []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
		return f
	}

	var out, errOut bytes.Buffer
	env := &cli{stdout: &out, stderr: &errOut}
	code := run(context.Background(), env, []string{"sync", "--config", write(githubtest.DefaultToken)})
	if code != 1 {
		t.Errorf("exit %d with a missing repo, want 1", code)
	}
	all := out.String() + errOut.String()
	if !strings.Contains(all, "acme/missing") || !strings.Contains(all, "repository not found") {
		t.Errorf("output does not name the missing repo:\n%s", all)
	}
	if !strings.Contains(out.String(), "acme/shop") {
		t.Errorf("acme/shop missing from the summary:\n%s", out.String())
	}

	out.Reset()
	errOut.Reset()
	code = run(context.Background(), env, []string{"sync", "--config", write("ghp_wrongtoken")})
	all = out.String() + errOut.String()
	if code != 1 || !strings.Contains(all, "rejected the token") || !strings.Contains(all, "repo scope") {
		t.Errorf("exit %d; output:\n%s", code, all)
	}
	if strings.Contains(all, "ghp_wrongtoken") {
		t.Errorf("the token was printed")
	}
}
