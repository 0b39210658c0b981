package gitlab

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"

	gl "gitlab.com/gitlab-org/api/client-go"

	"github.com/tach-dev/tach/collectors"
	"github.com/tach-dev/tach/collectors/codeowners"
	"github.com/tach-dev/tach/store"
)

// syncCodeowners reads the project's CODEOWNERS file (sections too) for
// its modules, one per owner (docs/metrics.md, "Modules"): one request a
// sync, to where it was found last time with that answer's ETag (304
// when unchanged); the first time, or when it moved, each of
// codeowners.GitLabLocations in turn.
func (p *Provider) syncCodeowners(ctx context.Context, proj *project) error {
	const op = "get CODEOWNERS (GET /projects/:id/repository/files/:file_path)"
	st, err := proj.sink.State(ctx, collectors.ResourceCodeowners)
	if err != nil {
		return fmt.Errorf("sync %s: %w", proj.repo.Name, err)
	}
	last, etag, _ := strings.Cut(st.ETag, "|")
	paths := []string{}
	if last != "" {
		paths = append(paths, last)
	}
	for _, path := range codeowners.GitLabLocations {
		if path != last {
			paths = append(paths, path)
		}
	}
	for _, path := range paths {
		opts := []gl.RequestOptionFunc{proj.reqCtx(ctx, collectors.ResourceCodeowners)}
		if path == last && etag != "" {
			opts = append(opts, gl.WithHeader("If-None-Match", etag))
		}
		f, resp, err := p.client.RepositoryFiles.GetFile(proj.id, path, &gl.GetFileOptions{Ref: ptr(proj.defaultBranch)}, opts...)
		switch {
		case resp != nil && resp.StatusCode == http.StatusNotModified:
			return proj.sink.Commit(ctx, collectors.ResourceCodeowners, st, true, nil)
		case resp != nil && resp.StatusCode == http.StatusNotFound:
			continue
		case err != nil:
			return p.apiError(proj.repo.Name, op, resp, err)
		}
		content := f.Content
		if f.Encoding == "base64" {
			raw, err := base64.StdEncoding.DecodeString(content)
			if err != nil {
				return fmt.Errorf("sync %s: CODEOWNERS: %s is not base64: %w", proj.repo.Name, path, err)
			}
			content = string(raw)
		}
		tag := resp.Header.Get("ETag")
		st.ETag = path + "|" + tag
		return proj.sink.Commit(ctx, collectors.ResourceCodeowners, st, true, func(b *collectors.Batch) error {
			return b.Codeowners(ctx, store.Codeowners{Path: path, ETag: tag, Content: content})
		})
	}
	proj.sink.Warn(collectors.ResourceCodeowners, "no CODEOWNERS file in the root, docs/ or .gitlab/: the project has no modules from it")
	st.ETag = ""
	return proj.sink.Commit(ctx, collectors.ResourceCodeowners, st, true, func(b *collectors.Batch) error {
		return b.Codeowners(ctx, store.Codeowners{})
	})
}
