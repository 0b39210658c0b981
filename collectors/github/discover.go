package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// Discovery is what a repo shows of how it deploys, found with four
// requests (`tach init` asks it of every repo; a repo whose deployment
// source found nothing in its first sync asks it to say which would have).
type Discovery struct {
	Repo string
	// Environments are the repo's deployment environments (GET
	// /environments).
	Environments []string
	// Deployments is how many deployments the first page lists (up to
	// 100; GET /deployments), and DeploymentEnvironments the environments
	// they name.
	Deployments            int
	DeploymentEnvironments []string
	// DeployWorkflows are the workflows whose name or file says deploy or
	// release (GET /actions/workflows): their files.
	DeployWorkflows []string
	// Releases is how many published releases the first page lists (GET
	// /releases).
	Releases int
}

var deployWorkflowRE = regexp.MustCompile(`(?i)deploy|release|publish|ship|\bcd\b`)

// Discover looks at how a repo deploys.
func (p *Provider) Discover(ctx context.Context, repo string) (Discovery, error) {
	d := Discovery{Repo: repo}
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
		if !slices.Contains(d.DeploymentEnvironments, x.Environment) {
			d.DeploymentEnvironments = append(d.DeploymentEnvironments, x.Environment)
		}
	}
	slices.Sort(d.DeploymentEnvironments)
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
		if w.State == "active" && (deployWorkflowRE.MatchString(w.Name) || deployWorkflowRE.MatchString(file)) {
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

// Suggest is the deployment source a repo most likely uses, with its
// workflow for source workflow, and why, in a sentence: production
// deployments (prod matches their environment), else a deploy workflow,
// else published releases, else every merge.
func (d Discovery) Suggest(prod *regexp.Regexp) (source, workflow, why string) {
	for _, env := range d.DeploymentEnvironments {
		if prod.MatchString(env) {
			return "deployments", "", fmt.Sprintf("%d recent deployments, to %s", d.Deployments, strings.Join(d.DeploymentEnvironments, ", "))
		}
	}
	if len(d.DeployWorkflows) > 0 {
		return "workflow", d.DeployWorkflows[0], "a deploy workflow: " + strings.Join(d.DeployWorkflows, ", ")
	}
	if d.Releases > 0 {
		return "releases", "", fmt.Sprintf("%d published releases", d.Releases)
	}
	why = "no production deployments, deploy workflow or releases found: every merge counts as shipped"
	if d.Deployments > 0 {
		why = fmt.Sprintf("deployments only to %s (none to production)", strings.Join(d.DeploymentEnvironments, ", "))
	}
	return "merges", "", why
}
