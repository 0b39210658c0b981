package render

import (
	"fmt"

	"github.com/tach-dev/tach/metrics/impact"
	"github.com/tach-dev/tach/metrics/stats"
)

// The evidence of a suggested decision, in words.

// ExplainCandidates writes each candidate's Evidence: its Reasons in words.
func ExplainCandidates(cands []impact.Candidate) {
	for i := range cands {
		c := &cands[i]
		c.Evidence = make([]string, 0, len(c.Reasons))
		for _, r := range c.Reasons {
			c.Evidence = append(c.Evidence, reasonText(r))
		}
	}
}

func reasonText(r impact.Reason) string {
	switch r := r.(type) {
	case impact.RepoCreated:
		return fmt.Sprintf("%s was created on %s", r.Repo, r.Day)
	case impact.FirstActivity:
		return fmt.Sprintf("its first change or deployment is on %s; the synced history starts on %s", r.Day, r.HistoryStart)
	case impact.FirstProduction:
		return fmt.Sprintf("first production deployment on %s; %d since", r.Day, r.Count)
	case impact.TeamRepos:
		return fmt.Sprintf("it belongs to team %s with %s", r.Team, joinAnd(r.Others))
	case impact.LargeChange:
		return fmt.Sprintf("#%d %q merged on %s: %d lines (the repo's median change is %.0f)", r.Number, r.Title, r.Day, r.Lines, r.RepoMedian)
	case impact.Shift:
		dir := "rose"
		if r.After < r.Before {
			dir = "fell"
		}
		change := FormatPercentChange(stats.FiniteOrNil(r.Relative))
		if r.Unit == "share" {
			diff := r.After - r.Before
			change = FormatMeasureDifference("share", &diff)
		}
		return fmt.Sprintf("%s %s from %s to %s in the week of %s (%s; permutation test %s)",
			r.Name, dir, shiftValue(r.Unit, r.Before), shiftValue(r.Unit, r.After), r.Week, change, FormatP(&r.P))
	}
	return ""
}

func shiftValue(unit string, v float64) string {
	switch unit {
	case "seconds":
		return HumanDuration(&v)
	case "share":
		return HumanPercent(&v)
	case "lines":
		return fmt.Sprintf("%.0f lines", v)
	}
	return fmt.Sprintf("%.1f", v)
}
