package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Incident is an issue carrying an incident label, or a GitLab incident.
type Incident struct {
	ID         int64
	RepoID     int64
	Number     int64
	ProviderID string
	Title      string
	Labels     []string
	URL        string
	CreatedAt  time.Time
	ResolvedAt time.Time
	UpdatedAt  time.Time

	// Derived.
	DeploymentID int64
}

var incidentCols = []string{"provider_id", "title", "labels", "url", "created_at", "resolved_at", "updated_at"}

func incidentVals(in Incident) []any {
	return []any{in.ProviderID, in.Title, encodeLabels(in.Labels), in.URL, unix(in.CreatedAt), unix(in.ResolvedAt), unix(in.UpdatedAt)}
}

// UpsertIncident records an incident, keyed by repo and issue number.
func (tx *Tx) UpsertIncident(ctx context.Context, in Incident) (int64, Result, error) {
	id, res, err := tx.upsert(ctx, "incidents",
		[]string{"repo_id", "number"}, []any{in.RepoID, in.Number},
		incidentCols, incidentVals(in))
	if err != nil {
		return 0, res, fmt.Errorf("upsert incident %d: %w", in.Number, err)
	}
	return id, res, nil
}

// DeleteIncident removes an issue that is no longer an incident (its label
// was taken off) and reports whether there was one.
func (tx *Tx) DeleteIncident(ctx context.Context, repoID, number int64) (bool, error) {
	res, err := tx.exec(ctx, `DELETE FROM incidents WHERE repo_id = ? AND number = ?`, repoID, number)
	if err != nil {
		return false, fmt.Errorf("delete incident %d: %w", number, err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

const incidentSelect = `SELECT id, repo_id, number, provider_id, title, labels, url, created_at, resolved_at, updated_at, deployment_id FROM incidents`

func scanIncident(sc interface{ Scan(...any) error }) (Incident, error) {
	var in Incident
	var labels string
	var created, resolved, updated, dep sql.NullInt64
	err := sc.Scan(&in.ID, &in.RepoID, &in.Number, &in.ProviderID, &in.Title, &labels, &in.URL, &created, &resolved, &updated, &dep)
	in.Labels = decodeLabels(labels)
	in.CreatedAt, in.ResolvedAt, in.UpdatedAt, in.DeploymentID = fromUnix(created), fromUnix(resolved), fromUnix(updated), dep.Int64
	return in, err
}

func (s *Store) queryIncidents(ctx context.Context, op, where string, args ...any) ([]Incident, error) {
	rows, err := s.read.QueryContext(ctx, incidentSelect+" WHERE "+where, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	defer rows.Close()
	var out []Incident
	for rows.Next() {
		in, err := scanIncident(rows)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		out = append(out, in)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return out, nil
}

// IncidentsForWindow returns the incidents a report over [from, to) (Unix
// seconds) needs: created or resolved in the window, attributed to a
// deployment that finished in it, or still open.
func (s *Store) IncidentsForWindow(ctx context.Context, repoIDs []int64, from, to int64) ([]Incident, error) {
	if len(repoIDs) == 0 {
		return nil, nil
	}
	in := placeholders(len(repoIDs))
	args := sqlArgs(repoIDs)
	where := `id IN (
		SELECT id FROM incidents WHERE repo_id IN (` + in + `) AND created_at >= ? AND created_at < ?
		UNION SELECT id FROM incidents WHERE repo_id IN (` + in + `) AND resolved_at >= ? AND resolved_at < ?
		UNION SELECT id FROM incidents WHERE repo_id IN (` + in + `) AND resolved_at IS NULL
		UNION SELECT i.id FROM deployments d JOIN incidents i ON i.deployment_id = d.id
			WHERE d.repo_id IN (` + in + `) AND d.finished_at >= ? AND d.finished_at < ?)
		ORDER BY created_at, id`
	args = append(args, from, to)
	args = append(append(args, sqlArgs(repoIDs)...), from, to)
	args = append(args, sqlArgs(repoIDs)...)
	args = append(append(args, sqlArgs(repoIDs)...), from, to)
	return s.queryIncidents(ctx, "load incidents for window", where, args...)
}
