package gitlabtest

import "time"

// Project is a GitLab project of the fake, with everything it serves.
// Tests build it, then change it between syncs inside Server.Edit.
type Project struct {
	ID            int64  // assigned by AddProject when 0
	Path          string // full path: group/subgroup/name
	DefaultBranch string // main when empty
	Archived      bool
	CreatedAt     time.Time

	MergeRequests []*MergeRequest
	Deployments   []*Deployment
	Environments  []*Environment // created from deployments when missing
	Pipelines     []*Pipeline
	Issues        []*Issue
	Releases      []*Release
	// History is the default branch's first-parent line, oldest first:
	// its last commit is the branch's head. A commit without Parents has
	// the one before it as its only parent.
	History []Commit
	// Branches are the commits off that line: those of the branches its
	// merges bring in (a merge's second parent and what it reaches), and
	// of release branches; each names its Parents. Compare and the
	// commits list answer from the graph History and Branches make.
	Branches []Commit
	// Files are files of the default branch by path (a CODEOWNERS file),
	// for the repository files API.
	Files map[string]string
}

// User is an author.
type User struct {
	Username string
	Bot      bool // GraphQL's UserCore.bot (project access token users, GitLab's bots)
}

// MergeRequest is a merge request.
type MergeRequest struct {
	ID              int64 // global id; assigned when 0
	IID             int64 // assigned when 0
	Title           string
	State           string // opened, merged, closed
	Draft           bool
	Author          User
	Labels          []string
	CreatedAt       time.Time
	UpdatedAt       time.Time
	MergedAt        time.Time
	ClosedAt        time.Time
	TargetBranch    string // the project's default branch when empty
	SourceBranch    string
	SHA             string // head commit
	MergeCommitSHA  string
	SquashCommitSHA string
	Squash          bool
	Additions       int
	Deletions       int
	Files           int
	// Diffs are the changed files (SetDiffs keeps the totals in step);
	// when nil, Files files share the totals' lines.
	Diffs   []FileDiff
	Commits []Commit // any order; served newest first as GitLab does
	Notes   []*Note
}

// FileDiff is a changed file of a merge request, as REST's diffs
// (old_path, new_path, renamed_file, …) and GraphQL's diffStats (path,
// the new one) show it.
type FileDiff struct {
	Path      string
	OldPath   string // a rename's old path ("" otherwise)
	New       bool
	Deleted   bool
	Additions int
	Deletions int
}

// SetDiffs gives m these files, and the totals GitLab derives from them.
func (m *MergeRequest) SetDiffs(diffs ...FileDiff) {
	m.Diffs = diffs
	m.Files, m.Additions, m.Deletions = len(diffs), 0, 0
	for _, d := range diffs {
		m.Additions += d.Additions
		m.Deletions += d.Deletions
	}
}

// Commit is a commit.
type Commit struct {
	SHA        string
	Title      string
	AuthoredAt time.Time // also its committed date
	Author     string
	Parents    []string // the first parent first (see Project.History)
}

// Note is a comment or a system note on a merge request.
type Note struct {
	ID        int64 // assigned when 0
	Body      string
	System    bool
	Author    User
	CreatedAt time.Time
}

// System note bodies GitLab writes.
const (
	NoteApproved         = "approved this merge request"
	NoteUnapproved       = "unapproved this merge request"
	NoteReady            = "marked this merge request as **ready**"
	NoteDraft            = "marked this merge request as **draft**"
	NoteRequestedChanges = "requested changes"
)

// Deployment is a deployment to an environment.
type Deployment struct {
	ID          int64 // assigned when 0
	IID         int64 // assigned when 0
	Environment string
	Status      string // created, running, success, failed, canceled, skipped, blocked
	SHA         string
	Ref         string
	User        string
	CreatedAt   time.Time
	UpdatedAt   time.Time
	// FinishedAt is the deploying job's end; with NoJob the deployment was
	// made through the API and has no deployable.
	FinishedAt time.Time
	JobName    string
	NoJob      bool
}

// Environment is an environment and its tier.
type Environment struct {
	ID   int64
	Name string
	Tier string // production, staging, testing, development, other
}

// Pipeline is a CI pipeline.
type Pipeline struct {
	ID         int64 // assigned when 0
	IID        int64
	Status     string // created, pending, running, success, failed, canceled, skipped, manual
	Source     string // push, merge_request_event, schedule, web, api, ...
	Ref        string
	SHA        string
	Name       string
	Tag        bool
	User       string
	CreatedAt  time.Time
	UpdatedAt  time.Time
	StartedAt  time.Time
	FinishedAt time.Time
	Jobs       []*Job
}

// Job is a job of a pipeline.
type Job struct {
	ID         int64 // assigned when 0
	Name       string
	Stage      string
	Status     string
	CreatedAt  time.Time
	StartedAt  time.Time
	FinishedAt time.Time
	// Retried marks an attempt that was run again: GitLab lists it only
	// when asked (include_retried, GraphQL's retried).
	Retried bool
}

// Issue is an issue or an incident.
type Issue struct {
	ID        int64 // assigned when 0
	IID       int64 // assigned when 0
	Title     string
	Type      string // issue (default) or incident
	Labels    []string
	State     string // opened or closed (closed when ClosedAt is set)
	Author    string
	CreatedAt time.Time
	UpdatedAt time.Time
	ClosedAt  time.Time
}

// Release is a release of a tag.
type Release struct {
	TagName    string
	Name       string
	SHA        string
	Author     string
	CreatedAt  time.Time
	ReleasedAt time.Time
}
