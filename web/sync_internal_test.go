package web

import (
	"testing"
	"time"

	"github.com/tach-dev/tach/store"
)

// A warning left by a sync that finished (the deployment source's hint)
// is tagged a warning; an error after the last success stays an error.
func TestLastErrorTag(t *testing.T) {
	at := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		st   store.SyncState
		want string
	}{
		{store.SyncState{LastError: "deployments.source … found no production deployment", LastErrorAt: at, LastSuccessAt: at}, "warning"},
		{store.SyncState{LastError: "401 Bad credentials", LastErrorAt: at, LastSuccessAt: at.Add(-time.Hour)}, "error"},
		{store.SyncState{LastError: "401 Bad credentials", LastErrorAt: at}, "error"},
	} {
		if got := lastErrorTag(c.st); got != c.want {
			t.Errorf("%q: %s, want %s", c.st.LastError, got, c.want)
		}
	}
}
