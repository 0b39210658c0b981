package store

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
)

// Following the generation and the decisions. Every page a replica serves
// asks whether the store's generation moved (its caches stand while it has
// not) and lists the decisions of its scope. On SQLite each is a read
// in-process; on PostgreSQL each was a round trip on every request, to a
// server competing for the same CPUs — most of the overview's median at a
// million changes. WatchGeneration follows both instead: a connection of
// its own LISTENs to what their triggers send when they move
// (0010_generation_notify), and each value read is kept until a
// notification of it, a write of this process (a page asked right after a
// write must see it; the notification comes after the commit) or a new
// connection says it may have moved.

// generationWatch is what the watch keeps.
type generationWatch struct {
	listening atomic.Bool  // the connection is up and LISTENs
	pid       atomic.Int32 // the listening connection's server process
	gen       followed[int64]
	decisions followed[[]Decision]
}

// followed is a value kept while it has not moved: epoch moves with each
// sign that it may have; the value kept was read in an epoch.
type followed[T any] struct {
	epoch atomic.Int64
	kept  atomic.Pointer[keptValue[T]]
}

type keptValue[T any] struct {
	epoch int64
	v     T
}

// get returns the value kept, when the watch can vouch for it.
func (f *followed[T]) get(w *generationWatch) (T, bool) {
	var zero T
	if w == nil || !w.listening.Load() {
		return zero, false
	}
	k := f.kept.Load()
	if k == nil || k.epoch != f.epoch.Load() {
		return zero, false
	}
	return k.v, true
}

// read reads the value with load and keeps it, unless it may have moved
// while it was read.
func (f *followed[T]) read(load func() (T, error)) (T, error) {
	epoch := f.epoch.Load()
	v, err := load()
	if err == nil {
		f.kept.Store(&keptValue[T]{epoch: epoch, v: v})
	}
	return v, err
}

func (f *followed[T]) moved() { f.epoch.Add(1) }

// WatchGeneration follows the generation and the decisions until ctx ends,
// for a process that serves pages (tach serve); it does nothing on
// SQLite. A lost connection is opened again, after 1 s, then up to 30 s;
// meanwhile each is read when asked, as without a watch.
func (s *Store) WatchGeneration(ctx context.Context, log *slog.Logger) {
	pc := s.lock.pc
	if pc == nil || s.gen.Load() != nil {
		return
	}
	w := &generationWatch{}
	s.gen.Store(w)
	go func() {
		wait := time.Second
		for ctx.Err() == nil {
			err := w.listen(ctx, pc)
			w.listening.Store(false)
			if ctx.Err() != nil {
				return
			}
			log.Warn("following the database's generation: the connection was lost; reading it for each page until it is back",
				"err", redactErr(err, pc.password), "retry_in", wait)
			select {
			case <-ctx.Done():
				return
			case <-time.After(wait):
			}
			wait = min(2*wait, 30*time.Second)
		}
	}()
}

// listen holds one connection that LISTENs, until it fails or ctx ends.
func (w *generationWatch) listen(ctx context.Context, pc *postgresConfig) error {
	conn, err := pgx.ConnectConfig(ctx, pc.conn.Copy())
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	w.pid.Store(int32(conn.PgConn().PID()))
	var genChannel, decisionsChannel string
	if err := conn.QueryRow(ctx, `SELECT 'tach_generation_' || md5(current_schema()), 'tach_decisions_' || md5(current_schema())`).
		Scan(&genChannel, &decisionsChannel); err != nil {
		return err
	}
	for _, ch := range []string{genChannel, decisionsChannel} {
		if _, err := conn.Exec(ctx, `LISTEN `+pgx.Identifier{ch}.Sanitize()); err != nil {
			return err
		}
	}
	// What was kept may have moved while no one listened.
	w.moved()
	w.listening.Store(true)
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			if errors.Is(err, context.Canceled) {
				return nil
			}
			return err
		}
		if n.Channel == decisionsChannel {
			w.decisions.moved()
		} else {
			w.gen.moved()
		}
	}
}

// moved says that anything kept may have moved.
func (w *generationWatch) moved() {
	w.gen.moved()
	w.decisions.moved()
}

// wrote tells the watch that this process committed a write.
func (s *Store) wrote() {
	if w := s.gen.Load(); w != nil {
		w.moved()
	}
}

// GenerationFollowed reports whether the generation is followed now:
// WatchGeneration runs and its connection listens (/readyz says it).
func (s *Store) GenerationFollowed() bool {
	w := s.gen.Load()
	return w != nil && w.listening.Load()
}
