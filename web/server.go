// Package web serves tach's dashboard and its JSON API.
//
// This first version serves the metrics report as a plain page and as JSON;
// the dashboard proper replaces it.
package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"log/slog"
	"net/http"
	"time"

	"github.com/tach-dev/tach/metrics"
	"github.com/tach-dev/tach/metrics/engine"
)

// Options configure the server.
type Options struct {
	Engine *engine.Engine
	Logger *slog.Logger
	Now    func() time.Time // the clock; time.Now when nil
}

// Server holds the handlers' dependencies.
type Server struct {
	eng *engine.Engine
	log *slog.Logger
	now func() time.Time
}

// New returns the dashboard's handler.
func New(opt Options) http.Handler {
	s := &Server{eng: opt.Engine, log: opt.Logger, now: opt.Now}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.now == nil {
		s.now = time.Now
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.handle(s.overview))
	mux.HandleFunc("GET /api/v1/metrics", s.handle(s.apiMetrics))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") })
	return mux
}

// handle turns a handler that returns an error into an http.HandlerFunc;
// errors are rendered in one place.
func (s *Server) handle(h func(w http.ResponseWriter, r *http.Request) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.renderError(w, r, err)
		}
	}
}

func (s *Server) renderError(w http.ResponseWriter, r *http.Request, err error) {
	status := http.StatusInternalServerError
	if errors.Is(err, engine.ErrUnknownScope) {
		status = http.StatusNotFound
	}
	if status >= 500 {
		s.log.Error("request failed", "path", r.URL.Path, "err", err)
	}
	http.Error(w, err.Error(), status)
}

func (s *Server) report(r *http.Request) (metrics.Report, error) {
	q := r.URL.Query()
	sc := engine.Scope{Repos: q["repo"], Team: q.Get("team")}
	now := s.now()
	w := metrics.LastWholeWeeks(now, 12, s.eng.Rules().Location)
	return s.eng.Report(r.Context(), sc, w, now)
}

func (s *Server) overview(w http.ResponseWriter, r *http.Request) error {
	rep, err := s.report(r)
	if err != nil {
		return err
	}
	b, _ := json.MarshalIndent(rep, "", "  ")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'self'")
	fmt.Fprintf(w, "<!doctype html><title>tach</title><h1>tach</h1><pre>%s</pre>", html.EscapeString(string(b)))
	return nil
}

func (s *Server) apiMetrics(w http.ResponseWriter, r *http.Request) error {
	rep, err := s.report(r)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	return json.NewEncoder(w).Encode(rep)
}

// ListenAndServe serves h on addr until ctx ends, then shuts down
// gracefully, letting requests in flight finish.
func ListenAndServe(ctx context.Context, addr string, h http.Handler, log *slog.Logger) error {
	srv := &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve on %s: %w", addr, err)
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return fmt.Errorf("shut down: %w", err)
	}
	return nil
}
