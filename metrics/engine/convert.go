package engine

import (
	"github.com/tach-dev/tach/metrics"
	"github.com/tach-dev/tach/store"
)

// The store's rows and the metrics' inputs are separate types so that
// package metrics stays free of SQL; these functions are the only bridge.

func toChange(c store.Change) metrics.Change {
	m := metrics.Change{
		ID: c.ID, RepoID: c.RepoID, Number: c.Number, Title: c.Title, Author: c.Author, AuthorIsBot: c.AuthorIsBot,
		State: c.State, Draft: c.Draft, Labels: c.Labels,
		CreatedAt: c.CreatedAt, ReadyAt: c.ReadyAt, FirstCommitAt: c.FirstCommitAt, MergedAt: c.MergedAt, ClosedAt: c.ClosedAt,
		Additions: c.Additions, Deletions: c.Deletions, ChangedFiles: c.ChangedFiles, SizeKnown: c.SizeKnown,
		MergeSHA: c.MergeSHA, SquashSHA: c.SquashSHA, BaseBranch: c.BaseBranch, URL: c.URL,
		FirstReviewAt: c.FirstReviewAt, FirstApprovalAt: c.FirstApprovalAt, DeploymentID: c.DeploymentID, DeployedAt: c.DeployedAt,
	}
	for _, r := range c.Reviews {
		m.Reviews = append(m.Reviews, metrics.Review{Author: r.Author, AuthorIsBot: r.AuthorIsBot, State: r.State, At: r.SubmittedAt})
	}
	return m
}

func toDeployment(d store.Deployment) metrics.Deployment {
	return metrics.Deployment{
		ID: d.ID, RepoID: d.RepoID, Environment: d.Environment, EnvironmentTier: d.EnvironmentTier, SHA: d.SHA, Ref: d.Ref,
		Status: d.Status, CreatedAt: d.CreatedAt, FinishedAt: d.FinishedAt, URL: d.URL, RangeSHAs: d.RangeSHAs,
		Production: d.Production, FailedAttempt: d.FailedAttempt, Failed: d.Failed, FailureCause: d.FailureCause, Rollback: d.Rollback, Rework: d.Rework,
		RecoveredAt: d.RecoveredAt, RecoveredBy: d.RecoveredBy,
	}
}

func toIncident(in store.Incident) metrics.Incident {
	return metrics.Incident{
		ID: in.ID, RepoID: in.RepoID, Number: in.Number, Title: in.Title, Labels: in.Labels, URL: in.URL,
		CreatedAt: in.CreatedAt, ResolvedAt: in.ResolvedAt, DeploymentID: in.DeploymentID,
	}
}

func toCIRun(r store.CIRun) metrics.CIRun {
	return metrics.CIRun{
		ID: r.ID, RepoID: r.RepoID, Name: r.Name, Branch: r.Branch, Event: r.Event, Status: r.Status, Conclusion: r.Conclusion, SHA: r.SHA,
		CreatedAt: r.CreatedAt, StartedAt: r.StartedAt, FinishedAt: r.FinishedAt, URL: r.URL,
	}
}

func mapSlice[T, U any](in []T, f func(T) U) []U {
	out := make([]U, len(in))
	for i, v := range in {
		out[i] = f(v)
	}
	return out
}
