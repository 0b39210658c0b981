package store

import (
	"context"
	"database/sql"
	"fmt"
)

// History is everything synced for one repository: the input of the derive
// step, which works over a repo's whole history (a change is shipped by the
// first deployment that contains it, however long ago).
type History struct {
	Repo        Repo
	Changes     []Change
	Deployments []Deployment
	Incidents   []Incident
}

// RepoHistory loads a repository's changes (with reviews), deployments (with
// their commit ranges) and incidents.
func (s *Store) RepoHistory(ctx context.Context, repoID int64) (History, error) {
	var changes []Change
	h, err := s.RepoHistoryPaged(ctx, repoID, func(page []Change) error {
		changes = append(changes, page...)
		return nil
	})
	h.Changes = changes
	return h, err
}

// historyPage is how many changes RepoHistoryPaged reads at a time.
const historyPage = 2000

// RepoHistoryPaged is RepoHistory for a caller that converts the changes as
// they come: they are handed to changes a page at a time, in number order,
// each page with its reviews, and the History it returns has no Changes.
// The derive step of a repo of 100,000 pull requests then never holds the
// store's rows of all of them beside its own.
func (s *Store) RepoHistoryPaged(ctx context.Context, repoID int64, changes func(page []Change) error) (History, error) {
	var h History
	var err error
	h.Repo, err = scanRepo(s.read.QueryRowContext(ctx, `SELECT `+repoCols+` FROM repos WHERE id = ?`, repoID))
	if err == sql.ErrNoRows {
		return h, fmt.Errorf("load history of repo %d: %w", repoID, ErrNotFound)
	}
	if err != nil {
		return h, fmt.Errorf("load history of repo %d: %w", repoID, err)
	}
	// Pages by number, which the (repo_id, number) key serves.
	after := int64(-1 << 62)
	for {
		page, err := s.queryChanges(ctx, "load history", "c.repo_id = ? AND c.number > ? ORDER BY c.number LIMIT ?", repoID, after, historyPage)
		if err != nil {
			return h, err
		}
		if len(page) == 0 {
			break
		}
		if err := s.attachReviews(ctx, page); err != nil {
			return h, err
		}
		if err := changes(page); err != nil {
			return h, err
		}
		if len(page) < historyPage {
			break
		}
		after = page[len(page)-1].Number
	}
	if h.Deployments, err = s.queryDeployments(ctx, "load history", "repo_id = ? ORDER BY created_at, id", repoID); err != nil {
		return h, err
	}
	if err := s.attachRanges(ctx, repoID, h.Deployments); err != nil {
		return h, err
	}
	if h.Incidents, err = s.queryIncidents(ctx, "load history", "repo_id = ? ORDER BY created_at, id", repoID); err != nil {
		return h, err
	}
	return h, nil
}

func (s *Store) attachRanges(ctx context.Context, repoID int64, deps []Deployment) error {
	byID := make(map[int64]*Deployment, len(deps))
	for i := range deps {
		byID[deps[i].ID] = &deps[i]
		if deps[i].RangeFetched {
			deps[i].RangeSHAs = []string{} // fetched, maybe empty: not nil
		}
	}
	rows, err := s.read.QueryContext(ctx, `SELECT dc.deployment_id, dc.sha FROM deployment_commits dc
		JOIN deployments d ON d.id = dc.deployment_id WHERE d.repo_id = ?`, repoID)
	if err != nil {
		return fmt.Errorf("load deployment ranges: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var sha string
		if err := rows.Scan(&id, &sha); err != nil {
			return fmt.Errorf("load deployment ranges: %w", err)
		}
		if d := byID[id]; d != nil {
			d.RangeSHAs = append(d.RangeSHAs, sha)
		}
	}
	return rows.Err()
}

// Link says that a deployment shipped a change.
type Link struct {
	DeploymentID int64
	ChangeID     int64
}

// SaveDerived writes what the derive step found for one repository: first
// reviews, deployment outcomes, incident attribution and the changes each
// deployment shipped. It replaces the repo's previous derived values in one
// transaction, and writes only rows whose values changed. The repo's
// rollup is stale afterwards (SaveDerivedRollup writes both).
func (s *Store) SaveDerived(ctx context.Context, repoID int64, changes []Change, deps []Deployment, incidents []Incident, links []Link) error {
	err := s.Write(ctx, func(tx *Tx) error {
		if err := tx.saveDerived(ctx, repoID, changes, deps, incidents, links); err != nil {
			return err
		}
		return tx.markRollupStale(ctx, repoID)
	})
	if err != nil {
		return fmt.Errorf("save derived values of repo %d: %w", repoID, err)
	}
	return nil
}

func (tx *Tx) saveDerived(ctx context.Context, repoID int64, changes []Change, deps []Deployment, incidents []Incident, links []Link) error {
	for _, c := range changes {
		if _, err := tx.exec(ctx, `UPDATE changes SET first_review_at = ?, first_approval_at = ?
			WHERE id = ? AND repo_id = ? AND (first_review_at IS DISTINCT FROM ? OR first_approval_at IS DISTINCT FROM ?)`,
			unix(c.FirstReviewAt), unix(c.FirstApprovalAt), c.ID, repoID, unix(c.FirstReviewAt), unix(c.FirstApprovalAt)); err != nil {
			return err
		}
	}
	for _, d := range deps {
		vals := []any{boolInt(d.Production), boolInt(d.FailedAttempt), boolInt(d.Failed), d.FailureCause, boolInt(d.Rollback), boolInt(d.Rework), unix(d.RecoveredAt), d.RecoveredBy}
		args := append(append(append([]any{}, vals...), d.ID, repoID), vals...)
		if _, err := tx.exec(ctx, `UPDATE deployments SET production = ?, failed_attempt = ?, failed = ?, failure_cause = ?, rollback = ?, rework = ?, recovered_at = ?, recovered_by = ?
			WHERE id = ? AND repo_id = ? AND (production IS DISTINCT FROM ? OR failed_attempt IS DISTINCT FROM ? OR failed IS DISTINCT FROM ? OR failure_cause IS DISTINCT FROM ? OR rollback IS DISTINCT FROM ?
			OR rework IS DISTINCT FROM ? OR recovered_at IS DISTINCT FROM ? OR recovered_by IS DISTINCT FROM ?)`, args...); err != nil {
			return err
		}
	}
	for _, in := range incidents {
		var dep any
		if in.DeploymentID != 0 {
			dep = in.DeploymentID
		}
		if _, err := tx.exec(ctx, `UPDATE incidents SET deployment_id = ? WHERE id = ? AND repo_id = ? AND deployment_id IS DISTINCT FROM ?`,
			dep, in.ID, repoID, dep); err != nil {
			return err
		}
	}
	if _, err := tx.exec(ctx, `DELETE FROM deployment_changes WHERE change_id IN (SELECT id FROM changes WHERE repo_id = ?)`, repoID); err != nil {
		return err
	}
	for _, l := range links {
		if _, err := tx.exec(ctx, `INSERT INTO deployment_changes (deployment_id, change_id) VALUES (?, ?)`, l.DeploymentID, l.ChangeID); err != nil {
			return err
		}
	}
	return nil
}

// RepoChangeCount is how many changes a repository has.
func (s *Store) RepoChangeCount(ctx context.Context, repoID int64) (int, error) {
	var n int
	if err := s.read.QueryRowContext(ctx, `SELECT count(*) FROM changes WHERE repo_id = ?`, repoID).Scan(&n); err != nil {
		return 0, fmt.Errorf("count changes of repo %d: %w", repoID, err)
	}
	return n, nil
}
