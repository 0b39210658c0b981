package web

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// The Host check stops DNS rebinding. Without sign-in, tach serve (and
// tach demo) listen on loopback and trust whoever reaches them; a page on
// rebind.attacker.example whose name the attacker then points at
// 127.0.0.1 reaches tach through the visitor's browser as a same-origin
// page, able to read the API and record decisions. The browser still
// sends Host: rebind.attacker.example, so without sign-in tach answers
// only the names that are this machine's — localhost and the loopback
// addresses (127/8, ::1), with any port (an ssh -L forward changes it) —
// the listen address, and the names of allowed_hosts; anything else gets
// 421 Misdirected Request saying how to allow it.
//
// With sign-in on, the session is what guards (a rebound page has no
// cookie of tach's origin), so any Host is answered, unless allowed_hosts
// is set: then it is enforced as above, for those who want the server to
// answer its own names only.
//
// The probes (which say only "ok") and the webhooks (signed by their
// providers, sent to whatever name the provider was given) answer any
// Host.

// hostCheck answers only the Host names the server may be reached by.
func (s *Server) hostCheck(next http.Handler) http.Handler {
	if s.ops.Auth.enabled() && len(s.ops.AllowedHosts) == 0 {
		return next
	}
	allowed := map[string]bool{}
	for _, h := range s.ops.AllowedHosts {
		allowed[hostName(h)] = true
	}
	if host, _, err := net.SplitHostPort(s.ops.Listen); err == nil && host != "" {
		if a, err := netip.ParseAddr(host); err != nil || !a.IsUnspecified() {
			allowed[hostName(host)] = true
		}
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := hostName(r.Host)
		if allowed[name] || loopbackName(name) || anyHostPath(r.URL.Path) {
			next.ServeHTTP(w, r)
			return
		}
		s.log.Info("request refused: its Host is not a name of this server", "host", r.Host, "method", r.Method, "path", r.URL.Path)
		h := w.Header()
		h.Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusMisdirectedRequest)
		fmt.Fprintf(w, "tach does not answer to the name %q: open it as localhost or 127.0.0.1, "+
			"or add the name to allowed_hosts in tach's config and restart tach serve "+
			"(the check keeps other sites' pages from reaching tach through a browser: DNS rebinding).\n", r.Host)
	})
}

// anyHostPath are the paths answered whatever the Host: the probes and the
// webhooks.
func anyHostPath(path string) bool {
	return path == "/healthz" || path == "/readyz" || strings.HasPrefix(path, "/webhooks/")
}

// hostName is the name part of a Host header or an address, lower-case,
// without port, brackets or a final dot.
func hostName(h string) string {
	if host, _, err := net.SplitHostPort(h); err == nil {
		h = host
	}
	return strings.ToLower(strings.TrimSuffix(strings.TrimSuffix(strings.TrimPrefix(h, "["), "]"), "."))
}

// loopbackName reports localhost and the loopback addresses.
func loopbackName(name string) bool {
	if name == "localhost" {
		return true
	}
	a, err := netip.ParseAddr(name)
	return err == nil && a.Unmap().IsLoopback()
}
