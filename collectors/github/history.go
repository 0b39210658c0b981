package github

import (
	"context"
	"time"

	"github.com/shurcooL/githubv4"

	"github.com/tach-dev/tach/collectors"
)

// The default branch's history, read to find deployment ranges without a
// compare request each (link: commits): collectors.WalkBranch walks it and
// gives the ranges; this reads its pages.
//
// GitHub's Commit.history is `git log`: every ancestor, newest committer
// date first, not the first-parent line; the walk asks each commit's
// parents (their order is git's: the first parent first) and follows
// first parents itself. The first page comes with the tip through
// defaultBranchRef; the next ones from that tip by its oid, so that a push
// during the walk cannot shift the pages under the cursor (a history
// cursor is an offset from the commit it started at).

type historyNode struct {
	Oid           string
	CommittedDate time.Time
	Parents       struct {
		Nodes []struct{ Oid string }
	} `graphql:"parents(first: 10)"`
}

type historyPage struct {
	PageInfo pageInfo
	Nodes    []historyNode
}

type branchHistoryQuery struct {
	RateLimit  *rateLimitField
	Repository *struct {
		DefaultBranchRef *struct {
			Target *struct {
				Commit struct {
					Oid     string
					History historyPage `graphql:"history(first: $first)"`
				} `graphql:"... on Commit"`
			}
		}
	} `graphql:"repository(owner: $owner, name: $name)"`
}

type commitHistoryQuery struct {
	RateLimit  *rateLimitField
	Repository *struct {
		Object *struct {
			Commit struct {
				History historyPage `graphql:"history(first: $first, after: $after)"`
			} `graphql:"... on Commit"`
		} `graphql:"object(oid: $oid)"`
	} `graphql:"repository(owner: $owner, name: $name)"`
}

// rangePair is a deployment whose range is needed (what of it the range
// needs), and its base: the sha and creation of the previous successful
// deployment.
type rangePair struct {
	collectors.RangeEnds
	id                      int64
	providerID, environment string
}

// walkBranch reads the default branch's history as deep as the ranges of
// pairs need. Pairs whose range needs no history (a redeploy, a missing
// sha) are not passed.
func (s *repoSync) walkBranch(ctx context.Context, pairs []rangePair) (*collectors.BranchLine, error) {
	ends := make([]collectors.RangeEnds, len(pairs))
	for i, p := range pairs {
		ends[i] = p.RangeEnds
	}
	var tip string
	var after *githubv4.String
	pages := func(ctx context.Context) (string, []collectors.HistoryCommit, bool, error) {
		var page historyPage
		if tip == "" {
			var q branchHistoryQuery
			if err := s.p.client.query(ctx, &q, s.vars(map[string]any{"first": githubv4.Int(s.p.opts.PageSize)})); err != nil {
				return "", nil, false, err
			}
			s.observeGraphQL(q.RateLimit)
			if q.Repository == nil {
				return "", nil, false, errRepoGone(s.repo.Name)
			}
			ref := q.Repository.DefaultBranchRef
			if ref == nil || ref.Target == nil || ref.Target.Commit.Oid == "" {
				return "", nil, false, nil // an empty repository
			}
			tip, page = ref.Target.Commit.Oid, ref.Target.Commit.History
		} else {
			var q commitHistoryQuery
			err := s.p.client.query(ctx, &q, s.vars(map[string]any{
				"first": githubv4.Int(s.p.opts.PageSize), "after": after, "oid": githubv4.GitObjectID(tip),
			}))
			if err != nil {
				return "", nil, false, err
			}
			s.observeGraphQL(q.RateLimit)
			if q.Repository == nil {
				return "", nil, false, errRepoGone(s.repo.Name)
			}
			if q.Repository.Object == nil { // the tip is gone (force push): go on with what was read
				return tip, nil, false, nil
			}
			page = q.Repository.Object.Commit.History
		}
		after = page.PageInfo.EndCursor
		commits := make([]collectors.HistoryCommit, len(page.Nodes))
		for i, n := range page.Nodes {
			c := collectors.HistoryCommit{SHA: n.Oid, Committed: n.CommittedDate, Parents: make([]string, len(n.Parents.Nodes))}
			for j, p := range n.Parents.Nodes {
				c.Parents[j] = p.Oid
			}
			commits[i] = c
		}
		return tip, commits, page.PageInfo.HasNextPage, nil
	}
	return collectors.WalkBranch(ctx, ends, false, pages)
}
