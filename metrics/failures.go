package metrics

import (
	"cmp"
	"slices"
	"sort"
	"time"
)

// Deployment.FailureCause values.
const (
	FailureCauseIncident            = "incident"
	FailureCauseRollback            = "rollback"
	FailureCauseIncidentAndRollback = "incident+rollback"
)

// Deployment.RecoveredBy values.
const (
	RecoveredByIncidentResolved = "incident_resolved"
	RecoveredByRollback         = "rollback"
)

// attributeIncidents gives each incident to the latest production deployment
// (any production environment) that finished strictly before the incident
// was created, when it finished no more than window before. An incident
// created before any deployment, or longer than window after the last one,
// stays unattributed (DeploymentID 0). Returns, per deployment index, the
// indices of its incidents, in creation order.
func attributeIncidents(incidents []Incident, tl timeline, window time.Duration) (attributed [][]int) {
	attributed = make([][]int, len(tl.deps))
	byCreation := make([]int, len(incidents))
	for i := range incidents {
		incidents[i].DeploymentID = 0
		byCreation[i] = i
	}
	slices.SortStableFunc(byCreation, func(a, b int) int {
		return cmp.Or(incidents[a].CreatedAt.Compare(incidents[b].CreatedAt), cmp.Compare(incidents[a].ID, incidents[b].ID))
	})
	for _, ii := range byCreation {
		in := &incidents[ii]
		if in.CreatedAt.IsZero() {
			continue
		}
		finishedBefore := sort.Search(len(tl.order), func(k int) bool {
			return !tl.deps[tl.order[k]].FinishedAt.Before(in.CreatedAt)
		})
		if finishedBefore == 0 {
			continue
		}
		di := tl.order[finishedBefore-1]
		d := &tl.deps[di]
		if in.CreatedAt.Sub(d.FinishedAt) > window {
			continue
		}
		in.DeploymentID = d.ID
		d.IncidentIDs = append(d.IncidentIDs, in.ID)
		attributed[di] = append(attributed[di], ii)
	}
	return attributed
}

// markRollbacks finds rollbacks in each environment's production deployments
// D_0, D_1, … (in the order they went live): D_n is a rollback when it
// redeploys the sha of an earlier D_k (the latest earlier deployment of that
// sha) with k < n−1 — so not the sha of D_(n−1), which would be a re-run of
// what is live. D_(k+1) … D_(n−1) are then rolled back: A, A (re-run), B, A
// rolls back only B. A deployment with no sha takes no part.
//
// Returns, per deployment index, when it was rolled back (the first rollback
// that replaced it); zero when it was not.
func markRollbacks(tl timeline) (rolledBackAt []time.Time) {
	rolledBackAt = make([]time.Time, len(tl.deps))
	for _, env := range tl.envs {
		latest := map[string]int{} // sha → position in env of its latest deployment
		for n, di := range env {
			sha := normSHA(tl.deps[di].SHA)
			if sha == "" {
				continue
			}
			if k, ok := latest[sha]; ok && k < n-1 {
				tl.deps[di].Rollback = true
				for _, replaced := range env[k+1 : n] {
					if rolledBackAt[replaced].IsZero() {
						rolledBackAt[replaced] = tl.deps[di].FinishedAt
					}
				}
			}
			latest[sha] = n
		}
	}
	return rolledBackAt
}

// markFailuresAndRecoveries sets Failed and FailureCause on the production
// deployments with an attributed incident or a rollback, and when each
// recovered: the earlier of the latest ResolvedAt of its incidents (once all
// are resolved) and the FinishedAt of the rollback that replaced it. While an
// incident is open and there is no rollback it is not recovered. When both
// happen at the same instant the rollback is named (the action that
// restored service).
func markFailuresAndRecoveries(tl timeline, incidents []Incident, attributed [][]int, rolledBackAt []time.Time) {
	for _, di := range tl.order {
		d := &tl.deps[di]
		byIncident, byRollback := len(attributed[di]) > 0, !rolledBackAt[di].IsZero()
		switch {
		case byIncident && byRollback:
			d.FailureCause = FailureCauseIncidentAndRollback
		case byIncident:
			d.FailureCause = FailureCauseIncident
		case byRollback:
			d.FailureCause = FailureCauseRollback
		default:
			continue
		}
		d.Failed = true
		if byRollback {
			d.RecoveredAt, d.RecoveredBy = rolledBackAt[di], RecoveredByRollback
		}
		if resolved, ok := allResolvedAt(incidents, attributed[di]); ok && (d.RecoveredAt.IsZero() || resolved.Before(d.RecoveredAt)) {
			d.RecoveredAt, d.RecoveredBy = resolved, RecoveredByIncidentResolved
		}
	}
}

// allResolvedAt returns the latest ResolvedAt of the given incidents; ok is
// false when there are none or one is still open.
func allResolvedAt(incidents []Incident, which []int) (latest time.Time, ok bool) {
	for _, ii := range which {
		resolved := incidents[ii].ResolvedAt
		if resolved.IsZero() {
			return time.Time{}, false
		}
		if resolved.After(latest) {
			latest = resolved
		}
	}
	return latest, len(which) > 0
}

// markRework sets Rework on the production deployments that were unplanned
// fixes: a rollback, or a deployment whose shipped non-bot changes are all
// fixes, at least one. Bot changes are left out both ways: a deployment
// shipping only a bot's "fix(deps): …" is planned upkeep, and a bot change
// beside a hotfix does not make it planned.
func markRework(tl timeline, changes []Change, shippedBy [][]int, r Rules) {
	for _, di := range tl.order {
		fixes, others := 0, 0
		for _, ci := range shippedBy[di] {
			switch c := changes[ci]; {
			case r.IsBotChange(c):
			case r.IsFix(c):
				fixes++
			default:
				others++
			}
		}
		tl.deps[di].Rework = tl.deps[di].Rollback || (fixes > 0 && others == 0)
	}
}
