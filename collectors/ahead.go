package collectors

import "context"

// PagesAhead asks a walk's next page in the background while the walk
// handles the one it has: a walk's pages are one chain of requests, each
// naming the next, often the longest chain of a sync. One page is in
// flight at most.
type PagesAhead[T any] struct {
	ctx  context.Context
	stop context.CancelFunc
	next chan pageAhead[T]
}

type pageAhead[T any] struct {
	page T
	err  error
}

// NewPagesAhead returns a PagesAhead whose pages are asked with a context
// of ctx; Close must be called.
func NewPagesAhead[T any](ctx context.Context) *PagesAhead[T] {
	ctx, stop := context.WithCancel(ctx)
	return &PagesAhead[T]{ctx: ctx, stop: stop}
}

// Ask starts fetching a page; the one asked before must have been taken.
func (a *PagesAhead[T]) Ask(fetch func(ctx context.Context) (T, error)) {
	ch := make(chan pageAhead[T], 1)
	a.next = ch
	go func() {
		page, err := fetch(a.ctx)
		ch <- pageAhead[T]{page, err}
	}()
}

// Next waits for the page asked last.
func (a *PagesAhead[T]) Next() (T, error) {
	p := <-a.next
	a.next = nil
	return p.page, p.err
}

// Close stops a page still in flight and waits for it: its request counts
// in the repo's summary, which is done once the walk returns.
func (a *PagesAhead[T]) Close() {
	a.stop()
	if a.next != nil {
		<-a.next
		a.next = nil
	}
}
