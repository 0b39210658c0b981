package gqlschema

import (
	"os/exec"
	"reflect"
	"slices"
	"strings"
	"testing"
)

const testSDL = `
schema { query: Query }
scalar Time
type Query {
  project(fullPath: ID!): Project
}
"""A project."""
type Project {
  name: String!
  items(first: Int, after: String, sort: ItemSort = CREATED_DESC, updatedAfter: Time, labels: [String!]): ItemConnection
}
type ItemConnection { nodes: [Item] pageInfo: PageInfo! }
type PageInfo { hasNextPage: Boolean! endCursor: String }
interface Named { title: String! }
type Item implements Named { title: String! state: ItemState! author: User }
type User { username: String! }
enum ItemSort { CREATED_DESC UPDATED_ASC old_sort @deprecated(reason: "Use UPDATED_ASC.") }
enum ItemState { opened merged }
`

func mustParse(t *testing.T) *Schema {
	t.Helper()
	s, err := Parse(testSDL)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func validate(t *testing.T, s *Schema, q string) []Problem {
	t.Helper()
	op, err := ParseQuery(q)
	if err != nil {
		t.Fatalf("parse %q: %v", q, err)
	}
	return s.Validate(op)
}

func TestValidQueryHasNoProblems(t *testing.T) {
	s := mustParse(t)
	q := `query Items($path: ID!, $after: String, $first: Int!, $since: Time) {
  project(fullPath: $path) {
    name
    items(first: $first, after: $after, sort: UPDATED_ASC, updatedAfter: $since, labels: "a") {
      pageInfo { hasNextPage endCursor }
      nodes { title state author { username } ... on Named { title } __typename }
    }
  }
}`
	if ps := validate(t, s, q); len(ps) != 0 {
		t.Errorf("a valid query has problems: %v", Messages(ps))
	}
}

func TestUnknownFieldIsReportedAsGraphQLRubyDoes(t *testing.T) {
	s := mustParse(t)
	ps := validate(t, s, "query Items($path: ID!) {\n  project(fullPath: $path) {\n    items { nodes { title squashSha } }\n  }\n}")
	if len(ps) != 1 {
		t.Fatalf("problems %v, want one", Messages(ps))
	}
	p := ps[0]
	if p.Message != "Field 'squashSha' doesn't exist on type 'Item'" {
		t.Errorf("message %q", p.Message)
	}
	if want := []any{"query Items", "project", "items", "nodes", "squashSha"}; !reflect.DeepEqual(p.Path, want) {
		t.Errorf("path %v, want %v", p.Path, want)
	}
	if want := []Pos{{Line: 3, Column: 27}}; !reflect.DeepEqual(p.Locations, want) {
		t.Errorf("locations %v, want %v", p.Locations, want)
	}
	if want := map[string]any{"code": "undefinedField", "typeName": "Item", "fieldName": "squashSha"}; !reflect.DeepEqual(p.Extensions, want) {
		t.Errorf("extensions %v, want %v", p.Extensions, want)
	}
}

func TestInvalidQueries(t *testing.T) {
	s := mustParse(t)
	for _, tc := range []struct{ query, want string }{
		{`{ project(fullPath: "a") { items(frist: 1) { nodes { title } } } }`, "Field 'items' doesn't accept argument 'frist'"},
		{`{ project { name } }`, "Field 'project' is missing required arguments: fullPath"},
		{`{ project(fullPath: "a") { items(sort: NEWEST) { nodes { title } } } }`,
			"Argument 'sort' on Field 'items' has an invalid value (NEWEST). Expected type 'ItemSort'."},
		{`{ project(fullPath: "a") { items(first: "ten") { nodes { title } } } }`,
			`Argument 'first' on Field 'items' has an invalid value ("ten"). Expected type 'Int'.`},
		{`query Q { project(fullPath: $path) { name } }`, "Variable $path is used by Q but not declared"},
		{`query Q($path: ID!, $extra: Int) { project(fullPath: $path) { name } }`, "Variable $extra is declared by Q but not used"},
		{`query Q($path: ID) { project(fullPath: $path) { name } }`, "Nullability mismatch on variable $path and argument fullPath (ID / ID!)"},
		{`query Q($path: String!) { project(fullPath: $path) { name } }`, "Type mismatch on variable $path and argument fullPath (String! / ID!)"},
		{`query Q($p: ID!, $s: Nope) { project(fullPath: $p) { items(sort: $s) { nodes { title } } } }`, "Nope isn't a defined input type (on $s)"},
		{`{ project(fullPath: "a") { name { x } } }`, "Selections can't be made on scalars (field 'name' returns String but has selections [x])"},
		{`{ project(fullPath: "a") { items } }`, "Field must have selections (field 'items' returns ItemConnection but has no selections. Did you mean 'items { ... }'?)"},
		{`{ project(fullPath: "a") { items { nodes { ... on Nope { title } } } } }`, "No such type Nope, so it can't be a fragment condition"},
	} {
		got := Messages(validate(t, s, tc.query))
		if !slices.Contains(got, tc.want) {
			t.Errorf("%s\n got %q\nwant %q", tc.query, got, tc.want)
		}
	}
}

func TestWithoutDropsAFieldFromACopy(t *testing.T) {
	s := mustParse(t)
	old := s.Without("Item", "state")
	q := `{ project(fullPath: "a") { items { nodes { state } } } }`
	if ps := validate(t, s, q); len(ps) != 0 {
		t.Errorf("the original schema lost the field: %v", Messages(ps))
	}
	if got := Messages(validate(t, old, q)); !slices.Equal(got, []string{"Field 'state' doesn't exist on type 'Item'"}) {
		t.Errorf("the older schema: %v", got)
	}
}

func TestEvalSubstitutesVariablesAndEnums(t *testing.T) {
	op, err := ParseQuery(`query($n: Int) { project(fullPath: "p") { items(first: $n, sort: UPDATED_ASC, labels: ["a", "b"]) { nodes { title } } } }`)
	if err != nil {
		t.Fatal(err)
	}
	args := op.Sels[0].Sels[0].Args
	vars := map[string]any{"n": 5}
	if Eval(args["first"], vars) != 5 || Eval(args["sort"], vars) != "UPDATED_ASC" ||
		!reflect.DeepEqual(Eval(args["labels"], vars), []any{"a", "b"}) {
		t.Errorf("eval: %v %v %v", Eval(args["first"], vars), Eval(args["sort"], vars), Eval(args["labels"], vars))
	}
}

// The package is test support: a production package importing it would
// ship the fakes' schema checks in the binary.
func TestOnlyTestSupportImportsIt(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	out, err := exec.Command("go", "list", "-deps", "github.com/tach-dev/tach/cmd/tach").CombinedOutput()
	if err != nil {
		t.Skipf("go list: %v: %s", err, out)
	}
	if strings.Contains(string(out), "collectors/internal/gqlschema") {
		t.Errorf("cmd/tach depends on gqlschema; only the fakes may import it")
	}
}
