package gitlab

import (
	"context"
	"fmt"
	"strconv"

	gl "gitlab.com/gitlab-org/api/client-go"

	"github.com/tach-dev/tach/collectors"
	"github.com/tach-dev/tach/store"
)

// syncProject reads the project by its full path (client-go URL-encodes
// it: acme%2Fplatform%2Fbilling) and records its id, default branch and
// url. A missing project is ErrRepoNotFound, naming it.
func (p *Provider) syncProject(ctx context.Context, repo collectors.Repo, sink *collectors.Sink) (*project, error) {
	proj := &project{repo: repo, sink: sink, slots: collectors.NewRequestSlots(p.opts.ProjectRequests)}
	got, resp, err := p.client.Projects.GetProject(repo.Name, &gl.GetProjectOptions{
		License: ptr(false), Statistics: ptr(false), WithCustomAttributes: ptr(false),
	}, proj.reqCtx(ctx, collectors.ResourceRepo))
	if err != nil {
		if notFound(resp, err) {
			return nil, fmt.Errorf("sync %s: GitLab project %s not found (404), or the token cannot see it: %w",
				repo.Name, repo.Name, collectors.ErrRepoNotFound)
		}
		return nil, p.apiError(repo.Name, "read project (GET /projects/:path)", resp, err)
	}
	proj.id, proj.defaultBranch, proj.webURL = got.ID, got.DefaultBranch, got.WebURL
	if proj.defaultBranch == "" {
		proj.defaultBranch = "main" // an empty repository
	}
	st, err := sink.State(ctx, collectors.ResourceRepo)
	if err != nil {
		return nil, fmt.Errorf("sync %s: %w", repo.Name, err)
	}
	err = sink.Commit(ctx, collectors.ResourceRepo, st, true, func(b *collectors.Batch) error {
		return b.Repo(ctx, store.Repo{
			Provider: store.GitLab, Name: repo.Name, ProviderID: strconv.FormatInt(got.ID, 10),
			DefaultBranch: proj.defaultBranch, URL: got.WebURL, CreatedAt: tm(got.CreatedAt), Archived: got.Archived,
		})
	})
	if err != nil {
		return nil, err
	}
	return proj, nil
}

// ExpandGroup lists the projects of a group and of all its subgroups, by
// full path, leaving archived projects out unless includeArchived, and
// projects only shared with the group (they belong to another group).
func (p *Provider) ExpandGroup(ctx context.Context, group string, includeArchived bool) ([]string, error) {
	o := &gl.ListGroupProjectsOptions{
		ListOptions:      gl.ListOptions{PerPage: int64(p.opts.PageSize)},
		IncludeSubGroups: ptr(true),
		WithShared:       ptr(false),
		Simple:           ptr(true),
		OrderBy:          ptr("id"),
		Sort:             ptr("asc"),
	}
	if !includeArchived {
		o.Archived = ptr(false)
	}
	projects, err := listAll(ctx, func(page gl.RequestOptionFunc) ([]*gl.Project, *gl.Response, error) {
		return p.client.Groups.ListGroupProjects(group, o, withPage([]gl.RequestOptionFunc{gl.WithContext(ctx)}, page)...)
	})
	if err != nil {
		if notFound(nil, err) {
			return nil, fmt.Errorf("expand gitlab_group %s: GitLab group %s not found (404), or the token cannot see it: %w", group, group, collectors.ErrRepoNotFound)
		}
		return nil, p.wrapError("expand gitlab_group "+group+": list projects (GET /groups/:path/projects)", nil, err)
	}
	names := make([]string, 0, len(projects))
	for _, pr := range projects {
		if pr.Archived && !includeArchived {
			continue // an old GitLab that ignores archived=false
		}
		names = append(names, pr.PathWithNamespace)
	}
	return names, nil
}
