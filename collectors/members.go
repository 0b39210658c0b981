package collectors

import (
	"context"
	"fmt"
	"time"

	"github.com/tach-dev/tach/store"
)

// Teams by people: a team whose members come from a provider (a GitHub
// team, a GitLab group) has them read once per sync, before the repos
// sync, and kept in the store for the reports (store.SetTeamMembers).

// TeamSource is a team whose members a provider gives.
type TeamSource struct {
	Team     string
	Provider string
	Name     string // org/slug (GitHub), the group's path (GitLab)
	Kind     string // github_team or gitlab_group, for messages
}

// MemberLister is a Provider that can list a team's or group's members.
type MemberLister interface {
	TeamMembers(ctx context.Context, name string) ([]string, error)
}

// readTeamMembers reads each team source's members and records them.
func (s *Syncer) readTeamMembers(ctx context.Context) error {
	for _, src := range s.cfg.TeamSources {
		lister, ok := s.providers[src.Provider].(MemberLister)
		if !ok {
			return fmt.Errorf("sync: team %s: this tach cannot read the members of a %s (configure repos of that provider, or list members)", src.Team, src.Kind)
		}
		logins, err := lister.TeamMembers(ctx, src.Name)
		if err != nil {
			return fmt.Errorf("sync: team %s: %w", src.Team, err)
		}
		if err := s.st.SetTeamMembers(ctx, store.ProviderMembers{Team: src.Team, Source: src.Kind + " " + src.Name, At: time.Now().UTC(), Members: logins}); err != nil {
			return err
		}
	}
	return nil
}
