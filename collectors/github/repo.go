package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/tach-dev/tach/collectors"
	"github.com/tach-dev/tach/store"
)

// restRepo is the part of GET /repos/{owner}/{repo} we read.
type restRepo struct {
	ID            int64     `json:"id"`
	FullName      string    `json:"full_name"`
	HTMLURL       string    `json:"html_url"`
	DefaultBranch string    `json:"default_branch"`
	CreatedAt     time.Time `json:"created_at"`
	Archived      bool      `json:"archived"`
}

// syncRepoInfo reads the repo itself (its default branch decides which
// merges and runs count), with its ETag: unchanged, it costs a 304 and no
// rate limit. It is also where a wrong name or a rejected token shows
// first.
func (s *repoSync) syncRepoInfo(ctx context.Context) error {
	ctx = s.ctxFor(ctx, collectors.ResourceRepo)
	st, err := s.sink.State(ctx, collectors.ResourceRepo)
	if err != nil {
		return fmt.Errorf("sync %s: %w", s.repo.Name, err)
	}
	u := s.p.client.url(s.repoPath(), nil)
	var r restRepo
	ans, err := s.p.client.get(ctx, u, etagOf(st.ETag, u), &r)
	var ae *APIError
	switch {
	case errors.As(err, &ae) && ae.Status == http.StatusNotFound:
		return fmt.Errorf("sync %s: %w: GitHub has no repository %s, or the token cannot see it (check the name in the config; a fine-grained token must include this repository)",
			s.repo.Name, collectors.ErrRepoNotFound, s.repo.Name)
	case err != nil:
		return fmt.Errorf("sync %s: repo: %w", s.repo.Name, err)
	}
	if ans.notModified {
		stored, err := s.sink.StoredRepo(ctx)
		if err == nil && stored.DefaultBranch != "" {
			s.defaultBranch = stored.DefaultBranch
			return s.sink.Commit(ctx, collectors.ResourceRepo, st, true, nil)
		}
		// The row lost its data (a new database with an old sync state?):
		// ask again without the ETag.
		if ans, err = s.p.client.get(ctx, u, "", &r); err != nil {
			return fmt.Errorf("sync %s: repo: %w", s.repo.Name, err)
		}
	}
	s.defaultBranch = r.DefaultBranch
	if s.defaultBranch == "" {
		s.defaultBranch = "main"
	}
	st.ETag = etagFor(u, ans.etag)
	return s.sink.Commit(ctx, collectors.ResourceRepo, st, true, func(b *collectors.Batch) error {
		return b.Repo(ctx, store.Repo{
			Provider: store.GitHub, Name: s.repo.Name, ProviderID: strconv.FormatInt(r.ID, 10),
			DefaultBranch: s.defaultBranch, URL: r.HTMLURL, CreatedAt: r.CreatedAt.UTC(), Archived: r.Archived,
		})
	})
}
