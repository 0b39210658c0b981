package github

import (
	"context"
	"encoding/hex"
	"slices"
	"time"

	"github.com/shurcooL/githubv4"
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

// rangePair is a deployment whose range is needed (what of it the range
// needs), and its base: the sha and creation of the previous successful
// deployment.
type rangePair struct {
	id                      int64
	providerID, environment string
	sha                     string
	at                      time.Time
	prevSHA                 string
	prevAt                  time.Time
}

// oid is a commit's SHA-1: a walk holds tens of thousands of them, as
// 20 bytes each rather than 40-character strings.
type oid [20]byte

func toOid(s string) (oid, bool) {
	var o oid
	if len(s) != 2*len(o) {
		return o, false
	}
	_, err := hex.Decode(o[:], []byte(s))
	return o, err == nil
}

func (o oid) String() string { return hex.EncodeToString(o[:]) }

// commitNode is a commit read from the history.
type commitNode struct {
	id, parent oid   // parent: the first parent
	parents    uint8 // how many parents; the others are more[more:more+parents-1]
	more       int32
	committed  int64 // Unix seconds
	pos        int32 // by place: the position that brought it in, or -1
}

// branchLine is what a walk of the default branch's history found.
type branchLine struct {
	tip   oid
	index map[oid]int32 // → node
	// The commits read, in blocks: a first sync reads tens of thousands,
	// and one growing slice would copy them all each time it doubles.
	blocks [][]commitNode
	count  int32
	more   []oid
	// oldest is the committer date of the oldest commit read.
	oldest int64
	// line is the first-parent line from the tip down, as far as read.
	line []int32
	// root is set when the line reached a commit without parents.
	root bool

	// Filled by place, for each position on the line (0 = the oldest
	// read): the commits it brought in, order[start[p]:start[p+1]], and
	// whether its merges reach commits not read (open).
	order []int32
	start []int32
	open  []bool
}

func newBranchLine() *branchLine { return &branchLine{index: map[oid]int32{}} }

const nodeBlock = 4096

// node is the i-th commit read.
func (b *branchLine) node(i int32) *commitNode { return &b.blocks[i/nodeBlock][i%nodeBlock] }

// add takes a page of history and follows the first-parent line as far as
// it is read. A commit whose oid is not a SHA-1 ends the line there.
func (b *branchLine) add(page []historyNode) {
	for _, n := range page {
		id, ok := toOid(n.Oid)
		if !ok {
			continue
		}
		if _, seen := b.index[id]; seen {
			continue
		}
		c := commitNode{id: id, parents: uint8(min(len(n.Parents.Nodes), historyParents)), more: int32(len(b.more)),
			committed: n.CommittedDate.Unix(), pos: -1}
		for i, p := range n.Parents.Nodes[:c.parents] {
			po, ok := toOid(p.Oid)
			if !ok {
				c.parents = uint8(i)
				break
			}
			if i == 0 {
				c.parent = po
			} else {
				b.more = append(b.more, po)
			}
		}
		if b.count == 0 || c.committed < b.oldest {
			b.oldest = c.committed
		}
		if b.count%nodeBlock == 0 {
			b.blocks = append(b.blocks, make([]commitNode, 0, nodeBlock))
		}
		b.index[id] = b.count
		b.blocks[len(b.blocks)-1] = append(b.blocks[len(b.blocks)-1], c)
		b.count++
	}
	if len(b.line) == 0 {
		i, ok := b.index[b.tip]
		if !ok {
			return
		}
		b.line = append(b.line, i)
	}
	for !b.root {
		n := b.node(b.line[len(b.line)-1])
		if n.parents == 0 {
			b.root = true
			return
		}
		i, ok := b.index[n.parent]
		if !ok {
			return
		}
		b.line = append(b.line, i)
	}
}

// parentsOf are a commit's parents, the first first.
func (b *branchLine) parentsOf(n *commitNode) []oid {
	if n.parents == 0 {
		return nil
	}
	return append([]oid{n.parent}, b.more[n.more:n.more+int32(n.parents)-1]...)
}

// bottom is the committer date of the oldest commit of the line read (the
// line goes on below it only once its first parent is read).
func (b *branchLine) bottom() time.Time {
	if len(b.line) == 0 {
		return time.Time{}
	}
	return time.Unix(b.node(b.line[len(b.line)-1]).committed, 0)
}

// place gives every commit read that the line reaches the position of the
// line's commit that brought it in, oldest first, so that a commit an
// earlier commit of the line reaches is that one's.
func (b *branchLine) place() {
	n := len(b.line)
	for i := range b.count {
		b.node(i).pos = -1
	}
	b.open = make([]bool, n)
	counts := make([]int32, n+1)
	var stack []oid
	for p := 0; p < n; p++ {
		c := b.line[n-1-p]
		lc := b.node(c)
		lc.pos = int32(p)
		counts[p]++
		stack = append(stack[:0], b.parentsOf(lc)[min(1, int(lc.parents)):]...)
		for len(stack) > 0 {
			x := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			i, ok := b.index[x]
			if !ok {
				b.open[p] = true // a commit not read: the walk must go deeper for this range
				continue
			}
			n := b.node(i)
			if n.pos >= 0 {
				continue
			}
			n.pos = int32(p)
			counts[p]++
			stack = append(stack, b.parentsOf(n)...)
		}
	}
	b.start = make([]int32, n+1)
	for p := 0; p < n; p++ {
		b.start[p+1] = b.start[p] + counts[p]
	}
	b.order = make([]int32, b.start[n])
	next := slices.Clone(b.start[:n])
	for i := range b.count {
		if c := b.node(i); c.pos >= 0 {
			b.order[next[c.pos]] = i
			next[c.pos]++
		}
	}
}

// linePos is the position of a commit of the line as read; ok is false for
// one off it, or not read. place must have run.
func (b *branchLine) linePos(sha string) (int, bool) {
	id, ok := toOid(sha)
	if !ok {
		return 0, false
	}
	i, ok := b.index[id]
	if !ok || b.node(i).pos < 0 {
		return 0, false
	}
	p := int(b.node(i).pos)
	return p, b.line[len(b.line)-1-p] == i
}

// hasRange reports whether the line gives the range prev...d: both shas
// are on it as read, and the range's merges reach no commit not read.
// place must have run.
func (b *branchLine) hasRange(prev, d string) bool {
	from, ok1 := b.linePos(prev)
	to, ok2 := b.linePos(d)
	return ok1 && ok2 && (to <= from || !slices.Contains(b.open[from+1:to+1], true))
}

// rangeOf is the range prev...d from the line; ok is false where hasRange
// is.
func (b *branchLine) rangeOf(prev, d string) ([]string, bool) {
	if !b.hasRange(prev, d) {
		return nil, false
	}
	from, _ := b.linePos(prev)
	to, _ := b.linePos(d)
	shas := []string{}
	if to > from {
		for _, i := range b.order[b.start[from+1]:b.start[to+1]] {
			shas = append(shas, b.node(i).id.String())
		}
	}
	return shas, true
}

// walkBranch reads the default branch's history as deep as the ranges of
// pairs need (see the top of this file). Pairs whose range needs no
// history (a redeploy, a missing sha) are not passed.
func (s *repoSync) walkBranch(ctx context.Context, pairs []rangePair) (*branchLine, error) {
	b := newBranchLine()
	// When each needed sha was deployed: found on the line by then, or off
	// it. (One that is not a SHA-1 is never on the line.)
	type wanted struct {
		at    int64 // Unix seconds
		found bool
	}
	want := map[oid]wanted{}
	var oldestBase time.Time
	need := func(sha string, at time.Time) {
		if id, ok := toOid(sha); ok {
			if w, seen := want[id]; !seen || at.Unix() < w.at {
				want[id] = wanted{at: at.Unix()}
			}
		}
	}
	for _, p := range pairs {
		need(p.sha, p.at)
		need(p.prevSHA, p.prevAt)
		if oldestBase.IsZero() || p.prevAt.Before(oldestBase) {
			oldestBase = p.prevAt
		}
	}
	unfound, scanned, extra := len(want), 0, 0
	deeper := func(hasNext bool) bool {
		if !hasNext || b.root {
			return false
		}
		// A sha not found yet may still be on the line below.
		for ; scanned < len(b.line); scanned++ {
			id := b.node(b.line[scanned]).id
			if w, ok := want[id]; ok && !w.found {
				want[id] = wanted{at: w.at, found: true}
				unfound--
			}
		}
		if unfound > 0 {
			bottom := b.bottom().Unix()
			for _, w := range want {
				if !w.found && bottom >= w.at-int64(skewMargin/time.Second) {
					return true
				}
			}
		}
		// The merges of the ranges found may bring in commits not read: a
		// page more is worth it while fewer pages were read for them than
		// ranges are still open (each would cost a compare), and while
		// within mergeLookback of the oldest base.
		if b.oldest < oldestBase.Add(-mergeLookback).Unix() {
			return false
		}
		b.place()
		open := 0
		for _, p := range pairs {
			from, ok1 := b.linePos(p.prevSHA)
			to, ok2 := b.linePos(p.sha)
			if ok1 && ok2 && from < to && slices.Contains(b.open[from+1:to+1], true) {
				open++
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
	var ok bool
	if b.tip, ok = toOid(tip); !ok {
		b.place()
		return b, nil
	}
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
