package github

import (
	"time"

	"github.com/tach-dev/tach/collectors/github/githubtest"
)

// handHistory is a small history built by hand, with one of each case the
// collector must get right; tests change it between syncs.
type handHistory struct {
	repo *githubtest.Repo

	login   *githubtest.PullRequest // squash-merged, two commits (the older authored second), approved
	bump    *githubtest.PullRequest // by dependabot, reviewed by a bot only
	drafted *githubtest.PullRequest // opened as a draft, marked ready, merged
	wip     *githubtest.PullRequest // still a draft
	dropped *githubtest.PullRequest // closed unmerged, labelled incident (a PR is never an incident)
	hotfix  *githubtest.PullRequest // merged; a comment then an approval
	flipped *githubtest.PullRequest // opened ready, turned into a draft, ready again, merged
	ancient *githubtest.PullRequest // before sync.history: never synced

	prod1, staging, failed, prod2, pending *githubtest.Deployment

	running  *githubtest.WorkflowRun
	incident *githubtest.Issue
	plain    *githubtest.Issue
}

var (
	alice   = githubtest.Person("alice")
	bob     = githubtest.Person("bob")
	carol   = githubtest.Person("carol")
	dave    = githubtest.Person("dave")
	erin    = githubtest.Person("erin")
	depbot  = githubtest.Bot("dependabot")
	copilot = githubtest.Bot("copilot-pull-request-reviewer")
)

func buildHandHistory(srv *githubtest.Server, name string) *handHistory {
	h := &handHistory{repo: srv.AddRepo(name)}
	r := h.repo
	r.CreatedAt = ago(700 * day)
	r.AddCommit("initial commit", ago(600*day))

	h.ancient = r.AddPR("Ancient change", alice, ago(400*day))
	r.Merge(h.ancient, ago(399*day))

	h.login = r.AddPR("Add login", alice, ago(20*day))
	h.login.Labels = []string{"feature"}
	h.login.Additions, h.login.Deletions, h.login.ChangedFiles = 120, 30, 4
	h.login.Commits = []githubtest.Commit{
		{SHA: githubtest.SHA("login-1"), Message: "wip", Author: alice, AuthoredAt: ago(21 * day)},
		{SHA: githubtest.SHA("login-2"), Message: "cherry-picked", Author: alice, AuthoredAt: ago(22 * day)},
	}
	r.Review(h.login, bob, "APPROVED", ago(19*day))
	r.Merge(h.login, ago(19*day).Add(2*time.Hour))

	h.bump = r.AddPR("Bump lib from 1.0 to 1.1", depbot, ago(18*day))
	r.Review(h.bump, copilot, "COMMENTED", ago(18*day).Add(10*time.Minute))
	r.Merge(h.bump, ago(18*day).Add(time.Hour))

	h.drafted = r.AddPR("Draft work", carol, ago(15*day))
	h.drafted.Timeline = []githubtest.TimelineEvent{{Type: githubtest.ReadyForReview, At: ago(14 * day), Actor: carol}}
	r.Review(h.drafted, alice, "APPROVED", ago(13*day))
	r.Merge(h.drafted, ago(13*day).Add(3*time.Hour))

	h.flipped = r.AddPR("Flip flop", dave, ago(12*day))
	h.flipped.Timeline = []githubtest.TimelineEvent{
		{Type: githubtest.ConvertToDraft, At: ago(12 * day).Add(time.Hour), Actor: dave},
		{Type: githubtest.ReadyForReview, At: ago(11 * day), Actor: dave},
	}
	r.Merge(h.flipped, ago(11*day).Add(time.Hour))

	h.dropped = r.AddPR("Abandoned idea", erin, ago(11*day))
	h.dropped.Labels = []string{"incident"}
	r.Close(h.dropped, ago(10*day))

	h.wip = r.AddPR("WIP", dave, ago(5*day))
	h.wip.Draft = true

	h.hotfix = r.AddPR("Fix crash on login", bob, ago(3*day))
	h.hotfix.Labels = []string{"hotfix"}
	r.Review(h.hotfix, alice, "COMMENTED", ago(3*day).Add(time.Hour))
	r.Review(h.hotfix, carol, "APPROVED", ago(3*day).Add(2*time.Hour))
	r.Merge(h.hotfix, ago(2*day))

	// Deployments: a first production deployment (no range: nothing before
	// it), a staging one (stored, no range fetched), a failed attempt, a
	// success later marked inactive (still a success), one still pending.
	h.prod1 = r.Deploy(h.login.MergeCommit, "production", ago(19*day).Add(3*time.Hour), "in_progress", "success")
	h.staging = r.Deploy(h.bump.MergeCommit, "staging", ago(18*day).Add(2*time.Hour), "success")
	h.failed = r.Deploy(h.drafted.MergeCommit, "production", ago(13*day).Add(4*time.Hour), "in_progress", "failure")
	h.prod2 = r.Deploy(h.flipped.MergeCommit, "production", ago(11*day).Add(2*time.Hour), "queued", "success")
	r.AddStatus(h.prod2, "inactive", ago(day))
	h.pending = r.Deploy(h.hotfix.MergeCommit, "production", ago(2*day).Add(time.Hour), "in_progress")

	// CI runs: completed ones of both kinds, one cancelled, one running,
	// one on a branch, and the deploy workflow's runs.
	r.AddRun("CI", "ci.yml", "main", h.login.MergeCommit, ago(19*day).Add(2*time.Hour), "success", ago(19*day).Add(2*time.Hour+8*time.Minute))
	r.AddRun("CI", "ci.yml", "feature-9", h.hotfix.Commits[0].SHA, ago(3*day), "failure", ago(3*day).Add(5*time.Minute))
	r.AddRun("CI", "ci.yml", "main", h.drafted.MergeCommit, ago(13*day).Add(3*time.Hour), "cancelled", ago(13*day).Add(3*time.Hour+time.Minute))
	r.AddRun("Deploy", "deploy.yml", "main", h.login.MergeCommit, ago(19*day).Add(3*time.Hour), "success", ago(19*day).Add(3*time.Hour+4*time.Minute))
	r.AddRun("Deploy", "deploy.yml", "main", h.flipped.MergeCommit, ago(11*day).Add(2*time.Hour), "success", ago(11*day).Add(2*time.Hour+4*time.Minute))
	h.running = r.AddRun("Deploy", "deploy.yml", "main", h.hotfix.MergeCommit, ago(2*day).Add(time.Hour), "", time.Time{})

	h.incident = r.AddIssue("Login is down", ago(13*day).Add(6*time.Hour), "incident", "sev1")
	h.incident.ClosedAt = ago(13 * day).Add(8 * time.Hour)
	h.incident.UpdatedAt = h.incident.ClosedAt
	h.plain = r.AddIssue("Typo in README", ago(9*day), "docs")

	// Releases: a published one, a draft and a prerelease.
	r.AddRelease("v1.0.0", h.login.MergeCommit, ago(19*day).Add(3*time.Hour), ago(19*day).Add(3*time.Hour))
	draft := r.AddRelease("v1.1.0", h.flipped.MergeCommit, ago(11*day), time.Time{})
	draft.Draft = true
	pre := r.AddRelease("v1.1.0-rc1", h.flipped.MergeCommit, ago(11*day).Add(time.Hour), ago(11*day).Add(time.Hour))
	pre.Prerelease = true
	r.AddRelease("v1.1.0", h.hotfix.MergeCommit, ago(2*day), ago(2*day).Add(30*time.Minute))
	return h
}
