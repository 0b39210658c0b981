package github

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/shurcooL/githubv4"

	"github.com/tach-dev/tach/collectors"
)

// client makes a Provider's requests: REST GETs decoded into our own small
// structs (the fields we read, with GitHub's names) and GraphQL queries
// through githubv4, both over the one shared transport.
//
// Why not go-github's client for REST: it remembers rate limits with the
// wall clock and answers later requests with an error without asking
// GitHub, which fights the transport's waits, and its v62 types lack
// fields we need (a workflow run's path).
type client struct {
	rest    *url.URL
	http    *http.Client
	gql     *githubv4.Client
	gqlPath string
	app     bool // signed in as a GitHub App: a rejected token is an installation's
}

// tokenHelp says which permissions a token needs; it is part of every
// rejected-token error.
const tokenHelp = "tach needs read access: a classic token with the repo scope, " +
	"or a fine-grained token with read access to metadata, contents, pull requests, issues, deployments and actions"

// APIError is GitHub's final answer with an error status.
type APIError struct {
	Method   string
	Endpoint string // path and query
	Status   int
	Message  string // GitHub's message
	App      bool   // the request carried a GitHub App's installation token
}

func (e *APIError) Error() string {
	msg := fmt.Sprintf("%s %s: %d %s", e.Method, e.Endpoint, e.Status, http.StatusText(e.Status))
	if e.Message != "" && e.Message != http.StatusText(e.Status) {
		msg += ": " + e.Message
	}
	switch {
	case e.App && e.Status == http.StatusUnauthorized:
		msg += "; GitHub rejected the app's installation token (the app was uninstalled, or the token revoked): check the installation, and github.app"
	case e.App && e.Status == http.StatusForbidden:
		msg += "; the app lacks a permission: " + appPermissions
	case e.Status == http.StatusUnauthorized:
		msg += "; GitHub rejected the token (check github.token, or GITHUB_TOKEN): " + tokenHelp
	case e.Status == http.StatusForbidden:
		msg += "; the token lacks a permission: " + tokenHelp
	}
	return msg
}

// Unwrap makes a rejected token match collectors.ErrUnauthorized.
func (e *APIError) Unwrap() error {
	if e.Status == http.StatusUnauthorized {
		return collectors.ErrUnauthorized
	}
	return nil
}

// MalformedError is an answer whose body is not the JSON it should be.
type MalformedError struct {
	Method, Endpoint string
	Err              error
}

func (e *MalformedError) Error() string {
	return fmt.Sprintf("%s %s: malformed JSON answer: %v", e.Method, e.Endpoint, e.Err)
}

func (e *MalformedError) Unwrap() error { return e.Err }

// GraphQLError is a GraphQL answer that carries errors.
type GraphQLError struct {
	Endpoint string
	Message  string
	notFound bool
}

func (e *GraphQLError) Error() string {
	return fmt.Sprintf("POST %s: GraphQL error: %s", e.Endpoint, e.Message)
}

// Unwrap makes a repository GitHub cannot resolve match
// collectors.ErrRepoNotFound.
func (e *GraphQLError) Unwrap() error {
	if e.notFound {
		return collectors.ErrRepoNotFound
	}
	return nil
}

func endpointOf(u *url.URL) string {
	if u.RawQuery != "" {
		return u.Path + "?" + u.RawQuery
	}
	return u.Path
}

// restAnswer is what a REST GET gave besides its body.
type restAnswer struct {
	notModified bool   // 304: nothing changed since etag
	etag        string // the answer's ETag
	next        string // the next page's URL ("" on the last page)
}

// url builds a REST URL from a path relative to the API root.
func (c *client) url(path string, q url.Values) string {
	u := c.rest.JoinPath(path)
	if q != nil {
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// get fetches a REST URL into out. With etag, a 304 answer leaves out
// untouched and says notModified. A status other than 2xx or 304 is an
// *APIError.
func (c *client) get(ctx context.Context, rawURL, etag string, out any) (restAnswer, error) {
	var ans restAnswer
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return ans, err
	}
	if etag != "" {
		req.Header.Set("If-None-Match", etag)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return ans, unwrapURLError(err)
	}
	defer resp.Body.Close()
	endpoint := endpointOf(req.URL)
	ans.etag = resp.Header.Get("ETag")
	ans.next = nextLink(resp.Header.Get("Link"))
	switch {
	case resp.StatusCode == http.StatusNotModified:
		ans.notModified = true
		return ans, nil
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		ae := apiError(req, resp)
		ae.App = c.app
		return ans, ae
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		if ctx.Err() != nil {
			return ans, ctx.Err()
		}
		return ans, fmt.Errorf("GET %s: reading the answer: %w", endpoint, err)
	}
	if err := json.Unmarshal(body, out); err != nil {
		return ans, &MalformedError{Method: http.MethodGet, Endpoint: endpoint, Err: err}
	}
	return ans, nil
}

func apiError(req *http.Request, resp *http.Response) *APIError {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	var msg struct {
		Message string `json:"message"`
	}
	json.Unmarshal(body, &msg)
	return &APIError{Method: req.Method, Endpoint: endpointOf(req.URL), Status: resp.StatusCode, Message: msg.Message}
}

// nextLink returns the rel="next" URL of a Link header.
func nextLink(h string) string {
	for _, part := range strings.Split(h, ",") {
		target, params, ok := strings.Cut(part, ";")
		if !ok {
			continue
		}
		for _, p := range strings.Split(params, ";") {
			if strings.TrimSpace(p) == `rel="next"` {
				return strings.Trim(strings.TrimSpace(target), "<>")
			}
		}
	}
	return ""
}

// unwrapURLError drops net/http's *url.Error around the errors the
// transport makes, which say what they need themselves.
func unwrapURLError(err error) error {
	var ue *url.Error
	if !errors.As(err, &ue) {
		return err
	}
	var rle *RateLimitError
	switch {
	case errors.As(ue.Err, &rle):
		return rle
	case errors.Is(ue.Err, context.Canceled), errors.Is(ue.Err, context.DeadlineExceeded):
		return ue.Err
	}
	var ae *APIError
	if errors.As(ue.Err, &ae) {
		return ae
	}
	var oh *collectors.OtherHostError
	if errors.As(ue.Err, &oh) {
		return oh
	}
	var me *MalformedError
	if errors.As(ue.Err, &me) {
		return me
	}
	var app *AppError
	if errors.As(ue.Err, &app) {
		return app
	}
	return err
}

// query runs a GraphQL query.
func (c *client) query(ctx context.Context, q any, vars map[string]any) error {
	err := c.gql.Query(ctx, q, vars)
	if err == nil {
		return nil
	}
	err = unwrapURLError(err)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var (
		ae  *APIError
		me  *MalformedError
		rle *RateLimitError
		ue  *url.Error
		app *AppError
	)
	if errors.As(err, &ae) || errors.As(err, &me) || errors.As(err, &rle) || errors.As(err, &ue) || errors.As(err, &app) {
		return err
	}
	// githubv4 gives GraphQL errors as their first message.
	return &GraphQLError{Endpoint: c.gqlPath, Message: err.Error(),
		notFound: strings.Contains(err.Error(), "Could not resolve to a Repository")}
}

// graphQLGuard sits between githubv4 and the transport: it turns a final
// non-200 answer into an *APIError and a body that is not JSON into a
// *MalformedError, before githubv4 flattens either into a bare string.
type graphQLGuard struct {
	next http.RoundTripper
	app  bool // as client.app
}

func (g graphQLGuard) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := g.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		ae := apiError(req, resp)
		ae.App = g.app
		return nil, ae
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	var probe json.RawMessage
	if err := json.Unmarshal(body, &probe); err != nil {
		return nil, &MalformedError{Method: req.Method, Endpoint: req.URL.Path, Err: err}
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, nil
}
