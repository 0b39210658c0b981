package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// DecisionKinds are the kinds a decision may have.
var DecisionKinds = []string{"architecture", "data-access", "caching", "refactor", "process", "tooling", "other"}

// Decision is a recorded backend decision: an annotation on every chart and
// the anchor of a before/after comparison.
type Decision struct {
	ID         int64
	DecidedOn  string // YYYY-MM-DD
	Title      string
	Kind       string
	ScopeTeam  string   // a team; "" with no repos means everything
	ScopeRepos []string // some repos
	// ScopeModules are modules (REPO:NAME) the decision concerns, beside
	// its repos.
	ScopeModules []string
	// BeforeScope and AfterScope, when set, compare one scope before the
	// decision against another after it (a module before against the
	// service it became), each written as a query: repo=acme/payments,
	// module=acme/shop:payments, team=payments.
	BeforeScope, AfterScope string
	Note                    string
	Link                    string
	CreatedAt               time.Time
	UpdatedAt               time.Time
}

// InsertDecision records a new decision and returns its id.
func (tx *Tx) InsertDecision(ctx context.Context, d Decision) (int64, error) {
	now := time.Now().UTC()
	if d.CreatedAt.IsZero() {
		d.CreatedAt = now
	}
	if d.UpdatedAt.IsZero() {
		d.UpdatedAt = d.CreatedAt
	}
	var id int64
	err := tx.queryRow(ctx, `INSERT INTO decisions (decided_on, title, kind, scope_team, scope_repos, scope_modules, before_scope, after_scope, note, link, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		d.DecidedOn, d.Title, d.Kind, d.ScopeTeam, encodeLabels(d.ScopeRepos), strings.Join(d.ScopeModules, "\n"), d.BeforeScope, d.AfterScope, d.Note, d.Link, d.CreatedAt.Unix(), d.UpdatedAt.Unix()).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("insert decision %q: %w", d.Title, err)
	}
	return id, nil
}

// UpdateDecision rewrites a decision.
func (tx *Tx) UpdateDecision(ctx context.Context, d Decision) error {
	res, err := tx.exec(ctx, `UPDATE decisions SET decided_on = ?, title = ?, kind = ?, scope_team = ?, scope_repos = ?, scope_modules = ?, before_scope = ?, after_scope = ?, note = ?, link = ?, updated_at = ?
		WHERE id = ?`, d.DecidedOn, d.Title, d.Kind, d.ScopeTeam, encodeLabels(d.ScopeRepos), strings.Join(d.ScopeModules, "\n"), d.BeforeScope, d.AfterScope, d.Note, d.Link, time.Now().Unix(), d.ID)
	if err != nil {
		return fmt.Errorf("update decision %d: %w", d.ID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("update decision %d: %w", d.ID, ErrNotFound)
	}
	return nil
}

// DeleteDecision removes a decision.
func (tx *Tx) DeleteDecision(ctx context.Context, id int64) error {
	res, err := tx.exec(ctx, `DELETE FROM decisions WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("delete decision %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("delete decision %d: %w", id, ErrNotFound)
	}
	return nil
}

const decisionSelect = `SELECT id, decided_on, title, kind, scope_team, scope_repos, scope_modules, before_scope, after_scope, note, link, created_at, updated_at FROM decisions`

func scanDecision(sc interface{ Scan(...any) error }) (Decision, error) {
	var d Decision
	var repos, modules string
	var created, updated int64
	err := sc.Scan(&d.ID, &d.DecidedOn, &d.Title, &d.Kind, &d.ScopeTeam, &repos, &modules, &d.BeforeScope, &d.AfterScope, &d.Note, &d.Link, &created, &updated)
	d.ScopeRepos, d.ScopeModules = decodeLabels(repos), splitLines(modules)
	d.CreatedAt, d.UpdatedAt = time.Unix(created, 0).UTC(), time.Unix(updated, 0).UTC()
	return d, err
}

// Decisions lists every decision, oldest first.
//
// Followed (WatchGeneration), the list is kept between reads while the
// decisions have not moved.
func (s *Store) Decisions(ctx context.Context) ([]Decision, error) {
	w := s.gen.Load()
	if w == nil {
		return s.readDecisions(ctx)
	}
	kept, ok := w.decisions.get(w)
	if !ok {
		var err error
		if kept, err = w.decisions.read(func() ([]Decision, error) { return s.readDecisions(ctx) }); err != nil {
			return nil, err
		}
	}
	return slices.Clone(kept), nil
}

func (s *Store) readDecisions(ctx context.Context) ([]Decision, error) {
	rows, err := s.read.QueryContext(ctx, decisionSelect+` ORDER BY decided_on, id`)
	if err != nil {
		return nil, fmt.Errorf("list decisions: %w", err)
	}
	defer rows.Close()
	var out []Decision
	for rows.Next() {
		d, err := scanDecision(rows)
		if err != nil {
			return nil, fmt.Errorf("list decisions: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// DecisionByID finds one decision.
func (s *Store) DecisionByID(ctx context.Context, id int64) (Decision, error) {
	d, err := scanDecision(s.read.QueryRowContext(ctx, decisionSelect+` WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return d, fmt.Errorf("decision %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return d, fmt.Errorf("find decision %d: %w", id, err)
	}
	return d, nil
}
