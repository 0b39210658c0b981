package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Reads the GitHub collector needs to decide how far back an incremental
// sync must walk and which deployment a commit range starts from. They are
// provider-neutral; GitLab may use them too.

// OldestPendingDeployment returns the creation time of the oldest
// deployment of a repo's source still pending that was created at or after
// since (zero when there is none): an incremental sync walks back to it so
// the deployment is read again until it ends.
func (s *Store) OldestPendingDeployment(ctx context.Context, repoID int64, source string, since time.Time) (time.Time, error) {
	var t sql.NullInt64
	err := s.read.QueryRowContext(ctx, `SELECT MIN(created_at) FROM deployments
		WHERE repo_id = ? AND source = ? AND status = 'pending' AND created_at >= ?`, repoID, source, since.Unix()).Scan(&t)
	if err != nil {
		return time.Time{}, fmt.Errorf("find oldest pending deployment: %w", err)
	}
	return fromUnix(t), nil
}

// OldestIncompleteCIRun returns the creation time of the oldest CI run of a
// repo that has not completed and was created at or after since (zero when
// there is none).
func (s *Store) OldestIncompleteCIRun(ctx context.Context, repoID int64, since time.Time) (time.Time, error) {
	var t sql.NullInt64
	err := s.read.QueryRowContext(ctx, `SELECT MIN(created_at) FROM ci_runs
		WHERE repo_id = ? AND status <> 'completed' AND created_at >= ?`, repoID, since.Unix()).Scan(&t)
	if err != nil {
		return time.Time{}, fmt.Errorf("find oldest incomplete CI run: %w", err)
	}
	return fromUnix(t), nil
}

// PreviousSuccessfulDeployment returns the successful deployment of the same
// repo, source and environment that finished last before d (ties broken by
// id), the base of d's commit range. ok is false for the first one.
func (s *Store) PreviousSuccessfulDeployment(ctx context.Context, d Deployment) (prev Deployment, ok bool, err error) {
	ds, err := s.queryDeployments(ctx, "find previous deployment",
		`repo_id = ? AND source = ? AND environment = ? AND status = 'success' AND id <> ?
		AND (finished_at < ? OR (finished_at = ? AND id < ?))
		ORDER BY finished_at DESC, id DESC LIMIT 1`,
		d.RepoID, d.Source, d.Environment, d.ID, d.FinishedAt.Unix(), d.FinishedAt.Unix(), d.ID)
	if err != nil {
		return Deployment{}, false, err
	}
	if len(ds) == 0 {
		return Deployment{}, false, nil
	}
	return ds[0], true, nil
}
