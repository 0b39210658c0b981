package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/tach-dev/tach/collectors"
)

var _ collectors.OrgLister = (*Provider)(nil)

// listedRepo is the part of a repos list's item we read.
type listedRepo struct {
	FullName string   `json:"full_name"`
	Archived bool     `json:"archived"`
	Fork     bool     `json:"fork"`
	Topics   []string `json:"topics"`
}

// ListOrg lists the repos of an organisation (GET /orgs/{org}/repos), or
// of a user when GitHub has no such organisation (GET
// /users/{user}/repos, the repos the user owns), a page of up to 100 at
// a time. Signed in as an app, it uses the installation of that account.
func (p *Provider) ListOrg(ctx context.Context, org string) ([]collectors.ListedRepo, error) {
	ctx = withCall(ctx, call{owner: org, resource: "repos"})
	q := url.Values{"per_page": {strconv.Itoa(p.opts.PageSize)}}
	q.Set("type", "all")
	out, err := p.listRepos(ctx, p.client.url("orgs/"+url.PathEscape(org)+"/repos", q))
	var ae *APIError
	if errors.As(err, &ae) && ae.Status == http.StatusNotFound {
		q.Set("type", "owner")
		out, err = p.listRepos(ctx, p.client.url("users/"+url.PathEscape(org)+"/repos", q))
		if errors.As(err, &ae) && ae.Status == http.StatusNotFound {
			return nil, fmt.Errorf("list github_org %s: GitHub has no organisation or user %s, or the token cannot see it: %w", org, org, collectors.ErrRepoNotFound)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("list github_org %s: %w", org, err)
	}
	return out, nil
}

func (p *Provider) listRepos(ctx context.Context, u string) ([]collectors.ListedRepo, error) {
	var out []collectors.ListedRepo
	for u != "" {
		var page []listedRepo
		ans, err := p.client.get(ctx, u, "", &page)
		if err != nil {
			return nil, err
		}
		for _, r := range page {
			out = append(out, collectors.ListedRepo{Name: r.FullName, Archived: r.Archived, Fork: r.Fork, Topics: r.Topics})
		}
		u = ans.next
	}
	return out, nil
}
