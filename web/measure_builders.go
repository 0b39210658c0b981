package web

import (
	"fmt"
	"net/url"
	"slices"

	"github.com/tach-dev/tach/metrics"
	"github.com/tach-dev/tach/metrics/engine"
	"github.com/tach-dev/tach/metrics/render"
	"github.com/tach-dev/tach/metrics/stats"
	"github.com/tach-dev/tach/templates"
)

// One builder per measure page. Each fills the API result (summary, weekly
// series, distribution, rows) and the page's view models from the same
// values, so the page and /api/v1/measures/{measure} cannot disagree.

// rowLimit is how many rows a measure page lists in a section; the lists
// have them all.
const rowLimit = 25

// Why a value is null, by measure: what is missing, and what to check.
const (
	whyNoDeployments = "No production deployment finished in this window. If these repos deploy, check their deployments.source and production environments in the config."
	whyNoShipped     = "No change was shipped by a production deployment in this window (or deployments are not configured for these repos)."
	whyNoRecovery    = "No failed deployment recovered in this window."
	whyNoRestore     = "No incident was resolved in this window."
	whyNoMerged      = "No non-bot change was merged in this window."
	whyNoSize        = "No merged change in this window has a known size."
	whyNoCI          = "No CI run finished in this window with success or failure."
	whyNoPart        = "No change in this window has this part (a change never reviewed has no pickup or review)."
)

func buildDeploymentFrequency(b *measureBuild) {
	df := b.rep.DeploymentFrequency
	b.res.Summary = df
	b.tier(df.Tier)
	b.res.facts = []templates.Fact{
		{Label: "per week", Value: numberValue(df.PerWeek, fmt.Sprintf("%d deployments ÷ window days × 7", df.Deployments), whyNoDeployments)},
		{Label: "deployments", Value: countValue(df.Deployments, "production deployments that finished in the window"), Href: b.listLink("/deployments", url.Values{"kind": {"production"}})},
		{Label: "deploy days, median week", Value: numberValue(df.DeployDaysPerWeekMedian, "", whyNoDeployments)},
		{Label: "deploy days, median month", Value: numberValue(df.DeployDaysPerMonthMedian, "", "No whole month or 4-week block in this window.")},
		{Label: "deploy success rate", Value: rateValue(df.SuccessRate, df.Deployments, df.Deployments+df.FailedAttempts, "attempts succeeded", whyNoDeployments)},
		{Label: "failed attempts", Value: countValue(df.FailedAttempts, "attempts in a production environment that ended in failure or error"), Href: b.listLink("/deployments", url.Values{"kind": {"failed_attempt"}})},
	}
	count := b.weekCounts("deployments", func(r metrics.Report) int { return r.DeploymentFrequency.Deployments })
	days := b.deployDays()
	b.weekly(count, days)
	b.res.trend = b.deploymentsTrend(count, days)

	perWeek := metrics.DeployDaysPerWeek(b.v.Data, b.v.Window, b.v.Rules)
	bins := []string{"0 days", "1 day", "2 days", "3 days", "4 days", "5 days", "6 days", "7 days"}
	counts := make([]int, len(bins))
	for _, w := range perWeek {
		counts[min(w.Days, 7)]++
	}
	b.distribution("weeks", bins, counts)
	b.res.dist = b.histogram("chart-deployment-frequency-distribution", "Weeks by deploy days", "deploy days in the week", bins, counts, "weeks")

	deps := b.rv.Deployments()
	b.deploymentSection("deployments", "Production deployments", fmt.Sprintf("The %d production deployments of %s, newest first, with the changes each shipped.", len(deps), b.rowsWords()), deps, whyNoDeployments)
	attempts := b.rv.FailedAttempts()
	b.deploymentSection("failed-attempts", "Failed attempts", "Deployment attempts that ended in failure or error: they never reached production, so they count in the deploy success rate only.", attempts, "No deployment attempt failed in this window.")
}

// deployDays are the days of each week of the series with at least one
// production deployment (a part week counts its days in the window).
func (b *measureBuild) deployDays() series {
	out := series{name: "deploy days", values: make([]*float64, len(b.weeks))}
	for i, w := range b.weeks {
		days := map[string]bool{}
		for _, d := range metrics.ProductionDeployments(b.v.Data, metrics.Window{From: w.Start, To: w.End}) {
			days[b.day(d.FinishedAt)] = true
		}
		n := float64(len(days))
		out.values[i] = &n
	}
	return out
}

// deploymentsTrend is deployments per week, and deploy days on their own
// axis.
func (b *measureBuild) deploymentsTrend(count, days series) templates.Chart {
	id, title := "chart-deployment-frequency-trend", "Production deployments and deploy days per week"
	if allNil(count) {
		return b.emptyChart(id, title, emptyWhy)
	}
	return templates.Chart{ID: id, Title: title, Option: deploymentsChart(b.ax, count, days), Size: "tall", Marks: b.ax.legend(),
		Note:  b.ax.note("Bars: production deployments each week (left axis). Line: the days of that week with at least one (right axis, 0 to 7)."),
		Table: weeklyTable(title, b.ax, []series{count, days}, func(v *float64) templates.Value { return numberValue(v, "", "no value that week") })}
}

func buildLeadTime(b *measureBuild) {
	lt := b.rep.LeadTime
	b.res.Summary = lt
	b.tier(lt.Tier)
	b.res.facts = []templates.Fact{
		{Label: "median", Value: secondsValue(lt.MedianSeconds, whyNoShipped)},
		{Label: "p75", Value: secondsValue(lt.P75Seconds, whyNoShipped)},
		{Label: "p90", Value: secondsValue(lt.P90Seconds, whyNoShipped)},
		{Label: "mean", Value: secondsValue(lt.MeanSeconds, whyNoShipped)},
		{Label: "changes", Value: countValue(lt.Count, "merged non-bot changes shipped by a production deployment in the window"), Href: b.listLink("/changes", url.Values{"state": {"merged"}, "sort": {"lead_time"}})},
	}
	med := b.weekSeries("median", func(r metrics.Report) *float64 { return r.LeadTime.MedianSeconds })
	p75 := b.weekSeries("p75", func(r metrics.Report) *float64 { return r.LeadTime.P75Seconds })
	p90 := b.weekSeries("p90", func(r metrics.Report) *float64 { return r.LeadTime.P90Seconds })
	b.weekly(med, p75, p90)
	b.res.trend = b.bandTrend("chart-lead-time-trend", "Lead time per week", med, p75, p90)

	secs := b.v.LeadTimeSeconds()
	bins, counts := histogram(secs, durationBins)
	b.distribution("changes", bins, counts)
	b.res.dist = b.histogram("chart-lead-time-distribution", "Changes by lead time", "lead time", bins, counts, "changes")

	shipped := len(b.rv.LeadTimeSeconds())
	b.timingSection("slowest", "Slowest changes", fmt.Sprintf("The %d changes of %s with the longest lead time, of %d.", min(rowLimit, shipped), b.rowsWords(), shipped),
		b.rv.SlowestChanges(rowLimit), whyNoShipped, url.Values{"state": {"merged"}, "sort": {"lead_time"}})
}

func buildChangeFailureRate(b *measureBuild) {
	cfr := b.rep.ChangeFailureRate
	b.res.Summary = cfr
	b.tier(cfr.Tier)
	b.res.facts = []templates.Fact{
		{Label: "rate", Value: rateValue(cfr.Rate, cfr.Failed, cfr.Deployments, "production deployments failed", whyNoDeployments)},
		{Label: "failed", Value: countValue(cfr.Failed, "production deployments with an attributed incident or rolled back"), Href: b.listLink("/deployments", url.Values{"kind": {"failed"}})},
		{Label: "deployments", Value: countValue(cfr.Deployments, "production deployments that finished in the window"), Href: b.listLink("/deployments", url.Values{"kind": {"production"}})},
	}
	rate := b.weekSeries("failure rate %", func(r metrics.Report) *float64 { return percent(r.ChangeFailureRate.Rate) })
	failed := b.weekCounts("failed", func(r metrics.Report) int { return r.ChangeFailureRate.Failed })
	b.weekly(rate, failed)
	b.res.trend = b.lineTrend("chart-change-failure-rate-trend", "Change failure rate per week", []series{rate}, false, "%",
		"The share of each week's production deployments that failed, in %.", func(v *float64) templates.Value { return percentValue(v) })

	failedDeps := b.v.FailedDeployments()
	bins := []string{metrics.FailureCauseIncident, metrics.FailureCauseRollback, metrics.FailureCauseIncidentAndRollback}
	counts := make([]int, len(bins))
	for _, d := range failedDeps {
		if i := slices.Index(bins, d.FailureCause); i >= 0 {
			counts[i]++
		}
	}
	b.distribution("failed deployments", bins, counts)
	b.res.dist = b.histogram("chart-change-failure-rate-distribution", "Failed deployments by cause", "cause", bins, counts, "failed deployments")
	if len(failedDeps) == 0 {
		b.res.dist.Option, b.res.dist.Empty = nil, "No production deployment failed in this window."
	}
	b.deploymentSection("failed", "Failed deployments", fmt.Sprintf("Each failed production deployment of %s with every change it shipped, the incidents attributed to it and the rollback that replaced it.", b.rowsWords()), b.rv.FailedDeployments(), "No production deployment failed in "+b.rowsWords()+".")
}

func buildRecoveryTime(b *measureBuild) {
	rt, ttr := b.rep.RecoveryTime, b.rep.TimeToRestore
	b.res.Summary = map[string]any{"recovery_time": rt, "time_to_restore": ttr}
	b.tier(rt.Tier)
	b.res.facts = []templates.Fact{
		{Label: "median", Value: secondsValue(rt.MedianSeconds, whyNoRecovery)},
		{Label: "p75", Value: secondsValue(rt.P75Seconds, whyNoRecovery)},
		{Label: "p90", Value: secondsValue(rt.P90Seconds, whyNoRecovery)},
		{Label: "recoveries", Value: countValue(rt.Count, "failed deployments that recovered in the window")},
		{Label: "incidents still open", Value: countValue(rt.OpenIncidents, "open incidents attributed to production deployments of the window"), Href: b.listLink("/incidents", url.Values{"status": {"open"}})},
		{Label: "time to restore, median", Value: secondsValue(ttr.MedianSeconds, whyNoRestore)},
	}
	med := b.weekSeries("median", func(r metrics.Report) *float64 { return r.RecoveryTime.MedianSeconds })
	p75 := b.weekSeries("p75", func(r metrics.Report) *float64 { return r.RecoveryTime.P75Seconds })
	p90 := b.weekSeries("p90", func(r metrics.Report) *float64 { return r.RecoveryTime.P90Seconds })
	b.weekly(med, p75, p90)
	b.res.trend = b.bandTrend("chart-recovery-time-trend", "Recovery time per week", med, p75, p90)

	rows := metrics.RecoveryRows(b.v.Data, b.v.Window)
	secs := make([]float64, len(rows))
	for i, r := range rows {
		secs[i] = r.Duration.Seconds()
	}
	bins, counts := histogram(secs, durationBins)
	b.distribution("recoveries", bins, counts)
	b.res.dist = b.histogram("chart-recovery-time-distribution", "Recoveries by duration", "recovery time", bins, counts, "recoveries")

	recoveries := b.rv.SlowestRecoveries(0)
	details := make([]engine.DeploymentDetail, len(recoveries))
	for i, r := range recoveries {
		details[i] = b.rv.Detail(r.Deployment)
	}
	b.deploymentSection("recoveries", "Recoveries", fmt.Sprintf("Each failed deployment that recovered in %s, slowest first, with how.", b.rowsWords()), details, whyNoRecovery)

	restores := metrics.TimeToRestoreRows(b.rv.Data, b.rv.Window)
	slices.SortStableFunc(restores, func(a, c metrics.Restore) int { return int(c.Duration - a.Duration) })
	t := templates.Table{TestID: "rows", Empty: whyNoRestore, Columns: []templates.Column{
		{Label: "Repo"}, {Label: "Incident"}, {Label: "Opened"}, {Label: "Resolved"}, {Label: "Open for", Num: true}, {Label: "Attributed"},
	}}
	var api []apiIncident
	for _, r := range restores {
		attributed := "no"
		if r.Incident.DeploymentID != 0 {
			attributed = "yes"
		}
		t.Rows = append(t.Rows, []templates.Cell{
			{Text: b.rv.RepoName(r.Incident.RepoID)}, incidentCell(r.Incident), timeCell(r.Incident.CreatedAt, b.loc), timeCell(r.Incident.ResolvedAt, b.loc),
			durationCell(r.Duration, true, ""), {Text: attributed, Title: "attributed to a production deployment (within incident_window)"},
		})
		api = append(api, toAPIIncident(b.rv, r.Incident))
	}
	b.res.Rows["incidents_resolved"] = orEmpty(api)
	b.res.sections = append(b.res.sections, templates.Section{ID: "restored", Title: "Incidents resolved (time to restore)", Lead: fmt.Sprintf("Every incident resolved in %s, attributed or not, longest first.", b.rowsWords()), Table: t,
		More: templates.Link{Label: "All incidents", Href: b.rowsLink("/incidents", nil)}})
}

func buildReworkRate(b *measureBuild) {
	rr := b.rep.ReworkRate
	b.res.Summary = rr
	b.res.facts = []templates.Fact{
		{Label: "rate", Value: rateValue(rr.Rate, rr.Rework, rr.Deployments, "production deployments were rework", whyNoDeployments)},
		{Label: "rework", Value: countValue(rr.Rework, "rollbacks and deployments that shipped only fixes"), Href: b.listLink("/deployments", url.Values{"kind": {"rework"}})},
		{Label: "deployments", Value: countValue(rr.Deployments, "production deployments that finished in the window")},
	}
	rate := b.weekSeries("rework rate %", func(r metrics.Report) *float64 { return percent(r.ReworkRate.Rate) })
	count := b.weekCounts("rework", func(r metrics.Report) int { return r.ReworkRate.Rework })
	b.weekly(rate, count)
	b.res.trend = b.lineTrend("chart-rework-rate-trend", "Rework rate per week", []series{rate}, false, "%",
		"The share of each week's production deployments that were unplanned fixes, in %.", func(v *float64) templates.Value { return percentValue(v) })

	deps := b.v.ReworkDeployments()
	bins := []string{"rollback", "fixes only"}
	counts := []int{0, 0}
	for _, d := range deps {
		if d.Rollback {
			counts[0]++
		} else {
			counts[1]++
		}
	}
	b.distribution("rework deployments", bins, counts)
	b.res.dist = b.histogram("chart-rework-rate-distribution", "Rework deployments by kind", "kind", bins, counts, "deployments")
	if len(deps) == 0 {
		b.res.dist.Option, b.res.dist.Empty = nil, "No rework deployment in this window."
	}
	b.deploymentSection("rework", "Rework deployments", fmt.Sprintf("Rollbacks, and deployments whose every non-bot change was a fix, of %s.", b.rowsWords()), b.rv.ReworkDeployments(), "No rework deployment in "+b.rowsWords()+".")
}

func buildCycleTime(b *measureBuild) {
	ct := b.rep.CycleTime
	b.res.Summary = ct
	part := func(label string, p metrics.CyclePart) templates.Fact {
		v := secondsValue(p.MedianSeconds, whyNoPart)
		if p.MedianSeconds != nil {
			v.Exact += fmt.Sprintf("; p75 %s; %d changes", render.HumanDuration(p.P75Seconds), p.Count)
		}
		return templates.Fact{Label: label + ", median", Value: v}
	}
	b.res.facts = []templates.Fact{part("coding", ct.Coding), part("pickup", ct.Pickup), part("review", ct.Review), part("deploy", ct.Deploy)}
	parts := cycleSeries(b.weekSeries)
	b.weekly(parts...)
	b.res.trend = cycleTrendChart("chart-cycle-time-trend", "Cycle time breakdown per week (medians)", b.ax, parts,
		"Each week's median of each part; the medians of parts do not add up to the median lead time.")

	rows := metrics.LeadTimeRows(b.v.Data, b.v.Window, b.v.Rules)
	var names []string
	var allCounts [][]int
	var bins []string
	for _, p := range []struct {
		name string
		of   func(metrics.ChangeTiming) metrics.PartDuration
	}{
		{"coding", func(t metrics.ChangeTiming) metrics.PartDuration { return t.Coding }},
		{"pickup", func(t metrics.ChangeTiming) metrics.PartDuration { return t.Pickup }},
		{"review", func(t metrics.ChangeTiming) metrics.PartDuration { return t.Review }},
		{"deploy", func(t metrics.ChangeTiming) metrics.PartDuration { return t.Deploy }},
	} {
		var secs []float64
		for _, r := range rows {
			if d := p.of(r); d.Known {
				secs = append(secs, d.Duration.Seconds())
			}
		}
		counts := make([]int, len(durationBins))
		for _, s := range secs {
			for i, bn := range durationBins {
				if s < bn.upTo {
					counts[i]++
					break
				}
			}
		}
		names = append(names, p.name)
		allCounts = append(allCounts, counts)
	}
	for _, bn := range durationBins {
		bins = append(bins, bn.label)
	}
	for i, n := range names {
		b.distribution(n, bins, allCounts[i])
	}
	b.res.dist = b.groupedHistogram("chart-cycle-time-distribution", "Changes by duration of each part", "duration", bins, names, allCounts)

	byPickup := metrics.LeadTimeRows(b.rv.Data, b.rv.Window, b.rv.Rules)
	slices.SortStableFunc(byPickup, func(a, c metrics.ChangeTiming) int { return int(c.Pickup.Duration - a.Pickup.Duration) })
	byPickup = slices.DeleteFunc(byPickup, func(t metrics.ChangeTiming) bool { return !t.Pickup.Known })
	if len(byPickup) > rowLimit {
		byPickup = byPickup[:rowLimit]
	}
	b.timingSection("longest-pickup", "Longest waits for a first review", fmt.Sprintf("The changes of %s that waited longest between ready for review and their first review.", b.rowsWords()), byPickup, whyNoPart, nil)
	b.timingSection("slowest", "Slowest changes", fmt.Sprintf("The changes of %s with the longest lead time, with each part.", b.rowsWords()), b.rv.SlowestChanges(rowLimit), whyNoShipped, url.Values{"state": {"merged"}, "sort": {"lead_time"}})
}

// cycleSeries are the weekly medians of the four cycle-time parts.
func cycleSeries(week func(string, func(metrics.Report) *float64) series) []series {
	return []series{
		week("coding", func(r metrics.Report) *float64 { return r.CycleTime.Coding.MedianSeconds }),
		week("pickup", func(r metrics.Report) *float64 { return r.CycleTime.Pickup.MedianSeconds }),
		week("review", func(r metrics.Report) *float64 { return r.CycleTime.Review.MedianSeconds }),
		week("deploy", func(r metrics.Report) *float64 { return r.CycleTime.Deploy.MedianSeconds }),
	}
}

func buildThroughput(b *measureBuild) {
	tp := b.rep.Throughput
	b.res.Summary = tp
	b.res.facts = []templates.Fact{
		{Label: "per week", Value: numberValue(tp.PerWeek, fmt.Sprintf("%d merged ÷ window days × 7", tp.Merged), whyNoMerged)},
		{Label: "merged", Value: countValue(tp.Merged, "non-bot changes merged in the window"), Href: b.listLink("/changes", url.Values{"state": {"merged"}})},
	}
	merged := b.weekCounts("merged", func(r metrics.Report) int { return r.Throughput.Merged })
	b.weekly(merged)
	b.res.trend = b.barTrend("chart-throughput-trend", "Changes merged per week", []series{merged}, "changes", "Non-bot changes merged each week.")

	changes := metrics.MergedChanges(b.v.Data, b.v.Window, b.v.Rules)
	byRepo := map[string]int{}
	for _, c := range changes {
		byRepo[b.v.RepoName(c.RepoID)]++
	}
	var bins []string
	for name := range byRepo {
		bins = append(bins, name)
	}
	slices.Sort(bins)
	counts := make([]int, len(bins))
	for i, name := range bins {
		counts[i] = byRepo[name]
	}
	b.distribution("merged", bins, counts)
	b.res.dist = b.histogram("chart-throughput-distribution", "Changes merged by repo", "repo", bins, counts, "changes")
	if len(changes) == 0 {
		b.res.dist.Option, b.res.dist.Empty = nil, whyNoMerged
	}
	listed := metrics.MergedChanges(b.rv.Data, b.rv.Window, b.rv.Rules)
	slices.Reverse(listed)
	b.changeSection("merged", "Merged changes", fmt.Sprintf("The latest %d of %d changes merged in %s.", min(rowLimit, len(listed)), len(listed), b.rowsWords()),
		firstN(listed, rowLimit), whyNoMerged, url.Values{"state": {"merged"}})
}

func buildPRSize(b *measureBuild) {
	ps := b.rep.PRSize
	b.res.Summary = ps
	b.res.facts = []templates.Fact{
		{Label: "median", Value: numberValue(ps.MedianLines, "", whyNoSize)},
		{Label: "p75", Value: numberValue(ps.P75Lines, "", whyNoSize)},
		{Label: "changes", Value: countValue(ps.Count, "non-bot changes merged in the window with a known size"), Href: b.listLink("/changes", url.Values{"state": {"merged"}, "sort": {"size"}})},
	}
	// The weekly p90 is not in the report; it comes from the same rows.
	med := b.weekSeries("median", func(r metrics.Report) *float64 { return r.PRSize.MedianLines })
	p75 := b.weekSeries("p75", func(r metrics.Report) *float64 { return r.PRSize.P75Lines })
	p90 := series{name: "p90", values: make([]*float64, len(b.weeks))}
	for i, w := range b.weeks {
		if w.NoHistory {
			continue
		}
		var lines []float64
		for _, c := range metrics.MergedChanges(b.v.Data, metrics.Window{From: w.Start, To: w.Start.AddDate(0, 0, 7)}, b.v.Rules) {
			if n, ok := metrics.PRSizeLines(c); ok {
				lines = append(lines, float64(n))
			}
		}
		p90.values[i] = stats.PercentileOrNil(lines, 0.90)
	}
	b.weekly(med, p75, p90)
	b.res.trend = b.bandTrendUnit("chart-pr-size-trend", "PR size per week (lines changed)", med, p75, p90, false, "lines")

	var lines []float64
	for _, c := range metrics.MergedChanges(b.v.Data, b.v.Window, b.v.Rules) {
		if n, ok := metrics.PRSizeLines(c); ok {
			lines = append(lines, float64(n))
		}
	}
	bins, counts := histogram(lines, sizeBins)
	b.distribution("changes", bins, counts)
	b.res.dist = b.histogram("chart-pr-size-distribution", "Changes by size", "lines changed", bins, counts, "changes")
	b.changeSection("largest", "Largest merged changes", fmt.Sprintf("The largest changes merged in %s.", b.rowsWords()), b.rv.LargestMerged(rowLimit), whyNoSize, url.Values{"state": {"merged"}, "sort": {"size"}})
}

func buildCI(b *measureBuild) {
	ci := b.rep.CI
	b.res.Summary = ci
	b.res.facts = []templates.Fact{
		{Label: "median", Value: secondsValue(ci.MedianSeconds, whyNoCI)},
		{Label: "p90", Value: secondsValue(ci.P90Seconds, whyNoCI)},
		{Label: "success rate", Value: rateValue(ci.SuccessRate, successes(b), ci.Runs, "runs succeeded", whyNoCI)},
		{Label: "runs", Value: countValue(ci.Runs, "runs that finished in the window with success or failure")},
	}
	med := b.weekSeries("median", func(r metrics.Report) *float64 { return r.CI.MedianSeconds })
	p90 := b.weekSeries("p90", func(r metrics.Report) *float64 { return r.CI.P90Seconds })
	success := b.weekSeries("success rate %", func(r metrics.Report) *float64 { return percent(r.CI.SuccessRate) })
	b.weekly(med, p90, success)
	b.res.trend = b.lineTrend("chart-ci-trend", "CI duration per week", []series{med, p90}, true, "",
		"Median and p90 of run durations (start to finish).", func(v *float64) templates.Value { return secondsValue(v, whyNoCI) })

	runs := metrics.CIRunsIn(b.v.Data, b.v.Window)
	var secs []float64
	for _, r := range runs {
		if d, ok := metrics.CIRunDuration(r); ok {
			secs = append(secs, d.Seconds())
		}
	}
	bins, counts := histogram(secs, shortDurationBins)
	b.distribution("runs", bins, counts)
	b.res.dist = b.histogram("chart-ci-distribution", "Runs by duration", "duration", bins, counts, "runs")

	slow := b.rv.SlowestCIRuns(rowLimit)
	t := templates.Table{TestID: "rows", Empty: whyNoCI, Columns: []templates.Column{
		{Label: "Repo"}, {Label: "Workflow"}, {Label: "Branch"}, {Label: "Conclusion"}, {Label: "Finished"}, {Label: "Duration", Num: true},
	}}
	var api []apiCIRun
	for _, r := range slow {
		d, ok := metrics.CIRunDuration(r)
		t.Rows = append(t.Rows, []templates.Cell{
			{Text: b.rv.RepoName(r.RepoID)}, {Text: r.Name, Href: r.URL}, {Text: r.Branch}, {Text: r.Conclusion},
			timeCell(r.FinishedAt, b.loc), durationCell(d, ok, "the run's start is unknown"),
		})
		api = append(api, toAPICIRun(b.rv, r))
	}
	b.res.Rows["slowest"] = orEmpty(api)
	b.res.sections = append(b.res.sections, templates.Section{ID: "slowest", Title: "Slowest runs", Lead: fmt.Sprintf("The runs of %s that took longest.", b.rowsWords()), Table: t})
}

func successes(b *measureBuild) int {
	n := 0
	for _, r := range metrics.CIRunsIn(b.v.Data, b.v.Window) {
		if r.Conclusion == "success" {
			n++
		}
	}
	return n
}

// percent turns a rate into a percentage for charts.
func percent(rate *float64) *float64 {
	if rate == nil {
		return nil
	}
	p := *rate * 100
	return &p
}

func percentValue(p *float64) templates.Value {
	if p == nil {
		return nullValue("no deployment that week")
	}
	return templates.Value{Text: fmt.Sprintf("%.1f %%", *p), Exact: fmt.Sprintf("%.4f", *p/100)}
}

func firstN[T any](rows []T, n int) []T {
	if len(rows) > n {
		return rows[:n]
	}
	return rows
}

func orEmpty[T any](rows []T) []T {
	if rows == nil {
		return []T{}
	}
	return rows
}
