package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/tach-dev/tach/collectors"
)

// Discover looks at how a repo deploys, with four requests: its
// environments, its latest deployments, its workflows and its releases.
func (p *Provider) Discover(ctx context.Context, repo string) (collectors.Discovery, error) {
	d := collectors.Discovery{Repo: repo, WorkflowKind: "workflow"}
	owner, name, ok := strings.Cut(repo, "/")
	if !ok {
		return d, fmt.Errorf("discover %s: a GitHub repo is named owner/name", repo)
	}
	ctx = withCall(ctx, call{repo: repo, resource: "discover"})
	base := "repos/" + url.PathEscape(owner) + "/" + url.PathEscape(name) + "/"
	page := url.Values{"per_page": {"100"}}
	var envs struct {
		Environments []struct {
			Name string `json:"name"`
		} `json:"environments"`
	}
	if err := p.discoverGet(ctx, base+"environments", page, &envs); err != nil {
		return d, fmt.Errorf("discover %s: environments: %w", repo, err)
	}
	for _, e := range envs.Environments {
		d.Environments = append(d.Environments, e.Name)
	}
	var deps []struct {
		Environment string `json:"environment"`
	}
	if err := p.discoverGet(ctx, base+"deployments", page, &deps); err != nil {
		return d, fmt.Errorf("discover %s: deployments: %w", repo, err)
	}
	d.Deployments = len(deps)
	for _, x := range deps {
		d.AddDeploymentEnvironment(x.Environment)
	}
	var wfs struct {
		Workflows []struct {
			Name  string `json:"name"`
			Path  string `json:"path"`
			State string `json:"state"`
		} `json:"workflows"`
	}
	if err := p.discoverGet(ctx, base+"actions/workflows", page, &wfs); err != nil {
		return d, fmt.Errorf("discover %s: workflows: %w", repo, err)
	}
	for _, w := range wfs.Workflows {
		file := w.Path[strings.LastIndex(w.Path, "/")+1:]
		if w.State == "active" && (collectors.DeployWorkflowRE.MatchString(w.Name) || collectors.DeployWorkflowRE.MatchString(file)) {
			d.DeployWorkflows = append(d.DeployWorkflows, file)
		}
	}
	var rels []struct {
		Draft bool `json:"draft"`
	}
	if err := p.discoverGet(ctx, base+"releases", page, &rels); err != nil {
		return d, fmt.Errorf("discover %s: releases: %w", repo, err)
	}
	for _, r := range rels {
		if !r.Draft {
			d.Releases++
		}
	}
	return d, nil
}

// discoverGet is a GET whose 404 (a feature the repo or server lacks,
// such as environments on an old GitHub Enterprise Server) means none.
func (p *Provider) discoverGet(ctx context.Context, path string, q url.Values, out any) error {
	_, err := p.client.get(ctx, p.client.url(path, q), "", out)
	var ae *APIError
	if errors.As(err, &ae) && ae.Status == http.StatusNotFound {
		return nil
	}
	return err
}
