package githubtest

import (
	_ "embed"
	"sync"

	"github.com/tach-dev/tach/collectors/internal/gqlschema"
)

// schemaSDL is the subset of GitHub's public GraphQL schema a collector
// touches (schema/LICENSE.md: MIT, from octokit/graphql-schema). The fake
// validates every query against it, so a query that asks for a field or
// argument GitHub does not have fails here as it would at GitHub.
//
//go:embed schema/github.graphql
var schemaSDL string

var githubSchema = sync.OnceValues(func() (*gqlschema.Schema, error) { return gqlschema.Parse(schemaSDL) })

// gqlErrors renders validation problems as GitHub answers them.
func gqlErrors(ps []gqlschema.Problem) []gqlError {
	out := make([]gqlError, len(ps))
	for i, p := range ps {
		out[i] = gqlError{Path: p.Path, Locations: p.JSONLocations(), Message: p.Message, Extensions: p.Extensions}
	}
	return out
}
