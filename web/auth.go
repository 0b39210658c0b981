package web

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"
	"unicode"

	"github.com/tach-dev/tach/store"
	"github.com/tach-dev/tach/templates"
)

// Access control. Who is asking is decided once per request, by the
// authenticate middleware, in this order:
//
//  1. a trusted proxy: the request's peer address is one of the configured
//     proxies and the configured header names a user (SSO in front of
//     tach); the header is ignored from any other address;
//  2. a local session: the session cookie of a user who signed in at
//     /login (`tach users add`);
//  3. nobody: pages redirect to /login, the API answers 401.
//
// With neither local users nor a proxy configured, sign-in is off: tach
// serve then listens on a loopback address only (cmd/tach refuses any
// other) and everyone who reaches it may write.
//
// Every GET needs the read role once sign-in is on; writing (decisions,
// starting a sync) needs write, through canWrite. /healthz, /readyz,
// /static, /login and the webhooks (signed by their providers) need no
// session; /metrics needs a session or its bearer token once sign-in is
// on (mayReadMetrics).

// AuthOptions say who may use the server.
type AuthOptions struct {
	// Users are the local users who sign in at /login (*store.Store); nil
	// when there are none, so local sign-in is off.
	Users UserStore
	// Proxy is a reverse proxy that signs users in; nil for none.
	Proxy *TrustedProxy
	// SessionTTL is how long a session lasts after it was last used.
	SessionTTL time.Duration
	// CookieSecure is auto, always or never (config auth.cookie_secure).
	CookieSecure string
	// MetricsToken, when set, is the bearer token /metrics takes.
	MetricsToken string
	// PublicMetrics lets anyone read /metrics when sign-in is on (config
	// auth.public_metrics); else it needs MetricsToken or a signed-in
	// reader.
	PublicMetrics bool
}

// UserStore is what sign-in needs of the store (*store.Store).
type UserStore interface {
	Authenticate(ctx context.Context, login, password string) (store.User, error)
	CreateSession(ctx context.Context, userID int64, ttl time.Duration, now time.Time) (string, store.Session, error)
	Session(ctx context.Context, id string, now time.Time) (store.Session, error)
	TouchSession(ctx context.Context, id string, now, extendTo time.Time) error
	DeleteSession(ctx context.Context, id string) error
}

// TrustedProxy is a reverse proxy that names the signed-in user in Header.
type TrustedProxy struct {
	Header      string
	RoleHeader  string // optional: read or write
	DefaultRole string // read or write
	Proxies     []netip.Prefix
}

// trusts reports whether the request came straight from a proxy.
func (t *TrustedProxy) trusts(r *http.Request) bool {
	if t == nil {
		return false
	}
	return t.contains(peerAddr(r))
}

// contains reports whether addr is one of the proxies.
func (t *TrustedProxy) contains(addr netip.Addr) bool {
	if !addr.IsValid() {
		return false
	}
	for _, p := range t.Proxies {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// enabled reports whether sign-in is on.
func (a AuthOptions) enabled() bool { return a.Users != nil || a.Proxy != nil }

// Principal is who is asking.
type Principal struct {
	Login string
	Role  string // store.RoleRead or store.RoleWrite
	Via   string // "session", "proxy", or "open" (sign-in is off)
}

// How a principal was identified.
const (
	viaSession = "session"
	viaProxy   = "proxy"
	viaOpen    = "open"
)

type principalKey struct{}

func principalOf(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// canWrite reports whether the request may write (record decisions, start
// a sync); pages show their write buttons only when it says so. A server
// without OpsOptions (the bare dashboard of tests and embedders) has no
// sign-in: everyone writes, as before.
func (s *Server) canWrite(r *http.Request) bool {
	if s.ops == nil {
		return true
	}
	p, ok := principalOf(r.Context())
	return ok && p.Role == store.RoleWrite
}

// The session cookie. Over TLS it is __Host-tach_session, Secure: the
// prefix makes the browser refuse it unless it is Secure, host-only and
// for Path=/, so no other site or subdomain can set or read it. Over plain
// http (a server on a LAN address with no TLS in front) a Secure cookie
// would never be sent back, so it is tach_session, not Secure: still
// HttpOnly and SameSite=Lax. auth.cookie_secure decides which applies:
// auto (TLS seen, or X-Forwarded-Proto: https from a proxy), always or
// never. Over TLS only the __Host- cookie is read, and every response
// carries HSTS (headers.go). Setting Secure when it is not needed only
// stops that client's sign-in working, never weakens it (and a browser
// ignores HSTS over plain http), so auto trusts X-Forwarded-Proto from
// any peer.
const (
	secureCookieName = "__Host-tach_session"
	plainCookieName  = "tach_session"
)

func (s *Server) secureRequest(r *http.Request) bool {
	switch s.ops.Auth.CookieSecure {
	case "always":
		return true
	case "never":
		return false
	}
	return r.TLS != nil || strings.EqualFold(strings.TrimSpace(r.Header.Get("X-Forwarded-Proto")), "https")
}

func (s *Server) setSessionCookie(w http.ResponseWriter, r *http.Request, id string, ttl time.Duration) {
	secure := s.secureRequest(r)
	name := plainCookieName
	if secure {
		name = secureCookieName
	}
	http.SetCookie(w, &http.Cookie{Name: name, Value: id, Path: "/", MaxAge: int(ttl.Seconds()),
		HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode})
}

func (s *Server) clearSessionCookies(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: plainCookieName, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	if s.secureRequest(r) {
		http.SetCookie(w, &http.Cookie{Name: secureCookieName, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: true, SameSite: http.SameSiteLaxMode})
	}
}

// sessionCookie returns the session id a request carries, if any. Over
// TLS only the __Host- cookie counts: a plain tach_session could have been
// planted by a network attacker (over plain http) or a sibling subdomain,
// to sign the browser in as someone else.
func (s *Server) sessionCookie(r *http.Request) string {
	names := []string{secureCookieName, plainCookieName}
	if s.secureRequest(r) {
		names = names[:1]
	}
	for _, name := range names {
		if c, err := r.Cookie(name); err == nil && c.Value != "" {
			return c.Value
		}
	}
	return ""
}

// touchEvery is how often a session's last use is written: the expiry
// slides by at most this much less than the TTL, and a reader browsing
// does not write on every request.
const touchEvery = time.Minute

// publicPath reports the paths that need no session: the probes, the
// metrics (their own token), static files, the sign-in pages and the
// webhooks (their providers' signatures).
func publicPath(path string) bool {
	switch path {
	case "/healthz", "/readyz", "/metrics", "/login", "/logout", "/favicon.ico":
		return true
	}
	return strings.HasPrefix(path, "/static/") || strings.HasPrefix(path, "/webhooks/")
}

// authenticate identifies the principal of each request, or turns it
// away.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/login", "/logout", "/metrics":
			// Public, but who is asking matters to them.
		default:
			if publicPath(r.URL.Path) {
				next.ServeHTTP(w, r)
				return
			}
		}
		a := s.ops.Auth
		p, ok := Principal{Role: store.RoleWrite, Via: viaOpen}, true
		if a.enabled() {
			p, ok = s.identify(w, r)
		}
		if ok {
			ctx := context.WithValue(r.Context(), principalKey{}, p)
			if info, ok := ctx.Value(reqInfoKey{}).(*reqInfo); ok && p.Via != viaOpen {
				info.login = p.Login
			}
			if p.Via != viaOpen {
				ctx = templates.WithAccount(ctx, templates.Account{Login: p.Login, Role: p.Role, CanSignOut: p.Via == viaSession})
			}
			r = r.WithContext(ctx)
		}
		if ok || publicPath(r.URL.Path) {
			next.ServeHTTP(w, r)
			return
		}
		s.unauthenticated(w, r)
	})
}

// identify finds who is asking: a trusted proxy's header, else a session.
func (s *Server) identify(w http.ResponseWriter, r *http.Request) (Principal, bool) {
	a := s.ops.Auth
	if a.Proxy != nil {
		if user := r.Header.Get(a.Proxy.Header); user != "" {
			if !a.Proxy.trusts(r) {
				// Anyone can send the header; only the proxy is believed.
				s.log.Debug("ignored the trusted-proxy header from an address that is not a configured proxy", "peer", peerAddr(r).String())
			} else if login, ok := cleanProxyUser(user); ok {
				role := a.Proxy.DefaultRole
				if a.Proxy.RoleHeader != "" {
					switch v := strings.ToLower(strings.TrimSpace(r.Header.Get(a.Proxy.RoleHeader))); v {
					case store.RoleRead, store.RoleWrite:
						role = v
					}
				}
				return Principal{Login: login, Role: role, Via: viaProxy}, true
			}
		}
	}
	if a.Users == nil {
		return Principal{}, false
	}
	id := s.sessionCookie(r)
	if id == "" {
		return Principal{}, false
	}
	now := s.now()
	sess, err := a.Users.Session(r.Context(), id, now)
	if err != nil {
		return Principal{}, false
	}
	if now.Sub(sess.LastSeen) >= touchEvery {
		if err := a.Users.TouchSession(r.Context(), id, now, now.Add(a.SessionTTL)); err != nil {
			s.log.Debug("touch session", "err", err)
		} else {
			s.setSessionCookie(w, r, id, a.SessionTTL)
		}
	}
	return Principal{Login: sess.User.Login, Role: sess.User.Role, Via: viaSession}, true
}

// cleanProxyUser accepts a user name from a proxy's header: printable, at
// most 256 bytes.
func cleanProxyUser(v string) (string, bool) {
	v = strings.TrimSpace(v)
	if v == "" || len(v) > 256 {
		return "", false
	}
	for _, r := range v {
		if !unicode.IsPrint(r) {
			return "", false
		}
	}
	return v, true
}

// unauthenticated answers a request with no principal: the API gets 401
// JSON; a page is redirected to /login (local users), or told to come
// through the proxy.
func (s *Server) unauthenticated(w http.ResponseWriter, r *http.Request) {
	local := s.ops.Auth.Users != nil
	if !wantsJSON(r) && local && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
		http.Redirect(w, r, "/login?next="+url.QueryEscape(localTarget(r)), http.StatusSeeOther)
		return
	}
	hint := "Sign in at /login, then send the session cookie."
	if !local {
		hint = "Open tach through your organisation's sign-in proxy."
	}
	s.renderError(w, r, &httpError{status: http.StatusUnauthorized, msg: "Sign in to use tach.", hint: hint})
}

// localTarget is the path and query of r, to come back to after sign-in.
func localTarget(r *http.Request) string {
	t := r.URL.EscapedPath()
	if r.URL.RawQuery != "" {
		t += "?" + r.URL.RawQuery
	}
	return t
}

// requireWriter wraps a handler that writes something other than the
// decision log (starting a sync): a reader gets 403, told why.
func (s *Server) requireWriter(what string, h handlerFunc) handlerFunc {
	return s.writersOnly(&httpError{status: http.StatusForbidden, msg: "Your role is read: you may not " + what + ".",
		hint: "Ask someone with the write role, or an admin to run `tach users add LOGIN --role write`."}, h)
}

// writersOnly serves h to those who may write, and refusal to the rest.
func (s *Server) writersOnly(refusal *httpError, h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if !s.canWrite(r) {
			return refusal
		}
		return h(w, r)
	}
}

// peerAddr is the address of the connection's other end.
func peerAddr(r *http.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err == nil {
		return ap.Addr().Unmap()
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap()
}

// clientAddr is the address of the client: the peer, or behind a trusted
// proxy the last address of X-Forwarded-For that is not a proxy's.
func (s *Server) clientAddr(r *http.Request) netip.Addr {
	peer := peerAddr(r)
	proxy := s.ops.Auth.Proxy
	if !proxy.trusts(r) {
		return peer
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			return peer
		}
		if a = a.Unmap(); !proxy.contains(a) {
			return a
		}
	}
	return peer
}
