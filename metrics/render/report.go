package render

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/tach-dev/tach/metrics"
)

// The report of every measure as the CLI prints it, in text and Markdown.

// metricRow is one line of the text and Markdown reports.
type metricRow struct {
	name, value, tier, detail string
}

func metricRows(r metrics.Report) []metricRow {
	tier := func(t *string) string {
		if t == nil {
			return Dash
		}
		return *t
	}
	num := func(v float64) *float64 { return &v }
	df, lt, cfr, rt := r.DeploymentFrequency, r.LeadTime, r.ChangeFailureRate, r.RecoveryTime
	ct := r.CycleTime
	return []metricRow{
		{"Deployment frequency", HumanNumber(df.PerWeek) + " / week", tier(df.Tier),
			fmt.Sprintf("%d deployments; median %s deploy days a week; %d failed attempts", df.Deployments, HumanNumber(df.DeployDaysPerWeekMedian), df.FailedAttempts)},
		{"Lead time for changes", HumanDuration(lt.MedianSeconds), tier(lt.Tier),
			fmt.Sprintf("median of %d changes; p75 %s, p90 %s", lt.Count, HumanDuration(lt.P75Seconds), HumanDuration(lt.P90Seconds))},
		{"Change failure rate", HumanPercent(cfr.Rate), tier(cfr.Tier),
			fmt.Sprintf("%d of %d deployments failed", cfr.Failed, cfr.Deployments)},
		{"Recovery time", HumanDuration(rt.MedianSeconds), tier(rt.Tier),
			fmt.Sprintf("median of %d recoveries; open incidents: %d", rt.Count, rt.OpenIncidents)},
		{"Rework rate", HumanPercent(r.ReworkRate.Rate), Dash,
			fmt.Sprintf("%d of %d deployments were unplanned fixes", r.ReworkRate.Rework, r.ReworkRate.Deployments)},
		{"Time to restore", HumanDuration(r.TimeToRestore.MedianSeconds), "",
			fmt.Sprintf("median of %d incidents resolved", r.TimeToRestore.Count)},
		{"Cycle: coding", HumanDuration(ct.Coding.MedianSeconds), "", "p75 " + HumanDuration(ct.Coding.P75Seconds)},
		{"Cycle: pickup", HumanDuration(ct.Pickup.MedianSeconds), "", "p75 " + HumanDuration(ct.Pickup.P75Seconds)},
		{"Cycle: review", HumanDuration(ct.Review.MedianSeconds), "", "p75 " + HumanDuration(ct.Review.P75Seconds)},
		{"Cycle: deploy", HumanDuration(ct.Deploy.MedianSeconds), "", "p75 " + HumanDuration(ct.Deploy.P75Seconds)},
		{"Throughput", HumanNumber(r.Throughput.PerWeek) + " / week", "", fmt.Sprintf("%d changes merged", r.Throughput.Merged)},
		{"PR size", HumanNumber(r.PRSize.MedianLines) + " lines", "", fmt.Sprintf("median of %d; p75 %s", r.PRSize.Count, HumanNumber(r.PRSize.P75Lines))},
		{"CI duration", HumanDuration(r.CI.MedianSeconds), "",
			fmt.Sprintf("median of %d runs; p90 %s; success %s", r.CI.Runs, HumanDuration(r.CI.P90Seconds), HumanPercent(r.CI.SuccessRate))},
		{"Open work", HumanNumber(num(float64(r.OpenWork.Open))) + " open", "", fmt.Sprintf("waiting too long for a first review: %d", r.OpenWork.StaleReview)},
	}
}

func scopeLine(r metrics.Report) string {
	return fmt.Sprintf("%s, %s to %s (%s)", scopeName(r.Scope), r.Scope.From, r.Scope.To, r.Scope.Timezone)
}

// MetricsText writes a report as a table for a terminal: `tach report
// metrics`.
func MetricsText(w io.Writer, r metrics.Report) error {
	fmt.Fprintf(w, "tach metrics — %s\n\n", scopeLine(r))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "MEASURE\tVALUE\tTIER\tFROM")
	for _, row := range metricRows(r) {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", row.name, row.value, row.tier, row.detail)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if note := HistoryNote(r.PartialHistory, "this window"); note != "" {
		fmt.Fprintf(w, "\n%s\n", note)
	}
	fmt.Fprintln(w, "\nThe window is [from, to). Every rule is in docs/metrics.md.")
	return nil
}

// MetricsMarkdown writes a report as a Markdown table.
func MetricsMarkdown(w io.Writer, r metrics.Report) error {
	fmt.Fprintf(w, "## tach metrics — %s\n\n", mdEscape(scopeLine(r)))
	fmt.Fprintln(w, "| Measure | Value | Tier | From |")
	fmt.Fprintln(w, "|---|---|---|---|")
	for _, row := range metricRows(r) {
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", row.name, row.value, row.tier, mdEscape(row.detail))
	}
	if note := HistoryNote(r.PartialHistory, "this window"); note != "" {
		fmt.Fprintf(w, "\n%s\n", MarkdownText(note))
	}
	_, err := fmt.Fprintln(w, "\nThe window is [from, to). Every rule is in docs/metrics.md.")
	return err
}

// mdEscape keeps user text from breaking a Markdown table or becoming markup.
func mdEscape(s string) string {
	r := strings.NewReplacer("|", `\|`, "<", "&lt;", ">", "&gt;", "\n", " ", "*", `\*`, "_", `\_`, "`", "\\`", "[", `\[`, "]", `\]`)
	return r.Replace(s)
}
