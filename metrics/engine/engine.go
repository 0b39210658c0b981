// Package engine is where the store meets the metrics: it loads the rows a
// scope and window need, runs the pure packages of metrics on them (reports
// from the repos' rollups of facts, decision impact, the weekly review), and
// writes back what the derive step finds (which deployment shipped each
// change, which incidents belong to which deployment, failures, rollbacks,
// rework) with each repo's rollup. The web server and the CLI both ask it
// for reports.
package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/tach-dev/tach/metrics"
	"github.com/tach-dev/tach/store"
)

// Engine answers report queries over one store.
type Engine struct {
	st    *store.Store
	rules metrics.Rules
	// repoRules gives a repo's deployment settings by name; the config's
	// repos[].deployments, or defaults.
	repoRules map[string]metrics.RepoRules
	// Teams, when set, replace the teams recorded in the database (the
	// config's teams, resolved against the repos synced so far).
	Teams []store.Team

	cache pageCache // see cache.go
}

// New returns an engine over st. repoRules may be nil (every repo takes the
// defaults: deployments API, production environments, linked by commits).
func New(st *store.Store, rules metrics.Rules, repoRules map[string]metrics.RepoRules) *Engine {
	if rules.Location == nil {
		rules.Location = time.UTC
	}
	return &Engine{st: st, rules: rules, repoRules: repoRules}
}

// Rules are the organisation-wide rules the engine applies.
func (e *Engine) Rules() metrics.Rules { return e.rules }

// Store is the engine's store, for read-only listings beside a report.
func (e *Engine) Store() *store.Store { return e.st }

// Scope is what a report covers: every repo, one team, or some repos.
type Scope struct {
	Repos []string // names; empty with no team means every repo
	Team  string
}

// ErrUnknownScope is wrapped by errors about a repo or team that is not in
// the database.
var ErrUnknownScope = errors.New("unknown scope")

// Resolved is a scope turned into repo ids and names.
type Resolved struct {
	Scope
	IDs   []int64
	Names []string
}

// Resolve turns a scope into the repos it names, or says which name is
// unknown.
func (e *Engine) Resolve(ctx context.Context, sc Scope) (Resolved, error) {
	m, _, _, err := e.meta(ctx)
	if err != nil {
		return Resolved{}, err
	}
	return m.resolve(sc)
}

func resolve(sc Scope, repos []store.Repo, teams []store.Team) (Resolved, error) {
	byName := make(map[string]store.Repo, len(repos))
	for _, r := range repos {
		byName[r.Name] = r
	}
	want := sc.Repos
	if sc.Team != "" {
		i := slices.IndexFunc(teams, func(t store.Team) bool { return t.Name == sc.Team })
		if i < 0 {
			names := make([]string, len(teams))
			for j, t := range teams {
				names[j] = t.Name
			}
			return Resolved{}, fmt.Errorf("%w: team %q is not configured (teams: %s)", ErrUnknownScope, sc.Team, orNone(names))
		}
		if len(want) == 0 {
			want = teams[i].Repos
		} else {
			// --team and --repo together: the team's repos among those named.
			want = slices.DeleteFunc(slices.Clone(want), func(n string) bool { return !slices.Contains(teams[i].Repos, n) })
		}
	}
	if len(want) == 0 && sc.Team == "" {
		for _, r := range repos {
			want = append(want, r.Name)
		}
	}
	res := Resolved{Scope: sc}
	for _, n := range want {
		r, ok := byName[n]
		if !ok {
			names := make([]string, 0, len(repos))
			for _, r := range repos {
				names = append(names, r.Name)
			}
			return Resolved{}, fmt.Errorf("%w: repo %q is not in the database (repos: %s)", ErrUnknownScope, n, orNone(names))
		}
		if !slices.Contains(res.IDs, r.ID) {
			res.IDs = append(res.IDs, r.ID)
			res.Names = append(res.Names, r.Name)
		}
	}
	sort.Strings(res.Names)
	return res, nil
}

func orNone(names []string) string {
	if len(names) == 0 {
		return "none yet"
	}
	// An organisation of a thousand repos: the first few are enough to
	// see the spelling.
	const shown = 20
	if len(names) > shown {
		return strings.Join(names[:shown], ", ") + fmt.Sprintf(", … (%d in all)", len(names))
	}
	return strings.Join(names, ", ")
}

// Dataset loads the rows a report over w needs for the resolved repos.
func (e *Engine) Dataset(ctx context.Context, r Resolved, w metrics.Window) (metrics.Dataset, error) {
	changes, err := e.st.ChangesForWindow(ctx, r.IDs, w.From, w.To)
	if err != nil {
		return metrics.Dataset{}, err
	}
	deps, err := e.st.DeploymentsForWindow(ctx, r.IDs, w.From, w.To)
	if err != nil {
		return metrics.Dataset{}, err
	}
	incidents, err := e.st.IncidentsForWindow(ctx, r.IDs, w.From, w.To)
	if err != nil {
		return metrics.Dataset{}, err
	}
	runs, err := e.st.CIRunsForWindow(ctx, r.IDs, w.From, w.To)
	if err != nil {
		return metrics.Dataset{}, err
	}
	return assembleDataset(changes, deps, incidents, runs), nil
}

// Report computes every measure for a scope and window, from the repos'
// rollups where they are fresh (see rollup.go) and from rows elsewhere:
// the same report either way.
func (e *Engine) Report(ctx context.Context, sc Scope, w metrics.Window, now time.Time) (metrics.Report, error) {
	r, err := e.Resolve(ctx, sc)
	if err != nil {
		return metrics.Report{}, err
	}
	rep, err := e.report(ctx, r, w, now)
	if err != nil {
		return metrics.Report{}, fmt.Errorf("report: %w", err)
	}
	return scoped(rep, r), nil
}

// Weekly computes every measure for each whole week of w.
func (e *Engine) Weekly(ctx context.Context, sc Scope, w metrics.Window, now time.Time) ([]metrics.WeekReport, error) {
	r, err := e.Resolve(ctx, sc)
	if err != nil {
		return nil, err
	}
	weeks, err := e.weekly(ctx, r, w, now)
	if err != nil {
		return nil, fmt.Errorf("weekly report: %w", err)
	}
	return weeks, nil
}

// RulesHash identifies the rules the derived columns depend on, so a
// changed config (a new incident window, other rework labels) re-derives.
func (e *Engine) RulesHash() string {
	var b strings.Builder
	str := func(v any) { fmt.Fprintf(&b, "%v\x00", v) }
	if e.rules.Bots != nil {
		str(e.rules.Bots.String())
	}
	str(rollupFormat) // a new packing rebuilds the rollups
	str(e.rules.IncidentWindow)
	str(strings.Join(e.rules.ReworkLabels, ","))
	if e.rules.ReworkTitle != nil {
		str(e.rules.ReworkTitle.String())
	}
	names := make([]string, 0, len(e.repoRules))
	for n := range e.repoRules {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		rr := e.repoRules[n]
		env := ""
		if rr.Environments != nil {
			env = rr.Environments.String()
		}
		str(n + "|" + rr.Source + "|" + rr.Link + "|" + env)
	}
	sum := sha256.Sum256([]byte(b.String()))
	return hex.EncodeToString(sum[:8])
}

// RepoRules returns the deployment settings of a repo.
func (e *Engine) RepoRules(r store.Repo) metrics.RepoRules {
	rr, ok := e.repoRules[r.Name]
	if !ok {
		rr = metrics.DefaultRepoRules()
	}
	if rr.Environments == nil {
		rr.Environments = metrics.DefaultRepoRules().Environments
	}
	if rr.Source == "" {
		rr.Source = metrics.SourceDeployments
	}
	if rr.Link == "" {
		rr.Link = metrics.LinkCommits
	}
	rr.DefaultBranch = r.DefaultBranch
	return rr
}

// Derive recomputes the derived values of the given repos (all when none
// are given) and records the rules they were computed with.
func (e *Engine) Derive(ctx context.Context, repoIDs ...int64) error {
	if len(repoIDs) == 0 {
		repos, err := e.st.Repos(ctx)
		if err != nil {
			return err
		}
		for _, r := range repos {
			repoIDs = append(repoIDs, r.ID)
		}
	}
	if err := e.deriveRepos(ctx, repoIDs); err != nil {
		return err
	}
	return e.st.Write(ctx, func(tx *store.Tx) error { return tx.SetMeta(ctx, store.MetaRulesHash, e.RulesHash()) })
}

// deriveRepos derives repos with a pipeline: workers read a repo's history
// and compute its derived values and rollup (one repo each at a time, so
// memory holds a few repos, never the organisation), while the one write
// connection saves the repos already computed.
func (e *Engine) deriveRepos(ctx context.Context, repoIDs []int64) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type derived struct {
		id     int64
		diff   store.DerivedDiff
		rollup store.Rollup
		err    error
	}
	jobs := make(chan int64)
	results := make(chan derived, 1)
	var wg sync.WaitGroup
	for range max(1, min(runtime.GOMAXPROCS(0), len(repoIDs))) {
		wg.Go(func() {
			for id := range jobs {
				d := derived{id: id}
				d.diff, d.rollup, d.err = e.deriveRepo(ctx, id)
				select {
				case results <- d:
				case <-ctx.Done():
					return
				}
			}
		})
	}
	go func() {
		defer close(jobs)
		for _, id := range repoIDs {
			select {
			case jobs <- id:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() { wg.Wait(); close(results) }()
	var err error
	for d := range results {
		if err != nil {
			continue // drain
		}
		if d.err != nil {
			err = d.err
		} else {
			err = e.st.SaveDerivedRollup(ctx, d.id, d.diff, d.rollup)
		}
		if err != nil {
			cancel()
		}
	}
	if err == nil {
		err = ctx.Err()
	}
	return err
}

// DeriveIfRulesChanged re-derives every repo when the database was derived
// with other rules than the engine's.
func (e *Engine) DeriveIfRulesChanged(ctx context.Context) (bool, error) {
	h, err := e.st.Meta(ctx, store.MetaRulesHash)
	if err != nil {
		return false, err
	}
	if h == e.RulesHash() {
		return false, nil
	}
	return true, e.Derive(ctx)
}

// deploymentOutcome is what the derive step decides about a deployment.
type deploymentOutcome struct {
	production, failedAttempt, failed, rollback, rework bool
	failureCause, recoveredBy                           string
	recoveredAt                                         time.Time
}

func outcomeOf(d metrics.Deployment) deploymentOutcome {
	return deploymentOutcome{d.Production, d.FailedAttempt, d.Failed, d.Rollback, d.Rework, d.FailureCause, d.RecoveredBy, d.RecoveredAt}
}

func (o deploymentOutcome) equal(p deploymentOutcome) bool {
	return o.production == p.production && o.failedAttempt == p.failedAttempt && o.failed == p.failed && o.rollback == p.rollback &&
		o.rework == p.rework && o.failureCause == p.failureCause && o.recoveredBy == p.recoveredBy && o.recoveredAt.Equal(p.recoveredAt)
}

// deriveRepo reads a repo's history, derives it, and returns what differs
// from what is stored, and its rollup.
func (e *Engine) deriveRepo(ctx context.Context, repoID int64) (store.DerivedDiff, store.Rollup, error) {
	var diff store.DerivedDiff
	// The rollup is fresh at the end only if no row of the repo is written
	// from here on.
	if err := e.st.BeginRollup(ctx, repoID); err != nil {
		return diff, store.Rollup{}, err
	}
	// The changes are converted a page at a time, so that the store's rows
	// of a large repo are never all held beside the engine's.
	n, err := e.st.RepoChangeCount(ctx, repoID)
	if err != nil {
		return diff, store.Rollup{}, err
	}
	changes := make([]metrics.Change, 0, n)
	h, err := e.st.RepoHistoryPaged(ctx, repoID, func(page []store.Change) error {
		for _, c := range page {
			changes = append(changes, toChange(c))
		}
		return nil
	})
	if err != nil {
		return diff, store.Rollup{}, err
	}
	in := metrics.RepoHistory{
		RepoID:      repoID,
		Rules:       e.RepoRules(h.Repo),
		Changes:     changes,
		Deployments: mapSlice(h.Deployments, toDeployment),
		Incidents:   mapSlice(h.Incidents, toIncident),
	}
	// The stored derived values are in's (the conversion keeps them): the
	// store's rows can go now. Only those values are kept aside, to write
	// what changed, and in is derived in place, so that the history of a
	// large repo is held once.
	h = store.History{}
	type changeWas struct {
		review, approval time.Time
		deployment       int64
	}
	changesWere := make([]changeWas, len(in.Changes))
	for i, c := range in.Changes {
		changesWere[i] = changeWas{c.FirstReviewAt, c.FirstApprovalAt, c.DeploymentID}
	}
	depsWere := make([]deploymentOutcome, len(in.Deployments))
	for i, d := range in.Deployments {
		depsWere[i] = outcomeOf(d)
	}
	incidentsWere := make([]int64, len(in.Incidents))
	for i, inc := range in.Incidents {
		incidentsWere[i] = inc.DeploymentID
	}
	out := metrics.DeriveOwned(in, e.rules)

	// Derive keeps the order of the rows it is given: out's row i was in's.
	for i, c := range out.Changes {
		old := changesWere[i]
		if !c.FirstReviewAt.Equal(old.review) || !c.FirstApprovalAt.Equal(old.approval) {
			diff.Changes = append(diff.Changes, store.Change{ID: c.ID, FirstReviewAt: c.FirstReviewAt, FirstApprovalAt: c.FirstApprovalAt})
		}
		if c.DeploymentID != old.deployment {
			if old.deployment != 0 {
				diff.Unlinked = append(diff.Unlinked, c.ID)
			}
			if c.DeploymentID != 0 {
				diff.Linked = append(diff.Linked, store.Link{DeploymentID: c.DeploymentID, ChangeID: c.ID})
			}
		}
	}
	for i, d := range out.Deployments {
		if !outcomeOf(d).equal(depsWere[i]) {
			diff.Deployments = append(diff.Deployments, store.Deployment{ID: d.ID, Production: d.Production, FailedAttempt: d.FailedAttempt, Failed: d.Failed,
				FailureCause: d.FailureCause, Rollback: d.Rollback, Rework: d.Rework, RecoveredAt: d.RecoveredAt, RecoveredBy: d.RecoveredBy})
		}
	}
	for i, inc := range out.Incidents {
		if inc.DeploymentID != incidentsWere[i] {
			diff.Incidents = append(diff.Incidents, store.Incident{ID: inc.ID, DeploymentID: inc.DeploymentID})
		}
	}
	rollup, err := e.buildRollup(ctx, repoID, out)
	return diff, rollup, err
}
