package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Change states.
const (
	StateOpen   = "open"
	StateMerged = "merged"
	StateClosed = "closed"
)

// Change is a pull request or merge request.
type Change struct {
	ID            int64
	RepoID        int64
	Number        int64
	ProviderID    string
	Title         string
	Author        string
	AuthorIsBot   bool
	State         string // open, merged, closed
	Draft         bool
	Labels        []string
	CreatedAt     time.Time
	ReadyAt       time.Time // opened, or marked ready for review; zero while a draft
	FirstCommitAt time.Time
	MergedAt      time.Time
	ClosedAt      time.Time
	UpdatedAt     time.Time
	Additions     int
	Deletions     int
	ChangedFiles  int
	SizeKnown     bool
	MergeSHA      string
	SquashSHA     string
	BaseBranch    string
	URL           string
	Reviews       []Review

	// Derived.
	FirstReviewAt   time.Time
	FirstApprovalAt time.Time
	DeploymentID    int64
	DeployedAt      time.Time
}

// Review is a review, review comment or approval of a change.
type Review struct {
	ProviderID  string
	Author      string
	AuthorIsBot bool
	State       string // approved, changes_requested, commented, dismissed
	SubmittedAt time.Time
}

var changeCols = []string{
	"provider_id", "title", "author", "author_is_bot", "state", "draft", "labels",
	"created_at", "ready_at", "first_commit_at", "merged_at", "closed_at", "updated_at",
	"additions", "deletions", "changed_files", "merge_sha", "squash_sha", "base_branch", "url",
}

// changeVals are c's values of changeCols.
func changeVals(c Change) []any {
	return []any{
		c.ProviderID, c.Title, c.Author, boolInt(c.AuthorIsBot), c.State, boolInt(c.Draft), encodeLabels(c.Labels),
		unix(c.CreatedAt), unix(c.ReadyAt), unix(c.FirstCommitAt), unix(c.MergedAt), unix(c.ClosedAt), unix(c.UpdatedAt),
		nullInt(c.Additions, c.SizeKnown), nullInt(c.Deletions, c.SizeKnown), nullInt(c.ChangedFiles, c.SizeKnown),
		c.MergeSHA, c.SquashSHA, c.BaseBranch, c.URL,
	}
}

// UpsertChange records a change and its reviews, keyed by repo and number.
// Reviews are upserted one by one, never deleted: a webhook that brings one
// new review does not erase the ones a sync brought.
func (tx *Tx) UpsertChange(ctx context.Context, c Change) (int64, Result, error) {
	id, res, err := tx.upsert(ctx, "changes",
		[]string{"repo_id", "number"}, []any{c.RepoID, c.Number},
		changeCols, changeVals(c))
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

func (tx *Tx) upsertReview(ctx context.Context, changeID int64, r Review) (int64, Result, error) {
	res, err := tx.exec(ctx, `INSERT INTO reviews (change_id, provider_id, author, author_is_bot, state, submitted_at)
		VALUES (?, ?, ?, ?, ?, ?)`+reviewUpsert,
		changeID, r.ProviderID, r.Author, boolInt(r.AuthorIsBot), r.State, r.SubmittedAt.Unix())
	if err != nil {
		return 0, Unchanged, fmt.Errorf("upsert review %s: %w", r.ProviderID, err)
	}
	if n, _ := res.RowsAffected(); n > 0 {
		return changeID, Updated, nil
	}
	return changeID, Unchanged, nil
}

// reviewUpsert makes an insert of reviews an upsert that writes a review
// only when it changed.
const reviewUpsert = ` ON CONFLICT (change_id, provider_id) DO UPDATE SET
	author = excluded.author, author_is_bot = excluded.author_is_bot,
	state = excluded.state, submitted_at = excluded.submitted_at
	WHERE reviews.author IS DISTINCT FROM excluded.author OR reviews.author_is_bot IS DISTINCT FROM excluded.author_is_bot
		OR reviews.state IS DISTINCT FROM excluded.state OR reviews.submitted_at IS DISTINCT FROM excluded.submitted_at`

const changeSelect = `SELECT c.id, c.repo_id, c.number, c.provider_id, c.title, c.author, c.author_is_bot, c.state, c.draft, c.labels,
	c.created_at, c.ready_at, c.first_commit_at, c.merged_at, c.closed_at, c.updated_at,
	c.additions, c.deletions, c.changed_files, c.merge_sha, c.squash_sha, c.base_branch, c.url,
	c.first_review_at, c.first_approval_at, dc.deployment_id, d.finished_at
	FROM changes c
	LEFT JOIN deployment_changes dc ON dc.change_id = c.id
	LEFT JOIN deployments d ON d.id = dc.deployment_id`

func scanChange(sc interface{ Scan(...any) error }) (Change, error) {
	var c Change
	var bot, draft int
	var labels string
	var ready, firstCommit, merged, closed, updated, firstReview, firstApproval, deployedAt, created sql.NullInt64
	var adds, dels, files, depID sql.NullInt64
	err := sc.Scan(&c.ID, &c.RepoID, &c.Number, &c.ProviderID, &c.Title, &c.Author, &bot, &c.State, &draft, &labels,
		&created, &ready, &firstCommit, &merged, &closed, &updated,
		&adds, &dels, &files, &c.MergeSHA, &c.SquashSHA, &c.BaseBranch, &c.URL,
		&firstReview, &firstApproval, &depID, &deployedAt)
	if err != nil {
		return c, err
	}
	c.AuthorIsBot, c.Draft, c.Labels = bot != 0, draft != 0, decodeLabels(labels)
	c.CreatedAt, c.ReadyAt, c.FirstCommitAt = fromUnix(created), fromUnix(ready), fromUnix(firstCommit)
	c.MergedAt, c.ClosedAt, c.UpdatedAt = fromUnix(merged), fromUnix(closed), fromUnix(updated)
	c.FirstReviewAt, c.FirstApprovalAt = fromUnix(firstReview), fromUnix(firstApproval)
	c.DeploymentID, c.DeployedAt = depID.Int64, fromUnix(deployedAt)
	c.Additions, c.Deletions, c.ChangedFiles, c.SizeKnown = int(adds.Int64), int(dels.Int64), int(files.Int64), adds.Valid
	return c, nil
}

func (s *Store) queryChanges(ctx context.Context, op, where string, args ...any) ([]Change, error) {
	rows, err := s.read.QueryContext(ctx, changeSelect+" WHERE "+where, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	defer rows.Close()
	var out []Change
	for rows.Next() {
		c, err := scanChange(rows)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return out, nil
}

// attachReviews loads the reviews of the given changes.
func (s *Store) attachReviews(ctx context.Context, changes []Change) error {
	return attachReviews(ctx, s.read, changes)
}

// attachReviews loads the reviews of changes through q (the read pool, or
// a write transaction: txQueries).
func attachReviews(ctx context.Context, q queryer, changes []Change) error {
	if len(changes) == 0 {
		return nil
	}
	byID := make(map[int64]*Change, len(changes))
	for i := range changes {
		byID[changes[i].ID] = &changes[i]
	}
	// One query per repo-sized batch keeps the statement under SQLite's
	// variable limit.
	const batch = 500
	for start := 0; start < len(changes); start += batch {
		end := min(start+batch, len(changes))
		ids := make([]any, 0, end-start)
		for _, c := range changes[start:end] {
			ids = append(ids, c.ID)
		}
		rows, err := q.QueryContext(ctx, `SELECT change_id, provider_id, author, author_is_bot, state, submitted_at
			FROM reviews WHERE change_id IN (`+placeholders(len(ids))+`) ORDER BY submitted_at, change_id, provider_id`, ids...)
		if err != nil {
			return fmt.Errorf("load reviews: %w", err)
		}
		for rows.Next() {
			var changeID, at int64
			var bot int
			var r Review
			if err := rows.Scan(&changeID, &r.ProviderID, &r.Author, &bot, &r.State, &at); err != nil {
				rows.Close()
				return fmt.Errorf("load reviews: %w", err)
			}
			r.AuthorIsBot, r.SubmittedAt = bot != 0, time.Unix(at, 0).UTC()
			byID[changeID].Reviews = append(byID[changeID].Reviews, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("load reviews: %w", err)
		}
	}
	return nil
}

// ChangeByNumber finds one change of a repo.
func (s *Store) ChangeByNumber(ctx context.Context, repoID, number int64) (Change, error) {
	cs, err := s.queryChanges(ctx, "find change", "c.repo_id = ? AND c.number = ?", repoID, number)
	if err != nil {
		return Change{}, err
	}
	if len(cs) == 0 {
		return Change{}, fmt.Errorf("change %d: %w", number, ErrNotFound)
	}
	if err := s.attachReviews(ctx, cs); err != nil {
		return Change{}, err
	}
	return cs[0], nil
}

// ChangesForWindow returns the changes a report over [from, to) needs in the
// given repos: merged in the window, shipped by a deployment that finished
// in it, or open now. Like every window the store reads, from and to are
// Unix seconds, as metrics.Window.Seconds gives them.
func (s *Store) ChangesForWindow(ctx context.Context, repoIDs []int64, from, to int64) ([]Change, error) {
	if len(repoIDs) == 0 {
		return nil, nil
	}
	in := placeholders(len(repoIDs))
	ids := sqlArgs(repoIDs)
	// One indexed search per reason, united: an OR across the join would
	// scan every change of the repos.
	where := `c.id IN (
		SELECT id FROM changes WHERE repo_id IN (` + in + `) AND merged_at >= ? AND merged_at < ?
		UNION SELECT dc.change_id FROM deployments d JOIN deployment_changes dc ON dc.deployment_id = d.id
			WHERE d.repo_id IN (` + in + `) AND d.finished_at >= ? AND d.finished_at < ?
		UNION SELECT id FROM changes WHERE repo_id IN (` + in + `) AND state = 'open')
		ORDER BY c.id`
	var args []any
	args = append(append(args, ids...), from, to)
	args = append(append(args, ids...), from, to)
	args = append(args, ids...)
	return s.queryChanges(ctx, "load changes for window", where, args...)
}

func encodeLabels(labels []string) string {
	if len(labels) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(labels)
	return string(b)
}

func decodeLabels(s string) []string {
	if s == "" || s == "[]" {
		return nil
	}
	var out []string
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		// Written only by encodeLabels; a hand-edited value degrades to one label.
		return []string{strings.Trim(s, `[]"`)}
	}
	return out
}
