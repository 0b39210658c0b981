package gitlab

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	gl "gitlab.com/gitlab-org/api/client-go"
)

// graphqlRequest is a GraphQL POST body.
type graphqlRequest struct {
	Query     string         `json:"query"`
	Variables map[string]any `json:"variables,omitempty"`
}

// graphqlError is one entry of a GraphQL response's errors; a query
// GitLab refuses before running it has graphql-ruby's extensions (code,
// typeName, fieldName, argumentName).
type graphqlError struct {
	Message    string         `json:"message"`
	Extensions map[string]any `json:"extensions"`
}

// subject names what a refusal is about: the field GitLab lacks
// (MergeRequest.squashCommitSha) or the argument (mergeRequests(sort:)).
func (e graphqlError) subject() string {
	str := func(k string) string { s, _ := e.Extensions[k].(string); return s }
	switch str("code") {
	case "undefinedField":
		return str("typeName") + "." + str("fieldName")
	case "argumentNotAccepted":
		return str("name") + "(" + str("argumentName") + ":)"
	}
	return ""
}

// graphqlUnavailable is a GraphQL failure REST can make up for (an old
// GitLab without a field, an endpoint that is not there, a query over the
// complexity limit): the fields or arguments GitLab refused, and why.
type graphqlUnavailable struct {
	refused []string
	reason  string
}

func (e *graphqlUnavailable) Error() string { return errGraphQLUnavailable.Error() + ": " + e.reason }

func (e *graphqlUnavailable) Is(target error) bool { return target == errGraphQLUnavailable }

// refuses reports whether GitLab refused a field (Type.field).
func (e *graphqlUnavailable) refuses(field string) bool { return slices.Contains(e.refused, field) }

// graphql posts a query to <root>/api/graphql through client-go's client
// (so the same token, retries, pacing and request counting apply) and
// decodes its data into out. A GraphQL that cannot answer the query (an
// old GitLab without a field, an endpoint that is not there, a query over
// the complexity limit) is errGraphQLUnavailable: REST can do the same.
func (p *Provider) graphql(ctx context.Context, proj *project, resource, op, query string, vars map[string]any, out any) error {
	_, err := p.graphqlAt(ctx, proj, resource, op, query, vars, out)
	return err
}

// graphqlAt is graphql that also returns GitLab's clock when it answered
// (the Date header; zero when there is none).
func (p *Provider) graphqlAt(ctx context.Context, proj *project, resource, op, query string, vars map[string]any, out any) (time.Time, error) {
	u, err := url.Parse(p.graphqlURL)
	if err != nil {
		return time.Time{}, fmt.Errorf("sync %s: %s: GraphQL url: %w", proj.repo.Name, op, err)
	}
	req, err := p.client.NewRequestToURL(http.MethodPost, u, graphqlRequest{Query: query, Variables: vars},
		[]gl.RequestOptionFunc{proj.reqCtx(ctx, resource)})
	if err != nil {
		return time.Time{}, fmt.Errorf("sync %s: %s: %w", proj.repo.Name, op, err)
	}
	var body struct {
		Data   json.RawMessage `json:"data"`
		Errors []graphqlError  `json:"errors"`
	}
	resp, err := p.client.Do(req, &body)
	if err != nil {
		switch s := status(resp, err); {
		case s == http.StatusNotFound, s == http.StatusMethodNotAllowed, s == http.StatusBadRequest:
			return time.Time{}, fmt.Errorf("sync %s: %s: %w", proj.repo.Name, op, &graphqlUnavailable{reason: fmt.Sprintf("POST /api/graphql answered %d", s)})
		}
		return time.Time{}, p.apiError(proj.repo.Name, op+" (POST /api/graphql)", resp, err)
	}
	if len(body.Errors) > 0 {
		u := &graphqlUnavailable{}
		msgs := make([]string, len(body.Errors))
		for i, e := range body.Errors {
			msgs[i] = e.Message
			if f := e.subject(); f != "" {
				u.refused = append(u.refused, f)
			}
		}
		u.reason = strings.Join(msgs, "; ")
		return time.Time{}, fmt.Errorf("sync %s: %s: %w", proj.repo.Name, op, u)
	}
	if len(body.Data) == 0 || string(body.Data) == "null" {
		return time.Time{}, fmt.Errorf("sync %s: %s: malformed response: GraphQL answered no data", proj.repo.Name, op)
	}
	if err := json.Unmarshal(body.Data, out); err != nil {
		return time.Time{}, fmt.Errorf("sync %s: %s: malformed response: %w", proj.repo.Name, op, err)
	}
	at, _ := http.ParseTime(resp.Header.Get("Date"))
	return at, nil
}

// minGraphQLPageSize is as small as a page gets before a query that is too
// big falls back to REST.
const minGraphQLPageSize = 5

// smallerPage is the page size to ask again with after GitLab answered a
// query as too big (over its complexity limit or its query timeout): half
// the size, down to minGraphQLPageSize; 0 for any other error, or when the
// page is as small as it gets.
func (p *Provider) smallerPage(err error, size int, what, repo string) int {
	if !isGraphQLUnavailable(err) || !tooBig(err) || size <= minGraphQLPageSize {
		return 0
	}
	size = max(minGraphQLPageSize, size/2)
	p.opts.Logger.Warn("GitLab GraphQL query too big; asking for fewer "+what+" at a time", "repo", repo, "page_size", size, "err", err)
	return size
}

// tooBig reports GitLab's answers to a query over its complexity limit or
// its time limit.
func tooBig(err error) bool {
	msg := strings.ToLower(err.Error())
	return strings.Contains(msg, "complexity") || strings.Contains(msg, "timeout") || strings.Contains(msg, "timed out")
}

// isGraphQLUnavailable reports an error REST can make up for.
func isGraphQLUnavailable(err error) bool { return errors.Is(err, errGraphQLUnavailable) }

// refusedField reports whether GitLab refused a query for lacking a field
// (Type.field).
func refusedField(err error, field string) bool {
	var u *graphqlUnavailable
	return errors.As(err, &u) && u.refuses(field)
}

// fallBackToREST turns GraphQL off for one kind of data (off) after a
// failure REST can make up for, and says so once: which field or argument
// GitLab refused, and why.
func (p *Provider) fallBackToREST(off *atomic.Bool, what, repo string, err error) {
	if !off.CompareAndSwap(false, true) {
		return
	}
	attrs := []any{"repo", repo}
	var u *graphqlUnavailable
	if errors.As(err, &u) {
		if len(u.refused) > 0 {
			attrs = append(attrs, "refused", strings.Join(u.refused, ", "))
		}
		attrs = append(attrs, "reason", u.reason)
	} else {
		attrs = append(attrs, "err", err)
	}
	p.opts.Logger.Warn("GitLab GraphQL cannot answer; "+what+" come from REST, with more requests", attrs...)
}
