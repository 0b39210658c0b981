package web

import (
	"cmp"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

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
	return templates.Chart{ID: id, Title: title, Empty: why}
}

// barTrend is weekly counts as bars, side by side.
func (b *measureBuild) barTrend(id, title string, ss []series, yName, note string) templates.Chart {
	return barTrendChart(id, title, b.ax, ss, yName, note)
}

func barTrendChart(id, title string, ax weekAxis, ss []series, yName, note string) templates.Chart {
	if allNil(ss...) {
		return templates.Chart{ID: id, Title: title, Empty: emptyWhy}
	}
	format := func(v *float64) templates.Value { return numberValue(v, "", "no value that week") }
	return templates.Chart{ID: id, Title: title, Option: barChart(ax, ss, yName), Note: ax.note(note), Marks: ax.legend(), Table: weeklyTable(title, ax, ss, format)}
}

// cycleTrendChart is the weekly medians of the cycle-time parts, a grid
// for each (cycleChart).
func cycleTrendChart(id, title string, ax weekAxis, parts []series, note string) templates.Chart {
	if allNil(parts...) {
		return templates.Chart{ID: id, Title: title, Empty: emptyWhy}
	}
	option, units := cycleChart(ax, parts)
	note = joinNonEmpty(" ", note, "Each part on its own scale: "+strings.Join(units, ", ")+".")
	format := func(v *float64) templates.Value { return secondsValue(v, "no value that week") }
	return templates.Chart{ID: id, Title: title, Option: option, Size: "grid", Note: ax.note(note), Marks: ax.legend(), Table: weeklyTable(title, ax, parts, format)}
}

// emptyWhy says why a weekly chart has nothing to draw.
const emptyWhy = "Nothing happened in these weeks for this measure."

// bandTrend is a weekly duration median with its p75 line and p90 band.
func (b *measureBuild) bandTrend(id, title string, med, p75, p90 series) templates.Chart {
	return b.bandTrendUnit(id, title, med, p75, p90, true, "")
}

func (b *measureBuild) bandTrendUnit(id, title string, med, p75, p90 series, durations bool, yName string) templates.Chart {
	if allNil(med) {
		return b.emptyChart(id, title, emptyWhy)
	}
	option, unit := trendChart(b.ax, med.values, p75.values, p90.values, durations, yName)
	format := func(v *float64) templates.Value { return numberValue(v, "", "no value that week") }
	if durations {
		format = func(v *float64) templates.Value { return secondsValue(v, "no value that week") }
	}
	return templates.Chart{ID: id, Title: title, Option: option, Size: "tall", Marks: b.ax.legend(),
		Note:  b.ax.note(fmt.Sprintf("The line is each week's median; the dashed line its p75; the shaded band reaches the p90. In %s.", unit)),
		Table: weeklyTable(title, b.ax, []series{med, p75, p90}, format)}
}

// lineTrend is one or more weekly lines.
func (b *measureBuild) lineTrend(id, title string, ss []series, durations bool, yName, note string, format func(*float64) templates.Value) templates.Chart {
	if allNil(ss...) {
		return b.emptyChart(id, title, emptyWhy)
	}
	option, unit := lineChart(b.ax, ss, durations, yName)
	if durations {
		note = joinNonEmpty(" ", note, "In "+unit+".")
	}
	return templates.Chart{ID: id, Title: title, Option: option, Size: "tall", Note: b.ax.note(note), Marks: b.ax.legend(), Table: weeklyTable(title, b.ax, ss, format)}
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
	return templates.Chart{ID: id, Title: title, Option: histogramChart(bins, []string{noun}, [][]int{counts}, xName, noun), Size: "tall",
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
	return templates.Chart{ID: id, Title: title, Option: histogramChart(bins, names, counts, xName, "changes"), Size: "tall", Table: t}
}

// deploymentSection lists deployments with every change each shipped (bots
// last), every incident attributed to it and the rollback that replaced
// it; each row has the id deployment-ID, so links land on it.
func (b *measureBuild) deploymentSection(id, title, lead string, deps []engine.DeploymentDetail, empty string) {
	t := templates.Table{TestID: "rows", Empty: empty, Columns: []templates.Column{
		{Label: "Finished"}, {Label: "Repo"}, {Label: "Environment"}, {Label: "Commit"}, {Label: "Changes"}, {Label: "Incidents"}, {Label: "Recovered", Num: true},
	}}
	api := []apiDeployment{}
	shown := deps
	if len(shown) > rowLimit*2 {
		shown = shown[:rowLimit*2]
	}
	listed := map[int64]bool{}
	for _, d := range shown {
		listed[d.ID] = true
	}
	for _, d := range shown {
		sha := shaCell(d.SHA, d.URL)
		sha.Tags = render.DeploymentTags(d.Deployment)
		recovered := templates.Cell{Text: render.Dash, Muted: true, Num: true, Title: "not failed, or not recovered yet"}
		if !d.RecoveredAt.IsZero() {
			recovered = durationCell(d.RecoveredAt.Sub(d.FinishedAt), true, "")
			recovered.Text += " by " + recoveredBy(d)
			recovered.Title += "; recovered at " + d.RecoveredAt.UTC().Format("2006-01-02 15:04 UTC")
			if d.RolledBackBy != nil {
				recovered.Href = b.deploymentLink(*d.RolledBackBy, listed)
				recovered.Title += "; the rollback " + render.ShortSHA(d.RolledBackBy.SHA)
			}
		}
		t.Rows = append(t.Rows, []templates.Cell{
			timeCell(d.FinishedAt, b.loc), {Text: d.Repo}, {Text: d.Environment}, sha,
			changesCell(d, b.rv.Rules), b.incidentsCell(d, listed), recovered,
		})
		t.RowIDs = append(t.RowIDs, b.rowID(deploymentAnchor(d.ID)))
	}
	for _, d := range deps {
		api = append(api, toAPIDeployment(b.rv, d))
	}
	b.res.Rows[sectionKey(id)] = api
	sec := templates.Section{ID: id, Title: title, Lead: lead, Table: t}
	if len(deps) > len(shown) {
		sec.Lead += fmt.Sprintf(" Showing %d of %d.", len(shown), len(deps))
	}
	sec.More = templates.Link{Label: "All deployments of " + b.rowsWords(), Href: b.rowsLink("/deployments", nil)}
	b.res.sections = append(b.res.sections, sec)
}

// deploymentAnchor is the id of a deployment's row, on measure pages and
// the deployments list.
func deploymentAnchor(id int64) string { return "deployment-" + strconv.FormatInt(id, 10) }

// rowID is id the first time the page gives it, else "": a deployment
// listed in two sections is landed on in the first.
func (b *measureBuild) rowID(id string) string {
	if b.rowIDs[id] {
		return ""
	}
	b.rowIDs[id] = true
	return id
}

// deploymentLink lands on a deployment's row: in this table when it is
// listed, else in the deployments list of its repo and day.
func (b *measureBuild) deploymentLink(d metrics.Deployment, listed map[int64]bool) string {
	if listed[d.ID] {
		return "#" + deploymentAnchor(d.ID)
	}
	return deploymentRowLink(b.rv.RepoName(d.RepoID), d.ID, d.FinishedAt, b.loc)
}

// deploymentRowLink lands on a deployment's row in the deployments list
// of its repo and day.
func deploymentRowLink(repo string, id int64, finished time.Time, loc *time.Location) string {
	day := finished.In(loc)
	start := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, loc)
	v := url.Values{"repo": {repo}, "from": {start.Format(time.DateOnly)}, "to": {metrics.AddDays(start, 1).Format(time.DateOnly)}}
	return link("/deployments", v) + "#" + deploymentAnchor(id)
}

func recoveredBy(d engine.DeploymentDetail) string {
	if d.RecoveredBy == metrics.RecoveredByRollback {
		return "rollback"
	}
	return "incident resolved"
}

// changesCell is every change a deployment shipped, bots last: their
// count, and each linked.
func changesCell(d engine.DeploymentDetail, r metrics.Rules) templates.Cell {
	if len(d.Changes) == 0 {
		return templates.Cell{Text: "none", Muted: true, Title: "no change linked (a rollback or re-run ships nothing new)"}
	}
	cs := botsLast(d.Changes, r)
	bots := 0
	cell := templates.Cell{}
	for _, c := range cs {
		if r.IsBotChange(c) {
			bots++
		}
		cell.Items = append(cell.Items, changeCell(c, r))
	}
	cell.Text = plural(len(cs), "change", "changes")
	if bots > 0 {
		cell.Text += fmt.Sprintf(", %d by bots", bots)
	}
	return cell
}

// botsLast orders a deployment's changes people's first, then bots',
// each in the order the deployment shipped them.
func botsLast(cs []metrics.Change, r metrics.Rules) []metrics.Change {
	out := slices.Clone(cs)
	slices.SortStableFunc(out, func(a, c metrics.Change) int {
		return cmp.Compare(b2i(r.IsBotChange(a)), b2i(r.IsBotChange(c)))
	})
	return out
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// incidentsCell is every incident attributed to a deployment, or the
// rollback that replaced it.
func (b *measureBuild) incidentsCell(d engine.DeploymentDetail, listed map[int64]bool) templates.Cell {
	if len(d.Incidents) == 0 {
		if d.RolledBackBy != nil {
			return templates.Cell{Text: "rolled back by " + render.ShortSHA(d.RolledBackBy.SHA) + " at " + d.RolledBackBy.FinishedAt.In(b.loc).Format("2006-01-02 15:04"),
				Href: b.deploymentLink(*d.RolledBackBy, listed), Title: "replaced by a redeploy of " + d.RolledBackBy.SHA}
		}
		return templates.Cell{Text: render.Dash, Muted: true}
	}
	cell := templates.Cell{Text: plural(len(d.Incidents), "incident", "incidents")}
	for _, in := range d.Incidents {
		item := incidentCell(in)
		item.Title = "opened " + in.CreatedAt.In(b.loc).Format("2006-01-02 15:04")
		if !in.ResolvedAt.IsZero() {
			item.Title += ", resolved " + in.ResolvedAt.In(b.loc).Format("2006-01-02 15:04")
		}
		cell.Items = append(cell.Items, item)
	}
	if d.RolledBackBy != nil {
		cell.Items = append(cell.Items, templates.Cell{Text: "rolled back by " + render.ShortSHA(d.RolledBackBy.SHA), Href: b.deploymentLink(*d.RolledBackBy, listed)})
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
