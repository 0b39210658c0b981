package github

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/shurcooL/githubv4"

	"github.com/tach-dev/tach/collectors"
	"github.com/tach-dev/tach/store"
)

// Deployments by the repo's deployments.source:
//   - deployments: GitHub deployments from GraphQL, 100 per request with
//     their statuses (REST needs one more request per deployment for them);
//   - releases: published releases from GraphQL, with the commit their tag
//     points to (REST needs one more request per tag for it);
//   - workflow: runs of the deploy workflow, read with the CI runs (runs.go);
//   - merges: every merge into the default branch, written with the pull
//     requests (pulls.go).
//
// Every environment is stored, not only the production ones: the metric
// rules pick production with their regex, and filtering by name on the API
// needs exact names, which a regex does not give.

// pendingLookback bounds how far back a pending deployment is read again:
// one pending for longer is taken as abandoned (GitHub keeps deployments
// without a final status forever), so that it does not make every sync walk
// back to it.
const pendingLookback = 7 * 24 * time.Hour

// releaseLookback is how far before the watermark the releases walk goes:
// releases are ordered by creation, and a release drafted earlier may be
// published later.
const releaseLookback = 30 * 24 * time.Hour

type deploymentNode struct {
	DatabaseID  int64 `graphql:"databaseId"`
	Environment *string
	CommitOid   string
	Ref         *struct{ Name string }
	Creator     *actor
	CreatedAt   time.Time
	UpdatedAt   time.Time
	// The first 20 statuses: the first terminal one decides, and a
	// deployment rarely has more than four (queued, in_progress, success,
	// inactive).
	Statuses *struct {
		Nodes []statusNode
	} `graphql:"statuses(first: 20)"`
}

type statusNode struct {
	State     string
	CreatedAt time.Time
}

type deploymentsQuery struct {
	RateLimit  *rateLimitField
	Repository *struct {
		Deployments struct {
			PageInfo pageInfo
			Nodes    []deploymentNode
		} `graphql:"deployments(first: $first, after: $after, orderBy: {field: CREATED_AT, direction: DESC})"`
	} `graphql:"repository(owner: $owner, name: $name)"`
}

type releaseNode struct {
	DatabaseID   int64 `graphql:"databaseId"`
	TagName      string
	URL          string `graphql:"url"`
	IsDraft      bool
	IsPrerelease bool
	CreatedAt    time.Time
	PublishedAt  *time.Time
	UpdatedAt    time.Time
	Author       *struct{ Login string }
	TagCommit    *struct{ Oid string }
}

type releasesQuery struct {
	RateLimit  *rateLimitField
	Repository *struct {
		Releases struct {
			PageInfo pageInfo
			Nodes    []releaseNode
		} `graphql:"releases(first: $first, after: $after, orderBy: {field: CREATED_AT, direction: DESC})"`
	} `graphql:"repository(owner: $owner, name: $name)"`
}

func errRepoGone(name string) error {
	return fmt.Errorf("%w: %s no longer answers (deleted or renamed during the sync?)", collectors.ErrRepoNotFound, name)
}

func (s *repoSync) syncDeployments(ctx context.Context) error {
	switch s.repo.Source {
	case "releases":
		return s.syncReleases(ctx)
	case "workflow", "merges":
		return nil // written with the CI runs / the pull requests
	default:
		return s.syncGitHubDeployments(ctx)
	}
}

// syncGitHubDeployments walks deployments newest first back past the
// watermark and past the oldest one still pending, whose status may have
// changed since.
func (s *repoSync) syncGitHubDeployments(ctx context.Context) error {
	ctx = s.ctxFor(ctx, collectors.ResourceDeployments)
	w, err := s.startWalk(ctx, collectors.ResourceDeployments)
	if err != nil {
		return err
	}
	stopAt := s.since
	if !w.old.Watermark.IsZero() {
		stopAt = w.old.Watermark.Add(-watermarkOverlap)
		pending, err := s.sink.OldestPendingDeployment(ctx, "deployments", s.now().Add(-pendingLookback))
		if err != nil {
			return err
		}
		if !pending.IsZero() && pending.Before(stopAt) {
			stopAt = pending
		}
	}
	var after *githubv4.String
	for {
		var q deploymentsQuery
		if err := s.p.client.query(ctx, &q, s.vars(map[string]any{"first": githubv4.Int(s.p.opts.PageSize), "after": after})); err != nil {
			return err
		}
		s.observeGraphQL(q.RateLimit)
		if q.Repository == nil {
			return errRepoGone(s.repo.Name)
		}
		conn := q.Repository.Deployments
		done := !conn.PageInfo.HasNextPage
		var deps []store.Deployment
		for _, n := range conn.Nodes {
			if n.CreatedAt.Before(stopAt) {
				done = true
				break
			}
			w.saw(n.CreatedAt)
			deps = append(deps, toDeployment(n))
		}
		if err := commitDeploys(ctx, w, done, deps); err != nil {
			return err
		}
		if done {
			return nil
		}
		after = conn.PageInfo.EndCursor
	}
}

// toDeployment maps a GraphQL deployment: its first terminal status
// (success, failure, error) decides it and its time is the finish; a later
// inactive (GitHub marks a superseded deployment inactive) changes nothing.
// One that went inactive without a terminal status never finished: it is
// canceled. Anything else is pending.
func toDeployment(n deploymentNode) store.Deployment {
	creator, _ := n.Creator.botLogin()
	d := store.Deployment{
		Source: "deployments", ProviderID: strconv.FormatInt(n.DatabaseID, 10), SHA: n.CommitOid,
		Status: "pending", Creator: creator, CreatedAt: n.CreatedAt.UTC(), UpdatedAt: n.UpdatedAt.UTC(),
	}
	if n.Environment != nil {
		d.Environment = *n.Environment
	}
	if n.Ref != nil {
		d.Ref = n.Ref.Name
	}
	if n.Statuses == nil {
		return d
	}
	sts := slices.Clone(n.Statuses.Nodes)
	slices.SortStableFunc(sts, func(a, b statusNode) int { return a.CreatedAt.Compare(b.CreatedAt) })
	for _, st := range sts {
		switch st.State {
		case "SUCCESS", "FAILURE", "ERROR":
			d.Status = map[string]string{"SUCCESS": "success", "FAILURE": "failure", "ERROR": "error"}[st.State]
			d.FinishedAt = st.CreatedAt.UTC()
			return d
		}
	}
	if len(sts) > 0 && sts[len(sts)-1].State == "INACTIVE" {
		d.Status, d.FinishedAt = "canceled", sts[len(sts)-1].CreatedAt.UTC()
	}
	return d
}

// syncReleases walks releases newest first back to the watermark (less
// releaseLookback); published releases that are neither drafts nor
// prereleases are deployments of the commit their tag points to, at their
// publication.
func (s *repoSync) syncReleases(ctx context.Context) error {
	ctx = s.ctxFor(ctx, collectors.ResourceDeployments)
	w, err := s.startWalk(ctx, collectors.ResourceDeployments)
	if err != nil {
		return err
	}
	stopAt := s.since.Add(-releaseLookback)
	if !w.old.Watermark.IsZero() {
		stopAt = w.old.Watermark.Add(-releaseLookback)
	}
	var after *githubv4.String
	for {
		var q releasesQuery
		if err := s.p.client.query(ctx, &q, s.vars(map[string]any{"first": githubv4.Int(s.p.opts.PageSize), "after": after})); err != nil {
			return err
		}
		s.observeGraphQL(q.RateLimit)
		if q.Repository == nil {
			return errRepoGone(s.repo.Name)
		}
		conn := q.Repository.Releases
		done := !conn.PageInfo.HasNextPage
		var deps []store.Deployment
		for _, n := range conn.Nodes {
			if n.CreatedAt.Before(stopAt) {
				done = true
				break
			}
			w.saw(n.CreatedAt)
			if n.IsDraft || n.IsPrerelease || n.PublishedAt == nil || n.PublishedAt.Before(s.since) {
				continue
			}
			d := store.Deployment{
				Source: "releases", ProviderID: strconv.FormatInt(n.DatabaseID, 10), Environment: "production",
				Ref: n.TagName, Status: "success", URL: n.URL,
				CreatedAt: n.PublishedAt.UTC(), FinishedAt: n.PublishedAt.UTC(), UpdatedAt: n.UpdatedAt.UTC(),
			}
			if n.TagCommit != nil {
				d.SHA = n.TagCommit.Oid
			}
			if n.Author != nil {
				d.Creator = n.Author.Login
			}
			deps = append(deps, d)
		}
		if err := commitDeploys(ctx, w, done, deps); err != nil {
			return err
		}
		if done {
			return nil
		}
		after = conn.PageInfo.EndCursor
	}
}
