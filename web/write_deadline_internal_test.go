package web

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// A page that takes longer to compute than the write timeout still
// reaches its client: the timeout counts from the response's first byte.
func TestSlowPageIsNotThrownAway(t *testing.T) {
	const timeout = 300 * time.Millisecond
	slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(2 * timeout) // computing
		io.WriteString(w, strings.Repeat("tach ", 1000))
	})
	get := func(h http.Handler) (string, error) {
		srv := httptest.NewUnstartedServer(h)
		srv.Config.WriteTimeout = timeout
		srv.Start()
		defer srv.Close()
		resp, err := http.Get(srv.URL)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return string(b), err
	}
	// The server's own timeout alone loses the page: what this fixes.
	if body, err := get(slow); err == nil && body != "" {
		t.Fatalf("without the fix the page arrived (%d bytes): the test shows nothing", len(body))
	}
	body, err := get(writeDeadlineFromFirstByte(slow, timeout))
	if err != nil || len(body) != 5000 {
		t.Fatalf("the slow page: %d bytes, %v", len(body), err)
	}
}
