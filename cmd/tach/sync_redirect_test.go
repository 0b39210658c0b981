package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// TestSyncTokensStayOnTheAPIHost: a configured API that redirects to
// another host (302 for a GET, 307 for a GraphQL POST) never gets the
// token carried there — not GitHub's Authorization, which the collector's
// transport sets on every hop, nor GitLab's PRIVATE-TOKEN, which Go copies
// on a redirect — and the sync says which host sent it where.
func TestSyncTokensStayOnTheAPIHost(t *testing.T) {
	const ghToken, glToken = "ghp-redirect-test-token-0123456789", "glpat-redirect-test-token-0123"
	var mu sync.Mutex
	var leaked []string
	var visits int
	// The other host: "localhost", where the API is "127.0.0.1".
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		visits++
		for _, h := range []string{"Authorization", "Private-Token", "Job-Token"} {
			if v := r.Header.Get(h); v != "" {
				leaked = append(leaked, fmt.Sprintf("%s %s carried %s: %s", r.Method, r.URL.Path, h, v))
			}
		}
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintln(w, `{"message":"Not Found"}`)
	}))
	t.Cleanup(other.Close)
	otherURL := strings.Replace(other.URL, "127.0.0.1", "localhost", 1)
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		status := http.StatusFound
		if r.Method != http.MethodGet {
			status = http.StatusTemporaryRedirect // keeps the method and body
		}
		w.Header().Set("Location", otherURL+r.URL.RequestURI())
		w.WriteHeader(status)
	}))
	t.Cleanup(api.Close)

	for _, tc := range []struct{ provider, section, repo string }{
		{"github", "github:\n  token: " + ghToken + "\n  base_url: " + api.URL + "/api/v3/\n", "  - github: acme/shop\n"},
		{"gitlab", "gitlab:\n  token: " + glToken + "\n  base_url: " + api.URL + "/api/v4\n", "  - gitlab: acme/billing\n"},
	} {
		t.Run(tc.provider, func(t *testing.T) {
			cfg := writeConfig(t, tc.section+"repos:\n"+tc.repo)
			var out, errOut bytes.Buffer
			code := run(context.Background(), &cli{stdout: &out, stderr: &errOut}, []string{"sync", "--config", cfg})
			t.Logf("%s%s", out.String(), errOut.String())
			if code == 0 {
				t.Errorf("tach sync succeeded through a redirect to another host:\n%s%s", out.String(), errOut.String())
			}
			all := out.String() + errOut.String()
			apiHost, otherHost := strings.TrimPrefix(api.URL, "http://"), strings.TrimPrefix(otherURL, "http://")
			if !strings.Contains(all, apiHost) || !strings.Contains(all, otherHost) || !strings.Contains(all, tc.provider+".base_url") {
				t.Errorf("the failure does not name %s, %s and %s.base_url:\n%s", apiHost, otherHost, tc.provider, all)
			}
			for _, secret := range []string{ghToken, glToken} {
				if strings.Contains(all, secret) {
					t.Errorf("the output holds the token:\n%s", all)
				}
			}
		})
	}
	mu.Lock()
	defer mu.Unlock()
	for _, l := range leaked {
		t.Error("the token reached the other host: " + l)
	}
	if visits > 0 {
		t.Errorf("the other host was asked %d times", visits)
	}
}
