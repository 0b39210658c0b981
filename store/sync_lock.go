package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/stdlib"
)

// The sync lock: several `tach serve` on one PostgreSQL database all serve
// pages and webhooks, but exactly one runs the scheduled sync. That one
// holds a session advisory lock on a connection of its own, for as long as
// it lives; when it dies, the server ends its session and the lock goes
// with it, and another replica takes it at its next tick. On SQLite, one
// file, the lock is always this process's.

// SyncLock is a process's claim to run the scheduled sync.
type SyncLock struct {
	pc *postgresConfig // nil: SQLite

	mu   sync.Mutex
	db   *sql.DB   // one connection, opened on the first try
	conn *sql.Conn // holds the lock while not nil
}

func newSyncLock(pc *postgresConfig) *SyncLock { return &SyncLock{pc: pc} }

// SyncLock is the store's sync lock.
func (s *Store) SyncLock() *SyncLock { return s.lock }

// TryAcquire takes the lock if no other process holds it, and reports
// whether this one holds it now. Held already, it checks that the
// connection holding it still answers: one the server lost took the lock
// with it, and it is tried afresh.
func (l *SyncLock) TryAcquire(ctx context.Context) (bool, error) {
	if l.pc == nil {
		return true, nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.conn != nil {
		check, cancel := context.WithTimeout(ctx, 5*time.Second)
		err := l.conn.PingContext(check)
		cancel()
		if err == nil {
			return true, nil
		}
		l.conn.Close()
		l.conn = nil
	}
	if l.db == nil {
		l.db = stdlib.OpenDB(*l.pc.conn)
		l.db.SetMaxOpenConns(1)
		l.db.SetMaxIdleConns(1)
	}
	conn, err := l.db.Conn(ctx)
	if err != nil {
		return false, fmt.Errorf("sync lock: %w", redactErr(err, l.pc.password))
	}
	var got bool
	err = conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock(`+strconv.Itoa(syncLockClass)+`, hashtext(current_schema()))`).Scan(&got)
	if err != nil || !got {
		conn.Close()
		if err != nil {
			return false, fmt.Errorf("sync lock: %w", redactErr(err, l.pc.password))
		}
		return false, nil
	}
	l.conn = conn
	return true, nil
}

// Held reports whether this process held the lock when last tried.
func (l *SyncLock) Held() bool {
	if l.pc == nil {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.conn != nil
}

// Shared reports whether the lock is shared with other processes (the
// database is PostgreSQL), so that holding it means something.
func (l *SyncLock) Shared() bool { return l.pc != nil }

// Release gives the lock up, for another replica to take.
func (l *SyncLock) Release() {
	if l.pc == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.conn != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		l.conn.ExecContext(ctx, `SELECT pg_advisory_unlock(`+strconv.Itoa(syncLockClass)+`, hashtext(current_schema()))`)
		cancel()
		l.conn.Close()
		l.conn = nil
	}
}

func (l *SyncLock) close() {
	l.Release()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.db != nil {
		l.db.Close()
		l.db = nil
	}
}

// Keep tries the lock now and every interval until ctx ends — taking it
// when it is free (the replica holding it died), checking the connection
// that holds it — and calls changed whenever this process gains or loses
// it (err is a failed try's, for the log). The scheduled sync also tries
// it before each run; Keep makes Held, and so /readyz, true between runs.
func (l *SyncLock) Keep(ctx context.Context, interval time.Duration, changed func(held bool, err error)) {
	held := false
	for {
		now, err := l.TryAcquire(ctx)
		if ctx.Err() != nil {
			return
		}
		if now != held || err != nil {
			changed(now, err)
		}
		held = now
		select {
		case <-ctx.Done():
			return
		case <-time.After(interval):
		}
	}
}
