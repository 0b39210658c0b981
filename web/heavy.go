package web

import "context"

// Heavy pages. A comparison and a view over more than engine.HeavyWeeks
// weeks cost many times a page: the engine computes them in a slot of the
// server's gate (engine.Gate), and the page is then built and written in a
// quarter of one (a comparison's page is megabytes of weekly series; two
// hundred overviews of ten years at once used to take every CPU and 460 MB
// to render). Building a page happens after the engine's work, never
// inside it, so a request never holds the gate while it waits for it.
// Everything else — lists, the default windows, the weekly review,
// sign-in, the probes, static files — never asks the gate, and stays fast
// while heavy pages queue. A heavy page that finds no room in time is
// answered 503 with Retry-After (errors.go).

// heavyPage waits for room to build and write a page that is heavy (a
// no-op for one that is not, or without a gate); release gives it back.
func (s *Server) heavyPage(ctx context.Context, heavy bool) (release func(), err error) {
	if !heavy || s.gate == nil {
		return func() {}, nil
	}
	return s.gate.Render(ctx)
}
