package gitlabtest

import (
	"cmp"
	"crypto/sha1"
	"fmt"
	"slices"
	"time"
)

// SHA is a deterministic 40-hex commit sha for a name.
func SHA(name string) string {
	return fmt.Sprintf("%x", sha1.Sum([]byte(name)))
}

// GenOptions shape generated merge requests.
type GenOptions struct {
	// Start is the first MR's creation; Every the time between two MRs
	// (1h when zero).
	Start time.Time
	Every time.Duration
	// Prefix makes shas and titles unique across calls.
	Prefix string
}

// GenerateMergeRequests makes n merge requests, deterministic for the same
// options, with what real ones have: most merged (a third squashed), some
// closed or open; one in five opened as a draft and marked ready; one in
// ten by a bot; two commits, a review comment and an approval by another
// person, a comment by the author; sizes that vary.
func GenerateMergeRequests(n int, o GenOptions) []*MergeRequest {
	every := o.Every
	if every <= 0 {
		every = time.Hour
	}
	devs := []string{"alice", "bob", "carol", "dave", "erin", "frank", "grace"}
	out := make([]*MergeRequest, n)
	for i := range n {
		created := o.Start.Add(time.Duration(i) * every)
		name := fmt.Sprintf("%s-mr-%d", o.Prefix, i)
		author := User{Username: devs[i%len(devs)]}
		if i%10 == 9 {
			author = User{Username: "renovate-bot", Bot: true}
		}
		reviewer := User{Username: devs[(i+1)%len(devs)]}
		m := &MergeRequest{
			Title:        fmt.Sprintf("Change %s", name),
			Author:       author,
			CreatedAt:    created,
			SourceBranch: "feature/" + name,
			SHA:          SHA(name + "-head"),
			Additions:    10 + i%97,
			Deletions:    i % 31,
			Files:        1 + i%7,
			Commits: []Commit{
				{SHA: SHA(name + "-c1"), Title: "start", AuthoredAt: created.Add(-3 * time.Hour), Author: author.Username},
				{SHA: SHA(name + "-c2"), Title: "finish", AuthoredAt: created.Add(-time.Hour), Author: author.Username},
			},
		}
		if i%4 == 0 {
			m.Labels = []string{"backend"}
		}
		at := created
		if i%5 == 0 {
			// Opened as a draft, marked ready 20 minutes later (draft is the
			// current state, so false now).
			at = created.Add(20 * time.Minute)
			m.Notes = append(m.Notes, &Note{Body: NoteReady, System: true, Author: author, CreatedAt: at})
		}
		m.Notes = append(m.Notes,
			&Note{Body: "Looks good, one question.", Author: reviewer, CreatedAt: at.Add(30 * time.Minute)},
			&Note{Body: "Answered.", Author: author, CreatedAt: at.Add(40 * time.Minute)},
			&Note{Body: NoteApproved, System: true, Author: reviewer, CreatedAt: at.Add(time.Hour)},
		)
		switch {
		case i%10 == 7:
			m.State, m.ClosedAt, m.UpdatedAt = "closed", at.Add(2*time.Hour), at.Add(2*time.Hour)
		case i%10 == 8:
			m.State, m.UpdatedAt = "opened", at.Add(time.Hour)
		default:
			m.State = "merged"
			m.MergedAt = at.Add(2*time.Hour + time.Duration(i%5)*time.Hour)
			m.UpdatedAt = m.MergedAt
			m.MergeCommitSHA = SHA(name + "-merge")
			if i%3 == 0 {
				m.Squash, m.SquashCommitSHA = true, SHA(name+"-squash")
			}
		}
		out[i] = m
	}
	return out
}

// GenerateProject makes a project with a history ending at end: n merge
// requests (GenerateMergeRequests), a production deployment and a
// pipeline on the default branch for each merge (one in five failed),
// and six issues: incidents by label and by type, and a plain one.
func GenerateProject(path string, n int, end time.Time) *Project {
	start := end.Add(-time.Duration(n)*7*time.Hour - 10*24*time.Hour)
	p := &Project{Path: path, MergeRequests: GenerateMergeRequests(n, GenOptions{Start: start, Every: 7 * time.Hour, Prefix: path})}
	p.History, p.Branches = mergedHistory(p, start)
	for i, c := range p.History[1:] {
		status := "success"
		if i%5 == 3 {
			status = "failed"
		}
		at := c.AuthoredAt.Add(time.Hour)
		p.Deployments = append(p.Deployments, &Deployment{Environment: "production", Status: status, SHA: c.SHA, User: "alice",
			CreatedAt: at, FinishedAt: at.Add(10 * time.Minute)})
		p.Pipelines = append(p.Pipelines, &Pipeline{Status: status, Ref: "main", SHA: c.SHA, Source: "push", User: "alice",
			CreatedAt: at.Add(-30 * time.Minute), StartedAt: at.Add(-29 * time.Minute), FinishedAt: at.Add(-20 * time.Minute)})
	}
	for i := range 6 {
		at := start.Add(time.Duration(i*5+2) * 24 * time.Hour)
		is := &Issue{Title: fmt.Sprint("Issue ", i), Author: "carol", CreatedAt: at}
		switch i % 3 {
		case 0:
			is.Labels = []string{"incident"}
			is.ClosedAt = at.Add(2 * time.Hour)
		case 1:
			is.Type = "incident"
		default:
			is.Labels = []string{"docs"}
		}
		p.Issues = append(p.Issues, is)
	}
	return p
}

// mergedHistory is the commit graph the project's merged MRs make: the
// default branch's first-parent line (a base commit before start, then
// each MR's merge commit, oldest first), and the branches the merges bring
// in: each MR's commits, or its squash commit when squashed, branched off
// the line where it stood when the MR's first commit was made.
func mergedHistory(p *Project, start time.Time) (line, branches []Commit) {
	var merged []*MergeRequest
	for _, m := range p.MergeRequests {
		if m.State == "merged" {
			merged = append(merged, m)
		}
	}
	slices.SortStableFunc(merged, func(a, b *MergeRequest) int { return a.MergedAt.Compare(b.MergedAt) })
	line = []Commit{{SHA: SHA(p.Path + "-base"), AuthoredAt: start.Add(-time.Hour)}}
	lineAt := func(t time.Time) string {
		i, _ := slices.BinarySearchFunc(line, t, func(c Commit, t time.Time) int { return c.AuthoredAt.Compare(t) })
		return line[max(0, i-1)].SHA
	}
	for _, m := range merged {
		prev := line[len(line)-1].SHA
		sha := cmp.Or(m.MergeCommitSHA, m.SquashCommitSHA)
		if m.MergeCommitSHA == "" { // fast-forward: the squash commit on the line
			line = append(line, Commit{SHA: sha, Title: m.Title, AuthoredAt: m.MergedAt, Parents: []string{prev}})
			continue
		}
		var side []Commit
		if m.SquashCommitSHA != "" {
			side = []Commit{{SHA: m.SquashCommitSHA, Title: m.Title, AuthoredAt: m.MergedAt.Add(-time.Minute)}}
		} else {
			side = slices.Clone(m.Commits)
			slices.SortStableFunc(side, func(a, b Commit) int { return a.AuthoredAt.Compare(b.AuthoredAt) })
		}
		head := ""
		for i := range side {
			if i == 0 {
				side[i].Parents = []string{lineAt(side[i].AuthoredAt)}
			} else {
				side[i].Parents = []string{side[i-1].SHA}
			}
			head = side[i].SHA
		}
		branches = append(branches, side...)
		parents := []string{prev}
		if head != "" {
			parents = append(parents, head)
		}
		line = append(line, Commit{SHA: sha, Title: "Merge branch '" + m.SourceBranch + "' into 'main'", AuthoredAt: m.MergedAt, Parents: parents})
	}
	return line, branches
}

// History describes a generated project for benchmarks and volume tests.
type History struct {
	// MergeRequests are made by GenerateMergeRequests, spread over the
	// span: most merged (a third of those squashed), some closed or open.
	MergeRequests int
	// Deployments to production, spread over the span, each of the
	// default branch's head then; one in ten failed.
	Deployments int
	// Pipelines spread over the span: two in three on the default branch
	// (at its head then), the others on merge request branches; one in six
	// failed, one in twenty canceled, the newest still running. Each has a
	// test job, and one on the default branch a deploy-prod job after it.
	Pipelines int
	// Incidents are issues of type incident, each resolved two hours later.
	Incidents int
	// End is the newest activity; Span how far back the history goes.
	End  time.Time
	Span time.Duration
}

// GenerateHistory makes a project with a history as h describes,
// deterministic for the same path and h.
func GenerateHistory(path string, h History) *Project {
	start := h.End.Add(-h.Span)
	every := h.Span / time.Duration(max(1, h.MergeRequests))
	p := &Project{Path: path, MergeRequests: GenerateMergeRequests(h.MergeRequests, GenOptions{Start: start, Every: every, Prefix: path})}
	p.History, p.Branches = mergedHistory(p, start)
	headAt := func(t time.Time) string {
		i, _ := slices.BinarySearchFunc(p.History, t, func(c Commit, t time.Time) int { return c.AuthoredAt.Compare(t) })
		return p.History[max(0, i-1)].SHA
	}
	spread := func(i, n int) time.Time {
		return start.Add(h.Span / time.Duration(n+1) * time.Duration(i+1)).Truncate(time.Second)
	}
	for i := range h.Deployments {
		at := spread(i, h.Deployments)
		status := "success"
		if i%10 == 9 {
			status = "failed"
		}
		p.Deployments = append(p.Deployments, &Deployment{Environment: "production", Status: status, SHA: headAt(at), User: "alice",
			CreatedAt: at, FinishedAt: at.Add(10 * time.Minute)})
	}
	for i := range h.Pipelines {
		at := spread(i, h.Pipelines)
		pl := &Pipeline{Status: "success", Ref: "main", SHA: headAt(at), Source: "push", User: "bob",
			CreatedAt: at, StartedAt: at.Add(time.Minute), FinishedAt: at.Add(9 * time.Minute)}
		switch {
		case i == h.Pipelines-1:
			pl.Status, pl.FinishedAt, pl.UpdatedAt = "running", time.Time{}, pl.StartedAt
		case i%6 == 5:
			pl.Status = "failed"
		case i%20 == 19:
			pl.Status = "canceled"
		}
		if i%3 == 2 {
			pl.Ref, pl.SHA, pl.Source = fmt.Sprintf("feature/%s-%d", path, i), SHA(fmt.Sprintf("%s-branch-%d", path, i)), "merge_request_event"
		}
		pl.Jobs = []*Job{{Name: "test", Stage: "test", Status: pl.Status, CreatedAt: at, StartedAt: pl.StartedAt, FinishedAt: pl.FinishedAt}}
		if pl.Ref == "main" && pl.Status == "success" {
			pl.Jobs[0].FinishedAt = at.Add(5 * time.Minute)
			pl.Jobs = append(pl.Jobs, &Job{Name: "deploy-prod", Stage: "deploy", Status: "success",
				CreatedAt: at, StartedAt: at.Add(5 * time.Minute), FinishedAt: pl.FinishedAt})
		}
		p.Pipelines = append(p.Pipelines, pl)
	}
	for i := range h.Incidents {
		at := spread(i, h.Incidents).Add(30 * time.Minute)
		p.Issues = append(p.Issues, &Issue{Title: fmt.Sprint("Incident ", i+1), Type: "incident", Author: "carol",
			CreatedAt: at, ClosedAt: at.Add(2 * time.Hour)})
	}
	return p
}
