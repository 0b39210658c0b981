package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
)

// Following the generation (and the decisions). Every page a replica serves asks whether the
// store's generation moved (its caches stand while it has not). On SQLite
// that is a read of one row, in-process; on PostgreSQL it was a round trip
// on every request, to a server competing for the same CPUs — most of the
// overview's median at a million changes. WatchGeneration follows the
// generation instead: a connection of its own LISTENs to what the
// generation's trigger sends when it moves (0010_generation_notify), and
// Generation answers from memory while that connection lives. A write of
// this process makes the next Generation read the row, since the
// notification comes after the commit and a page asked right after a
// write must see it; the value only moves forward. The decisions, which
// every page lists for its scope, are kept the same way: the list read is
// kept while no notification of theirs (and no write of this process)
// came since the read began.

// generationWatch is what the watch knows of the generation.
type generationWatch struct {
	gen       atomic.Int64
	listening atomic.Bool  // the connection is up and LISTENs
	fresh     atomic.Bool  // no write of this process since gen was read
	pid       atomic.Int32 // the listening connection's server process

	// decisionsEpoch moves with each notification of the decisions, each
	// write of this process and each new connection; decisions holds the
	// list read in an epoch.
	decisionsEpoch atomic.Int64
	decisions      atomic.Pointer[keptDecisions]
}

// keptDecisions is the decisions list as read in an epoch.
type keptDecisions struct {
	epoch int64
	list  []Decision
}

// keptDecisionsNow returns the decisions read in this epoch, if any.
func (w *generationWatch) keptDecisionsNow() ([]Decision, bool) {
	if w == nil || !w.listening.Load() {
		return nil, false
	}
	k := w.decisions.Load()
	if k == nil || k.epoch != w.decisionsEpoch.Load() {
		return nil, false
	}
	return slices.Clone(k.list), true
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
	w.decisionsEpoch.Add(1) // what was kept may have moved while no one listened
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
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			if errors.Is(err, context.Canceled) {
				return nil
			}
			return err
		}
		if n.Channel == decisionsChannel {
			w.decisionsEpoch.Add(1)
			continue
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
		w.decisionsEpoch.Add(1)
	}
}

// GenerationFollowed reports whether Generation answers from memory now:
// WatchGeneration runs and its connection listens (/readyz says it).
func (s *Store) GenerationFollowed() bool {
	w := s.gen.Load()
	return w != nil && w.listening.Load()
}
