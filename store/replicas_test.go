package store_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/tach-dev/tach/store"
	"github.com/tach-dev/tach/store/storetest"
)

// Several `tach serve` on one PostgreSQL database: each opens its own
// store. These tests open two on one schema, as two replicas would.

func twoReplicas(t *testing.T) (a, b *store.Store) {
	t.Helper()
	storetest.SkipUnlessPostgres(t)
	database := storetest.Database(t)
	open := func() *store.Store {
		st, err := store.Open(ctx, database)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
	return open(), open()
}

// Exactly one replica holds the sync lock; when its connection dies (the
// process was killed), the other takes it at its next try, and the first
// learns it lost it.
func TestSyncLockOneReplicaAtATime(t *testing.T) {
	a, b := twoReplicas(t)
	la, lb := a.SyncLock(), b.SyncLock()
	if !la.Shared() {
		t.Fatal("a PostgreSQL store's sync lock is not shared")
	}
	if got, err := la.TryAcquire(ctx); err != nil || !got {
		t.Fatalf("first replica: TryAcquire = %v, %v; want the free lock", got, err)
	}
	for range 3 {
		if got, err := lb.TryAcquire(ctx); err != nil || got {
			t.Fatalf("second replica: TryAcquire = %v, %v; want refused while the first holds it", got, err)
		}
		if got, err := la.TryAcquire(ctx); err != nil || !got {
			t.Fatalf("first replica lost the lock it holds: %v, %v", got, err)
		}
	}
	if !la.Held() || lb.Held() {
		t.Fatalf("Held = %v, %v; want true, false", la.Held(), lb.Held())
	}

	// The first replica dies: the server ends its sessions. (The lock is
	// the sync lock's class and this schema's hash: other tests on the
	// server hold advisory locks of their own.)
	raw := storetest.Raw(t, a.Path())
	res, err := raw.Exec(`SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted
		AND classid = 29794 AND objsubid = 2 AND objid::bigint = (hashtext(current_schema())::bigint + 4294967296) % 4294967296`)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		t.Fatalf("%d sessions held an advisory lock, want the one", n)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		got, err := lb.TryAcquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the second replica never took the lock of the one that died")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got, err := la.TryAcquire(ctx); err != nil || got || la.Held() {
		t.Fatalf("the first replica, its connection gone: TryAcquire = %v, %v (Held %v); want refused", got, err, la.Held())
	}

	// Released (a replica stopping), it is free for the other.
	lb.Release()
	if got, err := la.TryAcquire(ctx); err != nil || !got {
		t.Fatalf("after a release: TryAcquire = %v, %v", got, err)
	}
}

// Keep takes a lock that becomes free and reports the change.
func TestSyncLockKeepTakesOver(t *testing.T) {
	a, b := twoReplicas(t)
	if got, _ := a.SyncLock().TryAcquire(ctx); !got {
		t.Fatal("no lock")
	}
	kctx, cancel := context.WithCancel(ctx)
	changes := make(chan bool, 10)
	done := make(chan struct{})
	go func() {
		b.SyncLock().Keep(kctx, 20*time.Millisecond, func(held bool, err error) {
			if err != nil {
				t.Error(err)
			}
			changes <- held
		})
		close(done)
	}()
	time.Sleep(100 * time.Millisecond)
	if b.SyncLock().Held() {
		t.Fatal("Keep took a lock another replica holds")
	}
	a.SyncLock().Release()
	select {
	case held := <-changes:
		if !held {
			t.Fatal("Keep reported a loss, want the lock taken")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Keep never took the released lock")
	}
	cancel()
	<-done
}

// A delivery sent to two replicas at once is applied by one.
func TestRedeliveriesAcrossReplicasApplyOnce(t *testing.T) {
	a, b := twoReplicas(t)
	if firsts := firstDeliveries(t, a, b); firsts != 1 {
		t.Errorf("%d of 20 deliveries to two replicas were taken as first", firsts)
	}
}

// Users, sessions, sync requests and the generation the page caches
// follow are the database's: what one replica writes, the other reads.
func TestReplicasShareUsersSessionsAndGeneration(t *testing.T) {
	a, b := twoReplicas(t)
	u, err := a.AddUser(ctx, "ada", "correct horse battery", store.RoleWrite)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Authenticate(ctx, "ada", "correct horse battery"); err != nil {
		t.Fatalf("a user added on one replica cannot sign in on the other: %v", err)
	}
	now := time.Now()
	id, _, err := b.CreateSession(ctx, u.ID, time.Hour, now)
	if err != nil {
		t.Fatal(err)
	}
	if s, err := a.Session(ctx, id, now); err != nil || s.User.ID != u.ID {
		t.Fatalf("a session made on one replica is unknown to the other: %+v, %v", s, err)
	}
	if err := a.DeleteSession(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Session(ctx, id, now); err == nil {
		t.Fatal("a session ended on one replica lives on on the other")
	}

	// A "sync now" passed on by one replica is taken once, by another.
	if took, err := a.TakeSyncRequest(ctx); err != nil || took {
		t.Fatalf("a sync request before any: %v, %v", took, err)
	}
	if err := a.RequestSync(ctx, now); err != nil {
		t.Fatal(err)
	}
	if took, err := b.TakeSyncRequest(ctx); err != nil || !took {
		t.Fatalf("the other replica did not see the sync request: %v, %v", took, err)
	}
	if took, err := a.TakeSyncRequest(ctx); err != nil || took {
		t.Fatalf("a sync request taken twice: %v, %v", took, err)
	}

	g0, err := b.Generation(ctx)
	if err != nil {
		t.Fatal(err)
	}
	mustRepo(t, a, "acme/api")
	if g1, err := b.Generation(ctx); err != nil || g1 == g0 {
		t.Fatalf("a repo written on one replica left the other's generation at %d (%v): its page cache would go stale", g1, err)
	}
}

// A replica that follows the generation (tach serve) answers it from
// memory, sees another replica's move within moments and its own writes at
// once; when its listening connection dies it reads the row for each ask
// until the connection is back.
func TestGenerationFollowedAcrossReplicas(t *testing.T) {
	a, b := twoReplicas(t)
	watch, stop := context.WithCancel(ctx)
	t.Cleanup(stop)
	a.WatchGeneration(watch, slog.New(slog.DiscardHandler))
	eventually := func(what string, ok func() bool) {
		t.Helper()
		if !within10s(ok) {
			t.Fatalf("%s: not within 10 s", what)
		}
	}
	eventually("the watch listens", a.GenerationFollowed)
	gen := func(st *store.Store) int64 {
		t.Helper()
		g, err := st.Generation(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	addRepo := func(st *store.Store, name string) {
		t.Helper()
		if err := st.Write(ctx, func(tx *store.Tx) error {
			_, _, err := tx.UpsertRepo(ctx, store.Repo{Provider: store.GitHub, Name: name})
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	g0 := gen(a)
	// Another replica moves it (a new repo moves the generation).
	addRepo(b, "acme/from-b")
	want := gen(b)
	if want <= g0 {
		t.Fatalf("a new repo did not move the generation: %d → %d", g0, want)
	}
	eventually("a sees b's move", func() bool { return gen(a) == want })
	// Its own write: seen at once, notification or not.
	addRepo(a, "acme/from-a")
	if got, row := gen(a), gen(b); got != row {
		t.Fatalf("right after its own write a says %d, the row %d", got, row)
	}

	// The listening connection dies: asked at once, a reads the row.
	pid := store.GenerationWatchPID(a)
	if _, err := storetest.Raw(t, a.Path()).Exec(`SELECT pg_terminate_backend(?)`, pid); err != nil {
		t.Fatal(err)
	}
	eventually("a notices the lost connection", func() bool { return !a.GenerationFollowed() })
	addRepo(b, "acme/while-down")
	if got, row := gen(a), gen(b); got != row {
		t.Fatalf("without its watch a says %d, the row %d", got, row)
	}
	eventually("the watch listens again", func() bool { return a.GenerationFollowed() && store.GenerationWatchPID(a) != pid })
	addRepo(b, "acme/after")
	want = gen(b)
	eventually("a follows again", func() bool { return gen(a) == want })
}

// The decisions every page lists are kept while they do not move: a
// decision another replica records, edits or deletes is listed within
// moments, one recorded here at once.
func TestDecisionsFollowedAcrossReplicas(t *testing.T) {
	a, b := twoReplicas(t)
	watch, stop := context.WithCancel(ctx)
	t.Cleanup(stop)
	a.WatchGeneration(watch, slog.New(slog.DiscardHandler))
	titles := func(st *store.Store) string {
		t.Helper()
		ds, err := st.Decisions(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, d := range ds {
			out = append(out, d.Title)
		}
		return strings.Join(out, ",")
	}
	eventually := func(what string, ok func() bool) {
		t.Helper()
		if !within10s(ok) {
			t.Fatalf("%s: not within 10 s (a lists %q, b %q)", what, titles(a), titles(b))
		}
	}
	eventually("the watch listens", a.GenerationFollowed)
	write := func(st *store.Store, fn func(tx *store.Tx) error) {
		t.Helper()
		if err := st.Write(ctx, fn); err != nil {
			t.Fatal(err)
		}
	}
	if titles(a) != "" {
		t.Fatalf("decisions before any: %q", titles(a))
	}
	var id int64
	write(b, func(tx *store.Tx) (err error) {
		id, err = tx.InsertDecision(ctx, store.Decision{DecidedOn: "2026-01-05", Title: "split the monolith", Kind: "architecture"})
		return err
	})
	eventually("a lists b's decision", func() bool { return titles(a) == "split the monolith" })
	write(b, func(tx *store.Tx) error {
		return tx.UpdateDecision(ctx, store.Decision{ID: id, DecidedOn: "2026-01-05", Title: "split the monolith in two", Kind: "architecture"})
	})
	eventually("a lists b's edit", func() bool { return titles(a) == "split the monolith in two" })
	// Recorded here: listed at once.
	write(a, func(tx *store.Tx) error {
		_, err := tx.InsertDecision(ctx, store.Decision{DecidedOn: "2026-02-02", Title: "new ORM", Kind: "data-access"})
		return err
	})
	if got := titles(a); got != "split the monolith in two,new ORM" {
		t.Fatalf("right after its own write a lists %q", got)
	}
	write(b, func(tx *store.Tx) error { return tx.DeleteDecision(ctx, id) })
	eventually("a drops b's deleted decision", func() bool { return titles(a) == "new ORM" })
}

// within10s reports whether ok holds within 10 s.
func within10s(ok func() bool) bool {
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if ok() {
			return true
		}
	}
	return false
}
