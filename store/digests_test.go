package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/tach-dev/tach/store"
	"github.com/tach-dev/tach/store/storetest"
)

func TestDigestClaimedOnce(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	k := store.DigestKey{Period: "2026-11-30", Scope: "payments", Target: "slack:ab12"}
	now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	claim := func(at time.Time) bool {
		t.Helper()
		ok, err := st.ClaimDigest(ctx, k, at, 10*time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if !claim(now) {
		t.Fatal("the first claim was refused")
	}
	if claim(now.Add(time.Minute)) {
		t.Error("a second replica claimed a delivery in flight")
	}
	// A failed post releases the claim: the next try may post.
	if err := st.FinishDigest(ctx, k, now.Add(2*time.Minute), "503 Service Unavailable"); err != nil {
		t.Fatal(err)
	}
	if !claim(now.Add(3 * time.Minute)) {
		t.Error("a released claim could not be taken again")
	}
	// A claim whose replica died is taken over once it is old.
	if claim(now.Add(5 * time.Minute)) {
		t.Error("a fresh claim was taken over")
	}
	if !claim(now.Add(14 * time.Minute)) {
		t.Error("a stale claim was not taken over")
	}
	if err := st.FinishDigest(ctx, k, now.Add(15*time.Minute), ""); err != nil {
		t.Fatal(err)
	}
	for _, at := range []time.Time{now.Add(16 * time.Minute), now.Add(48 * time.Hour)} {
		if claim(at) {
			t.Errorf("a sent digest was claimed again at %v", at)
		}
	}
	d, ok, err := st.DigestSent(ctx, k)
	if err != nil || !ok || !d.SentAt.Equal(now.Add(15*time.Minute)) || d.Attempts != 3 || d.LastError != "" {
		t.Errorf("recorded %+v, %v, %v", d, ok, err)
	}
	// Another week, scope or destination is another delivery.
	for _, other := range []store.DigestKey{{Period: "2026-12-07", Scope: "payments", Target: "slack:ab12"}, {Period: "2026-11-30", Scope: "", Target: "slack:ab12"}, {Period: "2026-11-30", Scope: "payments", Target: "teams:cd34"}} {
		if ok, err := st.ClaimDigest(ctx, other, now, time.Minute); err != nil || !ok {
			t.Errorf("%+v: %v, %v", other, ok, err)
		}
	}
}
