package collectors

import (
	"context"
	"sync"
)

// RequestSlots bound a repo's requests in flight. An attempt holds a slot
// from its start to the end of its answer's body, not while it waits for a
// retry or a rate limit. A freed slot goes to a waiter that asked for one
// first, then to the others, each in the order they came.
type RequestSlots struct {
	mu          sync.Mutex
	free        int
	first, rest []chan struct{} // waiting, in order
}

// NewRequestSlots returns n slots.
func NewRequestSlots(n int) *RequestSlots { return &RequestSlots{free: n} }

// Hold waits for a slot (before the others waiting when first) and returns
// its release, which may be called more than once. Nil slots bound
// nothing.
func (s *RequestSlots) Hold(ctx context.Context, first bool) (release func(), err error) {
	if s == nil {
		return func() {}, nil
	}
	if err := s.acquire(ctx, first); err != nil {
		return nil, err
	}
	var once sync.Once
	return func() { once.Do(s.release) }, nil
}

func (s *RequestSlots) acquire(ctx context.Context, first bool) error {
	s.mu.Lock()
	if s.free > 0 {
		s.free--
		s.mu.Unlock()
		return nil
	}
	granted := make(chan struct{}, 1)
	if first {
		s.first = append(s.first, granted)
	} else {
		s.rest = append(s.rest, granted)
	}
	s.mu.Unlock()
	select {
	case <-granted:
		return nil
	case <-ctx.Done():
		s.mu.Lock()
		waiting := dropWaiter(&s.first, granted) || dropWaiter(&s.rest, granted)
		s.mu.Unlock()
		if !waiting {
			s.release() // granted as the context ended: pass it on
		}
		return ctx.Err()
	}
}

func (s *RequestSlots) release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, q := range []*[]chan struct{}{&s.first, &s.rest} {
		if len(*q) > 0 {
			next := (*q)[0]
			*q = (*q)[1:]
			next <- struct{}{}
			return
		}
	}
	s.free++
}

// dropWaiter removes w from q, reporting whether it was there.
func dropWaiter(q *[]chan struct{}, w chan struct{}) bool {
	for i, c := range *q {
		if c == w {
			*q = append((*q)[:i:i], (*q)[i+1:]...)
			return true
		}
	}
	return false
}
