package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
)

// Following the generation. Every page a replica serves asks whether the
// store's generation moved (its caches stand while it has not). On SQLite
// that is a read of one row, in-process; on PostgreSQL it was a round trip
// on every request, to a server competing for the same CPUs — most of the
// overview's median at a million changes. WatchGeneration follows the
// generation instead: a connection of its own LISTENs to what the
// generation's trigger sends when it moves (0010_generation_notify), and
// Generation answers from memory while that connection lives. A write of
// this process makes the next Generation read the row, since the
// notification comes after the commit and a page asked right after a
// write must see it; the value only moves forward.

// generationWatch is what the watch knows of the generation.
type generationWatch struct {
	gen       atomic.Int64
	listening atomic.Bool  // the connection is up and LISTENs
	fresh     atomic.Bool  // no write of this process since gen was read
	pid       atomic.Int32 // the listening connection's server process
}

// observe moves the known generation forward to g.
func (w *generationWatch) observe(g int64) {
	for {
		cur := w.gen.Load()
		if g <= cur || w.gen.CompareAndSwap(cur, g) {
			return
		}
	}
}

// known returns the generation when the watch can vouch for it.
func (w *generationWatch) known() (int64, bool) {
	if w == nil || !w.listening.Load() || !w.fresh.Load() {
		return 0, false
	}
	return w.gen.Load(), true
}

// WatchGeneration follows the generation until ctx ends, for a process
// that serves pages (tach serve); it does nothing on SQLite. A lost
// connection is opened again, after 1 s, then up to 30 s; meanwhile
// Generation reads the row, as without a watch.
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
	var channel string
	if err := conn.QueryRow(ctx, `SELECT 'tach_generation_' || md5(current_schema())`).Scan(&channel); err != nil {
		return err
	}
	if _, err := conn.Exec(ctx, `LISTEN `+pgx.Identifier{channel}.Sanitize()); err != nil {
		return err
	}
	read := func() error {
		var g int64
		if err := conn.QueryRow(ctx, `SELECT gen FROM rollup_generation`).Scan(&g); err != nil {
			return fmt.Errorf("read rollup generation: %w", err)
		}
		w.observe(g)
		return nil
	}
	// LISTENing before the read: a move after it is notified.
	if err := read(); err != nil {
		return err
	}
	w.fresh.Store(true)
	w.listening.Store(true)
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			if errors.Is(err, context.Canceled) {
				return nil
			}
			return err
		}
		if err := read(); err != nil {
			return err
		}
	}
}

// wrote tells the watch that this process committed a write.
func (s *Store) wrote() {
	if w := s.gen.Load(); w != nil {
		w.fresh.Store(false)
	}
}

// GenerationFollowed reports whether Generation answers from memory now:
// WatchGeneration runs and its connection listens (/readyz says it).
func (s *Store) GenerationFollowed() bool {
	w := s.gen.Load()
	return w != nil && w.listening.Load()
}
