package githubtest

import (
	_ "embed"
	"fmt"
	"slices"
	"sync"
)

// schemaSDL is the subset of GitHub's public GraphQL schema a collector
// touches (schema/LICENSE.md: MIT, from octokit/graphql-schema). The fake
// validates every query against it, so a query that asks for a field or
// argument GitHub does not have fails here as it would at GitHub.
//
//go:embed schema/github.graphql
var schemaSDL string

type typeKind int

const (
	kindScalar typeKind = iota
	kindObject
	kindInterface
	kindUnion
	kindEnum
	kindInput
)

type typeDef struct {
	kind       typeKind
	name       string
	fields     map[string]*fieldDef
	interfaces []string
	members    []string // union members
	values     map[string]bool
}

type fieldDef struct {
	name string
	args map[string]*typeRef
	typ  *typeRef
}

type schema struct {
	types map[string]*typeDef
}

var (
	loadSchemaOnce sync.Once
	loadedSchema   *schema
	loadSchemaErr  error
)

func githubSchema() (*schema, error) {
	loadSchemaOnce.Do(func() { loadedSchema, loadSchemaErr = parseSchema(schemaSDL) })
	return loadedSchema, loadSchemaErr
}

func parseSchema(src string) (*schema, error) {
	toks, err := lex(src)
	if err != nil {
		return nil, fmt.Errorf("schema: %w", err)
	}
	p := &parser{toks: toks}
	s := &schema{types: map[string]*typeDef{}}
	for _, b := range []string{"String", "Int", "Float", "Boolean", "ID"} {
		s.types[b] = &typeDef{kind: kindScalar, name: b}
	}
	for p.peek().kind != tokEOF {
		kw, err := p.name()
		if err != nil {
			return nil, fmt.Errorf("schema: %w", err)
		}
		name, err := p.name()
		if err != nil {
			return nil, fmt.Errorf("schema: %w", err)
		}
		td := &typeDef{name: name}
		switch kw {
		case "scalar":
			td.kind = kindScalar
		case "type", "interface", "input":
			td.kind = map[string]typeKind{"type": kindObject, "interface": kindInterface, "input": kindInput}[kw]
			if p.accept("implements") {
				p.accept("&")
				for {
					n, err := p.name()
					if err != nil {
						return nil, fmt.Errorf("schema: %s: %w", name, err)
					}
					td.interfaces = append(td.interfaces, n)
					if !p.accept("&") {
						break
					}
				}
			}
			if err := p.skipDirectives(); err != nil {
				return nil, err
			}
			if td.fields, err = p.fieldDefs(); err != nil {
				return nil, fmt.Errorf("schema: %s: %w", name, err)
			}
		case "union":
			td.kind = kindUnion
			if err := p.expect("="); err != nil {
				return nil, fmt.Errorf("schema: %s: %w", name, err)
			}
			p.accept("|")
			for {
				n, err := p.name()
				if err != nil {
					return nil, fmt.Errorf("schema: %s: %w", name, err)
				}
				td.members = append(td.members, n)
				if !p.accept("|") {
					break
				}
			}
		case "enum":
			td.kind = kindEnum
			td.values = map[string]bool{}
			if err := p.expect("{"); err != nil {
				return nil, fmt.Errorf("schema: %s: %w", name, err)
			}
			for !p.accept("}") {
				v, err := p.name()
				if err != nil {
					return nil, fmt.Errorf("schema: %s: %w", name, err)
				}
				td.values[v] = true
				if err := p.skipDirectives(); err != nil {
					return nil, err
				}
			}
		default:
			return nil, fmt.Errorf("schema: unsupported definition %q", kw)
		}
		s.types[name] = td
	}
	return s, nil
}

// fieldDefs parses { name(args): Type @directives ... } of a type,
// interface or input.
func (p *parser) fieldDefs() (map[string]*fieldDef, error) {
	if err := p.expect("{"); err != nil {
		return nil, err
	}
	fields := map[string]*fieldDef{}
	for !p.accept("}") {
		n, err := p.name()
		if err != nil {
			return nil, err
		}
		f := &fieldDef{name: n, args: map[string]*typeRef{}}
		if p.accept("(") {
			for !p.accept(")") {
				an, err := p.name()
				if err != nil {
					return nil, err
				}
				if err := p.expect(":"); err != nil {
					return nil, err
				}
				at, err := p.typeRef()
				if err != nil {
					return nil, err
				}
				if p.accept("=") {
					if _, err := p.value(); err != nil {
						return nil, err
					}
				}
				if err := p.skipDirectives(); err != nil {
					return nil, err
				}
				f.args[an] = at
			}
		}
		if err := p.expect(":"); err != nil {
			return nil, err
		}
		if f.typ, err = p.typeRef(); err != nil {
			return nil, err
		}
		if p.accept("=") { // an input field's default
			if _, err := p.value(); err != nil {
				return nil, err
			}
		}
		if err := p.skipDirectives(); err != nil {
			return nil, err
		}
		fields[n] = f
	}
	return fields, nil
}

// implements reports whether the object type concrete satisfies the type
// condition cond (itself, an interface it implements, or a union it is a
// member of).
func (s *schema) implements(concrete, cond string) bool {
	if concrete == cond {
		return true
	}
	td := s.types[concrete]
	if td != nil && slices.Contains(td.interfaces, cond) {
		return true
	}
	if u := s.types[cond]; u != nil && u.kind == kindUnion {
		return slices.Contains(u.members, concrete)
	}
	return false
}

// validate checks a query's selections against the schema as GitHub does
// before running anything: every field exists on its type, every argument
// exists on its field, leaf fields have no selections and others have
// some, variables are declared.
func (s *schema) validate(op *operation) []gqlError {
	var errs []gqlError
	var walk func(typeName string, sels []*selection, path []any)
	checkVars := func(v any, path []any) {
		var visit func(v any)
		visit = func(v any) {
			switch v := v.(type) {
			case varRef:
				if _, ok := op.vars[string(v)]; !ok {
					errs = append(errs, gqlError{Path: path, Message: fmt.Sprintf("Variable $%s is used by anonymous query but not declared", v), Extensions: map[string]any{"code": "variableNotDefined"}})
				}
			case []any:
				for _, e := range v {
					visit(e)
				}
			case map[string]any:
				for _, e := range v {
					visit(e)
				}
			}
		}
		visit(v)
	}
	walk = func(typeName string, sels []*selection, path []any) {
		td := s.types[typeName]
		for _, sel := range sels {
			if sel.fragment {
				cond := sel.on
				if cond == "" {
					cond = typeName
				}
				if s.types[cond] == nil {
					errs = append(errs, gqlError{Path: path, Message: fmt.Sprintf("No such type %s, so it can't be a fragment condition", cond)})
					continue
				}
				walk(cond, sel.sels, path)
				continue
			}
			p := append(append([]any{}, path...), sel.key())
			if sel.name == "__typename" {
				continue
			}
			var fd *fieldDef
			if td != nil {
				fd = td.fields[sel.name]
			}
			if fd == nil {
				errs = append(errs, gqlError{Path: p, Message: fmt.Sprintf("Field '%s' doesn't exist on type '%s'", sel.name, typeName),
					Extensions: map[string]any{"code": "undefinedField", "typeName": typeName, "fieldName": sel.name}})
				continue
			}
			for a, v := range sel.args {
				if _, ok := fd.args[a]; !ok {
					errs = append(errs, gqlError{Path: p, Message: fmt.Sprintf("Field '%s' doesn't accept argument '%s'", sel.name, a),
						Extensions: map[string]any{"code": "argumentNotAccepted", "name": sel.name, "typeName": "Field", "argumentName": a}})
				}
				checkVars(v, p)
			}
			ft := s.types[fd.typ.named()]
			leaf := ft == nil || ft.kind == kindScalar || ft.kind == kindEnum
			switch {
			case leaf && len(sel.sels) > 0:
				errs = append(errs, gqlError{Path: p, Message: fmt.Sprintf("Selections can't be made on scalars (field '%s' returns %s but has selections)", sel.name, fd.typ.named())})
			case !leaf && len(sel.sels) == 0:
				errs = append(errs, gqlError{Path: p, Message: fmt.Sprintf("Field must have selections (field '%s' returns %s but has no selections.)", sel.name, fd.typ.named())})
			case !leaf:
				walk(fd.typ.named(), sel.sels, p)
			}
		}
	}
	walk("Query", op.sels, []any{"query"})
	return errs
}
