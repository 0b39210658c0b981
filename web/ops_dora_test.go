package web_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tach-dev/tach/store"
	"github.com/tach-dev/tach/web"
)

// countedRepos lists acme/api and counts the refreshes that asked.
type countedRepos struct{ n atomic.Int32 }

func (c *countedRepos) Repos(ctx context.Context) ([]store.Repo, error) {
	c.n.Add(1)
	return []store.Repo{{Name: "acme/api"}}, nil
}

// TestDORARefresherCoalescesPokes: pokes (a sync, a burst of webhooks)
// refresh the gauges, but never more than once per gap: the pokes that come
// during one count as one refresh after it.
func TestDORARefresherCoalescesPokes(t *testing.T) {
	tel := web.NewTelemetry()
	repos := &countedRepos{}
	const gap = 50 * time.Millisecond
	d := web.NewDORARefresher(tel, demoReports, repos, gap, nil)
	for range 3 {
		d.Poke()
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	waitFor := func(n int32) {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); repos.n.Load() < n; {
			if time.Now().After(deadline) {
				t.Fatalf("%d refreshes, want %d", repos.n.Load(), n)
			}
			time.Sleep(time.Millisecond)
		}
	}
	waitFor(1)
	for range 3 {
		d.Poke()
	}
	waitFor(2)
	time.Sleep(4 * gap)
	if n := repos.n.Load(); n != 2 {
		t.Errorf("%d refreshes after two bursts of pokes, want 2", n)
	}
	fams, err := tel.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() == "tach_dora_computed_timestamp_seconds" && len(f.GetMetric()) == 1 {
			return
		}
	}
	t.Error("the gauges were not computed")
}
