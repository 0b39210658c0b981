package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tach-dev/tach/collectors/collectorstest"
)

// TestSyncTokensStayOnTheAPIHost: a configured API that redirects to
// another host (302 for a GET, 307 for a GraphQL POST) never gets the
// token carried there — not GitHub's Authorization, which the collector's
// transport sets on every hop, nor GitLab's PRIVATE-TOKEN, which Go copies
// on a redirect — and the sync says which host sent it where.
func TestSyncTokensStayOnTheAPIHost(t *testing.T) {
	const ghToken, glToken = "ghp-redirect-test-token-0123456789", "glpat-redirect-test-token-0123"
	other := collectorstest.NewOtherHost(t)
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		status := http.StatusFound
		if r.Method != http.MethodGet {
			status = http.StatusTemporaryRedirect // keeps the method and body
		}
		w.Header().Set("Location", other.URL+r.URL.RequestURI())
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
			apiHost, otherHost := strings.TrimPrefix(api.URL, "http://"), strings.TrimPrefix(other.URL, "http://")
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
	other.Check(t)
}
