package main

import (
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

// TestDemoAnswersOnlyItsOwnNames: tach demo has no sign-in, so a page on
// a name rebound to 127.0.0.1 must not read its API or write to it: any
// Host but this machine's names gets 421 saying how to allow one.
func TestDemoAnswersOnlyItsOwnNames(t *testing.T) {
	s := startServing(t, "demo", "--db", filepath.Join(t.TempDir(), "demo.db"), "--scale", "300", "--listen", "127.0.0.1:0")
	port := s.url[strings.LastIndex(s.url, ":")+1:]
	c := s.client()
	for host, want := range map[string]int{
		"127.0.0.1:" + port:               http.StatusOK,
		"localhost:" + port:               http.StatusOK,
		"rebind.attacker.example:" + port: http.StatusMisdirectedRequest,
		"rebind.attacker.example":         http.StatusMisdirectedRequest,
	} {
		for _, r := range []struct{ method, path string }{{"GET", "/api/v1/metrics"}, {"POST", "/decisions"}} {
			code, body := s.do(c, r.method, r.path, nil, "Host", host, "Content-Type", "application/x-www-form-urlencoded")
			if r.method == "POST" && want == http.StatusOK {
				continue // a real write: not needed to show it is answered
			}
			if code != want {
				t.Errorf("%s %s with Host %s: %d, want %d: %.200s", r.method, r.path, host, code, want, body)
			}
			if want == http.StatusMisdirectedRequest && !strings.Contains(body, "allowed_hosts") {
				t.Errorf("Host %s: the refusal does not say how to allow the name: %s", host, body)
			}
		}
	}
}

// TestServeAllowedHosts: with allowed_hosts in the config, tach serve
// without sign-in answers those names too.
func TestServeAllowedHosts(t *testing.T) {
	db := filepath.Join(t.TempDir(), "tach.db")
	copyFile(t, demoDB, db)
	cfg := writeConfigFor(t, db, "allowed_hosts: [tach.lan]\n")
	s := startServe(t, "--config", cfg, "--listen", "127.0.0.1:0")
	c := s.client()
	for host, want := range map[string]int{
		"tach.lan:8080":           http.StatusOK,
		"TACH.LAN":                http.StatusOK,
		"rebind.attacker.example": http.StatusMisdirectedRequest,
	} {
		if code, body := s.do(c, "GET", "/api/v1/scopes", nil, "Host", host); code != want {
			t.Errorf("Host %s: %d, want %d: %.200s", host, code, want, body)
		}
	}
}
