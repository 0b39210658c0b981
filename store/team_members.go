package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// A team's members as a provider gave them at the last sync (a GitHub
// team's, a GitLab group's), kept in the meta table by team name: the
// reports read them between syncs.

const teamMembersPrefix = "team_members:"

// ProviderMembers is what a sync read of a team's members.
type ProviderMembers struct {
	Team    string    `json:"team"`
	Source  string    `json:"source"` // github_team acme/search, gitlab_group acme/search
	At      time.Time `json:"at"`
	Members []string  `json:"members"` // lower-case logins
}

// SetTeamMembers records the members a sync read of a team.
func (s *Store) SetTeamMembers(ctx context.Context, m ProviderMembers) error {
	for i := range m.Members {
		m.Members[i] = strings.ToLower(m.Members[i])
	}
	b, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("record members of %s: %w", m.Team, err)
	}
	return s.Write(ctx, func(tx *Tx) error { return tx.SetMeta(ctx, teamMembersPrefix+m.Team, string(b)) })
}

// TeamMembers returns the members each team's source gave at the last
// sync, by team name.
func (s *Store) TeamMembers(ctx context.Context) (map[string]ProviderMembers, error) {
	values, err := s.metaWithPrefix(ctx, teamMembersPrefix)
	if err != nil {
		return nil, err
	}
	out := make(map[string]ProviderMembers, len(values))
	for _, v := range values {
		var m ProviderMembers
		if err := json.Unmarshal([]byte(v), &m); err != nil {
			return nil, fmt.Errorf("read team members: %w", err)
		}
		out[m.Team] = m
	}
	return out, nil
}
