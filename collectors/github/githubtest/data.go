package githubtest

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// The dataset a Server answers from. Tests build it with Server.AddRepo and
// the helpers below, and change it between syncs inside Server.Edit (the
// server reads it from its own goroutines).

// User is an account: a person or, with Bot set, a GitHub App. Login is
// spelled as the REST API spells it ("dependabot[bot]" for a bot); the
// GraphQL API gives a bot's login without the "[bot]" suffix, as GitHub does.
type User struct {
	Login string
	ID    int64
	Bot   bool
}

// Person returns a user account.
func Person(login string) User { return User{Login: login, ID: idOf(login)} }

// Bot returns a bot account; "[bot]" is added to login when missing.
func Bot(login string) User {
	if !strings.HasSuffix(login, "[bot]") {
		login += "[bot]"
	}
	return User{Login: login, ID: idOf(login), Bot: true}
}

func (u User) graphQLLogin() string {
	if u.Bot {
		return strings.TrimSuffix(u.Login, "[bot]")
	}
	return u.Login
}

func idOf(s string) int64 {
	h := sha1.Sum([]byte(s))
	return int64(h[0])<<24 | int64(h[1])<<16 | int64(h[2])<<8 | int64(h[3]) + 1000
}

// Repo is a repository and everything in it.
type Repo struct {
	Owner, Name   string
	ID            int64
	DefaultBranch string
	CreatedAt     time.Time
	Archived      bool
	Fork          bool
	Topics        []string
	// IssuesDisabled makes the issues endpoint answer 410 Gone.
	IssuesDisabled bool

	// Commits is the default branch's first-parent line, oldest first: each
	// commit's first parent is the one before it. Merging a pull request
	// appends its merge commit (Merge: a squash commit; MergeWithCommit: a
	// merge commit whose second parent is the pull request's last commit).
	Commits []Commit
	// Side are the commits off that line: the pull request commits a merge
	// commit brings in, release and hotfix branches. Each names its parents.
	// Compare and GraphQL's Commit.history answer from Commits and Side
	// together, as one commit graph (append to them; do not reorder).
	Side         []Commit
	PullRequests []*PullRequest
	Deployments  []*Deployment
	Runs         []*WorkflowRun
	Releases     []*Release
	Issues       []*Issue
	// Files are files of the default branch by path, for the contents
	// endpoint (a CODEOWNERS file).
	Files map[string]string

	srv     *Server
	prOrder *prOrder     // the pull requests in query order, kept between requests
	graph   *commitGraph // Commits and Side indexed, kept between requests
}

// FullName is owner/name.
func (r *Repo) FullName() string { return r.Owner + "/" + r.Name }

// Commit is a commit.
type Commit struct {
	SHA        string
	Message    string
	Author     User
	AuthoredAt time.Time
	// CommittedAt defaults to AuthoredAt.
	CommittedAt time.Time
	// Parents are the commit's parents, the first parent first. On a commit
	// of Repo.Commits, nil means the commit before it (none for the first).
	Parents []string
}

// PullRequest is a pull request. State is derived: merged when MergedAt is
// set, closed when ClosedAt is set, open otherwise.
type PullRequest struct {
	Number       int
	ID           int64
	Title        string
	Author       User
	Draft        bool
	BaseRef      string // default: the repo's default branch
	HeadRef      string
	Labels       []string
	CreatedAt    time.Time
	UpdatedAt    time.Time
	ClosedAt     time.Time
	MergedAt     time.Time
	MergeCommit  string // merge_commit_sha / mergeCommit.oid (the squash commit of a squash merge)
	Additions    int
	Deletions    int
	ChangedFiles int
	// Files are the changed files (SetFiles keeps the totals in step);
	// when nil, ChangedFiles files share the totals' lines.
	Files []File
	// Commits are the pull request's own commits, in branch order.
	Commits  []Commit
	Reviews  []Review
	Timeline []TimelineEvent
}

// State is open, closed or merged.
func (p *PullRequest) State() string {
	switch {
	case !p.MergedAt.IsZero():
		return "merged"
	case !p.ClosedAt.IsZero():
		return "closed"
	}
	return "open"
}

// Review is a submitted review. State is GitHub's: APPROVED,
// CHANGES_REQUESTED, COMMENTED, DISMISSED (or PENDING, never submitted).
type Review struct {
	ID          int64
	Author      User
	State       string
	SubmittedAt time.Time
}

// Timeline event types a pull request can carry.
const (
	ReadyForReview = "READY_FOR_REVIEW_EVENT"
	ConvertToDraft = "CONVERT_TO_DRAFT_EVENT"
)

// TimelineEvent is a draft / ready-for-review toggle.
type TimelineEvent struct {
	Type  string // ReadyForReview or ConvertToDraft
	At    time.Time
	Actor User
}

// Deployment is a deployment and its statuses (oldest first).
type Deployment struct {
	ID          int64
	SHA         string
	Ref         string
	Task        string
	Environment string
	Creator     User
	CreatedAt   time.Time
	UpdatedAt   time.Time
	Statuses    []DeploymentStatus
}

// DeploymentStatus is one status of a deployment. State is lower case, as
// REST gives it: queued, pending, in_progress, waiting, success, failure,
// error, inactive.
type DeploymentStatus struct {
	ID        int64
	State     string
	CreatedAt time.Time
}

// WorkflowRun is a GitHub Actions workflow run.
type WorkflowRun struct {
	ID           int64
	Name         string // the workflow's name
	Path         string // .github/workflows/deploy.yml
	WorkflowID   int64
	HeadBranch   string
	HeadSHA      string
	Event        string
	Status       string // queued, in_progress, completed, ...
	Conclusion   string // success, failure, cancelled, skipped, ... ("" until completed)
	RunNumber    int
	RunAttempt   int
	Actor        User
	CreatedAt    time.Time
	UpdatedAt    time.Time
	RunStartedAt time.Time
	// Attempts are the run's earlier attempts, oldest first, as they
	// ended (Rerun keeps them; GET .../runs/{id}/attempts/{n} answers them).
	Attempts []WorkflowRun
}

// Release is a release.
type Release struct {
	ID          int64
	TagName     string
	Name        string
	TagSHA      string // the commit the tag points to
	Draft       bool
	Prerelease  bool
	Author      User
	CreatedAt   time.Time
	PublishedAt time.Time // zero for a draft
	UpdatedAt   time.Time
}

// Issue is an issue (not a pull request: pull requests appear in the REST
// issues list on their own, from PullRequests).
type Issue struct {
	Number    int
	ID        int64
	Title     string
	Author    User
	Labels    []string
	CreatedAt time.Time
	UpdatedAt time.Time
	ClosedAt  time.Time // zero while open
}

// State is open or closed.
func (i *Issue) State() string {
	if i.ClosedAt.IsZero() {
		return "open"
	}
	return "closed"
}

// ---- Building a history. Call these before the server is used, or inside
// Server.Edit. ----

// SHA returns a deterministic commit sha for seed.
func SHA(seed string) string {
	h := sha1.Sum([]byte(seed))
	return hex.EncodeToString(h[:])
}

// AddCommit appends a commit to the default branch and returns its sha.
func (r *Repo) AddCommit(message string, at time.Time) string {
	sha := SHA(fmt.Sprintf("%s#%d#%s", r.FullName(), len(r.Commits), message))
	r.Commits = append(r.Commits, Commit{SHA: sha, Message: message, Author: Person("dev"), AuthoredAt: at, CommittedAt: at})
	return sha
}

// nextNumber is the next issue / pull request number (they share one
// sequence, as on GitHub).
func (r *Repo) nextNumber() int {
	n := 0
	for _, p := range r.PullRequests {
		n = max(n, p.Number)
	}
	for _, i := range r.Issues {
		n = max(n, i.Number)
	}
	return n + 1
}

// AddPR adds an open pull request created at created by author, with one
// commit authored at created, and returns it. Set its other fields directly.
func (r *Repo) AddPR(title string, author User, created time.Time) *PullRequest {
	n := r.nextNumber()
	pr := &PullRequest{
		Number: n, ID: r.srv.nextID(), Title: title, Author: author,
		BaseRef: r.DefaultBranch, HeadRef: fmt.Sprintf("feature-%d", n),
		CreatedAt: created, UpdatedAt: created,
		Additions: 10, Deletions: 2, ChangedFiles: 1,
		Commits: []Commit{{SHA: SHA(fmt.Sprintf("%s#pr%d#1", r.FullName(), n)), Message: title, Author: author, AuthoredAt: created, CommittedAt: created}},
	}
	r.PullRequests = append(r.PullRequests, pr)
	return pr
}

// Review adds a review of pr submitted at at and moves its updated time.
func (r *Repo) Review(pr *PullRequest, reviewer User, state string, at time.Time) {
	pr.Reviews = append(pr.Reviews, Review{ID: r.srv.nextID(), Author: reviewer, State: state, SubmittedAt: at})
	pr.UpdatedAt = later(pr.UpdatedAt, at)
}

// Merge merges pr into the default branch at at: its merge commit (the
// squash commit of a squash merge: one commit, the pull request's title) is
// appended to Commits.
func (r *Repo) Merge(pr *PullRequest, at time.Time) string {
	sha := r.AddCommit(fmt.Sprintf("%s (#%d)", pr.Title, pr.Number), at)
	pr.MergeCommit, pr.MergedAt, pr.ClosedAt = sha, at, at
	pr.UpdatedAt = later(pr.UpdatedAt, at)
	pr.Draft = false
	return sha
}

// MergeWithCommit merges pr into the default branch at at with a merge
// commit, as GitHub's "Create a merge commit" does: the pull request's
// commits join the graph on a side line that starts from the default
// branch's tip at the pull request's creation, and the merge commit —
// parents: the branch's tip, then the pull request's last commit — is
// appended to Commits and is the pull request's merge commit.
func (r *Repo) MergeWithCommit(pr *PullRequest, at time.Time) string {
	base := ""
	for _, c := range r.Commits {
		if c.committed().After(pr.CreatedAt) {
			break
		}
		base = c.SHA
	}
	if base == "" && len(r.Commits) > 0 {
		base = r.Commits[0].SHA
	}
	head := base
	for _, c := range pr.Commits {
		c.Parents = []string{head}
		if c.CommittedAt.IsZero() {
			c.CommittedAt = c.AuthoredAt
		}
		r.Side = append(r.Side, c)
		head = c.SHA
	}
	sha := SHA(fmt.Sprintf("%s#%d#merge #%d", r.FullName(), len(r.Commits), pr.Number))
	tip := ""
	if len(r.Commits) > 0 {
		tip = r.Commits[len(r.Commits)-1].SHA
	}
	parents := []string{tip}
	if head != tip {
		parents = append(parents, head)
	}
	r.Commits = append(r.Commits, Commit{SHA: sha, Message: fmt.Sprintf("Merge pull request #%d from %s", pr.Number, pr.HeadRef),
		Author: pr.Author, AuthoredAt: at, CommittedAt: at, Parents: parents})
	pr.MergeCommit, pr.MergedAt, pr.ClosedAt = sha, at, at
	pr.UpdatedAt = later(pr.UpdatedAt, at)
	pr.Draft = false
	return sha
}

// AddSideCommit adds a commit off the default branch's first-parent line
// (a release or hotfix branch, a branch merged later) with the given
// parents, and returns its sha.
func (r *Repo) AddSideCommit(message string, at time.Time, parents ...string) string {
	sha := SHA(fmt.Sprintf("%s#side%d#%s", r.FullName(), len(r.Side), message))
	r.Side = append(r.Side, Commit{SHA: sha, Message: message, Author: Person("dev"), AuthoredAt: at, CommittedAt: at, Parents: parents})
	return sha
}

// Close closes pr without merging it.
func (r *Repo) Close(pr *PullRequest, at time.Time) {
	pr.ClosedAt = at
	pr.UpdatedAt = later(pr.UpdatedAt, at)
}

// Deploy adds a deployment of sha to environment created at at, with the
// given statuses ("success", "failure", ... ), one second apart after at.
func (r *Repo) Deploy(sha, environment string, at time.Time, states ...string) *Deployment {
	d := &Deployment{ID: r.srv.nextID(), SHA: sha, Ref: r.DefaultBranch, Task: "deploy", Environment: environment,
		Creator: Person("deployer"), CreatedAt: at, UpdatedAt: at}
	for i, s := range states {
		r.AddStatus(d, s, at.Add(time.Duration(i+1)*time.Second))
	}
	r.Deployments = append(r.Deployments, d)
	return d
}

// AddStatus adds a status to a deployment.
func (r *Repo) AddStatus(d *Deployment, state string, at time.Time) {
	d.Statuses = append(d.Statuses, DeploymentStatus{ID: r.srv.nextID(), State: state, CreatedAt: at})
	d.UpdatedAt = later(d.UpdatedAt, at)
}

// AddRun adds a workflow run of the workflow named name (file file, such as
// "ci.yml") on branch at sha, created at created. A non-empty conclusion
// completes it at finished (its updated_at).
func (r *Repo) AddRun(name, file, branch, sha string, created time.Time, conclusion string, finished time.Time) *WorkflowRun {
	run := &WorkflowRun{ID: r.srv.nextID(), Name: name, Path: ".github/workflows/" + file, WorkflowID: idOf(r.FullName() + file),
		HeadBranch: branch, HeadSHA: sha, Event: "push", Status: "in_progress", RunNumber: len(r.Runs) + 1, RunAttempt: 1,
		Actor: Person("dev"), CreatedAt: created, UpdatedAt: created, RunStartedAt: created.Add(5 * time.Second)}
	if conclusion != "" {
		run.Status, run.Conclusion, run.UpdatedAt = "completed", conclusion, finished
	}
	r.Runs = append(r.Runs, run)
	return run
}

// Rerun starts the next attempt of a completed run at at, as GitHub's
// re-run does: the run keeps its id, number and created_at; run_attempt
// goes up, run_started_at moves to at, the conclusion clears; the attempt
// before is kept in Attempts. A non-empty conclusion completes the new
// attempt at finished.
func (r *Repo) Rerun(run *WorkflowRun, at time.Time, conclusion string, finished time.Time) {
	prev := *run
	prev.Attempts = nil
	run.Attempts = append(run.Attempts, prev)
	run.RunAttempt++
	run.Status, run.Conclusion, run.RunStartedAt, run.UpdatedAt = "queued", "", at, at
	if conclusion != "" {
		run.Status, run.Conclusion, run.UpdatedAt = "completed", conclusion, finished
	}
}

// AddRelease adds a published release of tag pointing at sha.
func (r *Repo) AddRelease(tag, sha string, created, published time.Time) *Release {
	rel := &Release{ID: r.srv.nextID(), TagName: tag, Name: tag, TagSHA: sha, Author: Person("releaser"),
		CreatedAt: created, PublishedAt: published, UpdatedAt: later(created, published)}
	r.Releases = append(r.Releases, rel)
	return rel
}

// AddIssue adds an open issue with labels created at at.
func (r *Repo) AddIssue(title string, at time.Time, labels ...string) *Issue {
	is := &Issue{Number: r.nextNumber(), ID: r.srv.nextID(), Title: title, Author: Person("reporter"), Labels: labels, CreatedAt: at, UpdatedAt: at}
	r.Issues = append(r.Issues, is)
	return is
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
