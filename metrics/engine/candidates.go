package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tach-dev/tach/metrics"
	"github.com/tach-dev/tach/metrics/impact"
	"github.com/tach-dev/tach/metrics/render"
	"github.com/tach-dev/tach/store"
)

// Suggested decisions: impact.SuggestDecisions over every repo's history,
// minus what is recorded, dismissed or accepted.

// ErrUnknownCandidate is wrapped when a candidate id is not among the
// current suggestions.
var ErrUnknownCandidate = errors.New("unknown candidate")

// Candidates returns the decisions the data suggests that are neither
// recorded nor answered yet. The search reads every repo's whole history:
// heavy work, in a slot of the reports' gate, run once for the callers
// that ask at the same time (who share the result, as of the first one's
// now, and must not change it) and stopped when they have all gone.
func (l *DecisionLog) Candidates(ctx context.Context, now time.Time) ([]impact.Candidate, error) {
	return l.candidates.do(ctx, "candidates", func(ctx context.Context) ([]impact.Candidate, error) {
		release, err := l.reports.gate.Compute(ctx)
		if err != nil {
			return nil, err
		}
		defer release()
		return l.suggest(ctx, now)
	})
}

func (l *DecisionLog) suggest(ctx context.Context, now time.Time) ([]impact.Candidate, error) {
	loc := l.reports.rules.Location
	repos, err := l.st.Repos(ctx)
	if err != nil {
		return nil, err
	}
	teams, err := l.reports.TeamList(ctx)
	if err != nil {
		return nil, err
	}
	in := impact.CandidateInput{Teams: map[string][]string{}, Rules: l.reports.rules, Now: now}
	teamOf := map[string]string{}
	for _, t := range teams {
		in.Teams[t.Name] = t.Repos
		for _, r := range t.Repos {
			if _, ok := teamOf[r]; !ok {
				teamOf[r] = t.Name
			}
		}
	}
	all := Resolved{}
	for _, r := range repos {
		in.Repos = append(in.Repos, impact.CandidateRepo{ID: r.ID, Name: r.Name, CreatedAt: r.CreatedAt, Team: teamOf[r.Name]})
		all.IDs = append(all.IDs, r.ID)
		all.Names = append(all.Names, r.Name)
	}
	if in.Dataset, err = l.reports.Dataset(ctx, all, metrics.Window{From: time.Unix(0, 0), To: now}); err != nil {
		return nil, fmt.Errorf("candidates: %w", err)
	}
	decisions, err := l.st.Decisions(ctx)
	if err != nil {
		return nil, err
	}
	for _, d := range decisions {
		day, err := time.ParseInLocation(time.DateOnly, d.DecidedOn, loc)
		if err != nil {
			continue
		}
		in.Recorded = append(in.Recorded, impact.CandidateScope{Day: day, Team: d.ScopeTeam, Repos: d.ScopeRepos})
	}
	marks, err := l.st.CandidateMarks(ctx)
	if err != nil {
		return nil, err
	}
	for _, m := range marks {
		day, _ := time.ParseInLocation(time.DateOnly, m.SuggestedOn, loc)
		in.Answered = append(in.Answered, impact.CandidateScope{Day: day, Source: m.Source, ID: m.ID, Team: m.ScopeTeam, Repos: m.ScopeRepos})
	}
	in.Stop = ctx.Err
	cands, err := impact.SuggestDecisions(in)
	if err != nil {
		return nil, fmt.Errorf("candidates: %w", err)
	}
	render.ExplainCandidates(cands)
	return cands, nil
}

// Candidate finds one current suggestion by id.
func (l *DecisionLog) Candidate(ctx context.Context, id string, now time.Time) (impact.Candidate, error) {
	cands, err := l.Candidates(ctx, now)
	if err != nil {
		return impact.Candidate{}, err
	}
	for _, c := range cands {
		if strings.EqualFold(c.ID, strings.TrimSpace(id)) {
			return c, nil
		}
	}
	return impact.Candidate{}, fmt.Errorf("%w: %q is not among the current suggestions (list them with `tach decisions candidates`)", ErrUnknownCandidate, id)
}

// CandidateInput is a suggestion as decision input: its date, title, kind
// and scope, with its evidence as the note. The caller may change any field
// before AcceptCandidate.
func CandidateInput(c impact.Candidate) DecisionInput {
	note := "Suggested by tach (" + c.Source + "): " + strings.Join(c.Evidence, "; ") + "."
	return DecisionInput{Date: c.Date, Title: c.Title, Kind: c.Kind, Team: c.Team, Repos: c.Repos, Note: note}
}

// AcceptCandidate records candidate c as the decision in, and remembers
// the answer, in one transaction.
func (l *DecisionLog) AcceptCandidate(ctx context.Context, c impact.Candidate, in DecisionInput) (store.Decision, error) {
	d, err := l.CheckDecision(ctx, in)
	if err != nil {
		return d, err
	}
	err = l.st.Write(ctx, func(tx *store.Tx) error {
		if d.ID, err = tx.InsertDecision(ctx, d); err != nil {
			return err
		}
		return tx.MarkCandidate(ctx, markOf(c, store.CandidateAccepted, d.ID))
	})
	if err != nil {
		return d, err
	}
	return l.st.DecisionByID(ctx, d.ID)
}

// DismissCandidate remembers that c is not a decision worth recording.
func (l *DecisionLog) DismissCandidate(ctx context.Context, c impact.Candidate) error {
	return l.st.Write(ctx, func(tx *store.Tx) error {
		return tx.MarkCandidate(ctx, markOf(c, store.CandidateDismissed, 0))
	})
}

func markOf(c impact.Candidate, status string, decisionID int64) store.CandidateMark {
	return store.CandidateMark{ID: c.ID, Status: status, Source: c.Source, SuggestedOn: c.Date,
		ScopeTeam: c.Team, ScopeRepos: c.Repos, Title: c.Title, DecisionID: decisionID}
}
