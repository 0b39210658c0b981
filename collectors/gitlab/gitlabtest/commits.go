package gitlabtest

import (
	"cmp"
	"container/heap"
	"net/http"
	"net/url"
)

// graph is a project's commits by sha, each with its parents resolved
// (History's commits without Parents get the one before them).
type graph struct {
	commits map[string]*Commit
	head    string
}

func graphOf(p *Project) graph {
	g := graph{commits: make(map[string]*Commit, len(p.History)+len(p.Branches))}
	for i, c := range p.History {
		if c.Parents == nil && i > 0 {
			c.Parents = []string{p.History[i-1].SHA}
		}
		g.commits[c.SHA] = &c
		g.head = c.SHA
	}
	for _, c := range p.Branches {
		g.commits[c.SHA] = &c
	}
	return g
}

// reachable is every commit reachable from sha, itself included.
func (g graph) reachable(sha string) map[string]bool {
	seen := map[string]bool{}
	stack := []string{sha}
	for len(stack) > 0 {
		x := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		c := g.commits[x]
		if c == nil || seen[x] {
			continue
		}
		seen[x] = true
		stack = append(stack, c.Parents...)
	}
	return seen
}

// log lists the commits reachable from sha as `git log` does (GitLab's
// default order): newest committer date first among the commits whose
// children were listed; with firstParent, only the first-parent line.
func (g graph) log(sha string, firstParent bool) []*Commit {
	var out []*Commit
	if firstParent {
		for c := g.commits[sha]; c != nil; {
			out = append(out, c)
			if len(c.Parents) == 0 {
				break
			}
			c = g.commits[c.Parents[0]]
		}
		return out
	}
	seen := map[string]bool{sha: true}
	q := &byDate{}
	if c := g.commits[sha]; c != nil {
		heap.Push(q, c)
	}
	for q.Len() > 0 {
		c := heap.Pop(q).(*Commit)
		out = append(out, c)
		for _, p := range c.Parents {
			if pc := g.commits[p]; pc != nil && !seen[p] {
				seen[p] = true
				heap.Push(q, pc)
			}
		}
	}
	return out
}

// byDate is a heap of commits, the newest on top (ties by sha, so the
// order is the same every time).
type byDate []*Commit

func (h byDate) Len() int { return len(h) }
func (h byDate) Less(i, j int) bool {
	return cmp.Or(h[j].AuthoredAt.Compare(h[i].AuthoredAt), cmp.Compare(h[i].SHA, h[j].SHA)) < 0
}
func (h byDate) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *byDate) Push(x any)   { *h = append(*h, x.(*Commit)) }
func (h *byDate) Pop() any {
	old := *h
	c := old[len(old)-1]
	*h = old[:len(old)-1]
	return c
}

// commits answers GET /projects/:id/repository/commits: ref_name (the
// default branch when empty, or a commit's sha), first_parent; ok is false
// for a ref the project does not have.
func (s *Server) commits(p *Project, q url.Values) ([]any, bool) {
	g := graphOf(p)
	ref := q.Get("ref_name")
	branch := cmp.Or(p.DefaultBranch, "main")
	start := ref
	if ref == "" || ref == branch {
		start = g.head
	}
	if g.commits[start] == nil {
		return nil, ref == "" || ref == branch // an empty repository lists nothing
	}
	return mapAll(g.log(start, q.Get("first_parent") == "true"), func(c *Commit) any { return s.commitJSON(p, *c) }), true
}

// resolve is the commit a ref names: the default branch, or a sha.
func (g graph) resolve(p *Project, ref string) (string, bool) {
	if ref == cmp.Or(p.DefaultBranch, "main") {
		ref = g.head
	}
	return ref, g.commits[ref] != nil
}

// mergeBase answers GET /projects/:id/repository/merge_base?refs[]=A&refs[]=B:
// the newest commit both reach (itself when one reaches the other); 400
// for a ref the project does not have, 404 when they share no history.
func (s *Server) mergeBase(p *Project, refs []string) (int, any, http.Header) {
	if len(refs) < 2 {
		return http.StatusBadRequest, map[string]string{"message": "Provide at least 2 refs"}, nil
	}
	g := graphOf(p)
	var shas []string
	for _, ref := range refs {
		sha, ok := g.resolve(p, ref)
		if !ok {
			return http.StatusBadRequest, map[string]string{"message": "Could not find ref: " + ref}, nil
		}
		shas = append(shas, sha)
	}
	common := g.reachable(shas[0])
	for _, sha := range shas[1:] {
		r := g.reachable(sha)
		for c := range common {
			if !r[c] {
				delete(common, c)
			}
		}
	}
	for _, c := range g.log(shas[len(shas)-1], false) {
		if common[c.SHA] {
			return http.StatusOK, s.commitJSON(p, *c), nil
		}
	}
	return notFound("404 Merge Base Not Found")
}
