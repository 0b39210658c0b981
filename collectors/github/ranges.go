package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/tach-dev/tach/collectors"
)

// Commit ranges (link: commits): a successful deployment D ships the merge
// commits in the range P...D from the previous successful deployment P of
// its environment. Each range is found once, when D is new, and stored
// with the deployment: never again. Most come from one walk of the default
// branch's history (history.go); the compare API is asked for the others
// (a deployment off the branch's first-parent line). The first deployment
// of an environment has no P; it is left without a range and the metric
// rules link it by time.

// compareAnswer is the part of a compare answer we read.
type compareAnswer struct {
	Status       string `json:"status"`
	TotalCommits int    `json:"total_commits"`
	Commits      []struct {
		SHA string `json:"sha"`
	} `json:"commits"`
}

func (s *repoSync) syncRanges(ctx context.Context) error {
	source := s.repo.Source
	if s.repo.Link == "time" || source == "merges" {
		return nil
	}
	if source == "" {
		source = "deployments"
	}
	ctx = s.ctxFor(ctx, collectors.ResourceRanges)
	st, err := s.sink.State(ctx, collectors.ResourceRanges)
	if err != nil {
		return err
	}
	needing, err := s.sink.DeploymentsNeedingRange(ctx, source)
	if err != nil {
		return err
	}
	// A redeploy of the same sha, or a deployment without one, ships
	// nothing: its range is empty. The others come from the history walk,
	// or the compare API.
	var empty []int64
	var pairs []rangePair
	for _, d := range needing {
		// Ranges matter only where the metrics look: production. Other
		// environments (previews, staging) would cost requests.
		if source == "deployments" && s.repo.Environments != nil && !s.repo.Environments.MatchString(d.Environment) {
			continue
		}
		prev, ok, err := s.sink.PreviousSuccessfulDeployment(ctx, d)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		if prev.SHA == "" || d.SHA == "" || prev.SHA == d.SHA {
			empty = append(empty, d.ID)
			continue
		}
		pairs = append(pairs, rangePair{id: d.ID, providerID: d.ProviderID, environment: d.Environment,
			RangeEnds: collectors.RangeEnds{SHA: d.SHA, At: d.CreatedAt, PrevSHA: prev.SHA, PrevAt: prev.CreatedAt}})
	}
	if len(empty) > 0 {
		err := s.sink.Commit(ctx, collectors.ResourceRanges, st, false, func(b *collectors.Batch) error {
			for _, id := range empty {
				if err := b.DeploymentRange(ctx, id, []string{}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	toCompare := pairs
	if len(pairs) > 0 && !s.p.opts.compareEveryRange {
		line, err := s.walkBranch(ctx, pairs)
		if err != nil {
			return err
		}
		toCompare = nil
		// The ranges found are written a batch at a time: a first sync's
		// are every commit of the history it read.
		var batch []rangePair
		flush := func() error {
			if len(batch) == 0 {
				return nil
			}
			err := s.sink.Commit(ctx, collectors.ResourceRanges, st, false, func(b *collectors.Batch) error {
				for _, p := range batch {
					shas, _ := line.RangeOf(p.PrevSHA, p.SHA)
					if err := b.DeploymentRange(ctx, p.id, shas); err != nil {
						return err
					}
				}
				return nil
			})
			batch = batch[:0]
			return err
		}
		for _, p := range pairs {
			if !line.HasRange(p.PrevSHA, p.SHA) {
				toCompare = append(toCompare, p)
				continue
			}
			if batch = append(batch, p); len(batch) == rangeBatch {
				if err := flush(); err != nil {
					return err
				}
			}
		}
		if err := flush(); err != nil {
			return err
		}
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(s.p.opts.RangeWorkers)
	for _, p := range toCompare {
		g.Go(func() error {
			shas, err := s.commitRange(gctx, p)
			if err != nil && !collectors.Fatal(gctx, err) {
				// One range GitHub cannot give must not cost the others,
				// nor the whole resource: the metrics link its deployment
				// by time (it stays without a range, and the next sync
				// asks again).
				msg := fmt.Sprintf("deployment %s (%s, %s): no commit range (%v); its changes are linked by time",
					p.providerID, p.environment, shortSHA(p.SHA), err)
				s.log.Warn("github: compare failed; deployment linked by time", "deployment", p.providerID, "err", err)
				s.sink.Warn(collectors.ResourceRanges, msg)
				return nil
			}
			if err != nil {
				return err
			}
			return s.sink.Commit(gctx, collectors.ResourceRanges, st, false, func(b *collectors.Batch) error {
				return b.DeploymentRange(gctx, p.id, shas)
			})
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	return s.sink.Commit(ctx, collectors.ResourceRanges, st, true, nil)
}

// rangeBatch is how many deployments' ranges one transaction writes.
const rangeBatch = 200

// commitRange lists the commits in p.PrevSHA...p.SHA, every page to the
// answer's total_commits (a page without a Link to the next is not the
// end while commits are missing). A range GitHub cannot compare (history
// rewritten by a force push: 404 or 422) is empty.
func (s *repoSync) commitRange(ctx context.Context, p rangePair) ([]string, error) {
	prev := p.PrevSHA
	if prev == "" || p.SHA == "" || prev == p.SHA {
		return []string{}, nil
	}
	page := func(n int) string {
		q := url.Values{"per_page": {strconv.Itoa(s.p.opts.PageSize)}}
		if n > 1 {
			q.Set("page", strconv.Itoa(n))
		}
		return s.p.client.url(s.repoPath("compare", prev+"..."+p.SHA), q)
	}
	shas := []string{}
	for n, u := 1, page(1); u != ""; n++ {
		var cmp compareAnswer
		ans, err := s.p.client.get(ctx, u, "", &cmp)
		var ae *APIError
		if errors.As(err, &ae) && (ae.Status == http.StatusNotFound || ae.Status == http.StatusUnprocessableEntity) && !diffTooLong(ae.Message) {
			s.log.Warn("github: cannot compare deployments (history rewritten?); storing an empty range",
				"deployment", p.providerID, "environment", p.environment, "base", prev, "head", p.SHA, "status", ae.Status)
			return []string{}, nil
		}
		if err != nil {
			return nil, err
		}
		for _, c := range cmp.Commits {
			shas = append(shas, c.SHA)
		}
		switch {
		case ans.next != "":
			u = ans.next
		case len(shas) < cmp.TotalCommits && len(cmp.Commits) > 0:
			u = page(n + 1)
		case len(shas) < cmp.TotalCommits:
			return nil, fmt.Errorf("compare %s...%s: %d of %d commits listed", shortSHA(prev), shortSHA(p.SHA), len(shas), cmp.TotalCommits)
		default:
			u = ""
		}
	}
	return shas, nil
}

// diffTooLong reports GitHub's answer to a compare it gave up on ("Sorry,
// this diff is taking too long to generate."): asking again gives the same.
func diffTooLong(message string) bool {
	return strings.Contains(strings.ToLower(message), "too long to generate")
}

func shortSHA(sha string) string { return sha[:min(len(sha), 7)] }
