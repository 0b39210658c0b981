package engine

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/tach-dev/tach/metrics/impact"
	"github.com/tach-dev/tach/store"
)

// DecisionLog is the log of decisions and what is asked of it: the
// decisions, checked as a user gives them (CLI flags, a form) and written —
// the CLI and the web share these, so both refuse the same mistakes with
// the same words —, comparisons before and after them (compare.go), and the
// decisions the data suggests (candidates.go). It resolves scopes and
// reads rows through the Reports it is built on.
type DecisionLog struct {
	st         *store.Store
	reports    *Reports
	compares   flights[impact.Comparison]  // comparisons being computed (compare.go)
	candidates flights[[]impact.Candidate] // suggestions being computed (candidates.go)
	onStep     func()                      // called at each step of a comparison (tests count them)
}

// NewDecisionLog returns the decision log in the store of r, whose scopes,
// teams, rules and rows it reads.
func NewDecisionLog(r *Reports) *DecisionLog {
	return &DecisionLog{st: r.st, reports: r}
}

// ErrInvalidDecision is wrapped by every error about a decision's fields.
var ErrInvalidDecision = errors.New("invalid decision")

// Limits of a decision's text.
const (
	MaxDecisionTitle = 200
	MaxDecisionNote  = 10000
)

// DecisionInput is a decision as a user gives it.
type DecisionInput struct {
	Date  string // YYYY-MM-DD, a day in the configured timezone
	Title string
	Kind  string // one of store.DecisionKinds
	Team  string // a team; or
	Repos []string
	// Modules (REPO:NAME) the decision concerns, beside Repos.
	Modules []string
	// BeforeScope and AfterScope, when the decision compares one scope
	// before against another after (a module before, the service it
	// became after): each a scope written as one value (ParseScope).
	BeforeScope, AfterScope string
	Note                    string
	Link                    string // an http(s) URL, or empty
}

// InputOf turns a recorded decision back into input, for editing.
func InputOf(d store.Decision) DecisionInput {
	return DecisionInput{Date: d.DecidedOn, Title: d.Title, Kind: d.Kind, Team: d.ScopeTeam,
		Repos: slices.Clone(d.ScopeRepos), Modules: slices.Clone(d.ScopeModules), BeforeScope: d.BeforeScope, AfterScope: d.AfterScope,
		Note: d.Note, Link: d.Link}
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidDecision, fmt.Sprintf(format, args...))
}

// CheckDecision checks a decision's fields, the team and repos against the
// database, and returns it ready to store. Every error wraps
// ErrInvalidDecision or ErrUnknownScope and fits on one line.
func (l *DecisionLog) CheckDecision(ctx context.Context, in DecisionInput) (store.Decision, error) {
	var d store.Decision
	title := strings.TrimSpace(in.Title)
	switch {
	case title == "":
		return d, invalid("the title is empty")
	case len([]rune(title)) > MaxDecisionTitle:
		return d, invalid("the title is longer than %d characters", MaxDecisionTitle)
	case strings.ContainsFunc(title, unicode.IsControl):
		return d, invalid("the title must be one line")
	case len([]rune(in.Note)) > MaxDecisionNote:
		return d, invalid("the note is longer than %d characters", MaxDecisionNote)
	}
	date := strings.TrimSpace(in.Date)
	if _, err := time.ParseInLocation(time.DateOnly, date, l.reports.rules.Location); err != nil {
		return d, invalid("the date %q is not a date: want YYYY-MM-DD", in.Date)
	}
	kind := strings.ToLower(strings.TrimSpace(in.Kind))
	if kind == "" {
		return d, invalid("choose a kind: %s", strings.Join(store.DecisionKinds, ", "))
	}
	if !slices.Contains(store.DecisionKinds, kind) {
		return d, invalid("the kind %q is not one of %s", in.Kind, strings.Join(store.DecisionKinds, ", "))
	}
	link := strings.TrimSpace(in.Link)
	if link != "" {
		u, err := url.Parse(link)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return d, invalid("the link %q is not an http(s) URL", in.Link)
		}
	}
	team := strings.TrimSpace(in.Team)
	var repos []string
	for _, r := range in.Repos {
		if r = strings.TrimSpace(r); r != "" && !slices.Contains(repos, r) {
			repos = append(repos, r)
		}
	}
	var modules []string
	for _, m := range in.Modules {
		if m = strings.TrimSpace(m); m != "" && !slices.Contains(modules, m) {
			modules = append(modules, m)
		}
	}
	if team != "" && len(repos)+len(modules) > 0 {
		return d, invalid("give a team, or repos and modules, as the scope, not both")
	}
	if team != "" || len(repos)+len(modules) > 0 {
		if _, err := l.reports.Resolve(ctx, Scope{Team: team, Repos: repos, Modules: modules}); err != nil {
			return d, err
		}
	}
	sides := [2]string{}
	for i, raw := range []string{in.BeforeScope, in.AfterScope} {
		if raw = strings.TrimSpace(raw); raw == "" {
			continue
		}
		sc, err := ParseScope(raw)
		if err != nil {
			return d, invalid("the %s scope: %v", [2]string{"before", "after"}[i], err)
		}
		if _, err := l.reports.Resolve(ctx, sc); err != nil {
			return d, fmt.Errorf("the %s scope: %w", [2]string{"before", "after"}[i], err)
		}
		sides[i] = FormatScope(sc)
	}
	return store.Decision{DecidedOn: date, Title: title, Kind: kind, ScopeTeam: team, ScopeRepos: repos, ScopeModules: modules,
		BeforeScope: sides[0], AfterScope: sides[1], Note: strings.TrimSpace(in.Note), Link: link}, nil
}

// AddDecision checks and records a decision.
func (l *DecisionLog) AddDecision(ctx context.Context, in DecisionInput) (store.Decision, error) {
	d, err := l.CheckDecision(ctx, in)
	if err != nil {
		return d, err
	}
	err = l.st.Write(ctx, func(tx *store.Tx) error {
		d.ID, err = tx.InsertDecision(ctx, d)
		return err
	})
	if err != nil {
		return d, err
	}
	return l.st.DecisionByID(ctx, d.ID)
}

// UpdateDecision checks and rewrites decision id.
func (l *DecisionLog) UpdateDecision(ctx context.Context, id int64, in DecisionInput) (store.Decision, error) {
	if _, err := l.st.DecisionByID(ctx, id); err != nil {
		return store.Decision{}, err
	}
	d, err := l.CheckDecision(ctx, in)
	if err != nil {
		return d, err
	}
	d.ID = id
	if err := l.st.Write(ctx, func(tx *store.Tx) error { return tx.UpdateDecision(ctx, d) }); err != nil {
		return d, err
	}
	return l.st.DecisionByID(ctx, id)
}

// DeleteDecision removes decision id.
func (l *DecisionLog) DeleteDecision(ctx context.Context, id int64) error {
	return l.st.Write(ctx, func(tx *store.Tx) error { return tx.DeleteDecision(ctx, id) })
}

// Decisions lists the decision log, oldest first.
func (l *DecisionLog) Decisions(ctx context.Context) ([]store.Decision, error) {
	return l.st.Decisions(ctx)
}

// Decision is one recorded decision; the error wraps store.ErrNotFound
// when there is none with id.
func (l *DecisionLog) Decision(ctx context.Context, id int64) (store.Decision, error) {
	return l.st.DecisionByID(ctx, id)
}
