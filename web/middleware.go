package web

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// What `tach serve` wraps the dashboard in (Options.Ops), outermost
// first:
//
//	securityHeaders  CSP, nosniff, Referrer-Policy, frame-ancestors on every
//	                 response: pages, errors, 404s, redirects, webhooks
//	observe          request log and latency histogram, by route pattern
//	strictTransport  HSTS behind TLS
//	hostCheck        without sign-in, only this machine's names and
//	                 allowed_hosts are answered (DNS rebinding: hosts.go)
//	limitBodies      64 KiB on every request body but a webhook's (5 MiB)
//	crossOrigin      writes a browser sends from another site are refused
//	                 (http.CrossOriginProtection); webhooks are exempt
//	authenticate     who is asking (auth.go)
//	the routes

// maxBody bounds every request body but a webhook's: forms, the API.
const maxBody = 64 << 10

// opsRoutes adds the routes of tach serve (routes.go calls it): sign-in,
// starting a sync, webhooks, readiness and metrics.
func (s *Server) opsRoutes(mux *http.ServeMux, handle func(pattern string, h handlerFunc)) {
	if s.ops == nil {
		return
	}
	handle("GET /login", s.loginPage)
	handle("POST /login", s.login)
	handle("POST /logout", s.logout)
	handle("POST /api/v1/sync", s.requireWriter("start a sync", s.apiStartSync))
	handle("POST /sync", s.requireWriter("start a sync", s.syncNow))
	mux.HandleFunc("POST /webhooks/github", s.githubWebhook)
	mux.HandleFunc("POST /webhooks/gitlab", s.gitlabWebhook)
	mux.HandleFunc("GET /readyz", s.readyz)
	mux.Handle("GET /metrics", s.metricsHandler())
}

// withOps wraps the routes in the middleware of tach serve; without
// OpsOptions, the routes as they are.
func (s *Server) withOps(mux *http.ServeMux) http.Handler {
	if s.ops == nil {
		// Pages only, no sign-in: cross-site writes are still refused.
		return s.crossOrigin(mux)
	}
	return s.observe(mux, s.strictTransport(s.hostCheck(limitBodies(s.crossOrigin(s.authenticate(mux))))))
}

// reqInfo is filled in by the inner layers for the request log.
type reqInfo struct{ login string }

type reqInfoKey struct{}

// statusWriter remembers the status and size of a response.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// quietPaths are logged at debug level: probes, scrapes and static files
// would drown the log.
func quietPath(path string) bool {
	return path == "/healthz" || path == "/readyz" || path == "/metrics" || path == "/favicon.ico" || strings.HasPrefix(path, "/static/")
}

// observe logs each request — method, path (never the query string, which
// may carry anything), route, status, size, duration and the signed-in
// login; never a body, a cookie or an Authorization header — and records
// its latency by route pattern (the pattern, not the raw path, keeps the
// metric's labels few).
func (s *Server) observe(mux *http.ServeMux, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		_, route := mux.Handler(r)
		if route == "" {
			route = "unmatched"
		}
		info := &reqInfo{}
		r = r.WithContext(context.WithValue(r.Context(), reqInfoKey{}, info))
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		status := sw.status
		if status == 0 {
			status = http.StatusOK
		}
		took := time.Since(start)
		s.ops.Telemetry.observeHTTP(route, status, took)
		if !s.ops.LogRequests {
			return
		}
		level := slog.LevelInfo
		if quietPath(r.URL.Path) && status < 400 {
			level = slog.LevelDebug
		}
		attrs := []slog.Attr{slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.String("route", route),
			slog.Int("status", status), slog.Int64("bytes", sw.bytes), slog.Duration("duration", took.Round(time.Microsecond))}
		if info.login != "" {
			attrs = append(attrs, slog.String("user", info.login))
		}
		s.log.LogAttrs(r.Context(), level, "request", attrs...)
	})
}

// limitBodies bounds request bodies: a webhook's handler sets its own
// larger bound.
func limitBodies(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil && r.Body != http.NoBody && !strings.HasPrefix(r.URL.Path, "/webhooks/") {
			r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		}
		next.ServeHTTP(w, r)
	})
}

// crossOrigin refuses unsafe requests (POST and the like) that a browser
// sends on behalf of another site, by Sec-Fetch-Site and Origin; clients
// that are not browsers send neither and pass. Webhooks come from the
// providers' servers and carry their own signature.
func (s *Server) crossOrigin(next http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/webhooks/") {
			if err := cop.Check(r); err != nil {
				s.log.Info("cross-origin request refused", "method", r.Method, "path", r.URL.Path)
				s.renderError(w, r, &httpError{status: http.StatusForbidden, msg: "This request was sent from another site, so tach refused it.",
					hint: "Make the change from tach's own pages."})
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// NewHTTPServer returns the http.Server tach serve runs h in, with
// timeouts that keep slow or idle clients from holding connections, and
// a bound on request headers.
func NewHTTPServer(h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           writeDeadlineFromFirstByte(h, writeTimeout),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// writeTimeout bounds how long a response takes to write.
const writeTimeout = 60 * time.Second

// writeDeadlineFromFirstByte gives each response d to be written from its
// first byte, not from the request's arrival (http.Server's WriteTimeout):
// a page that took longer than d to compute (the first overview of ten
// thousand repos, a long comparison) was computed, logged 200 and thrown
// away, the client given nothing. A slow reader is still cut off, and a
// client that leaves ends the computation through the request's context.
func writeDeadlineFromFirstByte(h http.Handler, d time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(&deadlineWriter{ResponseWriter: w, rc: http.NewResponseController(w), d: d}, r)
	})
}

// deadlineWriter sets its connection's write deadline at the first byte.
type deadlineWriter struct {
	http.ResponseWriter
	rc      *http.ResponseController
	d       time.Duration
	started bool
}

func (w *deadlineWriter) start() {
	if !w.started {
		w.started = true
		w.rc.SetWriteDeadline(time.Now().Add(w.d)) // an error: the server's own WriteTimeout stands
	}
}

func (w *deadlineWriter) WriteHeader(code int) {
	w.start()
	w.ResponseWriter.WriteHeader(code)
}

func (w *deadlineWriter) Write(b []byte) (int, error) {
	w.start()
	return w.ResponseWriter.Write(b)
}

func (w *deadlineWriter) Flush() {
	w.start()
	w.rc.Flush()
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *deadlineWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
