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
	gt "github.com/tach-dev/tach/collectors/gitlab/gitlabtest"
)

// The GitLab collector end to end, as a new user runs it: a fake GitLab at
// gitlab.base_url, `tach sync`, then `tach report metrics --format json`,
// whose numbers are computed here by hand from METRICS.md.

// weekStart is the Monday (00:00 UTC) five weeks before this week: the
// histories below start there, inside the default 180 days of history,
// and the report window is its first two whole weeks.
func weekStart() time.Time {
	now := time.Now().UTC()
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	monday := today.AddDate(0, 0, -((int(today.Weekday()) + 6) % 7))
	return monday.AddDate(0, 0, -35)
}

// billingHistory is the GitLab project's history, B the window's first
// Monday (times are B + days/hours):
//
//	!1 alice  first commit 1d08:00, opened 1d10:00, bob comments 1d12:00 and
//	          approves 1d13:00, merged 1d14:00 (merge commit M1); +100 −20
//	!2 bob    first commit 2d07:00, opened as a draft 2d09:00, marked ready
//	          2d11:00, a bot comments 2d11:30, carol comments 2d13:00 and
//	          approves 2d14:00, merged squashed 2d15:00 (squash S2); +40 −10
//	!3 renovate-bot (a bot) opened 3d09:00, merged squashed 3d10:00 (S3)
//	!4 alice  "fix: rounding", first commit 8d09:00, opened 8d10:00, bob
//	          approves 8d11:00, merged 8d12:00 (M4); +5 −5
//	!5 dave   opened 9d09:00, still open, never reviewed
//
// Production deployments: D1 M1 1d15:00→15:10 ok; D2 S2 2d16:00→16:05
// failed; D3 S2 2d17:00→17:10 ok; D4 S3 3d11:00→11:10 ok; D5 M4
// 8d13:00→13:10 ok. An incident opened 3d12:00, closed 3d14:00.
// Pipelines: 1d14:01→14:11 success, 2d15:01→15:06 failed, 8d12:01→12:21
// success, one canceled.
func billingHistory(b time.Time) *gt.Project {
	at := func(days, hours, mins int) time.Time {
		return b.Add(time.Duration(days)*24*time.Hour + time.Duration(hours)*time.Hour + time.Duration(mins)*time.Minute)
	}
	alice, bob, carol, dave := gt.User{Username: "alice"}, gt.User{Username: "bob"}, gt.User{Username: "carol"}, gt.User{Username: "dave"}
	bot := gt.User{Username: "renovate-bot", Bot: true}
	m1, s2, s3, m4 := gt.SHA("e2e-m1"), gt.SHA("e2e-s2"), gt.SHA("e2e-s3"), gt.SHA("e2e-m4")
	commit := func(name string, t time.Time) []gt.Commit { return []gt.Commit{{SHA: gt.SHA(name), AuthoredAt: t}} }
	return &gt.Project{
		Path: "acme/platform/billing",
		History: []gt.Commit{
			{SHA: gt.SHA("e2e-base"), AuthoredAt: at(-10, 0, 0)},
			{SHA: m1, AuthoredAt: at(1, 14, 0)}, {SHA: s2, AuthoredAt: at(2, 15, 0)},
			{SHA: s3, AuthoredAt: at(3, 10, 0)}, {SHA: m4, AuthoredAt: at(8, 12, 0)},
		},
		MergeRequests: []*gt.MergeRequest{
			{Title: "Invoices API", Author: alice, CreatedAt: at(1, 10, 0), State: "merged", MergedAt: at(1, 14, 0),
				MergeCommitSHA: m1, SHA: gt.SHA("e2e-h1"), Additions: 100, Deletions: 20, Files: 3, Commits: commit("e2e-c1", at(1, 8, 0)),
				Notes: []*gt.Note{
					{Body: "A question", Author: bob, CreatedAt: at(1, 12, 0)},
					{Body: gt.NoteApproved, System: true, Author: bob, CreatedAt: at(1, 13, 0)},
				}},
			{Title: "Refunds", Author: bob, CreatedAt: at(2, 9, 0), State: "merged", MergedAt: at(2, 15, 0),
				MergeCommitSHA: gt.SHA("e2e-m2"), SquashCommitSHA: s2, Squash: true, SHA: gt.SHA("e2e-h2"),
				Additions: 40, Deletions: 10, Files: 2, Commits: commit("e2e-c2", at(2, 7, 0)),
				Notes: []*gt.Note{
					{Body: gt.NoteReady, System: true, Author: bob, CreatedAt: at(2, 11, 0)},
					{Body: "Pipeline passed", Author: bot, CreatedAt: at(2, 11, 30)},
					{Body: "Rename this", Author: carol, CreatedAt: at(2, 13, 0)},
					{Body: gt.NoteApproved, System: true, Author: carol, CreatedAt: at(2, 14, 0)},
				}},
			{Title: "chore(deps): bump lib", Author: bot, CreatedAt: at(3, 9, 0), State: "merged", MergedAt: at(3, 10, 0),
				MergeCommitSHA: gt.SHA("e2e-m3"), SquashCommitSHA: s3, Squash: true, SHA: gt.SHA("e2e-h3"),
				Additions: 2, Deletions: 2, Files: 1, Commits: commit("e2e-c3", at(3, 8, 55))},
			{Title: "fix: rounding", Author: alice, CreatedAt: at(8, 10, 0), State: "merged", MergedAt: at(8, 12, 0),
				MergeCommitSHA: m4, SHA: gt.SHA("e2e-h4"), Additions: 5, Deletions: 5, Files: 1, Commits: commit("e2e-c4", at(8, 9, 0)),
				Notes: []*gt.Note{{Body: gt.NoteApproved, System: true, Author: bob, CreatedAt: at(8, 11, 0)}}},
			{Title: "Export to CSV", Author: dave, CreatedAt: at(9, 9, 0), State: "opened", SHA: gt.SHA("e2e-h5"),
				Additions: 30, Files: 2, Commits: commit("e2e-c5", at(9, 8, 0))},
		},
		Environments: []*gt.Environment{{Name: "production", Tier: "production"}},
		Deployments: []*gt.Deployment{
			{Environment: "production", Status: "success", SHA: m1, User: "alice", CreatedAt: at(1, 15, 0), FinishedAt: at(1, 15, 10)},
			{Environment: "production", Status: "failed", SHA: s2, User: "bob", CreatedAt: at(2, 16, 0), FinishedAt: at(2, 16, 5)},
			{Environment: "production", Status: "success", SHA: s2, User: "bob", CreatedAt: at(2, 17, 0), FinishedAt: at(2, 17, 10)},
			{Environment: "production", Status: "success", SHA: s3, User: "bob", CreatedAt: at(3, 11, 0), FinishedAt: at(3, 11, 10)},
			{Environment: "production", Status: "success", SHA: m4, User: "alice", CreatedAt: at(8, 13, 0), FinishedAt: at(8, 13, 10)},
		},
		Pipelines: []*gt.Pipeline{
			{Status: "success", SHA: m1, CreatedAt: at(1, 14, 0), StartedAt: at(1, 14, 1), FinishedAt: at(1, 14, 11)},
			{Status: "failed", Ref: "refunds", SHA: gt.SHA("e2e-h2"), Source: "merge_request_event", CreatedAt: at(2, 15, 0), StartedAt: at(2, 15, 1), FinishedAt: at(2, 15, 6)},
			{Status: "canceled", SHA: s3, CreatedAt: at(3, 10, 0), StartedAt: at(3, 10, 1), FinishedAt: at(3, 10, 2)},
			{Status: "success", SHA: m4, CreatedAt: at(8, 12, 0), StartedAt: at(8, 12, 1), FinishedAt: at(8, 12, 21)},
		},
		Issues: []*gt.Issue{
			{Title: "Checkout errors", Type: "incident", Author: "carol", CreatedAt: at(3, 12, 0), ClosedAt: at(3, 14, 0)},
		},
	}
}

// tachRun runs one tach command line and returns its stdout, failing the
// test on a non-zero exit.
func tachRun(t *testing.T, args ...string) string {
	t.Helper()
	var out, errOut bytes.Buffer
	if code := run(context.Background(), &cli{stdout: &out, stderr: &errOut}, args); code != 0 {
		t.Fatalf("tach %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, out.String(), errOut.String())
	}
	return out.String()
}

// writeConfig writes a tach.yaml of body with a SQLite file beside it as
// its database.
func writeConfig(t *testing.T, body string) string {
	t.Helper()
	return writeConfigFor(t, filepath.Join(t.TempDir(), "tach.db"), body)
}

// writeConfigFor writes a tach.yaml of body whose database is database (a
// file or a postgres:// URL).
func writeConfigFor(t *testing.T, database, body string) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "tach.yaml")
	if err := os.WriteFile(f, []byte("database: '"+database+"'\n"+body), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

// report is the part of `tach report metrics --format json` checked here.
type report struct {
	DeploymentFrequency struct {
		Deployments             int      `json:"deployments"`
		PerWeek                 *float64 `json:"per_week"`
		DeployDaysPerWeekMedian *float64 `json:"deploy_days_per_week_median"`
		Tier                    *string  `json:"tier"`
		FailedAttempts          int      `json:"failed_attempts"`
	} `json:"deployment_frequency"`
	LeadTime          durations `json:"lead_time"`
	ChangeFailureRate struct {
		Failed      int      `json:"failed"`
		Deployments int      `json:"deployments"`
		Rate        *float64 `json:"rate"`
		Tier        *string  `json:"tier"`
	} `json:"change_failure_rate"`
	RecoveryTime  durations `json:"recovery_time"`
	TimeToRestore durations `json:"time_to_restore"`
	ReworkRate    struct {
		Rework      int      `json:"rework"`
		Deployments int      `json:"deployments"`
		Rate        *float64 `json:"rate"`
	} `json:"rework_rate"`
	CycleTime struct {
		Coding durations `json:"coding"`
		Pickup durations `json:"pickup"`
		Review durations `json:"review"`
		Deploy durations `json:"deploy"`
	} `json:"cycle_time"`
	Throughput struct {
		Merged  int      `json:"merged"`
		PerWeek *float64 `json:"per_week"`
	} `json:"throughput"`
	PRSize struct {
		Count       int      `json:"count"`
		MedianLines *float64 `json:"median_lines"`
		P75Lines    *float64 `json:"p75_lines"`
	} `json:"pr_size"`
	CI struct {
		Runs          int      `json:"runs"`
		MedianSeconds *float64 `json:"median_seconds"`
		P90Seconds    *float64 `json:"p90_seconds"`
		SuccessRate   *float64 `json:"success_rate"`
	} `json:"ci"`
	OpenWork struct {
		Open        int `json:"open"`
		StaleReview int `json:"stale_review"`
	} `json:"open_work"`
}

type durations struct {
	Count         int      `json:"count"`
	MedianSeconds *float64 `json:"median_seconds"`
	P75Seconds    *float64 `json:"p75_seconds"`
	P90Seconds    *float64 `json:"p90_seconds"`
	MeanSeconds   *float64 `json:"mean_seconds"`
	Tier          *string  `json:"tier"`
	OpenIncidents int      `json:"open_incidents"`
}

func reportMetrics(t *testing.T, cfg string, b time.Time, scope ...string) report {
	t.Helper()
	args := append([]string{"report", "metrics", "--config", cfg, "--format", "json",
		"--from", b.Format(time.DateOnly), "--to", b.AddDate(0, 0, 14).Format(time.DateOnly)}, scope...)
	out := tachRun(t, args...)
	var r report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("report JSON: %v\n%s", err, out)
	}
	return r
}

// check compares a number of the report with its hand computation.
type check struct {
	t    *testing.T
	name string
}

func (c check) num(what string, got *float64, want float64) {
	c.t.Helper()
	if got == nil || math.Abs(*got-want) > 1e-6 {
		c.t.Errorf("%s: %s = %s, want %v", c.name, what, fmtPtr(got), want)
	}
}

func (c check) int(what string, got, want int) {
	c.t.Helper()
	if got != want {
		c.t.Errorf("%s: %s = %d, want %d", c.name, what, got, want)
	}
}

func (c check) str(what string, got *string, want string) {
	c.t.Helper()
	if got == nil || *got != want {
		c.t.Errorf("%s: %s = %v, want %q", c.name, what, fmtStr(got), want)
	}
}

func fmtPtr(p *float64) string {
	if p == nil {
		return "null"
	}
	return fmt.Sprint(*p)
}

func fmtStr(p *string) string {
	if p == nil {
		return "null"
	}
	return *p
}

func TestGitLabSyncThenReportGivesMETRICSNumbers(t *testing.T) {
	b := weekStart()
	srv := gt.New(t)
	srv.Token = "x"
	srv.AddProject(billingHistory(b))
	cfg := writeConfig(t, fmt.Sprintf(`gitlab:
  token: x
  base_url: %s
repos:
  - gitlab: acme/platform/billing
`, srv.BaseURL()))

	out := tachRun(t, "sync", "--config", cfg)
	if !strings.Contains(out, "acme/platform/billing") || !strings.Contains(out, "ok") {
		t.Fatalf("sync summary:\n%s", out)
	}
	syncRequests := srv.TotalRequests()
	srv.ResetCounts()
	tachRun(t, "sync", "--config", cfg)
	t.Logf("first sync: %d requests; re-sync: %d (%v)", syncRequests, srv.TotalRequests(), srv.Counts())

	r := reportMetrics(t, cfg, b, "--repo", "acme/platform/billing")
	c := check{t, "acme/platform/billing"}

	// Deployment frequency: D1, D3, D4, D5 finished in the 14-day window
	// (D2 failed): 4, 4 ÷ 14 × 7 = 2 a week; deploy days per whole week:
	// week 1 has 3 (days 1, 2, 3), week 2 has 1 (day 8): median 2 → high.
	df := r.DeploymentFrequency
	c.int("deployments", df.Deployments, 4)
	c.num("per_week", df.PerWeek, 2)
	c.num("deploy_days_per_week_median", df.DeployDaysPerWeekMedian, 2)
	c.str("deployment frequency tier", df.Tier, "high")
	c.int("failed_attempts", df.FailedAttempts, 1)

	// Lead time (non-bot changes; !3 is a bot's): D1 ships !1 (first of the
	// history: linked by time), D3 ships !2 by its squash commit (range
	// M1...S2), D5 ships !4 (range S3...M4). !1 15:10 − 08:00 = 25,800 s;
	// !2 17:10 − 07:00 = 36,600 s; !4 13:10 − 09:00 = 15,000 s.
	// Sorted 15,000 25,800 36,600: median 25,800; p75 25,800 + .5 × 10,800
	// = 31,200; p90 25,800 + .8 × 10,800 = 34,440; mean 25,800 → elite.
	lt := r.LeadTime
	c.int("lead time count", lt.Count, 3)
	c.num("lead time median", lt.MedianSeconds, 25800)
	c.num("lead time p75", lt.P75Seconds, 31200)
	c.num("lead time p90", lt.P90Seconds, 34440)
	c.num("lead time mean", lt.MeanSeconds, 25800)
	c.str("lead time tier", lt.Tier, "elite")

	// Change failure: the incident (3d12:00) belongs to D4 (finished
	// 3d11:10, within 168 h): 1 of 4 → 25 % → low.
	cfr := r.ChangeFailureRate
	c.int("failed", cfr.Failed, 1)
	c.int("cfr deployments", cfr.Deployments, 4)
	c.num("cfr rate", cfr.Rate, 0.25)
	c.str("cfr tier", cfr.Tier, "low")

	// Recovery: D4 finished 3d11:10, its incident resolved 3d14:00:
	// 10,200 s → high (< 1 day). Time to restore: 14:00 − 12:00 = 7,200 s.
	c.int("recovery count", r.RecoveryTime.Count, 1)
	c.num("recovery median", r.RecoveryTime.MedianSeconds, 10200)
	c.str("recovery tier", r.RecoveryTime.Tier, "high")
	c.int("time to restore count", r.TimeToRestore.Count, 1)
	c.num("time to restore median", r.TimeToRestore.MedianSeconds, 7200)

	// Rework: D5 ships only "fix: rounding": 1 of 4 (D4 ships only a bot's
	// change, which neither makes nor breaks rework).
	c.int("rework", r.ReworkRate.Rework, 1)
	c.num("rework rate", r.ReworkRate.Rate, 0.25)

	// Cycle time of !1, !2, !4:
	// coding (ready − first commit): 7,200; 14,400 (ready = marked ready
	// 2d11:00); 3,600 → median 7,200, p75 10,800.
	// pickup (first review − ready; the bot's comment does not count):
	// 7,200; 7,200; 3,600 → median 7,200, p75 7,200.
	// review (merged − first review): 7,200; 7,200; 3,600 → 7,200, 7,200.
	// deploy (deployment − merged): 4,200; 7,800; 4,200 → 4,200, p75 6,000.
	ct := r.CycleTime
	c.num("coding median", ct.Coding.MedianSeconds, 7200)
	c.num("coding p75", ct.Coding.P75Seconds, 10800)
	c.num("pickup median", ct.Pickup.MedianSeconds, 7200)
	c.num("pickup p75", ct.Pickup.P75Seconds, 7200)
	c.num("review median", ct.Review.MedianSeconds, 7200)
	c.num("review p75", ct.Review.P75Seconds, 7200)
	c.num("deploy median", ct.Deploy.MedianSeconds, 4200)
	c.num("deploy p75", ct.Deploy.P75Seconds, 6000)

	// Throughput: 3 non-bot merges, 1.5 a week. PR size: 120, 50, 10 →
	// median 50, p75 50 + .5 × 70 = 85.
	c.int("merged", r.Throughput.Merged, 3)
	c.num("throughput per week", r.Throughput.PerWeek, 1.5)
	c.int("pr size count", r.PRSize.Count, 3)
	c.num("pr size median", r.PRSize.MedianLines, 50)
	c.num("pr size p75", r.PRSize.P75Lines, 85)

	// CI: success 600 s, failure 300 s, success 1,200 s (the canceled one
	// is left out): median 600, p90 600 + .8 × 600 = 1,080, success 2/3.
	c.int("ci runs", r.CI.Runs, 3)
	c.num("ci median", r.CI.MedianSeconds, 600)
	c.num("ci p90", r.CI.P90Seconds, 1080)
	c.num("ci success rate", r.CI.SuccessRate, 2.0/3)

	// Open work: !5, open for weeks without a review.
	c.int("open", r.OpenWork.Open, 1)
	c.int("stale review", r.OpenWork.StaleReview, 1)
}

// apiHistory is a GitHub repository beside the GitLab project: #1 by hank,
// its commit authored 4d09:00, approved by ivy 4d10:00, merged 4d11:00,
// deployed to production 4d12:00 with a success status a second later.
func apiHistory(srv *githubtest.Server, b time.Time) {
	at := func(days, hours int) time.Time {
		return b.Add(time.Duration(days)*24*time.Hour + time.Duration(hours)*time.Hour)
	}
	repo := srv.AddRepo("acme/api")
	srv.Edit(func() {
		repo.AddCommit("init", at(-10, 0))
		pr := repo.AddPR("Rate limits", githubtest.Person("hank"), at(4, 9))
		repo.Review(pr, githubtest.Person("ivy"), "APPROVED", at(4, 10))
		sha := repo.Merge(pr, at(4, 11))
		repo.Deploy(sha, "production", at(4, 12), "success")
	})
}

func TestTeamWithAGitHubRepoAndAGitLabProject(t *testing.T) {
	b := weekStart()
	gl := gt.New(t)
	gl.Token = "x"
	gl.AddProject(billingHistory(b))
	gh := githubtest.New(t)
	apiHistory(gh, b)

	cfg := writeConfig(t, fmt.Sprintf(`github:
  token: %s
  base_url: %s
gitlab:
  token: x
  base_url: %s
repos:
  - github: acme/api
  - gitlab: acme/platform/billing
teams:
  - name: payments
    repos: [acme/api, acme/platform/billing]
`, githubtest.DefaultToken, gh.BaseURL(), gl.BaseURL()))
	tachRun(t, "sync", "--config", cfg)

	r := reportMetrics(t, cfg, b, "--team", "payments")
	c := check{t, "team payments"}
	// The GitLab project's 4 deployments and the GitHub repo's 1.
	c.int("deployments", r.DeploymentFrequency.Deployments, 5)
	c.num("per_week", r.DeploymentFrequency.PerWeek, 2.5)
	// Lead times 15,000, 25,800, 36,600 (GitLab) and 12:00:01 − 09:00 =
	// 10,801 s (GitHub): median (15,000 + 25,800) ÷ 2 = 20,400.
	c.int("lead time count", r.LeadTime.Count, 4)
	c.num("lead time median", r.LeadTime.MedianSeconds, 20400)
	// 1 failed (GitLab's D4) of 5.
	c.int("failed", r.ChangeFailureRate.Failed, 1)
	c.num("cfr rate", r.ChangeFailureRate.Rate, 0.2)
	// 3 GitLab merges and 1 GitHub merge by people.
	c.int("merged", r.Throughput.Merged, 4)
}

func TestGitLabGroupImportLeavesArchivedOut(t *testing.T) {
	b := weekStart()
	srv := gt.New(t)
	srv.Token = "x"
	srv.AddProject(billingHistory(b))
	srv.AddProject(&gt.Project{Path: "acme/platform/search/indexer"})
	srv.AddProject(&gt.Project{Path: "acme/platform/legacy", Archived: true})
	srv.AddProject(&gt.Project{Path: "acme/web"})
	cfg := writeConfig(t, fmt.Sprintf(`gitlab:
  token: x
  base_url: %s
repos:
  - gitlab_group: acme/platform
`, srv.BaseURL()))
	out := tachRun(t, "sync", "--config", cfg)
	for _, want := range []string{"acme/platform/billing", "acme/platform/search/indexer"} {
		if !strings.Contains(out, want) {
			t.Errorf("sync summary lacks %s:\n%s", want, out)
		}
	}
	for _, unwanted := range []string{"acme/platform/legacy", "acme/web"} {
		if strings.Contains(out, unwanted) {
			t.Errorf("sync summary has %s (archived, or outside the group):\n%s", unwanted, out)
		}
	}
	r := reportMetrics(t, cfg, b, "--repo", "acme/platform/billing")
	check{t, "group import"}.int("deployments", r.DeploymentFrequency.Deployments, 4)
}
