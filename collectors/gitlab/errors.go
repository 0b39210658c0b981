package gitlab

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	gl "gitlab.com/gitlab-org/api/client-go"

	"github.com/tach-dev/tach/collectors"
)

// tokenHelp says what a rejected token needs.
const tokenHelp = "use a personal, group or project access token with the read_api scope (gitlab.token or GITLAB_TOKEN)"

// apiError turns what client-go returned for one call into the collector's
// error: prefixed with the project and the operation (which names the
// endpoint), wrapping collectors.ErrUnauthorized, ErrRepoNotFound or
// ErrRateLimited where one applies, and context.Canceled on Ctrl-C.
func (p *Provider) apiError(name, op string, resp *gl.Response, err error) error {
	return p.wrapError("sync "+name+": "+op, resp, err)
}

// wrapError is apiError with the whole prefix given.
func (p *Provider) wrapError(prefix string, resp *gl.Response, err error) error {
	var er *gl.ErrorResponse
	var otherHost *collectors.OtherHostError
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("%s: %w", prefix, err)
	case errors.As(err, &otherHost):
		return fmt.Errorf("%s: %w", prefix, otherHost) // without net/http's "Get URL:" before it
	case errors.Is(err, collectors.ErrRateLimited):
		return fmt.Errorf("%s: %w", prefix, err)
	case status(resp, err) == http.StatusUnauthorized:
		return fmt.Errorf("%s: GitLab rejected the token (401 Unauthorized); %s: %w", prefix, tokenHelp, collectors.ErrUnauthorized)
	case status(resp, err) == http.StatusForbidden && insufficientScope(err):
		return fmt.Errorf("%s: the token lacks a scope (403 insufficient_scope); %s: %w", prefix, tokenHelp, collectors.ErrUnauthorized)
	case status(resp, err) == http.StatusTooManyRequests:
		wait := time.Duration(0)
		if resp != nil {
			wait = p.retryAfter(resp.Response)
		}
		return fmt.Errorf("%s: GitLab answered 429 Too Many Requests; retry after %s: %w",
			prefix, p.opts.Now().Add(wait).UTC().Format(time.RFC3339), collectors.ErrRateLimited)
	case errors.As(err, &er) && er.Response != nil && er.Response.StatusCode >= 500:
		return fmt.Errorf("%s: GitLab answered %s after %d retries: %w", prefix, er.Response.Status, p.opts.MaxRetries, err)
	case isMalformed(err):
		return fmt.Errorf("%s: malformed response: %w", prefix, err)
	}
	return fmt.Errorf("%s: %w", prefix, err)
}

// status is the HTTP status of a failed call (0 when there was no answer).
func status(resp *gl.Response, err error) int {
	if errors.Is(err, gl.ErrNotFound) {
		return http.StatusNotFound
	}
	var er *gl.ErrorResponse
	if errors.As(err, &er) && er.Response != nil {
		return er.Response.StatusCode
	}
	if resp != nil && resp.Response != nil && resp.StatusCode >= 400 {
		return resp.StatusCode
	}
	return 0
}

func insufficientScope(err error) bool {
	var er *gl.ErrorResponse
	return errors.As(err, &er) && strings.Contains(string(er.Body)+er.Message, "insufficient_scope")
}

// isMalformed reports a body that did not decode: cut short, or not the
// JSON the endpoint documents.
func isMalformed(err error) bool {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || errors.As(err, &syn) || errors.As(err, &typ)
}

// notFound reports a 404.
func notFound(resp *gl.Response, err error) bool { return status(resp, err) == http.StatusNotFound }

// featureOff reports a 403 or 404 on a project's list endpoint that means
// the feature is disabled in that project (issues, CI/CD, environments or
// releases turned off), not that the token is wrong.
func featureOff(resp *gl.Response, err error) bool {
	s := status(resp, err)
	return (s == http.StatusForbidden && !insufficientScope(err)) || s == http.StatusNotFound
}
