package digest_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tach-dev/tach/digest"
	"github.com/tach-dev/tach/store/storetest"
)

const secretPath = "/services/T000/B000/s3cr3tT0k3n"

func message(period string) digest.Message {
	return digest.Message{Period: period, Scope: "payments", Body: func(platform string) ([]byte, error) {
		return []byte(`{"text":"review for ` + platform + `"}`), nil
	}}
}

func sender(t *testing.T) (*digest.Sender, *[]time.Duration) {
	var waits []time.Duration
	return &digest.Sender{Store: storetest.New(t), Sleep: func(ctx context.Context, d time.Duration) error {
		waits = append(waits, d)
		return nil
	}}, &waits
}

// TestRetriedOn5xxAnd429ThenSentOnce: a receiver that answers 503, then
// 429 with Retry-After, then 200 gets the digest — and gets it once: the
// next delivery of the same week posts nothing.
func TestRetriedOn5xxAnd429ThenSentOnce(t *testing.T) {
	var posts atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch posts.Add(1) {
		case 1:
			http.Error(w, "try later", http.StatusServiceUnavailable)
		case 2:
			w.Header().Set("Retry-After", "7")
			http.Error(w, "slow down", http.StatusTooManyRequests)
		default:
			w.Write([]byte("ok"))
		}
	}))
	defer srv.Close()
	s, waits := sender(t)
	targets := []digest.Target{{Platform: "slack", URL: srv.URL + secretPath}}
	res := s.Deliver(context.Background(), message("2026-11-30"), targets)
	if len(res) != 1 || !res[0].Sent || res[0].Err != nil {
		t.Fatalf("result = %+v", res)
	}
	if posts.Load() != 3 || len(*waits) != 2 || (*waits)[0] != 2*time.Second || (*waits)[1] != 7*time.Second {
		t.Errorf("%d posts, waits %v; want 3 posts after a back-off and the Retry-After", posts.Load(), *waits)
	}
	res = s.Deliver(context.Background(), message("2026-11-30"), targets)
	if !res[0].Already || res[0].Sent || posts.Load() != 3 {
		t.Errorf("second delivery of the week: %+v, %d posts", res[0], posts.Load())
	}
	// The next week is another digest.
	if res = s.Deliver(context.Background(), message("2026-12-07"), targets); !res[0].Sent || posts.Load() != 4 {
		t.Errorf("next week: %+v, %d posts", res[0], posts.Load())
	}
}

// TestNotRetriedWhenItMayHaveArrived: a 4xx is final, and a post whose
// answer never came (it may have been received) is not posted again; the
// errors name the platform and host, never the URL's secret path.
func TestNotRetriedWhenItMayHaveArrived(t *testing.T) {
	var posts atomic.Int32
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		posts.Add(1)
		http.Error(w, "invalid_token", http.StatusForbidden)
	}))
	defer bad.Close()
	var slowPosts atomic.Int32
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		slowPosts.Add(1)
		time.Sleep(300 * time.Millisecond)
	}))
	defer slow.Close()
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	closed := "http://" + ln.Addr().String()
	ln.Close()

	s, _ := sender(t)
	s.Client = &http.Client{Timeout: 100 * time.Millisecond}
	res := s.Deliver(context.Background(), message("2026-11-30"), []digest.Target{
		{Platform: "slack", URL: bad.URL + secretPath},
		{Platform: "discord", URL: slow.URL + secretPath},
		{Platform: "teams", URL: closed + secretPath},
	})
	if posts.Load() != 1 || slowPosts.Load() != 1 {
		t.Errorf("a 403 was posted %d times, a timed-out post %d times; want once each", posts.Load(), slowPosts.Load())
	}
	for i, want := range []string{`403 Forbidden: "invalid_token"`, "no answer in time", "connection refused"} {
		err := res[i].Err
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want %s", res[i].Target, err, want)
			continue
		}
		if strings.Contains(err.Error(), "s3cr3t") || !strings.Contains(err.Error(), res[i].Target.String()) {
			t.Errorf("err %q holds the URL's path, or does not name the destination", err)
		}
	}
	if !strings.Contains(res[2].Err.Error(), "after 5 attempts") {
		t.Errorf("a refused connection (never sent) was not retried: %v", res[2].Err)
	}
	if got := res[0].Target.String(); strings.Contains(got, "s3cr3t") {
		t.Errorf("target prints as %q", got)
	}
}

// A destination is named by its platform and host, never its path (the
// secret); the generic webhook is not "webhook webhook".
func TestTargetString(t *testing.T) {
	for _, c := range []struct{ platform, want string }{
		{"slack", "slack webhook at hooks.slack.com"},
		{"webhook", "webhook at hooks.slack.com"},
	} {
		if got := (digest.Target{Platform: c.platform, URL: "https://hooks.slack.com/services/T0/B0/s3cr3t"}).String(); got != c.want {
			t.Errorf("%s: %q, want %q", c.platform, got, c.want)
		}
	}
}
