// Package metrics holds the DORA rules: the rows tach reads (changes,
// deployments, incidents, CI runs), the rules of docs/metrics.md that
// annotate them, and every measure of a Report computed from them. Pure and
// without I/O: package metrics/engine loads the rows from the store and
// keeps what this package derives. A zero time.Time means "absent"
// throughout (never merged, never reviewed...).
//
// The work happens in two steps:
//
//  1. Derive, per repository over its whole synced history: which production
//     deployment shipped each change, which deployment each incident belongs
//     to, which deployments failed or were rollbacks or rework, when each
//     failed deployment recovered, and each change's first review.
//  2. Per scope and window, the DORA keys and the other measures, computed
//     once: from facts (FactsOf reduces annotated rows to the few figures a
//     report reads; an Aggregate, or ComputeFacts, makes the report of a
//     window, WeeklyFacts of its weeks). The row functions (LeadTimeRows,
//     ProductionDeployments, ...) list the rows behind each figure for the
//     pages; the tests hold the facts to a reference computed from those
//     rows (reference_test.go).
//
// It imports only metrics/stats. The other packages of metrics build on it:
// impact (decision impact), review (the weekly review), render (text and
// Markdown) and engine (the store's side).
package metrics

import (
	"regexp"
	"time"
)

// Change is a pull request (GitHub) or merge request (GitLab).
type Change struct {
	ID          int64
	RepoID      int64
	Number      int64
	Title       string
	Author      string
	AuthorIsBot bool   // as the provider says (a GitHub Bot account); Rules.Bots adds more
	State       string // open, merged, closed
	Draft       bool   // a draft now
	Labels      []string

	CreatedAt     time.Time
	ReadyAt       time.Time // opened, or marked ready for review when opened as a draft; zero while still a draft
	FirstCommitAt time.Time // earliest authored date among its commits; zero when unknown
	MergedAt      time.Time
	ClosedAt      time.Time

	Additions    int
	Deletions    int
	ChangedFiles int
	SizeKnown    bool // false when the provider gave no size

	MergeSHA   string
	SquashSHA  string
	BaseBranch string
	URL        string

	Reviews []Review // reviews and review comments, any order

	// Derived (filled by Derive).
	FirstReviewAt   time.Time // first review or review comment by someone neither the author nor a bot
	FirstApprovalAt time.Time // first approval by someone neither the author nor a bot
	DeploymentID    int64     // the production deployment that shipped it; 0 when not shipped
	DeployedAt      time.Time // that deployment's FinishedAt
}

// Review is a review, a review comment or an approval on a change.
type Review struct {
	Author      string
	AuthorIsBot bool
	State       string // approved, changes_requested, commented, dismissed
	At          time.Time
}

// Deployment statuses: the first terminal status decides a deployment.
const (
	StatusPending  = "pending"
	StatusSuccess  = "success"
	StatusFailure  = "failure"
	StatusError    = "error"
	StatusCanceled = "canceled"
)

// Deployment sources (the repo's deployments.source).
const (
	SourceDeployments = "deployments"
	SourceWorkflow    = "workflow"
	SourceReleases    = "releases"
	SourceMerges      = "merges"
)

// Link modes (the repo's deployments.link).
const (
	LinkCommits = "commits"
	LinkTime    = "time"
)

// Deployment is one deployment attempt.
type Deployment struct {
	ID              int64
	RepoID          int64
	Environment     string
	EnvironmentTier string // GitLab's tier (production, staging, ...); empty elsewhere
	SHA             string
	Ref             string
	Status          string    // first terminal status, or pending
	CreatedAt       time.Time //
	FinishedAt      time.Time // time of the first terminal status; zero while pending
	URL             string
	// RangeSHAs is the commit range PreviousSuccessful.SHA...SHA from the
	// compare API (link: commits); nil when it was never fetched.
	RangeSHAs []string

	// Derived (filled by Derive).
	Production    bool      // succeeded in a production environment
	FailedAttempt bool      // ended in failure or error there: in deploy success rate only, never in change failure rate
	Failed        bool      // change failure: an attributed incident or rolled back
	FailureCause  string    // "incident", "rollback" or "incident+rollback"
	Rollback      bool      // it redeployed an earlier sha, replacing failed deployments
	Rework        bool      // a rollback, or every non-bot change it ships is a fix
	RecoveredAt   time.Time // when a failed deployment was recovered; zero while not
	RecoveredBy   string    // "incident_resolved" or "rollback"
	ChangeIDs     []int64   // the changes it shipped
	IncidentIDs   []int64   // the incidents attributed to it
}

// Incident is an issue carrying an incident label (or a GitLab incident).
type Incident struct {
	ID         int64
	RepoID     int64
	Number     int64
	Title      string
	Labels     []string
	URL        string
	CreatedAt  time.Time
	ResolvedAt time.Time // zero while open

	// Derived (filled by Derive).
	DeploymentID int64 // the production deployment it is attributed to; 0 when none
}

// CIRun is a GitHub Actions workflow run or a GitLab pipeline.
type CIRun struct {
	ID         int64
	RepoID     int64
	Name       string
	Branch     string
	Event      string
	Status     string // queued, in_progress, completed
	Conclusion string // success, failure, cancelled, skipped, neutral, ...
	SHA        string // the commit it ran on
	CreatedAt  time.Time
	StartedAt  time.Time
	FinishedAt time.Time
	URL        string
}

// Decision is a recorded backend decision (an annotation on every chart).
type Decision struct {
	ID    int64
	Date  time.Time // the start of the decision's day in the configured timezone
	Title string
	Kind  string
}

// RepoRules are the per-repository settings that Derive needs.
type RepoRules struct {
	Source        string         // deployments, workflow, releases, merges
	Link          string         // commits or time
	Environments  *regexp.Regexp // production environments
	DefaultBranch string
}

// Rules are the organisation-wide settings of docs/metrics.md.
type Rules struct {
	Bots              *regexp.Regexp
	IncludeBotChanges bool
	IncidentWindow    time.Duration
	ReworkLabels      []string
	ReworkTitle       *regexp.Regexp
	StaleReview       time.Duration
	Location          *time.Location // week boundaries; UTC when nil
}

// Default values, as docs/metrics.md gives them.
const (
	DefaultBots                   = `(?i)(\[bot\]$|^dependabot|^renovate|^github-actions)`
	DefaultProductionEnvironments = `(?i)^(prod|production)$`
	DefaultReworkTitle            = `(?i)^(revert|hotfix|fix)\b`
	DefaultIncidentWindow         = 168 * time.Hour
	DefaultStaleReview            = 48 * time.Hour
)

// DefaultReworkLabels are the labels that make a change a fix by default.
var DefaultReworkLabels = []string{"hotfix", "bug", "incident"}

// DefaultRules returns the rules with every default of docs/metrics.md.
func DefaultRules() Rules {
	return Rules{
		Bots:           regexp.MustCompile(DefaultBots),
		IncidentWindow: DefaultIncidentWindow,
		ReworkLabels:   DefaultReworkLabels,
		ReworkTitle:    regexp.MustCompile(DefaultReworkTitle),
		StaleReview:    DefaultStaleReview,
		Location:       time.UTC,
	}
}

// DefaultRepoRules returns the per-repo defaults: GitHub/GitLab deployments,
// linked by commits, to prod or production.
func DefaultRepoRules() RepoRules {
	return RepoRules{
		Source:        SourceDeployments,
		Link:          LinkCommits,
		Environments:  regexp.MustCompile(DefaultProductionEnvironments),
		DefaultBranch: "main",
	}
}

// RepoHistory is everything synced for one repository: the input of Derive.
type RepoHistory struct {
	RepoID      int64
	Rules       RepoRules
	Changes     []Change
	Deployments []Deployment
	Incidents   []Incident
}

// Window is a half-open time range [From, To).
type Window struct {
	From time.Time
	To   time.Time
	// DataFrom, when after From, is where the scope's data starts in the
	// window: the weeks before it have no values (they lie before every
	// scoped repo's history start), so a rate per week and the deploy
	// days a week or month are taken over [DataFrom, To) only, as the
	// mean of the weekly values a chart shows (docs/metrics.md, "Where
	// history starts"). The counts are the window's.
	DataFrom time.Time
}

// withData is the part of w over which its rates are taken: from
// DataFrom when that is later than From.
func (w Window) withData() Window {
	if w.DataFrom.After(w.From) {
		w.From = w.DataFrom
	}
	w.DataFrom = time.Time{}
	return w
}

// Contains reports whether t is inside the window.
func (w Window) Contains(t time.Time) bool {
	return !t.IsZero() && !t.Before(w.From) && t.Before(w.To)
}

// Days is the window's length in days.
func (w Window) Days() float64 { return w.To.Sub(w.From).Hours() / 24 }

// Seconds is the window in the form everything below the parser reads —
// the facts, the rollups' period indices, the report cache's key and the
// store's queries: whole Unix seconds, a time t of whole seconds being in
// w exactly when lo ≤ t < hi. Every one of them converts through it, so
// they agree on what the window holds. A window tach parses has whole
// seconds at both ends (metrics/query), where this is exact.
func (w Window) Seconds() (lo, hi int64) {
	ceil := func(t time.Time) int64 {
		if t.Nanosecond() > 0 {
			return t.Unix() + 1
		}
		return t.Unix()
	}
	return ceil(w.From), ceil(w.To)
}

// Dataset is the rows of one scope and window, as Derive annotated them:
// what FactsOf reduces and the row functions list. It may hold more rows
// than the window needs; they filter.
type Dataset struct {
	Changes     []Change     // merged in the window, shipped by a deployment in it, or open now
	Deployments []Deployment // finished in the window, recovered in it, or before it (for context)
	Incidents   []Incident   // created or resolved in the window, or attributed to its deployments
	CIRuns      []CIRun      // finished in the window
}

// DatasetIndex finds a Dataset's changes and incidents by id: what a
// deployment's ChangeIDs and IncidentIDs name.
type DatasetIndex struct {
	changes   map[int64]Change
	incidents map[int64]Incident
}

// Index indexes ds.
func (ds Dataset) Index() DatasetIndex {
	ix := DatasetIndex{changes: make(map[int64]Change, len(ds.Changes)), incidents: make(map[int64]Incident, len(ds.Incidents))}
	for _, c := range ds.Changes {
		ix.changes[c.ID] = c
	}
	for _, in := range ds.Incidents {
		ix.incidents[in.ID] = in
	}
	return ix
}

// Change finds a change by id.
func (ix DatasetIndex) Change(id int64) (Change, bool) {
	c, ok := ix.changes[id]
	return c, ok
}

// Shipped are the changes and incidents of d (ChangeIDs, IncidentIDs) that
// the dataset holds, in d's order.
func (ix DatasetIndex) Shipped(d Deployment) ([]Change, []Incident) {
	var changes []Change
	var incidents []Incident
	for _, id := range d.ChangeIDs {
		if c, ok := ix.changes[id]; ok {
			changes = append(changes, c)
		}
	}
	for _, id := range d.IncidentIDs {
		if in, ok := ix.incidents[id]; ok {
			incidents = append(incidents, in)
		}
	}
	return changes, incidents
}
