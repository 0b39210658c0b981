package github

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	gh "github.com/google/go-github/v62/github"

	"github.com/tach-dev/tach/collectors"
	"github.com/tach-dev/tach/store"
)

// Webhook events turned into rows: pull_request, pull_request_review,
// deployment_status, workflow_run and issues. Each event is mapped to the
// shape the sync reads (the GraphQL pull request and deployment nodes, the
// REST workflow run and issue, which webhooks share) and converted by the
// sync's own functions (toChange, toDeployment, toCIRun,
// toWorkflowDeployment, toIncident, mergeDeployments), so a webhook and a
// sync cannot disagree on what a row means. What an event lacks (a pull
// request event has no first-commit time, a review event no size) is
// written with the store's Partial upserts, which keep the stored value.

// ApplyWebhook applies one GitHub webhook event (eventType is the
// X-GitHub-Event header, payload the JSON body) in one store transaction.
// An event of a repo not in the config returns an error wrapping
// collectors.ErrWebhookUnknownRepo; a payload that cannot be read,
// collectors.ErrWebhookMalformed. It never moves a sync watermark.
func ApplyWebhook(ctx context.Context, st *store.Store, cfg collectors.WebhookConfig, eventType string, payload []byte) (collectors.Applied, error) {
	a := collectors.Applied{Event: eventType}
	switch eventType {
	case "pull_request", "pull_request_review", "deployment_status", "workflow_run", "issues":
	case "ping":
		a.Ignored = "ping"
		return a, nil
	default:
		a.Ignored = "event not used"
		return a, nil
	}
	ev, err := readEvent(eventType, payload)
	if err != nil {
		return a, fmt.Errorf("github webhook %s: %w: %v", eventType, collectors.ErrWebhookMalformed, err)
	}
	a.Event, a.Repo = eventType+"."+ev.action, ev.repo
	repo, ok := cfg.Repo(ev.repo)
	if !ok {
		return a, fmt.Errorf("github webhook %s: %s: %w", a.Event, ev.repo, collectors.ErrWebhookUnknownRepo)
	}
	if cfg.TooOld(ev.time()) {
		a.Ignored = "older than sync.history"
		return a, nil
	}
	if why := ev.ignored(repo); why != "" {
		a.Ignored = why
		return a, nil
	}
	err = st.Write(ctx, func(tx *store.Tx) error {
		repoID, _, err := tx.UpsertRepoName(ctx, store.GitHub, repo.Name)
		if err != nil {
			return err
		}
		a.RepoID = repoID
		if a.Rows, err = ev.write(ctx, tx, repoID, repo, cfg.IncidentLabels); err != nil || a.Rows == 0 {
			return err
		}
		return tx.MarkDerivePending(ctx, repoID) // derived by the caller, or the next sync
	})
	if err != nil {
		return a, fmt.Errorf("github webhook %s of %s: %w", a.Event, repo.Name, err)
	}
	return a, nil
}

// event is a webhook event read and checked: the repo it is about and what
// it carries, in the sync's shapes.
type event struct {
	name, action  string
	repo          string // owner/name
	defaultBranch string

	pr     *gh.PullRequest
	review *gh.PullRequestReview
	dep    *gh.Deployment
	status *gh.DeploymentStatus
	run    *restRun
	issue  *restIssue

	// Whether the pull request's user and labels are in the delivery.
	prHasUser, prHasLabels bool
}

// readEvent reads an event and checks that it has what its rows need.
func readEvent(eventType string, payload []byte) (*event, error) {
	if eventType == "issues" {
		// Read into the sync's own type: an issue's labels may be strings,
		// which go-github's type refuses.
		var body struct {
			Action     string     `json:"action"`
			Issue      *restIssue `json:"issue"`
			Repository *struct {
				FullName      string `json:"full_name"`
				DefaultBranch string `json:"default_branch"`
			} `json:"repository"`
		}
		if err := json.Unmarshal(payload, &body); err != nil {
			return nil, err
		}
		if body.Issue == nil || body.Issue.Number == 0 || body.Issue.CreatedAt.IsZero() || body.Issue.UpdatedAt.IsZero() {
			return nil, errors.New("no issue, or one without number or times")
		}
		if body.Repository == nil || !strings.Contains(body.Repository.FullName, "/") {
			return nil, errors.New("no repository full_name")
		}
		return &event{name: "issues", action: body.Action, issue: body.Issue,
			repo: body.Repository.FullName, defaultBranch: body.Repository.DefaultBranch}, nil
	}
	parsed, err := gh.ParseWebHook(eventType, payload)
	if err != nil {
		return nil, err
	}
	ev := &event{}
	var repo *gh.Repository
	switch e := parsed.(type) {
	case *gh.PullRequestEvent:
		ev.name, ev.action, repo, ev.pr = "pull_request", e.GetAction(), e.Repo, e.PullRequest
	case *gh.PullRequestReviewEvent:
		ev.name, ev.action, repo, ev.pr, ev.review = "pull_request_review", e.GetAction(), e.Repo, e.PullRequest, e.Review
		if ev.review == nil || ev.review.ID == nil {
			return nil, errors.New("no review")
		}
	case *gh.DeploymentStatusEvent:
		ev.name, ev.action, repo, ev.dep, ev.status = "deployment_status", e.GetAction(), e.Repo, e.Deployment, e.DeploymentStatus
		if ev.dep == nil || ev.dep.ID == nil || ev.dep.CreatedAt == nil || ev.status == nil || ev.status.State == nil || ev.status.CreatedAt == nil {
			return nil, errors.New("no deployment or status, or one without id, state or time")
		}
	case *gh.WorkflowRunEvent:
		// The workflow run of a webhook is the REST API's: read it into
		// the sync's own type (go-github's drops the workflow file path).
		var body struct {
			Run *restRun `json:"workflow_run"`
		}
		if err := json.Unmarshal(payload, &body); err != nil {
			return nil, err
		}
		ev.name, ev.action, repo, ev.run = "workflow_run", e.GetAction(), e.Repo, body.Run
		if ev.run == nil || ev.run.ID == 0 || ev.run.CreatedAt.IsZero() || ev.run.UpdatedAt.IsZero() {
			return nil, errors.New("no workflow run, or one without id, created_at or updated_at")
		}
	default:
		return nil, fmt.Errorf("unexpected event %T", parsed)
	}
	if repo == nil || !strings.Contains(repo.GetFullName(), "/") {
		return nil, errors.New("no repository full_name")
	}
	ev.repo, ev.defaultBranch = repo.GetFullName(), repo.GetDefaultBranch()
	if ev.pr != nil || ev.name == "pull_request" || ev.name == "pull_request_review" {
		pr := ev.pr
		if pr == nil || pr.Number == nil || pr.ID == nil || pr.CreatedAt == nil || pr.UpdatedAt == nil {
			return nil, errors.New("no pull request, or one without number, id or times")
		}
		// Which fields the delivery has: one it leaves out keeps what is
		// stored (a null user is a deleted account, not a missing one).
		var keys struct {
			PullRequest map[string]json.RawMessage `json:"pull_request"`
		}
		if err := json.Unmarshal(payload, &keys); err != nil {
			return nil, err
		}
		_, ev.prHasUser = keys.PullRequest["user"]
		labels, ok := keys.PullRequest["labels"]
		ev.prHasLabels = ok && string(labels) != "null"
	}
	return ev, nil
}

// time is when the event's item last changed, as the sync's walk reads it.
func (ev *event) time() time.Time {
	switch {
	case ev.pr != nil:
		return ev.pr.GetUpdatedAt().Time
	case ev.dep != nil:
		return ev.dep.GetCreatedAt().Time
	case ev.run != nil:
		return ev.run.CreatedAt
	case ev.issue != nil:
		return ev.issue.UpdatedAt
	}
	return time.Time{}
}

// ignored says why an event writes nothing for repo ("" when it writes).
func (ev *event) ignored(repo collectors.Repo) string {
	switch ev.name {
	case "pull_request":
		switch ev.action {
		case "assigned", "unassigned", "review_requested", "review_request_removed", "locked", "unlocked",
			"auto_merge_enabled", "auto_merge_disabled", "enqueued", "dequeued", "milestoned", "demilestoned":
			return "action not used"
		}
	case "pull_request_review":
		if ev.review.SubmittedAt == nil {
			return "review not submitted"
		}
	case "deployment_status":
		if repo.Source != "" && repo.Source != "deployments" {
			return "the repo's deployments come from " + repo.Source
		}
	case "issues":
		if len(ev.issue.PullRequest) > 0 && string(ev.issue.PullRequest) != "null" {
			return "a pull request is not an incident"
		}
		switch ev.action {
		case "assigned", "unassigned", "pinned", "unpinned", "locked", "unlocked", "milestoned", "demilestoned":
			return "action not used"
		}
	}
	return ""
}

// write writes the event's rows and returns how many changed.
func (ev *event) write(ctx context.Context, tx *store.Tx, repoID int64, repo collectors.Repo, labels []string) (int, error) {
	rows := 0
	count := func(res store.Result) {
		if res != store.Unchanged {
			rows++
		}
	}
	s := &repoSync{repo: repo, defaultBranch: ev.defaultBranch}
	switch ev.name {
	case "pull_request", "pull_request_review":
		node, keep := ev.prNode()
		c := toChange(node)
		c.RepoID = repoID
		if keep&store.KeepSize != 0 {
			c.SizeKnown = false // GraphQL always has a size; this event had none
		}
		_, res, err := tx.UpsertChangePartial(ctx, c, keep)
		if err != nil {
			return rows, err
		}
		count(res)
		// No event carries the files: after a push (or a new base) the
		// stored ones are out of date, and the next sync fetches them.
		if ev.name == "pull_request" && diffMayChange(ev.action) {
			if _, err := tx.MarkChangeFilesStale(ctx, repoID, c.Number); err != nil {
				return rows, err
			}
		}
		// A merge ships itself with deployments.source merges.
		for _, d := range s.mergeDeployments([]store.Change{c}) {
			d.RepoID = repoID
			_, res, err := tx.UpsertDeploymentPartial(ctx, d, 0)
			if err != nil {
				return rows, err
			}
			count(res)
		}
	case "deployment_status":
		d := toDeployment(ev.deploymentNode())
		d.RepoID = repoID
		_, res, err := tx.UpsertDeploymentPartial(ctx, d, store.KeepOutcome)
		if err != nil {
			return rows, err
		}
		count(res)
	case "workflow_run":
		r := toCIRun(*ev.run)
		r.RepoID = repoID
		_, res, err := tx.UpsertCIRunPartial(ctx, r, false)
		if err != nil {
			return rows, err
		}
		count(res)
		if repo.Source == "workflow" && s.isDeployRun(*ev.run) {
			d := toWorkflowDeployment(*ev.run)
			d.RepoID = repoID
			_, res, err := tx.UpsertDeploymentPartial(ctx, d, 0)
			if err != nil {
				return rows, err
			}
			count(res)
		}
	case "issues":
		issue := *ev.issue
		if !issue.Labels.known {
			// The delivery says nothing of the labels: the stored ones
			// stand, and an issue not stored cannot be told an incident.
			stored, err := tx.Incident(ctx, repoID, issue.Number)
			if errors.Is(err, store.ErrNotFound) {
				return rows, nil
			}
			if err != nil {
				return rows, err
			}
			issue.Labels = issueLabels{names: stored.Labels, known: true}
		}
		in, isIncident, _ := toIncident(issue, labels)
		deletedAt := ev.issue.UpdatedAt
		if ev.action == "deleted" || ev.action == "transferred" {
			isIncident, deletedAt = false, time.Unix(1<<40, 0) // gone from the repo, whatever its time
		}
		if !isIncident {
			deleted, err := tx.DeleteIncidentPartial(ctx, repoID, ev.issue.Number, deletedAt)
			if deleted {
				rows++
			}
			return rows, err
		}
		in.RepoID = repoID
		_, res, err := tx.UpsertIncidentPartial(ctx, in, false)
		if err != nil {
			return rows, err
		}
		count(res)
	}
	return rows, nil
}

// diffMayChange reports whether a pull_request action can change the
// pull request's files: commits pushed, reopened, or its base edited.
func diffMayChange(action string) bool {
	switch action {
	case "opened", "reopened", "synchronize", "edited":
		return true
	}
	return false
}

// prNode maps the event's pull request (REST shape) to the GraphQL node
// the sync reads, and says which columns the event cannot know.
func (ev *event) prNode() (prNode, store.ChangeKeep) {
	pr := ev.pr
	keep := store.KeepFirstCommit // no event carries the commits
	if !ev.prHasUser {
		keep |= store.KeepAuthor
	}
	if !ev.prHasLabels {
		keep |= store.KeepLabels
	}
	n := prNode{
		Number: pr.GetNumber(), FullDatabaseID: strconv.FormatInt(pr.GetID(), 10), Title: pr.GetTitle(), URL: pr.GetHTMLURL(),
		Author: actorOf(pr.User), IsDraft: pr.GetDraft(), CreatedAt: pr.GetCreatedAt().Time, UpdatedAt: pr.GetUpdatedAt().Time,
		BaseRefName: pr.GetBase().GetRef(),
	}
	switch {
	case pr.MergedAt != nil:
		n.State = "MERGED"
		t := pr.MergedAt.Time
		n.MergedAt = &t
		// GraphQL's mergeCommit exists only once merged; REST's
		// merge_commit_sha is a test merge before that.
		if sha := pr.GetMergeCommitSHA(); sha != "" {
			n.MergeCommit = &struct{ Oid string }{sha}
		}
	case pr.GetState() == "closed":
		n.State = "CLOSED"
	default:
		n.State = "OPEN"
	}
	if pr.ClosedAt != nil {
		t := pr.ClosedAt.Time
		n.ClosedAt = &t
	}
	// A review event's pull request comes without its size.
	if pr.Additions != nil && pr.Deletions != nil && pr.ChangedFiles != nil {
		n.Additions, n.Deletions, n.ChangedFiles = pr.GetAdditions(), pr.GetDeletions(), pr.GetChangedFiles()
	} else {
		keep |= store.KeepSize
	}
	for _, l := range pr.Labels {
		n.Labels.Nodes = append(n.Labels.Nodes, struct{ Name string }{l.GetName()})
	}
	// Ready for review: known when opened (ready now, or a draft) and while
	// a draft; marked ready now, unless the store knows an earlier time;
	// otherwise the stored time stands (the timeline is not in the event).
	switch {
	case n.IsDraft, ev.name == "pull_request" && ev.action == "opened":
	case ev.name == "pull_request" && ev.action == "ready_for_review":
		ready := timelineNode{Typename: "ReadyForReviewEvent"}
		ready.ReadyForReviewEvent.CreatedAt = n.UpdatedAt
		n.TimelineItems.Nodes = append(n.TimelineItems.Nodes, ready)
		keep |= store.KeepReady
	default:
		keep |= store.KeepReady
	}
	if r := ev.review; r != nil && r.SubmittedAt != nil {
		t := r.SubmittedAt.Time
		n.Reviews.Nodes = append(n.Reviews.Nodes, reviewNode{FullDatabaseID: strconv.FormatInt(r.GetID(), 10),
			Author: actorOf(r.User), State: strings.ToUpper(r.GetState()), SubmittedAt: &t})
	}
	return n, keep
}

// deploymentNode maps the event's deployment and status to the GraphQL
// node the sync reads, with the one status the event brings.
func (ev *event) deploymentNode() deploymentNode {
	d := ev.dep
	n := deploymentNode{
		DatabaseID: d.GetID(), CommitOid: d.GetSHA(), Creator: actorOf(d.Creator),
		CreatedAt: d.GetCreatedAt().Time, UpdatedAt: d.GetUpdatedAt().Time,
	}
	if n.UpdatedAt.IsZero() {
		n.UpdatedAt = n.CreatedAt
	}
	if d.Environment != nil {
		env := d.GetEnvironment()
		n.Environment = &env
	}
	if d.GetRef() != "" {
		n.Ref = &struct{ Name string }{d.GetRef()}
	}
	n.Statuses = &struct{ Nodes []statusNode }{Nodes: []statusNode{
		{State: strings.ToUpper(ev.status.GetState()), CreatedAt: ev.status.GetCreatedAt().Time},
	}}
	return n
}

// actorOf maps a REST user to a GraphQL actor: a bot's REST login already
// ends in [bot], which botLogin keeps.
func actorOf(u *gh.User) *actor {
	if u == nil {
		return nil
	}
	a := &actor{Login: u.GetLogin(), Typename: "User"}
	if u.GetType() == "Bot" {
		a.Typename = "Bot"
	}
	return a
}
