package store_test

import (
	"testing"

	"github.com/tach-dev/tach/store"
	"github.com/tach-dev/tach/store/storetest"
)

func TestCandidateMarksRoundTripAndReplace(t *testing.T) {
	st := storetest.New(t)
	var decision int64
	err := st.Write(ctx, func(tx *store.Tx) error {
		var err error
		decision, err = tx.InsertDecision(ctx, store.Decision{DecidedOn: "2026-04-06", Title: "Split billing", Kind: "architecture"})
		if err != nil {
			return err
		}
		if err := tx.MarkCandidate(ctx, store.CandidateMark{ID: "c1", Status: store.CandidateDismissed, Source: "shift",
			SuggestedOn: "2026-03-02", ScopeRepos: []string{"acme/api"}, Title: "What changed?", CreatedAt: at("2026-05-01T10:00:00Z")}); err != nil {
			return err
		}
		return tx.MarkCandidate(ctx, store.CandidateMark{ID: "c2", Status: store.CandidateAccepted, Source: "new-repo",
			SuggestedOn: "2026-04-06", ScopeTeam: "core", DecisionID: decision, CreatedAt: at("2026-05-02T10:00:00Z")})
	})
	if err != nil {
		t.Fatal(err)
	}
	marks, err := st.CandidateMarks(ctx)
	if err != nil || len(marks) != 2 {
		t.Fatalf("%+v, %v", marks, err)
	}
	if m := marks[0]; m.ID != "c1" || m.Status != "dismissed" || m.ScopeRepos[0] != "acme/api" || m.DecisionID != 0 || m.Title != "What changed?" {
		t.Errorf("first: %+v", m)
	}
	if m := marks[1]; m.ID != "c2" || m.ScopeTeam != "core" || m.DecisionID != decision || len(m.ScopeRepos) != 0 {
		t.Errorf("second: %+v", m)
	}
	// Answering again replaces; deleting the decision keeps the answer.
	err = st.Write(ctx, func(tx *store.Tx) error {
		if err := tx.MarkCandidate(ctx, store.CandidateMark{ID: "c1", Status: store.CandidateAccepted, Source: "shift", SuggestedOn: "2026-03-09",
			CreatedAt: at("2026-05-03T10:00:00Z")}); err != nil {
			return err
		}
		return tx.DeleteDecision(ctx, decision)
	})
	if err != nil {
		t.Fatal(err)
	}
	marks, _ = st.CandidateMarks(ctx)
	if len(marks) != 2 || marks[1].ID != "c1" || marks[1].Status != "accepted" || marks[1].SuggestedOn != "2026-03-09" || marks[0].DecisionID != 0 {
		t.Errorf("after replace and delete: %+v", marks)
	}
	// The status is checked by the schema.
	err = st.Write(ctx, func(tx *store.Tx) error {
		return tx.MarkCandidate(ctx, store.CandidateMark{ID: "c3", Status: "maybe", Source: "shift", SuggestedOn: "2026-03-09"})
	})
	if err == nil {
		t.Error("a status outside dismissed/accepted was stored")
	}
}
