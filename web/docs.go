package web

import (
	"net/http"
	"strconv"

	"github.com/tach-dev/tach/docs"
	"github.com/tach-dev/tach/metrics"
	"github.com/tach-dev/tach/metrics/render"
	"github.com/tach-dev/tach/templates"
)

// rulesURL is the complete rules, served by tach itself (docFile).
const rulesURL = "/docs/metrics.md"

// docFile serves one embedded document as plain text, which every browser
// shows rather than downloads; the installs without internet read the
// rules from here.
func docFile(name string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		body, err := docs.Files.ReadFile(name)
		if err != nil {
			return err
		}
		h := w.Header()
		h.Set("Content-Type", "text/plain; charset=utf-8")
		h.Set("Content-Length", strconv.Itoa(len(body)))
		h.Set("Cache-Control", "no-cache")
		_, err = w.Write(body)
		return err
	}
}

// definitionsPage is every measure's definition and tier table, served by
// tach itself so the dashboard explains its numbers without the internet;
// each measure page's "full rules" link lands on its section here.
func (s *Server) definitionsPage(w http.ResponseWriter, r *http.Request) error {
	q, err := s.parse(r)
	if err != nil {
		return err
	}
	var sections []templates.Section
	for _, m := range measures {
		sec := templates.Section{ID: m.slug, Title: m.title, Lead: m.definition}
		if rows := metrics.TierTables[m.key]; len(rows) > 0 {
			sec.Table = templates.Table{Caption: "Tiers (DORA)", Columns: []templates.Column{{Label: "Tier"}, {Label: "Rule"}}}
			for _, row := range rows {
				sec.Table.Rows = append(sec.Table.Rows, []templates.Cell{{Text: row.Tier}, {Text: row.Rule}})
			}
		}
		sections = append(sections, sec)
	}
	sections = append(sections, templates.Section{ID: "conventions", Title: "Conventions",
		Lead: "Windows are half-open, [from, to), with week boundaries on Monday 00:00 in the configured timezone. Percentiles interpolate linearly between closest ranks (numpy's default); the median is p50. A value that cannot be computed is – (null in JSON), never 0. Bot authors are left out of lead time, cycle time, throughput and PR size unless include_bot_changes is set; a bot's review never counts as the first review."})
	sections = append(sections,
		templates.Section{ID: "weekly-charts", Title: "Weekly charts and part weeks",
			Lead: "Each trend has one bar or point per week, Monday to Monday. A window that does not start or end on a Monday keeps its part weeks: the first runs from the window's first day to the next Monday, the last from its last Monday to the window's end, each computed as a window of those days would be. They are shaded and named \"part week\", so no record of the window is left out of a chart; their counts are of fewer days. Click a week (or its link under the chart) to list that week's rows."},
		templates.Section{ID: "which-part-moved-it", Title: "Which part moved it",
			Lead: "Each measure page compares its figures with the period of the same length before (a week shown alone: with the 4 weeks before it, as the weekly review does) and lists each repo, team and module of the scope in both periods, with the counts behind each value, its change and its effect: the whole's change minus the change the whole would have had without that part's rows. Recompute it by taking the part's rows out of both periods. For counts per week the effects add up to the change; for rates and medians they need not, as the mix of the parts moves them too."},
		templates.Section{ID: "changes-against-an-earlier-period", Title: "Changes against an earlier period",
			Lead: "The overview's cards, the weekly review and each measure page's headline judge a change as tach report compare judges the same two periods, and show the counts of both sides. " + render.JudgedNote() +
				" A comparison that reaches before the history start of a repo in scope (tach does not hold all its records then) is not made: not enough history, and no change shown. The arrow is the sign of the change, its colour the verdict."},
	)
	page := templates.Page{Title: "How tach measures", Nav: nav(q, ""), Assets: s.assetURLs()}
	return s.render(w, r, templates.Definitions(page, sections, "Every number on the dashboard follows these rules; the complete rules, with the reasons behind them, are in", rulesURL))
}
