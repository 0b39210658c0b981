package collectors

import (
	"context"
	"testing"
	"time"
)

// Request slots: a freed slot goes to a waiter that asked first (the
// GitLab deployments or their ranges) before one of the others, queued
// earlier or not; a waiter whose context ends leaves the queue, and a slot
// granted to it as it ended is passed on, not lost.
func TestRequestSlotsServeTheDeploymentsChainFirst(t *testing.T) {
	s := NewRequestSlots(1)
	ctx := context.Background()
	if err := s.acquire(ctx, false); err != nil {
		t.Fatal(err)
	}
	got := make(chan string, 3)
	wait := func(name string, first bool) {
		go func() {
			if err := s.acquire(ctx, first); err == nil {
				got <- name
			}
		}()
	}
	waiting := func(n int) {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
			s.mu.Lock()
			k := len(s.first) + len(s.rest)
			s.mu.Unlock()
			if k == n {
				return
			}
		}
		t.Fatalf("want %d waiting", n)
	}
	wait("merge requests", false)
	waiting(1)
	wait("ranges", true)
	waiting(2)
	gone, cancel := context.WithCancel(ctx)
	go func() { _ = s.acquire(gone, true) }()
	waiting(3)
	cancel()
	waiting(2)

	s.release()
	if name := <-got; name != "ranges" {
		t.Errorf("the freed slot went to %s, want the ranges", name)
	}
	s.release()
	if name := <-got; name != "merge requests" {
		t.Errorf("then to %s, want the merge requests", name)
	}
	s.release()
	if s.free != 1 {
		t.Errorf("%d slots free after all were released, want 1", s.free)
	}
}
