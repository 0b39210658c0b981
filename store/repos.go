package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Providers.
const (
	GitHub = "github"
	GitLab = "gitlab"
)

// Repo is a GitHub repository or GitLab project.
type Repo struct {
	ID            int64
	Provider      string // github or gitlab
	Name          string // owner/name or group/sub/project
	ProviderID    string
	DefaultBranch string
	URL           string
	CreatedAt     time.Time
	Archived      bool
	// HistoryStart is the earliest time from which the store holds all of
	// the repo's records (migration 0007); zero while not known. It is
	// written by InitHistoryStart, never by UpsertRepo.
	HistoryStart time.Time
}

// UpsertRepo records a repository, keyed by provider and name.
func (tx *Tx) UpsertRepo(ctx context.Context, r Repo) (int64, Result, error) {
	if r.DefaultBranch == "" {
		r.DefaultBranch = "main"
	}
	id, res, err := tx.upsert(ctx, "repos",
		[]string{"provider", "name"}, []any{r.Provider, r.Name},
		[]string{"provider_id", "default_branch", "url", "created_at", "archived"},
		[]any{r.ProviderID, r.DefaultBranch, r.URL, unix(r.CreatedAt), boolInt(r.Archived)})
	if err != nil {
		return 0, res, fmt.Errorf("upsert repo %s: %w", r.Name, err)
	}
	return id, res, nil
}

const repoCols = `id, provider, name, provider_id, default_branch, url, created_at, archived, history_start`

func scanRepo(sc interface{ Scan(...any) error }) (Repo, error) {
	var r Repo
	var created, history sql.NullInt64
	var archived int
	err := sc.Scan(&r.ID, &r.Provider, &r.Name, &r.ProviderID, &r.DefaultBranch, &r.URL, &created, &archived, &history)
	r.CreatedAt, r.Archived, r.HistoryStart = fromUnix(created), archived != 0, fromUnix(history)
	return r, err
}

// InitHistoryStart records a repo's history start (Repo.HistoryStart) at
// its first sync — the time the sync read its history back to — unless it
// has one. A time that is not a whole second is rounded up, so the start
// never claims a moment the sync did not ask for. It reports whether it
// was recorded.
func (tx *Tx) InitHistoryStart(ctx context.Context, repoID int64, start time.Time) (bool, error) {
	sec := start.Unix()
	if start.Nanosecond() > 0 {
		sec++
	}
	res, err := tx.exec(ctx, `UPDATE repos SET history_start = ? WHERE id = ? AND history_start IS NULL`, sec, repoID)
	if err != nil {
		return false, fmt.Errorf("record history start of repo %d: %w", repoID, err)
	}
	n, err := res.RowsAffected()
	if err != nil || n == 0 {
		return false, err
	}
	// The page cache keeps the repos while the generation stands.
	if _, err := tx.exec(ctx, `UPDATE rollup_generation SET gen = gen + 1`); err != nil {
		return false, fmt.Errorf("record history start of repo %d: %w", repoID, err)
	}
	return true, nil
}

// Repos lists every repository, by name.
func (s *Store) Repos(ctx context.Context) ([]Repo, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+repoCols+` FROM repos ORDER BY name, provider`)
	if err != nil {
		return nil, fmt.Errorf("list repos: %w", err)
	}
	defer rows.Close()
	var out []Repo
	for rows.Next() {
		r, err := scanRepo(rows)
		if err != nil {
			return nil, fmt.Errorf("list repos: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list repos: %w", err)
	}
	return out, nil
}

// RepoByName finds a repository by its name (owner/name or group/project).
func (s *Store) RepoByName(ctx context.Context, name string) (Repo, error) {
	r, err := scanRepo(s.read.QueryRowContext(ctx, `SELECT `+repoCols+` FROM repos WHERE name = ? ORDER BY provider LIMIT 1`, name))
	if errors.Is(err, sql.ErrNoRows) {
		return Repo{}, fmt.Errorf("repo %s: %w", name, ErrNotFound)
	}
	if err != nil {
		return Repo{}, fmt.Errorf("find repo %s: %w", name, err)
	}
	return r, nil
}

// UpsertRepoName makes sure a repo row exists for provider and name and
// returns its id, leaving its other columns as they are.
func (tx *Tx) UpsertRepoName(ctx context.Context, provider, name string) (int64, Result, error) {
	var id int64
	err := tx.queryRow(ctx, `SELECT id FROM repos WHERE provider = ? AND name = ?`, provider, name).Scan(&id)
	if err == nil {
		return id, Unchanged, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return 0, Unchanged, fmt.Errorf("find repo %s: %w", name, err)
	}
	if err := tx.queryRow(ctx, `INSERT INTO repos (provider, name) VALUES (?, ?) RETURNING id`, provider, name).Scan(&id); err != nil {
		return 0, Unchanged, fmt.Errorf("insert repo %s: %w", name, err)
	}
	return id, Inserted, nil
}
