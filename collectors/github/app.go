package github

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/sync/singleflight"

	"github.com/tach-dev/tach/collectors"
)

// A GitHub App signs in differently from a token: tach signs a short JWT
// with the app's private key (RS256, by golang-jwt), which may only ask
// about the app itself — which installation covers an owner, and a token
// for an installation (POST /app/installations/{id}/access_tokens). Every
// other request carries an installation token, which expires after an
// hour; tach keeps one per installation, asks for a new one before the
// old expires, and spends each installation's own rate limit (its budget
// is kept apart from the others'). The JWT and the installation tokens go
// through the same transport as everything else, so they go to the API
// host only (collectors.APIHost) and are never logged.

// App is a GitHub App's identity (github.app).
type App struct {
	// ID is the app's id (its settings page: "App ID").
	ID int64
	// PrivateKey is the app's private key, PEM-encoded (PKCS#1 or PKCS#8
	// RSA), as GitHub gives it for download.
	PrivateKey []byte
	// InstallationID is the installation to use for every owner; 0 finds
	// each owner's installation (GET /repos/{owner}/{repo}/installation,
	// or /orgs/{org}/installation and /users/{user}/installation).
	InstallationID int64
}

// tokenRefreshMargin is how long before its expiry an installation
// token is replaced: a request that takes the token just before it
// would have expired still has time to finish.
const tokenRefreshMargin = 5 * time.Minute

// appJWTLife is how long a signed JWT is valid; GitHub accepts at most
// ten minutes. Its iat is set a minute back for clocks that run ahead,
// as GitHub advises.
const appJWTLife = 9 * time.Minute

// appPermissions says which permissions the app needs; it is part of a
// refused request's error.
const appPermissions = "give the app read-only access to metadata, contents, pull requests, deployments, actions and issues (and the organisation's members, for a team read from GitHub), then accept the new permissions on its installation"

// appHelp ends every rejected-app error: what to check.
const appHelp = "check github.app.id and that the private key is that app's (a key GitHub still lists under the app's private keys)"

// AppError is a GitHub App sign-in that failed: the JWT was rejected,
// the app is not installed for an owner, or no installation token was
// given. It names what GitHub said, never the key or a token, and wraps
// collectors.ErrUnauthorized.
type AppError struct {
	Op     string // what tach asked: "POST /app/installations/1/access_tokens"
	Status int    // GitHub's status (0 when no answer)
	Said   string // GitHub's message
	Hint   string // what to fix
}

func (e *AppError) Error() string {
	msg := "github.app: " + e.Op
	if e.Status != 0 {
		msg += fmt.Sprintf(": %d %s", e.Status, http.StatusText(e.Status))
	}
	if e.Said != "" && e.Said != http.StatusText(e.Status) {
		msg += ": GitHub said " + strconv.Quote(e.Said)
	}
	if e.Hint != "" {
		msg += "; " + e.Hint
	}
	return msg
}

func (e *AppError) Unwrap() error { return collectors.ErrUnauthorized }

// ParseAppKey reads a PEM-encoded RSA private key. Its error says what is
// wrong with the key without quoting any of it.
func ParseAppKey(pem []byte) (*rsa.PrivateKey, error) {
	if !strings.Contains(string(pem), "-----BEGIN") {
		return nil, errors.New("github.app: the private key is not PEM (it should start with -----BEGIN RSA PRIVATE KEY-----, as the .pem file GitHub gives)")
	}
	key, err := jwt.ParseRSAPrivateKeyFromPEM(pem)
	if err != nil {
		return nil, errors.New("github.app: the private key is not a PEM-encoded RSA private key; use the .pem file generated on the app's settings page")
	}
	return key, nil
}

// appAuth authorises a Provider's requests as a GitHub App's
// installations.
type appAuth struct {
	id    int64
	key   *rsa.PrivateKey
	fixed int64 // github.app.installation_id, or 0
	clock clock
	c     *client // its requests: set once the client is built

	flight singleflight.Group // one lookup or exchange at a time for the same thing
	mu     sync.Mutex
	owners map[string]int64 // lower-case owner → installation id
	tokens map[int64]installationToken
}

type installationToken struct {
	value   string
	expires time.Time
}

func newAppAuth(app App, clk clock) (*appAuth, error) {
	if app.ID <= 0 {
		return nil, errors.New("github.app: id must be the app's id, a positive number")
	}
	key, err := ParseAppKey(app.PrivateKey)
	if err != nil {
		return nil, err
	}
	return &appAuth{id: app.ID, key: key, fixed: app.InstallationID, clock: clk,
		owners: map[string]int64{}, tokens: map[int64]installationToken{}}, nil
}

// appCallKey marks a request the app makes as itself (with the JWT).
type appCallKey struct{}

func asApp(ctx context.Context) context.Context { return context.WithValue(ctx, appCallKey{}, true) }

func isAppCall(ctx context.Context) bool { v, _ := ctx.Value(appCallKey{}).(bool); return v }

// authorize returns a request's Authorization header and the scope of
// the rate-limit budget it spends: the app's own for the app's requests,
// else its installation's.
func (a *appAuth) authorize(ctx context.Context, c call) (string, string, error) {
	if isAppCall(ctx) {
		jwt, err := a.jwt()
		return "Bearer " + jwt, "app", err
	}
	id, err := a.installation(ctx, c)
	if err != nil {
		return "", "", err
	}
	tok, err := a.token(ctx, id)
	if err != nil {
		return "", "", err
	}
	return "Bearer " + tok, "installation " + strconv.FormatInt(id, 10), nil
}

// scope returns the budget scope of a call without asking GitHub: the
// installation already known for its owner ("" when none is yet).
func (a *appAuth) scope(c call) string {
	id := a.fixed
	if id == 0 {
		a.mu.Lock()
		id = a.owners[strings.ToLower(c.ownerName())]
		a.mu.Unlock()
	}
	if id == 0 {
		return ""
	}
	return "installation " + strconv.FormatInt(id, 10)
}

// jwt signs a JWT that identifies the app for ten minutes at most.
func (a *appAuth) jwt() (string, error) {
	now := a.clock.now()
	claims := jwt.RegisteredClaims{
		Issuer:    strconv.FormatInt(a.id, 10),
		IssuedAt:  jwt.NewNumericDate(now.Add(-time.Minute)),
		ExpiresAt: jwt.NewNumericDate(now.Add(appJWTLife)),
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodRS256, claims).SignedString(a.key)
	if err != nil {
		return "", errors.New("github.app: signing the app's JWT failed; check the private key")
	}
	return s, nil
}

// installation returns the installation that covers a call's owner.
func (a *appAuth) installation(ctx context.Context, c call) (int64, error) {
	if a.fixed != 0 {
		return a.fixed, nil
	}
	owner := c.ownerName()
	if owner == "" {
		return 0, &AppError{Op: "finding the installation", Hint: "a request names no owner; set github.app.installation_id"}
	}
	lower := strings.ToLower(owner)
	a.mu.Lock()
	id, ok := a.owners[lower]
	a.mu.Unlock()
	if ok {
		return id, nil
	}
	v, err, _ := a.flight.Do("owner:"+lower, func() (any, error) {
		id, err := a.lookupInstallation(ctx, c)
		if err == nil {
			a.mu.Lock()
			a.owners[lower] = id
			a.mu.Unlock()
		}
		return id, err
	})
	if err != nil {
		return 0, err
	}
	return v.(int64), nil
}

// lookupInstallation asks GitHub which installation covers a call's
// repo, or its owner when the call is for no repo (an organisation's
// listing): the organisation's installation, else the user's.
func (a *appAuth) lookupInstallation(ctx context.Context, c call) (int64, error) {
	owner, name, _ := strings.Cut(c.repo, "/")
	var paths []string
	if c.repo != "" {
		paths = []string{"repos/" + url.PathEscape(owner) + "/" + url.PathEscape(name) + "/installation"}
	} else {
		owner = c.owner
		paths = []string{"orgs/" + url.PathEscape(owner) + "/installation", "users/" + url.PathEscape(owner) + "/installation"}
	}
	var last *AppError
	for _, p := range paths {
		var inst struct {
			ID int64 `json:"id"`
		}
		err := a.request(ctx, http.MethodGet, p, &inst)
		if err == nil && inst.ID > 0 {
			return inst.ID, nil
		}
		var ae *AppError
		if !errors.As(err, &ae) || ae.Status != http.StatusNotFound {
			if err == nil {
				err = &AppError{Op: "GET /" + p, Said: "the answer names no installation"}
			}
			return 0, err
		}
		last = ae
	}
	last.Hint = fmt.Sprintf("the app is not installed on %s (or not for this repository): install it there (the app's page → Install App), or set github.app.installation_id", owner)
	return 0, last
}

// token returns a valid token of an installation, asking for a new one
// when the one kept expires within tokenRefreshMargin.
func (a *appAuth) token(ctx context.Context, id int64) (string, error) {
	a.mu.Lock()
	t, ok := a.tokens[id]
	a.mu.Unlock()
	if ok && a.clock.now().Add(tokenRefreshMargin).Before(t.expires) {
		return t.value, nil
	}
	v, err, _ := a.flight.Do("token:"+strconv.FormatInt(id, 10), func() (any, error) {
		var ans struct {
			Token     string    `json:"token"`
			ExpiresAt time.Time `json:"expires_at"`
		}
		p := "app/installations/" + strconv.FormatInt(id, 10) + "/access_tokens"
		if err := a.request(ctx, http.MethodPost, p, &ans); err != nil {
			var ae *AppError
			if errors.As(err, &ae) && ae.Status == http.StatusNotFound {
				ae.Hint = fmt.Sprintf("the app has no installation %d: check github.app.installation_id, or remove it to find each owner's", id)
			}
			return "", err
		}
		if ans.Token == "" {
			return "", &AppError{Op: "POST /" + p, Said: "the answer holds no token"}
		}
		a.mu.Lock()
		a.tokens[id] = installationToken{value: ans.Token, expires: ans.ExpiresAt}
		a.mu.Unlock()
		return ans.Token, nil
	})
	if err != nil {
		return "", err
	}
	return v.(string), nil
}

// request makes one of the app's own requests (authenticated by the JWT)
// and decodes its answer; a status other than 2xx is an *AppError naming
// what GitHub said.
func (a *appAuth) request(ctx context.Context, method, path string, out any) error {
	op := method + " " + a.c.rest.JoinPath(path).Path
	req, err := http.NewRequestWithContext(asApp(ctx), method, a.c.url(path, nil), nil)
	if err != nil {
		return err
	}
	resp, err := a.c.http.Do(req)
	if err != nil {
		err = unwrapURLError(err)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var ae *AppError
		if errors.As(err, &ae) {
			return ae
		}
		return fmt.Errorf("github.app: %s: %w", op, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		e := apiError(req, resp)
		ae := &AppError{Op: op, Status: e.Status, Said: e.Message}
		if e.Status == http.StatusUnauthorized {
			ae.Hint = "GitHub rejected the app's JWT: " + appHelp
		}
		return ae
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	if err != nil {
		return fmt.Errorf("github.app: %s: reading the answer: %w", op, err)
	}
	if err := json.Unmarshal(body, out); err != nil {
		return &MalformedError{Method: method, Endpoint: req.URL.Path, Err: err}
	}
	return nil
}

// tokenAuth authorises every request with one token (github.token).
type tokenAuth string

func (t tokenAuth) authorize(context.Context, call) (string, string, error) {
	if t == "" {
		return "", "", nil
	}
	return "Bearer " + string(t), "", nil
}

func (t tokenAuth) scope(call) string { return "" }

// credentials authorise a request: the header to send, and the scope of
// the rate-limit budget it spends ("" for the one budget of a token).
type credentials interface {
	authorize(ctx context.Context, c call) (header, scope string, err error)
	scope(c call) string
}

// ownerName is the account a call is for: its repo's owner, or the
// owner it names.
func (c call) ownerName() string {
	if c.repo != "" {
		owner, _, _ := strings.Cut(c.repo, "/")
		return owner
	}
	return c.owner
}

// budgetName is a budget's name within a scope: "core", or
// "installation 12/core".
func budgetName(scope, resource string) string {
	if scope == "" {
		return resource
	}
	return scope + "/" + resource
}

// lowest is state for a resource across every scope: the budget with the
// least remaining, or -1 when none is known.
func (b *budget) lowest(resource string) (int, time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	remaining, reset := -1, time.Time{}
	for name, w := range b.windows {
		if (name != resource && !strings.HasSuffix(name, "/"+resource)) || w.reset.IsZero() {
			continue
		}
		if remaining < 0 || w.remaining < remaining {
			remaining, reset = w.remaining, w.reset
		}
	}
	return remaining, reset
}
