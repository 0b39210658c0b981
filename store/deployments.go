package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Deployment is one deployment attempt, from whichever source the repo uses.
type Deployment struct {
	ID              int64
	RepoID          int64
	Source          string // deployments, workflow, releases, merges
	ProviderID      string
	Environment     string
	EnvironmentTier string
	SHA             string
	Ref             string
	Status          string // pending, success, failure, error, canceled
	Creator         string
	URL             string
	CreatedAt       time.Time
	FinishedAt      time.Time
	UpdatedAt       time.Time
	RangeFetched    bool     // the compare range is stored
	RangeSHAs       []string // filled only by RepoHistory

	// Derived.
	Production    bool
	FailedAttempt bool
	Failed        bool
	FailureCause  string
	Rollback      bool
	Rework        bool
	RecoveredAt   time.Time
	RecoveredBy   string
}

var deploymentCols = []string{
	"environment", "environment_tier", "sha", "ref", "status", "creator", "url",
	"created_at", "finished_at", "updated_at",
}

// deploymentVals are d's values of deploymentCols.
func deploymentVals(d Deployment) []any {
	return []any{
		d.Environment, d.EnvironmentTier, d.SHA, d.Ref, d.Status, d.Creator, d.URL,
		unix(d.CreatedAt), unix(d.FinishedAt), unix(d.UpdatedAt),
	}
}

// UpsertDeployment records a deployment, keyed by repo, source and provider id.
func (tx *Tx) UpsertDeployment(ctx context.Context, d Deployment) (int64, Result, error) {
	id, res, err := tx.upsert(ctx, "deployments",
		[]string{"repo_id", "source", "provider_id"}, []any{d.RepoID, d.Source, d.ProviderID},
		deploymentCols, deploymentVals(d))
	if err != nil {
		return 0, res, fmt.Errorf("upsert deployment %s: %w", d.ProviderID, err)
	}
	return id, res, nil
}

// SetDeploymentRange stores the commit range of a deployment (the compare
// API's answer), once: a deployment whose range is stored is never asked
// for again.
func (tx *Tx) SetDeploymentRange(ctx context.Context, deploymentID int64, shas []string) error {
	for _, sha := range shas {
		if _, err := tx.exec(ctx, `INSERT INTO deployment_commits (deployment_id, sha) VALUES (?, ?) ON CONFLICT DO NOTHING`, deploymentID, sha); err != nil {
			return fmt.Errorf("store deployment range: %w", err)
		}
	}
	if _, err := tx.exec(ctx, `UPDATE deployments SET range_fetched = 1 WHERE id = ?`, deploymentID); err != nil {
		return fmt.Errorf("store deployment range: %w", err)
	}
	return nil
}

const deploymentSelect = `SELECT id, repo_id, source, provider_id, environment, environment_tier, sha, ref, status, creator, url,
	created_at, finished_at, updated_at, range_fetched,
	production, failed_attempt, failed, failure_cause, rollback, rework, recovered_at, recovered_by
	FROM deployments`

func scanDeployment(sc interface{ Scan(...any) error }) (Deployment, error) {
	var d Deployment
	var created, finished, updated, recovered sql.NullInt64
	var fetched, prod, attempt, failed, rollback, rework int
	err := sc.Scan(&d.ID, &d.RepoID, &d.Source, &d.ProviderID, &d.Environment, &d.EnvironmentTier, &d.SHA, &d.Ref, &d.Status, &d.Creator, &d.URL,
		&created, &finished, &updated, &fetched,
		&prod, &attempt, &failed, &d.FailureCause, &rollback, &rework, &recovered, &d.RecoveredBy)
	d.CreatedAt, d.FinishedAt, d.UpdatedAt, d.RecoveredAt = fromUnix(created), fromUnix(finished), fromUnix(updated), fromUnix(recovered)
	d.RangeFetched, d.Production, d.FailedAttempt, d.Failed, d.Rollback, d.Rework = fetched != 0, prod != 0, attempt != 0, failed != 0, rollback != 0, rework != 0
	return d, err
}

func (s *Store) queryDeployments(ctx context.Context, op, where string, args ...any) ([]Deployment, error) {
	rows, err := s.read.QueryContext(ctx, deploymentSelect+" WHERE "+where, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	defer rows.Close()
	var out []Deployment
	for rows.Next() {
		d, err := scanDeployment(rows)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return out, nil
}

// DeploymentsForWindow returns the deployments a report over [from, to)
// (Unix seconds) needs in the given repos: finished in the window (successes and failed
// attempts) or recovered in it.
func (s *Store) DeploymentsForWindow(ctx context.Context, repoIDs []int64, from, to int64) ([]Deployment, error) {
	if len(repoIDs) == 0 {
		return nil, nil
	}
	in := placeholders(len(repoIDs))
	args := sqlArgs(repoIDs)
	where := `repo_id IN (` + in + `) AND ((finished_at >= ? AND finished_at < ?) OR (recovered_at >= ? AND recovered_at < ?))
		ORDER BY finished_at, id`
	return s.queryDeployments(ctx, "load deployments for window", where, append(args, from, to, from, to)...)
}

// RecoveredDeployments returns the change failures of the given repos
// recovered in [from, to) (Unix seconds): the rows of recovery time alone,
// for a comparison that needs no other (a few hundred where the window's
// deployments are hundreds of thousands).
func (s *Store) RecoveredDeployments(ctx context.Context, repoIDs []int64, from, to int64) ([]Deployment, error) {
	if len(repoIDs) == 0 {
		return nil, nil
	}
	where := `repo_id IN (` + placeholders(len(repoIDs)) + `) AND production = 1 AND failed = 1 AND recovered_at >= ? AND recovered_at < ?
		ORDER BY finished_at, id`
	return s.queryDeployments(ctx, "load recovered deployments", where, append(sqlArgs(repoIDs), from, to)...)
}

// DeploymentsNeedingRange lists a repo's deployments of a source whose
// commit range has not been fetched yet, oldest first.
func (s *Store) DeploymentsNeedingRange(ctx context.Context, repoID int64, source string) ([]Deployment, error) {
	return s.queryDeployments(ctx, "list deployments needing a range",
		`repo_id = ? AND source = ? AND range_fetched = 0 AND status = 'success' ORDER BY finished_at, id`, repoID, source)
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

// DeploymentByID finds one deployment.
func (s *Store) DeploymentByID(ctx context.Context, id int64) (Deployment, error) {
	ds, err := s.queryDeployments(ctx, "find deployment", "id = ?", id)
	if err != nil {
		return Deployment{}, err
	}
	if len(ds) == 0 {
		return Deployment{}, fmt.Errorf("deployment %d: %w", id, ErrNotFound)
	}
	return ds[0], nil
}
