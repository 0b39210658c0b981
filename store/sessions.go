package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// Sessions of logged-in users. The session id handed to the browser is 32
// random bytes in hex; only its SHA-256 is stored, so a copy of the
// database (a backup, a leak) holds no live session. An id is looked up by
// its hash, which needs no constant-time comparison: nobody can choose an
// id whose hash matches a stored one.

// Session is a live session of a user.
type Session struct {
	User      User
	CreatedAt time.Time
	ExpiresAt time.Time
	LastSeen  time.Time
}

// sessionIDLen is the length in hex of a session id (32 bytes).
const sessionIDLen = 64

func hashSessionID(id string) string {
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:])
}

// CreateSession starts a session of a user for ttl and returns the id to
// give the browser (never stored) with the session.
func (s *Store) CreateSession(ctx context.Context, userID int64, ttl time.Duration, now time.Time) (string, Session, error) {
	raw := make([]byte, sessionIDLen/2)
	if _, err := rand.Read(raw); err != nil {
		return "", Session{}, fmt.Errorf("create session: %w", err)
	}
	id := hex.EncodeToString(raw)
	now = now.UTC().Truncate(time.Second)
	sess := Session{CreatedAt: now, ExpiresAt: now.Add(ttl), LastSeen: now}
	err := s.Write(ctx, func(tx *Tx) error {
		u, err := scanUser(tx.queryRow(ctx, `SELECT `+userCols+` FROM users WHERE id = ?`, userID))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("no user %d: %w", userID, ErrNotFound)
		}
		if err != nil {
			return err
		}
		sess.User = u
		_, err = tx.exec(ctx, `INSERT INTO sessions (id_hash, user_id, created_at, expires_at, last_seen) VALUES (?, ?, ?, ?, ?)`,
			hashSessionID(id), userID, now.Unix(), sess.ExpiresAt.Unix(), now.Unix())
		return err
	})
	if err != nil {
		return "", Session{}, fmt.Errorf("create session: %w", err)
	}
	return id, sess, nil
}

// Session returns the live session with this id and its user; ErrNotFound
// when the id is malformed, unknown or expired.
func (s *Store) Session(ctx context.Context, id string, now time.Time) (Session, error) {
	if len(id) != sessionIDLen {
		return Session{}, fmt.Errorf("session: %w", ErrNotFound)
	}
	if _, err := hex.DecodeString(id); err != nil {
		return Session{}, fmt.Errorf("session: %w", ErrNotFound)
	}
	var sess Session
	var created, expires, seen, uCreated, uUpdated int64
	err := s.read.QueryRowContext(ctx, `SELECT s.created_at, s.expires_at, s.last_seen, u.id, u.login, u.role, u.created_at, u.updated_at
		FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = ? AND s.expires_at > ?`, hashSessionID(id), now.Unix()).
		Scan(&created, &expires, &seen, &sess.User.ID, &sess.User.Login, &sess.User.Role, &uCreated, &uUpdated)
	if errors.Is(err, sql.ErrNoRows) {
		return Session{}, fmt.Errorf("session: %w", ErrNotFound)
	}
	if err != nil {
		return Session{}, fmt.Errorf("read session: %w", err)
	}
	sess.CreatedAt, sess.ExpiresAt, sess.LastSeen = time.Unix(created, 0).UTC(), time.Unix(expires, 0).UTC(), time.Unix(seen, 0).UTC()
	sess.User.CreatedAt, sess.User.UpdatedAt = time.Unix(uCreated, 0).UTC(), time.Unix(uUpdated, 0).UTC()
	return sess, nil
}

// TouchSession records that a session was used now and, when extendTo is
// later than its expiry, extends it (a sliding expiry); callers touch at
// most once a minute or so, to keep writes few.
func (s *Store) TouchSession(ctx context.Context, id string, now, extendTo time.Time) error {
	err := s.Write(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, `UPDATE sessions SET last_seen = ?, expires_at = `+tx.d.greatest("expires_at", "?")+` WHERE id_hash = ? AND expires_at > ?`,
			now.Unix(), extendTo.Unix(), hashSessionID(id), now.Unix())
		return err
	})
	if err != nil {
		return fmt.Errorf("touch session: %w", err)
	}
	return nil
}

// DeleteSession ends a session (logout). Ending one that does not exist is
// not an error.
func (s *Store) DeleteSession(ctx context.Context, id string) error {
	err := s.Write(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, `DELETE FROM sessions WHERE id_hash = ?`, hashSessionID(id))
		return err
	})
	if err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// DeleteUserSessions ends every session of a user.
func (s *Store) DeleteUserSessions(ctx context.Context, userID int64) error {
	err := s.Write(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, `DELETE FROM sessions WHERE user_id = ?`, userID)
		return err
	})
	if err != nil {
		return fmt.Errorf("delete sessions of user %d: %w", userID, err)
	}
	return nil
}

// PruneSessions deletes the sessions expired by now and returns how many.
func (s *Store) PruneSessions(ctx context.Context, now time.Time) (int64, error) {
	var n int64
	err := s.Write(ctx, func(tx *Tx) error {
		res, err := tx.exec(ctx, `DELETE FROM sessions WHERE expires_at <= ?`, now.Unix())
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("prune sessions: %w", err)
	}
	return n, nil
}
