// Package storetest gives each test a fresh, migrated tach database.
package storetest

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/tach-dev/tach/store"
)

// New opens a fresh database in t.TempDir(), migrated to the latest schema,
// and closes it when the test ends.
func New(t testing.TB) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "tach.db"))
	if err != nil {
		t.Fatalf("storetest: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}
