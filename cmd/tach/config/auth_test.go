package config

import (
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"
)

func TestAuthDefaults(t *testing.T) {
	c := mustParse(t, doc("repos: [{github: a/b}]"), env())
	if c.Auth.SessionTTL != 12*time.Hour || c.Auth.CookieSecure != "auto" || c.Auth.TrustedProxy != nil || !c.Auth.MetricsToken.Empty() {
		t.Errorf("defaults: %+v", c.Auth)
	}
	if d := Default(); d.Auth != c.Auth {
		t.Errorf("Default().Auth = %+v", d.Auth)
	}
}

func TestAuthSettings(t *testing.T) {
	c := mustParse(t, doc(
		"auth:",
		"  session_ttl: 7d",
		"  cookie_secure: always",
		"  metrics_token: ${MT}",
		"  trusted_proxy:",
		"    header: x-forwarded-user",
		"    role_header: X-Forwarded-Role",
		"    default_role: write",
		"    proxies: [10.0.0.5, 192.168.1.0/24, '::1', 10.9.8.7/8]",
	), env("MT", "metrics-token-0123456789abcdef"))
	a := c.Auth
	if a.SessionTTL != 7*24*time.Hour || a.CookieSecure != "always" || a.MetricsToken.Reveal() != "metrics-token-0123456789abcdef" {
		t.Errorf("auth = %+v", a)
	}
	tp := a.TrustedProxy
	if tp == nil || tp.Header != "X-Forwarded-User" || tp.RoleHeader != "X-Forwarded-Role" || tp.DefaultRole != "write" || tp.Line != 5 {
		t.Fatalf("trusted_proxy = %+v", tp)
	}
	want := []string{"10.0.0.5/32", "192.168.1.0/24", "::1/128", "10.0.0.0/8"}
	if len(tp.Proxies) != len(want) {
		t.Fatalf("proxies = %v", tp.Proxies)
	}
	for i, w := range want {
		if tp.Proxies[i].String() != w {
			t.Errorf("proxies[%d] = %s, want %s", i, tp.Proxies[i], w)
		}
	}
	for addr, trusted := range map[string]bool{"10.0.0.5": true, "10.0.0.6": true, "192.168.1.77": true, "192.168.2.1": false,
		"::1": true, "::ffff:10.1.2.3": true, "127.0.0.1": false, "2001:db8::1": false} {
		if got := tp.Trusts(netip.MustParseAddr(addr)); got != trusted {
			t.Errorf("Trusts(%s) = %v", addr, got)
		}
	}
	var none *TrustedProxy
	if none.Trusts(netip.MustParseAddr("10.0.0.5")) {
		t.Error("a nil proxy trusts")
	}
	// auth.public_metrics opens /metrics to anyone, once sign-in is on.
	if c := mustParse(t, doc("auth: {public_metrics: true}"), env()); !c.Auth.PublicMetrics {
		t.Errorf("public_metrics: %+v", c.Auth)
	}
	// The default role is read.
	c = mustParse(t, doc("auth: {trusted_proxy: {header: X-User, proxies: [10.0.0.1]}}"), env())
	if c.Auth.TrustedProxy.DefaultRole != "read" || c.Auth.TrustedProxy.RoleHeader != "" {
		t.Errorf("trusted_proxy = %+v", c.Auth.TrustedProxy)
	}
}

func TestAuthErrors(t *testing.T) {
	tests := []struct {
		src  []byte
		want string
	}{
		{doc("auth: yes"), "tach.yaml:1: auth: expected a mapping of session_ttl, cookie_secure, trusted_proxy, metrics_token and public_metrics, got a string"},
		{doc("auth:", "  public_metrics: yes"), `tach.yaml:2: auth.public_metrics: "yes" is not true or false`},
		{doc("auth:", "  metrics_token: metrics-token-0123456789", "  public_metrics: true"),
			"tach.yaml:3: auth.public_metrics: is true, so /metrics needs no token, yet auth.metrics_token is set; keep one of them"},
		{doc("auth:", "  sesion_ttl: 1h"), `tach.yaml:2: auth: unknown key "sesion_ttl" (did you mean "session_ttl"?)`},
		{doc("auth:", "  session_ttl: 10s"), `tach.yaml:2: auth.session_ttl: "10s" is shorter than a minute; write a duration such as 12h or 7d`},
		{doc("auth:", "  session_ttl: 1y"), `tach.yaml:2: auth.session_ttl: "1y" is not a duration; write a duration such as 90m, 48h, 180d or 8w`},
		{doc("auth:", "  session_ttl: 100d"), `tach.yaml:2: auth.session_ttl: "100d" is longer than 90d`},
		{doc("auth:", "  cookie_secure: yes"), `tach.yaml:2: auth.cookie_secure: "yes" is not one of auto, always, never`},
		{doc("auth:", "  metrics_token: short"), "tach.yaml:2: auth.metrics_token: is shorter than 16 characters"},
		{doc("auth:", "  trusted_proxy:", "    proxies: [10.0.0.1]"), "tach.yaml:2: auth.trusted_proxy.header: is missing; name the header your proxy puts the signed-in user in"},
		{doc("auth:", "  trusted_proxy:", "    header: X-User"), "tach.yaml:2: auth.trusted_proxy.proxies: is missing; list the address of the proxy"},
		{doc("auth:", "  trusted_proxy:", "    header: X-User", "    proxies: []"), "tach.yaml:4: auth.trusted_proxy.proxies: is empty"},
		{doc("auth:", "  trusted_proxy:", "    header: X-User", "    proxies: [0.0.0.0/0]"), `tach.yaml:4: auth.trusted_proxy.proxies[0]: "0.0.0.0/0" would trust every address`},
		{doc("auth:", "  trusted_proxy:", "    header: X-User", "    proxies: ['::/0']"), `"::/0" would trust every address`},
		{doc("auth:", "  trusted_proxy:", "    header: X-User", "    proxies:", "      - 10.0.0.1", "      - proxy.example.com"), `tach.yaml:6: auth.trusted_proxy.proxies[1]: "proxy.example.com" is not an IP address (host names are not resolved)`},
		{doc("auth:", "  trusted_proxy:", "    header: X-User", "    proxies: [10.0.0.1/33]"), `"10.0.0.1/33" is not an address or a network in CIDR notation`},
		{doc("auth:", "  trusted_proxy:", "    header: X User", "    proxies: [10.0.0.1]"), `tach.yaml:3: auth.trusted_proxy.header: "X User" is not a header name`},
		{doc("auth:", "  trusted_proxy:", "    header: Authorization", "    proxies: [10.0.0.1]"), `"Authorization" is set by browsers or the transport`},
		{doc("auth:", "  trusted_proxy:", "    header: X-User", "    role_header: x-user", "    proxies: [10.0.0.1]"), "auth.trusted_proxy.role_header: is the same header"},
		{doc("auth:", "  trusted_proxy:", "    header: X-User", "    default_role: admin", "    proxies: [10.0.0.1]"), `tach.yaml:4: auth.trusted_proxy.default_role: "admin" is not one of read, write`},
		{doc("session_ttl: 1h"), "set it as auth.session_ttl"},
	}
	for _, tt := range tests {
		_, err := parse(tt.src, "tach.yaml", env())
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q:\n got %v\nwant %q", tt.src, err, tt.want)
		}
		if err != nil && strings.Count(err.Error(), "\n") > 0 {
			t.Errorf("%q: more than one error: %v", tt.src, err)
		}
	}
	// A metrics token never appears in an error.
	const tok = "mt-SECRET-0123456789abcdef"
	_, err := parse(doc("auth: {metrics_token: "+tok+", cookie_secure: "+tok+"}"), "tach.yaml", env())
	if err == nil || strings.Contains(err.Error(), tok) {
		t.Errorf("error = %v", err)
	}
}

// TestExampleDocumentsAuth: config.example.yaml names every auth key.
func TestExampleDocumentsAuth(t *testing.T) {
	data, err := os.ReadFile("../../../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range append(append([]string{"auth"}, authKeys...), trustedProxyKeys...) {
		if !strings.Contains(string(data), k+":") {
			t.Errorf("config.example.yaml does not document %q", k)
		}
	}
	c, err := parse(data, "tach.yaml", env("GITHUB_TOKEN", "x", "TACH_METRICS_TOKEN", "y"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Auth != defaultAuth() {
		t.Errorf("the example's auth departs from the defaults: %+v", c.Auth)
	}
}
