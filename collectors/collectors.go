// Package collectors turns a code host's history into rows of the store.
//
// This package holds what every provider shares: the repos to sync, the
// sync run (a bounded pool of workers, one repo each, writing through one
// store), the sink through which a provider reads what is stored of a repo
// and writes a resource's rows and watermark in one transaction, live
// progress and the end-of-run summary. Above the run, the Syncer is a
// configuration's whole sync (groups expanded, teams and derived values
// brought up to date, webhooks applied) and the Scheduler runs it on a
// server. Each provider (collectors/github, collectors/gitlab) implements
// Provider and imports this package; this package never imports them:
// cmd/tach hands the Syncer the providers and their webhook appliers.
package collectors

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/tach-dev/tach/store"
)

// Resources a provider syncs; each keeps its own watermark in sync_state.
const (
	ResourceRepo        = "repo"
	ResourceChanges     = "changes"
	ResourceChangeFiles = "change_files" // the files of changes synced before files were collected
	ResourceDeployments = "deployments"
	ResourceRanges      = "deployment_ranges"
	ResourceCIRuns      = "ci_runs"
	ResourceIncidents   = "incidents"
	ResourceCodeowners  = "codeowners" // the CODEOWNERS file, for modules from it
)

// ResourceLabel is a resource as its reader knows it: "pull/merge
// requests", "CI runs". The sync page and `tach sync` say these words.
func ResourceLabel(resource string) string {
	switch resource {
	case ResourceRepo:
		return "repository details"
	case ResourceChanges:
		return "pull/merge requests"
	case ResourceChangeFiles:
		return "changed files"
	case ResourceDeployments:
		return "deployments"
	case ResourceRanges:
		return "deployed commits"
	case ResourceCIRuns:
		return "CI runs"
	case ResourceIncidents:
		return "incidents"
	}
	return resource
}

// Repo is one repository to sync and the settings that shape what is
// collected for it.
type Repo struct {
	Provider     string // store.GitHub or store.GitLab
	Name         string // owner/name or group/sub/project
	Source       string // deployments, workflow, releases, merges
	Environments *regexp.Regexp
	Workflow     string // source workflow: the workflow / pipeline / job name
	Link         string // commits or time
	// Codeowners: the repo's modules come from its CODEOWNERS file, read
	// at each sync (one per owner).
	Codeowners bool
}

// Options are the settings of a sync run.
type Options struct {
	// History is how far back the first sync of a repo goes.
	History time.Duration
	// IncidentLabels mark an issue as an incident.
	IncidentLabels []string
	// Workers is how many repos sync at once.
	Workers int
	// Now is the clock (time.Now when nil); tests set it.
	Now func() time.Time
}

// Since is the earliest time a first sync asks for.
func (o Options) Since() time.Time {
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	return now().Add(-o.History).UTC()
}

// Provider collects one code host.
type Provider interface {
	// Name is store.GitHub or store.GitLab.
	Name() string
	// SyncRepo brings one repo's rows up to date through sink. It returns
	// when every resource is synced, or on the first error it cannot
	// recover from; rows committed before the error stay.
	SyncRepo(ctx context.Context, repo Repo, sink *Sink) error
}

// Expander is a Provider that can list the repos of a group
// (gitlab_group).
type Expander interface {
	ExpandGroup(ctx context.Context, group string, includeArchived bool) ([]string, error)
}

// Run syncs repos with at most opts.Workers at once and returns a summary;
// a repo that fails does not stop the others. The returned error is
// non-nil only when the run itself could not start or was cancelled;
// per-repo failures are in the summary.
func Run(ctx context.Context, st *store.Store, providers map[string]Provider, repos []Repo, opts Options, tracker *Tracker) (*Summary, error) {
	if tracker == nil {
		tracker = NewTracker()
	}
	workers := max(1, opts.Workers)
	sum := &Summary{Started: time.Now()}
	jobs := make(chan Repo)
	var wg sync.WaitGroup
	var mu sync.Mutex
	for range min(workers, max(1, len(repos))) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for repo := range jobs {
				rs := syncOne(ctx, st, providers, repo, opts, tracker)
				mu.Lock()
				sum.Repos = append(sum.Repos, rs)
				mu.Unlock()
			}
		}()
	}
feed:
	for _, r := range repos {
		select {
		case jobs <- r:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	sort.Slice(sum.Repos, func(i, j int) bool { return sum.Repos[i].Repo < sum.Repos[j].Repo })
	sum.Duration = time.Since(sum.Started)
	if err := ctx.Err(); err != nil {
		return sum, err
	}
	return sum, nil
}

func syncOne(ctx context.Context, st *store.Store, providers map[string]Provider, repo Repo, opts Options, tracker *Tracker) RepoSummary {
	rs := RepoSummary{Repo: repo.Name, Provider: repo.Provider, Resources: map[string]*ResourceSummary{}, RateLimitRemaining: -1}
	p, ok := providers[repo.Provider]
	if !ok {
		rs.Err = fmt.Errorf("sync %s: no %s collector configured", repo.Name, repo.Provider)
		return rs
	}
	var repoID int64
	err := st.Write(ctx, func(tx *store.Tx) error {
		var err error
		repoID, _, err = tx.UpsertRepoName(ctx, repo.Provider, repo.Name)
		return err
	})
	if err != nil {
		rs.Err = fmt.Errorf("sync %s: %w", repo.Name, err)
		return rs
	}
	rs.RepoID = repoID
	sink := &Sink{st: st, repo: repo, repoID: repoID, opts: opts, summary: &rs, tracker: tracker}
	since := opts.Since()
	tracker.start(repo.Name)
	err = p.SyncRepo(ctx, repo, sink)
	if err != nil {
		rs.Err = err
		sink.recordError(ctx, err)
	}
	if err == nil || rs.wrote() {
		recordHistoryStart(context.WithoutCancel(ctx), st, &rs, since)
	}
	tracker.finish(repo.Name, err)
	return rs
}

// recordHistoryStart records the repo's history start at its first sync
// that succeeded or stored something: the time its lists were read back to
// (METRICS.md, "Where history starts"). A first sync that failed before
// storing anything leaves it to the next, which reads back from its own
// start.
func recordHistoryStart(ctx context.Context, st *store.Store, rs *RepoSummary, since time.Time) {
	err := st.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.InitHistoryStart(ctx, rs.RepoID, since)
		return err
	})
	if err != nil && rs.Err == nil {
		rs.Err = fmt.Errorf("sync %s: %w", rs.Repo, err)
	}
}

// Summary is what a sync run did.
type Summary struct {
	Started  time.Time
	Duration time.Duration
	Repos    []RepoSummary
}

// RepoSummary is what a sync did for one repo.
type RepoSummary struct {
	Repo      string
	Provider  string
	RepoID    int64
	Resources map[string]*ResourceSummary
	Requests  int
	// RateLimitRemaining is the provider's rate limit left after the last
	// request (-1 when the provider did not say).
	RateLimitRemaining int
	RateLimitReset     time.Time
	Err                error
}

// ResourceSummary counts the rows one resource wrote.
type ResourceSummary struct {
	New, Updated, Unchanged, Requests int
	// Warnings say what the resource synced but not wholly as it should
	// (Sink.Warn).
	Warnings []string
}

// wrote reports whether the sync stored at least one row of the repo.
func (r RepoSummary) wrote() bool {
	for _, res := range r.Resources {
		if res.New+res.Updated > 0 {
			return true
		}
	}
	return false
}

// Failed lists the repos that failed.
func (s *Summary) Failed() []RepoSummary {
	var out []RepoSummary
	for _, r := range s.Repos {
		if r.Err != nil {
			out = append(out, r)
		}
	}
	return out
}

// Touched lists the ids of the repos that got at least one row, for the
// derive step.
func (s *Summary) Touched() []int64 {
	var ids []int64
	for _, r := range s.Repos {
		if r.RepoID != 0 && r.wrote() {
			ids = append(ids, r.RepoID)
		}
	}
	return ids
}

// Requests is the number of API requests the run made.
func (s *Summary) Requests() int {
	n := 0
	for _, r := range s.Repos {
		n += r.Requests
	}
	return n
}

// ErrRepoNotFound is wrapped by a provider's error for a repo that does not
// exist or that the token cannot see.
var ErrRepoNotFound = errors.New("repository not found")

// ErrUnauthorized is wrapped by a provider's error for a rejected token.
var ErrUnauthorized = errors.New("token rejected")

// ErrRateLimited is wrapped by a provider's error when the primary rate
// limit is spent and its reset is too far away to wait for.
var ErrRateLimited = errors.New("rate limit spent")

// HasLabel reports whether labels holds one of want (case-insensitively).
func HasLabel(labels, want []string) bool {
	return slices.ContainsFunc(labels, func(l string) bool {
		return slices.ContainsFunc(want, func(w string) bool { return strings.EqualFold(l, w) })
	})
}
