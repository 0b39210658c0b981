package gitlab_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/tach-dev/tach/collectors"
	"github.com/tach-dev/tach/collectors/gitlab"
	gt "github.com/tach-dev/tach/collectors/gitlab/gitlabtest"
	"github.com/tach-dev/tach/store"
)

// bigProject is billing plus enough of everything to take several pages,
// including a run of issues updated in the same second (time paging
// cannot step past them; the next-page links must).
func bigProject() *gt.Project {
	p := billing()
	p.MergeRequests = append(p.MergeRequests, gt.GenerateMergeRequests(23, gt.GenOptions{Start: at(8 * day), Every: 3 * hour, Prefix: "big"})...)
	for i := range 9 {
		p.Issues = append(p.Issues, &gt.Issue{Title: fmt.Sprintf("Bulk-labelled %d", i), Labels: []string{"incident"},
			Author: "grace", CreatedAt: at(9 * day), UpdatedAt: at(10 * day)})
	}
	for i := range 7 {
		start := at(11*day + time.Duration(i)*hour)
		p.Pipelines = append(p.Pipelines, &gt.Pipeline{Status: "success", SHA: gt.SHA(fmt.Sprint("p", i)),
			CreatedAt: start, StartedAt: start.Add(time.Minute), FinishedAt: start.Add(5 * time.Minute)})
	}
	return p
}

func TestPaginationStylesAndAPIsGiveTheSameRows(t *testing.T) {
	base := newHarness(t)
	base.srv.AddProject(bigProject())
	base.sync(context.Background(), base.provider(func(o *gitlab.Options) { o.PageSize, o.GraphQLPageSize = 100, 100 }), repo("acme/platform/billing"))
	want := dump(t, base.st)
	if n := countPrefix(want, "incidents: "); n != 12 {
		t.Fatalf("baseline has %d incidents, want 12", n)
	}

	for _, tc := range []struct {
		name    string
		style   gt.Pagination
		graphql bool
	}{
		{"offset+link/graphql", gt.OffsetAndLink, true},
		{"link-only/graphql", gt.LinkOnly, true},
		{"headers-only/graphql", gt.HeadersOnly, true},
		{"offset+link/rest", gt.OffsetAndLink, false},
		{"link-only/rest", gt.LinkOnly, false},
		{"headers-only/rest", gt.HeadersOnly, false},
	} {
		if raceEnabled && tc.style != gt.OffsetAndLink && tc.graphql {
			continue // under -race, each style once (by REST, which pages most)
		}
		t.Run(tc.name, func(t *testing.T) {
			h := &harness{t: t, srv: base.srv, st: newStore(t)}
			base.srv.Pagination = tc.style
			defer func() { base.srv.Pagination = gt.OffsetAndLink }()
			p := h.provider(func(o *gitlab.Options) { o.DisableGraphQL = !tc.graphql })
			base.srv.ResetCounts()
			sum := h.sync(context.Background(), p, repo("acme/platform/billing"))
			if err := sum.Repos[0].Err; err != nil {
				t.Fatal(err)
			}
			if got := dump(t, h.st); got != want {
				t.Fatalf("rows differ from the baseline:\n%s", diffLines(want, got))
			}
			// The GraphQL sync lists merged MRs by REST only for their squash
			// commits; reading an MR's notes is the REST path.
			if tc.graphql && base.srv.Requests("GET /projects/:id/merge_requests/:iid/notes") != 0 {
				t.Errorf("GraphQL sync also read MRs by REST")
			}
			if !tc.graphql && base.srv.Requests("POST /api/graphql TachMergeRequests") != 0 {
				t.Errorf("REST sync asked GraphQL")
			}
		})
	}
}

func countPrefix(dump, prefix string) int {
	n := 0
	for _, l := range splitLines(dump) {
		if len(l) >= len(prefix) && l[:len(prefix)] == prefix {
			n++
		}
	}
	return n
}

func TestGraphQLUnavailableFallsBackToREST(t *testing.T) {
	base := newHarness(t)
	base.srv.AddProject(billing())
	base.mustSync(repo("acme/platform/billing"))
	want := dump(t, base.st)

	h := &harness{t: t, srv: base.srv, st: newStore(t)}
	base.srv.NoGraphQL = true
	base.srv.ResetCounts()
	h.mustSync(repo("acme/platform/billing"))
	if got := dump(t, h.st); got != want {
		t.Errorf("REST rows differ from GraphQL rows:\n%s", diffLines(want, got))
	}
	// A first sync asks the first page of each part of its window at once;
	// the part answered 404 first stops the others, whose pages may not
	// have gone out yet: once per part at most, and never again.
	if n := base.srv.Requests("POST /api/graphql TachMergeRequests"); n < 1 || n > 3 {
		t.Errorf("GraphQL asked %d times after it answered 404, want once per part of the window at most", n)
	}
	for _, ep := range []string{"commits", "notes", "diffs"} {
		if n := base.srv.Requests("GET /projects/:id/merge_requests/:iid/" + ep); n != 7 {
			t.Errorf("REST read %s of %d MRs, want 7", ep, n)
		}
	}
}

func TestOldGitLabWithoutClosedAt(t *testing.T) {
	h := newHarness(t)
	h.srv.AddProject(billing())
	h.srv.MissingFields = []string{"closedAt"}
	h.mustSync(repo("acme/platform/billing"))
	if c := change(t, h.st, "acme/platform/billing", 5); !c.ClosedAt.Equal(at(4*day + 2*hour)) {
		t.Errorf("closed MR's close time = %s, want its last update", c.ClosedAt)
	}
	if h.srv.Requests("GET /projects/:id/merge_requests/:iid/notes") != 0 {
		t.Errorf("fell back to REST for one missing field")
	}
}

func TestQueryOverTheComplexityLimitAsksForFewer(t *testing.T) {
	h := newHarness(t)
	h.srv.AddProject(bigProject())
	h.srv.MaxMergeRequestsPerQuery = 20
	h.sync(context.Background(), h.provider(func(o *gitlab.Options) { o.GraphQLPageSize = 50 }), repo("acme/platform/billing"))
	if n := countPrefix(dump(t, h.st), "changes: "); n != 30 {
		t.Errorf("%d changes, want 30", n)
	}
	if n := h.srv.Requests("GET /projects/:id/merge_requests/:iid/notes"); n != 0 {
		t.Errorf("fell back to REST (%d notes requests) instead of asking for fewer", n)
	}
	// A first sync: each of the window's three parts learns the size on
	// its own. The newest holds all 30: 50 and 25 are refused, 12 a page
	// are served, 3 pages; each older part's one (empty) page is refused
	// at 50 and 25 too, then served at 12.
	if n := h.srv.Requests("POST /api/graphql TachMergeRequests"); n != 5+3+3 {
		t.Errorf("%d merge request queries, want 11", n)
	}
}

func TestMergeRequestWithManyNotesAndCommits(t *testing.T) {
	h := newHarness(t)
	p := billing()
	m := p.MergeRequests[0]
	for i := range 150 {
		m.Notes = append(m.Notes, &gt.Note{Body: fmt.Sprint("ping ", i), Author: alice, CreatedAt: at(-time.Hour + time.Duration(i)*time.Second)})
	}
	m.Notes = append(m.Notes, &gt.Note{Body: "late", Author: gt.User{Username: "zoe"}, CreatedAt: at(4 * hour)})
	for i := range 130 {
		m.Commits = append(m.Commits, gt.Commit{SHA: gt.SHA(fmt.Sprint("many", i)), AuthoredAt: at(-time.Duration(i) * time.Minute)})
	}
	m.Commits = append(m.Commits, gt.Commit{SHA: gt.SHA("oldest"), AuthoredAt: at(-30 * day)})
	h.srv.AddProject(p)
	h.mustSync(repo(p.Path))
	c := change(t, h.st, p.Path, 1)
	if !c.FirstCommitAt.Equal(at(-30 * day)) {
		t.Errorf("first commit %s, want the oldest of 133 commits", c.FirstCommitAt)
	}
	if !slices.ContainsFunc(c.Reviews, func(r store.Review) bool { return r.Author == "zoe" }) {
		t.Errorf("reviews %+v: the note past the first 100 is missing", c.Reviews)
	}
	if n := h.srv.Requests("POST /api/graphql TachMergeRequestNotes") + h.srv.Requests("POST /api/graphql TachMergeRequestCommits"); n != 2 {
		t.Errorf("%d follow-up queries, want 2 (one more page of notes, one of commits)", n)
	}
}

func TestExpandGroupListsNestedProjectsWithoutArchived(t *testing.T) {
	h := newHarness(t)
	h.srv.AddProject(billing())
	for _, path := range []string{"acme/platform/payments/api", "acme/platform/payments/worker", "acme/platform/search", "acme/web", "other/tool"} {
		h.srv.AddProject(&gt.Project{Path: path})
	}
	h.srv.AddProject(&gt.Project{Path: "acme/platform/legacy", Archived: true})
	h.srv.AddGroup("acme/empty")

	for _, style := range []gt.Pagination{gt.OffsetAndLink, gt.LinkOnly, gt.HeadersOnly} {
		h.srv.Pagination = style
		p := h.provider() // page size 3: the group takes two pages
		got, err := p.ExpandGroup(context.Background(), "acme/platform", false)
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"acme/platform/billing", "acme/platform/payments/api", "acme/platform/payments/worker", "acme/platform/search"}
		if !slices.Equal(got, want) {
			t.Errorf("style %d: projects %v, want %v", style, got, want)
		}
		withArchived, err := p.ExpandGroup(context.Background(), "acme/platform", true)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(withArchived, "acme/platform/legacy") || len(withArchived) != 5 {
			t.Errorf("with archived: %v", withArchived)
		}
	}
	h.srv.Pagination = gt.OffsetAndLink

	p := h.provider()
	if got, err := p.ExpandGroup(context.Background(), "acme/empty", false); err != nil || len(got) != 0 {
		t.Errorf("empty group: %v, %v", got, err)
	}
	if _, err := p.ExpandGroup(context.Background(), "nope", false); !errors.Is(err, collectors.ErrRepoNotFound) {
		t.Errorf("missing group: %v, want ErrRepoNotFound", err)
	}

	// A group import: every listed project syncs, the nested billing
	// project by its URL-encoded path.
	names, _ := p.ExpandGroup(context.Background(), "acme/platform", false)
	var repos []collectors.Repo
	for _, n := range names {
		repos = append(repos, repo(n))
	}
	sum := h.mustSync(repos...)
	if len(sum.Repos) != 4 {
		t.Errorf("synced %d repos, want 4", len(sum.Repos))
	}
	if change(t, h.st, "acme/platform/billing", 1).Title != "Add invoices API" {
		t.Errorf("nested project not synced")
	}
}
