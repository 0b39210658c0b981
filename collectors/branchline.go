package collectors

import (
	"context"
	"encoding/hex"
	"slices"
	"time"
)

// The default branch's history, read to find deployment ranges without a
// compare request each (link: commits), on either provider.
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
// A provider lists the history one of two ways (HistoryWalk.FirstParent):
//
//   - every ancestor, newest committer date first (GitHub's
//     Commit.history, `git log`): a parent after at least one of its
//     children, but with skewed dates not always after all of them. The
//     walk follows first parents from the tip itself, whatever order the
//     pages come in, and a range's merges are walked into: its commits
//     are exactly the compare's.
//   - the first-parent line only (GitLab's commits?first_parent=true): the
//     commits a merge brings in are never listed, so a range is the
//     line's commits and the other parents of its merges (a merged
//     branch's head, a squash commit), which is where merge requests'
//     merge and squash commits are; the branch's inner commits are not
//     in it. A change whose merge commit is deeper in a merged branch (a
//     merge request merged into a branch that was merged later) is not
//     found this way: Outside says which ranges may hold it.
//
// The walk goes as deep as the ranges need: until every deployment's sha
// is found on the line, or the line has passed below the time it was
// deployed (a sha deployed at T was committed before T: not found by then,
// it is off the line); then, with every ancestor listed, on while the
// ranges' merges bring in commits not read yet (a branch merged after P
// may have started before it), as long as that costs fewer pages than the
// compares it saves. A re-sync with no new deployment to range asks
// nothing.

// HistoryCommit is a commit of the branch's history as a page lists it.
type HistoryCommit struct {
	SHA string
	// Parents in git's order: the first parent first. At most
	// historyParents are kept: an octopus merge of more branches is rare,
	// and its further branches' commits are then taken as not brought in.
	Parents   []string
	Committed time.Time
}

// RangeEnds are the ends of a deployment range prev...sha: the shas and
// creation times of the previous successful deployment and this one.
type RangeEnds struct {
	SHA     string
	At      time.Time
	PrevSHA string
	PrevAt  time.Time
}

// historyParents is how many parents of a commit are kept.
const historyParents = 10

// skewMargin is how far the first-parent line may go below a deployment's
// time before its sha is taken as off the line: committer clocks differ.
const skewMargin = time.Hour

// mergeLookback bounds how far below the oldest needed range's base the
// walk goes to read the commits that merged branches bring in; a range
// whose merges reach further is asked of the compare API.
const mergeLookback = 30 * 24 * time.Hour

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

// BranchLine is what a walk of the default branch's history found.
type BranchLine struct {
	firstParent bool
	tip         oid
	index       map[oid]int32 // → node
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
	// read): the commits it brought in, order[start[p]:start[p+1]];
	// whether its merges reach commits not read (open), and those
	// commits (outside[p], the first position to reach one has it).
	order   []int32
	start   []int32
	open    []bool
	outside [][]oid
	outSet  map[oid]bool
}

func newBranchLine(firstParent bool) *BranchLine {
	return &BranchLine{firstParent: firstParent, index: map[oid]int32{}}
}

const nodeBlock = 4096

// node is the i-th commit read.
func (b *BranchLine) node(i int32) *commitNode { return &b.blocks[i/nodeBlock][i%nodeBlock] }

// add takes a page of history and follows the first-parent line as far as
// it is read. A commit whose oid is not a SHA-1 ends the line there.
func (b *BranchLine) add(page []HistoryCommit) {
	for _, n := range page {
		id, ok := toOid(n.SHA)
		if !ok {
			continue
		}
		if _, seen := b.index[id]; seen {
			continue
		}
		c := commitNode{id: id, parents: uint8(min(len(n.Parents), historyParents)), more: int32(len(b.more)),
			committed: n.Committed.Unix(), pos: -1}
		for i, p := range n.Parents[:c.parents] {
			po, ok := toOid(p)
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
func (b *BranchLine) parentsOf(n *commitNode) []oid {
	if n.parents == 0 {
		return nil
	}
	return append([]oid{n.parent}, b.more[n.more:n.more+int32(n.parents)-1]...)
}

// bottom is the committer date of the oldest commit of the line read (the
// line goes on below it only once its first parent is read).
func (b *BranchLine) bottom() time.Time {
	if len(b.line) == 0 {
		return time.Time{}
	}
	return time.Unix(b.node(b.line[len(b.line)-1]).committed, 0)
}

// place gives every commit read that the line reaches the position of the
// line's commit that brought it in, oldest first, so that a commit an
// earlier commit of the line reaches is that one's.
func (b *BranchLine) place() {
	n := len(b.line)
	for i := range b.count {
		b.node(i).pos = -1
	}
	b.open = make([]bool, n)
	b.outside = make([][]oid, n)
	b.outSet = map[oid]bool{}
	out := b.outSet
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
				// A commit not read: the walk must go deeper for this range
				// (every ancestor listed), or it is the merged branch's
				// head (the first-parent line only).
				b.open[p] = true
				if !out[x] {
					out[x] = true
					b.outside[p] = append(b.outside[p], x)
				}
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
func (b *BranchLine) linePos(sha string) (int, bool) {
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

// HasRange reports whether the line gives the range prev...d: both shas
// are on it as read, and (every ancestor listed) the range's merges reach
// no commit not read.
func (b *BranchLine) HasRange(prev, d string) bool {
	from, ok1 := b.linePos(prev)
	to, ok2 := b.linePos(d)
	return ok1 && ok2 && (to <= from || b.firstParent || !slices.Contains(b.open[from+1:to+1], true))
}

// RangeOf is the range prev...d from the line; ok is false where HasRange
// is. With the first-parent line only, it ends with the other parents of
// the range's merges.
func (b *BranchLine) RangeOf(prev, d string) ([]string, bool) {
	if !b.HasRange(prev, d) {
		return nil, false
	}
	from, _ := b.linePos(prev)
	to, _ := b.linePos(d)
	shas := []string{}
	if to > from {
		for _, i := range b.order[b.start[from+1]:b.start[to+1]] {
			shas = append(shas, b.node(i).id.String())
		}
		for _, out := range b.outside[from+1 : to+1] {
			for _, o := range out {
				shas = append(shas, o.String())
			}
		}
	}
	return shas, true
}

// Has reports whether sha was read, or is a merged branch's head the
// line's merges name (in some range the line gives).
func (b *BranchLine) Has(sha string) bool {
	id, ok := toOid(sha)
	if !ok {
		return false
	}
	_, read := b.index[id]
	return read || b.outSet[id]
}

// Bottom is the committer date of the oldest commit of the line read.
func (b *BranchLine) Bottom() time.Time { return b.bottom() }

// MergesSince reports whether the range prev...d's line commits include a
// merge committed at or after t (less skewMargin): a merge that may bring
// in a branch's commits that the first-parent line does not list.
func (b *BranchLine) MergesSince(prev, d string, t time.Time) bool {
	from, ok1 := b.linePos(prev)
	to, ok2 := b.linePos(d)
	if !ok1 || !ok2 || to <= from {
		return false
	}
	n := len(b.line)
	for p := from + 1; p <= to; p++ {
		c := b.node(b.line[n-1-p])
		if c.parents > 1 && c.committed >= t.Add(-skewMargin).Unix() {
			return true
		}
	}
	return false
}

// HistoryPages is a provider's listing of the default branch's history
// from its tip, newest first, a page a call: tip is the branch's head
// (read on the first call; "" for an empty repository), more whether
// another page follows.
type HistoryPages func(ctx context.Context) (tip string, page []HistoryCommit, more bool, err error)

// WalkBranch reads the default branch's history as deep as the ranges
// need (see the top of this file). Ranges that need no history (a
// redeploy, a missing sha) are not passed. firstParent says the pages
// list only the first-parent line.
func WalkBranch(ctx context.Context, ranges []RangeEnds, firstParent bool, next HistoryPages) (*BranchLine, error) {
	b := newBranchLine(firstParent)
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
	for _, p := range ranges {
		need(p.SHA, p.At)
		need(p.PrevSHA, p.PrevAt)
		if oldestBase.IsZero() || p.PrevAt.Before(oldestBase) {
			oldestBase = p.PrevAt
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
		// within mergeLookback of the oldest base. The first-parent line
		// never lists them.
		if firstParent || b.oldest < oldestBase.Add(-mergeLookback).Unix() {
			return false
		}
		b.place()
		open := 0
		for _, p := range ranges {
			from, ok1 := b.linePos(p.PrevSHA)
			to, ok2 := b.linePos(p.SHA)
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

	for first := true; ; first = false {
		tip, page, more, err := next(ctx)
		if err != nil {
			return nil, err
		}
		if first {
			var ok bool
			if b.tip, ok = toOid(tip); !ok {
				break // an empty repository: nothing is on the line
			}
		}
		b.add(page)
		if !deeper(more) {
			break
		}
	}
	b.place()
	return b, nil
}
