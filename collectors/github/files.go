package github

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"strconv"
	"strings"

	"github.com/shurcooL/githubv4"
	"golang.org/x/sync/errgroup"

	"github.com/tach-dev/tach/collectors"
	"github.com/tach-dev/tach/store"
)

// A pull request's changed files come with it: the pull-request query asks
// for the first 100 of each (one more point per page of 100 pull requests,
// no more requests). The rare pull request with more pages on in a
// follow-up query that asks for the next 100 files of many pull requests
// at once (aliases). GraphQL's PullRequestChangedFile has no previous
// path, so a pull request that renamed a file costs one REST request per
// 100 files (GET /pulls/{n}/files, whose previous_filename is the old
// path): a rename counts both paths. Changes synced before files were
// collected get theirs in the change_files step, 100 pull requests a
// query (docs/performance.md).

// fileNode is a PullRequestChangedFile.
type fileNode struct {
	Path       string
	Additions  int
	Deletions  int
	ChangeType string
}

// filesConn is a page of PullRequest.files.
type filesConn struct {
	PageInfo pageInfo
	Nodes    []fileNode
}

// prFiles gathers one pull request's files across requests.
type prFiles struct {
	number  int64
	files   []store.ChangeFile
	after   *githubv4.String // the next page's cursor while more is true
	more    bool
	renamed bool              // a file was renamed: REST knows its old path
	prev    map[string]string // old path by new, from REST once renamed (renamedFrom)
	known   bool              // GraphQL answered: files is every file
}

// add takes a page of files.
func (pf *prFiles) add(c *filesConn) {
	pf.known = true
	for _, n := range c.Nodes {
		pf.files = append(pf.files, store.ChangeFile{Path: n.Path, Additions: n.Additions, Deletions: n.Deletions})
		if n.ChangeType == "RENAMED" {
			pf.renamed = true
		}
	}
	pf.more = c.PageInfo.HasNextPage && c.PageInfo.EndCursor != nil && len(c.Nodes) > 0
	pf.after = c.PageInfo.EndCursor
}

// filesOf starts a pull request's files from the page its query gave;
// nil when GitHub gave none (the files are then fetched later).
func filesOf(n prNode) *prFiles {
	if n.Files == nil {
		return nil
	}
	pf := &prFiles{number: int64(n.Number)}
	pf.add(n.Files)
	return pf
}

// completeFiles fetches what the first page of files left out: the other
// pages (GraphQL, many pull requests a query) and the old paths of
// renames (REST). They do not wait for each other: a rename seen on the
// first page is read while the other pages are asked, all within the
// repo's request slots.
func (s *repoSync) completeFiles(ctx context.Context, pfs []*prFiles) error {
	var more []*prFiles
	for _, pf := range pfs {
		if pf != nil && pf.more {
			more = append(more, pf)
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	g, gctx := errgroup.WithContext(ctx)
	renames := func() {
		for _, pf := range pfs {
			if pf != nil && pf.renamed && pf.prev == nil {
				pf.prev = map[string]string{}
				g.Go(func() error { return s.renamedFrom(gctx, pf) })
			}
		}
	}
	renames()
	if len(more) > 0 {
		// The other pages may show renames of their own; their files are
		// not touched by renamedFrom, which fills prev only.
		if err := s.filesByNumber(gctx, more); err != nil {
			cancel()
			_ = g.Wait()
			return err
		}
		renames()
	}
	if err := g.Wait(); err != nil {
		return err
	}
	for _, pf := range pfs {
		if pf == nil || len(pf.prev) == 0 {
			continue
		}
		for i := range pf.files {
			pf.files[i].PreviousPath = pf.prev[pf.files[i].Path]
		}
	}
	return nil
}

// filesByNumber asks for the files of pull requests by number, up to a
// page size of them a query, each from its cursor, until each has them
// all. A pull request GitHub cannot find (deleted with its repo's
// history) ends with no files.
func (s *repoSync) filesByNumber(ctx context.Context, pfs []*prFiles) error {
	size := s.p.opts.PullRequestPageSize
	for len(pfs) > 0 {
		batch := pfs[:min(size, len(pfs))]
		q := reflect.New(filesQueryType(len(batch)))
		vars := s.vars(nil)
		for i, pf := range batch {
			vars[fmt.Sprintf("n%d", i)] = githubv4.Int(pf.number)
			vars[fmt.Sprintf("a%d", i)] = pf.after
		}
		err := s.p.client.query(ctx, q.Interface(), vars)
		if err != nil && size > minPullRequestPage && timedOut(err) {
			size = max(size/2, minPullRequestPage)
			s.log.Warn("github: files of pull requests timed out; asking for fewer at once", "pull_requests", size)
			continue
		}
		var ge *GraphQLError
		if err != nil && !(errors.As(err, &ge) && strings.Contains(ge.Message, "Could not resolve to a PullRequest")) {
			return err
		}
		root := q.Elem()
		s.observeGraphQL(root.Field(0).Interface().(*rateLimitField))
		repo := root.Field(1)
		if repo.IsNil() {
			if err != nil {
				return err
			}
			return errRepoGone(s.repo.Name)
		}
		var next []*prFiles
		for i, pf := range batch {
			pr := repo.Elem().Field(i)
			if pr.IsNil() {
				pf.known, pf.more, pf.files = true, false, nil
				continue
			}
			c := pr.Elem().Field(0).Interface().(*filesConn)
			if c == nil {
				pf.more = false
				continue
			}
			pf.add(c)
			if pf.more {
				next = append(next, pf)
			}
		}
		pfs = append(next, pfs[len(batch):]...)
	}
	return nil
}

// filesQueryType is the query of the files of n pull requests by number:
// repository { p0: pullRequest(number: $n0) { files(first: 100, after:
// $a0) { … } } p1: … }, with the rate limit.
func filesQueryType(n int) reflect.Type {
	conn := reflect.TypeFor[*filesConn]()
	prs := make([]reflect.StructField, n)
	for i := range prs {
		pr := reflect.StructOf([]reflect.StructField{{
			Name: "Files", Type: conn, Tag: reflect.StructTag(fmt.Sprintf(`graphql:"files(first: 100, after: $a%d)"`, i)),
		}})
		prs[i] = reflect.StructField{Name: fmt.Sprintf("P%d", i), Type: reflect.PointerTo(pr),
			Tag: reflect.StructTag(fmt.Sprintf(`graphql:"p%d: pullRequest(number: $n%d)"`, i, i))}
	}
	return reflect.StructOf([]reflect.StructField{
		{Name: "RateLimit", Type: reflect.TypeFor[*rateLimitField]()},
		{Name: "Repository", Type: reflect.PointerTo(reflect.StructOf(prs)), Tag: `graphql:"repository(owner: $owner, name: $name)"`},
	})
}

// restFile is the part of a REST pull request file we read.
type restFile struct {
	Filename         string `json:"filename"`
	Status           string `json:"status"`
	PreviousFilename string `json:"previous_filename"`
}

// renamedFrom reads the old paths of a pull request's renamed files from
// REST (100 files a page). REST lists at most 3000 files, so GraphQL's
// list stays the list of files; REST only adds the old paths.
func (s *repoSync) renamedFrom(ctx context.Context, pf *prFiles) error {
	prev := pf.prev
	u := s.p.client.url(s.repoPath("pulls", strconv.FormatInt(pf.number, 10), "files"), url.Values{"per_page": {strconv.Itoa(s.p.opts.PageSize)}})
	for u != "" {
		var page []restFile
		ans, err := s.p.client.get(ctx, u, "", &page)
		if err != nil {
			return fmt.Errorf("files of pull request #%d: %w", pf.number, err)
		}
		for _, f := range page {
			if f.Status == "renamed" && f.PreviousFilename != "" {
				prev[f.Filename] = f.PreviousFilename
			}
		}
		u = ans.next
	}
	return nil
}

// syncChangeFiles fetches the files of the changes stored without them:
// synced before files were collected, or whose files a webhook made stale
// (new commits pushed) and the pull-request walk did not read again. A
// query asks for 100 pull requests' files; each batch is committed as it
// comes.
func (s *repoSync) syncChangeFiles(ctx context.Context) error {
	ctx = s.ctxFor(ctx, collectors.ResourceChangeFiles)
	st, err := s.sink.State(ctx, collectors.ResourceChangeFiles)
	if err != nil {
		return err
	}
	need, err := s.sink.ChangesNeedingFiles(ctx)
	if err != nil {
		return err
	}
	size := s.p.opts.PullRequestPageSize
	for start := 0; ; start += size {
		batch := need[start:min(start+size, len(need))]
		pfs := make([]*prFiles, len(batch))
		for i, c := range batch {
			pfs[i] = &prFiles{number: c.Number}
		}
		if err := s.filesByNumber(ctx, pfs); err != nil {
			return err
		}
		if err := s.completeFiles(ctx, pfs); err != nil {
			return err
		}
		done := start+size >= len(need)
		err := s.sink.Commit(ctx, collectors.ResourceChangeFiles, st, done, func(b *collectors.Batch) error {
			for i, pf := range pfs {
				if !pf.known {
					continue
				}
				if err := b.ChangeFiles(ctx, batch[i].ID, pf.files); err != nil {
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
