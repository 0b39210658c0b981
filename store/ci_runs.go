package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// CIRun is a GitHub Actions workflow run or a GitLab pipeline.
type CIRun struct {
	ID         int64
	RepoID     int64
	ProviderID string
	Name       string
	Branch     string
	Event      string
	SHA        string
	Status     string
	Conclusion string
	URL        string
	CreatedAt  time.Time
	StartedAt  time.Time
	FinishedAt time.Time
	UpdatedAt  time.Time
}

var ciRunCols = []string{"name", "branch", "event", "sha", "status", "conclusion", "url", "created_at", "started_at", "finished_at", "updated_at"}

func ciRunVals(r CIRun) []any {
	return []any{r.Name, r.Branch, r.Event, r.SHA, r.Status, r.Conclusion, r.URL, unix(r.CreatedAt), unix(r.StartedAt), unix(r.FinishedAt), unix(r.UpdatedAt)}
}

// UpsertCIRun records a CI run, keyed by repo and provider id.
func (tx *Tx) UpsertCIRun(ctx context.Context, r CIRun) (int64, Result, error) {
	id, res, err := tx.upsert(ctx, "ci_runs",
		[]string{"repo_id", "provider_id"}, []any{r.RepoID, r.ProviderID},
		ciRunCols, ciRunVals(r))
	if err != nil {
		return 0, res, fmt.Errorf("upsert CI run %s: %w", r.ProviderID, err)
	}
	return id, res, nil
}

// CIRunsForWindow returns the runs of the given repos that finished in
// [from, to) (Unix seconds).
func (s *Store) CIRunsForWindow(ctx context.Context, repoIDs []int64, from, to int64) ([]CIRun, error) {
	if len(repoIDs) == 0 {
		return nil, nil
	}
	args := append(sqlArgs(repoIDs), from, to)
	rows, err := s.read.QueryContext(ctx, `SELECT id, repo_id, provider_id, name, branch, event, sha, status, conclusion, url,
		created_at, started_at, finished_at, updated_at FROM ci_runs
		WHERE repo_id IN (`+placeholders(len(repoIDs))+`) AND finished_at >= ? AND finished_at < ? ORDER BY finished_at, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("load CI runs for window: %w", err)
	}
	defer rows.Close()
	var out []CIRun
	for rows.Next() {
		var r CIRun
		var created, started, finished, updated sql.NullInt64
		if err := rows.Scan(&r.ID, &r.RepoID, &r.ProviderID, &r.Name, &r.Branch, &r.Event, &r.SHA, &r.Status, &r.Conclusion, &r.URL,
			&created, &started, &finished, &updated); err != nil {
			return nil, fmt.Errorf("load CI runs for window: %w", err)
		}
		r.CreatedAt, r.StartedAt, r.FinishedAt, r.UpdatedAt = fromUnix(created), fromUnix(started), fromUnix(finished), fromUnix(updated)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load CI runs for window: %w", err)
	}
	return out, nil
}

// IncompleteCIRuns lists a repo's CI runs that have not completed and
// were created at or after since, oldest first, with their provider id,
// status and times.
func (s *Store) IncompleteCIRuns(ctx context.Context, repoID int64, since time.Time) ([]CIRun, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT provider_id, status, created_at, updated_at FROM ci_runs
		WHERE repo_id = ? AND status <> 'completed' AND created_at >= ? ORDER BY created_at, provider_id`, repoID, since.Unix())
	if err != nil {
		return nil, fmt.Errorf("list incomplete CI runs: %w", err)
	}
	defer rows.Close()
	var out []CIRun
	for rows.Next() {
		r := CIRun{RepoID: repoID}
		var created, updated int64
		if err := rows.Scan(&r.ProviderID, &r.Status, &created, &updated); err != nil {
			return nil, fmt.Errorf("list incomplete CI runs: %w", err)
		}
		r.CreatedAt, r.UpdatedAt = time.Unix(created, 0).UTC(), time.Unix(updated, 0).UTC()
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list incomplete CI runs: %w", err)
	}
	return out, nil
}
