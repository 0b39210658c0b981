package gitlab

import (
	"context"
	"time"

	gl "gitlab.com/gitlab-org/api/client-go"
)

// squashCommits finds the squash commits of merged MRs for the GraphQL
// sync: GitLab's GraphQL MergeRequest has no squashCommitSha, its REST
// merge request list has squash_commit_sha. It pages the list of merged
// MRs updated since the walk's start (and up to its end, for a part of a
// first sync's window but the newest; 100 a page, oldest update first)
// only as far as the GraphQL pages need, so each page of that list is read
// once per sync, and none when no merged MR changed. Each part of a first
// sync has its own, so a newer part's lookups do not page through an older
// part's list first.
//
// A merge request's squash commit never changes once it is merged, so any
// listing of a merged MR gives it. One merged after its turn in the list
// passed (merged while the sync ran) is found by reading the list again
// from where it ended, once, to its very end (with no updated_before: an MR
// of an older part updated during the sync is now in the newest); one still
// missing then has no squash commit.
type squashCommits struct {
	p     *Provider
	proj  *project
	pager *updatedPager[*gl.BasicMergeRequest]
	// shas are the merged MRs listed so far, by iid (an empty sha: merged
	// without squashing).
	shas map[int64]string
}

// newSquashCommits lists the merged MRs updated from a time, up to another
// when before is not zero.
func (p *Provider) newSquashCommits(ctx context.Context, proj *project, from, before time.Time) *squashCommits {
	sc := &squashCommits{p: p, proj: proj, shas: map[int64]string{}}
	sc.pager = sc.listFrom(ctx, from, before)
	return sc
}

func (sc *squashCommits) listFrom(ctx context.Context, from, before time.Time) *updatedPager[*gl.BasicMergeRequest] {
	fetch := sc.p.mergeRequestPages(ctx, sc.proj, "merged", before,
		"list merged merge requests for their squash commits (GET /projects/:id/merge_requests?state=merged)")
	return newUpdatedPager(from, fetch, mrUpdated, mrID)
}

// lookup returns a merged MR's squash commit ("" when it was not squashed).
func (sc *squashCommits) lookup(ctx context.Context, iid int64) (string, error) {
	reread := false
	for {
		if sha, ok := sc.shas[iid]; ok {
			return sha, nil
		}
		if sc.pager.done {
			if reread {
				return "", nil
			}
			sc.pager, reread = sc.listFrom(ctx, sc.pager.watermark, time.Time{}), true
		}
		items, err := sc.pager.next(ctx)
		if err != nil {
			return "", err
		}
		for _, m := range items {
			sc.shas[m.IID] = m.SquashCommitSHA
		}
	}
}
