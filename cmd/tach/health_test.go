package main

import (
	"strings"
	"testing"

	"github.com/tach-dev/tach/store/storetest"
)

// tach health is the container's health check: exit 0 while a tach serve
// is ready, 1 with one line when it answers otherwise or not at all.
func TestHealthAsksReadyz(t *testing.T) {
	s := startServe(t, "--db", storetest.Database(t), "--listen", "127.0.0.1:0")
	code, out, errOut := tach(t, "health", "--url", s.url+"/readyz")
	if code != 0 || !strings.HasPrefix(out, "ok\n") {
		t.Errorf("a ready server: exit %d, %q, %q; want 0 and its ok", code, out, errOut)
	}
	code, _, errOut = tach(t, "health", "--url", s.url+"/no-such-page")
	if code != 1 || !strings.Contains(errOut, "answered 404") || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
		t.Errorf("a 404: exit %d, %q; want 1 and one line naming the status", code, errOut)
	}
	s.stop()
	code, _, errOut = tach(t, "health", "--url", s.url+"/readyz", "--timeout", "2s")
	if code != 1 || !strings.Contains(errOut, "does not answer") {
		t.Errorf("a stopped server: exit %d, %q; want 1 and does not answer", code, errOut)
	}
	code, _, errOut = tach(t, "health", "--url", "127.0.0.1:8080/readyz")
	if code != 2 || !strings.Contains(errOut, "is not an http(s) URL") {
		t.Errorf("a URL without its scheme: exit %d, %q; want 2", code, errOut)
	}
}
