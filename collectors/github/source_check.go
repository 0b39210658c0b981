package github

import (
	"context"
	"fmt"
	"regexp"
	"strings"
)

// defaultProduction is the default of deployments.environments, for a
// repo given without one (docs/metrics.md).
var defaultProduction = regexp.MustCompile(`(?i)^(prod|production)$`)

// A repo whose deployment source found nothing in its first sync is
// likely configured with the wrong one: tach looks once at how the repo
// deploys (Discover: four requests) and leaves a warning on the sync page
// naming the source that would have found deployments. The check is a
// resource of its own ("deploy_source"), done once per repo.

// ResourceDeploySource is the sync state of the check.
const ResourceDeploySource = "deploy_source"

// checkDeploySource warns, after a repo's first sync, when its
// deployment source found no production deployment and another would
// have.
func (s *repoSync) checkDeploySource(ctx context.Context) error {
	st, err := s.sink.State(ctx, ResourceDeploySource)
	if err != nil || !st.LastSuccessAt.IsZero() || s.repo.Source == "merges" {
		return err // checked before; or merges, which finds every merge
	}
	prod := s.repo.Environments
	if prod == nil {
		prod = defaultProduction
	}
	deps, err := s.sink.FinishedDeployments(ctx)
	if err != nil {
		return err
	}
	found := 0
	for _, d := range deps {
		if d.Source == s.repo.Source && (d.Source != "deployments" || prod.MatchString(d.Environment)) {
			found++
		}
	}
	if found == 0 {
		d, err := s.p.Discover(ctx, s.repo.Name)
		if err != nil {
			return err
		}
		if src, wf, why := d.Suggest(prod); src != s.repo.Source && src != "merges" {
			set := "source: " + src
			if wf != "" {
				set += ", workflow: " + wf
			}
			s.sink.Warn(ResourceDeploySource, fmt.Sprintf("deployments.source %s found no production deployment in the first sync; %s would have (%s): set deployments: {%s}",
				s.describeSource(), src, why, set))
		}
	}
	return s.sink.Commit(ctx, ResourceDeploySource, st, true, nil)
}

// describeSource is the configured source as the config writes it.
func (s *repoSync) describeSource() string {
	switch s.repo.Source {
	case "workflow":
		return "workflow (" + s.repo.Workflow + ")"
	case "deployments":
		if s.repo.Environments != nil {
			return "deployments (environments " + strings.TrimSpace(s.repo.Environments.String()) + ")"
		}
	}
	return s.repo.Source
}
