package gitlab

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"

	gl "gitlab.com/gitlab-org/api/client-go"

	"github.com/tach-dev/tach/collectors"
	"github.com/tach-dev/tach/store"
)

// Webhook events turned into rows: merge request, deployment, pipeline,
// issue and note (a comment on a merge request) hooks. Each hook is mapped
// to the shapes the sync reads (the merge request model, gl.Deployment,
// gl.PipelineInfo with its jobs, gl.Issue, a note) and converted by the
// sync's own functions (change, mergeDeployment, deploymentOf, ciRunOf,
// finishedRun, workflowDeploymentOf, isIncident, incidentOf, reviews).
//
// What a hook lacks is kept from the store (Partial upserts): a merge
// request hook has no commits, diff stats, merge or close time, nor (unless
// its author acted) its author; a deployment hook no creation time, URL
// or environment tier. Where a time must be written and is not in the
// hook, the hook's update time stands in until the next sync. Approvals
// come with the next sync: the sync keys them by their system note, which
// no hook carries.

// ApplyWebhook applies one GitLab webhook (eventType is the X-Gitlab-Event
// header, payload the JSON body) in one store transaction. An event of a
// project not in the config returns an error wrapping
// collectors.ErrWebhookUnknownRepo; a payload that cannot be read,
// collectors.ErrWebhookMalformed. It never moves a sync watermark.
func ApplyWebhook(ctx context.Context, st *store.Store, cfg collectors.WebhookConfig, eventType string, payload []byte) (collectors.Applied, error) {
	a := collectors.Applied{Event: eventType}
	switch gl.EventType(eventType) {
	case gl.EventTypeMergeRequest, gl.EventTypeDeployment, gl.EventTypePipeline, gl.EventTypeIssue,
		gl.EventConfidentialIssue, gl.EventTypeNote, gl.EventConfidentialNote:
	default:
		a.Ignored = "event not used"
		return a, nil
	}
	parsed, err := gl.ParseWebhook(gl.EventType(eventType), payload)
	if err != nil {
		return a, fmt.Errorf("gitlab webhook %s: %w: %v", eventType, collectors.ErrWebhookMalformed, err)
	}
	h, err := readHook(parsed, payload)
	if err != nil {
		return a, fmt.Errorf("gitlab webhook %s: %w: %v", eventType, collectors.ErrWebhookMalformed, err)
	}
	if h.kind == "" {
		a.Ignored = "note not on a merge request"
		return a, nil
	}
	a.Event, a.Repo = h.kind+"."+h.action, h.project
	repo, ok := cfg.Repo(h.project)
	if !ok {
		return a, fmt.Errorf("gitlab webhook %s: %s: %w", a.Event, h.project, collectors.ErrWebhookUnknownRepo)
	}
	if cfg.TooOld(h.updated) {
		a.Ignored = "older than sync.history"
		return a, nil
	}
	if why := h.ignored(repo); why != "" {
		a.Ignored = why
		return a, nil
	}
	err = st.Write(ctx, func(tx *store.Tx) error {
		repoID, _, err := tx.UpsertRepoName(ctx, store.GitLab, repo.Name)
		if err != nil {
			return err
		}
		a.RepoID = repoID
		if a.Rows, a.Ignored, err = h.write(ctx, tx, repoID, repo, cfg.IncidentLabels); err != nil || a.Rows == 0 {
			return err
		}
		return tx.MarkDerivePending(ctx, repoID) // derived by the caller, or the next sync
	})
	if err != nil {
		return a, fmt.Errorf("gitlab webhook %s of %s: %w", a.Event, repo.Name, err)
	}
	return a, nil
}

// hook is a webhook read and checked, in the sync's shapes.
type hook struct {
	kind, action  string // merge_request, deployment, pipeline, issue, note
	project       string // group/sub/project
	defaultBranch string
	webURL        string
	updated       time.Time // when the item last changed

	mr           mergeRequest
	mrKeep       store.ChangeKeep
	mrFilesStale bool // the event may change the MR's files

	dep *gl.Deployment

	pipeline *gl.Pipeline
	run      store.CIRun
	jobs     []*gl.Job

	issue        *gl.Issue
	keepResolved bool

	note  note
	mrIID int64
}

// readHook checks that a parsed hook has what its rows need; kind is ""
// for a note on something other than a merge request.
func readHook(parsed any, payload []byte) (*hook, error) {
	h := &hook{}
	var errs []error
	at := func(field, s string) time.Time {
		t, err := hookTime(s)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", field, err))
		}
		return t
	}
	switch e := parsed.(type) {
	case *gl.MergeEvent:
		h.kind, h.project, h.defaultBranch, h.webURL = "merge_request", e.Project.PathWithNamespace, e.Project.DefaultBranch, e.Project.WebURL
		h.readMergeRequest(e, at)
	case *gl.DeploymentEvent:
		h.kind, h.project, h.defaultBranch, h.webURL = "deployment", e.Project.PathWithNamespace, e.Project.DefaultBranch, e.Project.WebURL
		h.readDeployment(e, at)
	case *gl.PipelineEvent:
		h.kind, h.project, h.defaultBranch, h.webURL = "pipeline", e.Project.PathWithNamespace, e.Project.DefaultBranch, e.Project.WebURL
		h.readPipeline(e, at)
	case *gl.IssueEvent:
		h.kind, h.project, h.defaultBranch, h.webURL = "issue", e.Project.PathWithNamespace, e.Project.DefaultBranch, e.Project.WebURL
		if err := h.readIssue(e, payload, at); err != nil {
			return nil, err
		}
	case *gl.MergeCommentEvent:
		h.kind, h.project, h.defaultBranch, h.webURL = "note", e.Project.PathWithNamespace, e.Project.DefaultBranch, e.Project.WebURL
		h.readNote(e, at)
	case *gl.CommitCommentEvent, *gl.IssueCommentEvent, *gl.SnippetCommentEvent:
		return &hook{}, nil
	default:
		return nil, fmt.Errorf("unexpected event %T", parsed)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if !strings.Contains(h.project, "/") {
		return nil, errors.New("no project path_with_namespace")
	}
	if h.updated.IsZero() {
		return nil, errors.New("no time in the event")
	}
	return h, nil
}

func (h *hook) readMergeRequest(e *gl.MergeEvent, at func(field, s string) time.Time) {
	oa := e.ObjectAttributes
	h.action = oa.Action
	created, updated := at("created_at", oa.CreatedAt), at("updated_at", oa.UpdatedAt)
	if oa.IID == 0 || created.IsZero() {
		updated = time.Time{} // refused below: no number or no creation time
	}
	h.updated = updated
	m := mergeRequest{
		ID: strconv.FormatInt(oa.ID, 10), IID: oa.IID, Title: oa.Title, State: oa.State, Draft: oa.Draft || oa.WorkInProgress,
		Labels: labelTitles(oa.Labels), CreatedAt: created, UpdatedAt: updated,
		TargetBranch: oa.TargetBranch, WebURL: oa.URL, MergeSHA: oa.MergeCommitSHA, HeadSHA: oa.LastCommit.ID,
	}
	if oa.Labels == nil {
		m.Labels = labelTitles(e.Labels)
	}
	// No event carries commits or diff stats, and squash commits are not in
	// it either: a stored value of those is kept.
	keep := store.KeepFirstCommit | store.KeepSize | store.KeepMergeSHA
	if e.User != nil && oa.AuthorID != 0 && e.User.ID == oa.AuthorID {
		m.Author, m.AuthorBot = e.User.Username, restBot(e.User.Username)
	} else {
		keep |= store.KeepAuthor // the event names who acted, not who wrote it
	}
	switch changeState(oa.State) {
	case store.StateMerged:
		m.MergedAt, keep = updated, keep|store.KeepMergedAt
	case store.StateClosed:
		m.ClosedAt, keep = updated, keep|store.KeepClosedAt
	}
	if oa.Action != "open" {
		keep |= store.KeepReady
	}
	if e.Changes.Draft.Previous && !e.Changes.Draft.Current {
		// Marked ready now: what GitLab's system note would say.
		m.Notes = append(m.Notes, note{Body: "marked this merge request as **ready**", System: true, CreatedAt: updated})
	}
	h.mr, h.mrKeep = m, keep
	// No event carries the files either: after a push (an update with
	// the old head, oldrev), a new target branch or a reopening, the
	// stored ones are out of date.
	h.mrFilesStale = oa.Action == "open" || oa.Action == "reopen" ||
		oa.Action == "update" && (oa.OldRev != "" || e.Changes.TargetBranch.Current != "")
}

// commitSHA takes the full sha from a deployment hook's commit_url (the
// hook gives only a short one otherwise).
var commitSHA = regexp.MustCompile(`^[0-9a-f]{40}([0-9a-f]{24})?$`)

func (h *hook) readDeployment(e *gl.DeploymentEvent, at func(field, s string) time.Time) {
	h.action = e.Status
	changed := at("status_changed_at", e.StatusChangedAt)
	if e.DeploymentID == 0 || e.Environment == "" {
		return // no time: refused as malformed
	}
	h.updated = changed
	sha := path.Base(e.CommitURL)
	if !commitSHA.MatchString(sha) {
		sha = e.ShortSHA
	}
	d := &gl.Deployment{
		ID: e.DeploymentID, Ref: e.Ref, SHA: sha, Status: e.Status, CreatedAt: &changed, UpdatedAt: &changed,
		Environment: &gl.Environment{Name: e.Environment},
	}
	if e.User != nil {
		d.User = &gl.ProjectUser{Username: e.User.Username}
	}
	h.dep = d
}

func (h *hook) readPipeline(e *gl.PipelineEvent, at func(field, s string) time.Time) {
	oa := e.ObjectAttributes
	h.action = oa.Status
	created, finished := at("created_at", oa.CreatedAt), at("finished_at", oa.FinishedAt)
	if oa.ID == 0 || created.IsZero() {
		return
	}
	// A pipeline hook has no update time: the latest time in it stands in.
	updated := later(created, finished)
	var started time.Time
	for _, b := range e.Builds {
		bc, bs, bf := at("builds.created_at", b.CreatedAt), at("builds.started_at", b.StartedAt), at("builds.finished_at", b.FinishedAt)
		updated = later(updated, later(bc, later(bs, bf)))
		started = earliest(started, bs)
		job := &gl.Job{ID: b.ID, Name: b.Name, Status: b.Status, WebURL: fmt.Sprintf("%s/-/jobs/%d", h.webURL, b.ID)}
		if !bc.IsZero() {
			job.CreatedAt = &bc
		}
		if !bf.IsZero() {
			job.FinishedAt = &bf
		}
		h.jobs = append(h.jobs, job)
	}
	h.updated = updated
	pi := &gl.PipelineInfo{ID: oa.ID, IID: oa.IID, Status: oa.Status, Source: oa.Source, Ref: oa.Ref, SHA: oa.SHA,
		Name: oa.Name, WebURL: oa.URL, CreatedAt: &created, UpdatedAt: &updated}
	h.run = ciRunOf(pi)
	if h.run.Conclusion != "" {
		h.run = finishedRun(h.run, started, finished)
	}
	h.pipeline = &gl.Pipeline{ID: oa.ID, IID: oa.IID, Status: oa.Status, Source: gl.PipelineSource(oa.Source), Ref: oa.Ref,
		Name: oa.Name, SHA: oa.SHA, Tag: oa.Tag, WebURL: oa.URL}
	if e.User != nil {
		h.pipeline.User = &gl.BasicUser{Username: e.User.Username}
	}
}

func (h *hook) readIssue(e *gl.IssueEvent, payload []byte, at func(field, s string) time.Time) error {
	oa := e.ObjectAttributes
	h.action = oa.Action
	// The issue type (issue, incident) and close time are in the hook but
	// not in client-go's type.
	var extra struct {
		Attrs struct {
			Type     string `json:"type"`
			ClosedAt string `json:"closed_at"`
		} `json:"object_attributes"`
	}
	if err := json.Unmarshal(payload, &extra); err != nil {
		return err
	}
	created, updated := at("created_at", oa.CreatedAt), at("updated_at", oa.UpdatedAt)
	if oa.IID == 0 || created.IsZero() {
		return nil
	}
	h.updated = updated
	typ := strings.ToLower(extra.Attrs.Type)
	is := &gl.Issue{ID: oa.ID, IID: oa.IID, State: oa.State, Title: oa.Title, Labels: gl.Labels(labelTitles(oa.Labels)),
		CreatedAt: &created, UpdatedAt: &updated, WebURL: oa.URL, IssueType: &typ}
	if oa.Labels == nil {
		is.Labels = gl.Labels(labelTitles(e.Labels))
	}
	if oa.State == "closed" {
		closed := at("closed_at", extra.Attrs.ClosedAt)
		if closed.IsZero() {
			closed = at("changes.closed_at", e.Changes.ClosedAt.Current)
		}
		if closed.IsZero() {
			closed, h.keepResolved = updated, true
		}
		is.ClosedAt = &closed
	}
	h.issue = is
	return nil
}

func (h *hook) readNote(e *gl.MergeCommentEvent, at func(field, s string) time.Time) {
	oa := e.ObjectAttributes
	h.action = string(oa.Action)
	if h.action == "" {
		h.action = "create"
	}
	created := at("created_at", oa.CreatedAt)
	if oa.ID == 0 || e.MergeRequest.IID == 0 || e.User == nil {
		return
	}
	h.updated, h.mrIID = created, e.MergeRequest.IID
	h.note = note{ID: strconv.FormatInt(oa.ID, 10), Body: oa.Note, System: oa.System, CreatedAt: created,
		Author: e.User.Username, AuthorBot: restBot(e.User.Username)}
}

// ignored says why a hook writes nothing for repo ("" when it writes).
func (h *hook) ignored(repo collectors.Repo) string {
	switch h.kind {
	case "deployment":
		if repo.Source != "" && repo.Source != string(sourceDeployments) {
			return "the repo's deployments come from " + repo.Source
		}
	case "note":
		if h.note.System {
			return "system note"
		}
		if h.action != "create" {
			return "note " + h.action
		}
	}
	return ""
}

// write writes the hook's rows and returns how many changed, or why it
// wrote none.
func (h *hook) write(ctx context.Context, tx *store.Tx, repoID int64, repo collectors.Repo, labels []string) (int, string, error) {
	rows := 0
	count := func(res store.Result) {
		if res != store.Unchanged {
			rows++
		}
	}
	proj := &project{repo: repo, defaultBranch: h.defaultBranch, webURL: h.webURL}
	switch h.kind {
	case "merge_request":
		stored, err := tx.Change(ctx, repoID, h.mr.IID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return 0, "", err
		}
		if err != nil && h.mrKeep&store.KeepAuthor != 0 {
			return 0, "merge request not synced yet, and the event does not name its author", nil
		}
		c := h.mr.change()
		c.RepoID = repoID
		_, res, err := tx.UpsertChangePartial(ctx, c, h.mrKeep)
		if err != nil {
			return 0, "", err
		}
		count(res)
		if h.mrFilesStale {
			if _, err := tx.MarkChangeFilesStale(ctx, repoID, c.Number); err != nil {
				return rows, "", err
			}
		}
		if repo.Source == string(sourceMerges) {
			// The merge deployment is made from the stored change: its merge
			// time and shas are the sync's where known.
			if stored, err = tx.Change(ctx, repoID, h.mr.IID); err != nil {
				return rows, "", err
			}
			if d, ok := proj.mergeDeployment(stored); ok {
				d.RepoID = repoID
				_, res, err := tx.UpsertDeploymentPartial(ctx, d, 0)
				if err != nil {
					return rows, "", err
				}
				count(res)
			}
		}
	case "deployment":
		tier := ""
		stored, err := tx.Deployment(ctx, repoID, string(sourceDeployments), strconv.FormatInt(h.dep.ID, 10))
		switch {
		case err == nil:
			tier = stored.EnvironmentTier
		case !errors.Is(err, store.ErrNotFound):
			return 0, "", err
		}
		d, ok := deploymentOf(repo, "", h.dep, tier)
		if !ok {
			return 0, "not a production environment", nil
		}
		d.RepoID = repoID
		_, res, err := tx.UpsertDeploymentPartial(ctx, d, store.KeepCreatedAt|store.KeepURL|store.KeepTier|store.KeepFinishedAt)
		if err != nil {
			return 0, "", err
		}
		count(res)
	case "pipeline":
		run := h.run
		run.RepoID = repoID
		_, res, err := tx.UpsertCIRunPartial(ctx, run, true)
		if err != nil {
			return 0, "", err
		}
		count(res)
		if repo.Source == string(sourceWorkflow) && h.pipeline.Ref == h.defaultBranch && run.Conclusion != "" {
			if d := workflowDeploymentOf(repo.Workflow, h.pipeline, h.run, h.jobs); d != nil {
				d.RepoID = repoID
				_, res, err := tx.UpsertDeploymentPartial(ctx, *d, 0)
				if err != nil {
					return rows, "", err
				}
				count(res)
			}
		}
	case "issue":
		if !isIncident(h.issue, labels) {
			deleted, err := tx.DeleteIncidentPartial(ctx, repoID, h.issue.IID, h.updated)
			if deleted {
				rows++
			}
			return rows, "", err
		}
		in := incidentOf(h.issue)
		in.RepoID = repoID
		_, res, err := tx.UpsertIncidentPartial(ctx, in, h.keepResolved)
		if err != nil {
			return 0, "", err
		}
		count(res)
	case "note":
		stored, err := tx.Change(ctx, repoID, h.mrIID)
		if errors.Is(err, store.ErrNotFound) {
			return 0, "merge request not synced yet", nil
		}
		if err != nil {
			return 0, "", err
		}
		// The sync keeps each person's earliest comment and approval: a
		// later one adds nothing.
		m := mergeRequest{Author: stored.Author, Notes: []note{h.note}}
		for _, r := range m.reviews() {
			has, err := tx.HasReview(ctx, stored.ID, r.Author, r.State)
			if err != nil {
				return rows, "", err
			}
			if has {
				continue
			}
			res, err := tx.UpsertReview(ctx, stored.ID, r)
			if err != nil {
				return rows, "", err
			}
			count(res)
		}
	}
	return rows, "", nil
}

func labelTitles(ls []*gl.EventLabel) []string {
	var out []string
	for _, l := range ls {
		if l != nil {
			out = append(out, l.Title)
		}
	}
	return out
}

// hookTime reads the times GitLab hooks carry, in any of the formats they
// have used: 2013-12-03T17:23:34Z, 2016-08-12 15:23:28 UTC,
// 2021-04-28 21:50:00 +0200. An empty string is no time.
func hookTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05 MST", "2006-01-02 15:04:05 -0700", "2006-01-02 15:04:05Z07:00"} {
		if t, err := time.Parse(layout, s); err == nil {
			if t.Year() < 1970 || t.Year() > 9999 {
				return time.Time{}, fmt.Errorf("time %q out of range", s)
			}
			return t.UTC().Truncate(time.Second), nil
		}
	}
	return time.Time{}, fmt.Errorf("time %q in no known format", s)
}
