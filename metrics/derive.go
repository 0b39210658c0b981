package metrics

import (
	"cmp"
	"slices"
	"strings"
	"time"
)

// Derive annotates one repository's whole synced history with what the rules
// of docs/metrics.md find in it, and returns the annotated copy; the slices of
// h are not changed. Every derived field is recomputed from scratch, so
// deriving an already derived history gives the same result.
//
//   - each change: its first review and first approval, and the production
//     deployment that shipped it (DeploymentID, DeployedAt);
//   - each deployment: Production or FailedAttempt, the changes it shipped,
//     the incidents attributed to it, Rollback, Failed and FailureCause,
//     RecoveredAt and RecoveredBy, Rework;
//   - each incident: the deployment it is attributed to.
//
// Everything in h is taken to be one repository: incidents are matched to
// deployments without comparing RepoID, so a caller may fold incidents
// tracked elsewhere into the history of the repository they belong to.
//
// Deployments come from h.Rules.Source. For SourceDeployments a successful
// deployment is production when its environment matches Environments or its
// GitLab tier is "production". For the other sources every successful record
// is a production deployment by definition (a release, a run of the deploy
// workflow, a merge), whatever Environment the caller gave it. For
// SourceMerges the caller creates one deployment per change merged into the
// default branch: Status success, SHA the change's merge (or squash) sha,
// CreatedAt and FinishedAt its MergedAt, a unique ID; Derive links each such
// deployment to the change(s) whose MergeSHA or SquashSHA equals its SHA.
func Derive(h RepoHistory, r Rules) RepoHistory {
	out := h
	out.Changes = slices.Clone(h.Changes)
	out.Deployments = slices.Clone(h.Deployments)
	out.Incidents = slices.Clone(h.Incidents)
	return DeriveOwned(out, r)
}

// DeriveOwned is Derive for a caller that owns out and needs nothing of its
// rows as they were: it annotates out's slices in place and returns out,
// which spares a copy of the whole history (the derive step of a repo of
// 100,000 pull requests holds its history once instead of twice).
func DeriveOwned(out RepoHistory, r Rules) RepoHistory {
	for i := range out.Changes {
		markFirstReviews(&out.Changes[i], r)
	}
	for i := range out.Deployments {
		markProduction(&out.Deployments[i], out.Rules)
	}
	tl := newTimeline(out.Deployments)
	shipped := linkChanges(out.Changes, tl, out.Rules)
	attributed := attributeIncidents(out.Incidents, tl, r.incidentWindow())
	rolledBackAt := markRollbacks(tl)
	markFailuresAndRecoveries(tl, out.Incidents, attributed, rolledBackAt)
	markRework(tl, out.Changes, shipped, r)
	return out
}

// markFirstReviews sets a change's first review and first approval, and
// clears what the change's other derived fields held.
//
// A review counts when its author is neither the change's author (logins
// compared case-insensitively, as GitHub and GitLab do) nor a bot. Any
// submitted state counts as a review, dismissed included: a dismissed review
// was still somebody picking the change up (GitHub keeps only "dismissed",
// not what the review said). A "pending" review is an unsubmitted draft and
// does not count. Only "approved" counts as an approval.
func markFirstReviews(c *Change, r Rules) {
	c.FirstReviewAt, c.FirstApprovalAt = time.Time{}, time.Time{}
	c.DeploymentID, c.DeployedAt = 0, time.Time{}
	for _, rv := range c.Reviews {
		if rv.At.IsZero() || strings.EqualFold(rv.State, "pending") ||
			strings.EqualFold(rv.Author, c.Author) || r.IsBot(rv.Author, rv.AuthorIsBot) {
			continue
		}
		if c.FirstReviewAt.IsZero() || rv.At.Before(c.FirstReviewAt) {
			c.FirstReviewAt = rv.At
		}
		if strings.EqualFold(rv.State, "approved") && (c.FirstApprovalAt.IsZero() || rv.At.Before(c.FirstApprovalAt)) {
			c.FirstApprovalAt = rv.At
		}
	}
}

// markProduction clears a deployment's derived fields and sets Production
// (succeeded in a production environment) or FailedAttempt (ended in failure
// or error there). A success with no FinishedAt cannot be placed in time and
// is not counted.
func markProduction(d *Deployment, rr RepoRules) {
	d.Production, d.FailedAttempt = false, false
	d.Failed, d.FailureCause, d.Rollback, d.Rework = false, "", false, false
	d.RecoveredAt, d.RecoveredBy = time.Time{}, ""
	d.ChangeIDs, d.IncidentIDs = nil, nil

	inProduction := rr.source() != SourceDeployments ||
		rr.environments().MatchString(d.Environment) ||
		strings.EqualFold(d.EnvironmentTier, "production")
	switch strings.ToLower(d.Status) {
	case StatusSuccess:
		d.Production = inProduction && !d.FinishedAt.IsZero()
	case StatusFailure, StatusError:
		d.FailedAttempt = inProduction
	}
}

// timeline is a history's production deployments in the order they went
// live, overall and per environment. Its slices hold indices into deps, the
// history's (copied) deployments, which the derive steps annotate in place.
type timeline struct {
	deps  []Deployment
	order []int   // production deployments by FinishedAt, then CreatedAt, then ID
	envs  [][]int // order split by environment (names compared case-insensitively)
}

func newTimeline(deps []Deployment) timeline {
	tl := timeline{deps: deps}
	for i, d := range deps {
		if d.Production {
			tl.order = append(tl.order, i)
		}
	}
	slices.SortStableFunc(tl.order, func(a, b int) int {
		da, db := deps[a], deps[b]
		return cmp.Or(da.FinishedAt.Compare(db.FinishedAt), da.CreatedAt.Compare(db.CreatedAt), cmp.Compare(da.ID, db.ID))
	})
	envIndex := map[string]int{}
	for _, i := range tl.order {
		env := strings.ToLower(deps[i].Environment)
		k, ok := envIndex[env]
		if !ok {
			k = len(tl.envs)
			envIndex[env] = k
			tl.envs = append(tl.envs, nil)
		}
		tl.envs[k] = append(tl.envs[k], i)
	}
	return tl
}

// startedAt is when a deployment was requested: CreatedAt, or FinishedAt for
// a record that has no separate creation time.
func startedAt(d Deployment) time.Time {
	if d.CreatedAt.IsZero() {
		return d.FinishedAt
	}
	return d.CreatedAt
}

// normSHA makes shas comparable (providers and users mix case).
func normSHA(sha string) string { return strings.ToLower(strings.TrimSpace(sha)) }
