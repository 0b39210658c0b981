package gitlab

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	gl "gitlab.com/gitlab-org/api/client-go"
)

// graphqlRequest is a GraphQL POST body.
type graphqlRequest struct {
	Query     string         `json:"query"`
	Variables map[string]any `json:"variables,omitempty"`
}

// graphqlError is one entry of a GraphQL response's errors.
type graphqlError struct {
	Message string `json:"message"`
}

// graphql posts a query to <root>/api/graphql through client-go's client
// (so the same token, retries, pacing and request counting apply) and
// decodes its data into out. A GraphQL that cannot answer the query (an
// old GitLab without a field, an endpoint that is not there, a query over
// the complexity limit) is errGraphQLUnavailable: REST can do the same.
func (p *Provider) graphql(ctx context.Context, proj *project, resource, op, query string, vars map[string]any, out any) error {
	u, err := url.Parse(p.graphqlURL)
	if err != nil {
		return fmt.Errorf("sync %s: %s: GraphQL url: %w", proj.repo.Name, op, err)
	}
	req, err := p.client.NewRequestToURL(http.MethodPost, u, graphqlRequest{Query: query, Variables: vars},
		[]gl.RequestOptionFunc{proj.reqCtx(ctx, resource)})
	if err != nil {
		return fmt.Errorf("sync %s: %s: %w", proj.repo.Name, op, err)
	}
	var body struct {
		Data   json.RawMessage `json:"data"`
		Errors []graphqlError  `json:"errors"`
	}
	resp, err := p.client.Do(req, &body)
	if err != nil {
		switch s := status(resp, err); {
		case s == http.StatusNotFound, s == http.StatusMethodNotAllowed, s == http.StatusBadRequest:
			return fmt.Errorf("sync %s: %s: %w (POST /api/graphql answered %d)", proj.repo.Name, op, errGraphQLUnavailable, s)
		}
		return p.apiError(proj.repo.Name, op+" (POST /api/graphql)", resp, err)
	}
	if len(body.Errors) > 0 {
		msgs := make([]string, len(body.Errors))
		for i, e := range body.Errors {
			msgs[i] = e.Message
		}
		return fmt.Errorf("sync %s: %s: %w: %s", proj.repo.Name, op, errGraphQLUnavailable, strings.Join(msgs, "; "))
	}
	if len(body.Data) == 0 || string(body.Data) == "null" {
		return fmt.Errorf("sync %s: %s: malformed response: GraphQL answered no data", proj.repo.Name, op)
	}
	if err := json.Unmarshal(body.Data, out); err != nil {
		return fmt.Errorf("sync %s: %s: malformed response: %w", proj.repo.Name, op, err)
	}
	return nil
}

// isGraphQLUnavailable reports an error REST can make up for.
func isGraphQLUnavailable(err error) bool { return errors.Is(err, errGraphQLUnavailable) }
