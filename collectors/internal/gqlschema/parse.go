package gqlschema

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// A small GraphQL lexer and parser: enough of the language for the schema
// subsets the fakes load (SDL) and for the queries a collector sends
// (operations with variables, aliases, arguments with literal and variable
// values, inline fragments). Fragment spreads, directives in queries and
// subscriptions are not supported and fail loudly.

type tokenKind int

const (
	tokEOF tokenKind = iota
	tokName
	tokPunct
	tokString
	tokNumber
)

type token struct {
	kind tokenKind
	val  string
	pos  int
}

func lex(src string) ([]token, error) {
	var toks []token
	i := 0
	for i < len(src) {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',':
			i++
		case c == '#':
			for i < len(src) && src[i] != '\n' {
				i++
			}
		case c == '.':
			if !strings.HasPrefix(src[i:], "...") {
				return nil, fmt.Errorf("unexpected '.' at %d", i)
			}
			toks = append(toks, token{tokPunct, "...", i})
			i += 3
		case strings.IndexByte("!$():=@[]{}|&", c) >= 0:
			toks = append(toks, token{tokPunct, string(c), i})
			i++
		case c == '"':
			if strings.HasPrefix(src[i:], `"""`) {
				end := strings.Index(src[i+3:], `"""`)
				if end < 0 {
					return nil, fmt.Errorf("unterminated block string at %d", i)
				}
				toks = append(toks, token{tokString, src[i+3 : i+3+end], i})
				i += 6 + end
				continue
			}
			j := i + 1
			for j < len(src) && src[j] != '"' {
				if src[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(src) {
				return nil, fmt.Errorf("unterminated string at %d", i)
			}
			s, err := strconv.Unquote(src[i : j+1])
			if err != nil {
				return nil, fmt.Errorf("bad string at %d: %v", i, err)
			}
			toks = append(toks, token{tokString, s, i})
			i = j + 1
		case c == '-' || (c >= '0' && c <= '9'):
			j := i + 1
			for j < len(src) && strings.IndexByte("0123456789.eE+-", src[j]) >= 0 {
				j++
			}
			toks = append(toks, token{tokNumber, src[i:j], i})
			i = j
		case c == '_' || (c|0x20 >= 'a' && c|0x20 <= 'z'):
			j := i + 1
			for j < len(src) && (src[j] == '_' || (src[j]|0x20 >= 'a' && src[j]|0x20 <= 'z') || (src[j] >= '0' && src[j] <= '9')) {
				j++
			}
			toks = append(toks, token{tokName, src[i:j], i})
			i = j
		default:
			return nil, fmt.Errorf("unexpected character %q at %d", c, i)
		}
	}
	return append(toks, token{tokEOF, "", len(src)}), nil
}

type parser struct {
	toks []token
	i    int
	// lines are the offsets where the source's lines start, for the line
	// and column of a query's nodes (1-based, as GraphQL errors give them).
	lines []int
}

func newParser(src string, toks []token) *parser {
	p := &parser{toks: toks, lines: []int{0}}
	for i := range len(src) {
		if src[i] == '\n' {
			p.lines = append(p.lines, i+1)
		}
	}
	return p
}

// at is the line and column of a source offset.
func (p *parser) at(pos int) (line, col int) {
	l := sort.Search(len(p.lines), func(i int) bool { return p.lines[i] > pos }) - 1
	return l + 1, pos - p.lines[l] + 1
}

func (p *parser) peek() token { return p.toks[p.i] }

func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tokEOF {
		p.i++
	}
	return t
}

func (p *parser) is(val string) bool {
	t := p.peek()
	return (t.kind == tokPunct || t.kind == tokName) && t.val == val
}

func (p *parser) accept(val string) bool {
	if p.is(val) {
		p.next()
		return true
	}
	return false
}

func (p *parser) expect(val string) error {
	if !p.accept(val) {
		t := p.peek()
		return fmt.Errorf("expected %q at %d, found %q", val, t.pos, t.val)
	}
	return nil
}

func (p *parser) name() (string, error) {
	t := p.next()
	if t.kind != tokName {
		return "", fmt.Errorf("expected a name at %d, found %q", t.pos, t.val)
	}
	return t.val, nil
}

// label reads "name:", the start of an argument, a field or a variable.
func (p *parser) label() (string, error) {
	n, err := p.name()
	if err == nil {
		err = p.expect(":")
	}
	return n, err
}

// TypeRef is a GraphQL type: a named type, or a list of one; either may be
// non-null.
type TypeRef struct {
	Name    string
	Elem    *TypeRef
	NonNull bool
}

// Named is the named type at the bottom of the lists.
func (t *TypeRef) Named() string {
	for t.Elem != nil {
		t = t.Elem
	}
	return t.Name
}

func (t *TypeRef) String() string {
	s := t.Name
	if t.Elem != nil {
		s = "[" + t.Elem.String() + "]"
	}
	if t.NonNull {
		s += "!"
	}
	return s
}

func (p *parser) typeRef() (*TypeRef, error) {
	var t *TypeRef
	if p.accept("[") {
		elem, err := p.typeRef()
		if err != nil {
			return nil, err
		}
		if err := p.expect("]"); err != nil {
			return nil, err
		}
		t = &TypeRef{Elem: elem}
	} else {
		n, err := p.name()
		if err != nil {
			return nil, err
		}
		t = &TypeRef{Name: n}
	}
	t.NonNull = p.accept("!")
	return t, nil
}

// Values. Literal values parse to Go values: int, float64, string, bool,
// nil, EnumValue, []any, map[string]any; a variable to VarRef.
type (
	// EnumValue is an enum literal of a query (UPDATED_ASC).
	EnumValue string
	// VarRef is a variable used as a value ($first).
	VarRef string
)

func (p *parser) value() (any, error) {
	t := p.next()
	switch t.kind {
	case tokString:
		return t.val, nil
	case tokNumber:
		if n, err := strconv.Atoi(t.val); err == nil {
			return n, nil
		}
		f, err := strconv.ParseFloat(t.val, 64)
		if err != nil {
			return nil, fmt.Errorf("bad number %q at %d", t.val, t.pos)
		}
		return f, nil
	case tokName:
		switch t.val {
		case "true":
			return true, nil
		case "false":
			return false, nil
		case "null":
			return nil, nil
		}
		return EnumValue(t.val), nil
	case tokPunct:
		switch t.val {
		case "$":
			n, err := p.name()
			return VarRef(n), err
		case "[":
			list := []any{}
			for !p.accept("]") {
				if p.peek().kind == tokEOF {
					return nil, fmt.Errorf("unterminated list")
				}
				v, err := p.value()
				if err != nil {
					return nil, err
				}
				list = append(list, v)
			}
			return list, nil
		case "{":
			obj := map[string]any{}
			for !p.accept("}") {
				k, err := p.label()
				if err != nil {
					return nil, err
				}
				v, err := p.value()
				if err != nil {
					return nil, err
				}
				obj[k] = v
			}
			return obj, nil
		}
	}
	return nil, fmt.Errorf("unexpected %q at %d", t.val, t.pos)
}

// skipDirectives skips @name(args) after a definition.
func (p *parser) skipDirectives() error {
	for p.accept("@") {
		if _, err := p.name(); err != nil {
			return err
		}
		if p.accept("(") {
			for !p.accept(")") {
				if _, err := p.label(); err != nil {
					return err
				}
				if _, err := p.value(); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// Eval substitutes variables in a parsed argument value, and turns enum
// literals into strings: the value a resolver works with.
func Eval(v any, vars map[string]any) any {
	switch v := v.(type) {
	case VarRef:
		return vars[string(v)]
	case EnumValue:
		return string(v)
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = Eval(e, vars)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = Eval(e, vars)
		}
		return out
	}
	return v
}

// ---- Queries ----

// Pos is where a node starts in the query (1-based line and column).
type Pos struct{ Line, Column int }

// Selection is a field or an inline fragment of a query.
type Selection struct {
	Alias, Name string
	Args        map[string]any
	ArgPos      map[string]Pos
	Sels        []*Selection
	On          string // inline fragment: the type condition ("" = none)
	Fragment    bool
	Pos         Pos
}

// Key is the selection's name in the answer: its alias, else its name.
func (s *Selection) Key() string {
	if s.Alias != "" {
		return s.Alias
	}
	return s.Name
}

// Variable is a variable an operation declares.
type Variable struct {
	Type       *TypeRef
	HasDefault bool
	Pos        Pos
}

// Operation is one parsed query.
type Operation struct {
	Name string // "" for an anonymous query
	Vars map[string]*Variable
	Sels []*Selection
	Pos  Pos
}

// Label is how GraphQL servers built on graphql-ruby (GitHub's, GitLab's)
// name the operation at the root of an error's path: "query", or
// "query TachMergeRequests".
func (o *Operation) Label() string {
	if o.Name == "" {
		return "query"
	}
	return "query " + o.Name
}

// ParseQuery parses one query operation.
func ParseQuery(src string) (*Operation, error) {
	toks, err := lex(src)
	if err != nil {
		return nil, err
	}
	p := newParser(src, toks)
	op := &Operation{Vars: map[string]*Variable{}}
	op.Pos.Line, op.Pos.Column = p.at(p.peek().pos)
	if p.accept("mutation") || p.accept("subscription") {
		return nil, fmt.Errorf("only queries are supported")
	}
	if p.accept("query") {
		if p.peek().kind == tokName {
			op.Name = p.next().val
		}
		if p.accept("(") {
			for !p.accept(")") {
				start := p.peek().pos
				if err := p.expect("$"); err != nil {
					return nil, err
				}
				n, err := p.label()
				if err != nil {
					return nil, err
				}
				t, err := p.typeRef()
				if err != nil {
					return nil, err
				}
				v := &Variable{Type: t}
				v.Pos.Line, v.Pos.Column = p.at(start)
				if p.accept("=") {
					if _, err := p.value(); err != nil {
						return nil, err
					}
					v.HasDefault = true
				}
				op.Vars[n] = v
			}
		}
	}
	op.Sels, err = p.selectionSet()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tokEOF {
		return nil, fmt.Errorf("unexpected %q at %d after the query", t.val, t.pos)
	}
	return op, nil
}

func (p *parser) selectionSet() ([]*Selection, error) {
	if err := p.expect("{"); err != nil {
		return nil, err
	}
	var sels []*Selection
	for !p.accept("}") {
		if p.peek().kind == tokEOF {
			return nil, fmt.Errorf("unterminated selection set")
		}
		start := p.peek().pos
		if p.accept("...") {
			s := &Selection{Fragment: true}
			s.Pos.Line, s.Pos.Column = p.at(start)
			if p.accept("on") {
				n, err := p.name()
				if err != nil {
					return nil, err
				}
				s.On = n
			} else if p.peek().kind == tokName {
				return nil, fmt.Errorf("named fragments are not supported")
			}
			var err error
			if s.Sels, err = p.selectionSet(); err != nil {
				return nil, err
			}
			sels = append(sels, s)
			continue
		}
		n, err := p.name()
		if err != nil {
			return nil, err
		}
		s := &Selection{Name: n}
		s.Pos.Line, s.Pos.Column = p.at(start)
		if p.accept(":") {
			s.Alias = n
			if s.Name, err = p.name(); err != nil {
				return nil, err
			}
		}
		if p.accept("(") {
			s.Args, s.ArgPos = map[string]any{}, map[string]Pos{}
			for !p.accept(")") {
				at := p.peek().pos
				k, err := p.label()
				if err != nil {
					return nil, err
				}
				v, err := p.value()
				if err != nil {
					return nil, err
				}
				s.Args[k] = v
				var pos Pos
				pos.Line, pos.Column = p.at(at)
				s.ArgPos[k] = pos
			}
		}
		if p.is("@") {
			return nil, fmt.Errorf("directives in queries are not supported")
		}
		if p.is("{") {
			if s.Sels, err = p.selectionSet(); err != nil {
				return nil, err
			}
		}
		sels = append(sels, s)
	}
	return sels, nil
}
