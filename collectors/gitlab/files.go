package gitlab

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	gl "gitlab.com/gitlab-org/api/client-go"

	"github.com/tach-dev/tach/collectors"
	"github.com/tach-dev/tach/store"
)

// A merge request's changed files come with it: diffStats in the merge
// request query (the new path of each file and its lines), or REST's
// diffs, which the fallback reads anyway (old_path too). Merge requests
// synced before files were collected get theirs in the change_files step:
// 100 a GraphQL query (mergeRequests(iids:)), or by REST one diffs list
// per merge request. GraphQL has no old path of a rename; REST does
// (docs/metrics.md).

// mergeRequestFilesQuery asks for the files of merge requests by iid.
const mergeRequestFilesQuery = `query TachMergeRequestFiles($fullPath: ID!, $iids: [String!], $first: Int!) {
  project(fullPath: $fullPath) {
    mergeRequests(iids: $iids, sort: UPDATED_ASC, first: $first) {
      nodes { iid diffStats { path additions deletions } }
    }
  }
}`

// filesBatch is how many merge requests' files one query asks for: the
// most a GitLab connection gives.
const filesBatch = 100

// syncChangeFiles fetches the files of the changes stored without them
// (synced before files were collected, or whose files a webhook made
// stale and the merge request walk did not read again), a batch at a
// time, each committed as it comes.
func (p *Provider) syncChangeFiles(ctx context.Context, proj *project) error {
	st, err := proj.sink.State(ctx, collectors.ResourceChangeFiles)
	if err != nil {
		return fmt.Errorf("sync %s: %w", proj.repo.Name, err)
	}
	need, err := proj.sink.ChangesNeedingFiles(ctx)
	if err != nil {
		return fmt.Errorf("sync %s: %w", proj.repo.Name, err)
	}
	size := filesBatch
	for start := 0; ; {
		batch := need[start:min(start+size, len(need))]
		files, err := p.filesOf(ctx, proj, batch)
		if n := p.smallerPage(err, size, "merge requests' files", proj.repo.Name); n > 0 {
			size = n
			continue // the same merge requests, fewer at a time
		}
		if err != nil {
			return err
		}
		start += len(batch)
		done := start >= len(need)
		err = proj.sink.Commit(ctx, collectors.ResourceChangeFiles, st, done, func(b *collectors.Batch) error {
			for _, c := range batch {
				fs, ok := files[c.Number]
				if !ok {
					continue // GitLab gave none: asked again next time
				}
				if err := b.ChangeFiles(ctx, c.ID, fs); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil || done {
			return err
		}
	}
}

// filesOf fetches the files of some merge requests, by iid: by GraphQL
// while it answers, else by REST.
func (p *Provider) filesOf(ctx context.Context, proj *project, batch []store.ChangeRef) (map[int64][]store.ChangeFile, error) {
	if len(batch) == 0 {
		return nil, nil
	}
	if !p.graphqlOff.Load() {
		files, err := p.filesGraphQL(ctx, proj, batch)
		if err == nil || !isGraphQLUnavailable(err) || tooBig(err) {
			return files, err
		}
		p.fallBackToREST(&p.graphqlOff, "merge requests", proj.repo.Name, err)
	}
	files := make(map[int64][]store.ChangeFile, len(batch))
	for _, c := range batch {
		fs, err := p.filesREST(ctx, proj, c.Number)
		if err != nil {
			return nil, err
		}
		files[c.Number] = fs
	}
	return files, nil
}

func (p *Provider) filesGraphQL(ctx context.Context, proj *project, batch []store.ChangeRef) (map[int64][]store.ChangeFile, error) {
	iids := make([]string, len(batch))
	for i, c := range batch {
		iids[i] = strconv.FormatInt(c.Number, 10)
	}
	var data struct {
		Project *struct {
			MergeRequests struct {
				Nodes []struct {
					IID       string         `json:"iid"`
					DiffStats *[]gqlDiffStat `json:"diffStats"`
				} `json:"nodes"`
			} `json:"mergeRequests"`
		} `json:"project"`
	}
	vars := map[string]any{"fullPath": proj.repo.Name, "iids": iids, "first": len(iids)}
	if err := p.graphql(ctx, proj, collectors.ResourceChangeFiles, "list files of merge requests", mergeRequestFilesQuery, vars, &data); err != nil {
		return nil, err
	}
	if data.Project == nil {
		return nil, fmt.Errorf("sync %s: list files of merge requests: GraphQL sees no project %s: %w", proj.repo.Name, proj.repo.Name, collectors.ErrRepoNotFound)
	}
	files := make(map[int64][]store.ChangeFile, len(batch))
	listed := make(map[int64]bool, len(batch))
	for _, n := range data.Project.MergeRequests.Nodes {
		iid, err := strconv.ParseInt(n.IID, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("sync %s: list files of merge requests: malformed response: merge request iid %q", proj.repo.Name, n.IID)
		}
		listed[iid] = true
		if fs, ok := changeFiles(n.DiffStats); ok {
			files[iid] = fs
		}
	}
	// A merge request GitLab no longer has (deleted) has no files to ask
	// for again.
	for _, c := range batch {
		if !listed[c.Number] {
			files[c.Number] = nil
		}
	}
	return files, nil
}

// filesREST reads one merge request's files from its diffs (100 a page);
// a merge request GitLab no longer has has none.
func (p *Provider) filesREST(ctx context.Context, proj *project, iid int64) ([]store.ChangeFile, error) {
	diffs, err := p.mergeRequestDiffs(ctx, proj, collectors.ResourceChangeFiles, iid)
	if errors.Is(err, gl.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return diffFiles(diffs), nil
}
