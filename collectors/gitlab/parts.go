package gitlab

import (
	"context"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/tach-dev/tach/collectors"
	"github.com/tach-dev/tach/store"
)

// splitWindow cuts a first sync's window, from its start to now (the
// sink's clock), into parts of equal length, to the second, and returns
// where each part but the last ends: the window's pages are then read as
// that many chains at once, part i updated from bounds[i-1] (from, for the
// first) to bounds[i], both inclusive, and the last from the last bound
// on, each about as long as the one chain a single walk is ÷ parts. It
// returns none on a re-sync (the resource has a watermark), which walks
// once from it as it always did, and for a window too short to split.
func splitWindow(st store.SyncState, sink *collectors.Sink, from time.Time, parts int) (bounds []time.Time) {
	if !st.Watermark.IsZero() || parts < 2 {
		return nil
	}
	now := time.Now
	if n := sink.Options().Now; n != nil {
		now = n
	}
	span := now().UTC().Sub(from)
	prev := from
	for i := 1; i < parts; i++ {
		b := from.Add(span * time.Duration(i) / time.Duration(parts)).Truncate(time.Second)
		if !b.After(prev) {
			return nil
		}
		bounds = append(bounds, b)
		prev = b
	}
	return bounds
}

// walkParts runs walk for each part of a window cut at bounds (see
// splitWindow), all at once: part i from bounds[i-1] (from, for the first)
// to bounds[i] (none, for the last). The first to fail stops the others.
func walkParts(ctx context.Context, from time.Time, bounds []time.Time, walk func(ctx context.Context, part int, after, before time.Time) error) error {
	g, gctx := errgroup.WithContext(ctx)
	for i := range len(bounds) + 1 {
		after, before := from, time.Time{} // the newest part: no end
		if i > 0 {
			after = bounds[i-1]
		}
		if i < len(bounds) {
			before = bounds[i]
		}
		g.Go(func() error { return walk(gctx, i, after, before) })
	}
	return g.Wait()
}

// writes is the update of each item a first sync's parts committed, by
// key: an item updated while the parts run can be read by two, and the
// older read is not written over the newer.
type writes[K comparable] map[K]time.Time

// stale reports whether another part wrote k as updated after updated.
func (w writes[K]) stale(k K, updated time.Time) bool {
	at, ok := w[k]
	return ok && at.After(updated)
}
