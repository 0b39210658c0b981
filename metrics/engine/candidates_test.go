package engine_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tach-dev/tach/metrics"
	"github.com/tach-dev/tach/metrics/engine"
	"github.com/tach-dev/tach/metrics/impact"
	"github.com/tach-dev/tach/store"
)

// addBilling adds acme/billing, a repo created on cmpT that deploys every
// working day from then on.
func addBilling(t *testing.T, org cmpOrg) {
	t.Helper()
	ctx := context.Background()
	err := org.st.Write(ctx, func(tx *store.Tx) error {
		repo, _, err := tx.UpsertRepo(ctx, store.Repo{Provider: store.GitHub, Name: "acme/billing", CreatedAt: cmpT.Add(9 * time.Hour)})
		if err != nil {
			return err
		}
		for d, n := cmpT.AddDate(0, 0, 1), int64(1); d.Before(cmpEnd); d, n = d.AddDate(0, 0, 1), n+1 {
			at := d.Add(15 * time.Hour)
			sha := fmt.Sprintf("b%d", n)
			if _, _, err := tx.UpsertChange(ctx, store.Change{RepoID: repo, Number: n, Title: "Bill more", Author: "ada", State: store.StateMerged,
				CreatedAt: at.Add(-20 * time.Hour), FirstCommitAt: at.Add(-20 * time.Hour), MergedAt: at.Add(-time.Hour), UpdatedAt: at,
				MergeSHA: sha, Additions: 30, SizeKnown: true}); err != nil {
				return err
			}
			if _, _, err := tx.UpsertDeployment(ctx, store.Deployment{RepoID: repo, Source: "deployments", ProviderID: sha,
				Environment: "production", SHA: sha, Status: "success", CreatedAt: at, FinishedAt: at, UpdatedAt: at}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := org.derive.Derive(ctx); err != nil {
		t.Fatal(err)
	}
}

func findCandidate(cands []impact.Candidate, source, repo string) (impact.Candidate, bool) {
	for _, c := range cands {
		if c.Source == source && len(c.Repos) > 0 && c.Repos[0] == repo {
			return c, true
		}
	}
	return impact.Candidate{}, false
}

func TestCandidatesDismissAndAccept(t *testing.T) {
	org := newCmpOrg(t)
	addBilling(t, org)
	ctx := context.Background()
	now := cmpEnd.Add(48 * time.Hour)

	cands, err := org.log.Candidates(ctx, now)
	if err != nil {
		t.Fatal(err)
	}
	billing, ok := findCandidate(cands, impact.CandidateNewRepo, "acme/billing")
	if !ok || billing.Date != "2026-04-06" {
		t.Fatalf("no new-repo candidate for acme/billing: %+v", cands)
	}
	// The recorded decision (acme/api, 2026-04-06) covers api's lead-time
	// shift on that day.
	if c, ok := findCandidate(cands, impact.CandidateShift, "acme/api"); ok {
		t.Errorf("a recorded decision's shift is suggested: %+v", c)
	}

	// Dismissed: gone, and still gone for another engine over the same
	// database.
	if err := org.log.DismissCandidate(ctx, billing); err != nil {
		t.Fatal(err)
	}
	other := engine.NewDecisionLog(engine.NewReports(org.st, metrics.DefaultRules(), nil))
	cands, err = other.Candidates(ctx, now)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := findCandidate(cands, impact.CandidateNewRepo, "acme/billing"); ok {
		t.Error("a dismissed candidate is suggested again")
	}
	if _, err := org.log.Candidate(ctx, billing.ID, now); !errors.Is(err, engine.ErrUnknownCandidate) {
		t.Errorf("a dismissed id: %v", err)
	}

	// Without the decision, api's shift is suggested; accepting it records
	// a decision in one step, and it is suggested no more.
	if err := org.log.DeleteDecision(ctx, 1); err != nil {
		t.Fatal(err)
	}
	cands, _ = org.log.Candidates(ctx, now)
	shift, ok := findCandidate(cands, impact.CandidateShift, "acme/api")
	if !ok {
		t.Fatalf("no shift candidate for acme/api: %+v", cands)
	}
	if !strings.Contains(strings.Join(shift.Evidence, " "), "lead time (weekly median) fell") {
		t.Errorf("evidence: %v", shift.Evidence)
	}
	found, err := org.log.Candidate(ctx, strings.ToUpper(shift.ID), now)
	if err != nil || found.ID != shift.ID {
		t.Fatalf("Candidate(%s): %v", shift.ID, err)
	}
	in := engine.CandidateInput(found)
	in.Title = "Move api reads to a replica"
	d, err := org.log.AcceptCandidate(ctx, found, in)
	if err != nil {
		t.Fatal(err)
	}
	if d.Title != "Move api reads to a replica" || d.DecidedOn != shift.Date || strings.Join(d.ScopeRepos, ",") != "acme/api" ||
		!strings.HasPrefix(d.Note, "Suggested by tach (shift): ") {
		t.Errorf("accepted: %+v", d)
	}
	cands, _ = org.log.Candidates(ctx, now)
	if _, ok := findCandidate(cands, impact.CandidateShift, "acme/api"); ok {
		t.Error("an accepted candidate is suggested again")
	}
	marks, err := org.st.CandidateMarks(ctx)
	if err != nil || len(marks) != 2 || marks[0].Status != store.CandidateDismissed || marks[1].Status != store.CandidateAccepted ||
		marks[1].DecisionID != d.ID || marks[0].ScopeRepos[0] != "acme/billing" {
		t.Errorf("answers: %+v, %v", marks, err)
	}

	// A bad override is refused, and nothing is written.
	in.Kind = "nonsense"
	if _, err := org.log.AcceptCandidate(ctx, found, in); !errors.Is(err, engine.ErrInvalidDecision) {
		t.Errorf("bad kind: %v", err)
	}
	if ds, _ := org.log.Decisions(ctx); len(ds) != 1 {
		t.Errorf("%d decisions after a refused accept, want 1", len(ds))
	}
}
