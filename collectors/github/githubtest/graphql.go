package githubtest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/tach-dev/tach/collectors/internal/gqlschema"
)

// The GraphQL endpoint: parse, validate against GitHub's schema, compute
// the cost as GitHub documents it, and execute against the dataset.

type gqlError struct {
	Type       string         `json:"type,omitempty"`
	Path       []any          `json:"path,omitempty"`
	Locations  []any          `json:"locations,omitempty"`
	Message    string         `json:"message"`
	Extensions map[string]any `json:"extensions,omitempty"`
}

// gqlRequest is a parsed GraphQL request body.
type gqlRequest struct {
	vars       map[string]any
	op         *gqlschema.Operation
	err        error
	repoName   string // owner/name of Query.repository, when asked
	connection string // the first connection asked of the repository
	cost       int
}

func parseGraphQLRequest(body []byte) *gqlRequest {
	g := &gqlRequest{cost: 1}
	var in struct {
		Query     string         `json:"query"`
		Variables map[string]any `json:"variables"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		g.err = fmt.Errorf("Problems parsing JSON")
		return g
	}
	g.vars = in.Variables
	if g.vars == nil {
		g.vars = map[string]any{}
	}
	op, err := gqlschema.ParseQuery(in.Query)
	if err != nil {
		g.err = fmt.Errorf("Parse error on query: %v", err)
		return g
	}
	g.op = op
	for _, sel := range op.Sels {
		if sel.Name != "repository" {
			continue
		}
		owner, _ := gqlschema.Eval(sel.Args["owner"], g.vars).(string)
		name, _ := gqlschema.Eval(sel.Args["name"], g.vars).(string)
		g.repoName = owner + "/" + name
		g.connection = connectionOf(sel.Sels)
	}
	if sch, err := githubSchema(); err == nil {
		g.cost = queryCost(sch, op, g.vars)
	}
	return g
}

// connectionOf names what a query asks of the repository, for the
// request counts: its first connection (a field with a first argument);
// history, however the commit is reached (defaultBranchRef { target },
// object(oid:)); or, when it asks neither, its first field (pullRequest
// for pull requests asked by number).
func connectionOf(sels []*gqlschema.Selection) string {
	for _, sub := range sels {
		if _, ok := sub.Args["first"]; ok && !sub.Fragment {
			return sub.Name
		}
	}
	if hasHistory(sels) {
		return "history"
	}
	if len(sels) > 0 && !sels[0].Fragment {
		return sels[0].Name
	}
	return ""
}

func hasHistory(sels []*gqlschema.Selection) bool {
	for _, sub := range sels {
		if (sub.Name == "history" && !sub.Fragment) || hasHistory(sub.Sels) {
			return true
		}
	}
	return false
}

// queryCost is GitHub's documented formula: the number of requests needed
// to fulfil each connection (its parents' first values multiplied), summed,
// divided by 100 and rounded, at least 1.
func queryCost(sch *gqlschema.Schema, op *gqlschema.Operation, vars map[string]any) int {
	calls := 0
	var walk func(typeName string, sels []*gqlschema.Selection, mult int)
	walk = func(typeName string, sels []*gqlschema.Selection, mult int) {
		for _, sel := range sels {
			if sel.Fragment {
				cond := sel.On
				if cond == "" {
					cond = typeName
				}
				walk(cond, sel.Sels, mult)
				continue
			}
			fd := sch.Field(typeName, sel.Name)
			if fd == nil {
				continue
			}
			ft := fd.Type.Named()
			m := mult
			if strings.HasSuffix(ft, "Connection") {
				calls += mult
				if n, ok := toInt(gqlschema.Eval(sel.Args["first"], vars)); ok {
					m = mult * n
				}
			}
			walk(ft, sel.Sels, m)
		}
	}
	walk("Query", op.Sels, 1)
	return max(1, int(math.Round(float64(calls)/100)))
}

func (s *Server) answerGraphQL(req *request) (int, http.Header, []byte) {
	g := req.gql
	if g.err != nil {
		return jsonBody(http.StatusOK, nil, map[string]any{"errors": []gqlError{{Message: g.err.Error()}}})
	}
	sch, err := githubSchema()
	if err != nil {
		return jsonBody(http.StatusInternalServerError, nil, map[string]any{"message": err.Error()})
	}
	if ps := sch.Validate(g.op); len(ps) > 0 {
		return jsonBody(http.StatusOK, nil, map[string]any{"errors": gqlErrors(ps)})
	}
	e := &executor{s: s, sch: sch, vars: g.vars, cost: g.cost}
	data := e.selectionSet("Query", queryRoot{}, g.op.Sels, nil)
	out := map[string]any{"data": data}
	if len(e.errs) > 0 {
		out["errors"] = e.errs
	}
	return jsonBody(http.StatusOK, nil, out)
}

// gqlObject is a value of an object type: it names its type ("" for the
// type the schema gives the field) and resolves its fields.
type gqlObject interface {
	gqlType() string
	field(e *executor, name string, args map[string]any) (any, error)
}

// resolveError is a field error with GitHub's error type.
type resolveError struct {
	typ, msg string
}

func (r *resolveError) Error() string { return r.msg }

type executor struct {
	s    *Server
	sch  *gqlschema.Schema
	vars map[string]any
	errs []gqlError
	cost int
}

func (e *executor) selectionSet(typeName string, obj gqlObject, sels []*gqlschema.Selection, path []any) map[string]any {
	out := map[string]any{}
	e.collect(typeName, obj, sels, path, out)
	return out
}

func (e *executor) collect(typeName string, obj gqlObject, sels []*gqlschema.Selection, path []any, out map[string]any) {
	for _, sel := range sels {
		if sel.Fragment {
			if sel.On == "" || e.sch.Implements(typeName, sel.On) {
				e.collect(typeName, obj, sel.Sels, path, out)
			}
			continue
		}
		key := sel.Key()
		if sel.Name == "__typename" {
			out[key] = typeName
			continue
		}
		fd := e.sch.Field(typeName, sel.Name)
		if fd == nil { // an interface's field on a concrete type: validated on the interface
			for _, iface := range e.sch.Types[typeName].Interfaces {
				if f := e.sch.Field(iface, sel.Name); f != nil {
					fd = f
				}
			}
		}
		p := append(append([]any{}, path...), key)
		if fd == nil {
			e.errs = append(e.errs, gqlError{Path: p, Message: fmt.Sprintf("Field '%s' doesn't exist on type '%s'", sel.Name, typeName)})
			out[key] = nil
			continue
		}
		args := map[string]any{}
		for k, v := range sel.Args {
			args[k] = gqlschema.Eval(v, e.vars)
		}
		v, err := obj.field(e, sel.Name, args)
		if err != nil {
			ge := gqlError{Path: p, Message: err.Error(), Locations: []any{map[string]any{"line": 1, "column": 1}}}
			if re, ok := err.(*resolveError); ok {
				ge.Type = re.typ
			}
			e.errs = append(e.errs, ge)
			out[key] = nil
			continue
		}
		out[key] = e.complete(fd.Type, v, sel.Sels, p)
	}
}

func (e *executor) complete(t *gqlschema.TypeRef, v any, sels []*gqlschema.Selection, path []any) any {
	if isNil(v) {
		return nil
	}
	if t.Elem != nil {
		rv := reflect.ValueOf(v)
		out := make([]any, rv.Len())
		for i := range out {
			out[i] = e.complete(t.Elem, rv.Index(i).Interface(), sels, append(append([]any{}, path...), i))
		}
		return out
	}
	td := e.sch.Types[t.Name]
	if td == nil || td.Kind == gqlschema.Scalar || td.Kind == gqlschema.Enum {
		switch v := v.(type) {
		case time.Time:
			return v.UTC().Format(time.RFC3339)
		}
		return v
	}
	obj, ok := v.(gqlObject)
	if !ok {
		return nil
	}
	typeName := obj.gqlType()
	if typeName == "" {
		typeName = t.Name
	}
	return e.selectionSet(typeName, obj, sels, path)
}

func isNil(v any) bool {
	if v == nil {
		return true
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Interface:
		return rv.IsNil()
	}
	return false
}

func toInt(v any) (int, bool) {
	switch v := v.(type) {
	case int:
		return v, true
	case float64:
		return int(v), true
	case json.Number:
		n, err := v.Int64()
		return int(n), err == nil
	}
	return 0, false
}

func argString(args map[string]any, name string) string {
	s, _ := args[name].(string)
	return s
}

func argStrings(args map[string]any, name string) []string {
	var out []string
	switch v := args[name].(type) {
	case []any:
		for _, e := range v {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
	case string: // a single value may stand for a list of one
		out = append(out, v)
	}
	return out
}

func argTime(args map[string]any, name string) (time.Time, error) {
	s := argString(args, name)
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return t, fmt.Errorf("Argument '%s' has an invalid value (%q): expected an ISO-8601 DateTime", name, s)
	}
	return t, nil
}

// order reads an orderBy argument: its field and whether it descends.
func order(args map[string]any, defField string, defDesc bool) (field string, desc bool) {
	field, desc = defField, defDesc
	if o, ok := args["orderBy"].(map[string]any); ok {
		if f, ok := o["field"].(string); ok {
			field = f
		}
		if d, ok := o["direction"].(string); ok {
			desc = d == "DESC"
		}
	}
	return field, desc
}

// ---- Connections ----

// sortKey orders the items of a connection; a cursor encodes one.
type sortKey struct {
	t  int64
	id int64
}

func (k sortKey) less(o sortKey) bool {
	if k.t != o.t {
		return k.t < o.t
	}
	return k.id < o.id
}

func (k sortKey) cursor() string {
	return base64.StdEncoding.EncodeToString([]byte(fmt.Sprintf("cursor:v2:%d:%d", k.t, k.id)))
}

func parseCursor(c string) (sortKey, error) {
	b, err := base64.StdEncoding.DecodeString(c)
	var k sortKey
	if err == nil {
		_, err = fmt.Sscanf(string(b), "cursor:v2:%d:%d", &k.t, &k.id)
	}
	if err != nil {
		return k, fmt.Errorf("`%s` does not appear to be a valid cursor.", c)
	}
	return k, nil
}

// connection is one page of a connection. Its cursors come from keys, or
// are given in cursors (a commit history's).
type connection struct {
	nodes   []any
	keys    []sortKey
	cursors []string
	hasNext bool
	hasPrev bool
	total   int
}

func (c *connection) cursor(i int) string {
	if c.cursors != nil {
		return c.cursors[i]
	}
	return c.keys[i].cursor()
}

// paginate cuts a page from items (sorted by keys, descending when desc)
// per first and after, as GitHub's cursor pagination does: after a cursor
// come the items strictly beyond it in the order, even when the item it
// named has moved since.
func paginate(name string, args map[string]any, items []any, keys []sortKey, desc bool) (*connection, error) {
	return paginateSorted(name, args, keys, desc, func(i int) any { return items[i] })
}

// paginateSorted is paginate over keys in order (as desc says), building
// only the page's items (item(i) is the item of keys[i]): the cursor is
// found by binary search.
func paginateSorted(name string, args map[string]any, keys []sortKey, desc bool, item func(i int) any) (*connection, error) {
	first, ok := toInt(args["first"])
	if !ok {
		if _, hasLast := args["last"]; hasLast {
			return nil, fmt.Errorf("githubtest: `last` is not supported by the fake")
		}
		return nil, fmt.Errorf("You must provide a `first` or `last` value to properly paginate the `%s` connection.", name)
	}
	if first < 0 || first > 100 {
		return nil, fmt.Errorf("Requesting %d records on the `%s` connection exceeds the `first` limit of 100 records.", first, name)
	}
	start := 0
	if after := argString(args, "after"); after != "" {
		k, err := parseCursor(after)
		if err != nil {
			return nil, err
		}
		start = sort.Search(len(keys), func(i int) bool {
			if desc {
				return keys[i].less(k)
			}
			return k.less(keys[i])
		})
	}
	end := min(start+first, len(keys))
	nodes := make([]any, 0, end-start)
	for i := start; i < end; i++ {
		nodes = append(nodes, item(i))
	}
	return &connection{nodes: nodes, keys: keys[start:end], hasNext: end < len(keys), hasPrev: start > 0, total: len(keys)}, nil
}

func (c *connection) gqlType() string { return "" }

func (c *connection) field(e *executor, name string, args map[string]any) (any, error) {
	switch name {
	case "nodes":
		return c.nodes, nil
	case "edges":
		edges := make([]any, len(c.nodes))
		for i, n := range c.nodes {
			edges[i] = &edge{cursor: c.cursor(i), node: n}
		}
		return edges, nil
	case "pageInfo":
		pi := &pageInfo{hasNext: c.hasNext, hasPrev: c.hasPrev}
		if len(c.nodes) > 0 {
			pi.start, pi.end = c.cursor(0), c.cursor(len(c.nodes)-1)
		}
		return pi, nil
	case "totalCount", "filteredCount":
		return c.total, nil
	case "pageCount":
		return len(c.nodes), nil
	case "updatedAt":
		return time.Now().UTC(), nil
	}
	return nil, notImplemented("connection", name)
}

type edge struct {
	cursor string
	node   any
}

func (ed *edge) gqlType() string { return "" }
func (ed *edge) field(e *executor, name string, args map[string]any) (any, error) {
	switch name {
	case "cursor":
		return ed.cursor, nil
	case "node":
		return ed.node, nil
	}
	return nil, notImplemented("edge", name)
}

type pageInfo struct {
	hasNext, hasPrev bool
	start, end       string
}

func (p *pageInfo) gqlType() string { return "PageInfo" }
func (p *pageInfo) field(e *executor, name string, args map[string]any) (any, error) {
	switch name {
	case "hasNextPage":
		return p.hasNext, nil
	case "hasPreviousPage":
		return p.hasPrev, nil
	case "startCursor":
		return nilIfEmpty(p.start), nil
	case "endCursor":
		return nilIfEmpty(p.end), nil
	}
	return nil, notImplemented("PageInfo", name)
}

func notImplemented(typ, field string) error {
	return fmt.Errorf("githubtest: %s.%s is not implemented by the fake GitHub", typ, field)
}

func timeKey(t time.Time, id int64) sortKey { return sortKey{t.UnixNano(), id} }

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }
