package gitlab

import (
	"context"
	"slices"

	gl "gitlab.com/gitlab-org/api/client-go"

	"github.com/tach-dev/tach/collectors"
)

// Discover looks at how a project deploys, with four requests (the first
// page of each list, 100 items): its environments (with their tiers), its
// latest deployments, its latest CI jobs (those named like deploy or
// release are what deployments.workflow names) and its releases.
func (p *Provider) Discover(ctx context.Context, project string) (collectors.Discovery, error) {
	d := collectors.Discovery{Repo: project, WorkflowKind: "job"}
	page := gl.ListOptions{PerPage: 100}
	req := gl.WithContext(ctx)
	fail := func(what, op string, resp *gl.Response, err error) (collectors.Discovery, error) {
		return d, p.wrapError("discover "+project+": "+what+" ("+op+")", resp, err)
	}

	// The project was just listed or synced: a 403 or 404 is a feature
	// turned off (featureOff), so none.
	envs, resp, err := p.client.Environments.ListEnvironments(project, &gl.ListEnvironmentsOptions{ListOptions: page}, req)
	if err != nil && !featureOff(resp, err) {
		return fail("environments", "GET /projects/:id/environments", resp, err)
	}
	for _, e := range envs {
		d.Environments = append(d.Environments, e.Name)
		if e.Tier == "production" {
			d.ProductionTier = append(d.ProductionTier, e.Name)
		}
	}

	deps, resp, err := p.client.Deployments.ListProjectDeployments(project, &gl.ListProjectDeploymentsOptions{
		ListOptions: page, OrderBy: ptr("id"), Sort: ptr("desc"),
	}, req)
	if err != nil && !featureOff(resp, err) {
		return fail("deployments", "GET /projects/:id/deployments", resp, err)
	}
	d.Deployments = len(deps)
	for _, x := range deps {
		if x.Environment != nil {
			d.AddDeploymentEnvironment(x.Environment.Name)
		}
	}

	jobs, resp, err := p.client.Jobs.ListProjectJobs(project, &gl.ListJobsOptions{ListOptions: page}, req)
	if err != nil && !featureOff(resp, err) {
		return fail("CI jobs", "GET /projects/:id/jobs", resp, err)
	}
	for _, j := range jobs {
		if collectors.DeployWorkflowRE.MatchString(j.Name) && !slices.Contains(d.DeployWorkflows, j.Name) {
			d.DeployWorkflows = append(d.DeployWorkflows, j.Name)
		}
	}
	slices.Sort(d.DeployWorkflows)

	rels, resp, err := p.client.Releases.ListReleases(project, &gl.ListReleasesOptions{ListOptions: page}, req)
	if err != nil && !featureOff(resp, err) {
		return fail("releases", "GET /projects/:id/releases", resp, err)
	}
	for _, r := range rels {
		if !r.UpcomingRelease {
			d.Releases++
		}
	}
	return d, nil
}
