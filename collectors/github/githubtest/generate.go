package githubtest

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"time"
)

// History describes a generated repository history for benchmarks and
// volume tests. Zero fields take the defaults given.
type History struct {
	// PRs is the number of pull requests. About 80% are merged, 10% closed,
	// 10% open; 10% are by a bot (dependabot); 10% were opened as drafts;
	// most have one or two reviews, some a bot's review first.
	PRs int
	// Deployments is the number of production deployments (source
	// deployments), spread over the span; about 10% fail.
	Deployments int
	// Runs is the number of CI workflow runs on the default branch.
	Runs int
	// Incidents is the number of issues labelled "incident"; Issues the
	// number of other issues.
	Incidents, Issues int
	// End is the time of the newest activity (default: now, to the second).
	End time.Time
	// Span is how far back the history goes (default 90 days).
	Span time.Duration
	// Seed makes the history reproducible (default 1).
	Seed uint64
	// MergeCommits is the share of merges, in percent, made with a merge
	// commit (the pull request's commits come in on a side line) instead
	// of a squash (default 0: every merge is a squash).
	MergeCommits int
}

// Generate fills r with a history. Call it before syncing, or inside
// Server.Edit while the server is in use.
func (r *Repo) Generate(h History) {
	if h.End.IsZero() {
		h.End = time.Now().UTC().Truncate(time.Second)
	}
	if h.Span <= 0 {
		h.Span = 90 * 24 * time.Hour
	}
	if h.Seed == 0 {
		h.Seed = 1
	}
	rng := rand.New(rand.NewPCG(h.Seed, uint64(len(r.PullRequests))))
	start := h.End.Add(-h.Span)
	if len(r.Commits) == 0 {
		r.AddCommit("initial commit", start.Add(-time.Hour))
	}
	people := []User{Person("alice"), Person("bob"), Person("carol"), Person("dave"), Person("erin")}
	labels := []string{"feature", "bug", "hotfix", "docs", "refactor"}
	type merge struct {
		pr *PullRequest
		at time.Time
	}
	var merges []merge
	step := h.Span / time.Duration(max(1, h.PRs+1))
	for i := range h.PRs {
		created := start.Add(time.Duration(i+1) * step).Truncate(time.Second)
		author := people[rng.IntN(len(people))]
		title := fmt.Sprintf("Change number %d", i+1)
		if rng.IntN(10) == 0 {
			author, title = Bot("dependabot"), fmt.Sprintf("Bump lib%d from 1.%d to 1.%d", i, i, i+1)
		}
		pr := r.AddPR(title, author, created)
		pr.Additions, pr.Deletions, pr.ChangedFiles = 1+rng.IntN(400), rng.IntN(200), 1+rng.IntN(20)
		if rng.IntN(3) == 0 {
			pr.Labels = []string{labels[rng.IntN(len(labels))]}
		}
		pr.Commits = nil
		for c := range 1 + rng.IntN(3) {
			at := created.Add(-time.Duration(1+rng.IntN(48)) * time.Hour).Add(time.Duration(c) * time.Minute)
			pr.Commits = append(pr.Commits, Commit{SHA: SHA(fmt.Sprintf("%s#pr%d#%d", r.FullName(), pr.Number, c)), Message: title, Author: author, AuthoredAt: at, CommittedAt: at})
		}
		ready := created
		if !author.Bot && rng.IntN(10) == 0 {
			ready = created.Add(time.Duration(1+rng.IntN(24)) * time.Hour)
			pr.Timeline = append(pr.Timeline, TimelineEvent{Type: ReadyForReview, At: ready, Actor: author})
			pr.UpdatedAt = later(pr.UpdatedAt, ready)
		}
		if !author.Bot {
			t := ready.Add(time.Duration(10+rng.IntN(600)) * time.Minute)
			if rng.IntN(5) == 0 {
				r.Review(pr, Bot("copilot-pull-request-reviewer"), "COMMENTED", t.Add(-5*time.Minute))
			}
			reviewer := people[(rng.IntN(len(people)-1)+1+indexOf(people, author))%len(people)]
			state := "APPROVED"
			if rng.IntN(4) == 0 {
				state = "CHANGES_REQUESTED"
				r.Review(pr, reviewer, state, t)
				t = t.Add(time.Duration(1+rng.IntN(12)) * time.Hour)
				state = "APPROVED"
			}
			r.Review(pr, reviewer, state, t)
		}
		switch n := rng.IntN(10); {
		case n < 8:
			merges = append(merges, merge{pr, pr.UpdatedAt.Add(time.Duration(5+rng.IntN(240)) * time.Minute)})
		case n == 8:
			r.Close(pr, pr.UpdatedAt.Add(24*time.Hour))
		default:
			if rng.IntN(2) == 0 && len(pr.Timeline) == 0 && !author.Bot {
				pr.Draft = true
				pr.Reviews = nil
			}
		}
	}
	r.generateFiles(h, r.PullRequests[len(r.PullRequests)-h.PRs:])
	// Merge in time order, so the default branch's history is linear in time.
	sort.SliceStable(merges, func(i, j int) bool { return merges[i].at.Before(merges[j].at) })
	mergeRNG := rand.New(rand.NewPCG(h.Seed, 7)) // its own: the rest of the history is as without merge commits
	for _, m := range merges {
		at := m.at
		if at.After(h.End) {
			at = h.End
		}
		if h.MergeCommits > 0 && mergeRNG.IntN(100) < h.MergeCommits {
			r.MergeWithCommit(m.pr, at)
		} else {
			r.Merge(m.pr, at)
		}
	}

	shaAt := func(t time.Time) string {
		sha := r.Commits[0].SHA
		for _, c := range r.Commits {
			if c.AuthoredAt.After(t) {
				break
			}
			sha = c.SHA
		}
		return sha
	}
	depStep := h.Span / time.Duration(max(1, h.Deployments+1))
	for i := range h.Deployments {
		at := start.Add(time.Duration(i+1) * depStep).Truncate(time.Second)
		outcome := "success"
		if rng.IntN(10) == 0 {
			outcome = "failure"
		}
		d := r.Deploy(shaAt(at), "production", at, "in_progress")
		r.AddStatus(d, outcome, at.Add(time.Duration(2+rng.IntN(10))*time.Minute))
		if i < h.Incidents {
			is := r.AddIssue(fmt.Sprintf("Incident after deployment %d", i+1), at.Add(time.Hour), "incident")
			is.ClosedAt = is.CreatedAt.Add(time.Duration(1+rng.IntN(12)) * time.Hour)
			is.UpdatedAt = is.ClosedAt
		}
	}
	for i := h.Deployments; i < h.Incidents; i++ {
		at := start.Add(time.Duration(i+1) * h.Span / time.Duration(h.Incidents+1))
		r.AddIssue(fmt.Sprintf("Incident %d", i+1), at, "incident")
	}
	for i := range h.Issues {
		at := start.Add(time.Duration(i+1) * h.Span / time.Duration(h.Issues+1))
		r.AddIssue(fmt.Sprintf("Issue %d", i+1), at, "bug")
	}
	runStep := h.Span / time.Duration(max(1, h.Runs+1))
	for i := range h.Runs {
		at := start.Add(time.Duration(i+1) * runStep).Truncate(time.Second)
		conclusion := []string{"success", "success", "success", "failure", "cancelled"}[rng.IntN(5)]
		r.AddRun("CI", "ci.yml", r.DefaultBranch, shaAt(at), at, conclusion, at.Add(time.Duration(1+rng.IntN(30))*time.Minute))
	}
}

func indexOf(people []User, u User) int {
	for i, p := range people {
		if p.Login == u.Login {
			return i
		}
	}
	return 0
}
