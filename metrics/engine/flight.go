package engine

import (
	"context"
	"fmt"
	"runtime/debug"
	"sync"
)

// flights coalesces identical computations: callers that ask for the same
// key while it is being computed wait for that one computation and share
// its result (a singleflight, keyed like the page cache). The computation
// runs on its own goroutine with a context of its own, which keeps the
// first caller's values but not its cancellation: it is cancelled when the
// last caller waiting for it has gone, not when the first has. A caller
// that goes away returns its own context's error at once.
//
// golang.org/x/sync/singleflight shares results too, but leaves the
// computation running when every caller has gone; counting the callers is
// what lets the work stop.
type flights[T any] struct {
	mu sync.Mutex
	m  map[string]*flight[T]
}

type flight[T any] struct {
	done    chan struct{} // closed when val and err are set
	val     T
	err     error
	callers int // waiting now
	cancel  context.CancelFunc
}

// do returns fn's result for key, computing it once for the callers that
// ask at the same time.
func (fs *flights[T]) do(ctx context.Context, key string, fn func(context.Context) (T, error)) (T, error) {
	fs.mu.Lock()
	if fs.m == nil {
		fs.m = map[string]*flight[T]{}
	}
	f := fs.m[key]
	if f == nil {
		fctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		f = &flight[T]{done: make(chan struct{}), cancel: cancel}
		fs.m[key] = f
		go fs.run(fctx, key, f, fn)
	}
	f.callers++
	fs.mu.Unlock()

	select {
	case <-f.done:
		return f.val, f.err
	case <-ctx.Done():
		fs.mu.Lock()
		f.callers--
		if f.callers == 0 {
			// Nobody is left to read the result: stop the work, and let
			// a caller that comes now start afresh.
			f.cancel()
			if fs.m[key] == f {
				delete(fs.m, key)
			}
		}
		fs.mu.Unlock()
		var zero T
		return zero, ctx.Err()
	}
}

func (fs *flights[T]) run(ctx context.Context, key string, f *flight[T], fn func(context.Context) (T, error)) {
	defer close(f.done)
	defer func() {
		// A panic here would end the server (no handler recovers it on
		// this goroutine): the callers get it as an error instead.
		if p := recover(); p != nil {
			f.err = fmt.Errorf("panic: %v\n%s", p, debug.Stack())
		}
		fs.mu.Lock()
		if fs.m[key] == f {
			delete(fs.m, key)
		}
		fs.mu.Unlock()
		f.cancel()
	}()
	f.val, f.err = fn(ctx)
}

// waiting returns how many callers wait for a computation now (tests).
func (fs *flights[T]) waiting() int {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	n := 0
	for _, f := range fs.m {
		n += f.callers
	}
	return n
}
