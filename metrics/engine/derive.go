package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/tach-dev/tach/metrics"
	"github.com/tach-dev/tach/store"
)

// Deriver runs the derive step over a store: it reads each repo's history,
// derives it (metrics.DeriveOwned: which deployment shipped each change,
// which incidents belong to which deployment, failures, rollbacks, rework,
// first reviews), and writes back what changed with the repo's rollup of
// facts. A sync asks it after writing rows (collectors.Deriver); it is
// built for the repos of the moment, as their deployment settings come
// from the config's entry for each.
type Deriver struct {
	st    *store.Store
	rules metrics.Rules
	// repoRules gives a repo's deployment settings by name; the config's
	// repos[].deployments, or defaults.
	repoRules map[string]metrics.RepoRules
}

// NewDeriver returns the derive step over st. repoRules may be nil (every
// repo takes the defaults: deployments API, production environments,
// linked by commits).
func NewDeriver(st *store.Store, rules metrics.Rules, repoRules map[string]metrics.RepoRules) *Deriver {
	if rules.Location == nil {
		rules.Location = time.UTC
	}
	return &Deriver{st: st, rules: rules, repoRules: repoRules}
}

// RulesHash identifies the rules the derived columns depend on, so a
// changed config (a new incident window, other rework labels) re-derives.
func (dv *Deriver) RulesHash() string {
	var b strings.Builder
	str := func(v any) { fmt.Fprintf(&b, "%v\x00", v) }
	if dv.rules.Bots != nil {
		str(dv.rules.Bots.String())
	}
	str(rollupFormat) // a new packing rebuilds the rollups
	str(dv.rules.IncidentWindow)
	str(strings.Join(dv.rules.ReworkLabels, ","))
	if dv.rules.ReworkTitle != nil {
		str(dv.rules.ReworkTitle.String())
	}
	names := make([]string, 0, len(dv.repoRules))
	for n := range dv.repoRules {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		rr := dv.repoRules[n]
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
func (dv *Deriver) RepoRules(r store.Repo) metrics.RepoRules {
	rr, ok := dv.repoRules[r.Name]
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
func (dv *Deriver) Derive(ctx context.Context, repoIDs ...int64) error {
	if len(repoIDs) == 0 {
		repos, err := dv.st.Repos(ctx)
		if err != nil {
			return err
		}
		for _, r := range repos {
			repoIDs = append(repoIDs, r.ID)
		}
	}
	if err := dv.deriveRepos(ctx, repoIDs); err != nil {
		return err
	}
	return dv.st.Write(ctx, func(tx *store.Tx) error { return tx.SetMeta(ctx, store.MetaRulesHash, dv.RulesHash()) })
}

// deriveRepos derives repos with a pipeline: workers read a repo's history
// and compute its derived values and rollup (one repo each at a time, so
// memory holds a few repos, never the organisation), while the one write
// connection saves the repos already computed.
func (dv *Deriver) deriveRepos(ctx context.Context, repoIDs []int64) error {
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
				d.diff, d.rollup, d.err = dv.deriveRepo(ctx, id)
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
			err = dv.st.SaveDerivedRollup(ctx, d.id, d.diff, d.rollup)
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
// with other rules than the deriver's.
func (dv *Deriver) DeriveIfRulesChanged(ctx context.Context) (bool, error) {
	h, err := dv.st.Meta(ctx, store.MetaRulesHash)
	if err != nil {
		return false, err
	}
	if h == dv.RulesHash() {
		return false, nil
	}
	return true, dv.Derive(ctx)
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
func (dv *Deriver) deriveRepo(ctx context.Context, repoID int64) (store.DerivedDiff, store.Rollup, error) {
	var diff store.DerivedDiff
	// The rollup is fresh at the end only if no row of the repo is written
	// from here on.
	if err := dv.st.BeginRollup(ctx, repoID); err != nil {
		return diff, store.Rollup{}, err
	}
	// The changes are converted a page at a time, so that the store's rows
	// of a large repo are never all held beside the converted ones.
	n, err := dv.st.RepoChangeCount(ctx, repoID)
	if err != nil {
		return diff, store.Rollup{}, err
	}
	changes := make([]metrics.Change, 0, n)
	h, err := dv.st.RepoHistoryPaged(ctx, repoID, func(page []store.Change) error {
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
		Rules:       dv.RepoRules(h.Repo),
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
	out := metrics.DeriveOwned(in, dv.rules)

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
	rollup, err := dv.buildRollup(ctx, repoID, out)
	return diff, rollup, err
}
