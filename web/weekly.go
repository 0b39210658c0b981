package web

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/tach-dev/tach/metrics"
	"github.com/tach-dev/tach/metrics/render"
	"github.com/tach-dev/tach/metrics/review"
	"github.com/tach-dev/tach/templates"
)

// The weekly review: /weekly (the page), /weekly.md (Markdown, for notes
// and chat) and /api/v1/weekly. The data comes from the reports'
// WeeklyReview and the Markdown from render.WeeklyMarkdown, the same as
// `tach report weekly`.

// weeklyReview parses the week and loads its review.
func (s *Server) weeklyReview(r *http.Request) (Query, review.Review, error) {
	q, err := s.parse(r)
	if err != nil {
		return q, review.Review{}, err
	}
	week, err := q.ReviewWeek()
	if err != nil {
		return q, review.Review{}, err
	}
	rev, err := s.reports.WeeklyReview(r.Context(), q.Scope, week, s.now())
	return q, rev, err
}

func (s *Server) apiWeekly(w http.ResponseWriter, r *http.Request) error {
	_, rev, err := s.weeklyReview(r)
	if err != nil {
		return err
	}
	return s.serveJSON(w, rev)
}

// weeklyMarkdown is /weekly.md: the whole review in Markdown, or with
// flavor=slack|teams|mattermost its short summary in that chat's syntax
// (Slack's mrkdwn is not Markdown, so it goes out as plain text).
func (s *Server) weeklyMarkdown(w http.ResponseWriter, r *http.Request) error {
	q, rev, err := s.weeklyReview(r)
	if err != nil {
		return err
	}
	loc := s.reports.Rules().Location
	var buf bytes.Buffer
	ctype, name := "text/markdown; charset=utf-8", fmt.Sprintf("tach-weekly-%s.md", rev.Week.From)
	if q.Flavor != "" {
		sum := render.Summarize(rev, loc, s.absoluteURL(r, weeklyHref(q, rev.Week.From)))
		err = render.WeeklyChat(&buf, sum, q.Flavor)
		name = fmt.Sprintf("tach-weekly-%s-%s.txt", rev.Week.From, q.Flavor)
		if q.Flavor == render.FlavorSlack {
			ctype = "text/plain; charset=utf-8"
		}
	} else {
		err = render.WeeklyMarkdown(&buf, rev, loc)
	}
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", ctype)
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	if q.Download {
		h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s"`, name))
	}
	w.Write(buf.Bytes())
	return nil
}

// weeklyHref is the review of the week that starts on week, in q's scope.
func weeklyHref(q Query, week string) string {
	return link("/weekly", withValues(scopeOnly(q), "week", week))
}

// absoluteURL is path on this server as the reader reached it, for links
// that leave the page (a summary pasted into chat).
func (s *Server) absoluteURL(r *http.Request, path string) string {
	scheme := "http"
	if r.TLS != nil || strings.EqualFold(strings.TrimSpace(r.Header.Get("X-Forwarded-Proto")), "https") ||
		(s.ops != nil && s.secureRequest(r)) {
		scheme = "https"
	}
	return scheme + "://" + r.Host + path
}

// firstWeek is the first week the week picker offers: the scope's first
// whole week of history, or, when none is known, 5 January 1970 — a
// Monday, which anchors the picker's weekly step all the same.
func (s *Server) firstWeek(ctx context.Context, q Query, loc *time.Location) (time.Time, error) {
	res, err := s.reports.Resolve(ctx, q.Scope)
	if err != nil {
		return time.Time{}, err
	}
	week, err := s.reports.FirstWholeWeek(ctx, res)
	if err != nil || week.IsZero() {
		return time.Date(1970, 1, 5, 0, 0, 0, 0, loc), err
	}
	return week, nil
}

func (s *Server) weeklyPage(w http.ResponseWriter, r *http.Request) error {
	q, rev, err := s.weeklyReview(r)
	if err != nil {
		return err
	}
	c, err := s.choices(r.Context())
	if err != nil {
		return err
	}
	loc := s.reports.Rules().Location
	page := templates.WeeklyPage{Page: s.page(q, "/weekly", "weekly", "Weekly review", c, false)}
	page.Scope = fmt.Sprintf("%s · the week %s to %s (exclusive) against the %d weeks before · %s",
		scopeWords(rev.Scope), rev.Week.From, rev.Week.To, review.BaselineWeeks, loc)
	// The weekly review has its week, not a window.
	page.Filter.NoWindow = true
	page.Filter.Keep = append(page.Filter.Keep, templates.Param{Name: "week", Value: rev.Week.From})

	weekStart, _ := time.ParseInLocation(time.DateOnly, rev.Week.From, loc)
	page.Week = "Week of " + weekStart.Format("Mon 2 Jan 2006")
	page.Baseline = fmt.Sprintf("against %s – %s", rev.Baseline.From, rev.Baseline.To)
	scope := scopeOnly(q)
	prev := weekStart.AddDate(0, 0, -7)
	page.Prev = templates.Link{Label: "week of " + prev.Format("2 Jan"), Href: link("/weekly", withValues(scope, "week", prev.Format(time.DateOnly)))}
	if next := weekStart.AddDate(0, 0, 7); !next.AddDate(0, 0, 7).After(s.now()) {
		page.Next = templates.Link{Label: "week of " + next.Format("2 Jan"), Href: link("/weekly", withValues(scope, "week", next.Format(time.DateOnly)))}
	}
	exportValues := withValues(scope, "week", rev.Week.From)
	page.MarkdownHref = link("/weekly.md", exportValues)
	page.JSONHref = link("/api/v1/weekly", exportValues)
	for _, f := range []struct{ flavor, label string }{{render.FlavorSlack, "Slack"}, {render.FlavorTeams, "Teams"}, {render.FlavorMattermost, "Mattermost"}} {
		page.ChatLinks = append(page.ChatLinks, templates.Link{Label: f.label, Href: link("/weekly.md", withValues(exportValues, "flavor", f.flavor)),
			Title: "the summary in " + f.label + "'s syntax, to paste into a channel"})
	}
	last := review.LastCompleteWeek(s.now(), loc)
	first, err := s.firstWeek(r.Context(), q, loc)
	if err != nil {
		return err
	}
	page.Picker = templates.WeekPicker{Value: rev.Week.From, Min: first.Format(time.DateOnly), Max: last.Format(time.DateOnly), Keep: scopeParams(scope)}
	page.Summary = weeklySummary(render.Summarize(rev, loc, s.absoluteURL(r, weeklyHref(q, rev.Week.From))))

	page.Keys = templates.Table{TestID: "weekly-keys-table", Columns: []templates.Column{
		{Label: "Measure"}, {Label: "This week", Num: true}, {Label: fmt.Sprintf("%d weeks before", review.BaselineWeeks), Num: true},
		{Label: "Change", Num: true}, {Label: "Verdict"}, {Label: "From"},
	}}
	page.KeysLead = render.JudgedNote()
	for _, k := range rev.Keys {
		this, before := keyValue(k.Unit, k.Value), keyValue(k.Unit, k.Baseline)
		title := keyTitle(k, fmt.Sprintf("the %d weeks before", review.BaselineWeeks))
		verdict := templates.Cell{Text: render.HumanVerdict(k), Title: title, Muted: verdictTone(k.Verdict) == ""}
		if t := verdictTone(k.Verdict); t != "" {
			verdict = templates.Cell{Title: title, Tags: []string{k.Verdict}}
		}
		name := templates.Cell{Text: k.Name}
		if m, ok := measureOfKey(k.Key); ok {
			name.Href, name.Title = weekBreakdownLink(m, scope, weekStart), "which repo and team moved it, and the rows of the week"
		}
		page.Keys.Rows = append(page.Keys.Rows, []templates.Cell{
			name, {Text: this.Text, Title: this.Exact, Num: true}, {Text: before.Text, Title: before.Exact, Num: true},
			{Text: render.HumanChange(k), Title: title, Num: true, NoWrap: true}, verdict, {Text: render.KeyCounts(k), Muted: true},
		})
	}
	page.History = historyNote(rev.This.PartialHistory, rev.Before.PartialHistory, "the weeks before")

	changes := 0
	for _, d := range rev.Shipped {
		changes += len(d.Changes)
		item := templates.ShippedItem{When: timeValue(d.FinishedAt, loc), Repo: d.Repo, Env: d.Environment, SHA: templates.Link{Label: render.ShortSHA(d.SHA), Href: d.URL}}
		if d.Failed {
			item.Tags = append(item.Tags, "failed: "+d.FailureCause)
		}
		if d.Rollback {
			item.Tags = append(item.Tags, "rollback")
		}
		if d.Rework {
			item.Tags = append(item.Tags, "rework")
		}
		for _, c := range d.Changes {
			item.Changes = append(item.Changes, reviewChangeCell(c, "lead time"))
		}
		for _, in := range d.Incidents {
			item.Incidents = append(item.Incidents, reviewIncidentCell(in))
		}
		page.Shipped = append(page.Shipped, item)
	}
	page.ShippedNote = fmt.Sprintf("%s carrying %s.", plural(len(rev.Shipped), "production deployment", "production deployments"), plural(changes, "change", "changes"))
	if len(rev.Shipped) == 0 {
		page.ShippedNote = "No production deployment this week. " + whyNoDeployments
	}

	page.Opened = incidentTable(rev.IncidentsOpened, loc, "No incident was opened this week.")
	page.Resolved = incidentTable(rev.IncidentsResolved, loc, "No incident was resolved this week.")
	stale := render.HumanDuration(&rev.StaleReviewSeconds)
	page.Waiting = reviewChangeTable(rev.WaitingForReview, "Waiting", func(c review.Change) templates.Cell { return secondsCell(c.WaitingSeconds, "") },
		fmt.Sprintf("No open change has waited longer than %s (stale_review) for a first review.", stale))
	page.Waiting.Caption = fmt.Sprintf("Open now, ready for review, no review by anyone but the author or a bot for longer than %s (stale_review).", stale)
	page.LargestOpen = reviewChangeTable(rev.LargestOpen, "Lines", func(c review.Change) templates.Cell { return linesCell(c.SizeLines) }, "No change is open.")
	radarTo := weekStart.AddDate(0, 0, 7)
	page.RadarHref = link("/radar", withValues(scope, "from", radarTo.AddDate(0, 0, -84).Format(time.DateOnly), "to", radarTo.Format(time.DateOnly)))
	page.RadarSignals = templates.Table{TestID: "weekly-radar-table", Columns: []templates.Column{{Label: "Module"}, {Label: "Signal"}},
		Empty: "No new signal: the radar raises what it raised a week earlier, or nothing."}
	for _, sig := range rev.NewRadarSignals {
		name := sig.Repo
		v := url.Values{"repo": {sig.Repo}}
		if sig.Module != nil {
			name += ":" + *sig.Module
			v = url.Values{"module": {name}}
		}
		page.RadarSignals.Rows = append(page.RadarSignals.Rows, []templates.Cell{
			{Text: name, Href: link("/measures/"+radarMeasurePage(sig.Measure), v)},
			{Text: strings.TrimPrefix(render.RadarReviewSignal(sig), name+": ")},
		})
	}
	page.Outliers = reviewChangeTable(rev.Outliers, "Lead time", func(c review.Change) templates.Cell { return secondsCell(c.LeadTimeSeconds, "") }, "No change shipped this week took longer than the p90 of the weeks before.")
	if rev.OutlierThresholdSeconds == nil {
		page.OutliersLead = fmt.Sprintf("No change was shipped in the %d weeks before, so there is no p90 to compare with.", review.BaselineWeeks)
	} else {
		page.OutliersLead = fmt.Sprintf("Changes shipped this week whose lead time is above %s, the p90 of the %d weeks before.", render.HumanDuration(rev.OutlierThresholdSeconds), review.BaselineWeeks)
	}
	return s.render(w, r, templates.Weekly(page))
}

// weekBreakdownLink is a measure's page over the reviewed week and the
// weeks it is compared with, showing the week's rows and its breakdown
// against them: the numbers of the review's row, explained.
func weekBreakdownLink(m measureDef, scope url.Values, weekStart time.Time) string {
	from, to := weekStart.AddDate(0, 0, -7*review.BaselineWeeks), weekStart.AddDate(0, 0, 7)
	v := withValues(scope, "from", from.Format(time.DateOnly), "to", to.Format(time.DateOnly), "week", weekStart.Format(time.DateOnly))
	return link("/measures/"+m.slug, v) + "#breakdown"
}

// measureOfKey is the measure page of a headline key.
func measureOfKey(key string) (measureDef, bool) {
	for _, m := range measures {
		if m.key == key {
			return m, true
		}
	}
	return measureDef{}, false
}

// scopeParams are a scope's values as hidden form fields.
func scopeParams(v url.Values) []templates.Param {
	var out []templates.Param
	for _, name := range []string{"team", "repo", "module"} {
		for _, value := range v[name] {
			out = append(out, templates.Param{Name: name, Value: value})
		}
	}
	return out
}

// weeklySummary is the summary the Copy summary button puts on the
// clipboard: its HTML (the template) and its text.
func weeklySummary(sum render.WeeklySummary) templates.WeeklySummary {
	out := templates.WeeklySummary{Title: sum.Title, Against: sum.Against, URL: sum.URL, Text: render.WeeklySummaryText(sum)}
	for _, k := range sum.Keys {
		out.Keys = append(out.Keys, templates.SummaryLine{Lead: k.Name, Text: k.Line()})
	}
	for _, it := range sum.Notable {
		out.Notable = append(out.Notable, templates.SummaryLine{Lead: it.Lead, Text: it.Text, Href: it.URL, Detail: it.Detail})
	}
	return out
}

func scopeWords(sc metrics.Scope) string {
	if sc.Team != nil {
		return "Team " + *sc.Team
	}
	return render.WeeklyScopeName(sc)
}

func reviewChangeCell(c review.Change, detail string) templates.Cell {
	cell := templates.Cell{Text: fmt.Sprintf("%s #%d %s", c.Repo, c.Number, c.Title), Href: c.URL, Title: "by " + c.Author}
	if detail == "lead time" && c.LeadTimeSeconds != nil {
		cell.Title += " · lead time " + render.HumanDuration(c.LeadTimeSeconds)
	}
	cell.Tags = reviewTags(c)
	return cell
}

func reviewTags(c review.Change) []string {
	var tags []string
	if c.Bot {
		tags = append(tags, "bot")
	}
	if c.Fix {
		tags = append(tags, "fix")
	}
	if c.Draft {
		tags = append(tags, "draft")
	}
	return tags
}

func reviewIncidentCell(in review.Incident) templates.Cell {
	cell := templates.Cell{Text: fmt.Sprintf("incident %s #%d %s", in.Repo, in.Number, in.Title), Href: in.URL}
	if in.ResolvedAt == nil {
		cell.Tags = []string{"open"}
	}
	return cell
}

func incidentTable(ins []review.Incident, loc *time.Location, empty string) templates.Table {
	t := templates.Table{TestID: "incidents", Empty: empty, Columns: []templates.Column{
		{Label: "Repo"}, {Label: "Incident"}, {Label: "Opened"}, {Label: "Open for", Num: true},
	}}
	for _, in := range ins {
		cell := templates.Cell{Text: fmt.Sprintf("#%d %s", in.Number, in.Title), Href: in.URL}
		if !in.Attributed {
			cell.Title = "not attributed to a production deployment"
		}
		open := secondsCell(in.OpenSeconds, "still open")
		if in.OpenSeconds == nil && in.OpenSoFarSeconds != nil {
			open = secondsCell(in.OpenSoFarSeconds, "")
			open.Text += " so far"
			open.Tags = []string{"open"}
		}
		t.Rows = append(t.Rows, []templates.Cell{
			{Text: in.Repo}, cell, timeCell(in.CreatedAt, loc), open,
		})
	}
	return t
}

func reviewChangeTable(cs []review.Change, label string, value func(review.Change) templates.Cell, empty string) templates.Table {
	t := templates.Table{TestID: "changes", Empty: empty, Columns: []templates.Column{
		{Label: "Repo"}, {Label: "Change"}, {Label: "Author"}, {Label: label, Num: true},
	}}
	for _, c := range cs {
		cell := templates.Cell{Text: fmt.Sprintf("#%d %s", c.Number, c.Title), Href: c.URL, Tags: reviewTags(c)}
		t.Rows = append(t.Rows, []templates.Cell{{Text: c.Repo}, cell, {Text: c.Author}, value(c)})
	}
	return t
}

func linesCell(n *int) templates.Cell {
	if n == nil {
		return templates.Cell{Text: render.Dash, Title: "the provider gave no size", Num: true, Muted: true}
	}
	return templates.Cell{Text: strconv.Itoa(*n), Num: true}
}
