package web

import (
	"context"
	"net/http"
	"time"

	"github.com/tach-dev/tach/metrics/engine"
	"github.com/tach-dev/tach/metrics/impact"
	"github.com/tach-dev/tach/store"
)

// DecisionLog is what the decision, suggestion and compare pages ask
// (*engine.DecisionLog): comparisons, the decision log with its one
// validation path (CheckDecision, shared with `tach decisions`), and the
// suggested decisions.
type DecisionLog interface {
	Compare(ctx context.Context, req engine.CompareRequest, now time.Time) (impact.Comparison, error)
	Decisions(ctx context.Context) ([]store.Decision, error)
	Decision(ctx context.Context, id int64) (store.Decision, error)
	CheckDecision(ctx context.Context, in engine.DecisionInput) (store.Decision, error)
	AddDecision(ctx context.Context, in engine.DecisionInput) (store.Decision, error)
	UpdateDecision(ctx context.Context, id int64, in engine.DecisionInput) (store.Decision, error)
	DeleteDecision(ctx context.Context, id int64) error
	Candidates(ctx context.Context, now time.Time) ([]impact.Candidate, error)
	Candidate(ctx context.Context, id string, now time.Time) (impact.Candidate, error)
	AcceptCandidate(ctx context.Context, c impact.Candidate, in engine.DecisionInput) (store.Decision, error)
	DismissCandidate(ctx context.Context, c impact.Candidate) error
}

// Write access. Every handler that changes the decision log (create, edit,
// delete, accept and dismiss a suggestion) and every form that leads to one
// goes through requireWrite, and pages show their write buttons only when
// canWrite says so. canWrite asks the server's sign-in (auth.go): the
// write role of a local user or a trusted proxy's user; with sign-in off
// (loopback only), everyone.

// requireWrite wraps a handler that writes the decision log, or serves a
// form that leads to a write: a reader who may not write gets 403 and is
// told why. Cross-site writes are refused before, by the crossOrigin
// middleware that every server has.
func (s *Server) requireWrite(h handlerFunc) handlerFunc {
	return s.writersOnly(&httpError{status: http.StatusForbidden, msg: "You may read the decision log but not change it.",
		hint: "Ask someone who may write to make the change."}, h)
}
