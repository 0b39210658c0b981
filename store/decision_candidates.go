package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Candidate statuses: what the user answered to a suggested decision.
const (
	CandidateDismissed = "dismissed"
	CandidateAccepted  = "accepted"
)

// CandidateMark remembers the answer to a suggested decision, so it is not
// suggested again.
type CandidateMark struct {
	ID          string // the candidate's id as shown
	Status      string // dismissed or accepted
	Source      string // new-repo, large-change, shift
	SuggestedOn string // YYYY-MM-DD
	ScopeTeam   string
	ScopeRepos  []string
	Title       string
	DecisionID  int64 // the decision an accepted candidate became; 0 when none
	CreatedAt   time.Time
}

// MarkCandidate records (or replaces) the answer to a candidate.
func (tx *Tx) MarkCandidate(ctx context.Context, m CandidateMark) error {
	if m.CreatedAt.IsZero() {
		m.CreatedAt = time.Now().UTC()
	}
	var decision any
	if m.DecisionID != 0 {
		decision = m.DecisionID
	}
	_, err := tx.exec(ctx, `INSERT INTO decision_candidates (id, status, source, suggested_on, scope_team, scope_repos, title, decision_id, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET status = excluded.status, source = excluded.source, suggested_on = excluded.suggested_on,
			scope_team = excluded.scope_team, scope_repos = excluded.scope_repos, title = excluded.title,
			decision_id = excluded.decision_id, created_at = excluded.created_at`,
		m.ID, m.Status, m.Source, m.SuggestedOn, m.ScopeTeam, encodeLabels(m.ScopeRepos), m.Title, decision, m.CreatedAt.Unix())
	if err != nil {
		return fmt.Errorf("mark candidate %s %s: %w", m.ID, m.Status, err)
	}
	return nil
}

// CandidateMarks lists every answered candidate, oldest answer first.
func (s *Store) CandidateMarks(ctx context.Context) ([]CandidateMark, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT id, status, source, suggested_on, scope_team, scope_repos, title, decision_id, created_at
		FROM decision_candidates ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("list candidate answers: %w", err)
	}
	defer rows.Close()
	var out []CandidateMark
	for rows.Next() {
		var m CandidateMark
		var repos string
		var decision sql.NullInt64
		var created int64
		if err := rows.Scan(&m.ID, &m.Status, &m.Source, &m.SuggestedOn, &m.ScopeTeam, &repos, &m.Title, &decision, &created); err != nil {
			return nil, fmt.Errorf("list candidate answers: %w", err)
		}
		m.ScopeRepos, m.DecisionID, m.CreatedAt = decodeLabels(repos), decision.Int64, time.Unix(created, 0).UTC()
		out = append(out, m)
	}
	return out, rows.Err()
}
