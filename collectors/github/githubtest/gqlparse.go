package githubtest

import (
	"fmt"
	"strconv"
	"strings"
)

// A small GraphQL lexer and parser: enough of the language for the schema
// subset in schema/github.graphql (SDL) and for the queries a collector
// sends (operations with variables, aliases, arguments with literal and
// variable values, inline fragments). Fragment spreads, directives in
// queries and subscriptions are not supported and fail loudly.

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

// typeRef is a GraphQL type: a named type, or a list of one; either may be
// non-null.
type typeRef struct {
	name    string
	elem    *typeRef
	nonNull bool
}

func (t *typeRef) named() string {
	for t.elem != nil {
		t = t.elem
	}
	return t.name
}

func (t *typeRef) String() string {
	s := t.name
	if t.elem != nil {
		s = "[" + t.elem.String() + "]"
	}
	if t.nonNull {
		s += "!"
	}
	return s
}

func (p *parser) typeRef() (*typeRef, error) {
	var t *typeRef
	if p.accept("[") {
		elem, err := p.typeRef()
		if err != nil {
			return nil, err
		}
		if err := p.expect("]"); err != nil {
			return nil, err
		}
		t = &typeRef{elem: elem}
	} else {
		n, err := p.name()
		if err != nil {
			return nil, err
		}
		t = &typeRef{name: n}
	}
	t.nonNull = p.accept("!")
	return t, nil
}

// Values. Literal values parse to Go values: int, float64, string, bool,
// nil, enumValue, []any, map[string]any; a variable to varRef.
type (
	enumValue string
	varRef    string
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
		return enumValue(t.val), nil
	case tokPunct:
		switch t.val {
		case "$":
			n, err := p.name()
			return varRef(n), err
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
				k, err := p.name()
				if err != nil {
					return nil, err
				}
				if err := p.expect(":"); err != nil {
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
				if _, err := p.name(); err != nil {
					return err
				}
				if err := p.expect(":"); err != nil {
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

// ---- Queries ----

// selection is a field or an inline fragment of a query.
type selection struct {
	alias, name string
	args        map[string]any
	sels        []*selection
	on          string // inline fragment: the type condition ("" = none)
	fragment    bool
}

func (s *selection) key() string {
	if s.alias != "" {
		return s.alias
	}
	return s.name
}

// operation is one parsed query.
type operation struct {
	vars map[string]*typeRef
	sels []*selection
}

func parseQuery(src string) (*operation, error) {
	toks, err := lex(src)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	op := &operation{vars: map[string]*typeRef{}}
	if p.accept("mutation") || p.accept("subscription") {
		return nil, fmt.Errorf("only queries are supported")
	}
	if p.accept("query") {
		if p.peek().kind == tokName {
			p.next()
		}
		if p.accept("(") {
			for !p.accept(")") {
				if err := p.expect("$"); err != nil {
					return nil, err
				}
				n, err := p.name()
				if err != nil {
					return nil, err
				}
				if err := p.expect(":"); err != nil {
					return nil, err
				}
				t, err := p.typeRef()
				if err != nil {
					return nil, err
				}
				if p.accept("=") {
					if _, err := p.value(); err != nil {
						return nil, err
					}
				}
				op.vars[n] = t
			}
		}
	}
	op.sels, err = p.selectionSet()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tokEOF {
		return nil, fmt.Errorf("unexpected %q at %d after the query", t.val, t.pos)
	}
	return op, nil
}

func (p *parser) selectionSet() ([]*selection, error) {
	if err := p.expect("{"); err != nil {
		return nil, err
	}
	var sels []*selection
	for !p.accept("}") {
		if p.peek().kind == tokEOF {
			return nil, fmt.Errorf("unterminated selection set")
		}
		if p.accept("...") {
			s := &selection{fragment: true}
			if p.accept("on") {
				n, err := p.name()
				if err != nil {
					return nil, err
				}
				s.on = n
			} else if p.peek().kind == tokName {
				return nil, fmt.Errorf("named fragments are not supported")
			}
			var err error
			if s.sels, err = p.selectionSet(); err != nil {
				return nil, err
			}
			sels = append(sels, s)
			continue
		}
		n, err := p.name()
		if err != nil {
			return nil, err
		}
		s := &selection{name: n}
		if p.accept(":") {
			s.alias = n
			if s.name, err = p.name(); err != nil {
				return nil, err
			}
		}
		if p.accept("(") {
			s.args = map[string]any{}
			for !p.accept(")") {
				k, err := p.name()
				if err != nil {
					return nil, err
				}
				if err := p.expect(":"); err != nil {
					return nil, err
				}
				v, err := p.value()
				if err != nil {
					return nil, err
				}
				s.args[k] = v
			}
		}
		if p.is("@") {
			return nil, fmt.Errorf("directives in queries are not supported")
		}
		if p.is("{") {
			if s.sels, err = p.selectionSet(); err != nil {
				return nil, err
			}
		}
		sels = append(sels, s)
	}
	return sels, nil
}
