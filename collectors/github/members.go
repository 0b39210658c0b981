package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/tach-dev/tach/collectors"
)

var _ collectors.MemberLister = (*Provider)(nil)

// TeamMembers lists a GitHub team's members (GET
// /orgs/{org}/teams/{slug}/members, including its child teams'), by
// login. It needs read access to the organisation's members (a GitHub
// App: the organisation permission Members, read-only).
func (p *Provider) TeamMembers(ctx context.Context, name string) ([]string, error) {
	org, slug, ok := strings.Cut(name, "/")
	if !ok {
		return nil, fmt.Errorf("github team %q is not org/slug", name)
	}
	ctx = withCall(ctx, call{owner: org, resource: "members"})
	q := url.Values{"per_page": {strconv.Itoa(p.opts.PageSize)}}
	u := p.client.url("orgs/"+url.PathEscape(org)+"/teams/"+url.PathEscape(slug)+"/members", q)
	var out []string
	for u != "" {
		var page []struct {
			Login string `json:"login"`
		}
		ans, err := p.client.get(ctx, u, "", &page)
		var ae *APIError
		if errors.As(err, &ae) && ae.Status == http.StatusNotFound {
			return nil, fmt.Errorf("github_team %s: GitHub has no team %s in %s, or the token cannot see its members (it needs read access to the organisation's members)", name, slug, org)
		}
		if err != nil {
			return nil, fmt.Errorf("github_team %s: %w", name, err)
		}
		for _, m := range page {
			out = append(out, strings.ToLower(m.Login))
		}
		u = ans.next
	}
	return out, nil
}
