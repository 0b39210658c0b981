package metrics

import (
	"math"
	"testing"
	"time"
	_ "time/tzdata" // the timezone tests must not depend on the host's zoneinfo
)

// t0 is Monday 2025-03-03 00:00 UTC: tests count hours from it.
var t0 = time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC)

// hr is t0 + n hours.
func hr(n float64) time.Time { return t0.Add(time.Duration(n * float64(time.Hour))) }

const hour = float64(time.Hour / time.Second) // seconds in an hour, for expectations

func mustLoad(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// merged is a non-bot change merged into main at mergedAt with merge sha sha;
// it was opened and ready 10h before and its first commit 12h before.
func merged(id int64, mergedAt time.Time, sha string) Change {
	return Change{
		ID: id, Number: id, Title: "feature", Author: "alice", State: "merged",
		CreatedAt: mergedAt.Add(-10 * time.Hour), ReadyAt: mergedAt.Add(-10 * time.Hour),
		FirstCommitAt: mergedAt.Add(-12 * time.Hour),
		MergedAt:      mergedAt, MergeSHA: sha, BaseBranch: "main",
	}
}

// deployed is a successful deployment to "production" of sha, requested 5
// minutes before it finished.
func deployed(id int64, sha string, finishedAt time.Time, rangeSHAs ...string) Deployment {
	return Deployment{
		ID: id, Environment: "production", SHA: sha, Status: StatusSuccess,
		CreatedAt: finishedAt.Add(-5 * time.Minute), FinishedAt: finishedAt, RangeSHAs: rangeSHAs,
	}
}

// withRange sets a fetched (possibly empty) commit range.
func withRange(d Deployment, shas ...string) Deployment {
	d.RangeSHAs = append([]string{}, shas...)
	return d
}

func linkRules(link string) RepoRules {
	rr := DefaultRepoRules()
	rr.Link = link
	return rr
}

func approx(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }

// checkFloat compares a Report value with an expectation (nil: want none).
func checkFloat(t *testing.T, name string, got *float64, want *float64) {
	t.Helper()
	switch {
	case got == nil && want == nil:
	case got == nil || want == nil:
		t.Errorf("%s = %v, want %v", name, show(got), show(want))
	case !approx(*got, *want):
		t.Errorf("%s = %v, want %v", name, *got, *want)
	}
}

func show(p *float64) any {
	if p == nil {
		return "nil"
	}
	return *p
}

func f(v float64) *float64 { return &v }

func str(p *string) string {
	if p == nil {
		return "nil"
	}
	return *p
}

func byID[T any](rows []T, id func(T) int64) map[int64]T {
	m := map[int64]T{}
	for _, r := range rows {
		m[id(r)] = r
	}
	return m
}

func deploymentsByID(ds []Deployment) map[int64]Deployment {
	return byID(ds, func(d Deployment) int64 { return d.ID })
}

func changesByID(cs []Change) map[int64]Change { return byID(cs, func(c Change) int64 { return c.ID }) }
