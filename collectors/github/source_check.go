package github

import (
	"context"

	"github.com/tach-dev/tach/collectors"
)

// checkDeploySource warns, after a repo's first sync, when its
// deployment source found no production deployment and another would
// have (collectors.CheckDeploySource; Discover looks).
func (s *repoSync) checkDeploySource(ctx context.Context) error {
	return collectors.CheckDeploySource(ctx, s.sink, func(ctx context.Context) (collectors.Discovery, error) {
		return s.p.Discover(ctx, s.repo.Name)
	})
}
