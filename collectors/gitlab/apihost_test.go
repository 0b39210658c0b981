package gitlab_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tach-dev/tach/collectors"
	"github.com/tach-dev/tach/collectors/gitlab"
)

// TestTokenGoesOnlyToTheAPIHost: Go copies PRIVATE-TOKEN on every
// redirect; the collector follows a redirect on the API host with it, and
// refuses one to another host at once (no retries), naming both hosts.
func TestTokenGoesOnlyToTheAPIHost(t *testing.T) {
	const token = "glpat-apihost-test-token"
	var otherVisits atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		otherVisits.Add(1)
		for _, h := range []string{"Private-Token", "Authorization"} {
			if v := r.Header.Get(h); v != "" {
				t.Errorf("the other host got %s: %s", h, v)
			}
		}
		fmt.Fprintln(w, `[]`)
	}))
	t.Cleanup(other.Close)
	otherURL := strings.Replace(other.URL, "127.0.0.1", "localhost", 1)
	var awayAsked atomic.Int32
	var movedToken atomic.Value
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/v4/groups/acme/projects":
			http.Redirect(w, r, "/api/v4/groups/7/projects?"+r.URL.RawQuery, http.StatusMovedPermanently)
		case "/api/v4/groups/7/projects":
			movedToken.Store(r.Header.Get("Private-Token"))
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintln(w, `[{"id": 1, "path_with_namespace": "acme/billing"}]`)
		default:
			awayAsked.Add(1)
			http.Redirect(w, r, otherURL+r.URL.RequestURI(), http.StatusFound)
		}
	}))
	t.Cleanup(api.Close)
	p, err := gitlab.New(gitlab.Options{BaseURL: api.URL + "/api/v4", Token: token,
		RetryWaitMin: time.Millisecond, RetryWaitMax: 2 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	names, err := p.ExpandGroup(ctx, "acme", false)
	if err != nil || len(names) != 1 || names[0] != "acme/billing" || movedToken.Load() != token {
		t.Fatalf("a redirect on the API host: %v %v, PRIVATE-TOKEN %q", names, err, movedToken.Load())
	}
	_, err = p.ExpandGroup(ctx, "elsewhere", false)
	if !errors.Is(err, collectors.ErrOtherHost) || !strings.Contains(err.Error(), api.URL+" redirected to "+otherURL) ||
		!strings.Contains(err.Error(), "gitlab.base_url") || strings.Contains(err.Error(), token) {
		t.Errorf("a redirect to another host: %v", err)
	}
	if n := awayAsked.Load(); n != 1 {
		t.Errorf("the refused request was sent %d times, want 1 (no retries)", n)
	}
	if n := otherVisits.Load(); n > 0 {
		t.Errorf("the other host was asked %d times", n)
	}
}

// TestPlainHTTPBaseURLWarns: plain http to another machine is logged once,
// when the provider is built; loopback and https are not.
func TestPlainHTTPBaseURLWarns(t *testing.T) {
	for base, warns := range map[string]bool{
		"http://gitlab.example.com/api/v4":  true,
		"https://gitlab.example.com/api/v4": false,
		"http://127.0.0.1:8080/api/v4":      false,
		"http://localhost/api/v4":           false,
	} {
		var buf bytes.Buffer
		if _, err := gitlab.New(gitlab.Options{BaseURL: base, Token: "t", Logger: slog.New(slog.NewTextHandler(&buf, nil))}); err != nil {
			t.Fatal(err)
		}
		if got := strings.Count(buf.String(), "plain http://"); got != map[bool]int{true: 1, false: 0}[warns] {
			t.Errorf("%s: %d warnings:\n%s", base, got, buf.String())
		}
	}
}
