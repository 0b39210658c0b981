package web

import (
	"fmt"
	"net/url"

	"github.com/tach-dev/tach/metrics"
	"github.com/tach-dev/tach/metrics/engine"
	"github.com/tach-dev/tach/metrics/render"
	"github.com/tach-dev/tach/templates"
)

// The charts and row sections measure pages are made of.

// allNil reports whether no series has a value: nothing to draw.
func allNil(ss ...series) bool {
	for _, s := range ss {
		for _, v := range s.values {
			if v != nil {
				return false
			}
		}
	}
	return true
}

func (b *measureBuild) emptyChart(id, title, why string) templates.Chart {
	if w := b.noWeeks(); w != "" {
		why = w
	}
	return templates.Chart{ID: id, Title: title, Empty: why}
}

// barTrend is a weekly bar chart; durations are stacked (the cycle-time
// breakdown), counts side by side.
func (b *measureBuild) barTrend(id, title string, ss []series, durations bool, yName, note string) templates.Chart {
	return barTrendChart(id, title, b.labels, ss, durations, yName, note, b.marks)
}

func barTrendChart(id, title string, labels []string, ss []series, durations bool, yName, note string, marks markLines) templates.Chart {
	if len(labels) == 0 || allNil(ss...) {
		return templates.Chart{ID: id, Title: title, Empty: emptyWhy(labels)}
	}
	option, unit := barChart(labels, ss, durations, durations, yName, marks)
	format := func(v *float64) templates.Value { return numberValue(v, "", "no value that week") }
	if durations {
		format = func(v *float64) templates.Value { return secondsValue(v, "no value that week") }
		note = joinNonEmpty(" ", note, "In "+unit+".")
	}
	return templates.Chart{ID: id, Title: title, Option: option, Note: note, Table: weeklyTable(title, labels, ss, format)}
}

// emptyWhy says why a weekly chart of these weeks has nothing to draw.
func emptyWhy(labels []string) string {
	if len(labels) == 0 {
		return "The window holds no whole week (Monday to Monday): choose a window of at least a week."
	}
	return "Nothing happened in these weeks for this measure."
}

// bandTrend is a weekly duration median with its p75 line and p90 band.
func (b *measureBuild) bandTrend(id, title string, med, p75, p90 series) templates.Chart {
	return b.bandTrendUnit(id, title, med, p75, p90, true, "")
}

func (b *measureBuild) bandTrendUnit(id, title string, med, p75, p90 series, durations bool, yName string) templates.Chart {
	if len(b.labels) == 0 || allNil(med) {
		return b.emptyChart(id, title, emptyWhy(b.labels))
	}
	option, unit := trendChart(b.labels, med.values, p75.values, p90.values, durations, yName, b.marks)
	format := func(v *float64) templates.Value { return numberValue(v, "", "no value that week") }
	if durations {
		format = func(v *float64) templates.Value { return secondsValue(v, "no value that week") }
	}
	return templates.Chart{ID: id, Title: title, Option: option, Size: "tall",
		Note:  fmt.Sprintf("The line is each week's median; the dashed line its p75; the shaded band reaches the p90. In %s. Dashed vertical lines are recorded decisions.", unit),
		Table: weeklyTable(title, b.labels, []series{med, p75, p90}, format)}
}

// lineTrend is one or more weekly lines.
func (b *measureBuild) lineTrend(id, title string, ss []series, durations bool, yName, note string, format func(*float64) templates.Value) templates.Chart {
	if len(b.labels) == 0 || allNil(ss...) {
		return b.emptyChart(id, title, emptyWhy(b.labels))
	}
	option, unit := lineChart(b.labels, ss, durations, yName, b.marks)
	if durations {
		note = joinNonEmpty(" ", note, "In "+unit+".")
	}
	return templates.Chart{ID: id, Title: title, Option: option, Size: "tall", Note: note, Table: weeklyTable(title, b.labels, ss, format)}
}

// histogram is a distribution chart with its table.
func (b *measureBuild) histogram(id, title, xName string, bins []string, counts []int, noun string) templates.Chart {
	total := 0
	for _, n := range counts {
		total += n
	}
	if total == 0 {
		return templates.Chart{ID: id, Title: title, Empty: "Nothing to count in this window."}
	}
	return templates.Chart{ID: id, Title: title, Option: histogramChart(bins, []string{noun}, [][]int{counts}, xName), Size: "tall",
		Note: fmt.Sprintf("%d %s in the window.", total, noun), Table: histogramTable(title, xName, bins, counts)}
}

// groupedHistogram is a distribution of several series over the same bins.
func (b *measureBuild) groupedHistogram(id, title, xName string, bins, names []string, counts [][]int) templates.Chart {
	total := 0
	for _, cs := range counts {
		for _, n := range cs {
			total += n
		}
	}
	if total == 0 {
		return templates.Chart{ID: id, Title: title, Empty: whyNoShipped}
	}
	t := templates.Table{Caption: title, Columns: []templates.Column{{Label: xName}}, TestID: "chart-data"}
	for _, n := range names {
		t.Columns = append(t.Columns, templates.Column{Label: n, Num: true})
	}
	for i, bin := range bins {
		row := []templates.Cell{{Text: bin}}
		for j := range names {
			row = append(row, intCell(counts[j][i]))
		}
		t.Rows = append(t.Rows, row)
	}
	return templates.Chart{ID: id, Title: title, Option: histogramChart(bins, names, counts, xName), Size: "tall", Table: t}
}

// deploymentSection lists deployments with their changes, incidents and
// rollback.
func (b *measureBuild) deploymentSection(id, title, lead string, deps []engine.DeploymentDetail, empty string) {
	t := templates.Table{TestID: "rows", Empty: empty, Columns: []templates.Column{
		{Label: "Finished"}, {Label: "Repo"}, {Label: "Environment"}, {Label: "Commit"}, {Label: "Changes"}, {Label: "Incidents"}, {Label: "Recovered", Num: true},
	}}
	api := []apiDeployment{}
	shown := deps
	if len(shown) > rowLimit*2 {
		shown = shown[:rowLimit*2]
	}
	for _, d := range shown {
		sha := shaCell(d.SHA, d.URL)
		sha.Tags = render.DeploymentTags(d.Deployment)
		recovered := templates.Cell{Text: render.Dash, Muted: true, Num: true, Title: "not failed, or not recovered yet"}
		if !d.RecoveredAt.IsZero() {
			recovered = durationCell(d.RecoveredAt.Sub(d.FinishedAt), true, "")
			recovered.Text += " by " + recoveredBy(d)
			recovered.Title += "; recovered at " + d.RecoveredAt.UTC().Format("2006-01-02 15:04 UTC")
		}
		t.Rows = append(t.Rows, []templates.Cell{
			timeCell(d.FinishedAt, b.loc), {Text: d.Repo}, {Text: d.Environment}, sha,
			changesSummary(d), incidentsSummary(d), recovered,
		})
	}
	for _, d := range deps {
		api = append(api, toAPIDeployment(b.v, d))
	}
	b.res.Rows[sectionKey(id)] = api
	sec := templates.Section{ID: id, Title: title, Lead: lead, Table: t}
	if len(deps) > len(shown) {
		sec.Lead += fmt.Sprintf(" Showing %d of %d.", len(shown), len(deps))
	}
	sec.More = templates.Link{Label: "All deployments in the window", Href: b.listLink("/deployments", nil)}
	b.res.sections = append(b.res.sections, sec)
}

func recoveredBy(d engine.DeploymentDetail) string {
	if d.RecoveredBy == metrics.RecoveredByRollback {
		return "rollback"
	}
	return "incident resolved"
}

// changesSummary is the changes a deployment shipped, in one cell: the
// first title linked, and how many more.
func changesSummary(d engine.DeploymentDetail) templates.Cell {
	switch len(d.Changes) {
	case 0:
		return templates.Cell{Text: "none", Muted: true, Title: "no change linked (a rollback or re-run ships nothing new)"}
	case 1:
		c := d.Changes[0]
		return templates.Cell{Text: fmt.Sprintf("#%d %s", c.Number, c.Title), Href: c.URL}
	}
	c := d.Changes[0]
	return templates.Cell{Text: fmt.Sprintf("#%d %s (+%d more)", c.Number, c.Title, len(d.Changes)-1), Href: c.URL, Title: changeTitles(d.Changes)}
}

func changeTitles(cs []metrics.Change) string {
	var out string
	for i, c := range cs {
		if i > 0 {
			out += "\n"
		}
		out += fmt.Sprintf("#%d %s", c.Number, c.Title)
	}
	return out
}

func incidentsSummary(d engine.DeploymentDetail) templates.Cell {
	if len(d.Incidents) == 0 {
		if d.RolledBackBy != nil {
			return templates.Cell{Text: "rolled back " + d.RolledBackBy.FinishedAt.UTC().Format("2006-01-02 15:04"), Href: d.RolledBackBy.URL, Title: "replaced by a redeploy of " + d.RolledBackBy.SHA}
		}
		return templates.Cell{Text: render.Dash, Muted: true}
	}
	in := d.Incidents[0]
	cell := incidentCell(in)
	if len(d.Incidents) > 1 {
		cell.Text += fmt.Sprintf(" (+%d more)", len(d.Incidents)-1)
	}
	return cell
}

// timingSection lists changes counted in lead time, with each part.
func (b *measureBuild) timingSection(id, title, lead string, rows []metrics.ChangeTiming, empty string, more url.Values) {
	t := templates.Table{TestID: "rows", Empty: empty, Columns: []templates.Column{
		{Label: "Repo"}, {Label: "Change"}, {Label: "Author"}, {Label: "Deployed"},
		{Label: "Lead time", Num: true}, {Label: "Coding", Num: true}, {Label: "Pickup", Num: true}, {Label: "Review", Num: true}, {Label: "Deploy", Num: true},
	}}
	api := []apiChange{}
	for _, r := range rows {
		t.Rows = append(t.Rows, []templates.Cell{
			{Text: b.v.RepoName(r.Change.RepoID)}, changeCell(r.Change, b.v.Rules), {Text: r.Change.Author}, timeCell(r.DeployedAt, b.loc),
			durationCell(r.LeadTime, true, ""), partCell(r.Coding), partCell(r.Pickup), partCell(r.Review), partCell(r.Deploy),
		})
		api = append(api, toAPITiming(b.v, r))
	}
	b.res.Rows[sectionKey(id)] = api
	sec := templates.Section{ID: id, Title: title, Lead: lead, Table: t}
	if more != nil {
		sec.More = templates.Link{Label: "All changes, sorted", Href: b.listLink("/changes", more)}
	}
	b.res.sections = append(b.res.sections, sec)
}

func partCell(p metrics.PartDuration) templates.Cell {
	return durationCell(p.Duration, p.Known, "no such part: never reviewed, or its start is unknown")
}

// changeSection lists changes.
func (b *measureBuild) changeSection(id, title, lead string, cs []metrics.Change, empty string, more url.Values) {
	t := templates.Table{TestID: "rows", Empty: empty, Columns: []templates.Column{
		{Label: "Repo"}, {Label: "Change"}, {Label: "Author"}, {Label: "Merged"}, {Label: "Lines", Num: true},
	}}
	api := []apiChange{}
	for _, c := range cs {
		t.Rows = append(t.Rows, []templates.Cell{
			{Text: b.v.RepoName(c.RepoID)}, changeCell(c, b.v.Rules), {Text: c.Author}, timeCell(c.MergedAt, b.loc), sizeCell(c),
		})
		api = append(api, toAPIChange(b.v, c))
	}
	b.res.Rows[sectionKey(id)] = api
	sec := templates.Section{ID: id, Title: title, Lead: lead, Table: t}
	if more != nil {
		sec.More = templates.Link{Label: "All changes, sorted", Href: b.listLink("/changes", more)}
	}
	b.res.sections = append(b.res.sections, sec)
}

// sectionKey is a section id as a JSON key: "failed-attempts" → "failed_attempts".
func sectionKey(id string) string {
	out := []byte(id)
	for i, c := range out {
		if c == '-' {
			out[i] = '_'
		}
	}
	return string(out)
}
