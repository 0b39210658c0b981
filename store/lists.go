package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// The dashboard's lists of changes, deployments and incidents: one page at a
// time, sorted by a column the caller names. Sort keys are looked up in a
// fixed map of SQL expressions and everything else is a bound parameter, so
// no user input ever becomes SQL text.

// Sort directions.
const (
	Asc  = "asc"
	Desc = "desc"
)

// MaxPerPage is the largest page a list returns.
const MaxPerPage = 500

// ListOptions are the sorting and paging of one list request.
type ListOptions struct {
	Sort    string // a key of the list's sort columns; "" for its default
	Dir     string // Asc or Desc; "" for the sort key's default
	Page    int    // 1-based; values below 1 mean 1
	PerPage int    // 1..MaxPerPage; 0 means 50
}

// PageInfo says which page of how many rows a list returned.
type PageInfo struct {
	Sort    string `json:"sort"`
	Dir     string `json:"dir"`
	Page    int    `json:"page"`
	PerPage int    `json:"per_page"`
	Total   int    `json:"total"` // rows matching the filter, over all pages
}

// Pages is the number of pages, at least 1.
func (p PageInfo) Pages() int {
	if p.Total == 0 || p.PerPage == 0 {
		return 1
	}
	return (p.Total + p.PerPage - 1) / p.PerPage
}

// sortColumn is one sortable column: its SQL expression and the direction a
// first click on it means (newest and largest first for times and sizes).
type sortColumn struct {
	expr   string
	dir    string
	nocase bool // compared ignoring the case of ASCII letters
}

// ErrBadListQuery is wrapped by errors about a sort key, direction, page
// size or filter value that a list does not know: the caller's mistake.
var ErrBadListQuery = errors.New("bad list query")

// SortKeys returns a list's sort keys, for messages and column headers.
func SortKeys(list string) []string {
	cols := sortColumns[list]
	keys := make([]string, 0, len(cols))
	for _, k := range sortOrder[list] {
		if _, ok := cols[k]; ok {
			keys = append(keys, k)
		}
	}
	return keys
}

var sortColumns = map[string]map[string]sortColumn{
	"changes": {
		"number":    {"c.number", Desc, false},
		"repo":      {"r.name", Asc, false},
		"title":     {"c.title", Asc, true},
		"author":    {"c.author", Asc, true},
		"state":     {"c.state", Asc, false},
		"created":   {"c.created_at", Desc, false},
		"merged":    {"c.merged_at", Desc, false},
		"deployed":  {"d.finished_at", Desc, false},
		"size":      {"(c.additions + c.deletions)", Desc, false},
		"lead_time": {leadTimeExpr, Desc, false},
	},
	"deployments": {
		"finished":    {"COALESCE(d.finished_at, d.created_at)", Desc, false},
		"repo":        {"d.repo_name", Asc, false},
		"environment": {"d.environment", Asc, false},
		"status":      {"d.status", Asc, false},
		"changes":     {"change_count", Desc, false},
		"incidents":   {"incident_count", Desc, false},
		"recovery":    {"(d.recovered_at - d.finished_at)", Desc, false},
	},
	"incidents": {
		"created":  {"i.created_at", Desc, false},
		"resolved": {"i.resolved_at", Desc, false},
		"duration": {"(i.resolved_at - i.created_at)", Desc, false},
		"repo":     {"r.name", Asc, false},
		"number":   {"i.number", Desc, false},
		"title":    {"i.title", Asc, true},
	},
}

// sortOrder is the order in which sort keys are listed, and the first one
// is each list's default.
var sortOrder = map[string][]string{
	"changes":     {"merged", "created", "deployed", "lead_time", "size", "number", "repo", "title", "author", "state"},
	"deployments": {"finished", "repo", "environment", "status", "changes", "incidents", "recovery"},
	"incidents":   {"created", "resolved", "duration", "repo", "number", "title"},
}

// leadTimeExpr is a change's lead time as the metrics define it (deployed −
// first commit, or created where there is no commit data), NULL when not
// shipped or not positive.
const leadTimeExpr = `(CASE WHEN d.finished_at - COALESCE(c.first_commit_at, c.created_at) > 0
	THEN d.finished_at - COALESCE(c.first_commit_at, c.created_at) END)`

// orderBy validates o against a list's sort columns and returns the ORDER
// BY clause, LIMIT, OFFSET and the normalised PageInfo. Rows with no value
// in the sort column come last either way; ties are broken by id so paging
// is stable.
func (s *Store) orderBy(list, idCol string, o ListOptions) (string, []any, PageInfo, error) {
	info := PageInfo{Sort: o.Sort, Dir: o.Dir, Page: max(o.Page, 1), PerPage: o.PerPage}
	if info.PerPage == 0 {
		info.PerPage = 50
	}
	if info.PerPage < 0 || info.PerPage > MaxPerPage {
		return "", nil, info, fmt.Errorf("%w: per_page %d is not between 1 and %d", ErrBadListQuery, o.PerPage, MaxPerPage)
	}
	if info.Sort == "" {
		info.Sort = sortOrder[list][0]
	}
	col, ok := sortColumns[list][info.Sort]
	if !ok {
		return "", nil, info, fmt.Errorf("%w: %s cannot be sorted by %q (use one of %s)", ErrBadListQuery, list, o.Sort, strings.Join(SortKeys(list), ", "))
	}
	if info.Dir == "" {
		info.Dir = col.dir
	}
	if info.Dir != Asc && info.Dir != Desc {
		return "", nil, info, fmt.Errorf("%w: direction %q is neither asc nor desc", ErrBadListQuery, o.Dir)
	}
	dir := " ASC"
	if info.Dir == Desc {
		dir = " DESC"
	}
	expr := col.expr
	if col.nocase {
		expr = s.d.nocase(expr)
	}
	clause := " ORDER BY (" + expr + ") IS NULL, " + expr + dir + ", " + idCol + dir + " LIMIT ? OFFSET ?"
	return clause, []any{info.PerPage, (info.Page - 1) * info.PerPage}, info, nil
}

// repoFilter is "col IN (?, …)"; an empty list matches nothing (a scope
// that resolved to no repos has no rows).
func repoFilter(col string, ids []int64) (string, []any) {
	return col + " IN (" + placeholders(len(ids)) + ")", sqlArgs(ids)
}

// ModuleFilter adds a scope's modules to a list's repos: the rows of the
// changes that touched any of PathIDs (the modules' paths, from each
// repo's dictionary), of the deployments that shipped such a non-bot
// change, and of the incidents attributed to those deployments
// (docs/metrics.md, "Modules").
type ModuleFilter struct {
	PathIDs []int64
	// Authors are the parts of repos a team's people wrote (a team by
	// members): the changes of those logins, compared lower-case.
	Authors []RepoAuthors
}

// RepoAuthors are the changes of some people in one repo.
type RepoAuthors struct {
	RepoID int64
	Logins []string // lower-case
}

// scoped is where with the module filter's rows OR'd in: col is the
// list's repo column, rows how the list's row relates to the module's
// changes (a subquery's condition on the ids of those changes).
func (m ModuleFilter) scoped(where string, args []any, rows string) (string, []any) {
	var parts []string
	var touchArgs []any
	if len(m.PathIDs) > 0 {
		parts = append(parts, `SELECT change_id FROM change_files WHERE path_id IN (`+placeholders(len(m.PathIDs))+`)`)
		touchArgs = append(touchArgs, sqlArgs(m.PathIDs)...)
	}
	for _, a := range m.Authors {
		if len(a.Logins) == 0 {
			continue
		}
		parts = append(parts, `SELECT id FROM changes WHERE repo_id = ? AND LOWER(author) IN (`+placeholders(len(a.Logins))+`)`)
		touchArgs = append(append(touchArgs, a.RepoID), sqlArgs(a.Logins)...)
	}
	if len(parts) == 0 {
		return where, args
	}
	touching := strings.Join(parts, " UNION ")
	return "(" + where + " OR " + strings.ReplaceAll(rows, "{changes}", touching) + ")", append(args, touchArgs...)
}

const (
	changesOfModules     = `c.id IN ({changes})`
	deploymentsOfModules = `d.id IN (SELECT dc.deployment_id FROM deployment_changes dc JOIN changes mc ON mc.id = dc.change_id
		WHERE mc.author_is_bot = 0 AND dc.change_id IN ({changes}))`
	incidentsOfModules = `i.deployment_id IN (SELECT dc.deployment_id FROM deployment_changes dc JOIN changes mc ON mc.id = dc.change_id
		WHERE mc.author_is_bot = 0 AND dc.change_id IN ({changes}))`
)

// ChangeFilter selects changes for the changes list.
type ChangeFilter struct {
	RepoIDs []int64
	Modules ModuleFilter
	// From and To: changes open at some moment of [From, To) — created
	// before To, and not merged or closed before From. Zero means unbounded.
	From, To time.Time
	State    string // "", open, merged or closed
	Query    string // a case-insensitive substring of the title or author
	ListOptions
}

// ChangeRow is a change in the changes list.
type ChangeRow struct {
	Change
	RepoName        string
	LeadTimeSeconds *int64 // shipped: deployed − first commit (or creation); nil otherwise
}

// ChangePage is one page of the changes list.
type ChangePage struct {
	Rows []ChangeRow
	PageInfo
}

// ListChanges returns one page of the changes matching f.
func (s *Store) ListChanges(ctx context.Context, f ChangeFilter) (ChangePage, error) {
	order, pageArgs, info, err := s.orderBy("changes", "c.id", f.ListOptions)
	if err != nil {
		return ChangePage{PageInfo: info}, err
	}
	where, args := repoFilter("c.repo_id", f.RepoIDs)
	where, args = f.Modules.scoped(where, args, changesOfModules)
	if !f.To.IsZero() {
		where += " AND c.created_at < ?"
		args = append(args, f.To.Unix())
	}
	if !f.From.IsZero() {
		where += " AND (COALESCE(c.merged_at, c.closed_at) IS NULL OR COALESCE(c.merged_at, c.closed_at) >= ?)"
		args = append(args, f.From.Unix())
	}
	switch f.State {
	case "":
	case StateOpen, StateMerged, StateClosed:
		where += " AND c.state = ?"
		args = append(args, f.State)
	default:
		return ChangePage{PageInfo: info}, fmt.Errorf("%w: state %q is not open, merged or closed", ErrBadListQuery, f.State)
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		where += ` AND (` + s.d.contains("lower(c.title)") + ` OR ` + s.d.contains("lower(c.author)") + `)`
		args = append(args, q, q)
	}
	const from = ` FROM changes c JOIN repos r ON r.id = c.repo_id
		LEFT JOIN deployment_changes dc ON dc.change_id = c.id
		LEFT JOIN deployments d ON d.id = dc.deployment_id WHERE `
	if err := s.read.QueryRowContext(ctx, `SELECT COUNT(*)`+from+where, args...).Scan(&info.Total); err != nil {
		return ChangePage{PageInfo: info}, fmt.Errorf("list changes: %w", err)
	}
	query := `SELECT c.id, c.repo_id, c.number, c.provider_id, c.title, c.author, c.author_is_bot, c.state, c.draft, c.labels,
		c.created_at, c.ready_at, c.first_commit_at, c.merged_at, c.closed_at, c.updated_at,
		c.additions, c.deletions, c.changed_files, c.merge_sha, c.squash_sha, c.base_branch, c.url,
		c.first_review_at, c.first_approval_at, dc.deployment_id, d.finished_at, r.name, ` + leadTimeExpr + from + where + order
	rows, err := s.read.QueryContext(ctx, query, append(args, pageArgs...)...)
	if err != nil {
		return ChangePage{PageInfo: info}, fmt.Errorf("list changes: %w", err)
	}
	defer rows.Close()
	page := ChangePage{PageInfo: info, Rows: []ChangeRow{}}
	for rows.Next() {
		var row ChangeRow
		var lead sql.NullInt64
		c, err := scanChange(scanAlso{rows, []any{&row.RepoName, &lead}})
		if err != nil {
			return page, fmt.Errorf("list changes: %w", err)
		}
		row.Change = c
		if lead.Valid {
			v := lead.Int64
			row.LeadTimeSeconds = &v
		}
		page.Rows = append(page.Rows, row)
	}
	if err := rows.Err(); err != nil {
		return page, fmt.Errorf("list changes: %w", err)
	}
	return page, nil
}

// scanAlso lets a row scanner made for a fixed column list read extra
// columns selected after them.
type scanAlso struct {
	sc    interface{ Scan(...any) error }
	extra []any
}

func (s scanAlso) Scan(dest ...any) error { return s.sc.Scan(append(dest, s.extra...)...) }

// Deployment list kinds.
const (
	KindProduction    = "production"
	KindFailed        = "failed"
	KindRework        = "rework"
	KindRollback      = "rollback"
	KindFailedAttempt = "failed_attempt"
)

// DeploymentKinds are the values of DeploymentFilter.Kind.
var DeploymentKinds = []string{KindProduction, KindFailed, KindRework, KindRollback, KindFailedAttempt}

// DeploymentFilter selects deployments for the deployments list.
type DeploymentFilter struct {
	RepoIDs []int64
	Modules ModuleFilter
	// From and To: deployments that finished in [From, To) (created, while
	// still pending). Zero means unbounded.
	From, To time.Time
	Kind     string // "" for every attempt, or one of DeploymentKinds
	ListOptions
}

// DeploymentRow is a deployment in the deployments list.
type DeploymentRow struct {
	Deployment
	RepoName  string
	Changes   int // changes it shipped
	Incidents int // incidents attributed to it
}

// DeploymentPage is one page of the deployments list.
type DeploymentPage struct {
	Rows []DeploymentRow
	PageInfo
}

// ListDeployments returns one page of the deployments matching f.
func (s *Store) ListDeployments(ctx context.Context, f DeploymentFilter) (DeploymentPage, error) {
	order, pageArgs, info, err := s.orderBy("deployments", "d.id", f.ListOptions)
	if err != nil {
		return DeploymentPage{PageInfo: info}, err
	}
	where, args := repoFilter("d.repo_id", f.RepoIDs)
	where, args = f.Modules.scoped(where, args, deploymentsOfModules)
	if !f.From.IsZero() {
		where += " AND COALESCE(d.finished_at, d.created_at) >= ?"
		args = append(args, f.From.Unix())
	}
	if !f.To.IsZero() {
		where += " AND COALESCE(d.finished_at, d.created_at) < ?"
		args = append(args, f.To.Unix())
	}
	switch f.Kind {
	case "":
	case KindProduction:
		where += " AND d.production = 1"
	case KindFailed:
		where += " AND d.production = 1 AND d.failed = 1"
	case KindRework:
		where += " AND d.production = 1 AND d.rework = 1"
	case KindRollback:
		where += " AND d.production = 1 AND d.rollback = 1"
	case KindFailedAttempt:
		where += " AND d.failed_attempt = 1"
	default:
		return DeploymentPage{PageInfo: info}, fmt.Errorf("%w: kind %q is not one of %s", ErrBadListQuery, f.Kind, strings.Join(DeploymentKinds, ", "))
	}
	const from = ` FROM deployments d JOIN repos r ON r.id = d.repo_id WHERE `
	if err := s.read.QueryRowContext(ctx, `SELECT COUNT(*)`+from+where, args...).Scan(&info.Total); err != nil {
		return DeploymentPage{PageInfo: info}, fmt.Errorf("list deployments: %w", err)
	}
	query := `SELECT * FROM (SELECT d.id, d.repo_id, d.source, d.provider_id, d.environment, d.environment_tier, d.sha, d.ref, d.status, d.creator, d.url,
		d.created_at, d.finished_at, d.updated_at, d.range_fetched,
		d.production, d.failed_attempt, d.failed, d.failure_cause, d.rollback, d.rework, d.recovered_at, d.recovered_by,
		r.name AS repo_name,
		(SELECT COUNT(*) FROM deployment_changes dc WHERE dc.deployment_id = d.id) AS change_count,
		(SELECT COUNT(*) FROM incidents i WHERE i.deployment_id = d.id) AS incident_count` + from + where + `) d`
	// The outer query (aliased d again) sorts by the counts computed inside.
	rows, err := s.read.QueryContext(ctx, query+order, append(args, pageArgs...)...)
	if err != nil {
		return DeploymentPage{PageInfo: info}, fmt.Errorf("list deployments: %w", err)
	}
	defer rows.Close()
	page := DeploymentPage{PageInfo: info, Rows: []DeploymentRow{}}
	for rows.Next() {
		var row DeploymentRow
		d, err := scanDeployment(scanAlso{rows, []any{&row.RepoName, &row.Changes, &row.Incidents}})
		if err != nil {
			return page, fmt.Errorf("list deployments: %w", err)
		}
		row.Deployment = d
		page.Rows = append(page.Rows, row)
	}
	if err := rows.Err(); err != nil {
		return page, fmt.Errorf("list deployments: %w", err)
	}
	return page, nil
}

// IncidentFilter selects incidents for the incidents list.
type IncidentFilter struct {
	RepoIDs []int64
	Modules ModuleFilter
	// From and To: incidents open at some moment of [From, To) — created
	// before To and not resolved before From. Zero means unbounded.
	From, To time.Time
	Status   string // "", open or resolved
	ListOptions
}

// Incident list statuses.
const (
	IncidentOpen     = "open"
	IncidentResolved = "resolved"
)

// IncidentRow is an incident in the incidents list.
type IncidentRow struct {
	Incident
	RepoName string
	// The deployment it is attributed to, when there is one.
	DeploymentFinishedAt time.Time
	DeploymentURL        string
	DeploymentSHA        string
}

// IncidentPage is one page of the incidents list.
type IncidentPage struct {
	Rows []IncidentRow
	PageInfo
}

// ListIncidents returns one page of the incidents matching f.
func (s *Store) ListIncidents(ctx context.Context, f IncidentFilter) (IncidentPage, error) {
	order, pageArgs, info, err := s.orderBy("incidents", "i.id", f.ListOptions)
	if err != nil {
		return IncidentPage{PageInfo: info}, err
	}
	where, args := repoFilter("i.repo_id", f.RepoIDs)
	where, args = f.Modules.scoped(where, args, incidentsOfModules)
	if !f.To.IsZero() {
		where += " AND i.created_at < ?"
		args = append(args, f.To.Unix())
	}
	if !f.From.IsZero() {
		where += " AND (i.resolved_at IS NULL OR i.resolved_at >= ?)"
		args = append(args, f.From.Unix())
	}
	switch f.Status {
	case "":
	case IncidentOpen:
		where += " AND i.resolved_at IS NULL"
	case IncidentResolved:
		where += " AND i.resolved_at IS NOT NULL"
	default:
		return IncidentPage{PageInfo: info}, fmt.Errorf("%w: status %q is neither open nor resolved", ErrBadListQuery, f.Status)
	}
	const from = ` FROM incidents i JOIN repos r ON r.id = i.repo_id LEFT JOIN deployments d ON d.id = i.deployment_id WHERE `
	if err := s.read.QueryRowContext(ctx, `SELECT COUNT(*)`+from+where, args...).Scan(&info.Total); err != nil {
		return IncidentPage{PageInfo: info}, fmt.Errorf("list incidents: %w", err)
	}
	query := `SELECT i.id, i.repo_id, i.number, i.provider_id, i.title, i.labels, i.url, i.created_at, i.resolved_at, i.updated_at, i.deployment_id,
		r.name, d.finished_at, COALESCE(d.url, ''), COALESCE(d.sha, '')` + from + where + order
	rows, err := s.read.QueryContext(ctx, query, append(args, pageArgs...)...)
	if err != nil {
		return IncidentPage{PageInfo: info}, fmt.Errorf("list incidents: %w", err)
	}
	defer rows.Close()
	page := IncidentPage{PageInfo: info, Rows: []IncidentRow{}}
	for rows.Next() {
		var row IncidentRow
		var finished sql.NullInt64
		in, err := scanIncident(scanAlso{rows, []any{&row.RepoName, &finished, &row.DeploymentURL, &row.DeploymentSHA}})
		if err != nil {
			return page, fmt.Errorf("list incidents: %w", err)
		}
		row.Incident, row.DeploymentFinishedAt = in, fromUnix(finished)
		page.Rows = append(page.Rows, row)
	}
	if err := rows.Err(); err != nil {
		return page, fmt.Errorf("list incidents: %w", err)
	}
	return page, nil
}
