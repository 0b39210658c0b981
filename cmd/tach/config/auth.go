package config

import (
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Defaults of the auth section.
const (
	DefaultSessionTTL = 12 * time.Hour
	MaxSessionTTL     = 90 * Day
	// Cookie security modes (auth.cookie_secure).
	CookieSecureAuto   = "auto"
	CookieSecureAlways = "always"
	CookieSecureNever  = "never"
)

// Auth configures who may use `tach serve`. Sign-in is on when local users
// exist (`tach users add`) or TrustedProxy is set; without either, serve
// listens on a loopback address only and everyone who reaches it may
// write.
type Auth struct {
	// SessionTTL is how long a local user's session lasts since it was
	// last used (a sliding expiry).
	SessionTTL time.Duration `json:"session_ttl"`
	// CookieSecure says when the session cookie is marked Secure (and
	// named with the __Host- prefix): auto (when the request came over
	// TLS, or from a trusted proxy saying X-Forwarded-Proto: https),
	// always, or never.
	CookieSecure string `json:"cookie_secure"`
	// TrustedProxy, when set, lets a reverse proxy that signs users in
	// (SSO) name the user in a header.
	TrustedProxy *TrustedProxy `json:"trusted_proxy,omitempty"`
	// MetricsToken, when set, is the bearer token that opens /metrics (a
	// signed-in reader may read it too).
	MetricsToken Secret `json:"metrics_token"`
	// PublicMetrics opens /metrics to anyone once sign-in is on; else it
	// needs MetricsToken or a signed-in reader (it names every repo).
	PublicMetrics bool `json:"public_metrics"`
}

// TrustedProxy is a reverse proxy that authenticates users and names them
// in a header. The header is honoured only on requests whose peer address
// is in Proxies; from anywhere else it is ignored.
type TrustedProxy struct {
	// Header names the signed-in user, such as X-Forwarded-User.
	Header string `json:"header"`
	// RoleHeader, optional, gives the user's role (read or write); when
	// absent or another value, DefaultRole applies.
	RoleHeader string `json:"role_header,omitempty"`
	// DefaultRole is read or write (default read).
	DefaultRole string `json:"default_role"`
	// Proxies are the proxy's addresses, as CIDR prefixes.
	Proxies []netip.Prefix `json:"proxies"`
	// Line is the line of the trusted_proxy key.
	Line int `json:"-"`
}

// Trusts reports whether addr (an IP) is one of the proxies.
func (t *TrustedProxy) Trusts(addr netip.Addr) bool {
	if t == nil || !addr.IsValid() {
		return false
	}
	addr = addr.Unmap()
	for _, p := range t.Proxies {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

var (
	authKeys         = []string{"session_ttl", "cookie_secure", "trusted_proxy", "metrics_token", "public_metrics"}
	trustedProxyKeys = []string{"header", "role_header", "default_role", "proxies"}
	cookieChoices    = []string{CookieSecureAuto, CookieSecureAlways, CookieSecureNever}
	roleChoices      = []string{"read", "write"}
	// forbiddenHeaders can never name a user: a client or the transport
	// sets them, and a proxy does not own them.
	forbiddenHeaders = []string{"Authorization", "Cookie", "Host", "Content-Type", "Content-Length", "Origin", "Referer",
		"X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "Forwarded", "User-Agent"}
)

func defaultAuth() Auth {
	return Auth{SessionTTL: DefaultSessionTTL, CookieSecure: CookieSecureAuto}
}

func (p *parser) auth(n *yaml.Node, a *Auth) {
	g, ok := p.mapping(n, "auth", authKeys, "session_ttl, cookie_secure, trusted_proxy, metrics_token and public_metrics")
	if !ok {
		return
	}
	if e, ok := g["session_ttl"]; ok {
		if d, ok := p.duration(e.val, "auth.session_ttl"); ok {
			switch {
			case d < time.Minute:
				p.errorf(e.val, "auth.session_ttl", "%s is shorter than a minute; write a duration such as 12h or 7d", quote(e.val.Value))
			case d > MaxSessionTTL:
				p.errorf(e.val, "auth.session_ttl", "%s is longer than 90d; write a duration such as 12h or 7d", quote(e.val.Value))
			default:
				a.SessionTTL = d
			}
		}
	}
	if e, ok := g["cookie_secure"]; ok {
		if v, ok := p.choice(e.val, "auth.cookie_secure", cookieChoices); ok {
			a.CookieSecure = v
		}
	}
	if e, ok := g["metrics_token"]; ok {
		p.secret(e.val, "auth.metrics_token", &a.MetricsToken)
		if v := a.MetricsToken.Reveal(); v != "" && len(v) < 16 {
			p.errorf(e.val, "auth.metrics_token", "is shorter than 16 characters; use a long random token (for example: openssl rand -hex 32)")
		}
	}
	if e, ok := g["public_metrics"]; ok {
		if b, ok := p.boolean(e.val, "auth.public_metrics"); ok {
			a.PublicMetrics = b
			if b && a.MetricsToken.Reveal() != "" {
				p.errorf(e.key, "auth.public_metrics", "is true, so /metrics needs no token, yet auth.metrics_token is set; keep one of them")
			}
		}
	}
	if e, ok := g["trusted_proxy"]; ok {
		tp := &TrustedProxy{DefaultRole: "read", Line: e.key.Line}
		if p.trustedProxy(e.key, e.val, tp) {
			a.TrustedProxy = tp
		}
	}
}

func (p *parser) trustedProxy(key, n *yaml.Node, tp *TrustedProxy) bool {
	const k = "auth.trusted_proxy"
	g, ok := p.mapping(n, k, trustedProxyKeys, "header, role_header, default_role and proxies")
	if !ok {
		return false
	}
	before := len(p.errs)
	if e, ok := g["header"]; ok {
		if h, ok := p.headerName(e.val, k+".header"); ok {
			tp.Header = h
		}
	} else {
		p.errorf(key, k+".header", "is missing; name the header your proxy puts the signed-in user in, such as X-Forwarded-User")
	}
	if e, ok := g["role_header"]; ok {
		if h, ok := p.headerName(e.val, k+".role_header"); ok {
			tp.RoleHeader = h
		}
	}
	if e, ok := g["default_role"]; ok {
		if v, ok := p.choice(e.val, k+".default_role", roleChoices); ok {
			tp.DefaultRole = v
		}
	}
	if e, ok := g["proxies"]; ok {
		if list, ok := p.strList(e.val, k+".proxies", "proxy addresses"); ok {
			for i, s := range list {
				item := deref(e.val.Content[i])
				pfx, why := parsePrefix(s)
				if why != "" {
					p.errorf(item, fmt.Sprintf("%s.proxies[%d]", k, i), "%s %s; write the proxy's address (10.0.0.5) or network (10.0.0.0/24)", quote(s), why)
					continue
				}
				tp.Proxies = append(tp.Proxies, pfx)
			}
			if len(list) == 0 {
				p.errorf(e.val, k+".proxies", "is empty; list the address of the proxy that signs users in, such as [10.0.0.5]")
			}
		}
	} else {
		p.errorf(key, k+".proxies", "is missing; list the address of the proxy that signs users in, such as [10.0.0.5] (the header is honoured from these addresses only)")
	}
	if tp.Header != "" && strings.EqualFold(tp.Header, tp.RoleHeader) {
		p.errorf(key, k+".role_header", "is the same header as auth.trusted_proxy.header; name another, or remove it")
	}
	return len(p.errs) == before
}

// headerName reads an HTTP header name a proxy sets.
func (p *parser) headerName(n *yaml.Node, key string) (string, bool) {
	s, ok := p.str(n, key, "a header name such as X-Forwarded-User")
	if !ok {
		return "", false
	}
	for _, r := range s.val {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			p.errorf(n, key, "%s is not a header name; write letters, digits and dashes, such as X-Forwarded-User", quote(s.val))
			return "", false
		}
	}
	h := http.CanonicalHeaderKey(s.val)
	for _, f := range forbiddenHeaders {
		if strings.EqualFold(h, f) {
			p.errorf(n, key, "%s is set by browsers or the transport, not by a signing-in proxy; name the header your proxy sets, such as X-Forwarded-User", quote(s.val))
			return "", false
		}
	}
	return h, true
}

// parsePrefix reads an address or CIDR network; why says what is wrong.
func parsePrefix(s string) (netip.Prefix, string) {
	var pfx netip.Prefix
	if strings.Contains(s, "/") {
		var err error
		if pfx, err = netip.ParsePrefix(s); err != nil {
			return pfx, "is not an address or a network in CIDR notation"
		}
		pfx = pfx.Masked()
	} else {
		addr, err := netip.ParseAddr(s)
		if err != nil {
			return pfx, "is not an IP address (host names are not resolved)"
		}
		pfx = netip.PrefixFrom(addr, addr.BitLen())
	}
	if pfx.Addr().Is4In6() {
		pfx = netip.PrefixFrom(pfx.Addr().Unmap(), max(pfx.Bits()-96, 0))
	}
	if pfx.Bits() == 0 {
		return pfx, "would trust every address, so anyone could name themselves"
	}
	return pfx, ""
}
