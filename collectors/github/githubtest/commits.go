package githubtest

import (
	"container/heap"
	"time"
)

// The commit graph: Repo.Commits (the default branch's first-parent line)
// and Repo.Side, indexed by sha. Compare and GraphQL's Commit.history walk
// it as git does.

// committed is the commit's committer date (its author date when unset).
func (c Commit) committed() time.Time {
	if c.CommittedAt.IsZero() {
		return c.AuthoredAt
	}
	return c.CommittedAt
}

type commitGraph struct {
	// What the index was built from: Commits and Side are append-only, so
	// their lengths and last shas say whether it still holds.
	nCommits, nSide int
	lastCommit      string
	lastSide        string

	byID    map[string]int // sha → index in nodes
	nodes   []Commit       // with Parents filled in
	history map[string][]int
}

// commitGraph returns the repo's graph, building it again when a commit
// was added since.
func (r *Repo) commitGraph() *commitGraph {
	last := func(cs []Commit) string {
		if len(cs) == 0 {
			return ""
		}
		return cs[len(cs)-1].SHA
	}
	g := r.graph
	if g != nil && g.nCommits == len(r.Commits) && g.nSide == len(r.Side) && g.lastCommit == last(r.Commits) && g.lastSide == last(r.Side) {
		return g
	}
	g = &commitGraph{nCommits: len(r.Commits), nSide: len(r.Side), lastCommit: last(r.Commits), lastSide: last(r.Side),
		byID: make(map[string]int, len(r.Commits)+len(r.Side)), history: map[string][]int{}}
	for i, c := range r.Commits {
		if c.Parents == nil && i > 0 {
			c.Parents = []string{r.Commits[i-1].SHA}
		}
		g.byID[c.SHA] = len(g.nodes)
		g.nodes = append(g.nodes, c)
	}
	for _, c := range r.Side {
		g.byID[c.SHA] = len(g.nodes)
		g.nodes = append(g.nodes, c)
	}
	r.graph = g
	return g
}

// find resolves a full sha, or an abbreviated one of at least 7
// characters, to its node.
func (g *commitGraph) find(sha string) (int, bool) {
	if i, ok := g.byID[sha]; ok {
		return i, true
	}
	if len(sha) < 7 || len(sha) >= 40 {
		return 0, false
	}
	for i, c := range g.nodes {
		if len(c.SHA) > len(sha) && c.SHA[:len(sha)] == sha {
			return i, true
		}
	}
	return 0, false
}

// log is `git log start`: start and every ancestor, newest first by
// committer date, a commit's parents entering the walk only when the
// commit is shown (so a parent never comes before all of its children, but
// with skewed dates it may come before some ancestors' other children),
// ties in the order commits entered the walk — git's default order, which
// GitHub's Commit.history follows ("in the same order as git log"). It is
// not the first-parent line: a merge's second-parent side is in it too.
func (g *commitGraph) log(start int) []int {
	if out, ok := g.history[g.nodes[start].SHA]; ok {
		return out
	}
	seen := map[int]bool{start: true}
	q := &logQueue{g: g}
	heap.Push(q, logEntry{node: start})
	var out []int
	for q.Len() > 0 {
		e := heap.Pop(q).(logEntry)
		out = append(out, e.node)
		for _, p := range g.nodes[e.node].Parents {
			pi, ok := g.byID[p]
			if !ok || seen[pi] {
				continue
			}
			seen[pi] = true
			q.seq++
			heap.Push(q, logEntry{node: pi, seq: q.seq})
		}
	}
	g.history[g.nodes[start].SHA] = out
	return out
}

// ancestors is the set of start and its ancestors.
func (g *commitGraph) ancestors(start int) map[int]bool {
	out := map[int]bool{}
	for _, i := range g.log(start) {
		out[i] = true
	}
	return out
}

type logEntry struct {
	node int
	seq  int
}

type logQueue struct {
	g       *commitGraph
	entries []logEntry
	seq     int
}

func (q *logQueue) Len() int { return len(q.entries) }
func (q *logQueue) Less(i, j int) bool {
	a, b := q.g.nodes[q.entries[i].node].committed(), q.g.nodes[q.entries[j].node].committed()
	if !a.Equal(b) {
		return a.After(b)
	}
	return q.entries[i].seq < q.entries[j].seq
}
func (q *logQueue) Swap(i, j int) { q.entries[i], q.entries[j] = q.entries[j], q.entries[i] }
func (q *logQueue) Push(x any)    { q.entries = append(q.entries, x.(logEntry)) }
func (q *logQueue) Pop() any {
	e := q.entries[len(q.entries)-1]
	q.entries = q.entries[:len(q.entries)-1]
	return e
}
