package githubtest

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// A GitHub App, as GitHub answers it (docs: "Authenticating as a GitHub
// App installation"):
//   - the app's own endpoints take a JWT signed RS256 with the app's key:
//     iss the app's id, iat and exp at most ten minutes apart, exp in the
//     future. The signature is verified against the app's public key; a
//     JWT that does not verify is answered 401 "A JSON web token could not
//     be decoded", an unknown iss 401 "Integration not found", an expired
//     one 401 with GitHub's claim message;
//   - GET /repos/{owner}/{repo}/installation, /orgs/{org}/installation and
//     /users/{user}/installation name the installation that covers them
//     (404 when the app is not installed there);
//   - POST /app/installations/{id}/access_tokens gives an installation
//     token (201, token and expires_at), valid for TokenLife (an hour by
//     default); past it the token is answered 401 "Bad credentials";
//   - each installation has its own rate-limit windows.

// App is the fake's GitHub App.
type App struct {
	ID  int64
	Key *rsa.PublicKey
	// TokenLife is how long an installation token is valid (default 1h).
	TokenLife time.Duration
}

// Installation is an app's installation on an account.
type Installation struct {
	ID      int64
	Account string
	// User marks an installation on a user account (else an organisation).
	User bool
}

type appState struct {
	app      App
	installs map[string]*Installation // lower-case account → installation
	tokens   map[string]issuedToken
	issued   int
}

type issuedToken struct {
	installation int64
	expires      time.Time
}

// SetApp makes the server a GitHub with this app registered. Tokens of
// its installations are accepted besides Server's token.
func (s *Server) SetApp(app App) {
	if app.TokenLife <= 0 {
		app.TokenLife = time.Hour
	}
	s.Edit(func() {
		s.app = &appState{app: app, installs: map[string]*Installation{}, tokens: map[string]issuedToken{}}
	})
}

// Install installs the app on an account (an organisation; user true
// for a user) and returns the installation.
func (s *Server) Install(account string, user bool) *Installation {
	s.mu.Lock()
	defer s.mu.Unlock()
	in := &Installation{ID: s.nextID(), Account: account, User: user}
	s.app.installs[strings.ToLower(account)] = in
	return in
}

// TokensIssued is how many installation tokens the server gave.
func (s *Server) TokensIssued() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.app == nil {
		return 0
	}
	return s.app.issued
}

// EncodePrivateKey returns key as the PEM file GitHub gives for download
// (PKCS#1, "RSA PRIVATE KEY").
func EncodePrivateKey(key *rsa.PrivateKey) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
}

// serveApp answers the app's endpoints; it reports false for any other
// request. The lock is not held.
func (s *Server) serveApp(w http.ResponseWriter, r *http.Request) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.app == nil {
		return false
	}
	segs := strings.Split(strings.Trim(strings.TrimPrefix(r.URL.Path, "/api/v3"), "/"), "/")
	var endpoint string
	switch {
	case r.Method == http.MethodPost && len(segs) == 4 && segs[0] == "app" && segs[1] == "installations" && segs[3] == "access_tokens":
		endpoint = "app_access_tokens"
	case r.Method == http.MethodGet && len(segs) == 4 && segs[0] == "repos" && segs[3] == "installation",
		r.Method == http.MethodGet && len(segs) == 3 && (segs[0] == "orgs" || segs[0] == "users") && segs[2] == "installation":
		endpoint = "installation"
	default:
		return false
	}
	s.total++
	s.counts[endpoint]++
	if msg := s.verifyJWT(r.Header.Get("Authorization")); msg != "" {
		writeJSON(w, http.StatusUnauthorized, nil, map[string]any{"message": msg, "documentation_url": "https://docs.github.com/rest"})
		return true
	}
	notFound := func() bool {
		writeJSON(w, http.StatusNotFound, nil, map[string]any{"message": "Not Found", "documentation_url": "https://docs.github.com/rest/apps/apps"})
		return true
	}
	if endpoint == "installation" {
		in := s.app.installs[strings.ToLower(segs[1])]
		switch {
		case in == nil,
			segs[0] == "repos" && s.repos[strings.ToLower(segs[1]+"/"+segs[2])] == nil,
			segs[0] == "orgs" && in.User, segs[0] == "users" && !in.User:
			return notFound()
		}
		writeJSON(w, http.StatusOK, nil, s.installationJSON(in))
		return true
	}
	id, _ := strconv.ParseInt(segs[2], 10, 64)
	var in *Installation
	for _, x := range s.app.installs {
		if x.ID == id {
			in = x
		}
	}
	if in == nil {
		return notFound()
	}
	s.app.issued++
	token := fmt.Sprintf("ghs_fake%d_%d", in.ID, s.app.issued)
	expires := s.now().Add(s.app.app.TokenLife).UTC().Truncate(time.Second)
	s.app.tokens[token] = issuedToken{installation: in.ID, expires: expires}
	writeJSON(w, http.StatusCreated, nil, map[string]any{
		"token": token, "expires_at": expires.Format(time.RFC3339),
		"permissions":          map[string]string{"metadata": "read", "contents": "read", "pull_requests": "read", "deployments": "read", "actions": "read", "issues": "read"},
		"repository_selection": "all",
	})
	return true
}

func (s *Server) installationJSON(in *Installation) map[string]any {
	typ := "Organization"
	if in.User {
		typ = "User"
	}
	return map[string]any{
		"id": in.ID, "app_id": s.app.app.ID, "target_type": typ, "repository_selection": "all",
		"account":           map[string]any{"login": in.Account, "id": in.ID + 1, "type": typ},
		"access_tokens_url": fmt.Sprintf("%s/api/v3/app/installations/%d/access_tokens", s.URL, in.ID),
		"permissions":       map[string]string{"metadata": "read", "pull_requests": "read"},
		"events":            []string{"pull_request", "deployment_status", "workflow_run", "issues"},
		"created_at":        "2026-01-05T10:00:00Z", "updated_at": "2026-01-05T10:00:00Z",
	}
}

// verifyJWT checks an app's JWT as GitHub does; it returns GitHub's
// message for a rejected one, "" for a good one.
func (s *Server) verifyJWT(authz string) string {
	raw, ok := strings.CutPrefix(authz, "Bearer ")
	if !ok {
		return "A JSON web token could not be decoded"
	}
	var claims jwt.RegisteredClaims
	_, err := jwt.ParseWithClaims(raw, &claims, func(t *jwt.Token) (any, error) {
		return s.app.app.Key, nil
	}, jwt.WithValidMethods([]string{"RS256"}), jwt.WithTimeFunc(s.now), jwt.WithIssuedAt(), jwt.WithExpirationRequired(), jwt.WithLeeway(30*time.Second))
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires"
	case errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued"
	case err != nil:
		return "A JSON web token could not be decoded"
	}
	if claims.ExpiresAt.Sub(claims.IssuedAt.Time) > 10*time.Minute {
		return "'Expiration time' claim ('exp') is too far in the future"
	}
	if claims.Issuer != strconv.FormatInt(s.app.app.ID, 10) {
		return "Integration not found"
	}
	return ""
}

// installationToken reports whether authz carries an installation token,
// and which installation's; expired is set for one past its expiry.
func (s *Server) installationToken(authz string) (id int64, expired, ok bool) {
	if s.app == nil {
		return 0, false, false
	}
	raw := strings.TrimPrefix(strings.TrimPrefix(authz, "Bearer "), "token ")
	t, ok := s.app.tokens[raw]
	if !ok {
		return 0, false, false
	}
	return t.installation, !s.now().Before(t.expires), true
}
