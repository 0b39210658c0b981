package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Writes from a partial source: a webhook event carries less than a sync
// reads (a pull request event has no first-commit time, a review event no
// size, a GitLab deployment event no creation time), and events can arrive
// late or out of order. The Partial upserts therefore
//   - leave a row alone when its stored updated_at is later than the one
//     given: a late event never rolls a row back;
//   - fill, never overwrite, the columns the source does not know: a stored
//     value wins, and only an absent one (NULL or '') takes the value given.
// The scheduled sync writes every column again and so reconciles anything
// a webhook approximated.

// ChangeKeep names change columns a partial source does not know.
type ChangeKeep uint

const (
	KeepFirstCommit ChangeKeep = 1 << iota // first_commit_at
	KeepReady                              // ready_at
	KeepSize                               // additions, deletions, changed_files
	KeepAuthor                             // author, author_is_bot
	KeepMergedAt                           // merged_at
	KeepClosedAt                           // closed_at
	KeepMergeSHA                           // merge_sha, squash_sha
	KeepLabels                             // labels
)

var changeKeepCols = map[ChangeKeep][]string{
	KeepFirstCommit: {"first_commit_at"},
	KeepReady:       {"ready_at"},
	KeepSize:        {"additions", "deletions", "changed_files"},
	KeepAuthor:      {"author", "author_is_bot"},
	KeepMergedAt:    {"merged_at"},
	KeepClosedAt:    {"closed_at"},
	KeepMergeSHA:    {"merge_sha", "squash_sha"},
	KeepLabels:      {"labels"},
}

// fill is the SET expression of a column whose stored value wins: a text
// column's ” is no value, as NULL is.
func fill(col string) string {
	if textCols[col] {
		return "COALESCE(NULLIF(" + col + ", ''), ?)"
	}
	return "COALESCE(" + col + ", ?)"
}

// textCols are the text columns fill is used on.
var textCols = map[string]bool{"author": true, "merge_sha": true, "squash_sha": true, "url": true, "environment_tier": true, "creator": true}

// UpsertChangePartial records a change from a partial source: the columns
// in keep take c's values only where the stored row has none, and a stored
// row updated later than c is left as it is (reported Unchanged). Reviews
// are upserted as UpsertChange does.
func (tx *Tx) UpsertChangePartial(ctx context.Context, c Change, keep ChangeKeep) (int64, Result, error) {
	exprs := map[string]string{}
	for flag, cols := range changeKeepCols {
		if keep&flag != 0 {
			for _, col := range cols {
				exprs[col] = fill(col)
			}
		}
	}
	id, res, err := tx.partialUpsert(ctx, "changes",
		[]string{"repo_id", "number"}, []any{c.RepoID, c.Number},
		changeCols, changeVals(c), exprs, c.UpdatedAt)
	if err != nil {
		return 0, res, fmt.Errorf("upsert change %d: %w", c.Number, err)
	}
	for _, r := range c.Reviews {
		_, rr, err := tx.upsertReview(ctx, id, r)
		if err != nil {
			return 0, res, fmt.Errorf("upsert change %d: %w", c.Number, err)
		}
		if rr != Unchanged && res == Unchanged {
			res = Updated
		}
	}
	return id, res, nil
}

// DeploymentKeep names deployment columns a partial source does not know,
// or must not change.
type DeploymentKeep uint

const (
	// KeepOutcome keeps a stored terminal status (success, failure,
	// error) and its finished_at: a deployment's first terminal status
	// decides it (docs/metrics.md).
	KeepOutcome    DeploymentKeep = 1 << iota
	KeepCreatedAt                 // created_at
	KeepFinishedAt                // finished_at
	KeepURL                       // url
	KeepTier                      // environment_tier
	KeepCreator                   // creator
)

const terminal = `status IN ('success', 'failure', 'error')`

// UpsertDeploymentPartial records a deployment from a partial source (see
// UpsertChangePartial).
func (tx *Tx) UpsertDeploymentPartial(ctx context.Context, d Deployment, keep DeploymentKeep) (int64, Result, error) {
	exprs := map[string]string{}
	for flag, col := range map[DeploymentKeep]string{KeepCreatedAt: "created_at", KeepFinishedAt: "finished_at", KeepURL: "url", KeepTier: "environment_tier", KeepCreator: "creator"} {
		if keep&flag != 0 {
			exprs[col] = fill(col)
		}
	}
	if keep&KeepOutcome != 0 {
		finished := "?"
		if keep&KeepFinishedAt != 0 {
			finished = fill("finished_at")
		}
		exprs["status"] = "CASE WHEN " + terminal + " THEN status ELSE ? END"
		exprs["finished_at"] = "CASE WHEN " + terminal + " THEN finished_at ELSE " + finished + " END"
	}
	id, res, err := tx.partialUpsert(ctx, "deployments",
		[]string{"repo_id", "source", "provider_id"}, []any{d.RepoID, d.Source, d.ProviderID},
		deploymentCols, deploymentVals(d), exprs, d.UpdatedAt)
	if err != nil {
		return 0, res, fmt.Errorf("upsert deployment %s: %w", d.ProviderID, err)
	}
	return id, res, nil
}

// UpsertCIRunPartial records a CI run from a partial source; keepStart
// keeps a stored started_at.
func (tx *Tx) UpsertCIRunPartial(ctx context.Context, r CIRun, keepStart bool) (int64, Result, error) {
	exprs := map[string]string{}
	if keepStart {
		exprs["started_at"] = fill("started_at")
	}
	id, res, err := tx.partialUpsert(ctx, "ci_runs",
		[]string{"repo_id", "provider_id"}, []any{r.RepoID, r.ProviderID},
		ciRunCols, ciRunVals(r), exprs, r.UpdatedAt)
	if err != nil {
		return 0, res, fmt.Errorf("upsert CI run %s: %w", r.ProviderID, err)
	}
	return id, res, nil
}

// UpsertIncidentPartial records an incident from a partial source;
// keepResolved keeps a stored resolved_at.
func (tx *Tx) UpsertIncidentPartial(ctx context.Context, in Incident, keepResolved bool) (int64, Result, error) {
	exprs := map[string]string{}
	if keepResolved {
		exprs["resolved_at"] = fill("resolved_at")
	}
	id, res, err := tx.partialUpsert(ctx, "incidents",
		[]string{"repo_id", "number"}, []any{in.RepoID, in.Number},
		incidentCols, incidentVals(in), exprs, in.UpdatedAt)
	if err != nil {
		return 0, res, fmt.Errorf("upsert incident %d: %w", in.Number, err)
	}
	return id, res, nil
}

// DeleteIncidentPartial removes an issue that is no longer an incident,
// unless its stored row was updated after updatedAt (a late event). It
// reports whether a row was deleted.
func (tx *Tx) DeleteIncidentPartial(ctx context.Context, repoID, number int64, updatedAt time.Time) (bool, error) {
	res, err := tx.exec(ctx, `DELETE FROM incidents WHERE repo_id = ? AND number = ? AND updated_at <= ?`, repoID, number, updatedAt.Unix())
	if err != nil {
		return false, fmt.Errorf("delete incident %d: %w", number, err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// partialUpsert inserts a row keyed by keyCols, or updates it unless its
// stored updated_at is later than updatedAt. exprs gives the SET
// expression (with one ? for the value given) of the columns that do not
// simply take the value given.
func (tx *Tx) partialUpsert(ctx context.Context, table string, keyCols []string, keyVals []any, cols []string, vals []any, exprs map[string]string, updatedAt time.Time) (int64, Result, error) {
	where := make([]string, len(keyCols))
	for i, c := range keyCols {
		where[i] = c + " = ?"
	}
	var id int64
	var stored sql.NullInt64
	err := tx.queryRow(ctx, `SELECT id, updated_at FROM `+table+` WHERE `+strings.Join(where, " AND "), keyVals...).Scan(&id, &stored)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return tx.upsert(ctx, table, keyCols, keyVals, cols, vals)
	case err != nil:
		return 0, Unchanged, err
	}
	if stored.Valid && !updatedAt.IsZero() && stored.Int64 > updatedAt.Unix() {
		return id, Unchanged, nil // a late event: the row is newer
	}
	set := make([]string, len(cols))
	differ := make([]string, len(cols))
	for i, c := range cols {
		e := "?"
		if x, ok := exprs[c]; ok {
			e = x
		}
		set[i] = c + " = " + e
		differ[i] = c + " IS DISTINCT FROM " + e
	}
	args := append(append(append([]any{}, vals...), id), vals...)
	res, err := tx.exec(ctx, `UPDATE `+table+` SET `+strings.Join(set, ", ")+` WHERE id = ? AND (`+strings.Join(differ, " OR ")+`)`, args...)
	if err != nil {
		return 0, Unchanged, err
	}
	if n, _ := res.RowsAffected(); n > 0 {
		return id, Updated, nil
	}
	return id, Unchanged, nil
}

// Reads inside a write transaction, for partial writes that depend on
// what is stored (a merge deployment made from the stored change).

// Change reads one change of a repo (without its reviews) in the
// transaction; ErrNotFound when there is none.
func (tx *Tx) Change(ctx context.Context, repoID, number int64) (Change, error) {
	c, err := scanChange(tx.queryRow(ctx, changeSelect+` WHERE c.repo_id = ? AND c.number = ?`, repoID, number))
	if errors.Is(err, sql.ErrNoRows) {
		return Change{}, fmt.Errorf("change %d: %w", number, ErrNotFound)
	}
	if err != nil {
		return Change{}, fmt.Errorf("find change %d: %w", number, err)
	}
	return c, nil
}

// HasReview reports whether a change has a review by author (compared
// case-insensitively) in state.
func (tx *Tx) HasReview(ctx context.Context, changeID int64, author, state string) (bool, error) {
	var n int
	err := tx.queryRow(ctx, `SELECT COUNT(*) FROM reviews WHERE change_id = ? AND `+tx.d.nocaseEq("author")+` AND state = ?`, changeID, author, state).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("find review: %w", err)
	}
	return n > 0, nil
}

// UpsertReview records one review of a stored change.
func (tx *Tx) UpsertReview(ctx context.Context, changeID int64, r Review) (Result, error) {
	_, res, err := tx.upsertReview(ctx, changeID, r)
	return res, err
}

// Incident reads one incident of a repo by its issue number in the
// transaction; ErrNotFound when there is none.
func (tx *Tx) Incident(ctx context.Context, repoID, number int64) (Incident, error) {
	in, err := scanIncident(tx.queryRow(ctx, incidentSelect+` WHERE repo_id = ? AND number = ?`, repoID, number))
	if errors.Is(err, sql.ErrNoRows) {
		return Incident{}, fmt.Errorf("incident %d: %w", number, ErrNotFound)
	}
	if err != nil {
		return Incident{}, fmt.Errorf("find incident %d: %w", number, err)
	}
	return in, nil
}

// Deployment reads one deployment by its key in the transaction;
// ErrNotFound when there is none.
func (tx *Tx) Deployment(ctx context.Context, repoID int64, source, providerID string) (Deployment, error) {
	d, err := scanDeployment(tx.queryRow(ctx, deploymentSelect+` WHERE repo_id = ? AND source = ? AND provider_id = ?`, repoID, source, providerID))
	if errors.Is(err, sql.ErrNoRows) {
		return Deployment{}, fmt.Errorf("deployment %s: %w", providerID, ErrNotFound)
	}
	if err != nil {
		return Deployment{}, fmt.Errorf("find deployment %s: %w", providerID, err)
	}
	return d, nil
}
