package metrics

import (
	"cmp"
	"slices"
	"strings"
	"time"
)

// The rows behind each number of a Report: the UI lists them under a
// figure, so anyone can recompute it by hand, and the reference
// implementation the facts are tested against (reference_test.go) is built
// from them. Each returns copies, in time order (then by ID).

// PartDuration is one part of a change's cycle time. Known is false where
// the part does not exist (a change never reviewed has no pickup or review).
type PartDuration struct {
	Duration time.Duration
	Known    bool
}

// ChangeTiming is a change counted in lead time, with its cycle-time parts.
type ChangeTiming struct {
	Change       Change
	DeploymentID int64         // the production deployment that shipped it
	DeployedAt   time.Time     // that deployment's FinishedAt
	Start        time.Time     // FirstCommitAt, or CreatedAt where there is no commit data
	LeadTime     time.Duration // DeployedAt − Start, always > 0
	Coding       PartDuration  // ready − Start
	Pickup       PartDuration  // FirstReviewAt − ready
	Review       PartDuration  // MergedAt − FirstReviewAt
	Deploy       PartDuration  // DeployedAt − MergedAt
}

// LeadTimeRows returns the changes counted in lead time and the cycle-time
// breakdown: merged changes (non-bot unless IncludeBotChanges) shipped by a
// production deployment that finished in w. A change whose lead time is ≤ 0
// (clock skew, a rebased first commit) is left out of both. Negative cycle
// parts count as 0.
func LeadTimeRows(ds Dataset, w Window, r Rules) []ChangeTiming {
	var rows []ChangeTiming
	for _, c := range ds.Changes {
		if c.DeploymentID == 0 || !w.Contains(c.DeployedAt) || c.MergedAt.IsZero() || !r.CountsChange(c) {
			continue
		}
		start := c.FirstCommitAt
		if start.IsZero() {
			start = c.CreatedAt
		}
		lead := c.DeployedAt.Sub(start)
		if start.IsZero() || lead <= 0 {
			continue
		}
		row := ChangeTiming{
			Change: c, DeploymentID: c.DeploymentID, DeployedAt: c.DeployedAt,
			Start: start, LeadTime: lead,
			Deploy: partBetween(c.MergedAt, c.DeployedAt),
		}
		ready := ReadyForReview(c)
		row.Coding = partBetween(start, ready)
		if !c.FirstReviewAt.IsZero() {
			row.Pickup = partBetween(ready, c.FirstReviewAt)
			row.Review = partBetween(c.FirstReviewAt, c.MergedAt)
		}
		rows = append(rows, row)
	}
	slices.SortStableFunc(rows, func(a, b ChangeTiming) int {
		return cmp.Or(a.DeployedAt.Compare(b.DeployedAt), cmp.Compare(a.Change.ID, b.Change.ID))
	})
	return rows
}

// partBetween is to − from as a cycle part: unknown when either end is
// missing, 0 when negative.
func partBetween(from, to time.Time) PartDuration {
	if from.IsZero() || to.IsZero() {
		return PartDuration{}
	}
	return PartDuration{Duration: max(to.Sub(from), 0), Known: true}
}

// ReadyForReview is when a change became ready for review: ReadyAt, or CreatedAt
// when ReadyAt is missing on a change that is not a draft (a provider that
// gave no ready time for a change opened ready). Zero while a draft.
func ReadyForReview(c Change) time.Time {
	if !c.ReadyAt.IsZero() || c.Draft {
		return c.ReadyAt
	}
	return c.CreatedAt
}

// ProductionDeployments returns the production deployments that finished in
// w: deployment frequency, change failure rate and rework rate count these.
func ProductionDeployments(ds Dataset, w Window) []Deployment {
	return DeploymentsWhere(ds, func(d Deployment) bool { return d.Production && w.Contains(d.FinishedAt) })
}

// FailedAttempts returns the deployment attempts in a production environment
// that ended in failure or error in w. They never reached production: they
// lower the deploy success rate and are not in change failure rate.
func FailedAttempts(ds Dataset, w Window) []Deployment {
	return DeploymentsWhere(ds, func(d Deployment) bool { return d.FailedAttempt && w.Contains(d.FinishedAt) })
}

// DeploymentsWhere returns the deployments keep accepts, in time order
// (FinishedAt, then ID).
func DeploymentsWhere(ds Dataset, keep func(Deployment) bool) []Deployment {
	var out []Deployment
	for _, d := range ds.Deployments {
		if keep(d) {
			out = append(out, d)
		}
	}
	slices.SortStableFunc(out, func(a, b Deployment) int {
		return cmp.Or(a.FinishedAt.Compare(b.FinishedAt), cmp.Compare(a.ID, b.ID))
	})
	return out
}

// Recovery is a failed deployment that recovered, and how long it took.
type Recovery struct {
	Deployment Deployment
	Duration   time.Duration // RecoveredAt − FinishedAt (0 if negative)
}

// RecoveryRows returns the failed production deployments whose recovery
// (RecoveredAt) falls in w, whenever they failed.
func RecoveryRows(ds Dataset, w Window) []Recovery {
	var rows []Recovery
	for _, d := range ds.Deployments {
		if d.Production && d.Failed && w.Contains(d.RecoveredAt) {
			rows = append(rows, Recovery{Deployment: d, Duration: max(d.RecoveredAt.Sub(d.FinishedAt), 0)})
		}
	}
	slices.SortStableFunc(rows, func(a, b Recovery) int {
		return cmp.Or(a.Deployment.RecoveredAt.Compare(b.Deployment.RecoveredAt), cmp.Compare(a.Deployment.ID, b.Deployment.ID))
	})
	return rows
}

// OpenIncidents returns the incidents still open (no ResolvedAt) that are
// attributed to a production deployment that finished in w: the failures not
// recovered yet.
func OpenIncidents(ds Dataset, w Window) []Incident {
	inWindow := map[int64]bool{}
	for _, d := range ProductionDeployments(ds, w) {
		inWindow[d.ID] = true
	}
	return incidentsWhere(ds, func(in Incident) bool {
		return in.ResolvedAt.IsZero() && in.DeploymentID != 0 && inWindow[in.DeploymentID]
	})
}

// Restore is an incident resolved, and how long it was open.
type Restore struct {
	Incident Incident
	Duration time.Duration // ResolvedAt − CreatedAt (0 if negative)
}

// TimeToRestoreRows returns the incidents resolved in w, attributed or not:
// the older "time to restore service".
func TimeToRestoreRows(ds Dataset, w Window) []Restore {
	var rows []Restore
	for _, in := range incidentsWhere(ds, func(in Incident) bool { return w.Contains(in.ResolvedAt) && !in.CreatedAt.IsZero() }) {
		rows = append(rows, Restore{Incident: in, Duration: max(in.ResolvedAt.Sub(in.CreatedAt), 0)})
	}
	return rows
}

func incidentsWhere(ds Dataset, keep func(Incident) bool) []Incident {
	var out []Incident
	for _, in := range ds.Incidents {
		if keep(in) {
			out = append(out, in)
		}
	}
	slices.SortStableFunc(out, func(a, b Incident) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
	})
	return out
}

// MergedChanges returns the changes merged in w (non-bot unless
// IncludeBotChanges): throughput counts them, PR size measures the ones
// whose size is known.
func MergedChanges(ds Dataset, w Window, r Rules) []Change {
	return changesWhere(ds, func(c Change) bool { return w.Contains(c.MergedAt) && r.CountsChange(c) },
		func(c Change) time.Time { return c.MergedAt })
}

// OpenChanges returns the changes open at now: State "open" (the state as
// last synced) and created no later than now. Drafts are included: a draft is
// open work, just not waiting for review. Bot changes are left out unless
// IncludeBotChanges, as everywhere a change is counted: a pile of dependency
// bumps is not the team's work in progress.
func OpenChanges(ds Dataset, r Rules, now time.Time) []Change {
	return changesWhere(ds, func(c Change) bool {
		return strings.EqualFold(c.State, "open") && !c.CreatedAt.After(now) && r.CountsChange(c)
	}, func(c Change) time.Time { return c.CreatedAt })
}

// StaleChanges returns the open changes waiting for a first review longer
// than StaleReview at now: ready for review (not a draft), no review by
// someone other than the author or a bot, and ready for more than
// StaleReview.
func StaleChanges(ds Dataset, r Rules, now time.Time) []Change {
	var out []Change
	for _, c := range OpenChanges(ds, r, now) {
		ready := ReadyForReview(c)
		if !c.Draft && !ready.IsZero() && c.FirstReviewAt.IsZero() && now.Sub(ready) > r.StaleAfter() {
			out = append(out, c)
		}
	}
	return out
}

func changesWhere(ds Dataset, keep func(Change) bool, at func(Change) time.Time) []Change {
	var out []Change
	for _, c := range ds.Changes {
		if keep(c) {
			out = append(out, c)
		}
	}
	slices.SortStableFunc(out, func(a, b Change) int { return cmp.Or(at(a).Compare(at(b)), cmp.Compare(a.ID, b.ID)) })
	return out
}

// PRSizeLines is a change's size: additions + deletions; ok is false when
// the provider gave no size (those changes are left out of PR size).
func PRSizeLines(c Change) (lines int, ok bool) {
	return c.Additions + c.Deletions, c.SizeKnown
}

// BySizeDesc sorts changes largest first (additions + deletions), unknown
// sizes last.
func BySizeDesc(cs []Change) []Change {
	slices.SortStableFunc(cs, func(a, b Change) int {
		la, oka := PRSizeLines(a)
		lb, okb := PRSizeLines(b)
		if oka != okb {
			if oka {
				return -1
			}
			return 1
		}
		return cmp.Or(cmp.Compare(lb, la), cmp.Compare(a.ID, b.ID))
	})
	return cs
}

// CIRunsIn returns the CI runs (any workflow, any branch) that finished in w
// with conclusion success or failure; cancelled, skipped, neutral and other
// runs are left out.
func CIRunsIn(ds Dataset, w Window) []CIRun {
	var out []CIRun
	for _, run := range ds.CIRuns {
		if w.Contains(run.FinishedAt) && (ciSucceeded(run) || strings.EqualFold(run.Conclusion, "failure")) {
			out = append(out, run)
		}
	}
	slices.SortStableFunc(out, func(a, b CIRun) int {
		return cmp.Or(a.FinishedAt.Compare(b.FinishedAt), cmp.Compare(a.ID, b.ID))
	})
	return out
}

// CIRunDuration is FinishedAt − StartedAt (the run's start, not its
// creation, so queueing time is left out); ok is false when the start is
// unknown. Such a run still counts in the success rate.
func CIRunDuration(run CIRun) (time.Duration, bool) {
	if run.StartedAt.IsZero() || run.FinishedAt.IsZero() {
		return 0, false
	}
	return max(run.FinishedAt.Sub(run.StartedAt), 0), true
}

func ciSucceeded(run CIRun) bool { return strings.EqualFold(run.Conclusion, "success") }

// DeployDays is the number of distinct days (in the rules' timezone) with at
// least one production deployment, in one period.
type DeployDays struct {
	Period Window
	Days   int
}

// DeployDaysPerWeek returns, for each whole week in w with data
// (Window.DataFrom), its deploy days: the rows behind
// deploy_days_per_week_median.
func DeployDaysPerWeek(ds Dataset, w Window, r Rules) []DeployDays {
	return deployDaysIn(ds, Weeks(w.withData(), r.Timezone()), r.Timezone())
}

func deployDaysIn(ds Dataset, periods []Window, loc *time.Location) []DeployDays {
	rows := make([]DeployDays, 0, len(periods))
	for _, p := range periods {
		days := map[civilDate]bool{}
		for _, d := range ProductionDeployments(ds, p) {
			days[dateIn(d.FinishedAt, loc)] = true
		}
		rows = append(rows, DeployDays{Period: p, Days: len(days)})
	}
	return rows
}
