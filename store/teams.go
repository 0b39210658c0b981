package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
)

// Team is a named set of repositories, from the config.
type Team struct {
	Name  string
	Repos []string
	// Modules the team owns beside its repos (REPO:NAME), from the
	// config; the teams table does not keep them.
	Modules []string
	// Members are the team's people (lower-case logins): the config's,
	// and those read from a provider (TeamMembers); not in the table.
	Members []string
}

// ReplaceTeams makes the teams table say exactly what the config says.
// Repos not in the database yet are left out until a sync records them.
// When the table says it already, nothing is written: a write moves the
// generation (migration 0005) and so empties the page cache.
func (tx *Tx) ReplaceTeams(ctx context.Context, teams []Team) error {
	want, err := tx.teamMembers(ctx, teams)
	if err != nil {
		return fmt.Errorf("replace teams: %w", err)
	}
	have, err := tx.storedMembers(ctx)
	if err != nil {
		return fmt.Errorf("replace teams: %w", err)
	}
	slices.Sort(have)
	if slices.Equal(have, want) {
		return nil
	}
	if _, err := tx.exec(ctx, `DELETE FROM teams`); err != nil {
		return fmt.Errorf("replace teams: %w", err)
	}
	for _, t := range teams {
		if _, err := tx.exec(ctx, `INSERT INTO teams (name) VALUES (?)`, t.Name); err != nil {
			return fmt.Errorf("replace teams: %s: %w", t.Name, err)
		}
		for _, r := range t.Repos {
			if _, err := tx.exec(ctx, `INSERT INTO team_repos (team, repo_id) SELECT ?, id FROM repos WHERE name = ? ON CONFLICT DO NOTHING`, t.Name, r); err != nil {
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

// teamMembers is what the teams and team_repos tables hold for teams, as
// "team\trepo id" (or "team\t" for a team without repos), sorted.
func (tx *Tx) teamMembers(ctx context.Context, teams []Team) ([]string, error) {
	var out []string
	for _, t := range teams {
		var members []string
		for _, r := range t.Repos {
			rows, err := tx.query(ctx, `SELECT id FROM repos WHERE name = ?`, r)
			if err != nil {
				return nil, err
			}
			for rows.Next() {
				var id int64
				if err := rows.Scan(&id); err != nil {
					rows.Close()
					return nil, err
				}
				members = append(members, t.Name+"\t"+strconv.FormatInt(id, 10))
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return nil, err
			}
		}
		if len(members) == 0 {
			members = []string{t.Name + "\t"}
		}
		out = append(out, members...)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// storedMembers is what the teams and team_repos tables hold, as
// teamMembers says it (unsorted).
func (tx *Tx) storedMembers(ctx context.Context) ([]string, error) {
	rows, err := tx.query(ctx, `SELECT t.name, tr.repo_id FROM teams t LEFT JOIN team_repos tr ON tr.team = t.name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var name string
		var repo sql.NullInt64
		if err := rows.Scan(&name, &repo); err != nil {
			return nil, err
		}
		m := name + "\t"
		if repo.Valid {
			m += strconv.FormatInt(repo.Int64, 10)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}
