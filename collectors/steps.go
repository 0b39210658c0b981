package collectors

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Step is one resource of a repo's sync, for Sink.RunSteps.
type Step struct {
	Resource string
	// After names the steps whose rows this one reads: it starts once they
	// have finished, whether they succeeded or not (it then reads what is
	// stored). A name not among the steps is ignored.
	After []string
	Run   func(ctx context.Context) error
}

// Fatal reports an error that stops a repo's sync: nothing else of it can
// succeed (a cancelled run, a rejected token, a redirect to another host,
// a missing repo, a spent rate limit).
func Fatal(ctx context.Context, err error) bool {
	return ctx.Err() != nil || errors.Is(err, ErrUnauthorized) || errors.Is(err, ErrOtherHost) ||
		errors.Is(err, ErrRepoNotFound) || errors.Is(err, ErrRateLimited)
}

// RunSteps runs the steps of the repo's sync, at most limit at once, each
// once the steps it comes After have finished; of the steps ready, the one
// listed first starts first (list the longest first). The steps share the
// provider's rate-limit budget and write through the sink concurrently:
// each Commit is its own transaction.
//
// A step's error is wrapped as "sync REPO: RESOURCE: …" (unless it starts
// with "sync REPO: " already). A Fatal one
// cancels the steps running, starts no other, and is returned with the
// errors before it; any other is passed to failed (which logs it) and the
// other steps go on: the errors are returned together at the end.
func (s *Sink) RunSteps(ctx context.Context, limit int, steps []Step, failed func(resource string, err error)) error {
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	known := map[string]bool{}
	for _, st := range steps {
		known[st.Resource] = true
	}
	type result struct {
		i   int
		err error
	}
	results := make(chan result)
	started := make([]bool, len(steps))
	finished := map[string]bool{}
	ready := func(st Step) bool {
		for _, a := range st.After {
			if known[a] && !finished[a] {
				return false
			}
		}
		return true
	}
	var errs []error
	var fatal error
	running := 0
	for {
		for i, st := range steps {
			if fatal != nil || running >= max(limit, 1) {
				break
			}
			if started[i] || !ready(st) {
				continue
			}
			started[i], running = true, running+1
			s.tracker.working(s.repo.Name, st.Resource, true)
			go func() { results <- result{i, st.Run(runCtx)} }()
		}
		if running == 0 {
			break
		}
		r := <-results
		running--
		res := steps[r.i].Resource
		finished[res] = true
		s.tracker.working(s.repo.Name, res, false)
		switch {
		case r.err == nil:
		case fatal != nil:
			// Cancelled by the fatal error, or another one after it.
		default:
			err := r.err
			if !strings.HasPrefix(err.Error(), "sync "+s.repo.Name+": ") { // a provider's own prefix names it already
				err = fmt.Errorf("sync %s: %s: %w", s.repo.Name, res, r.err)
			}
			if Fatal(ctx, r.err) {
				fatal = err
				cancel()
				continue
			}
			if failed != nil {
				failed(res, err)
			}
			errs = append(errs, err)
		}
	}
	if fatal != nil {
		errs = append(errs, fatal)
	}
	return errors.Join(errs...)
}
