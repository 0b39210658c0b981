package github

import (
	"context"
	"time"

	"github.com/shurcooL/githubv4"

	"github.com/tach-dev/tach/store"
)

// The default branch's history, read to find deployment ranges without a
// compare request each (link: commits).
//
// A deployment D whose previous successful deployment is P ships the
// changes whose merge commit is in P.sha...D.sha: the commits reachable
// from D and not from P. When P and D are both on the default branch's
// first-parent line, P before D, those are the commits that the line's
// commits after P, up to D, brought onto the branch: each first-parent
// commit C brings itself and, through its other parents, the commits of
// the branches it merges that no earlier commit of the line reaches. So
// one walk of the branch's history from its tip gives every such range;
// the compare API stays for a deployment off that line (a release or
// hotfix branch) or out of the walk's reach.
//
// GitHub's Commit.history is `git log`: every ancestor, newest committer
// date first (a parent after at least one of its children, but with skewed
// dates not always after all of them), not the first-parent line. So the
// walk asks each commit's parents (their order is git's: the first parent
// first) and follows first parents from the tip itself, whatever order the
// pages come in. The first page comes with the tip through
// defaultBranchRef; the next ones from that tip by its oid, so that a push
// during the walk cannot shift the pages under the cursor (a history
// cursor is an offset from the commit it started at).
//
// The walk goes as deep as the ranges need: until every deployment's sha
// is found on the line, or the line has passed below the time it was
// deployed (a sha deployed at T was committed before T: not found by then,
// it is off the line); then on while the ranges' merges bring in commits
// not read yet (a branch merged after P may have started before it), as
// long as that costs fewer pages than the compares it saves. A re-sync
// with no new deployment to range asks nothing.

// historyParents is how many parents of a commit are read: an octopus
// merge of more branches is rare, and its further branches' commits are
// then taken as not brought in (the range falls back to compare).
const historyParents = 10

// skewMargin is how far the first-parent line may go below a deployment's
// time before its sha is taken as off the line: committer clocks differ.
const skewMargin = time.Hour

// mergeLookback bounds how far below the oldest needed range's base the
// walk goes to read the commits that merged branches bring in; a range
// whose merges reach further is asked of the compare API.
const mergeLookback = 30 * 24 * time.Hour

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

// rangePair is a deployment whose range is needed and its base.
type rangePair struct {
	d, prev store.Deployment
}

// commitNode is a commit read from the history.
type commitNode struct {
	parents   []string
	committed time.Time
}

// branchLine is what a walk of the default branch's history found.
type branchLine struct {
	nodes map[string]commitNode
	// line is the first-parent line from the tip down, as far as read.
	line []string
	// root is set when the line reached a commit without parents.
	root bool

	// Filled by place: position on the line (0 = the oldest read) of the
	// commit of the line that brought each commit in; the commits each
	// position brought; and whether a position's merges reach commits not
	// read.
	pos     map[string]int
	brought [][]string
	open    []bool
	onLine  map[string]bool
}

// add takes a page of history and follows the first-parent line as far as
// it is read.
func (b *branchLine) add(page []historyNode) {
	for _, n := range page {
		ps := make([]string, len(n.Parents.Nodes))
		for i, p := range n.Parents.Nodes {
			ps[i] = p.Oid
		}
		b.nodes[n.Oid] = commitNode{parents: ps, committed: n.CommittedDate}
	}
	if len(b.line) == 0 {
		return
	}
	for !b.root {
		n, ok := b.nodes[b.line[len(b.line)-1]]
		if !ok {
			return
		}
		if len(n.parents) == 0 {
			b.root = true
			return
		}
		if _, ok := b.nodes[n.parents[0]]; !ok {
			return
		}
		b.line = append(b.line, n.parents[0])
	}
}

// bottom is the committer date of the oldest commit of the line read
// whose first parent is not read yet (the tip's, before any page).
func (b *branchLine) bottom() time.Time {
	if len(b.line) == 0 {
		return time.Time{}
	}
	return b.nodes[b.line[len(b.line)-1]].committed
}

// oldest is the committer date of the oldest commit read.
func (b *branchLine) oldest() time.Time {
	var t time.Time
	for _, n := range b.nodes {
		if t.IsZero() || n.committed.Before(t) {
			t = n.committed
		}
	}
	return t
}

// place gives every commit read that the line reaches the position of the
// line's commit that brought it in, oldest first, so that a commit an
// earlier commit of the line reaches is that one's.
func (b *branchLine) place() {
	n := len(b.line)
	b.pos = make(map[string]int, len(b.nodes))
	b.onLine = make(map[string]bool, n)
	b.brought = make([][]string, n)
	b.open = make([]bool, n)
	for p := 0; p < n; p++ {
		c := b.line[n-1-p]
		b.onLine[c] = true
		b.pos[c] = p
		b.brought[p] = append(b.brought[p], c)
		stack := append([]string(nil), b.nodes[c].parents[min(1, len(b.nodes[c].parents)):]...)
		for len(stack) > 0 {
			x := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if _, done := b.pos[x]; done {
				continue
			}
			node, ok := b.nodes[x]
			if !ok {
				b.open[p] = true // a commit not read: the walk must go deeper for this range
				continue
			}
			b.pos[x] = p
			b.brought[p] = append(b.brought[p], x)
			stack = append(stack, node.parents...)
		}
	}
}

// rangeOf is the range prev...d from the line: ok is false when either sha
// is not on the line as read, or when the range's merges reach commits not
// read. place must have run.
func (b *branchLine) rangeOf(prev, d string) ([]string, bool) {
	if !b.onLine[prev] || !b.onLine[d] {
		return nil, false
	}
	from, to := b.pos[prev], b.pos[d]
	shas := []string{}
	for p := from + 1; p <= to; p++ {
		if b.open[p] {
			return nil, false
		}
		shas = append(shas, b.brought[p]...)
	}
	return shas, true
}

// walkBranch reads the default branch's history as deep as the ranges of
// pairs need (see the top of this file). Pairs whose range needs no
// history (a redeploy, a missing sha) are not passed.
func (s *repoSync) walkBranch(ctx context.Context, pairs []rangePair) (*branchLine, error) {
	b := &branchLine{nodes: map[string]commitNode{}}
	// When each needed sha was deployed: found on the line by then, or off it.
	deployedAt := map[string]time.Time{}
	var oldestBase time.Time
	for _, p := range pairs {
		for _, d := range []store.Deployment{p.d, p.prev} {
			if t, ok := deployedAt[d.SHA]; !ok || d.CreatedAt.Before(t) {
				deployedAt[d.SHA] = d.CreatedAt
			}
		}
		if oldestBase.IsZero() || p.prev.CreatedAt.Before(oldestBase) {
			oldestBase = p.prev.CreatedAt
		}
	}
	found, scanned, extra := map[string]bool{}, 0, 0
	deeper := func(hasNext bool) bool {
		if !hasNext || b.root {
			return false
		}
		// A sha not found yet may still be on the line below.
		for ; scanned < len(b.line); scanned++ {
			if _, need := deployedAt[b.line[scanned]]; need {
				found[b.line[scanned]] = true
			}
		}
		for sha, at := range deployedAt {
			if !found[sha] && !b.bottom().Before(at.Add(-skewMargin)) {
				return true
			}
		}
		// The merges of the ranges found may bring in commits not read: a
		// page more is worth it while fewer pages were read for them than
		// ranges are still open (each would cost a compare), and while
		// within mergeLookback of the oldest base.
		if b.oldest().Before(oldestBase.Add(-mergeLookback)) {
			return false
		}
		b.place()
		open := 0
		for _, p := range pairs {
			if !b.onLine[p.prev.SHA] || !b.onLine[p.d.SHA] {
				continue
			}
			for q := b.pos[p.prev.SHA] + 1; q <= b.pos[p.d.SHA]; q++ {
				if b.open[q] {
					open++
					break
				}
			}
		}
		if open > extra {
			extra++
			return true
		}
		return false
	}

	var first branchHistoryQuery
	if err := s.p.client.query(ctx, &first, s.vars(map[string]any{"first": githubv4.Int(s.p.opts.PageSize)})); err != nil {
		return nil, err
	}
	s.observeGraphQL(first.RateLimit)
	if first.Repository == nil {
		return nil, errRepoGone(s.repo.Name)
	}
	ref := first.Repository.DefaultBranchRef
	if ref == nil || ref.Target == nil || ref.Target.Commit.Oid == "" {
		b.place() // an empty repository: nothing is on the line
		return b, nil
	}
	tip := ref.Target.Commit.Oid
	b.line = []string{tip}
	page := ref.Target.Commit.History
	for {
		b.add(page.Nodes)
		if !deeper(page.PageInfo.HasNextPage) {
			break
		}
		var q commitHistoryQuery
		err := s.p.client.query(ctx, &q, s.vars(map[string]any{
			"first": githubv4.Int(s.p.opts.PageSize), "after": page.PageInfo.EndCursor, "oid": githubv4.GitObjectID(tip),
		}))
		if err != nil {
			return nil, err
		}
		s.observeGraphQL(q.RateLimit)
		if q.Repository == nil {
			return nil, errRepoGone(s.repo.Name)
		}
		if q.Repository.Object == nil { // the tip is gone (force push): go on with what was read
			break
		}
		page = q.Repository.Object.Commit.History
	}
	b.place()
	return b, nil
}
