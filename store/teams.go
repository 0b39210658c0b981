package store

import (
	"context"
	"fmt"
)

// Team is a named set of repositories, from the config.
type Team struct {
	Name  string
	Repos []string
}

// ReplaceTeams makes the teams table say exactly what the config says.
// Repos not in the database yet are left out until a sync records them.
func (tx *Tx) ReplaceTeams(ctx context.Context, teams []Team) error {
	if _, err := tx.exec(ctx, `DELETE FROM teams`); err != nil {
		return fmt.Errorf("replace teams: %w", err)
	}
	for _, t := range teams {
		if _, err := tx.exec(ctx, `INSERT INTO teams (name) VALUES (?)`, t.Name); err != nil {
			return fmt.Errorf("replace teams: %s: %w", t.Name, err)
		}
		for _, r := range t.Repos {
			if _, err := tx.exec(ctx, `INSERT OR IGNORE INTO team_repos (team, repo_id) SELECT ?, id FROM repos WHERE name = ?`, t.Name, r); err != nil {
				return fmt.Errorf("replace teams: %s: %w", t.Name, err)
			}
		}
	}
	return nil
}

// Teams lists the teams with their repositories' names.
func (s *Store) Teams(ctx context.Context) ([]Team, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT t.name, COALESCE(r.name, '') FROM teams t
		LEFT JOIN team_repos tr ON tr.team = t.name LEFT JOIN repos r ON r.id = tr.repo_id ORDER BY t.name, r.name`)
	if err != nil {
		return nil, fmt.Errorf("list teams: %w", err)
	}
	defer rows.Close()
	var out []Team
	for rows.Next() {
		var team, repo string
		if err := rows.Scan(&team, &repo); err != nil {
			return nil, fmt.Errorf("list teams: %w", err)
		}
		if len(out) == 0 || out[len(out)-1].Name != team {
			out = append(out, Team{Name: team})
		}
		if repo != "" {
			out[len(out)-1].Repos = append(out[len(out)-1].Repos, repo)
		}
	}
	return out, rows.Err()
}
