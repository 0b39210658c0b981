package gitlab

import (
	"cmp"
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tach-dev/tach/collectors"
	"github.com/tach-dev/tach/store"
)

// mergeRequestsQuery asks for a page of MRs updated since a time, oldest
// update first, with all the change row needs (and the MR's changed
// files: diffStats, the new path of each) but the squash commit
// (GitLab's MergeRequest type has no squashCommitSha; squashCommits reads
// it from the REST list): REST would take a list request plus commits,
// notes and diffs requests per MR. Notes bring
// comments, approvals (system notes: the approvals API has no times) and
// draft/ready toggles. The cursor is a keyset on (updated_at, id), so an
// MR updated while the sync pages moves behind it without shifting others.
// updatedBefore (null: none) bounds a part of a first sync's window but
// the newest; GitLab's updatedAfter and updatedBefore are both inclusive.
const mergeRequestsQuery = `query TachMergeRequests($fullPath: ID!, $updatedAfter: Time, $updatedBefore: Time, $first: Int!, $after: String) {
  project(fullPath: $fullPath) {
    mergeRequests(updatedAfter: $updatedAfter, updatedBefore: $updatedBefore, sort: UPDATED_ASC, first: $first, after: $after) {
      pageInfo { hasNextPage endCursor }
      nodes {
        id iid title state draft
        createdAt updatedAt mergedAt CLOSED_AT
        targetBranch webUrl mergeCommitSha diffHeadSha
        author { username bot }
        labels(first: 100) { nodes { title } }
        diffStatsSummary { additions deletions fileCount }
        diffStats { path additions deletions }
        commits(first: 100) { pageInfo { hasNextPage endCursor } nodes { authoredDate } }
        notes(first: 100) { pageInfo { hasNextPage endCursor } nodes { id body system createdAt author { username bot } } }
      }
    }
  }
}`

// closedAtField is the one field GitLab added late (17.4); on an older
// GitLab the query is sent without it, and a closed MR's close time is its
// last update.
const closedAtField = "closedAt"

// mergeRequestsQueryFor returns the MR query with or without closedAt.
func mergeRequestsQueryFor(withClosedAt bool) string {
	if withClosedAt {
		return strings.Replace(mergeRequestsQuery, "CLOSED_AT", closedAtField, 1)
	}
	return strings.Replace(mergeRequestsQuery, " CLOSED_AT", "", 1)
}

// mergeRequestNotesQuery and mergeRequestCommitsQuery page on through an
// MR with more than 100 notes or commits (rare).
const mergeRequestNotesQuery = `query TachMergeRequestNotes($fullPath: ID!, $iid: String!, $after: String) {
  project(fullPath: $fullPath) {
    mergeRequest(iid: $iid) {
      notes(first: 100, after: $after) { pageInfo { hasNextPage endCursor } nodes { id body system createdAt author { username bot } } }
    }
  }
}`

const mergeRequestCommitsQuery = `query TachMergeRequestCommits($fullPath: ID!, $iid: String!, $after: String) {
  project(fullPath: $fullPath) {
    mergeRequest(iid: $iid) {
      commits(first: 100, after: $after) { pageInfo { hasNextPage endCursor } nodes { authoredDate } }
    }
  }
}`

type gqlPageInfo struct {
	HasNextPage bool   `json:"hasNextPage"`
	EndCursor   string `json:"endCursor"`
}

type gqlUser struct {
	Username string `json:"username"`
	Bot      bool   `json:"bot"`
}

type gqlNote struct {
	ID        string     `json:"id"`
	Body      string     `json:"body"`
	System    bool       `json:"system"`
	CreatedAt *time.Time `json:"createdAt"`
	Author    *gqlUser   `json:"author"`
}

type gqlNotes struct {
	PageInfo gqlPageInfo `json:"pageInfo"`
	Nodes    []gqlNote   `json:"nodes"`
}

type gqlCommits struct {
	PageInfo gqlPageInfo `json:"pageInfo"`
	Nodes    []struct {
		AuthoredDate *time.Time `json:"authoredDate"`
	} `json:"nodes"`
}

// gqlDiffStat is one changed file of an MR: its path (after the change;
// GraphQL has no old path) and lines.
type gqlDiffStat struct {
	Path      string `json:"path"`
	Additions int    `json:"additions"`
	Deletions int    `json:"deletions"`
}

// changeFiles are the files of diffStats; known is false when GitLab gave
// none (null).
func changeFiles(stats *[]gqlDiffStat) (files []store.ChangeFile, known bool) {
	if stats == nil {
		return nil, false
	}
	files = make([]store.ChangeFile, len(*stats))
	for i, s := range *stats {
		files[i] = store.ChangeFile{Path: s.Path, Additions: s.Additions, Deletions: s.Deletions}
	}
	return files, true
}

type gqlMergeRequest struct {
	ID             string     `json:"id"`
	IID            string     `json:"iid"`
	Title          string     `json:"title"`
	State          string     `json:"state"`
	Draft          bool       `json:"draft"`
	CreatedAt      *time.Time `json:"createdAt"`
	UpdatedAt      *time.Time `json:"updatedAt"`
	MergedAt       *time.Time `json:"mergedAt"`
	ClosedAt       *time.Time `json:"closedAt"`
	TargetBranch   string     `json:"targetBranch"`
	WebURL         string     `json:"webUrl"`
	MergeCommitSha string     `json:"mergeCommitSha"`
	DiffHeadSha    string     `json:"diffHeadSha"`
	Author         *gqlUser   `json:"author"`
	Labels         struct {
		Nodes []struct {
			Title string `json:"title"`
		} `json:"nodes"`
	} `json:"labels"`
	DiffStatsSummary *struct {
		Additions int `json:"additions"`
		Deletions int `json:"deletions"`
		FileCount int `json:"fileCount"`
	} `json:"diffStatsSummary"`
	DiffStats *[]gqlDiffStat `json:"diffStats"`
	Commits   gqlCommits     `json:"commits"`
	Notes     gqlNotes       `json:"notes"`
}

// model turns a GraphQL MR into the shared model (notes and commits of the
// first page only, and no squash commit: the caller adds them).
func (g gqlMergeRequest) model() (mergeRequest, error) {
	iid, err := strconv.ParseInt(g.IID, 10, 64)
	if err != nil {
		return mergeRequest{}, fmt.Errorf("merge request iid %q: %w", g.IID, err)
	}
	m := mergeRequest{
		ID: numericID(g.ID), IID: iid, Title: g.Title, State: g.State, Draft: g.Draft,
		CreatedAt: tm(g.CreatedAt), UpdatedAt: tm(g.UpdatedAt), MergedAt: tm(g.MergedAt), ClosedAt: tm(g.ClosedAt),
		TargetBranch: g.TargetBranch, WebURL: g.WebURL,
		MergeSHA: g.MergeCommitSha, HeadSHA: g.DiffHeadSha,
	}
	if m.ClosedAt.IsZero() && m.State == "closed" {
		m.ClosedAt = m.UpdatedAt // a GitLab without closedAt
	}
	if g.Author != nil {
		m.Author, m.AuthorBot = g.Author.Username, g.Author.Bot
	}
	for _, l := range g.Labels.Nodes {
		m.Labels = append(m.Labels, l.Title)
	}
	if s := g.DiffStatsSummary; s != nil {
		m.Size = &diffStats{Additions: s.Additions, Deletions: s.Deletions, Files: s.FileCount}
	}
	m.Files, m.FilesKnown = changeFiles(g.DiffStats)
	m.addCommits(g.Commits)
	m.addNotes(g.Notes)
	return m, nil
}

func (m *mergeRequest) addCommits(c gqlCommits) {
	for _, n := range c.Nodes {
		m.FirstCommitAt = earliest(m.FirstCommitAt, tm(n.AuthoredDate))
	}
}

func (m *mergeRequest) addNotes(ns gqlNotes) {
	for _, n := range ns.Nodes {
		nt := note{ID: numericID(n.ID), Body: n.Body, System: n.System, CreatedAt: tm(n.CreatedAt)}
		if n.Author != nil {
			nt.Author, nt.AuthorBot = n.Author.Username, n.Author.Bot
		}
		m.Notes = append(m.Notes, nt)
	}
}

// mrConnection is a page of merge requests.
type mrConnection struct {
	PageInfo gqlPageInfo       `json:"pageInfo"`
	Nodes    []gqlMergeRequest `json:"nodes"`
}

// mergeRequestsGraphQL syncs MRs page by page, each page committed as it
// is read. A first sync walks its window in parts at once (see
// splitWindow), a re-sync from the watermark in one walk.
func (p *Provider) mergeRequestsGraphQL(ctx context.Context, proj *project, st store.SyncState) error {
	from := since(st, proj.sink).UTC().Truncate(time.Second)
	bounds := splitWindow(st, proj.sink, from, cmp.Or(p.opts.mrParts, defaultMRParts))
	if len(bounds) == 0 || p.opts.singleWalk {
		return p.mergeRequestWalk(ctx, proj, from, time.Time{}, from,
			func(ctx context.Context, mrs []mergeRequest, watermark time.Time, last bool) error {
				return proj.commitMergeRequests(ctx, &st, mrs, watermark, last)
			})
	}
	w := &mrWalks{proj: proj, st: st, walks: len(bounds) + 1}
	return walkParts(ctx, from, bounds, func(ctx context.Context, part int, after, before time.Time) error {
		return p.mergeRequestWalk(ctx, proj, after, before, from, func(ctx context.Context, mrs []mergeRequest, watermark time.Time, last bool) error {
			return w.commit(ctx, part, mrs, watermark, last)
		})
	})
}

// defaultMRParts is how many parts a first sync reads its merge requests in: a
// project's merge requests are its longest chain of pages (a page's cursor
// names the next, and 50 is the most GitLab's complexity limit lets a page
// of them hold).
const defaultMRParts = 3

// mrWalks commits the pages of a first sync's parts into the one state of
// the changes. The watermark is the newest update under which every merge
// request is stored, so only the oldest part moves it (a page of another
// is committed with the watermark as it was): a sync that fails in any
// part leaves the watermark within the oldest, and the next sync reads the
// rest again (upserting is idempotent). The commit that finishes the last
// of the parts takes the newest update of all and says done; none before
// it does.
//
// An MR at a bound comes in both parts beside it, the same: written twice,
// it changes nothing. One of an older part updated while the sync runs
// moves to the newest part's end, and that part may write it before the
// older one commits the page that read it as it was: that older read is
// left out (written), as a single walk, which reads it again after, never
// writes it back.
type mrWalks struct {
	proj  *project
	walks int
	mu    sync.Mutex // held through each commit: st and the fields below
	st    store.SyncState
	// newer is the newest update the parts but the oldest read; finished
	// counts the parts whose last page is committed.
	newer    time.Time
	finished int
	// written is the update of each MR as committed, by iid.
	written writes[int64]
}

// commit writes a page of part i (0 the oldest) read up to watermark.
func (w *mrWalks) commit(ctx context.Context, part int, mrs []mergeRequest, watermark time.Time, last bool) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	var older time.Time
	if part == 0 {
		older = watermark
	} else {
		w.newer = later(w.newer, watermark)
	}
	if last {
		w.finished++
	}
	done := w.finished == w.walks
	if done {
		older = later(older, w.newer)
	}
	if w.written == nil {
		w.written = writes[int64]{}
	}
	fresh := make([]mergeRequest, 0, len(mrs))
	for _, m := range mrs {
		if w.written.stale(m.IID, m.UpdatedAt) {
			continue // another part wrote it as updated since
		}
		fresh = append(fresh, m)
	}
	if err := w.proj.commitMergeRequests(ctx, &w.st, fresh, older, done); err != nil {
		return err
	}
	for _, m := range fresh {
		w.written[m.IID] = m.UpdatedAt
	}
	return nil
}

// mrCommit commits a page of merge requests with the watermark the walk
// reached and whether it was the walk's last page.
type mrCommit func(ctx context.Context, mrs []mergeRequest, watermark time.Time, last bool) error

// mergeRequestWalk reads the merge requests updated from after (and up to
// before, when not zero), page by page, and hands each page to commit with
// the newest update read so far (at least watermark). The next page is
// asked as soon as this one's cursor is known, while this one's squash
// commits (and notes or commits beyond the first 100) are read and its
// rows written.
func (p *Provider) mergeRequestWalk(ctx context.Context, proj *project, after, before, watermark time.Time, commit mrCommit) error {
	squash := p.newSquashCommits(ctx, proj, after, before)
	pages := collectors.NewPagesAhead[mrConnection](ctx)
	defer pages.Close()
	pageSize := p.opts.GraphQLPageSize // changed only by the page in flight
	ask := func(cursor any) {
		pages.Ask(func(ctx context.Context) (mrConnection, error) {
			return p.mergeRequestPage(ctx, proj, after, before, cursor, &pageSize)
		})
	}
	ask(nil)
	for {
		conn, err := pages.Next()
		if err != nil {
			return err
		}
		last := !conn.PageInfo.HasNextPage || len(conn.Nodes) == 0
		if !last {
			ask(conn.PageInfo.EndCursor)
		}
		mrs := make([]mergeRequest, 0, len(conn.Nodes))
		for _, n := range conn.Nodes {
			m, err := n.model()
			if err != nil {
				return fmt.Errorf("sync %s: list merge requests: malformed response: %w", proj.repo.Name, err)
			}
			if n.Notes.PageInfo.HasNextPage {
				if err := p.moreNotes(ctx, proj, &m, n.Notes.PageInfo.EndCursor); err != nil {
					return err
				}
			}
			if n.Commits.PageInfo.HasNextPage {
				if err := p.moreCommits(ctx, proj, &m, n.Commits.PageInfo.EndCursor); err != nil {
					return err
				}
			}
			if m.State == "merged" {
				if m.SquashSHA, err = squash.lookup(ctx, m.IID); err != nil {
					return err
				}
			}
			watermark = later(watermark, m.UpdatedAt)
			mrs = append(mrs, m)
		}
		if err := commit(ctx, mrs, watermark, last); err != nil {
			return err
		}
		if last {
			return nil
		}
	}
}

// mergeRequestPage asks for the page of merge requests updated from a
// time (up to another, when not zero) after the cursor (nil: the first),
// again without closedAt on a GitLab that lacks it, or smaller on one
// that finds it too complex (size, which later pages keep).
func (p *Provider) mergeRequestPage(ctx context.Context, proj *project, from, before time.Time, after any, size *int) (mrConnection, error) {
	var updatedBefore any // null: no bound
	if !before.IsZero() {
		updatedBefore = before.UTC().Format(time.RFC3339)
	}
	for {
		var data struct {
			Project *struct {
				MergeRequests mrConnection `json:"mergeRequests"`
			} `json:"project"`
		}
		vars := map[string]any{"fullPath": proj.repo.Name, "updatedAfter": from.Format(time.RFC3339),
			"updatedBefore": updatedBefore, "first": *size, "after": after}
		withClosedAt := !p.noClosedAt.Load()
		err := p.graphql(ctx, proj, collectors.ResourceChanges, "list merge requests", mergeRequestsQueryFor(withClosedAt), vars, &data)
		if withClosedAt && refusedField(err, "MergeRequest."+closedAtField) {
			p.noClosedAt.Store(true)
			continue // the same page again, without the field this GitLab lacks
		}
		if n := p.smallerPage(err, *size, "merge requests", proj.repo.Name); n > 0 {
			*size = n
			continue // the same page again, smaller
		}
		if err != nil {
			return mrConnection{}, err
		}
		if data.Project == nil {
			return mrConnection{}, fmt.Errorf("sync %s: list merge requests: GraphQL sees no project %s: %w", proj.repo.Name, proj.repo.Name, collectors.ErrRepoNotFound)
		}
		return data.Project.MergeRequests, nil
	}
}

// moreNotes pages through the rest of an MR's notes.
func (p *Provider) moreNotes(ctx context.Context, proj *project, m *mergeRequest, cursor string) error {
	for {
		var data struct {
			Project *struct {
				MergeRequest *struct {
					Notes gqlNotes `json:"notes"`
				} `json:"mergeRequest"`
			} `json:"project"`
		}
		vars := map[string]any{"fullPath": proj.repo.Name, "iid": strconv.FormatInt(m.IID, 10), "after": cursor}
		op := fmt.Sprintf("list notes of merge request !%d", m.IID)
		if err := p.graphql(ctx, proj, collectors.ResourceChanges, op, mergeRequestNotesQuery, vars, &data); err != nil {
			return err
		}
		if data.Project == nil || data.Project.MergeRequest == nil {
			return nil // gone since the list: nothing more to read
		}
		ns := data.Project.MergeRequest.Notes
		m.addNotes(ns)
		if !ns.PageInfo.HasNextPage || len(ns.Nodes) == 0 {
			return nil
		}
		cursor = ns.PageInfo.EndCursor
	}
}

// moreCommits pages through the rest of an MR's commits.
func (p *Provider) moreCommits(ctx context.Context, proj *project, m *mergeRequest, cursor string) error {
	for {
		var data struct {
			Project *struct {
				MergeRequest *struct {
					Commits gqlCommits `json:"commits"`
				} `json:"mergeRequest"`
			} `json:"project"`
		}
		vars := map[string]any{"fullPath": proj.repo.Name, "iid": strconv.FormatInt(m.IID, 10), "after": cursor}
		op := fmt.Sprintf("list commits of merge request !%d", m.IID)
		if err := p.graphql(ctx, proj, collectors.ResourceChanges, op, mergeRequestCommitsQuery, vars, &data); err != nil {
			return err
		}
		if data.Project == nil || data.Project.MergeRequest == nil {
			return nil
		}
		cs := data.Project.MergeRequest.Commits
		m.addCommits(cs)
		if !cs.PageInfo.HasNextPage || len(cs.Nodes) == 0 {
			return nil
		}
		cursor = cs.PageInfo.EndCursor
	}
}
