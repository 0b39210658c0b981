package gitlab

import (
	"context"
	"fmt"
	"strings"

	gl "gitlab.com/gitlab-org/api/client-go"

	"github.com/tach-dev/tach/collectors"
)

var _ collectors.MemberLister = (*Provider)(nil)

// TeamMembers lists a GitLab group's members, inherited ones included
// (GET /groups/:id/members/all), by username.
func (p *Provider) TeamMembers(ctx context.Context, group string) ([]string, error) {
	o := &gl.ListGroupMembersOptions{ListOptions: gl.ListOptions{PerPage: int64(p.opts.PageSize)}}
	members, err := listAll(ctx, func(page gl.RequestOptionFunc) ([]*gl.GroupMember, *gl.Response, error) {
		return p.client.Groups.ListAllGroupMembers(group, o, withPage([]gl.RequestOptionFunc{gl.WithContext(ctx)}, page)...)
	})
	if err != nil {
		if notFound(nil, err) {
			return nil, fmt.Errorf("gitlab_group %s: GitLab group %s not found (404), or the token cannot see it: %w", group, group, collectors.ErrRepoNotFound)
		}
		return nil, p.wrapError("gitlab_group "+group+": list members (GET /groups/:path/members/all)", nil, err)
	}
	out := make([]string, 0, len(members))
	for _, m := range members {
		out = append(out, strings.ToLower(m.Username))
	}
	return out, nil
}
