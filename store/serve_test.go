package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tach-dev/tach/store"
	"github.com/tach-dev/tach/store/storetest"
)

func init() {
	// Cheap hashes keep the tests fast; the format is the same.
	store.PasswordParams = store.Argon2Params{Memory: 1024, Time: 1, Threads: 1}
}

func TestDeliveriesAreRecordedOnce(t *testing.T) {
	st := storetest.New(t)
	now := at("2026-03-01T10:00:00Z")
	first, err := st.RecordDelivery(ctx, store.GitHub, "d-1", "pull_request", now, store.DeliveryReceived)
	if err != nil || !first {
		t.Fatalf("first delivery: %v, %v", first, err)
	}
	first, err = st.RecordDelivery(ctx, store.GitHub, "d-1", "pull_request", now.Add(time.Minute), store.DeliveryReceived)
	if err != nil || first {
		t.Fatalf("redelivery seen as first: %v, %v", first, err)
	}
	// The same id from the other provider is another delivery.
	if first, _ := st.RecordDelivery(ctx, store.GitLab, "d-1", "Merge Request Hook", now, store.DeliveryReceived); !first {
		t.Error("a GitLab delivery with a GitHub delivery's id was taken as a duplicate")
	}
	// A delivery whose processing failed may be redelivered and tried again.
	if err := st.SetDeliveryOutcome(ctx, store.GitHub, "d-1", store.DeliveryFailed); err != nil {
		t.Fatal(err)
	}
	if first, _ := st.RecordDelivery(ctx, store.GitHub, "d-1", "pull_request", now.Add(2*time.Minute), store.DeliveryReceived); !first {
		t.Error("a failed delivery cannot be retried")
	}
	if err := st.SetDeliveryOutcome(ctx, store.GitHub, "d-1", store.DeliveryApplied); err != nil {
		t.Fatal(err)
	}
	ds, err := st.Deliveries(ctx, now)
	if err != nil || len(ds) != 2 {
		t.Fatalf("deliveries = %+v, %v", ds, err)
	}
	if _, err := st.RecordDelivery(ctx, store.GitHub, "", "x", now, store.DeliveryReceived); err == nil {
		t.Error("an empty delivery id was accepted")
	}
	// Pruning keeps what is recent.
	if _, err := st.RecordDelivery(ctx, store.GitHub, "old", "issues", now.Add(-60*24*time.Hour), store.DeliveryReceived); err != nil {
		t.Fatal(err)
	}
	n, err := st.PruneDeliveries(ctx, now.Add(-30*24*time.Hour))
	if err != nil || n != 1 {
		t.Errorf("pruned %d, %v; want the one old delivery", n, err)
	}
	if first, _ := st.RecordDelivery(ctx, store.GitHub, "d-1", "pull_request", now, store.DeliveryReceived); first {
		t.Error("pruning dropped a recent delivery")
	}
}

func TestConcurrentRedeliveriesApplyOnce(t *testing.T) {
	st := storetest.New(t)
	if firsts := firstDeliveries(t, st); firsts != 1 {
		t.Errorf("%d of 20 concurrent deliveries were taken as first", firsts)
	}
}

// firstDeliveries records one delivery 20 times at once, through the
// stores in turn, and counts the times it was taken as first.
func firstDeliveries(t *testing.T, stores ...*store.Store) int {
	var wg sync.WaitGroup
	var mu sync.Mutex
	firsts := 0
	for i := range 20 {
		st := stores[i%len(stores)]
		wg.Go(func() {
			first, err := st.RecordDelivery(ctx, store.GitHub, "same", "issues", time.Now(), store.DeliveryReceived)
			if err != nil {
				t.Error(err)
			}
			if first {
				mu.Lock()
				firsts++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return firsts
}

func TestUsers(t *testing.T) {
	st := storetest.New(t)
	const pw = "correct horse battery"
	u, err := st.AddUser(ctx, "ada", pw, store.RoleWrite)
	if err != nil {
		t.Fatal(err)
	}
	if !u.CanWrite() || u.ID == 0 {
		t.Errorf("user = %+v", u)
	}
	if _, err := st.AddUser(ctx, "ADA", pw, store.RoleRead); !errors.Is(err, store.ErrUserExists) {
		t.Errorf("a login differing in case was added twice: %v", err)
	}
	for _, tc := range []struct{ login, pw, role string }{
		{"bob", "Xq7-pw", store.RoleRead},
		{"bob", "            ", store.RoleRead},
		{"bob", pw, "admin"},
		{"bad login", pw, store.RoleRead},
		{"", pw, store.RoleRead},
	} {
		if _, err := st.AddUser(ctx, tc.login, tc.pw, tc.role); err == nil {
			t.Errorf("AddUser(%q, %q, %q) accepted", tc.login, tc.pw, tc.role)
		} else if strings.Contains(err.Error(), tc.pw) && strings.TrimSpace(tc.pw) != "" {
			t.Errorf("error shows the password: %v", err)
		}
	}
	got, err := st.Authenticate(ctx, "ada", pw)
	if err != nil || got.ID != u.ID || got.Role != store.RoleWrite {
		t.Fatalf("Authenticate = %+v, %v", got, err)
	}
	for _, bad := range [][2]string{{"ada", "wrong password!"}, {"nobody", pw}, {"ada", ""}} {
		if _, err := st.Authenticate(ctx, bad[0], bad[1]); !errors.Is(err, store.ErrBadCredentials) {
			t.Errorf("Authenticate(%q) = %v, want ErrBadCredentials", bad[0], err)
		}
	}
	// The hash is argon2id and holds no trace of the password.
	db := storetest.Raw(t, st.Path())
	var hash string
	if err := db.QueryRow(`SELECT password_hash FROM users WHERE login = 'ada'`).Scan(&hash); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(hash, "$argon2id$v=19$") || strings.Contains(hash, pw) {
		t.Errorf("stored hash = %q", hash)
	}

	// A new password ends the user's sessions.
	id, _, err := st.CreateSession(ctx, u.ID, time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SetPassword(ctx, "ada", "another long password"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Session(ctx, id, time.Now()); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("session survived a password change: %v", err)
	}
	if _, err := st.Authenticate(ctx, "ada", pw); err == nil {
		t.Error("the old password still works")
	}
	if err := st.SetRole(ctx, "ada", store.RoleRead); err != nil {
		t.Fatal(err)
	}
	if u, _ := st.UserByLogin(ctx, "ADA"); u.Role != store.RoleRead {
		t.Errorf("role = %q", u.Role)
	}
	if n, _ := st.CountUsers(ctx); n != 1 {
		t.Errorf("users = %d", n)
	}
	if err := st.RemoveUser(ctx, "ada"); err != nil {
		t.Fatal(err)
	}
	if err := st.RemoveUser(ctx, "ada"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("removing a missing user: %v", err)
	}
	if us, _ := st.Users(ctx); len(us) != 0 {
		t.Errorf("users after removal = %v", us)
	}
}

func TestVerifyPasswordRejectsTamperedHashes(t *testing.T) {
	h, err := store.HashPassword("a long enough password")
	if err != nil {
		t.Fatal(err)
	}
	if !store.VerifyPassword(h, "a long enough password") {
		t.Fatal("a good password is refused")
	}
	for _, bad := range []string{"", "$argon2id$", "$bcrypt$x$y$z$w", strings.Replace(h, "m=1024", "m=999999999", 1),
		strings.Replace(h, "t=1", "t=0", 1), h[:len(h)-4]} {
		if store.VerifyPassword(bad, "a long enough password") {
			t.Errorf("accepted against %q", bad)
		}
	}
}

func TestSessions(t *testing.T) {
	st := storetest.New(t)
	u, err := st.AddUser(ctx, "ada", "correct horse battery", store.RoleRead)
	if err != nil {
		t.Fatal(err)
	}
	now := at("2026-03-01T10:00:00Z")
	id, sess, err := st.CreateSession(ctx, u.ID, 8*time.Hour, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(id) != 64 || sess.User.Login != "ada" || !sess.ExpiresAt.Equal(now.Add(8*time.Hour)) {
		t.Fatalf("session = %q %+v", id, sess)
	}
	got, err := st.Session(ctx, id, now.Add(time.Hour))
	if err != nil || got.User.ID != u.ID || got.User.Role != store.RoleRead {
		t.Fatalf("Session = %+v, %v", got, err)
	}
	// Only the hash is stored.
	db := storetest.Raw(t, st.Path())
	var stored string
	if err := db.QueryRow(`SELECT id_hash FROM sessions`).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if stored == id || len(stored) != 64 {
		t.Errorf("stored id = %q (the raw id is %q)", stored, id)
	}
	for _, bad := range []string{"", "x", stored, strings.Repeat("z", 64), id[:63]} {
		if _, err := st.Session(ctx, bad, now); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Session(%q) = %v, want ErrNotFound", bad, err)
		}
	}
	// Expiry, a sliding extension, logout, pruning.
	if _, err := st.Session(ctx, id, now.Add(9*time.Hour)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("expired session: %v", err)
	}
	if err := st.TouchSession(ctx, id, now.Add(7*time.Hour), now.Add(15*time.Hour)); err != nil {
		t.Fatal(err)
	}
	got, err = st.Session(ctx, id, now.Add(9*time.Hour))
	if err != nil || !got.LastSeen.Equal(now.Add(7*time.Hour)) {
		t.Errorf("after touch: %+v, %v", got, err)
	}
	id2, _, _ := st.CreateSession(ctx, u.ID, time.Minute, now)
	if n, err := st.PruneSessions(ctx, now.Add(time.Hour)); err != nil || n != 1 {
		t.Errorf("pruned %d, %v; want 1", n, err)
	}
	if _, err := st.Session(ctx, id2, now); !errors.Is(err, store.ErrNotFound) {
		t.Error("a pruned session lives")
	}
	if err := st.DeleteSession(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Session(ctx, id, now); !errors.Is(err, store.ErrNotFound) {
		t.Error("a deleted session lives")
	}
	if _, _, err := st.CreateSession(ctx, 999, time.Hour, now); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("session for a missing user: %v", err)
	}
	id3, _, _ := st.CreateSession(ctx, u.ID, time.Hour, now)
	if err := st.DeleteUserSessions(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Session(ctx, id3, now); !errors.Is(err, store.ErrNotFound) {
		t.Error("DeleteUserSessions left a session")
	}
}

func TestBackupWhileWriting(t *testing.T) {
	storetest.SkipOnPostgres(t, "VACUUM INTO a file (TestBackupOnPostgres)")
	st := storetest.New(t)
	repo := mustRepo(t, st, "acme/api")
	// A writer commits batches the whole time the backups run.
	wctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	var written int
	defer func() { stop(); wg.Wait() }()
	go func() {
		defer wg.Done()
		for n := 1; wctx.Err() == nil; n++ {
			err := st.Write(ctx, func(tx *store.Tx) error {
				for i := range 20 {
					num := int64(n*100 + i)
					_, _, err := tx.UpsertChange(ctx, store.Change{RepoID: repo, Number: num, Title: fmt.Sprint("c", num), Author: "a", State: "open",
						CreatedAt: at("2026-01-01T00:00:00Z"), UpdatedAt: at("2026-01-01T00:00:00Z")})
					if err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				t.Error(err)
				return
			}
			written = n
		}
	}()
	dir := t.TempDir()
	var sizes []int
	for i := range 5 {
		dest := filepath.Join(dir, fmt.Sprintf("backup-%d.db", i))
		if err := st.Backup(ctx, dest); err != nil {
			t.Fatalf("backup %d: %v", i, err)
		}
		// Each copy is a whole, consistent database: whole batches only.
		db, err := sql.Open("sqlite", "file:"+dest+"?mode=ro")
		if err != nil {
			t.Fatal(err)
		}
		if err := store.IntegrityCheck(ctx, db); err != nil {
			t.Errorf("backup %d: %v", i, err)
		}
		var n int
		if err := db.QueryRow(`SELECT COUNT(*) FROM changes`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n%20 != 0 {
			t.Errorf("backup %d holds %d changes: half a transaction", i, n)
		}
		var mode string
		db.QueryRow(`PRAGMA journal_mode`).Scan(&mode)
		db.Close()
		if mode != "delete" {
			t.Errorf("backup journal mode = %q, want delete (one self-contained file)", mode)
		}
		sizes = append(sizes, n)
		time.Sleep(10 * time.Millisecond)
	}
	stop()
	wg.Wait()
	if written < 2 {
		t.Errorf("the writer committed %d batches during the backups", written)
	}
	t.Logf("backups held %v changes while %d batches were written", sizes, written)

	// Never overwrite, never leave temporary files.
	dest := filepath.Join(dir, "backup-0.db")
	before, _ := os.ReadFile(dest)
	if err := st.Backup(ctx, dest); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Errorf("overwrote an existing backup: %v", err)
	}
	after, _ := os.ReadFile(dest)
	if string(before) != string(after) {
		t.Error("the existing file changed")
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), "partial") || strings.HasSuffix(e.Name(), "-wal") {
			t.Errorf("left behind: %s", e.Name())
		}
	}
	if err := st.Backup(ctx, filepath.Join(dir, "no", "such", "x.db")); err == nil {
		t.Error("backup into a missing directory succeeded")
	}
	// A backup opens as a tach database.
	restored, err := store.OpenExisting(ctx, dest)
	if err != nil {
		t.Fatal(err)
	}
	defer restored.Close()
	if err := restored.IntegrityCheck(ctx); err != nil {
		t.Error(err)
	}
}

// On PostgreSQL, backups are pg_dump's: Backup says so and writes nothing.
func TestBackupOnPostgres(t *testing.T) {
	storetest.SkipUnlessPostgres(t)
	st := storetest.New(t)
	dest := filepath.Join(t.TempDir(), "backup.db")
	if err := st.Backup(ctx, dest); !errors.Is(err, store.ErrBackupPostgres) {
		t.Fatalf("Backup = %v, want ErrBackupPostgres", err)
	}
	if _, err := os.Stat(dest); err == nil {
		t.Error("Backup wrote a file")
	}
}
