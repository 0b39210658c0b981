package collectors_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tach-dev/tach/collectors"
	"github.com/tach-dev/tach/store"
	"github.com/tach-dev/tach/store/storetest"
)

// stepsProvider syncs a repo by running steps through its sink.
type stepsProvider struct {
	limit  int
	steps  func(sink *collectors.Sink) []collectors.Step
	failed []string
	mu     sync.Mutex
}

func (p *stepsProvider) Name() string { return store.GitHub }

func (p *stepsProvider) SyncRepo(ctx context.Context, repo collectors.Repo, sink *collectors.Sink) error {
	return sink.RunSteps(ctx, p.limit, p.steps(sink), func(resource string, err error) {
		p.mu.Lock()
		p.failed = append(p.failed, resource)
		p.mu.Unlock()
	})
}

func runSteps(t *testing.T, p *stepsProvider, tracker *collectors.Tracker) collectors.RepoSummary {
	t.Helper()
	st := storetest.New(t)
	sum, err := collectors.Run(context.Background(), st, map[string]collectors.Provider{store.GitHub: p},
		[]collectors.Repo{{Provider: store.GitHub, Name: "acme/api"}}, collectors.Options{Workers: 1}, tracker)
	if err != nil {
		t.Fatal(err)
	}
	return sum.Repos[0]
}

// Steps run at most limit at once, each after the ones it names, and the
// tracker shows every resource in hand.
func TestRunStepsAtOnceInOrder(t *testing.T) {
	var mu sync.Mutex
	running, most := 0, 0
	var order []string
	tracker := collectors.NewTracker()
	var inHand []string
	step := func(name string, after ...string) collectors.Step {
		return collectors.Step{Resource: name, After: after, Run: func(ctx context.Context) error {
			mu.Lock()
			running++
			most = max(most, running)
			order = append(order, "start "+name)
			mu.Unlock()
			time.Sleep(20 * time.Millisecond)
			if p := tracker.Snapshot(); len(p) == 1 {
				mu.Lock()
				inHand = append(inHand, p[0].Resource)
				mu.Unlock()
			}
			mu.Lock()
			running--
			order = append(order, "end "+name)
			mu.Unlock()
			return nil
		}}
	}
	p := &stepsProvider{limit: 2, steps: func(*collectors.Sink) []collectors.Step {
		return []collectors.Step{step("a"), step("b", "c"), step("c"), step("d", "a", "not-a-step"), step("e")}
	}}
	if rs := runSteps(t, p, tracker); rs.Err != nil {
		t.Fatal(rs.Err)
	}
	if most != 2 {
		t.Errorf("at most %d ran at once, want 2", most)
	}
	index := func(s string) int {
		for i, o := range order {
			if o == s {
				return i
			}
		}
		t.Fatalf("%q never happened: %v", s, order)
		return -1
	}
	if index("start b") < index("end c") || index("start d") < index("end a") {
		t.Errorf("a step started before the one it comes after: %v", order)
	}
	if index("start a") > 1 || index("start c") > 1 || index("start e") < 2 {
		t.Errorf("the first ready steps listed did not start first: %v", order)
	}
	both := false
	for _, r := range inHand {
		both = both || strings.Contains(r, ", ")
	}
	if !both {
		t.Errorf("the tracker never showed two resources in hand: %v", inHand)
	}
}

// A failed step does not stop the others, and its error names the repo
// and the resource; a fatal one cancels the steps running and starts no
// other.
func TestRunStepsErrors(t *testing.T) {
	boom := errors.New("boom")
	p := &stepsProvider{limit: 3, steps: func(*collectors.Sink) []collectors.Step {
		return []collectors.Step{
			{Resource: "a", Run: func(context.Context) error { return boom }},
			{Resource: "b", Run: func(context.Context) error { return nil }},
			{Resource: "c", After: []string{"a"}, Run: func(context.Context) error { return fmt.Errorf("also: %w", boom) }},
		}
	}}
	rs := runSteps(t, p, nil)
	if !errors.Is(rs.Err, boom) || !strings.Contains(rs.Err.Error(), "sync acme/api: a: boom") || !strings.Contains(rs.Err.Error(), "sync acme/api: c: also: boom") {
		t.Errorf("err = %v", rs.Err)
	}
	if strings.Join(p.failed, ",") != "a,c" {
		t.Errorf("failed = %v", p.failed)
	}

	cancelled := make(chan error, 1)
	started := false
	p = &stepsProvider{limit: 2, steps: func(*collectors.Sink) []collectors.Step {
		return []collectors.Step{
			{Resource: "slow", Run: func(ctx context.Context) error {
				select {
				case <-ctx.Done():
					cancelled <- ctx.Err()
					return ctx.Err()
				case <-time.After(10 * time.Second):
					cancelled <- nil
					return nil
				}
			}},
			{Resource: "token", Run: func(context.Context) error { return fmt.Errorf("GET /x: %w", collectors.ErrUnauthorized) }},
			{Resource: "later", Run: func(context.Context) error { started = true; return nil }},
		}
	}}
	begin := time.Now()
	rs = runSteps(t, p, nil)
	if !errors.Is(rs.Err, collectors.ErrUnauthorized) || errors.Is(rs.Err, context.Canceled) {
		t.Errorf("err = %v, want the rejected token alone", rs.Err)
	}
	if err := <-cancelled; !errors.Is(err, context.Canceled) || time.Since(begin) > 5*time.Second {
		t.Errorf("the running step was not cancelled: %v after %v", err, time.Since(begin))
	}
	if started || len(p.failed) != 0 {
		t.Errorf("after a fatal error: another step started (%v) or a failure was logged (%v)", started, p.failed)
	}
}
