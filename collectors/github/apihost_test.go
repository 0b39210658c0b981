package github

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

	"github.com/tach-dev/tach/collectors"
)

// TestTokenGoesOnlyToTheAPIHost: a redirect on the API host is followed
// with the token (a renamed repo answers 301); a redirect or a next-page
// link to another host is refused, naming both, and the other host never
// hears from the collector.
func TestTokenGoesOnlyToTheAPIHost(t *testing.T) {
	const token = "ghp-apihost-test-token"
	var otherVisits atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		otherVisits.Add(1)
		if v := r.Header.Get("Authorization"); v != "" {
			t.Errorf("the other host got Authorization: %s", v)
		}
		fmt.Fprintln(w, `{}`)
	}))
	t.Cleanup(other.Close)
	otherURL := strings.Replace(other.URL, "127.0.0.1", "localhost", 1)
	var newAuth atomic.Value
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/v3/repos/acme/old":
			http.Redirect(w, r, "/api/v3/repositories/42", http.StatusMovedPermanently)
		case "/api/v3/repositories/42":
			newAuth.Store(r.Header.Get("Authorization"))
			w.Header().Set("Link", `<`+otherURL+`/api/v3/repositories/42?page=2>; rel="next"`)
			fmt.Fprintln(w, `{"full_name": "acme/new"}`)
		default:
			http.Redirect(w, r, otherURL+r.URL.RequestURI(), http.StatusFound)
		}
	}))
	t.Cleanup(api.Close)
	p, err := New(Options{BaseURL: api.URL + "/api/v3/", Token: token, MaxRetries: 1})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var repo struct {
		FullName string `json:"full_name"`
	}
	ans, err := p.client.get(ctx, p.client.url("repos/acme/old", nil), "", &repo)
	if err != nil || repo.FullName != "acme/new" || newAuth.Load() != "Bearer "+token {
		t.Fatalf("a redirect on the API host: %v, %+v, Authorization %q", err, repo, newAuth.Load())
	}
	apiOrigin, otherOrigin := api.URL, otherURL
	for _, tc := range []struct{ what, url, says string }{
		{"a next-page link to another host", ans.next, "a link pointed to " + otherOrigin},
		{"a redirect to another host", p.client.url("repos/acme/shop", nil), apiOrigin + " redirected to " + otherOrigin},
	} {
		_, err := p.client.get(ctx, tc.url, "", &repo)
		if !errors.Is(err, collectors.ErrOtherHost) || !strings.Contains(err.Error(), tc.says) || !strings.Contains(err.Error(), "github.base_url") {
			t.Errorf("%s: %v", tc.what, err)
		}
		if err != nil && strings.Contains(err.Error(), token) {
			t.Errorf("%s: the error holds the token: %v", tc.what, err)
		}
	}
	if n := otherVisits.Load(); n > 0 {
		t.Errorf("the other host was asked %d times", n)
	}
}

// TestPlainHTTPBaseURLWarns: a token sent over plain http to another
// machine is logged once, when the provider is built; loopback and https
// are not.
func TestPlainHTTPBaseURLWarns(t *testing.T) {
	for base, warns := range map[string]bool{
		"http://ghe.example.com/api/v3/":  true,
		"http://10.0.0.7:8080/api/v3/":    true,
		"https://ghe.example.com/api/v3/": false,
		"http://127.0.0.1:8080/api/v3/":   false,
		"http://localhost/api/v3/":        false,
		"http://[::1]:9000/api/v3/":       false,
	} {
		var buf bytes.Buffer
		if _, err := New(Options{BaseURL: base, Token: "t", Logger: slog.New(slog.NewTextHandler(&buf, nil))}); err != nil {
			t.Fatal(err)
		}
		if got := strings.Count(buf.String(), "plain http://"); got != map[bool]int{true: 1, false: 0}[warns] {
			t.Errorf("%s: %d warnings:\n%s", base, got, buf.String())
		}
	}
}
