package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tach-dev/tach/web"
)

// TestHostCheckStopsDNSRebinding: without sign-in, a page on a name that
// an attacker points at 127.0.0.1 must not reach tach through the
// victim's browser: only the loopback names, the listen address and the
// names of allowed_hosts are answered; any other Host gets 421 saying how
// to allow it. The probes and the (signed) webhooks answer any Host.
func TestHostCheckStopsDNSRebinding(t *testing.T) {
	e := newOpsEnv(t, func(o *web.OpsOptions) {
		o.Auth.Users = nil
		o.Listen = "127.0.0.1:8080"
		o.AllowedHosts = []string{"tach.lan"}
	})
	for host, ok := range map[string]bool{
		"127.0.0.1:8080":               true,
		"127.0.0.1":                    true,
		"127.8.9.10:8080":              true, // 127/8 is loopback
		"localhost:8080":               true,
		"localhost:9999":               true, // an ssh -L forward: any port
		"LocalHost.":                   true,
		"[::1]:8080":                   true,
		"[::1]":                        true,
		"tach.lan":                     true,
		"TACH.LAN:8080":                true,
		"rebind.attacker.example":      false,
		"rebind.attacker.example:8080": false,
		"localhost.attacker.example":   false,
		"127.0.0.1.nip.io:8080":        false,
		"sub.tach.lan":                 false,
		"0.0.0.0:8080":                 false, // browsers reach it, and it is nobody's name for tach
		"[::ffff:7f00:1]:8080":         true,
		"10.0.0.5:8080":                false,
		"tach.lan.attacker.example":    false,
		"":                             false,
	} {
		for _, target := range []string{"/api/v1/metrics", "/"} {
			rec := e.do(req{target: target, host: host})
			if ok && rec.Code != http.StatusOK || !ok && rec.Code != http.StatusMisdirectedRequest {
				t.Errorf("Host %q, %s: %d", host, target, rec.Code)
			}
			if !ok && !strings.Contains(rec.Body.String(), "allowed_hosts") {
				t.Errorf("Host %q: the 421 does not say how to allow it: %.200s", host, rec.Body)
			}
		}
	}
	// A write through a rebound name does nothing.
	before, _ := demoStore.Decisions(context.Background())
	rec := e.do(req{method: "POST", target: "/decisions", host: "rebind.attacker.example:8080",
		form: url.Values{"date": {"2026-01-05"}, "title": {"Rebound decision"}, "kind": {"caching"}}})
	after, _ := demoStore.Decisions(context.Background())
	if rec.Code != http.StatusMisdirectedRequest || len(after) != len(before) {
		t.Errorf("a write through a rebound name: %d, %d → %d decisions", rec.Code, len(before), len(after))
	}
	if rec := e.do(req{method: "POST", target: "/api/v1/sync", host: "rebind.attacker.example"}); rec.Code != http.StatusMisdirectedRequest || e.sync.triggers != 0 {
		t.Errorf("a sync through a rebound name: %d, %d syncs", rec.Code, e.sync.triggers)
	}
	// The probes say only "ok"; the webhooks carry their own signatures.
	for _, r := range []req{{target: "/healthz"}, {target: "/readyz"}, {method: "POST", target: "/webhooks/github"}} {
		r.host = "rebind.attacker.example"
		if rec := e.do(r); rec.Code == http.StatusMisdirectedRequest {
			t.Errorf("%s %s: 421", r.method, r.target)
		}
	}
}

// TestHostCheckWithSignIn: with sign-in on, any Host is answered (the
// session is what guards), unless allowed_hosts names some: then only
// those, the loopback names and the listen address.
func TestHostCheckWithSignIn(t *testing.T) {
	open := newOpsEnv(t, func(o *web.OpsOptions) { o.Listen = "0.0.0.0:8080" })
	ada := open.login("ada", adaPassword)
	if rec := open.do(req{target: "/api/v1/metrics", host: "tach.example.com", cookie: ada}); rec.Code != http.StatusOK {
		t.Errorf("sign-in on, no allowed_hosts: %d", rec.Code)
	}
	strict := newOpsEnv(t, func(o *web.OpsOptions) {
		o.Listen = "192.0.2.10:8080"
		o.AllowedHosts = []string{"tach.example.com", "example.com"}
	})
	ada = strict.login("ada", adaPassword)
	for host, want := range map[string]int{
		"tach.example.com":        http.StatusOK,
		"localhost:8080":          http.StatusOK,
		"192.0.2.10:8080":         http.StatusOK, // the listen address
		"other.example.com":       http.StatusMisdirectedRequest,
		"rebind.attacker.example": http.StatusMisdirectedRequest,
	} {
		if rec := strict.do(req{target: "/api/v1/metrics", host: host, cookie: ada}); rec.Code != want {
			t.Errorf("allowed_hosts set, Host %q: %d, want %d", host, rec.Code, want)
		}
	}
}
