package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"sync"
	"time"
)

// Roles of local users: read sees every page; write may also record
// decisions and start a sync.
const (
	RoleRead  = "read"
	RoleWrite = "write"
)

// User is a local user of `tach serve`. Its password hash never leaves
// this package.
type User struct {
	ID        int64
	Login     string
	Role      string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// CanWrite reports whether the user has the write role.
func (u User) CanWrite() bool { return u.Role == RoleWrite }

var (
	// ErrUserExists is wrapped by AddUser's error for a login taken.
	ErrUserExists = errors.New("user exists")
	// ErrBadCredentials is Authenticate's error for an unknown login or a
	// wrong password (the same error for both: a login form must not tell
	// which logins exist).
	ErrBadCredentials = errors.New("wrong login or password")
)

// loginPattern is what a login may be: letters, digits and . _ @ -, as in
// user names and e-mail addresses, at most 64 characters.
var loginPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$`)

// CheckLogin reports a login tach would not accept.
func CheckLogin(login string) error {
	if !loginPattern.MatchString(login) {
		return fmt.Errorf("login %q: use 1 to 64 letters, digits and . _ @ -, starting with a letter or digit", login)
	}
	return nil
}

// CheckRole reports a role that is neither read nor write.
func CheckRole(role string) error {
	if role != RoleRead && role != RoleWrite {
		return fmt.Errorf("role %q: use read or write", role)
	}
	return nil
}

// AddUser creates a user with a password (hashed here) and a role.
func (s *Store) AddUser(ctx context.Context, login, password, role string) (User, error) {
	if err := errors.Join(CheckLogin(login), CheckRole(role), CheckPasswordPolicy(password)); err != nil {
		return User{}, fmt.Errorf("add user: %w", err)
	}
	hash, err := HashPassword(password)
	if err != nil {
		return User{}, fmt.Errorf("add user %s: %w", login, err)
	}
	now := time.Now().UTC().Truncate(time.Second)
	u := User{Login: login, Role: role, CreatedAt: now, UpdatedAt: now}
	err = s.Write(ctx, func(tx *Tx) error {
		var n int
		if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM users WHERE `+tx.d.nocaseEq("login"), login).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("%w: %s already exists; use `tach users passwd %s` to change its password", ErrUserExists, login, login)
		}
		return tx.queryRow(ctx, `INSERT INTO users (login, password_hash, role, created_at, updated_at) VALUES (?, ?, ?, ?, ?) RETURNING id`,
			login, hash, role, now.Unix(), now.Unix()).Scan(&u.ID)
	})
	if err != nil {
		return User{}, fmt.Errorf("add user %s: %w", login, err)
	}
	return u, nil
}

const userCols = `id, login, role, created_at, updated_at`

func scanUser(sc interface{ Scan(...any) error }) (User, error) {
	var u User
	var created, updated int64
	err := sc.Scan(&u.ID, &u.Login, &u.Role, &created, &updated)
	u.CreatedAt, u.UpdatedAt = time.Unix(created, 0).UTC(), time.Unix(updated, 0).UTC()
	return u, err
}

// Users lists the users by login.
func (s *Store) Users(ctx context.Context) ([]User, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+userCols+` FROM users ORDER BY `+s.d.nocase("login"))
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("list users: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// CountUsers is the number of users (none: local login is not set up).
func (s *Store) CountUsers(ctx context.Context) (int, error) {
	var n int
	if err := s.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM users`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count users: %w", err)
	}
	return n, nil
}

// UserByLogin finds a user (logins compare case-insensitively).
func (s *Store) UserByLogin(ctx context.Context, login string) (User, error) {
	u, err := scanUser(s.read.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE `+s.d.nocaseEq("login"), login))
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, fmt.Errorf("user %s: %w", login, ErrNotFound)
	}
	if err != nil {
		return User{}, fmt.Errorf("find user %s: %w", login, err)
	}
	return u, nil
}

// RemoveUser deletes a user and its sessions.
func (s *Store) RemoveUser(ctx context.Context, login string) error {
	return s.changeUser(ctx, "remove user", login, true, `DELETE FROM users WHERE `+s.d.nocaseEq("login"), login)
}

// SetPassword replaces a user's password and ends every session it has:
// a changed password logs everyone out who knew the old one.
func (s *Store) SetPassword(ctx context.Context, login, password string) error {
	if err := CheckPasswordPolicy(password); err != nil {
		return fmt.Errorf("set password of %s: %w", login, err)
	}
	hash, err := HashPassword(password)
	if err != nil {
		return fmt.Errorf("set password of %s: %w", login, err)
	}
	return s.changeUser(ctx, "set password of", login, true,
		`UPDATE users SET password_hash = ?, updated_at = ? WHERE `+s.d.nocaseEq("login"), hash, time.Now().Unix(), login)
}

// SetRole changes a user's role.
func (s *Store) SetRole(ctx context.Context, login, role string) error {
	if err := CheckRole(role); err != nil {
		return fmt.Errorf("set role of %s: %w", login, err)
	}
	return s.changeUser(ctx, "set role of", login, false, `UPDATE users SET role = ?, updated_at = ? WHERE `+s.d.nocaseEq("login"), role, time.Now().Unix(), login)
}

// changeUser runs one statement on a user's row and, with endSessions,
// deletes its sessions, in one transaction.
func (s *Store) changeUser(ctx context.Context, op, login string, endSessions bool, query string, args ...any) error {
	err := s.Write(ctx, func(tx *Tx) error {
		var id int64
		err := tx.queryRow(ctx, `SELECT id FROM users WHERE `+tx.d.nocaseEq("login"), login).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("no user %s: %w", login, ErrNotFound)
		}
		if err != nil {
			return err
		}
		if endSessions {
			if _, err := tx.exec(ctx, `DELETE FROM sessions WHERE user_id = ?`, id); err != nil {
				return err
			}
		}
		_, err = tx.exec(ctx, query, args...)
		return err
	})
	if err != nil {
		return fmt.Errorf("%s %s: %w", op, login, err)
	}
	return nil
}

// dummyHash is verified against when a login does not exist, so that an
// unknown login takes as long to refuse as a wrong password.
var dummyHash = sync.OnceValue(func() string {
	h, _ := HashPassword("tach-dummy-password-for-timing")
	return h
})

// Authenticate returns the user whose login and password these are, or
// ErrBadCredentials.
func (s *Store) Authenticate(ctx context.Context, login, password string) (User, error) {
	if len(password) > MaxPasswordLength || len(login) > 64 {
		return User{}, ErrBadCredentials
	}
	var hash string
	var created, updated int64
	var u User
	err := s.read.QueryRowContext(ctx, `SELECT id, login, role, created_at, updated_at, password_hash FROM users WHERE `+s.d.nocaseEq("login"), login).
		Scan(&u.ID, &u.Login, &u.Role, &created, &updated, &hash)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		VerifyPassword(dummyHash(), password)
		return User{}, ErrBadCredentials
	case err != nil:
		return User{}, fmt.Errorf("authenticate: %w", err)
	}
	if !VerifyPassword(hash, password) {
		return User{}, ErrBadCredentials
	}
	u.CreatedAt, u.UpdatedAt = time.Unix(created, 0).UTC(), time.Unix(updated, 0).UTC()
	return u, nil
}
