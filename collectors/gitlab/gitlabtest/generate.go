package gitlabtest

import (
	"crypto/sha1"
	"fmt"
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
	p.History = []Commit{{SHA: SHA(path + "-base"), AuthoredAt: start.Add(-time.Hour)}}
	for _, m := range p.MergeRequests {
		if m.State != "merged" {
			continue
		}
		sha := m.MergeCommitSHA
		if m.SquashCommitSHA != "" {
			sha = m.SquashCommitSHA
		}
		p.History = append(p.History, Commit{SHA: sha, AuthoredAt: m.MergedAt})
	}
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
