package gitlab_test

import (
	"time"

	gt "github.com/tach-dev/tach/collectors/gitlab/gitlabtest"
)

// t0 is the Monday the billing history starts.
var t0 = time.Date(2025, 5, 5, 9, 0, 0, 0, time.UTC)

func at(d time.Duration) time.Time { return t0.Add(d) }

const (
	hour = time.Hour
	day  = 24 * time.Hour
)

var (
	alice = gt.User{Username: "alice"}
	bob   = gt.User{Username: "bob"}
	carol = gt.User{Username: "carol"}
	dave  = gt.User{Username: "dave"}
	erin  = gt.User{Username: "erin"}
	frank = gt.User{Username: "frank"}
	bot   = gt.User{Username: "renovate-bot", Bot: true}

	shaBase = gt.SHA("base")
	shaM1   = gt.SHA("merge-1")
	shaM2   = gt.SHA("merge-2")
	shaS2   = gt.SHA("squash-2")
	shaM3   = gt.SHA("merge-3")
	shaS3   = gt.SHA("squash-3")
	shaH6   = gt.SHA("head-6")
	shaR7   = gt.SHA("release-7")
)

// billing is a nested-group project with a small, hand-made history:
//
//	!1 alice, reviewed and approved by bob, merged (merge commit M1)
//	!2 bob, opened as a draft, marked ready, a bot commented first, carol
//	   reviewed and approved, merged squashed (S2; merge commit M2)
//	!3 renovate-bot (a bot), merged squashed (S3)
//	!4 dave, an open draft
//	!5 erin, closed
//	!6 alice, fast-forward merged (no merge or squash commit: head H6)
//	!7 frank, merged into release-1 (not the default branch)
//
// Deployments to production: D1 M1 ok, D2 S2 failed, D3 S2 ok, D4 S3
// canceled, D5 H6 ok, D6 H6 running; one to staging (left out) and one to
// "live", an environment of tier production (kept). Pipelines: a success
// and a running one on main, a failed one on a branch, a canceled one.
// Issues: an incident (type), one labelled incident, one labelled sev1, a
// plain one.
func billing() *gt.Project {
	return &gt.Project{
		Path: "acme/platform/billing",
		History: []gt.Commit{
			{SHA: shaBase, AuthoredAt: at(-10 * day)},
			{SHA: shaM1, AuthoredAt: at(3 * hour)},
			{SHA: shaS2, AuthoredAt: at(day + 5*hour)},
			{SHA: shaS3, AuthoredAt: at(2*day + hour)},
			{SHA: shaH6, AuthoredAt: at(5*day + 2*hour)},
		},
		MergeRequests: []*gt.MergeRequest{
			{
				IID: 1, Title: "Add invoices API", Author: alice, Labels: []string{"feature"},
				CreatedAt: at(0), State: "merged", MergedAt: at(3 * hour), MergeCommitSHA: shaM1, SHA: gt.SHA("head-1"),
				Additions: 120, Deletions: 30, Files: 4,
				Commits: []gt.Commit{{SHA: gt.SHA("c1a"), AuthoredAt: at(-2 * hour)}, {SHA: gt.SHA("c1b"), AuthoredAt: at(-hour)}},
				Notes: []*gt.Note{
					{Body: "Nice, one question", Author: bob, CreatedAt: at(hour)},
					{Body: "Answered", Author: alice, CreatedAt: at(90 * time.Minute)},
					{Body: gt.NoteApproved, System: true, Author: bob, CreatedAt: at(2 * hour)},
				},
			},
			{
				IID: 2, Title: "Refunds", Author: bob, CreatedAt: at(day),
				State: "merged", MergedAt: at(day + 5*hour), MergeCommitSHA: shaM2, SquashCommitSHA: shaS2, Squash: true,
				SHA: gt.SHA("head-2"), Additions: 40, Deletions: 2, Files: 2,
				Commits: []gt.Commit{{SHA: gt.SHA("c2a"), AuthoredAt: at(day - 5*hour)}},
				Notes: []*gt.Note{
					{Body: gt.NoteReady, System: true, Author: bob, CreatedAt: at(day + 2*hour)},
					{Body: "Dependency check passed", Author: bot, CreatedAt: at(day + 150*time.Minute)},
					{Body: "Please rename", Author: carol, CreatedAt: at(day + 3*hour)},
					{Body: gt.NoteApproved, System: true, Author: carol, CreatedAt: at(day + 4*hour)},
				},
			},
			{
				IID: 3, Title: "fix(deps): bump lib", Author: bot, CreatedAt: at(2 * day),
				State: "merged", MergedAt: at(2*day + hour), MergeCommitSHA: shaM3, SquashCommitSHA: shaS3, Squash: true,
				SHA: gt.SHA("head-3"), Additions: 3, Deletions: 3, Files: 1,
				Commits: []gt.Commit{{SHA: gt.SHA("c3a"), AuthoredAt: at(2*day - 10*time.Minute)}},
			},
			{
				IID: 4, Title: "Draft: Experiment", Author: dave, Draft: true, CreatedAt: at(3 * day), State: "opened",
				SHA: gt.SHA("head-4"), Additions: 7, Files: 1,
				Commits: []gt.Commit{{SHA: gt.SHA("c4a"), AuthoredAt: at(3*day - hour)}},
			},
			{
				IID: 5, Title: "Abandoned idea", Author: erin, CreatedAt: at(4 * day), State: "closed",
				ClosedAt: at(4*day + 2*hour), SHA: gt.SHA("head-5"), Additions: 1, Files: 1,
				Commits: []gt.Commit{{SHA: gt.SHA("c5a"), AuthoredAt: at(4*day - hour)}},
			},
			{
				IID: 6, Title: "Speed up exports", Author: alice, CreatedAt: at(5 * day),
				State: "merged", MergedAt: at(5*day + 2*hour), SHA: shaH6, Additions: 10, Deletions: 5, Files: 1,
				Commits: []gt.Commit{{SHA: shaH6, AuthoredAt: at(5*day - 30*time.Minute)}},
				Notes:   []*gt.Note{{Body: gt.NoteApproved, System: true, Author: bob, CreatedAt: at(5*day + hour)}},
			},
			{
				IID: 7, Title: "Backport fix", Author: frank, CreatedAt: at(6 * day), TargetBranch: "release-1",
				State: "merged", MergedAt: at(6*day + hour), MergeCommitSHA: shaR7, SHA: gt.SHA("head-7"), Additions: 2, Files: 1,
				Commits: []gt.Commit{{SHA: gt.SHA("c7a"), AuthoredAt: at(6*day - hour)}},
			},
		},
		Environments: []*gt.Environment{
			{Name: "production", Tier: "production"},
			{Name: "staging", Tier: "staging"},
			{Name: "live", Tier: "production"},
		},
		Deployments: []*gt.Deployment{
			{Environment: "production", Status: "success", SHA: shaM1, User: "alice", CreatedAt: at(4 * hour), FinishedAt: at(4*hour + 10*time.Minute)},
			{Environment: "production", Status: "failed", SHA: shaS2, User: "bob", CreatedAt: at(day + 6*hour), FinishedAt: at(day + 6*hour + 5*time.Minute)},
			{Environment: "production", Status: "success", SHA: shaS2, User: "bob", CreatedAt: at(day + 7*hour), FinishedAt: at(day + 7*hour + 10*time.Minute)},
			{Environment: "production", Status: "canceled", SHA: shaS3, User: "bob", CreatedAt: at(2*day + 2*hour), FinishedAt: at(2*day + 2*hour + time.Minute)},
			{Environment: "staging", Status: "success", SHA: shaM1, User: "alice", CreatedAt: at(3 * hour), FinishedAt: at(3*hour + 5*time.Minute)},
			{Environment: "live", Status: "success", SHA: shaS3, User: "carol", CreatedAt: at(2*day + 3*hour), FinishedAt: at(2*day + 3*hour + 5*time.Minute)},
			{Environment: "production", Status: "success", SHA: shaH6, User: "alice", CreatedAt: at(5*day + 3*hour), FinishedAt: at(5*day + 3*hour + 10*time.Minute)},
			{Environment: "production", Status: "running", SHA: shaH6, User: "alice", CreatedAt: at(5*day + 4*hour), UpdatedAt: at(5*day + 4*hour)},
		},
		Pipelines: []*gt.Pipeline{
			{Status: "success", Ref: "main", SHA: shaM1, Source: "push", User: "alice",
				CreatedAt: at(3 * hour), StartedAt: at(3*hour + time.Minute), FinishedAt: at(3*hour + 11*time.Minute)},
			{Status: "failed", Ref: "feature/refunds", SHA: gt.SHA("head-2"), Source: "merge_request_event", User: "bob",
				CreatedAt: at(day), StartedAt: at(day + time.Minute), FinishedAt: at(day + 6*time.Minute)},
			{Status: "canceled", Ref: "main", SHA: shaS2, Source: "push", User: "bob",
				CreatedAt: at(day + 5*hour), StartedAt: at(day + 5*hour + time.Minute), FinishedAt: at(day + 5*hour + 2*time.Minute)},
			{Status: "running", Ref: "main", SHA: shaH6, Source: "push", User: "alice",
				CreatedAt: at(5*day + 2*hour), StartedAt: at(5*day + 2*hour + time.Minute), UpdatedAt: at(5*day + 2*hour + time.Minute)},
		},
		Issues: []*gt.Issue{
			{Title: "Checkout down", Type: "incident", Author: "carol", CreatedAt: at(day + 8*hour), ClosedAt: at(day + 10*hour)},
			{Title: "Exports time out", Labels: []string{"incident", "backend"}, Author: "dave", CreatedAt: at(5*day + 5*hour)},
			{Title: "Docs typo", Labels: []string{"docs"}, Author: "erin", CreatedAt: at(2 * day)},
			{Title: "Payments degraded", Labels: []string{"sev1"}, Author: "frank", CreatedAt: at(3 * day), ClosedAt: at(3*day + hour)},
		},
	}
}
