package github

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/shurcooL/githubv4"
	"golang.org/x/sync/errgroup"

	"github.com/tach-dev/tach/collectors"
	"github.com/tach-dev/tach/store"
)

// Pull requests come from GraphQL, newest-updated first, with everything
// the metrics need in the same request: 100 pull requests per request where
// REST would take four requests per pull request (its list items carry no
// additions or deletions, and reviews, commits and files are separate
// lists). Their changed files come with them (files.go).

// watermarkOverlap is how far before the watermark an incremental walk
// still reads: timestamps are whole seconds, and an item updated in the
// same second as the newest one seen must not be missed.
const watermarkOverlap = 5 * time.Minute

type pageInfo struct {
	HasNextPage bool
	EndCursor   *githubv4.String
}

// rateLimitField is asked in every query: the budget and what the query
// cost, as GraphQL reports them.
type rateLimitField struct {
	Cost      int
	Remaining int
	ResetAt   time.Time
}

// actor is a pull request's, review's or deployment's author. A bot's
// login comes without "[bot]" from GraphQL; botLogin adds it back, so it is
// spelled as REST and webhooks spell it and the bots pattern matches it.
type actor struct {
	Login    string
	Typename string `graphql:"__typename"`
}

func (a *actor) botLogin() (string, bool) {
	if a == nil {
		return "ghost", false // a deleted account
	}
	if a.Typename == "Bot" {
		if !strings.HasSuffix(a.Login, "[bot]") {
			return a.Login + "[bot]", true
		}
		return a.Login, true
	}
	return a.Login, false
}

type prNode struct {
	Number         int
	FullDatabaseID string `graphql:"fullDatabaseId"`
	Title          string
	URL            string `graphql:"url"`
	Author         *actor
	IsDraft        bool
	State          string
	CreatedAt      time.Time
	UpdatedAt      time.Time
	MergedAt       *time.Time
	ClosedAt       *time.Time
	BaseRefName    string
	Additions      int
	Deletions      int
	ChangedFiles   int
	MergeCommit    *struct {
		Oid string
	}
	// Labels and reviews: the first 20 (the first review is the one the
	// metrics use; more than 20 labels is rare).
	Labels struct {
		Nodes []struct{ Name string }
	} `graphql:"labels(first: 20)"`
	// The oldest commits (the connection is oldest first and capped at
	// 250): the first commit is the earliest authored date among them, since
	// a rebase or cherry-pick can put an older authored date after a newer.
	Commits struct {
		Nodes []struct {
			Commit struct {
				AuthoredDate time.Time
			}
		}
	} `graphql:"commits(first: 10)"`
	Reviews struct {
		Nodes []reviewNode
	} `graphql:"reviews(first: 20)"`
	// The first draft/ready toggle says how the pull request was opened: a
	// ready-for-review event first means it was opened as a draft (ready
	// then); a convert-to-draft event first means it was opened ready.
	TimelineItems struct {
		Nodes []timelineNode
	} `graphql:"timelineItems(first: 1, itemTypes: [READY_FOR_REVIEW_EVENT, CONVERT_TO_DRAFT_EVENT])"`
	// The changed files: the first 100 (files.go pages on for more).
	Files *filesConn `graphql:"files(first: 100)"`
}

type reviewNode struct {
	FullDatabaseID string `graphql:"fullDatabaseId"`
	Author         *actor
	State          string
	SubmittedAt    *time.Time
}

type timelineNode struct {
	Typename            string `graphql:"__typename"`
	ReadyForReviewEvent struct {
		CreatedAt time.Time
	} `graphql:"... on ReadyForReviewEvent"`
}

type pullRequestsQuery struct {
	RateLimit  *rateLimitField
	Repository *struct {
		PullRequests struct {
			PageInfo pageInfo
			Nodes    []prNode
		} `graphql:"pullRequests(first: $first, after: $after, orderBy: {field: UPDATED_AT, direction: DESC}, states: [OPEN, CLOSED, MERGED])"`
	} `graphql:"repository(owner: $owner, name: $name)"`
}

// minPullRequestPage is the smallest page of pull requests a timed-out
// page is halved to.
const minPullRequestPage = 25

// timedOut reports whether a GraphQL request failed because GitHub could
// not answer it in its time limit: a 502 or 504, or a GraphQL error that
// says so.
func timedOut(err error) bool {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Status == http.StatusBadGateway || ae.Status == http.StatusGatewayTimeout
	}
	var ge *GraphQLError
	if errors.As(err, &ge) {
		m := strings.ToLower(ge.Message)
		return strings.Contains(m, "timeout") || strings.Contains(m, "timed out") || strings.Contains(m, "couldn't respond")
	}
	return false
}

// syncChanges walks pull requests from the most recently updated back to
// the watermark (the first sync: back to sync.history).
func (s *repoSync) syncChanges(ctx context.Context) error {
	ctx = s.ctxFor(ctx, collectors.ResourceChanges)
	w, err := s.startWalk(ctx, collectors.ResourceChanges)
	if err != nil {
		return err
	}
	stopAt := s.since
	if !w.old.Watermark.IsZero() {
		stopAt = w.old.Watermark.Add(-watermarkOverlap)
	}
	var mergesWalk *walk
	if s.repo.Source == "merges" {
		if mergesWalk, err = s.startWalk(ctx, collectors.ResourceDeployments); err != nil {
			return err
		}
	}
	// The next page is asked as soon as this one's cursor is known; each
	// page's files are completed at once, while later pages are asked (the
	// page chain is the walk's longest), and its rows are written in order
	// once they are complete, at most pagesPending pages behind.
	g, gctx := errgroup.WithContext(ctx)
	pages := collectors.NewPagesAhead[pullRequestsQuery](gctx)
	defer pages.Close()
	written := make(chan *pendingPage, pagesPending)
	g.Go(func() error {
		for pp := range written {
			if err := s.writePullRequests(gctx, w, mergesWalk, pp); err != nil {
				return err
			}
		}
		return nil
	})
	size := s.p.opts.PullRequestPageSize
	ask := func(after *githubv4.String) {
		pages.Ask(func(ctx context.Context) (pullRequestsQuery, error) { return s.pullRequestPage(ctx, after, &size) })
	}
	ask(nil)
	// The pages read before a failure are still written: the loop's error
	// does not stop the writer, which stops it only by its own.
	loopErr := func() error {
		defer close(written)
		for {
			q, err := pages.Next()
			if err != nil {
				return err
			}
			s.observeGraphQL(q.RateLimit)
			if q.Repository == nil {
				return errRepoGone(s.repo.Name)
			}
			conn := q.Repository.PullRequests
			pp := &pendingPage{done: !conn.PageInfo.HasNextPage, complete: make(chan struct{})}
			for _, n := range conn.Nodes {
				if n.UpdatedAt.Before(stopAt) {
					pp.done = true
					break
				}
				w.saw(n.UpdatedAt)
				pp.changes = append(pp.changes, toChange(n))
				pp.files = append(pp.files, filesOf(n))
			}
			pp.newest = w.newest
			if !pp.done {
				ask(conn.PageInfo.EndCursor)
			}
			// Its error is the writer's to return, in order: the pages
			// before it are still written.
			g.Go(func() error {
				defer close(pp.complete)
				pp.err = s.completeFiles(gctx, pp.files)
				return nil
			})
			select {
			case written <- pp:
			case <-gctx.Done():
				return gctx.Err()
			}
			if pp.done {
				return nil
			}
		}
	}()
	if err := g.Wait(); err != nil {
		return err
	}
	return loopErr
}

// pagesPending is how many pages of pull requests may wait for their files
// before the walk stops asking for more.
const pagesPending = 3

// pendingPage is a page of pull requests whose files are being completed.
type pendingPage struct {
	changes  []store.Change
	files    []*prFiles
	newest   time.Time // the walk's newest update once this page was read
	done     bool      // the walk's last page
	complete chan struct{}
	err      error // completeFiles's, once complete is closed
}

// writePullRequests writes a page of pull requests once its files are
// complete: the changes with their files, and, with deployments.source
// merges, the merges' deployments first, so the changes' watermark never
// passes a merge that has none.
func (s *repoSync) writePullRequests(ctx context.Context, w, mergesWalk *walk, pp *pendingPage) error {
	select {
	case <-pp.complete:
	case <-ctx.Done():
		return ctx.Err()
	}
	if pp.err != nil {
		return pp.err
	}
	write := func(b *collectors.Batch) error {
		page := make([]collectors.PageChange, len(pp.changes))
		for i, c := range pp.changes {
			page[i] = collectors.PageChange{Change: c}
			if f := pp.files[i]; f != nil && f.known {
				page[i].Files, page[i].FilesKnown = f.files, true
			} // else fetched by the change_files step
		}
		return b.Changes(ctx, page)
	}
	if mergesWalk != nil {
		mergesWalk.newest = pp.newest
		if err := commitDeploys(ctx, mergesWalk, pp.done, s.mergeDeployments(pp.changes)); err != nil {
			return err
		}
	}
	if pp.done {
		w.newest = pp.newest
		return w.finish(ctx, "", write)
	}
	return w.page(ctx, write)
}

// pullRequestPage asks for the page of pull requests after the cursor. A
// page GitHub cannot answer in time is asked again half as big (size,
// which the walk's later pages keep: one page is asked at a time).
func (s *repoSync) pullRequestPage(ctx context.Context, after *githubv4.String, size *int) (pullRequestsQuery, error) {
	for {
		var q pullRequestsQuery
		err := s.p.client.query(ctx, &q, s.vars(map[string]any{"first": githubv4.Int(*size), "after": after}))
		if err != nil && *size > minPullRequestPage && timedOut(err) {
			*size = max(*size/2, minPullRequestPage)
			s.p.log.Warn("github: pull requests page timed out; asking for smaller pages", "repo", s.repo.Name, "page_size", *size)
			continue
		}
		return q, err
	}
}

func commitDeploys(ctx context.Context, w *walk, done bool, deploys []store.Deployment) error {
	write := func(b *collectors.Batch) error {
		for _, d := range deploys {
			if _, err := b.Deployment(ctx, d); err != nil {
				return err
			}
		}
		return nil
	}
	if done {
		return w.finish(ctx, "", write)
	}
	return w.page(ctx, write)
}

// toChange maps a GraphQL pull request to a change.
func toChange(n prNode) store.Change {
	author, bot := n.Author.botLogin()
	c := store.Change{
		Number: int64(n.Number), ProviderID: n.FullDatabaseID, Title: n.Title, Author: author, AuthorIsBot: bot,
		Draft: n.IsDraft, CreatedAt: n.CreatedAt.UTC(), UpdatedAt: n.UpdatedAt.UTC(),
		Additions: n.Additions, Deletions: n.Deletions, ChangedFiles: n.ChangedFiles, SizeKnown: true,
		BaseBranch: n.BaseRefName, URL: n.URL,
	}
	switch n.State {
	case "MERGED":
		c.State = store.StateMerged
	case "CLOSED":
		c.State = store.StateClosed
	default:
		c.State = store.StateOpen
	}
	if n.MergedAt != nil {
		c.MergedAt = n.MergedAt.UTC()
	}
	if n.ClosedAt != nil {
		c.ClosedAt = n.ClosedAt.UTC()
	}
	// A squash merge's merge commit is the squash commit on the base
	// branch; a merge commit or the last rebased commit otherwise: the sha
	// a deployment's range contains either way.
	if n.MergeCommit != nil {
		c.MergeSHA = n.MergeCommit.Oid
	}
	for _, l := range n.Labels.Nodes {
		c.Labels = append(c.Labels, l.Name)
	}
	for _, cm := range n.Commits.Nodes {
		if t := cm.Commit.AuthoredDate; !t.IsZero() && (c.FirstCommitAt.IsZero() || t.Before(c.FirstCommitAt)) {
			c.FirstCommitAt = t.UTC()
		}
	}
	// Ready for review: opened (never a draft, or opened ready and turned
	// into a draft later), or marked ready if it was opened as a draft; not
	// yet while it is a draft.
	switch {
	case n.IsDraft:
	case len(n.TimelineItems.Nodes) > 0 && n.TimelineItems.Nodes[0].Typename == "ReadyForReviewEvent":
		c.ReadyAt = n.TimelineItems.Nodes[0].ReadyForReviewEvent.CreatedAt.UTC()
	default:
		c.ReadyAt = c.CreatedAt
	}
	// Every submitted review, bots' and the author's too: the metric rules
	// decide which counts as the first review.
	for _, r := range n.Reviews.Nodes {
		if r.SubmittedAt == nil { // pending: not submitted yet
			continue
		}
		login, bot := r.Author.botLogin()
		c.Reviews = append(c.Reviews, store.Review{
			ProviderID: r.FullDatabaseID, Author: login, AuthorIsBot: bot,
			State: strings.ToLower(r.State), SubmittedAt: r.SubmittedAt.UTC(),
		})
	}
	return c
}

// mergeDeployments are the deployments of source merges: every change
// merged into the default branch ships itself when it merges.
func (s *repoSync) mergeDeployments(changes []store.Change) []store.Deployment {
	if s.repo.Source != "merges" {
		return nil
	}
	var out []store.Deployment
	for _, c := range changes {
		if c.State != store.StateMerged || c.BaseBranch != s.defaultBranch {
			continue
		}
		out = append(out, store.Deployment{
			Source: "merges", ProviderID: strconv.FormatInt(c.Number, 10), Environment: "production",
			SHA: c.MergeSHA, Ref: s.defaultBranch, Status: "success", Creator: c.Author, URL: c.URL,
			CreatedAt: c.MergedAt, FinishedAt: c.MergedAt, UpdatedAt: c.MergedAt,
		})
	}
	return out
}

// observeGraphQL feeds a query's rateLimit to the budget (the headers say
// the same; a GitHub Enterprise Server without rate limits sends neither).
func (s *repoSync) observeGraphQL(rl *rateLimitField) {
	if rl == nil || rl.ResetAt.IsZero() {
		return
	}
	scope := s.p.transport.creds.scope(call{repo: s.repo.Name})
	s.p.transport.budget.observe(rateInfo{resource: budgetName(scope, "graphql"), remaining: rl.Remaining, reset: rl.ResetAt, known: true})
}
