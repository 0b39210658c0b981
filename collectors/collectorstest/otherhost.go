// Package collectorstest holds what the tests of several collectors
// share.
package collectorstest

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// OtherHost is a server on another host than a test's fake API — named
// localhost where the fake is 127.0.0.1 — that records what reaches it,
// so a test can show that a provider's token never does.
type OtherHost struct {
	// URL is the server's root, http://localhost:PORT.
	URL string

	mu     sync.Mutex
	visits int
	leaks  []string
}

// NewOtherHost starts the server; it stops when the test ends. It answers
// every request 404 with a JSON message.
func NewOtherHost(t testing.TB) *OtherHost {
	o := &OtherHost{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o.mu.Lock()
		o.visits++
		for _, h := range []string{"Authorization", "Private-Token", "Job-Token"} {
			if v := r.Header.Get(h); v != "" {
				o.leaks = append(o.leaks, fmt.Sprintf("%s %s carried %s: %s", r.Method, r.URL.Path, h, v))
			}
		}
		o.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprintln(w, `{"message":"Not Found"}`)
	}))
	t.Cleanup(srv.Close)
	o.URL = strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)
	return o
}

// Check fails the test for every request that reached the server, and
// every credential header one carried.
func (o *OtherHost) Check(t testing.TB) {
	t.Helper()
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, l := range o.leaks {
		t.Error("a token reached the other host: " + l)
	}
	if o.visits > 0 {
		t.Errorf("the other host was asked %d times", o.visits)
	}
}
