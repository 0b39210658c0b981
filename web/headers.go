package web

import "net/http"

// contentSecurityPolicy allows nothing but tach's own files: no inline
// script or style anywhere (chart options are JSON data blocks, read by the
// static tach.js), no framing, no plugins, forms only to tach.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

// securityHeaders sets the security headers on every response, errors and
// static files included. Every response is no-store — a page or an API
// answer may show a signed-in reader's data, which no browser cache or
// shared cache should keep — but tach's static files, which say
// otherwise (static.go).
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Cache-Control", "no-store")
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
		next.ServeHTTP(w, r)
	})
}

// strictTransport tells the browser, on every response of a server behind
// TLS (as the session cookie decides: secureRequest), to reach it over
// https only for a year, so no later visit starts over plain http where
// the traffic could be read or a cookie planted.
func (s *Server) strictTransport(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.secureRequest(r) {
			w.Header().Set("Strict-Transport-Security", "max-age=31536000")
		}
		next.ServeHTTP(w, r)
	})
}
