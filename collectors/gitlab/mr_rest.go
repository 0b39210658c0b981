package gitlab

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	gl "gitlab.com/gitlab-org/api/client-go"

	"github.com/tach-dev/tach/collectors"
	"github.com/tach-dev/tach/store"
)

// mergeRequestsREST syncs MRs by REST, for a GitLab whose GraphQL cannot
// answer: the list (updated_after, ascending updated_at) has no notes,
// commits or sizes, so each MR costs three more requests (commits, notes,
// diffs; more when they run past a page).
func (p *Provider) mergeRequestsREST(ctx context.Context, proj *project, st store.SyncState) error {
	fetch := p.mergeRequestPages(ctx, proj, "all", time.Time{}, "list merge requests (GET /projects/:id/merge_requests)")
	return walkUpdated(ctx, since(st, proj.sink), fetch, mrUpdated, mrID, func(items []*gl.BasicMergeRequest, wm time.Time, last bool) error {
		mrs := make([]mergeRequest, 0, len(items))
		for _, it := range items {
			if same, err := storedAsIs(ctx, proj, it); err != nil || same {
				if err != nil {
					return err
				}
				continue // the MR at the watermark, read by the last sync: its details are stored
			}
			m := restMergeRequest(it)
			if err := p.restDetails(ctx, proj, &m); err != nil {
				return err
			}
			mrs = append(mrs, m)
		}
		return proj.commitMergeRequests(ctx, &st, mrs, wm, last)
	})
}

// mergeRequestPages reads pages of the project's merge requests in a state
// (all, merged, ...) updated since a time (and up to before, inclusive,
// when it is not zero), oldest update first; op names the list in errors.
func (p *Provider) mergeRequestPages(ctx context.Context, proj *project, state string, before time.Time, op string) fetchPage[*gl.BasicMergeRequest] {
	return func(after time.Time, page gl.RequestOptionFunc) ([]*gl.BasicMergeRequest, *gl.Response, error) {
		opts := &gl.ListProjectMergeRequestsOptions{
			ListOptions: gl.ListOptions{PerPage: int64(p.opts.PageSize)},
			State:       ptr(state), OrderBy: ptr("updated_at"), Sort: ptr("asc"), UpdatedAfter: &after,
		}
		if !before.IsZero() {
			opts.UpdatedBefore = ptr(before.UTC())
		}
		items, resp, err := p.client.MergeRequests.ListProjectMergeRequests(proj.id, opts,
			withPage([]gl.RequestOptionFunc{proj.reqCtx(ctx, collectors.ResourceChanges)}, page)...)
		if err != nil {
			return nil, resp, p.apiError(proj.repo.Name, op, resp, err)
		}
		return items, resp, nil
	}
}

func mrUpdated(m *gl.BasicMergeRequest) time.Time { return tm(m.UpdatedAt) }

func mrID(m *gl.BasicMergeRequest) int64 { return m.ID }

// storedAsIs reports whether the store holds the MR as last updated at
// the time the list gives, so reading its details again would change
// nothing (the list repeats the MR at the watermark on every sync).
func storedAsIs(ctx context.Context, proj *project, it *gl.BasicMergeRequest) (bool, error) {
	c, err := proj.sink.StoredChange(ctx, it.IID)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("sync %s: %w", proj.repo.Name, err)
	}
	return c.UpdatedAt.Equal(tm(it.UpdatedAt).Truncate(time.Second)), nil
}

func restMergeRequest(it *gl.BasicMergeRequest) mergeRequest {
	m := mergeRequest{
		ID: strconv.FormatInt(it.ID, 10), IID: it.IID, Title: it.Title, State: it.State, Draft: it.Draft,
		Labels:    []string(it.Labels),
		CreatedAt: tm(it.CreatedAt), UpdatedAt: tm(it.UpdatedAt), MergedAt: tm(it.MergedAt), ClosedAt: tm(it.ClosedAt),
		TargetBranch: it.TargetBranch, WebURL: it.WebURL,
		MergeSHA: it.MergeCommitSHA, SquashSHA: it.SquashCommitSHA, HeadSHA: it.SHA,
	}
	if it.Author != nil {
		m.Author, m.AuthorBot = it.Author.Username, restBot(it.Author.Username)
	}
	return m
}

// restBot recognises bot users by username, since REST's user objects
// carry no bot flag (GraphQL's do): project, group and service-account
// access token users (project_123_bot_…, group_45_bot_…), GitLab's
// internal bots, and the -bot / [bot] names bots go by. The bots pattern
// of the config is applied on top by the rules.
func restBot(username string) bool {
	u := strings.ToLower(username)
	return strings.Contains(u, "_bot_") || strings.HasSuffix(u, "_bot") || strings.HasSuffix(u, "-bot") ||
		strings.HasSuffix(u, "[bot]") || strings.HasPrefix(u, "service_account_") || u == "ghost"
}

// restDetails reads an MR's commits (first commit), notes (reviews, ready
// time) and diffs (size and files).
func (p *Provider) restDetails(ctx context.Context, proj *project, m *mergeRequest) error {
	reqOpts := []gl.RequestOptionFunc{proj.reqCtx(ctx, collectors.ResourceChanges)}
	commits, err := listAll(ctx, func(page gl.RequestOptionFunc) ([]*gl.Commit, *gl.Response, error) {
		return p.client.MergeRequests.GetMergeRequestCommits(proj.id, m.IID,
			&gl.GetMergeRequestCommitsOptions{ListOptions: gl.ListOptions{PerPage: 100}}, withPage(reqOpts, page)...)
	})
	if err != nil {
		return p.apiError(proj.repo.Name, fmt.Sprintf("list commits of merge request !%d (GET /projects/:id/merge_requests/%d/commits)", m.IID, m.IID), nil, err)
	}
	for _, c := range commits {
		m.FirstCommitAt = earliest(m.FirstCommitAt, tm(c.AuthoredDate))
	}

	notes, err := listAll(ctx, func(page gl.RequestOptionFunc) ([]*gl.Note, *gl.Response, error) {
		return p.client.Notes.ListMergeRequestNotes(proj.id, m.IID, &gl.ListMergeRequestNotesOptions{
			ListOptions: gl.ListOptions{PerPage: 100}, OrderBy: ptr("created_at"), Sort: ptr("asc"),
		}, withPage(reqOpts, page)...)
	})
	if err != nil {
		return p.apiError(proj.repo.Name, fmt.Sprintf("list notes of merge request !%d (GET /projects/:id/merge_requests/%d/notes)", m.IID, m.IID), nil, err)
	}
	for _, n := range notes {
		m.Notes = append(m.Notes, note{ID: strconv.FormatInt(n.ID, 10), Body: n.Body, System: n.System,
			CreatedAt: tm(n.CreatedAt), Author: n.Author.Username, AuthorBot: restBot(n.Author.Username)})
	}

	diffs, err := p.mergeRequestDiffs(ctx, proj, collectors.ResourceChanges, m.IID)
	if err != nil {
		return err
	}
	m.Size = diffSize(diffs)
	m.Files, m.FilesKnown = diffFiles(diffs), true
	return nil
}

// diffFiles are the files of an MR's diffs with their added and removed
// lines, and a rename's old path (old_path). A diff GitLab left out as
// too large counts no lines: its path is still a path the MR touched.
func diffFiles(diffs []*gl.MergeRequestDiff) []store.ChangeFile {
	out := make([]store.ChangeFile, len(diffs))
	for i, d := range diffs {
		f := store.ChangeFile{Path: d.NewPath}
		if d.RenamedFile && d.OldPath != d.NewPath {
			f.PreviousPath = d.OldPath
		}
		for line := range strings.SplitSeq(d.Diff, "\n") {
			// GitLab's per-file diff has no ---/+++ headers: it starts at @@.
			switch {
			case strings.HasPrefix(line, "+"):
				f.Additions++
			case strings.HasPrefix(line, "-"):
				f.Deletions++
			}
		}
		out[i] = f
	}
	return out
}

// mergeRequestDiffs lists an MR's diffs, 100 a page.
func (p *Provider) mergeRequestDiffs(ctx context.Context, proj *project, resource string, iid int64) ([]*gl.MergeRequestDiff, error) {
	reqOpts := []gl.RequestOptionFunc{proj.reqCtx(ctx, resource)}
	diffs, err := listAll(ctx, func(page gl.RequestOptionFunc) ([]*gl.MergeRequestDiff, *gl.Response, error) {
		return p.client.MergeRequests.ListMergeRequestDiffs(proj.id, iid,
			&gl.ListMergeRequestDiffsOptions{ListOptions: gl.ListOptions{PerPage: 100}}, withPage(reqOpts, page)...)
	})
	if err != nil {
		return nil, p.apiError(proj.repo.Name, fmt.Sprintf("list diffs of merge request !%d (GET /projects/:id/merge_requests/%d/diffs)", iid, iid), nil, err)
	}
	return diffs, nil
}

// diffSize counts added and removed lines of an MR's diffs; unknown (nil)
// when GitLab left a diff out as too large.
func diffSize(diffs []*gl.MergeRequestDiff) *diffStats {
	for _, d := range diffs {
		if d.TooLarge || (d.Collapsed && d.Diff == "") {
			return nil
		}
	}
	s := &diffStats{Files: len(diffs)}
	for _, f := range diffFiles(diffs) {
		s.Additions += f.Additions
		s.Deletions += f.Deletions
	}
	return s
}
