package gitlabtest

import (
	"fmt"
	"hash/fnv"
	"strings"
	"time"
)

// The REST payloads, with the fields GitLab's API documentation shows for
// each endpoint (and /work/shared/fixtures/gitlab-api for merge requests).

// ts formats a time as GitLab's REST does (milliseconds, UTC); null when zero.
func ts(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

// gts formats a time as GitLab's GraphQL does (seconds, UTC); null when zero.
func gts(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(time.RFC3339)
}

func userID(username string) int64 {
	h := fnv.New32a()
	h.Write([]byte(username))
	return int64(h.Sum32()%1_000_000) + 1
}

func (s *Server) userJSON(username string) any {
	if username == "" {
		return nil
	}
	return map[string]any{
		"id": userID(username), "username": username, "name": strings.ToUpper(username[:1]) + username[1:],
		"state": "active", "locked": false,
		"avatar_url": "https://secure.gravatar.com/avatar/" + username,
		"web_url":    s.URL() + "/" + username,
	}
}

func (s *Server) projectJSON(p *Project, simple bool) map[string]any {
	name := p.Path[strings.LastIndexByte(p.Path, '/')+1:]
	ns := ""
	if i := strings.LastIndexByte(p.Path, '/'); i > 0 {
		ns = p.Path[:i]
	}
	out := map[string]any{
		"id": p.ID, "description": "", "name": name, "name_with_namespace": strings.ReplaceAll(p.Path, "/", " / "),
		"path": name, "path_with_namespace": p.Path, "created_at": ts(p.CreatedAt),
		"default_branch": p.DefaultBranch, "tag_list": []string{}, "topics": []string{},
		"ssh_url_to_repo":  "git@fake.gitlab:" + p.Path + ".git",
		"http_url_to_repo": s.URL() + "/" + p.Path + ".git",
		"web_url":          s.URL() + "/" + p.Path, "readme_url": nil,
		"forks_count": 0, "avatar_url": nil, "star_count": 0, "last_activity_at": ts(p.CreatedAt),
		"namespace": map[string]any{
			"id": userID(ns), "name": ns, "path": ns[strings.LastIndexByte(ns, '/')+1:], "kind": "group",
			"full_path": ns, "parent_id": nil, "avatar_url": nil, "web_url": s.URL() + "/groups/" + ns,
		},
	}
	if !simple {
		out["archived"] = p.Archived
		out["visibility"] = "private"
		out["empty_repo"] = false
		out["issues_enabled"] = true
		out["merge_requests_enabled"] = true
		out["jobs_enabled"] = true
		out["open_issues_count"] = 0
		out["creator_id"] = 1
		out["_links"] = map[string]any{"self": s.BaseURL() + fmt.Sprintf("/projects/%d", p.ID)}
	}
	return out
}

func (s *Server) mergeRequestJSON(p *Project, m *MergeRequest) map[string]any {
	var mergedBy, closedBy any
	if m.State == "merged" {
		mergedBy = s.userJSON(m.Author.Username)
	}
	if m.State == "closed" {
		closedBy = s.userJSON(m.Author.Username)
	}
	var mergeSHA, squashSHA any
	if m.MergeCommitSHA != "" {
		mergeSHA = m.MergeCommitSHA
	}
	if m.SquashCommitSHA != "" {
		squashSHA = m.SquashCommitSHA
	}
	userNotes := 0
	for _, n := range m.Notes {
		if !n.System {
			userNotes++
		}
	}
	labels := m.Labels
	if labels == nil {
		labels = []string{}
	}
	return map[string]any{
		"id": m.ID, "iid": m.IID, "project_id": p.ID, "title": m.Title, "description": "",
		"state": m.State, "created_at": ts(m.CreatedAt), "updated_at": ts(m.UpdatedAt),
		"merged_by": mergedBy, "merge_user": mergedBy, "merged_at": ts(m.MergedAt),
		"closed_by": closedBy, "closed_at": ts(m.ClosedAt),
		"target_branch": m.TargetBranch, "source_branch": m.SourceBranch,
		"user_notes_count": userNotes, "upvotes": 0, "downvotes": 0,
		"author": s.userJSON(m.Author.Username), "assignees": []any{}, "assignee": nil, "reviewers": []any{},
		"source_project_id": p.ID, "target_project_id": p.ID, "labels": labels,
		"draft": m.Draft, "work_in_progress": m.Draft, "milestone": nil,
		"merge_when_pipeline_succeeds": false, "merge_status": "can_be_merged", "detailed_merge_status": "mergeable",
		"sha": m.SHA, "merge_commit_sha": mergeSHA, "squash_commit_sha": squashSHA,
		"discussion_locked": nil, "should_remove_source_branch": nil, "force_remove_source_branch": true,
		"prepared_at": ts(m.CreatedAt), "reference": fmt.Sprintf("!%d", m.IID),
		"references": map[string]any{"short": fmt.Sprintf("!%d", m.IID), "relative": fmt.Sprintf("!%d", m.IID), "full": fmt.Sprintf("%s!%d", p.Path, m.IID)},
		"web_url":    fmt.Sprintf("%s/%s/-/merge_requests/%d", s.URL(), p.Path, m.IID),
		"time_stats": map[string]any{"time_estimate": 0, "total_time_spent": 0, "human_time_estimate": nil, "human_total_time_spent": nil},
		"squash":     m.Squash, "squash_on_merge": m.Squash,
		"task_completion_status": map[string]any{"count": 0, "completed_count": 0},
		"has_conflicts":          false, "blocking_discussions_resolved": true,
	}
}

func (s *Server) commitJSON(p *Project, c Commit) map[string]any {
	short := c.SHA
	if len(short) > 8 {
		short = short[:8]
	}
	author := c.Author
	if author == "" {
		author = "dev"
	}
	parents := c.Parents
	if parents == nil {
		parents = []string{}
	}
	return map[string]any{
		"id": c.SHA, "short_id": short, "title": c.Title, "message": c.Title + "\n",
		"author_name": author, "author_email": author + "@example.com", "authored_date": ts(c.AuthoredAt),
		"committer_name": author, "committer_email": author + "@example.com", "committed_date": ts(c.AuthoredAt),
		"created_at": ts(c.AuthoredAt), "parent_ids": parents, "trailers": map[string]any{},
		"web_url": fmt.Sprintf("%s/%s/-/commit/%s", s.URL(), p.Path, c.SHA),
	}
}

func (s *Server) noteJSON(p *Project, m *MergeRequest, n *Note) map[string]any {
	return map[string]any{
		"id": n.ID, "type": nil, "body": n.Body, "attachment": nil,
		"author": s.userJSON(n.Author.Username), "created_at": ts(n.CreatedAt), "updated_at": ts(n.CreatedAt),
		"system": n.System, "noteable_id": m.ID, "noteable_type": "MergeRequest", "project_id": p.ID,
		"noteable_iid": m.IID, "resolvable": false, "confidential": false, "internal": false,
		"commands_changes": map[string]any{},
	}
}

// diffJSON is one file of an MR's diffs, with a diff of its line counts.
func diffJSON(d FileDiff) map[string]any {
	var b strings.Builder
	fmt.Fprintf(&b, "@@ -1,%d +1,%d @@\n", d.Deletions, d.Additions)
	for range d.Deletions {
		b.WriteString("-old line\n")
	}
	for range d.Additions {
		b.WriteString("+new line\n")
	}
	old := d.Path
	if d.OldPath != "" {
		old = d.OldPath
	}
	return map[string]any{
		"old_path": old, "new_path": d.Path, "a_mode": "100644", "b_mode": "100644", "diff": b.String(),
		"new_file": d.New, "renamed_file": old != d.Path, "deleted_file": d.Deleted, "generated_file": false,
		"collapsed": false, "too_large": false,
	}
}

func (s *Server) environmentJSON(p *Project, e *Environment) map[string]any {
	tier := e.Tier
	if tier == "" {
		tier = "other"
	}
	return map[string]any{
		"id": e.ID, "name": e.Name, "slug": strings.ToLower(e.Name), "description": nil,
		"external_url": "https://" + strings.ToLower(e.Name) + ".example.com", "state": "available", "tier": tier,
		"created_at": ts(p.CreatedAt), "updated_at": ts(p.CreatedAt), "auto_stop_at": nil,
		"enable_advanced_logs_querying": false, "logs_api_path": nil,
	}
}

// deploymentJSON is a deployment as the deployments list shows it: the
// environment without its tier, the deploying job (deployable) with its
// times, or null for a deployment made through the API.
func (s *Server) deploymentJSON(p *Project, d *Deployment) map[string]any {
	var env *Environment
	for _, e := range p.Environments {
		if e.Name == d.Environment {
			env = e
		}
	}
	var deployable any
	if !d.NoJob {
		name := d.JobName
		if name == "" {
			name = "deploy"
		}
		jobStatus := d.Status
		if jobStatus == "blocked" {
			jobStatus = "manual"
		}
		deployable = map[string]any{
			"id": d.ID + 500000, "status": jobStatus, "stage": "deploy", "name": name, "ref": d.Ref, "tag": false,
			"coverage": nil, "allow_failure": false,
			"created_at": ts(d.CreatedAt), "started_at": ts(d.CreatedAt), "finished_at": ts(d.FinishedAt),
			"duration": durationSeconds(d.CreatedAt, d.FinishedAt), "queued_duration": 0.5,
			"user":   s.userJSON(d.User),
			"commit": s.commitJSON(p, Commit{SHA: d.SHA, Title: "deploy " + d.SHA, AuthoredAt: d.CreatedAt}),
			"pipeline": map[string]any{
				"id": d.ID + 600000, "iid": d.IID, "project_id": p.ID, "sha": d.SHA, "ref": d.Ref, "status": jobStatus,
				"source": "push", "created_at": ts(d.CreatedAt), "updated_at": ts(d.UpdatedAt),
				"web_url": fmt.Sprintf("%s/%s/-/pipelines/%d", s.URL(), p.Path, d.ID+600000),
			},
			"web_url":   fmt.Sprintf("%s/%s/-/jobs/%d", s.URL(), p.Path, d.ID+500000),
			"project":   map[string]any{"ci_job_token_scope_enabled": false},
			"artifacts": []any{}, "runner": nil, "artifacts_expire_at": nil, "tag_list": []string{},
		}
	}
	envJSON := map[string]any{"id": 0, "name": d.Environment, "slug": strings.ToLower(d.Environment), "external_url": nil,
		"created_at": ts(p.CreatedAt), "updated_at": ts(p.CreatedAt)}
	if env != nil {
		envJSON["id"] = env.ID
	}
	return map[string]any{
		"id": d.ID, "iid": d.IID, "ref": d.Ref, "sha": d.SHA, "status": d.Status,
		"created_at": ts(d.CreatedAt), "updated_at": ts(d.UpdatedAt),
		"user": s.userJSON(d.User), "environment": envJSON, "deployable": deployable,
	}
}

func durationSeconds(from, to time.Time) any {
	if from.IsZero() || to.IsZero() {
		return nil
	}
	return to.Sub(from).Seconds()
}

// pipelineJSON is a pipeline as the list shows it, or in full (the single
// pipeline endpoint adds user, times and duration).
func (s *Server) pipelineJSON(p *Project, pl *Pipeline, full bool) map[string]any {
	out := map[string]any{
		"id": pl.ID, "iid": pl.IID, "project_id": p.ID, "sha": pl.SHA, "ref": pl.Ref, "status": pl.Status,
		"source": pl.Source, "created_at": ts(pl.CreatedAt), "updated_at": ts(pl.UpdatedAt),
		"web_url": fmt.Sprintf("%s/%s/-/pipelines/%d", s.URL(), p.Path, pl.ID), "name": nilIfEmpty(pl.Name),
	}
	if full {
		var duration any
		if !pl.StartedAt.IsZero() && !pl.FinishedAt.IsZero() {
			duration = int(pl.FinishedAt.Sub(pl.StartedAt).Seconds())
		}
		out["before_sha"] = "0000000000000000000000000000000000000000"
		out["tag"] = pl.Tag
		out["yaml_errors"] = nil
		out["user"] = s.userJSON(pl.User)
		out["started_at"] = ts(pl.StartedAt)
		out["finished_at"] = ts(pl.FinishedAt)
		out["committed_at"] = nil
		out["duration"] = duration
		out["queued_duration"] = 1
		out["coverage"] = nil
		out["detailed_status"] = map[string]any{"icon": "status_" + pl.Status, "text": pl.Status, "label": pl.Status,
			"group": pl.Status, "tooltip": pl.Status, "has_details": true}
	}
	return out
}

func (s *Server) jobJSON(p *Project, pl *Pipeline, j *Job) map[string]any {
	return map[string]any{
		"id": j.ID, "status": j.Status, "stage": j.Stage, "name": j.Name, "ref": pl.Ref, "tag": pl.Tag,
		"coverage": nil, "allow_failure": false, "created_at": ts(j.CreatedAt), "started_at": ts(j.StartedAt),
		"finished_at": ts(j.FinishedAt), "erased_at": nil, "duration": durationSeconds(j.StartedAt, j.FinishedAt),
		"queued_duration": 0.5, "user": s.userJSON(pl.User),
		"commit":    s.commitJSON(p, Commit{SHA: pl.SHA, Title: "commit " + pl.SHA, AuthoredAt: pl.CreatedAt}),
		"pipeline":  s.pipelineJSON(p, pl, false),
		"web_url":   fmt.Sprintf("%s/%s/-/jobs/%d", s.URL(), p.Path, j.ID),
		"project":   map[string]any{"ci_job_token_scope_enabled": false},
		"artifacts": []any{}, "runner": nil, "artifacts_expire_at": nil, "tag_list": []string{},
	}
}

func (s *Server) issueJSON(p *Project, is *Issue) map[string]any {
	typ := is.Type
	if typ == "" {
		typ = "issue"
	}
	state := is.State
	if state == "" {
		state = "opened"
		if !is.ClosedAt.IsZero() {
			state = "closed"
		}
	}
	labels := is.Labels
	if labels == nil {
		labels = []string{}
	}
	var closedBy any
	if !is.ClosedAt.IsZero() {
		closedBy = s.userJSON(is.Author)
	}
	return map[string]any{
		"id": is.ID, "iid": is.IID, "project_id": p.ID, "title": is.Title, "description": "",
		"state": state, "created_at": ts(is.CreatedAt), "updated_at": ts(is.UpdatedAt),
		"closed_at": ts(is.ClosedAt), "closed_by": closedBy, "labels": labels, "milestone": nil,
		"assignees": []any{}, "assignee": nil, "author": s.userJSON(is.Author),
		"type": strings.ToUpper(typ), "issue_type": typ,
		"user_notes_count": 0, "merge_requests_count": 0, "upvotes": 0, "downvotes": 0, "due_date": nil,
		"confidential": false, "discussion_locked": nil, "severity": "UNKNOWN",
		"web_url":                fmt.Sprintf("%s/%s/-/issues/%d", s.URL(), p.Path, is.IID),
		"time_stats":             map[string]any{"time_estimate": 0, "total_time_spent": 0},
		"task_completion_status": map[string]any{"count": 0, "completed_count": 0},
		"references":             map[string]any{"short": fmt.Sprintf("#%d", is.IID), "relative": fmt.Sprintf("#%d", is.IID), "full": fmt.Sprintf("%s#%d", p.Path, is.IID)},
		"_links":                 map[string]any{"self": fmt.Sprintf("%s/projects/%d/issues/%d", s.BaseURL(), p.ID, is.IID)},
	}
}

func (s *Server) releaseJSON(p *Project, r *Release, now time.Time) map[string]any {
	return map[string]any{
		"tag_name": r.TagName, "description": "", "name": r.Name,
		"created_at": ts(r.CreatedAt), "released_at": ts(r.ReleasedAt), "upcoming_release": r.ReleasedAt.After(now),
		"author":      s.userJSON(r.Author),
		"commit":      s.commitJSON(p, Commit{SHA: r.SHA, Title: "release " + r.TagName, AuthoredAt: r.CreatedAt}),
		"milestones":  []any{},
		"commit_path": "/" + p.Path + "/-/commit/" + r.SHA, "tag_path": "/" + p.Path + "/-/tags/" + r.TagName,
		"assets":    map[string]any{"count": 0, "sources": []any{}, "links": []any{}},
		"evidences": []any{},
		"_links": map[string]any{
			"self":     s.URL() + "/" + p.Path + "/-/releases/" + r.TagName,
			"edit_url": s.URL() + "/" + p.Path + "/-/releases/" + r.TagName + "/edit",
		},
	}
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}
