package collectors_test

import (
	"bytes"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tach-dev/tach/collectors"
	"github.com/tach-dev/tach/collectors/github"
	"github.com/tach-dev/tach/collectors/gitlab"
)

// must is the value of a call that cannot fail on the tests' own input.
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestAPIHostAllows: the API host is the scheme, host and port of the base
// URL (and of the other endpoints given), default ports made explicit,
// host names compared without case.
func TestAPIHostAllows(t *testing.T) {
	h := collectors.NewAPIHost("github.base_url", must(url.Parse("https://ghe.example.com/api/v3/")), must(url.Parse("https://GHE.example.com:443/api/graphql")))
	for u, ok := range map[string]bool{
		"https://ghe.example.com/api/v3/repos/a/b":     true,
		"https://GHE.EXAMPLE.COM:443/api/v3/x?page=2":  true,
		"http://ghe.example.com/api/v3/x":              false, // another scheme
		"https://ghe.example.com:8443/api/v3/x":        false, // another port
		"https://ghe.example.com.evil.example/api/v3/": false,
		"https://api.github.com/":                      false,
	} {
		if got := h.Allows(must(url.Parse(u))); got != ok {
			t.Errorf("Allows(%s) = %v", u, got)
		}
	}
	// A redirect's next hop names the host that redirected.
	from := &http.Request{URL: must(url.Parse("https://ghe.example.com/api/v3/repos/a/b"))}
	next := &http.Request{URL: must(url.Parse("https://cdn.example.net/x")), Response: &http.Response{Request: from}}
	err := h.CheckRedirect(next, []*http.Request{from})
	if !errors.Is(err, collectors.ErrOtherHost) ||
		!strings.Contains(err.Error(), "https://ghe.example.com:443 redirected to https://cdn.example.net:443") {
		t.Errorf("CheckRedirect: %v", err)
	}
	same := &http.Request{URL: must(url.Parse("https://ghe.example.com/api/v3/repositories/1")), Response: &http.Response{Request: from}}
	if err := h.CheckRedirect(same, []*http.Request{from}); err != nil {
		t.Errorf("a redirect on the API host: %v", err)
	}
	if err := h.CheckRedirect(same, make([]*http.Request, 10)); err == nil {
		t.Error("an 11th redirect was followed")
	}
}

// TestWarnPlainHTTP: a token sent over plain http to another machine is
// logged; loopback and https are not.
func TestWarnPlainHTTP(t *testing.T) {
	for base, warns := range map[string]bool{
		"http://ghe.example.com/api/v3/":  true,
		"http://10.0.0.7:8080/api/v4":     true,
		"HTTP://gitlab.example.com/":      true,
		"https://ghe.example.com/api/v3/": false,
		"http://127.0.0.1:8080/api/v3/":   false,
		"http://127.9.9.9/api/v4":         false,
		"http://localhost/api/v3/":        false,
		"http://[::1]:9000/api/v3/":       false,
	} {
		var buf bytes.Buffer
		collectors.WarnPlainHTTP(slog.New(slog.NewTextHandler(&buf, nil)), "github.base_url", must(url.Parse(base)))
		if got := strings.Contains(buf.String(), "plain http://"); got != warns {
			t.Errorf("%s: warned %v:\n%s", base, got, buf.String())
		}
	}
}

// TestProvidersWarnOnPlainHTTP: each provider says so when its base_url
// sends the token unencrypted to another machine.
func TestProvidersWarnOnPlainHTTP(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	if _, err := github.New(github.Options{BaseURL: "http://ghe.example.com/api/v3/", Token: "t", Logger: log}); err != nil {
		t.Fatal(err)
	}
	if _, err := gitlab.New(gitlab.Options{BaseURL: "http://gitlab.example.com/api/v4", Token: "t", Logger: log}); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"github.base_url", "gitlab.base_url"} {
		if strings.Count(buf.String(), key+" is plain http://") != 1 {
			t.Errorf("no warning for %s:\n%s", key, buf.String())
		}
	}
}
