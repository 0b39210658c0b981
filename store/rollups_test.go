package store_test

import (
	"errors"
	"reflect"
	"testing"

	"github.com/tach-dev/tach/store"
	"github.com/tach-dev/tach/store/storetest"
)

// ReadRollups gives the open facts of the fresh repos, then the periods
// asked for of those only, in the order of the repos asked for; a caller
// that stops with an error leaves nothing open (the next read works).
func TestReadRollups(t *testing.T) {
	st := storetest.New(t)
	a, b, c := mustRepo(t, st, "acme/a"), mustRepo(t, st, "acme/b"), mustRepo(t, st, "acme/c")
	for _, id := range []int64{a, b, c} {
		if err := st.BeginRollup(ctx, id); err != nil {
			t.Fatal(err)
		}
		version := "v1"
		if id == c {
			version = "v0" // built by another version: not fresh for v1
		}
		r := store.Rollup{Version: version, Open: []byte{byte(id)}, Periods: map[int][]byte{10: {byte(id), 10}, 11: {byte(id), 11}, 30: {byte(id), 30}}}
		if err := st.SaveDerivedRollup(ctx, id, store.DerivedDiff{}, r); err != nil {
			t.Fatal(err)
		}
	}
	type period struct {
		repo int64
		p    int
		b    []byte
	}
	read := func(ids []int64, from, to int) (map[int64][]byte, []period, error) {
		var open map[int64][]byte
		var got []period
		err := st.ReadRollups(ctx, ids, "v1", from, to, func(o map[int64][]byte) error {
			open = o
			return nil
		}, func(repo int64, p int, b []byte) error {
			got = append(got, period{repo, p, append([]byte(nil), b...)})
			return nil
		})
		return open, got, err
	}
	open, got, err := read([]int64{b, c, a}, 5, 20)
	if err != nil {
		t.Fatal(err)
	}
	if want := map[int64][]byte{a: {byte(a)}, b: {byte(b)}}; !reflect.DeepEqual(open, want) {
		t.Errorf("open %v, want %v", open, want)
	}
	want := []period{{b, 10, []byte{byte(b), 10}}, {b, 11, []byte{byte(b), 11}}, {a, 10, []byte{byte(a), 10}}, {a, 11, []byte{byte(a), 11}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("periods %v, want %v", got, want)
	}
	if _, got, err := read([]int64{a}, 12, 11); err != nil || len(got) != 0 {
		t.Errorf("no period asked: %v, %v", got, err)
	}
	stop := errors.New("stop")
	for range 3 {
		err := st.ReadRollups(ctx, []int64{a, b}, "v1", 0, 40, func(map[int64][]byte) error { return nil },
			func(int64, int, []byte) error { return stop })
		if !errors.Is(err, stop) {
			t.Fatalf("a caller's error: %v", err)
		}
		if _, got, err := read([]int64{a}, 30, 30); err != nil || len(got) != 1 {
			t.Fatalf("after a caller's error: %v, %v", got, err)
		}
	}
}
