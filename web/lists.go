package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/tach-dev/tach/metrics"
	"github.com/tach-dev/tach/metrics/render"
	"github.com/tach-dev/tach/store"
	"github.com/tach-dev/tach/templates"
)

// The lists of changes, deployments and incidents: sorted by any column
// (sort=KEY&dir=asc|desc), a page at a time (page, per_page), with the
// scope and window of every page. The store sorts and pages in SQL with
// whitelisted columns; here the query is validated and the table built.

// listRequest is a list page's parsed request.
type listRequest struct {
	q       Query
	repoIDs []int64
	modules store.ModuleFilter // the scope's modules, by their paths
	choices scopeChoices
}

func (s *Server) listRequest(r *http.Request) (listRequest, error) {
	q, err := s.parse(r)
	if err != nil {
		return listRequest{}, err
	}
	res, err := s.reports.Resolve(r.Context(), q.Scope)
	if err != nil {
		return listRequest{}, err
	}
	lr := listRequest{q: q, repoIDs: res.IDs}
	if lr.repoIDs == nil {
		lr.repoIDs = []int64{}
	}
	byPaths := false
	for _, m := range res.Modules {
		if len(m.Authors) > 0 {
			// A team's people in a repo it does not hold whole.
			lr.modules.Authors = append(lr.modules.Authors, store.RepoAuthors{RepoID: m.RepoID, Logins: m.Authors})
		} else {
			byPaths = true
		}
	}
	if byPaths {
		if lr.modules.PathIDs, err = s.reports.ModulePathIDs(r.Context(), res); err != nil {
			return listRequest{}, err
		}
		if len(lr.modules.PathIDs) == 0 {
			lr.modules.PathIDs = []int64{-1} // a module no change touched: none of its rows
		}
	}
	return lr, nil
}

// listValues are the parameters of a list view: scope, window and filters,
// without sort and page.
func (lr listRequest) listValues() url.Values {
	v := lr.q.scopeValues()
	for name, value := range map[string]string{"state": lr.q.State, "kind": lr.q.Kind, "status": lr.q.Status, "q": lr.q.Search} {
		if value != "" {
			v.Set(name, value)
		}
	}
	if lr.q.List.PerPage != 0 {
		v.Set("per_page", strconv.Itoa(lr.q.List.PerPage))
	}
	return v
}

// columns turns column specs into sortable headers: a click sorts by the
// column, and a second click turns the direction.
func (lr listRequest) columns(path string, info store.PageInfo, specs []listColumn) []templates.Column {
	cols := make([]templates.Column, len(specs))
	for i, c := range specs {
		cols[i] = templates.Column{Label: c.label, Num: c.num, Title: c.title}
		if c.sort == "" {
			continue
		}
		v := lr.listValues()
		v.Set("sort", c.sort)
		if info.Sort == c.sort {
			cols[i].Sorted = info.Dir
			if info.Dir == store.Desc {
				v.Set("dir", store.Asc)
			} else {
				v.Set("dir", store.Desc)
			}
		}
		cols[i].SortHref = link(path, v)
	}
	return cols
}

type listColumn struct {
	label, sort, title string
	num                bool
}

// pager builds the page links of a list.
func (lr listRequest) pager(path string, info store.PageInfo) templates.Pager {
	p := templates.Pager{}
	first := (info.Page-1)*info.PerPage + 1
	last := min(info.Page*info.PerPage, info.Total)
	switch {
	case info.Total == 0:
		p.Summary = "No rows"
	case first > info.Total:
		p.Summary = fmt.Sprintf("Page %d is past the end: %d rows in %d pages", info.Page, info.Total, info.Pages())
	default:
		p.Summary = fmt.Sprintf("%d–%d of %d", first, last, info.Total)
	}
	pageLink := func(n int) string {
		v := lr.listValues()
		v.Set("sort", info.Sort)
		v.Set("dir", info.Dir)
		if n > 1 {
			v.Set("page", strconv.Itoa(n))
		}
		return link(path, v)
	}
	if info.Page > 1 {
		p.Prev = templates.Link{Label: "Previous", Href: pageLink(min(info.Page-1, info.Pages()))}
	}
	if info.Page < info.Pages() {
		p.Next = templates.Link{Label: "Next", Href: pageLink(info.Page + 1)}
	}
	pages := info.Pages()
	if pages <= 1 {
		return p
	}
	gap := false
	for n := 1; n <= pages; n++ {
		if n <= 2 || n > pages-2 || (n >= info.Page-2 && n <= info.Page+2) {
			p.Pages = append(p.Pages, templates.Link{Label: strconv.Itoa(n), Href: pageLink(n), Active: n == info.Page})
			gap = false
		} else if !gap {
			p.Pages = append(p.Pages, templates.Link{Label: "…"})
			gap = true
		}
	}
	return p
}

// listPage builds the common parts of a list page.
func (s *Server) listPage(lr listRequest, path, section, title string) templates.ListPage {
	p := templates.ListPage{Kind: section, Page: s.page(lr.q, path, section, title, lr.choices, false)}
	if lr.q.List.Sort != "" {
		p.Filter.Keep = append(p.Filter.Keep, templates.Param{Name: "sort", Value: lr.q.List.Sort})
	}
	if lr.q.List.Dir != "" {
		p.Filter.Keep = append(p.Filter.Keep, templates.Param{Name: "dir", Value: lr.q.List.Dir})
	}
	if lr.q.List.PerPage != 0 {
		p.Filter.Keep = append(p.Filter.Keep, templates.Param{Name: "per_page", Value: strconv.Itoa(lr.q.List.PerPage)})
	}
	return p
}

func options(current string, all string, values ...string) []templates.Option {
	out := []templates.Option{{Value: "", Label: all, Selected: current == ""}}
	for _, v := range values {
		out = append(out, templates.Option{Value: v, Label: v, Selected: v == current})
	}
	return out
}

// Changes.

func (s *Server) changes(r *http.Request) (listRequest, store.ChangePage, error) {
	lr, err := s.listRequest(r)
	if err != nil {
		return lr, store.ChangePage{}, err
	}
	rows, info, err := s.listChanges(r.Context(), lr, lr.q.List)
	return lr, store.ChangePage{Rows: rows, PageInfo: info}, err
}

// listChanges is one page of the changes lr's filters hold (the page's, or
// the CSV's pages).
func (s *Server) listChanges(ctx context.Context, lr listRequest, o store.ListOptions) ([]store.ChangeRow, store.PageInfo, error) {
	p, err := s.store.ListChanges(ctx, store.ChangeFilter{RepoIDs: lr.repoIDs, Modules: lr.modules, From: lr.q.Window.From, To: lr.q.Window.To, State: lr.q.State, Query: lr.q.Search, ListOptions: o})
	return p.Rows, p.PageInfo, err
}

func (s *Server) changesPage(w http.ResponseWriter, r *http.Request) error {
	lr, page, err := s.changes(r)
	if err != nil {
		return err
	}
	if lr.q.Format == "csv" {
		return s.changesCSV(w, r, lr)
	}
	if lr.choices, err = s.choices(r.Context()); err != nil {
		return err
	}
	rules := s.reports.Rules()
	loc := rules.Location
	p := s.listPage(lr, "/changes", "changes", "Changes")
	p.Lead = "Pull and merge requests open at some moment of the window (created before its end, not merged or closed before its start). Lead time is shown for shipped changes."
	p.Filter.Selects = []templates.Select{{Name: "state", Label: "State", Options: options(lr.q.State, "Any state", store.StateOpen, store.StateMerged, store.StateClosed)}}
	p.Filter.Search = &templates.Search{Name: "q", Label: "Title or author", Value: lr.q.Search, Placeholder: "search"}
	p.Table = templates.Table{TestID: "list", Empty: "No change matches these filters.", Columns: lr.columns("/changes", page.PageInfo, []listColumn{
		{label: "Repo", sort: "repo"}, {label: "#", sort: "number", num: true}, {label: "Title", sort: "title"}, {label: "Author", sort: "author"},
		{label: "State", sort: "state"}, {label: "Created", sort: "created"}, {label: "Merged", sort: "merged"}, {label: "Deployed", sort: "deployed"},
		{label: "Lead time", sort: "lead_time", num: true, title: "deployed − first commit (or creation)"}, {label: "Lines", sort: "size", num: true},
	})}
	for _, c := range page.Rows {
		title := templates.Cell{Text: c.Title, Href: c.URL, Title: "opened by " + c.Author}
		mc := metrics.Change{Title: c.Title, Labels: c.Labels, Author: c.Author, AuthorIsBot: c.AuthorIsBot}
		if rules.IsBotChange(mc) {
			title.Tags = append(title.Tags, "bot")
		}
		if c.Draft {
			title.Tags = append(title.Tags, "draft")
		}
		if rules.IsFix(mc) && !rules.IsBotChange(mc) {
			title.Tags = append(title.Tags, "fix")
		}
		lead := templates.Cell{Text: render.Dash, Num: true, Muted: true, Title: "not shipped by a production deployment"}
		if c.LeadTimeSeconds != nil {
			secs := float64(*c.LeadTimeSeconds)
			lead = secondsCell(&secs, "")
		}
		p.Table.Rows = append(p.Table.Rows, []templates.Cell{
			{Text: c.RepoName}, {Text: strconv.FormatInt(c.Number, 10), Num: true, Href: c.URL}, title, {Text: c.Author}, {Text: c.State},
			dateCell(c.CreatedAt, loc), dateCell(c.MergedAt, loc), dateCell(c.DeployedAt, loc), lead,
			sizeCell(metrics.Change{Additions: c.Additions, Deletions: c.Deletions, ChangedFiles: c.ChangedFiles, SizeKnown: c.SizeKnown}),
		})
	}
	p.Pager = lr.pager("/changes", page.PageInfo)
	p.Table.CSV = lr.csvHref("/changes", page.PageInfo)
	p.JSONHref = link("/api/v1/changes", withValues(lr.listValues(), "sort", page.Sort, "dir", page.Dir, "page", strconv.Itoa(page.Page)))
	return s.render(w, r, templates.List(p))
}

type apiListChange struct {
	apiChange
	ID int64 `json:"id"`
}

func (s *Server) apiChanges(w http.ResponseWriter, r *http.Request) error {
	_, page, err := s.changes(r)
	if err != nil {
		return err
	}
	return s.serveJSON(w, map[string]any{"page": page.PageInfo, "rows": s.apiChangeRows(page.Rows)})
}

// apiChangeRows are the list's changes as the API (and the CSV) gives them.
func (s *Server) apiChangeRows(page []store.ChangeRow) []apiListChange {
	rules := s.reports.Rules()
	rows := []apiListChange{}
	for _, c := range page {
		mc := metrics.Change{Title: c.Title, Labels: c.Labels, Author: c.Author, AuthorIsBot: c.AuthorIsBot}
		a := apiChange{
			Repo: c.RepoName, Number: c.Number, Title: c.Title, Author: c.Author, URL: c.URL, State: c.State,
			Bot: rules.IsBotChange(mc), Fix: rules.IsFix(mc) && !rules.IsBotChange(mc),
			CreatedAt: c.CreatedAt.UTC(), MergedAt: ptrTime(c.MergedAt), DeployedAt: ptrTime(c.DeployedAt),
		}
		if c.SizeKnown {
			n := c.Additions + c.Deletions
			a.SizeLines = &n
		}
		if c.LeadTimeSeconds != nil {
			secs := float64(*c.LeadTimeSeconds)
			a.LeadTimeSeconds = &secs
		}
		rows = append(rows, apiListChange{apiChange: a, ID: c.ID})
	}
	return rows
}

// Deployments.

func (s *Server) deployments(r *http.Request) (listRequest, store.DeploymentPage, error) {
	lr, err := s.listRequest(r)
	if err != nil {
		return lr, store.DeploymentPage{}, err
	}
	rows, info, err := s.listDeployments(r.Context(), lr, lr.q.List)
	return lr, store.DeploymentPage{Rows: rows, PageInfo: info}, err
}

// listDeployments is one page of the deployments lr's filters hold (the page's, or
// the CSV's pages).
func (s *Server) listDeployments(ctx context.Context, lr listRequest, o store.ListOptions) ([]store.DeploymentRow, store.PageInfo, error) {
	p, err := s.store.ListDeployments(ctx, store.DeploymentFilter{RepoIDs: lr.repoIDs, Modules: lr.modules, From: lr.q.Window.From, To: lr.q.Window.To, Kind: lr.q.Kind, ListOptions: o})
	return p.Rows, p.PageInfo, err
}

func (s *Server) deploymentsPage(w http.ResponseWriter, r *http.Request) error {
	lr, page, err := s.deployments(r)
	if err != nil {
		return err
	}
	if lr.q.Format == "csv" {
		return s.deploymentsCSV(w, r, lr)
	}
	if lr.choices, err = s.choices(r.Context()); err != nil {
		return err
	}
	loc := s.reports.Rules().Location
	p := s.listPage(lr, "/deployments", "deployments", "Deployments")
	p.Lead = "Every deployment attempt that finished in the window, in any environment: production ones count in the DORA keys; failed attempts only in the deploy success rate."
	p.Filter.Selects = []templates.Select{{Name: "kind", Label: "Kind", Options: options(lr.q.Kind, "Every attempt", store.DeploymentKinds...)}}
	p.Table = templates.Table{TestID: "list", Empty: "No deployment matches these filters.", Columns: lr.columns("/deployments", page.PageInfo, []listColumn{
		{label: "Finished", sort: "finished"}, {label: "Repo", sort: "repo"}, {label: "Environment", sort: "environment"}, {label: "Commit"},
		{label: "Status", sort: "status"}, {label: "Changes", sort: "changes", num: true}, {label: "Incidents", sort: "incidents", num: true},
		{label: "Recovered after", sort: "recovery", num: true},
	})}
	for _, d := range page.Rows {
		sha := shaCell(d.SHA, d.URL)
		sha.Tags = render.DeploymentTags(metrics.Deployment{Failed: d.Failed, FailureCause: d.FailureCause, Rollback: d.Rollback, Rework: d.Rework, FailedAttempt: d.FailedAttempt})
		if d.Production {
			sha.Tags = append([]string{"production"}, sha.Tags...)
		}
		recovered := templates.Cell{Text: render.Dash, Num: true, Muted: true}
		if !d.RecoveredAt.IsZero() {
			recovered = durationCell(d.RecoveredAt.Sub(d.FinishedAt), true, "")
		}
		p.Table.Rows = append(p.Table.Rows, []templates.Cell{
			timeCell(d.FinishedAt, loc), {Text: d.RepoName}, {Text: d.Environment}, sha, {Text: d.Status},
			intCell(d.Changes), intCell(d.Incidents), recovered,
		})
		p.Table.RowIDs = append(p.Table.RowIDs, deploymentAnchor(d.ID))
	}
	p.Pager = lr.pager("/deployments", page.PageInfo)
	p.Table.CSV = lr.csvHref("/deployments", page.PageInfo)
	p.JSONHref = link("/api/v1/deployments", withValues(lr.listValues(), "sort", page.Sort, "dir", page.Dir, "page", strconv.Itoa(page.Page)))
	return s.render(w, r, templates.List(p))
}

type apiListDeployment struct {
	ID              int64      `json:"id"`
	Repo            string     `json:"repo"`
	Environment     string     `json:"environment"`
	SHA             string     `json:"sha"`
	URL             string     `json:"url"`
	Status          string     `json:"status"`
	CreatedAt       time.Time  `json:"created_at"`
	FinishedAt      *time.Time `json:"finished_at"`
	Production      bool       `json:"production"`
	FailedAttempt   bool       `json:"failed_attempt"`
	Failed          bool       `json:"failed"`
	FailureCause    string     `json:"failure_cause"`
	Rollback        bool       `json:"rollback"`
	Rework          bool       `json:"rework"`
	RecoveredAt     *time.Time `json:"recovered_at"`
	RecoveredBy     string     `json:"recovered_by"`
	RecoverySeconds *float64   `json:"recovery_seconds"`
	Changes         int        `json:"changes"`
	Incidents       int        `json:"incidents"`
}

func (s *Server) apiDeployments(w http.ResponseWriter, r *http.Request) error {
	_, page, err := s.deployments(r)
	if err != nil {
		return err
	}
	return s.serveJSON(w, map[string]any{"page": page.PageInfo, "rows": apiDeploymentRows(page.Rows)})
}

// apiDeploymentRows are the list's deployments as the API (and the CSV)
// gives them.
func apiDeploymentRows(page []store.DeploymentRow) []apiListDeployment {
	rows := []apiListDeployment{}
	for _, d := range page {
		a := apiListDeployment{
			ID: d.ID, Repo: d.RepoName, Environment: d.Environment, SHA: d.SHA, URL: d.URL, Status: d.Status,
			CreatedAt: d.CreatedAt.UTC(), FinishedAt: ptrTime(d.FinishedAt), Production: d.Production, FailedAttempt: d.FailedAttempt,
			Failed: d.Failed, FailureCause: d.FailureCause, Rollback: d.Rollback, Rework: d.Rework,
			RecoveredAt: ptrTime(d.RecoveredAt), RecoveredBy: d.RecoveredBy, Changes: d.Changes, Incidents: d.Incidents,
		}
		if !d.RecoveredAt.IsZero() {
			secs := max(d.RecoveredAt.Sub(d.FinishedAt), 0).Seconds()
			a.RecoverySeconds = &secs
		}
		rows = append(rows, a)
	}
	return rows
}

// Incidents.

func (s *Server) incidents(r *http.Request) (listRequest, store.IncidentPage, error) {
	lr, err := s.listRequest(r)
	if err != nil {
		return lr, store.IncidentPage{}, err
	}
	rows, info, err := s.listIncidents(r.Context(), lr, lr.q.List)
	return lr, store.IncidentPage{Rows: rows, PageInfo: info}, err
}

// listIncidents is one page of the incidents lr's filters hold (the page's, or
// the CSV's pages).
func (s *Server) listIncidents(ctx context.Context, lr listRequest, o store.ListOptions) ([]store.IncidentRow, store.PageInfo, error) {
	p, err := s.store.ListIncidents(ctx, store.IncidentFilter{RepoIDs: lr.repoIDs, Modules: lr.modules, From: lr.q.Window.From, To: lr.q.Window.To, Status: lr.q.Status, ListOptions: o})
	return p.Rows, p.PageInfo, err
}

func (s *Server) incidentsPage(w http.ResponseWriter, r *http.Request) error {
	lr, page, err := s.incidents(r)
	if err != nil {
		return err
	}
	if lr.q.Format == "csv" {
		return s.incidentsCSV(w, r, lr)
	}
	if lr.choices, err = s.choices(r.Context()); err != nil {
		return err
	}
	loc := s.reports.Rules().Location
	p := s.listPage(lr, "/incidents", "incidents", "Incidents")
	p.Lead = "Incidents open at some moment of the window, with the production deployment each is attributed to (the latest one of its repo that finished before it was opened, within incident_window)."
	p.Filter.Selects = []templates.Select{{Name: "status", Label: "Status", Options: options(lr.q.Status, "Open or resolved", store.IncidentOpen, store.IncidentResolved)}}
	p.Table = templates.Table{TestID: "list", Empty: "No incident matches these filters.", Columns: lr.columns("/incidents", page.PageInfo, []listColumn{
		{label: "Opened", sort: "created"}, {label: "Repo", sort: "repo"}, {label: "#", sort: "number", num: true}, {label: "Title", sort: "title"},
		{label: "Resolved", sort: "resolved"}, {label: "Open for", sort: "duration", num: true}, {label: "Attributed to"},
	})}
	for _, in := range page.Rows {
		title := templates.Cell{Text: in.Title, Href: in.URL}
		if in.ResolvedAt.IsZero() {
			title.Tags = []string{"open"}
		}
		open := templates.Cell{Text: render.Dash, Num: true, Muted: true, Title: "still open"}
		if !in.ResolvedAt.IsZero() {
			open = durationCell(max(in.ResolvedAt.Sub(in.CreatedAt), 0), true, "")
		}
		dep := templates.Cell{Text: "none", Muted: true, Title: "no production deployment finished within incident_window before it"}
		if in.DeploymentID != 0 {
			dep = shaCell(in.DeploymentSHA, deploymentRowLink(in.RepoName, in.DeploymentID, in.DeploymentFinishedAt, loc))
			dep.Text += " · " + in.DeploymentFinishedAt.In(loc).Format("2006-01-02 15:04")
		}
		p.Table.Rows = append(p.Table.Rows, []templates.Cell{
			timeCell(in.CreatedAt, loc), {Text: in.RepoName}, {Text: strconv.FormatInt(in.Number, 10), Num: true, Href: in.URL}, title,
			timeCell(in.ResolvedAt, loc), open, dep,
		})
		p.Table.RowIDs = append(p.Table.RowIDs, "incident-"+strconv.FormatInt(in.ID, 10))
	}
	p.Pager = lr.pager("/incidents", page.PageInfo)
	p.Table.CSV = lr.csvHref("/incidents", page.PageInfo)
	p.JSONHref = link("/api/v1/incidents", withValues(lr.listValues(), "sort", page.Sort, "dir", page.Dir, "page", strconv.Itoa(page.Page)))
	return s.render(w, r, templates.List(p))
}

type apiListIncident struct {
	apiIncident
	ID                   int64      `json:"id"`
	DeploymentSHA        string     `json:"deployment_sha"`
	DeploymentURL        string     `json:"deployment_url"`
	DeploymentFinishedAt *time.Time `json:"deployment_finished_at"`
}

func (s *Server) apiIncidents(w http.ResponseWriter, r *http.Request) error {
	_, page, err := s.incidents(r)
	if err != nil {
		return err
	}
	return s.serveJSON(w, map[string]any{"page": page.PageInfo, "rows": apiIncidentRows(page.Rows)})
}

// apiIncidentRows are the list's incidents as the API (and the CSV) gives
// them.
func apiIncidentRows(page []store.IncidentRow) []apiListIncident {
	rows := []apiListIncident{}
	for _, in := range page {
		a := apiIncident{
			Repo: in.RepoName, Number: in.Number, Title: in.Title, URL: in.URL, CreatedAt: in.CreatedAt.UTC(),
			ResolvedAt: ptrTime(in.ResolvedAt), Attributed: in.DeploymentID != 0,
		}
		if !in.ResolvedAt.IsZero() {
			secs := max(in.ResolvedAt.Sub(in.CreatedAt), 0).Seconds()
			a.OpenSeconds = &secs
		}
		rows = append(rows, apiListIncident{apiIncident: a, ID: in.ID, DeploymentSHA: in.DeploymentSHA, DeploymentURL: in.DeploymentURL, DeploymentFinishedAt: ptrTime(in.DeploymentFinishedAt)})
	}
	return rows
}
