package github

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/tach-dev/tach/collectors"
	"github.com/tach-dev/tach/collectors/codeowners"
	"github.com/tach-dev/tach/store"
)

// syncCodeowners reads the repo's CODEOWNERS file for its modules (one
// per owner; docs/metrics.md, "Modules"): one request a sync, to where it
// was found last time with that answer's ETag (a 304 when unchanged);
// the first time, or when it moved, each of codeowners.Locations in turn.
func (s *repoSync) syncCodeowners(ctx context.Context) error {
	ctx = s.ctxFor(ctx, collectors.ResourceCodeowners)
	st, err := s.sink.State(ctx, collectors.ResourceCodeowners)
	if err != nil {
		return fmt.Errorf("sync %s: codeowners: %w", s.repo.Name, err)
	}
	urls := make([]string, 0, len(codeowners.Locations)+1)
	if last, _, ok := strings.Cut(st.ETag, "|"); ok {
		urls = append(urls, last)
	}
	for _, path := range codeowners.Locations {
		if u := s.p.client.url(s.repoPath("contents", path), nil); !strings.EqualFold(u, firstOr(urls)) {
			urls = append(urls, u)
		}
	}
	for _, u := range urls {
		var file struct {
			Path     string `json:"path"`
			Content  string `json:"content"`
			Encoding string `json:"encoding"`
		}
		ans, err := s.p.client.get(ctx, u, etagOf(st.ETag, u), &file)
		var ae *APIError
		switch {
		case errors.As(err, &ae) && ae.Status == http.StatusNotFound:
			continue
		case err != nil:
			return fmt.Errorf("sync %s: codeowners: %w", s.repo.Name, err)
		case ans.notModified:
			return s.sink.Commit(ctx, collectors.ResourceCodeowners, st, true, nil)
		}
		content := file.Content
		if file.Encoding == "base64" {
			raw, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(content, "\n", ""))
			if err != nil {
				return fmt.Errorf("sync %s: codeowners: %s is not base64: %w", s.repo.Name, file.Path, err)
			}
			content = string(raw)
		}
		st.ETag = etagFor(u, ans.etag)
		return s.sink.Commit(ctx, collectors.ResourceCodeowners, st, true, func(b *collectors.Batch) error {
			return b.Codeowners(ctx, store.Codeowners{Path: file.Path, ETag: ans.etag, Content: content})
		})
	}
	s.sink.Warn(collectors.ResourceCodeowners, "no CODEOWNERS file in .github/, the root or docs/: the repo has no modules from it")
	st.ETag = ""
	return s.sink.Commit(ctx, collectors.ResourceCodeowners, st, true, func(b *collectors.Batch) error {
		return b.Codeowners(ctx, store.Codeowners{})
	})
}

func firstOr(xs []string) string {
	if len(xs) == 0 {
		return ""
	}
	return xs[0]
}
