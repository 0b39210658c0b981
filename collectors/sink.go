package collectors

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/tach-dev/tach/collectors/codeowners"
	"github.com/tach-dev/tach/store"
)

// Sink is a provider's only way to the store for one repo: it reads what
// earlier syncs stored through named methods, and writes rows through
// Commit. Every Commit writes a batch of rows and the resource's sync
// state (its watermark) in one transaction, so a sync killed at any moment
// resumes from the last batch it committed and ends with exactly the rows
// of one clean sync.
type Sink struct {
	st      *store.Store
	repo    Repo
	repoID  int64
	opts    Options
	summary *RepoSummary
	tracker *Tracker
	mu      sync.Mutex
}

// RepoID is the store's id of the repo being synced.
func (s *Sink) RepoID() int64 { return s.repoID }

// Options are the run's options.
func (s *Sink) Options() Options { return s.opts }

// State reads the sync state of one resource of the repo.
func (s *Sink) State(ctx context.Context, resource string) (store.SyncState, error) {
	return s.st.SyncState(ctx, s.repoID, resource)
}

// The reads a provider makes of what earlier syncs stored of the repo, to
// decide what it must ask the API again. A provider reads the store only
// through these, and writes only through Commit's Batch.

// allTimeFrom and allTimeTo bound a window that holds every stored row
// (Unix seconds, as the store reads windows).
var allTimeFrom, allTimeTo = int64(0), time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC).Unix()

// StoredRepo is the repo's own row (default branch, url, ...).
func (s *Sink) StoredRepo(ctx context.Context) (store.Repo, error) {
	return s.st.RepoByName(ctx, s.repo.Name)
}

// StoredChange is the repo's change (pull or merge request) of that
// number; an error wrapping store.ErrNotFound when none is stored.
func (s *Sink) StoredChange(ctx context.Context, number int64) (store.Change, error) {
	return s.st.ChangeByNumber(ctx, s.repoID, number)
}

// MergedChanges are the repo's changes merged at or after since.
func (s *Sink) MergedChanges(ctx context.Context, since time.Time) ([]store.Change, error) {
	cs, err := s.st.ChangesForWindow(ctx, []int64{s.repoID}, since.Unix(), allTimeTo)
	if err != nil {
		return nil, err
	}
	merged := cs[:0]
	for _, c := range cs {
		if c.State == store.StateMerged && !c.MergedAt.Before(since) {
			merged = append(merged, c)
		}
	}
	return merged, nil
}

// ChangesNeedingFiles are the repo's open and merged changes whose files
// are not stored (synced before files were collected, or made stale by a
// webhook), newest first.
func (s *Sink) ChangesNeedingFiles(ctx context.Context) ([]store.ChangeRef, error) {
	return s.st.ChangesNeedingFiles(ctx, s.repoID)
}

// FinishedDeployments are the repo's stored deployments that finished (or
// recovered), of every source, in the order they finished.
func (s *Sink) FinishedDeployments(ctx context.Context) ([]store.Deployment, error) {
	return s.st.DeploymentsForWindow(ctx, []int64{s.repoID}, allTimeFrom, allTimeTo)
}

// FinishedCIRuns are the repo's stored CI runs that finished, in the order
// they finished.
func (s *Sink) FinishedCIRuns(ctx context.Context) ([]store.CIRun, error) {
	return s.st.CIRunsForWindow(ctx, []int64{s.repoID}, allTimeFrom, allTimeTo)
}

// DeploymentsNeedingRange are the repo's successful deployments of source
// whose commit range has not been fetched yet, oldest first.
func (s *Sink) DeploymentsNeedingRange(ctx context.Context, source string) ([]store.Deployment, error) {
	return s.st.DeploymentsNeedingRange(ctx, s.repoID, source)
}

// PreviousSuccessfulDeployment is the successful deployment of d's source
// and environment that finished last before d, the base of d's commit
// range; ok is false for the first one.
func (s *Sink) PreviousSuccessfulDeployment(ctx context.Context, d store.Deployment) (prev store.Deployment, ok bool, err error) {
	return s.st.PreviousSuccessfulDeployment(ctx, d)
}

// OldestPendingDeployment is the creation time of the repo's oldest
// deployment of source still pending, created at or after since (zero
// when there is none): an incremental sync walks back to it.
func (s *Sink) OldestPendingDeployment(ctx context.Context, source string, since time.Time) (time.Time, error) {
	return s.st.OldestPendingDeployment(ctx, s.repoID, source, since)
}

// IncompleteCIRuns are the repo's CI runs not completed, created at or
// after since, oldest first (provider id, status and times only).
func (s *Sink) IncompleteCIRuns(ctx context.Context, since time.Time) ([]store.CIRun, error) {
	return s.st.IncompleteCIRuns(ctx, s.repoID, since)
}

// Batch is one transaction's worth of rows of one resource. Its methods
// write through the transaction and count what they did.
type Batch struct {
	tx     *store.Tx
	repoID int64
	counts ResourceSummary
}

func (b *Batch) count(res store.Result) {
	switch res {
	case store.Inserted:
		b.counts.New++
	case store.Updated:
		b.counts.Updated++
	default:
		b.counts.Unchanged++
	}
}

// Change writes a change of the repo.
func (b *Batch) Change(ctx context.Context, c store.Change) (int64, error) {
	c.RepoID = b.repoID
	id, res, err := b.tx.UpsertChange(ctx, c)
	b.count(res)
	return id, err
}

// PageChange is a change of a page a sync read and, when the page told
// them, its files.
type PageChange struct {
	Change     store.Change
	Files      []store.ChangeFile
	FilesKnown bool // false: the change_files step fetches them
}

// Changes writes a page of changes of the repo, each with its files when
// known: what Change and ChangeWithFiles on each would write and count,
// in a handful of statements for the page instead of several for each
// change (store.UpsertChanges, store.ReplaceChangesFiles).
func (b *Batch) Changes(ctx context.Context, page []PageChange) error {
	cs := make([]store.Change, len(page))
	for i, p := range page {
		cs[i] = p.Change
		cs[i].RepoID = b.repoID
	}
	ups, err := b.tx.UpsertChanges(ctx, cs)
	if err != nil {
		return err
	}
	var files []store.ChangeFiles
	var at []int
	for i, p := range page {
		if p.FilesKnown {
			files = append(files, store.ChangeFiles{ChangeID: ups[i].ID, RepoID: b.repoID, Files: p.Files})
			at = append(at, i)
		}
	}
	fres, err := b.tx.ReplaceChangesFiles(ctx, files)
	if err != nil {
		return err
	}
	for j, i := range at {
		if ups[i].Result == store.Unchanged && fres[j] != store.Unchanged {
			ups[i].Result = store.Updated
		}
	}
	for _, u := range ups {
		b.count(u.Result)
	}
	return nil
}

// ChangeFiles writes the files of a stored change of the repo: all of
// them, in place of those stored.
func (b *Batch) ChangeFiles(ctx context.Context, changeID int64, files []store.ChangeFile) error {
	res, err := b.tx.ReplaceChangeFiles(ctx, b.repoID, changeID, files)
	b.count(res)
	return err
}

// Deployment writes a deployment of the repo.
func (b *Batch) Deployment(ctx context.Context, d store.Deployment) (int64, error) {
	d.RepoID = b.repoID
	id, res, err := b.tx.UpsertDeployment(ctx, d)
	b.count(res)
	return id, err
}

// Incident writes an incident of the repo.
func (b *Batch) Incident(ctx context.Context, in store.Incident) (int64, error) {
	in.RepoID = b.repoID
	id, res, err := b.tx.UpsertIncident(ctx, in)
	b.count(res)
	return id, err
}

// CIRun writes a CI run of the repo.
func (b *Batch) CIRun(ctx context.Context, r store.CIRun) (int64, error) {
	r.RepoID = b.repoID
	id, res, err := b.tx.UpsertCIRun(ctx, r)
	b.count(res)
	return id, err
}

// DeleteIncident removes an issue of the repo that is no longer an
// incident; a row removed counts as updated.
func (b *Batch) DeleteIncident(ctx context.Context, number int64) error {
	deleted, err := b.tx.DeleteIncident(ctx, b.repoID, number)
	if deleted {
		b.counts.Updated++
	}
	return err
}

// DeploymentRange stores a deployment's commit range.
func (b *Batch) DeploymentRange(ctx context.Context, deploymentID int64, shas []string) error {
	b.counts.New++
	return b.tx.SetDeploymentRange(ctx, deploymentID, shas)
}

// Codeowners stores the repo's CODEOWNERS file as read and makes the
// repo's modules one per owner of it (codeowners.Parse).
func (b *Batch) Codeowners(ctx context.Context, c store.Codeowners) error {
	if err := b.tx.PutCodeowners(ctx, b.repoID, c); err != nil {
		return err
	}
	var mods []store.Module
	for _, m := range codeowners.Parse(c.Content) {
		mods = append(mods, store.Module{Name: m.Owner, Paths: m.Globs, Source: "codeowners"})
	}
	b.counts.Updated++
	return b.tx.ReplaceModules(ctx, b.repoID, mods)
}

// Repo updates the repo's own row (default branch, url, ...).
func (b *Batch) Repo(ctx context.Context, r store.Repo) error {
	r.ID = b.repoID
	_, res, err := b.tx.UpsertRepo(ctx, r)
	b.count(res)
	return err
}

// Warn records that a resource synced, but not wholly as it should (a
// deployment range linked by time because GitHub could not compare it):
// the warning is in the run's summary, and the resource's sync state keeps
// it as its last error when it is done — on the sync page, beside its
// success — until a sync of it without one.
func (s *Sink) Warn(resource, msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rs := s.resource(resource)
	rs.Warnings = append(rs.Warnings, msg)
}

// Commit writes a batch of one resource and that resource's new state in
// one transaction. state.LastSuccessAt is set when done is true (the
// resource is fully synced); a partial batch keeps the watermark it covers.
func (s *Sink) Commit(ctx context.Context, resource string, state store.SyncState, done bool, write func(b *Batch) error) error {
	b := &Batch{repoID: s.repoID}
	state.RepoID, state.Resource = s.repoID, resource
	s.mu.Lock()
	if done {
		state.LastSuccessAt = time.Now().UTC()
		state.LastError = ""
		state.LastErrorAt = time.Time{}
		if rs := s.summary.Resources[resource]; rs != nil && len(rs.Warnings) > 0 {
			state.LastError, state.LastErrorAt = strings.Join(rs.Warnings, "; "), state.LastSuccessAt
		}
	}
	if rs := s.summary.Resources[resource]; rs != nil {
		state.Requests = rs.Requests
		state.Rows = rs.New + rs.Updated + rs.Unchanged
	}
	state.RateLimitRemaining = s.summary.RateLimitRemaining
	if s.summary.Requests == 0 {
		state.RateLimitRemaining = -1
	}
	state.RateLimitResetAt = s.summary.RateLimitReset
	s.mu.Unlock()
	err := s.st.Write(ctx, func(tx *store.Tx) error {
		b.tx = tx
		if write != nil {
			if err := write(b); err != nil {
				return err
			}
		}
		state.Rows += b.counts.New + b.counts.Updated + b.counts.Unchanged
		if b.counts.New+b.counts.Updated > 0 {
			// In the rows' transaction: a crash before the derive step
			// leaves the repo marked, and the next sync derives it.
			if err := tx.MarkDerivePending(ctx, s.repoID); err != nil {
				return err
			}
		}
		return tx.SaveSyncState(ctx, state)
	})
	if err != nil {
		return fmt.Errorf("sync %s: write %s: %w", s.repo.Name, resource, err)
	}
	s.mu.Lock()
	rs := s.resource(resource)
	rs.New += b.counts.New
	rs.Updated += b.counts.Updated
	rs.Unchanged += b.counts.Unchanged
	items := rs.New + rs.Updated + rs.Unchanged
	s.mu.Unlock()
	s.tracker.items(s.repo.Name, resource, items)
	return nil
}

// resource returns the summary of a resource; s.mu must be held.
func (s *Sink) resource(name string) *ResourceSummary {
	rs := s.summary.Resources[name]
	if rs == nil {
		rs = &ResourceSummary{}
		s.summary.Resources[name] = rs
	}
	return rs
}

// Request counts one API request for a resource, with the rate limit the
// response reported (remaining < 0 when it said nothing).
func (s *Sink) Request(resource string, remaining int, reset time.Time) {
	s.mu.Lock()
	s.resource(resource).Requests++
	s.summary.Requests++
	if remaining >= 0 {
		s.summary.RateLimitRemaining = remaining
		s.summary.RateLimitReset = reset
	}
	reqs := s.summary.Requests
	s.mu.Unlock()
	s.tracker.requests(s.repo.Name, resource, reqs, remaining)
}

// recordError keeps a failed repo's error in the sync state of every
// resource it had, so the status page shows it.
func (s *Sink) recordError(ctx context.Context, err error) {
	msg := err.Error()
	now := time.Now().UTC()
	// A cancelled context cannot write; the error is still in the summary.
	if ctx.Err() != nil {
		return
	}
	_ = s.st.Write(ctx, func(tx *store.Tx) error {
		for _, res := range []string{ResourceRepo} {
			st, err := s.st.SyncState(ctx, s.repoID, res)
			if err != nil {
				return err
			}
			st.LastError, st.LastErrorAt = msg, now
			if err := tx.SaveSyncState(ctx, st); err != nil {
				return err
			}
		}
		return nil
	})
}
