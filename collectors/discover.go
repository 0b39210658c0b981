package collectors

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Discovery is what a repo shows of how it deploys, found with one
// request per list (each provider's Discover): `tach init` asks it of
// every repo, and a repo whose deployment source found nothing in its
// first sync asks it to say which source would have (CheckDeploySource).
type Discovery struct {
	Repo string
	// Environments are the repo's deployment environments, and
	// ProductionTier those the provider itself marks as production (a
	// GitLab environment of tier production).
	Environments   []string
	ProductionTier []string
	// Deployments is how many deployments the first page lists (up to
	// 100), and DeploymentEnvironments the environments they name.
	Deployments            int
	DeploymentEnvironments []string
	// DeployWorkflows are the GitHub workflow files, or the GitLab CI job
	// names, that say deploy or release (DeployWorkflowRE): what
	// deployments.workflow names. WorkflowKind is "workflow" or "job".
	DeployWorkflows []string
	WorkflowKind    string
	// Releases is how many published releases the first page lists.
	Releases int
}

// DeployWorkflowRE matches the name of a workflow or job that deploys.
var DeployWorkflowRE = regexp.MustCompile(`(?i)deploy|release|publish|ship|\bcd\b`)

// DefaultProduction is the default of deployments.environments, for a
// repo given without one (docs/metrics.md).
var DefaultProduction = regexp.MustCompile(`(?i)^(prod|production)$`)

// AddDeploymentEnvironment adds env to DeploymentEnvironments, once,
// keeping them sorted.
func (d *Discovery) AddDeploymentEnvironment(env string) {
	if i, found := slices.BinarySearch(d.DeploymentEnvironments, env); !found {
		d.DeploymentEnvironments = slices.Insert(d.DeploymentEnvironments, i, env)
	}
}

// Suggest is the deployment source a repo most likely uses, with its
// workflow for source workflow, and why, in a sentence: production
// deployments (prod matches their environment, or the provider marks it
// production), else a deploy workflow or job, else published releases,
// else every merge.
func (d Discovery) Suggest(prod *regexp.Regexp) (source, workflow, why string) {
	for _, env := range d.DeploymentEnvironments {
		if prod.MatchString(env) || slices.Contains(d.ProductionTier, env) {
			return "deployments", "", fmt.Sprintf("%d recent deployments, to %s", d.Deployments, strings.Join(d.DeploymentEnvironments, ", "))
		}
	}
	if len(d.DeployWorkflows) > 0 {
		return "workflow", d.DeployWorkflows[0], fmt.Sprintf("a deploy %s: %s", cmpOr(d.WorkflowKind, "workflow"), strings.Join(d.DeployWorkflows, ", "))
	}
	if d.Releases > 0 {
		return "releases", "", fmt.Sprintf("%d published releases", d.Releases)
	}
	why = "no production deployments, deploy " + cmpOr(d.WorkflowKind, "workflow") + " or releases found: every merge counts as shipped"
	if d.Deployments > 0 {
		why = fmt.Sprintf("deployments only to %s (none to production)", strings.Join(d.DeploymentEnvironments, ", "))
	}
	return "merges", "", why
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// A repo whose deployment source found nothing in its first sync is
// likely configured with the wrong one: the provider looks once at how
// the repo deploys (its Discover) and CheckDeploySource leaves a warning
// on the sync page naming the source that would have found deployments.
// The check is a resource of its own ("deploy_source"), done once per
// repo.

// ResourceDeploySource is the sync state of the check.
const ResourceDeploySource = "deploy_source"

// CheckDeploySource warns, after a repo's first sync, when its
// deployment source found no production deployment and another would
// have; discover looks at how the repo deploys, only then.
func CheckDeploySource(ctx context.Context, sink *Sink, discover func(context.Context) (Discovery, error)) error {
	repo := sink.repo
	st, err := sink.State(ctx, ResourceDeploySource)
	if err != nil || !st.LastSuccessAt.IsZero() || repo.Source == "merges" {
		return err // checked before; or merges, which finds every merge
	}
	source := cmpOr(repo.Source, "deployments")
	prod := repo.Environments
	if prod == nil {
		prod = DefaultProduction
	}
	deps, err := sink.FinishedDeployments(ctx)
	if err != nil {
		return err
	}
	found := 0
	for _, d := range deps {
		// A stored row of source deployments is in production already
		// (the GitLab collector keeps only those).
		if d.Source == source && (d.Source != "deployments" || prod.MatchString(d.Environment) || strings.EqualFold(d.EnvironmentTier, "production")) {
			found++
		}
	}
	if found == 0 {
		d, err := discover(ctx)
		if err != nil {
			return err
		}
		if src, wf, why := d.Suggest(prod); src != source && src != "merges" {
			set := "source: " + src
			if wf != "" {
				set += ", workflow: " + wf
			}
			sink.Warn(ResourceDeploySource, fmt.Sprintf("deployments.source %s found no production deployment in the first sync; %s would have (%s): set deployments: {%s}",
				describeSource(repo, source), src, why, set))
		}
	}
	return sink.Commit(ctx, ResourceDeploySource, st, true, nil)
}

// describeSource is the configured source as the config writes it.
func describeSource(repo Repo, source string) string {
	switch source {
	case "workflow":
		return "workflow (" + repo.Workflow + ")"
	case "deployments":
		if repo.Environments != nil {
			return "deployments (environments " + strings.TrimSpace(repo.Environments.String()) + ")"
		}
	}
	return source
}
