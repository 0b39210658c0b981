package collectors_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/tach-dev/tach/collectors"
	"github.com/tach-dev/tach/store"
	"github.com/tach-dev/tach/store/storetest"
)

// flakyProvider writes one change of each repo, except that it fails
// before writing for the repos in down and after writing for those in
// broken.
type flakyProvider struct{ down, broken map[string]bool }

func (p *flakyProvider) Name() string { return store.GitHub }

func (p *flakyProvider) SyncRepo(ctx context.Context, repo collectors.Repo, sink *collectors.Sink) error {
	if p.down[repo.Name] {
		return errors.New("server error")
	}
	at := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	err := sink.Commit(ctx, collectors.ResourceChanges, store.SyncState{Watermark: at}, true, func(b *collectors.Batch) error {
		_, err := b.Change(ctx, store.Change{Number: 1, ProviderID: repo.Name + "#1", Title: "one", Author: "ann", State: "open", CreatedAt: at, UpdatedAt: at})
		return err
	})
	if err == nil && p.broken[repo.Name] {
		err = errors.New("incidents: server error")
	}
	return err
}

// A repo's history start is its first sync's now − sync.history, once
// the sync stored something of it; a first sync that failed before
// storing anything leaves it to the next.
func TestFirstSyncRecordsHistoryStart(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	p := &flakyProvider{down: map[string]bool{"acme/down": true}, broken: map[string]bool{"acme/broken": true}}
	repos := []collectors.Repo{{Provider: store.GitHub, Name: "acme/ok"}, {Provider: store.GitHub, Name: "acme/down"}, {Provider: store.GitHub, Name: "acme/broken"}}
	run := func(now time.Time) {
		t.Helper()
		_, err := collectors.Run(ctx, st, map[string]collectors.Provider{store.GitHub: p}, repos,
			collectors.Options{History: 90 * 24 * time.Hour, Workers: 2, Now: func() time.Time { return now }}, nil)
		if err != nil {
			t.Fatal(err)
		}
	}
	start := func(name string) time.Time {
		t.Helper()
		r, err := st.RepoByName(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		return r.HistoryStart
	}
	first := time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC)
	run(first)
	since := first.AddDate(0, 0, -90)
	if !start("acme/ok").Equal(since) || !start("acme/broken").Equal(since) {
		t.Errorf("history starts %v and %v, want %v", start("acme/ok"), start("acme/broken"), since)
	}
	if !start("acme/down").IsZero() {
		t.Errorf("a first sync that stored nothing recorded %v", start("acme/down"))
	}

	p.down = nil
	second := first.AddDate(0, 0, 1)
	run(second)
	if !start("acme/ok").Equal(since) {
		t.Errorf("the second sync moved the history start to %v", start("acme/ok"))
	}
	if want := second.AddDate(0, 0, -90); !start("acme/down").Equal(want) {
		t.Errorf("acme/down's first sync that stored: %v, want %v", start("acme/down"), want)
	}
}
