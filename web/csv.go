package web

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tach-dev/tach/metrics/impact"
	"github.com/tach-dev/tach/store"
	"github.com/tach-dev/tach/templates"
)

// CSV exports: every table's page answers ?format=csv with the same
// filters — the lists (all their rows, in the page's sort, not one page),
// a measure page's row tables (&table=ID), the comparison. RFC 4180: a
// header row, fields quoted where needed, CRLF line ends, UTF-8. Times are
// RFC 3339 in UTC and durations in seconds, as in the JSON API, so a
// spreadsheet can compute with them.
//
// A cell that starts with = + - or @ (or a tab or carriage return) would
// be read as a formula by a spreadsheet: titles and logins come from the
// providers, so such a cell gets a leading ' (OWASP's advice), and is text
// — unless it is a plain number, which a spreadsheet can only read as one.

// csvMaxRows is the most rows a list exports: beyond it, the reader is
// asked to narrow the list rather than sent a part of it.
const csvMaxRows = 50_000

// sheet is a table to write as CSV.
type sheet struct {
	name   string // the file name, without .csv
	header []string
	rows   [][]string
}

func (sh *sheet) add(cells ...string) { sh.rows = append(sh.rows, cells) }

// serveCSV writes sh as an attachment.
func serveCSV(w http.ResponseWriter, sh sheet) error {
	var buf bytes.Buffer
	cw := csv.NewWriter(&buf)
	cw.UseCRLF = true
	if err := cw.Write(safeRow(sh.header)); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	for _, row := range sh.rows {
		if err := cw.Write(safeRow(row)); err != nil {
			return fmt.Errorf("write csv: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8; header=present")
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s.csv"`, sh.name))
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	_, err := w.Write(buf.Bytes())
	return err
}

// safeRow neutralises cells a spreadsheet would run as formulas.
func safeRow(row []string) []string {
	out := make([]string, len(row))
	for i, c := range row {
		out[i] = csvSafe(c)
	}
	return out
}

// csvSafe prefixes a cell that starts like a formula with '. A number
// ("-135688.5") is left as it is: a spreadsheet reads it as the number, and
// it can hold nothing else.
func csvSafe(c string) string {
	if c == "" || !strings.ContainsRune("=+-@\t\r", rune(c[0])) {
		return c
	}
	if _, err := strconv.ParseFloat(c, 64); err == nil {
		return c
	}
	return "'" + c
}

func csvTime(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func csvFloat(v *float64) string {
	if v == nil {
		return ""
	}
	return strconv.FormatFloat(*v, 'f', -1, 64)
}

func csvInt(n int) string   { return strconv.Itoa(n) }
func csvBool(b bool) string { return strconv.FormatBool(b) }
func csvID(n int64) string  { return strconv.FormatInt(n, 10) }

func intOrEmpty(n *int) string {
	if n == nil {
		return ""
	}
	return strconv.Itoa(*n)
}

// csvName is a file name: tach-changes-2026-09-14-2026-12-07.
func (lr listRequest) csvName(kind string, loc *time.Location) string {
	w := lr.q.Window
	return fmt.Sprintf("tach-%s-%s-%s", kind, w.From.In(loc).Format(time.DateOnly), w.To.In(loc).Format(time.DateOnly))
}

// csvHref is the CSV of the list at path, with its filters and sort.
func (lr listRequest) csvHref(path string, info store.PageInfo) string {
	return link(path, withValues(lr.listValues(), "sort", info.Sort, "dir", info.Dir, "format", "csv"))
}

// allPages reads every page of a list, in its sort, up to csvMaxRows.
func allPages[R any](lr listRequest, list func(store.ListOptions) ([]R, store.PageInfo, error)) ([]R, error) {
	opts := lr.q.List
	opts.PerPage = store.MaxPerPage
	var all []R
	for page := 1; ; page++ {
		opts.Page = page
		rows, info, err := list(opts)
		if err != nil {
			return nil, err
		}
		if info.Total > csvMaxRows {
			return nil, badRequestf("the list has %d rows and a CSV holds at most %d: narrow the window or the filters", info.Total, csvMaxRows)
		}
		all = append(all, rows...)
		if len(rows) == 0 || page >= info.Pages() {
			return all, nil
		}
	}
}

// listCSV writes every row of a list (read by list, page after page) as
// the API gives them (api), one record each.
func listCSV[R any, A interface{ csvRecord() []string }](w http.ResponseWriter, r *http.Request, lr listRequest, name string, header []string,
	list func(context.Context, listRequest, store.ListOptions) ([]R, store.PageInfo, error), api func([]R) []A) error {
	rows, err := allPages(lr, func(o store.ListOptions) ([]R, store.PageInfo, error) { return list(r.Context(), lr, o) })
	if err != nil {
		return err
	}
	sh := sheet{name: name, header: header}
	for _, a := range api(rows) {
		sh.add(a.csvRecord()...)
	}
	return serveCSV(w, sh)
}

// The lists' columns, as their JSON names them.
var (
	changeColumns = []string{"repo", "number", "title", "author", "state", "bot", "fix", "created_at", "merged_at", "deployed_at", "lead_time_seconds",
		"size_lines", "url"}
	deploymentColumns = []string{"finished_at", "repo", "environment", "sha", "status", "production", "failed_attempt", "failed", "failure_cause",
		"rollback", "rework", "changes", "incidents", "recovered_at", "recovery_seconds", "url"}
	incidentColumns = []string{"created_at", "repo", "number", "title", "resolved_at", "open_seconds", "attributed", "deployment_sha",
		"deployment_finished_at", "url"}
)

func (s *Server) changesCSV(w http.ResponseWriter, r *http.Request, lr listRequest) error {
	name := lr.csvName("changes", s.reports.Rules().Location)
	return listCSV(w, r, lr, name, changeColumns, s.listChanges, s.apiChangeRows)
}

func (s *Server) deploymentsCSV(w http.ResponseWriter, r *http.Request, lr listRequest) error {
	name := lr.csvName("deployments", s.reports.Rules().Location)
	return listCSV(w, r, lr, name, deploymentColumns, s.listDeployments, apiDeploymentRows)
}

func (s *Server) incidentsCSV(w http.ResponseWriter, r *http.Request, lr listRequest) error {
	name := lr.csvName("incidents", s.reports.Rules().Location)
	return listCSV(w, r, lr, name, incidentColumns, s.listIncidents, apiIncidentRows)
}

func (c apiListChange) csvRecord() []string {
	return []string{c.Repo, csvID(c.Number), c.Title, c.Author, c.State, csvBool(c.Bot), csvBool(c.Fix),
		csvTime(&c.CreatedAt), csvTime(c.MergedAt), csvTime(c.DeployedAt), csvFloat(c.LeadTimeSeconds), intOrEmpty(c.SizeLines), c.URL}
}

func (d apiListDeployment) csvRecord() []string {
	return []string{csvTime(d.FinishedAt), d.Repo, d.Environment, d.SHA, d.Status, csvBool(d.Production), csvBool(d.FailedAttempt), csvBool(d.Failed),
		d.FailureCause, csvBool(d.Rollback), csvBool(d.Rework), csvInt(d.Changes), csvInt(d.Incidents), csvTime(d.RecoveredAt), csvFloat(d.RecoverySeconds), d.URL}
}

func (in apiListIncident) csvRecord() []string {
	return []string{csvTime(&in.CreatedAt), in.Repo, csvID(in.Number), in.Title, csvTime(in.ResolvedAt), csvFloat(in.OpenSeconds), csvBool(in.Attributed),
		in.DeploymentSHA, csvTime(in.DeploymentFinishedAt), in.URL}
}

// compareCSV is a comparison's table: one row per measure, its numbers
// raw, in the units of the JSON (seconds, lines, per_week, share).
func compareCSV(w http.ResponseWriter, c impact.Comparison) error {
	sh := sheet{name: "tach-compare-" + c.Before.From + "-" + c.After.To, header: []string{"measure", "name", "unit", "statistic", "before", "after",
		"difference", "relative_change", "interval_low", "interval_high", "interval_of", "p_value", "n_before", "n_after", "n_unit", "verdict"}}
	if c.Decision != nil {
		sh.name = fmt.Sprintf("tach-compare-decision-%d", c.Decision.ID)
	}
	for _, m := range c.Measures {
		var low, high *float64
		of := ""
		if m.Interval != nil {
			low, high, of = m.Interval.Low, m.Interval.High, m.Interval.Of
		}
		sh.add(m.Key, m.Name, m.Unit, m.Statistic, csvFloat(m.Before), csvFloat(m.After), csvFloat(m.Difference), csvFloat(m.RelativeChange),
			csvFloat(low), csvFloat(high), of, csvFloat(m.PValue), csvInt(m.NBefore), csvInt(m.NAfter), m.NUnit, m.Verdict)
	}
	return serveCSV(w, sh)
}

// tableCSV is a table of the page as it shows it: each cell's text, and
// a link column after each column that holds links. For the row tables of
// a measure page, whose cells are already the rows' values.
func tableCSV(w http.ResponseWriter, name string, t templates.Table) error {
	linked := make([]bool, len(t.Columns))
	for _, row := range t.Rows {
		for i, c := range row {
			if i < len(linked) && c.Href != "" {
				linked[i] = true
			}
		}
	}
	sh := sheet{name: name}
	for i, col := range t.Columns {
		sh.header = append(sh.header, col.Label)
		if linked[i] {
			sh.header = append(sh.header, col.Label+" link")
		}
	}
	for _, row := range t.Rows {
		var cells []string
		for i, c := range row {
			cells = append(cells, csvCellText(c))
			if i < len(linked) && linked[i] {
				cells = append(cells, c.Href)
			}
		}
		sh.add(cells...)
	}
	return serveCSV(w, sh)
}

// csvCellText is a cell as CSV text: its text, its tags in brackets, and
// its items (a deployment's changes, incidents) after it, one a line.
func csvCellText(c templates.Cell) string {
	text := c.Text
	if len(c.Tags) > 0 {
		text += " [" + strings.Join(c.Tags, ", ") + "]"
	}
	for _, item := range c.Items {
		text = joinNonEmpty("\n", text, csvCellText(item))
	}
	return text
}

// measureCSV is one of a measure page's row tables, named by table.
func (s *Server) measureCSV(w http.ResponseWriter, def measureDef, q Query, sections []templates.Section) error {
	var ids []string
	for _, sec := range sections {
		if sec.ID == q.Table {
			loc := s.reports.Rules().Location
			name := fmt.Sprintf("tach-%s-%s-%s-%s", def.slug, sec.ID, q.Window.From.In(loc).Format(time.DateOnly), q.Window.To.In(loc).Format(time.DateOnly))
			return tableCSV(w, name, sec.Table)
		}
		ids = append(ids, sec.ID)
	}
	return badRequestf("table %q is not one of this page's tables; give table= one of %s", truncate(q.Table, 40), strings.Join(ids, ", "))
}
