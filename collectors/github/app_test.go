package github

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tach-dev/tach/collectors"
	"github.com/tach-dev/tach/collectors/collectorstest"
	"github.com/tach-dev/tach/collectors/github/githubtest"
	"github.com/tach-dev/tach/store/storetest"
)

var (
	appKeysOnce sync.Once
	appKeys     [2]*rsa.PrivateKey
)

// testAppKeys are two RSA keys: the app's, and another (generated once:
// 2048-bit keys take a moment).
func testAppKeys(t testing.TB) (app, other *rsa.PrivateKey) {
	t.Helper()
	appKeysOnce.Do(func() {
		for i := range appKeys {
			k, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				panic(err)
			}
			appKeys[i] = k
		}
	})
	return appKeys[0], appKeys[1]
}

const testAppID = 424242

// newAppServer is a fake GitHub Enterprise Server (REST under /api/v3/)
// that accepts no personal token, with the app registered and installed
// on the organisation acme and the user bob, and a provider signed in as
// the app whose clock the server shares.
func newAppServer(t *testing.T, tweak ...func(*Options)) (*githubtest.Server, *Provider, *fakeClock, *syncLog) {
	t.Helper()
	key, _ := testAppKeys(t)
	srv := githubtest.New(t)
	srv.SetToken("a personal token nobody has")
	srv.SetApp(githubtest.App{ID: testAppID, Key: &key.PublicKey})
	srv.Install("acme", false)
	srv.Install("bob", true)
	p, clk, logs := newProvider(t, srv, append([]func(*Options){func(o *Options) {
		o.Token = ""
		o.App = &App{ID: testAppID, PrivateKey: githubtest.EncodePrivateKey(key)}
	}}, tweak...)...)
	srv.SetNow(clk.Now)
	return srv, p, clk, logs
}

func TestAppSyncsWithInstallationTokens(t *testing.T) {
	srv, p, clk, logs := newAppServer(t)
	buildHandHistory(srv, "acme/api")
	tool := srv.AddRepo("bob/tool")
	pr := tool.AddPR("Add a flag", bob, ago(3*day))
	tool.Merge(pr, ago(2*day))
	st := storetest.New(t)

	mustSync(t, st, p, repoEntry("acme/api", "deployments"), repoEntry("bob/tool", "merges"))
	if n := len(history(t, st, "acme/api").Changes); n != 7 {
		t.Errorf("acme/api: %d changes, want 7", n)
	}
	if n := len(history(t, st, "bob/tool").Changes); n != 1 {
		t.Errorf("bob/tool: %d changes, want 1", n)
	}
	// One lookup and one token per installation, whatever the number of
	// requests and workers.
	if got := srv.TokensIssued(); got != 2 {
		t.Errorf("installation tokens issued = %d, want 2 (one per installation)", got)
	}
	if got := srv.Requests("installation"); got != 2 {
		t.Errorf("installation lookups = %d, want 2 (one per owner)", got)
	}

	// Each installation spends its own rate limit, read from its answers.
	var scopes []string
	p.transport.budget.mu.Lock()
	for name := range p.transport.budget.windows {
		scopes = append(scopes, name)
	}
	p.transport.budget.mu.Unlock()
	for _, want := range []string{"installation", "/core", "/graphql"} {
		if !strings.Contains(strings.Join(scopes, " "), want) {
			t.Errorf("budgets %v: none is an installation's %s", scopes, want)
		}
	}
	for _, name := range scopes {
		if !strings.HasPrefix(name, "installation ") && name != "app/core" {
			t.Errorf("budget %q is not an installation's: a token's budget was spent", name)
		}
	}

	// Half an hour on, the tokens are still good: none is asked for.
	clk.Sleep(context.Background(), 30*time.Minute)
	mustSync(t, st, p, repoEntry("acme/api", "deployments"), repoEntry("bob/tool", "merges"))
	if got := srv.TokensIssued(); got != 2 {
		t.Errorf("after 30 minutes: tokens issued = %d, want still 2", got)
	}
	// 57 minutes after they were given, 3 before they expire: replaced
	// before GitHub would refuse them.
	clk.Sleep(context.Background(), 27*time.Minute)
	mustSync(t, st, p, repoEntry("acme/api", "deployments"), repoEntry("bob/tool", "merges"))
	if got := srv.TokensIssued(); got != 4 {
		t.Errorf("near expiry: tokens issued = %d, want 4 (each installation's replaced once)", got)
	}
	for _, secret := range []string{"ghs_fake", "BEGIN", "eyJ"} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("the log holds %q: a token, key or JWT was logged", secret)
		}
	}
}

func TestAppTokenExpiredAtGitHubIsRefused(t *testing.T) {
	// The fake holds GitHub's side: a token past its expiry is refused.
	srv, p, clk, _ := newAppServer(t)
	srv.AddRepo("acme/api")
	st := storetest.New(t)
	mustSync(t, st, p, repoEntry("acme/api", "merges"))
	srv.SetNow(func() time.Time { return clk.Now().Add(2 * time.Hour) })
	sum := syncAll(context.Background(), t, st, p, repoEntry("acme/api", "merges"))
	err := repoSummary(t, sum, "acme/api").Err
	if !errors.Is(err, collectors.ErrUnauthorized) {
		t.Fatalf("an expired token was accepted: err = %v", err)
	}
	if !strings.Contains(err.Error(), "GitHub rejected the app's installation token") || strings.Contains(err.Error(), "GITHUB_TOKEN") {
		t.Errorf("the error blames a personal token: %v", err)
	}
}

func TestAppRateLimitIsPerInstallation(t *testing.T) {
	srv, p, _, _ := newAppServer(t, func(o *Options) { o.MaxRateLimitWait = time.Minute })
	srv.AddRepo("acme/api")
	srv.AddRepo("bob/tool")
	st := storetest.New(t)
	mustSync(t, st, p, repoEntry("acme/api", "merges"), repoEntry("bob/tool", "merges"))
	var acme int64
	for _, name := range []string{"acme", "bob"} {
		id, ok := p.transport.creds.(*appAuth).owners[name]
		if !ok {
			t.Fatalf("no installation known for %s", name)
		}
		if name == "acme" {
			acme = id
		}
	}
	// acme's installation spends its core budget; bob's is untouched.
	srv.SetRateLimit(budgetName("installation "+itoa(acme), "core"), 5000, 0, 50*time.Minute)
	sum := syncAll(context.Background(), t, st, p, repoEntry("acme/api", "merges"), repoEntry("bob/tool", "merges"))
	if err := repoSummary(t, sum, "acme/api").Err; !errors.Is(err, collectors.ErrRateLimited) {
		t.Errorf("acme/api: err = %v, want its installation's rate limit", err)
	}
	if err := repoSummary(t, sum, "bob/tool").Err; err != nil {
		t.Errorf("bob/tool: %v; another installation's limit stopped it", err)
	}
}

func TestAppInstallationIDGivenAsksNoLookup(t *testing.T) {
	srv := githubtest.New(t)
	key, _ := testAppKeys(t)
	srv.SetToken("a personal token nobody has")
	srv.SetApp(githubtest.App{ID: testAppID, Key: &key.PublicKey})
	in := srv.Install("acme", false)
	srv.AddRepo("acme/api")
	p, clk, _ := newProvider(t, srv, func(o *Options) {
		o.Token = ""
		o.App = &App{ID: testAppID, PrivateKey: githubtest.EncodePrivateKey(key), InstallationID: in.ID}
	})
	srv.SetNow(clk.Now)
	mustSync(t, storetest.New(t), p, repoEntry("acme/api", "merges"))
	if got := srv.Requests("installation"); got != 0 {
		t.Errorf("installation lookups = %d, want 0 with installation_id set", got)
	}
}

func TestAppSignInMistakesSayWhatGitHubSaid(t *testing.T) {
	appKey, otherKey := testAppKeys(t)
	cases := []struct {
		name string
		app  App
		want string
	}{
		{"key of another app", App{ID: testAppID, PrivateKey: githubtest.EncodePrivateKey(otherKey)},
			`github.app: GET /api/v3/repos/acme/api/installation: 401 Unauthorized: GitHub said "A JSON web token could not be decoded"; GitHub rejected the app's JWT: check github.app.id`},
		{"wrong app id", App{ID: 7, PrivateKey: githubtest.EncodePrivateKey(appKey)},
			`GitHub said "Integration not found"`},
		{"installation that is not", App{ID: testAppID, PrivateKey: githubtest.EncodePrivateKey(appKey), InstallationID: 99},
			`github.app: POST /api/v3/app/installations/99/access_tokens: 404 Not Found; the app has no installation 99`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := githubtest.New(t)
			srv.SetApp(githubtest.App{ID: testAppID, Key: &appKey.PublicKey})
			srv.Install("acme", false)
			srv.AddRepo("acme/api")
			p, clk, logs := newProvider(t, srv, func(o *Options) { o.Token, o.App = "", &c.app })
			srv.SetNow(clk.Now)
			sum := syncAll(context.Background(), t, storetest.New(t), p, repoEntry("acme/api", "merges"))
			err := repoSummary(t, sum, "acme/api").Err
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v\nwant it to contain %s", err, c.want)
			}
			if !errors.Is(err, collectors.ErrUnauthorized) {
				t.Errorf("err does not stop the repo as a rejected sign-in: %v", err)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("err is not one line: %q", err)
			}
			for _, secret := range []string{"BEGIN", "eyJ", "PRIVATE"} {
				if strings.Contains(err.Error(), secret) || strings.Contains(logs.String(), secret) {
					t.Errorf("the error or log holds %q", secret)
				}
			}
		})
	}
}

func TestAppNotInstalledNamesTheOwner(t *testing.T) {
	srv, p, _, _ := newAppServer(t)
	srv.AddRepo("globex/web")
	sum := syncAll(context.Background(), t, storetest.New(t), p, repoEntry("globex/web", "merges"))
	err := repoSummary(t, sum, "globex/web").Err
	if err == nil || !strings.Contains(err.Error(), "the app is not installed on globex") {
		t.Fatalf("err = %v, want it to say the app is not installed on globex", err)
	}
}

func TestAppKeyThatIsNotAKey(t *testing.T) {
	for _, pem := range []string{"not a key at all", "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n"} {
		_, err := New(Options{App: &App{ID: 1, PrivateKey: []byte(pem)}})
		if err == nil || strings.Contains(err.Error(), "AAAA") || !strings.HasPrefix(err.Error(), "github.app: the private key is not") {
			t.Errorf("key %q: err = %v", pem[:10], err)
		}
	}
}

// TestAppCredentialsGoOnlyToTheAPIHost: the app's JWT and its
// installation tokens are refused to another host, like a token: a
// lookup redirected elsewhere, or a token exchange redirected elsewhere,
// stops the sync naming both hosts, and the other host never hears.
func TestAppCredentialsGoOnlyToTheAPIHost(t *testing.T) {
	key, _ := testAppKeys(t)
	for _, redirect := range []string{"/api/v3/repos/acme/api/installation", "/api/v3/app/installations/5/access_tokens"} {
		other := collectorstest.NewOtherHost(t)
		api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch {
			case r.URL.Path == redirect:
				http.Redirect(w, r, other.URL+r.URL.RequestURI(), http.StatusTemporaryRedirect)
			case r.URL.Path == "/api/v3/repos/acme/api/installation":
				fmt.Fprintln(w, `{"id": 5}`)
			default:
				http.NotFound(w, r)
			}
		}))
		t.Cleanup(api.Close)
		p, err := New(Options{BaseURL: api.URL + "/api/v3/", App: &App{ID: 1, PrivateKey: githubtest.EncodePrivateKey(key)}, MaxRetries: 1})
		if err != nil {
			t.Fatal(err)
		}
		sum := syncAll(context.Background(), t, storetest.New(t), p, repoEntry("acme/api", "merges"))
		if err := repoSummary(t, sum, "acme/api").Err; !errors.Is(err, collectors.ErrOtherHost) || !strings.Contains(err.Error(), "redirected to "+other.URL) {
			t.Errorf("%s redirected elsewhere: err = %v", redirect, err)
		}
		other.Check(t)
	}
}
