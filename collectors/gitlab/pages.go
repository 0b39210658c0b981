package gitlab

import (
	"context"
	"time"

	gl "gitlab.com/gitlab-org/api/client-go"
)

// fetchPage asks for one page of a list sorted by updated_at ascending,
// starting at updatedAfter; page is nil for the first page, else the
// request option that turns to the next one.
type fetchPage[T any] func(updatedAfter time.Time, page gl.RequestOptionFunc) ([]T, *gl.Response, error)

// walkUpdated lists everything updated at or after from, oldest first, and
// hands each page to handle with the watermark the page reaches (the
// newest updated_at seen so far) and whether it was the last page.
//
// It pages by time rather than by offset where it can: the next request
// starts at the page's newest updated_at instead of asking for page 2. An
// item updated while the sync runs moves to the end of the list, and with
// offset pages every item behind it would shift one place and one would
// be skipped, its updated_at already under the watermark: lost for good.
// Starting each page at the watermark cannot skip anything (the items at
// exactly the watermark come again, and upserting them changes nothing).
// Only when a whole page shares one second does it fall back to the next
// page GitLab offers (x-next-page or a Link header), which the time cannot
// step past. Items this walk already handed over, unchanged (same id and
// updated_at), are not handed over again, so their details are not read
// twice.
func walkUpdated[T any](ctx context.Context, from time.Time, fetch fetchPage[T], updatedAt func(T) time.Time, id func(T) int64,
	handle func(items []T, watermark time.Time, last bool) error) error {
	w := newUpdatedPager(from, fetch, updatedAt, id)
	for {
		items, err := w.next(ctx)
		if err != nil {
			return err
		}
		if err := handle(items, w.watermark, w.done); err != nil {
			return err
		}
		if w.done {
			return nil
		}
	}
}

// updatedPager is walkUpdated one page at a time, for a caller that reads
// pages only as far as it needs them.
type updatedPager[T any] struct {
	fetch     fetchPage[T]
	updatedAt func(T) time.Time
	id        func(T) int64
	after     time.Time
	page      gl.RequestOptionFunc // the next page by offset, when time cannot step past a page
	seen      map[int64]time.Time
	// watermark is the newest updated_at seen so far; done is set once the
	// last page was read.
	watermark time.Time
	done      bool
}

func newUpdatedPager[T any](from time.Time, fetch fetchPage[T], updatedAt func(T) time.Time, id func(T) int64) *updatedPager[T] {
	after := from.UTC().Truncate(time.Second)
	return &updatedPager[T]{fetch: fetch, updatedAt: updatedAt, id: id, after: after, watermark: after, seen: map[int64]time.Time{}}
}

// next reads the next page and returns the items not handed over before.
func (w *updatedPager[T]) next(ctx context.Context) ([]T, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	items, resp, err := w.fetch(w.after, w.page)
	if err != nil {
		return nil, err
	}
	fresh := make([]T, 0, len(items))
	for _, it := range items {
		u := w.updatedAt(it).UTC()
		if u.After(w.watermark) {
			w.watermark = u
		}
		if prev, ok := w.seen[w.id(it)]; ok && prev.Equal(u) {
			continue
		}
		w.seen[w.id(it)] = u
		fresh = append(fresh, it)
	}
	if !hasNext(resp) || len(items) == 0 {
		w.done = true
	} else if wm := w.watermark.Truncate(time.Second); wm.After(w.after) {
		w.after, w.page = wm, nil
	} else {
		w.page, _ = gl.WithNext(resp)
	}
	return fresh, nil
}

// hasNext reports whether a list response has another page, by either of
// GitLab's pagination styles.
func hasNext(resp *gl.Response) bool {
	return resp != nil && (resp.NextPage != 0 || resp.NextLink != "")
}

// listAll collects every page of a list that is not sorted by time (a
// group's projects, an MR's commits or notes), by x-next-page or Link.
func listAll[T any](ctx context.Context, fetch func(page gl.RequestOptionFunc) ([]T, *gl.Response, error)) ([]T, error) {
	var out []T
	var next gl.RequestOptionFunc
	for {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		items, resp, err := fetch(next)
		if err != nil {
			return out, err
		}
		out = append(out, items...)
		if !hasNext(resp) || len(items) == 0 {
			return out, nil
		}
		next, _ = gl.WithNext(resp)
	}
}

// ptr returns a pointer to v, for client-go's optional fields.
func ptr[T any](v T) *T { return &v }

// withPage adds the option that turns to the next page, when there is one.
func withPage(base []gl.RequestOptionFunc, page gl.RequestOptionFunc) []gl.RequestOptionFunc {
	if page == nil {
		return base
	}
	return append(base, page)
}

// tm dereferences an optional time (zero when nil), in UTC.
func tm(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}
