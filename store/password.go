package store

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Passwords are stored as argon2id hashes in the PHC string format
// ($argon2id$v=19$m=19456,t=2,p=1$salt$key), so the parameters travel with
// each hash and can be raised later without breaking old ones. The
// defaults are OWASP's minimum for argon2id (19 MiB, 2 passes, 1 lane):
// about 30 ms a login on a small server.

// Argon2Params are the cost parameters of new password hashes.
type Argon2Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes
	Threads uint8
}

// PasswordParams are used for every new hash; tests may lower them.
var PasswordParams = Argon2Params{Memory: 19 * 1024, Time: 2, Threads: 1}

// Password length bounds: long enough to resist guessing, short enough
// that hashing one cannot be used to tie up the server.
const (
	MinPasswordLength = 12
	MaxPasswordLength = 1024
)

// ErrWeakPassword is wrapped by the error for a password out of bounds.
var ErrWeakPassword = errors.New("password too short")

const (
	saltLen = 16
	keyLen  = 32
)

// CheckPasswordPolicy reports a password that is too short or too long.
func CheckPasswordPolicy(password string) error {
	n := len([]rune(password))
	switch {
	case strings.TrimSpace(password) == "":
		return fmt.Errorf("%w: the password is empty", ErrWeakPassword)
	case n < MinPasswordLength:
		return fmt.Errorf("%w: the password has %d characters; use at least %d", ErrWeakPassword, n, MinPasswordLength)
	case len(password) > MaxPasswordLength:
		return fmt.Errorf("%w: the password is longer than %d bytes", ErrWeakPassword, MaxPasswordLength)
	}
	return nil
}

// HashPassword returns the argon2id hash of password with a fresh salt.
func HashPassword(password string) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	p := PasswordParams
	key := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, keyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// VerifyPassword reports whether password matches hash, comparing the keys
// in constant time.
func VerifyPassword(hash, password string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false
	}
	var p Argon2Params
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil {
		return false
	}
	// Bounds, so a tampered hash cannot make a login take minutes.
	if p.Memory == 0 || p.Memory > 1<<20 || p.Time == 0 || p.Time > 16 || p.Threads == 0 {
		return false
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil || len(salt) < 8 {
		return false
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil || len(want) < 16 || len(want) > 64 {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}
