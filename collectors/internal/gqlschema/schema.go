// Package gqlschema is test support for the provider fakes (githubtest,
// gitlabtest): it loads the subset of a provider's published GraphQL schema
// (SDL) a collector touches, parses the queries a collector sends, and
// validates them field by field as the provider's server does before it
// runs anything, so that a query asking for a field or argument the
// provider does not have fails against the fake as it would in production.
//
// It reports problems in graphql-ruby's words (the GraphQL server both
// GitHub and GitLab run); each fake renders them in its provider's error
// shape. Only test code imports it.
package gqlschema

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
)

// Kind is the kind of a named type.
type Kind int

// The kinds of named types.
const (
	Scalar Kind = iota
	Object
	Interface
	Union
	Enum
	Input
)

// Type is a named type of the schema.
type Type struct {
	Kind       Kind
	Name       string
	Fields     map[string]*Field // objects, interfaces and input objects
	Interfaces []string          // interfaces an object implements
	Members    []string          // union members
	Values     map[string]bool   // enum values
}

// Field is a field of an object or interface (or an input object's field,
// with no arguments).
type Field struct {
	Name string
	Args map[string]*Arg
	Type *TypeRef
}

// Arg is an argument of a field.
type Arg struct {
	Name       string
	Type       *TypeRef
	HasDefault bool
}

// Schema is a parsed schema.
type Schema struct {
	Types map[string]*Type
	// Query is the root type of queries ("Query" unless a schema block
	// says otherwise).
	Query string
}

// Parse reads a schema in the GraphQL schema definition language: scalar,
// type, interface, input, union and enum definitions and the schema block;
// descriptions, directives and default values are skipped.
func Parse(src string) (*Schema, error) {
	toks, err := lex(src)
	if err != nil {
		return nil, fmt.Errorf("schema: %w", err)
	}
	p := newParser(src, toks)
	s := &Schema{Types: map[string]*Type{}, Query: "Query"}
	for _, b := range []string{"String", "Int", "Float", "Boolean", "ID"} {
		s.Types[b] = &Type{Kind: Scalar, Name: b}
	}
	for p.peek().kind != tokEOF {
		if p.peek().kind == tokString { // a description
			p.next()
			continue
		}
		kw, err := p.name()
		if err != nil {
			return nil, fmt.Errorf("schema: %w", err)
		}
		if kw == "schema" {
			if err := s.schemaBlock(p); err != nil {
				return nil, fmt.Errorf("schema: %w", err)
			}
			continue
		}
		name, err := p.name()
		if err != nil {
			return nil, fmt.Errorf("schema: %w", err)
		}
		td := &Type{Name: name}
		switch kw {
		case "scalar":
			td.Kind = Scalar
			if err := p.skipDirectives(); err != nil {
				return nil, fmt.Errorf("schema: %s: %w", name, err)
			}
		case "type", "interface", "input":
			td.Kind = map[string]Kind{"type": Object, "interface": Interface, "input": Input}[kw]
			if p.accept("implements") {
				p.accept("&")
				for {
					n, err := p.name()
					if err != nil {
						return nil, fmt.Errorf("schema: %s: %w", name, err)
					}
					td.Interfaces = append(td.Interfaces, n)
					if !p.accept("&") {
						break
					}
				}
			}
			if err := p.skipDirectives(); err != nil {
				return nil, fmt.Errorf("schema: %s: %w", name, err)
			}
			if td.Fields, err = p.fieldDefs(); err != nil {
				return nil, fmt.Errorf("schema: %s: %w", name, err)
			}
		case "union":
			td.Kind = Union
			if err := p.expect("="); err != nil {
				return nil, fmt.Errorf("schema: %s: %w", name, err)
			}
			p.accept("|")
			for {
				n, err := p.name()
				if err != nil {
					return nil, fmt.Errorf("schema: %s: %w", name, err)
				}
				td.Members = append(td.Members, n)
				if !p.accept("|") {
					break
				}
			}
		case "enum":
			td.Kind = Enum
			td.Values = map[string]bool{}
			if err := p.expect("{"); err != nil {
				return nil, fmt.Errorf("schema: %s: %w", name, err)
			}
			for !p.accept("}") {
				if p.peek().kind == tokString {
					p.next()
					continue
				}
				v, err := p.name()
				if err != nil {
					return nil, fmt.Errorf("schema: %s: %w", name, err)
				}
				td.Values[v] = true
				if err := p.skipDirectives(); err != nil {
					return nil, err
				}
			}
		default:
			return nil, fmt.Errorf("schema: unsupported definition %q", kw)
		}
		s.Types[name] = td
	}
	if s.Types[s.Query] == nil {
		return nil, fmt.Errorf("schema: no query type %s", s.Query)
	}
	return s, nil
}

// schemaBlock reads schema { query: Query ... }.
func (s *Schema) schemaBlock(p *parser) error {
	if err := p.expect("{"); err != nil {
		return err
	}
	for !p.accept("}") {
		op, err := p.label()
		if err != nil {
			return err
		}
		t, err := p.name()
		if err != nil {
			return err
		}
		if op == "query" {
			s.Query = t
		}
	}
	return nil
}

// fieldDefs parses { name(args): Type @directives ... } of a type,
// interface or input.
func (p *parser) fieldDefs() (map[string]*Field, error) {
	if err := p.expect("{"); err != nil {
		return nil, err
	}
	fields := map[string]*Field{}
	for !p.accept("}") {
		if p.peek().kind == tokString {
			p.next()
			continue
		}
		n, err := p.name()
		if err != nil {
			return nil, err
		}
		f := &Field{Name: n, Args: map[string]*Arg{}}
		if p.accept("(") {
			for !p.accept(")") {
				if p.peek().kind == tokString {
					p.next()
					continue
				}
				an, err := p.label()
				if err != nil {
					return nil, err
				}
				at, err := p.typeRef()
				if err != nil {
					return nil, err
				}
				a := &Arg{Name: an, Type: at}
				if p.accept("=") {
					if _, err := p.value(); err != nil {
						return nil, err
					}
					a.HasDefault = true
				}
				if err := p.skipDirectives(); err != nil {
					return nil, err
				}
				f.Args[an] = a
			}
		}
		if err := p.expect(":"); err != nil {
			return nil, err
		}
		if f.Type, err = p.typeRef(); err != nil {
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

// Field returns a field of an object, interface or input type (nil when
// it has none of that name).
func (s *Schema) Field(typeName, name string) *Field {
	if td := s.Types[typeName]; td != nil {
		return td.Fields[name]
	}
	return nil
}

// Implements reports whether the object type concrete satisfies the type
// condition cond (itself, an interface it implements, or a union it is a
// member of).
func (s *Schema) Implements(concrete, cond string) bool {
	if concrete == cond {
		return true
	}
	td := s.Types[concrete]
	if td != nil && slices.Contains(td.Interfaces, cond) {
		return true
	}
	if u := s.Types[cond]; u != nil && u.Kind == Union {
		return slices.Contains(u.Members, concrete)
	}
	return false
}

// Without returns a copy of the schema in which typeName has no field
// name: the schema of an older server that did not have it yet.
func (s *Schema) Without(typeName, name string) *Schema {
	out := &Schema{Types: maps.Clone(s.Types), Query: s.Query}
	if td := s.Types[typeName]; td != nil {
		c := *td
		c.Fields = maps.Clone(td.Fields)
		delete(c.Fields, name)
		out.Types[typeName] = &c
	}
	return out
}

// Problem is one reason a query is invalid, as graphql-ruby reports it:
// its message, the path from the operation to the node, where the node is
// in the query, and the extensions (code and the names involved).
type Problem struct {
	Message    string
	Path       []any
	Locations  []Pos
	Extensions map[string]any
}

// JSONLocations are the problem's locations as an error's "locations"
// carries them: [{"line": 3, "column": 9}].
func (p Problem) JSONLocations() []any {
	out := make([]any, len(p.Locations))
	for i, l := range p.Locations {
		out[i] = map[string]any{"line": l.Line, "column": l.Column}
	}
	return out
}

// Validate checks a query against the schema as the server does before
// running anything: every field exists on its type, every argument exists
// on its field and has a value of its type, required arguments are given,
// leaf fields have no selections and others have some, variables are
// declared, used, of input types and of the types their arguments take.
// No problems means the server would run the query.
func (s *Schema) Validate(op *Operation) []Problem {
	v := &validator{s: s, op: op, used: map[string]bool{}}
	root := []any{op.Label()}
	for _, name := range slices.Sorted(maps.Keys(op.Vars)) {
		decl := op.Vars[name]
		td := s.Types[decl.Type.Named()]
		if td == nil || (td.Kind != Scalar && td.Kind != Enum && td.Kind != Input) {
			v.add(root, []Pos{decl.Pos}, fmt.Sprintf("%s isn't a defined input type (on $%s)", decl.Type.Named(), name),
				"variableRequiresValidType", "typeName", decl.Type.Named(), "variableName", name)
		}
	}
	v.selections(s.Query, op.Sels, root)
	for _, name := range slices.Sorted(maps.Keys(op.Vars)) {
		if !v.used[name] {
			v.add(root, []Pos{op.Vars[name].Pos}, fmt.Sprintf("Variable $%s is declared by %s but not used", name, v.opName()),
				"variableNotUsed", "variableName", name)
		}
	}
	return v.problems
}

type validator struct {
	s        *Schema
	op       *Operation
	used     map[string]bool
	problems []Problem
}

func (v *validator) opName() string {
	if v.op.Name == "" {
		return "anonymous query"
	}
	return v.op.Name
}

// add records a problem; ext is the extensions after the code, as
// key, value pairs.
func (v *validator) add(path []any, at []Pos, msg, code string, ext ...string) {
	e := map[string]any{"code": code}
	for i := 0; i+1 < len(ext); i += 2 {
		e[ext[i]] = ext[i+1]
	}
	v.problems = append(v.problems, Problem{Message: msg, Path: slices.Clone(path), Locations: at, Extensions: e})
}

func (v *validator) selections(typeName string, sels []*Selection, path []any) {
	td := v.s.Types[typeName]
	for _, sel := range sels {
		if sel.Fragment {
			cond := sel.On
			if cond == "" {
				cond = typeName
			}
			p := append(slices.Clone(path), "... on "+cond)
			if v.s.Types[cond] == nil {
				v.add(p, []Pos{sel.Pos}, fmt.Sprintf("No such type %s, so it can't be a fragment condition", cond), "undefinedType", "typeName", cond)
				continue
			}
			v.selections(cond, sel.Sels, p)
			continue
		}
		p := append(slices.Clone(path), sel.Key())
		if sel.Name == "__typename" {
			continue
		}
		if td != nil && td.Kind == Union {
			v.add(p, []Pos{sel.Pos}, fmt.Sprintf("Selections can't be made directly on unions (see selections on %s)", typeName),
				"selectionMismatch", "nodeName", typeName)
			continue
		}
		fd := v.s.Field(typeName, sel.Name)
		if fd == nil {
			v.add(p, []Pos{sel.Pos}, fmt.Sprintf("Field '%s' doesn't exist on type '%s'", sel.Name, typeName),
				"undefinedField", "typeName", typeName, "fieldName", sel.Name)
			continue
		}
		v.arguments(sel, fd, p)
		ft := v.s.Types[fd.Type.Named()]
		leaf := ft == nil || ft.Kind == Scalar || ft.Kind == Enum
		switch {
		case leaf && len(sel.Sels) > 0:
			kind := "scalars"
			if ft != nil && ft.Kind == Enum {
				kind = "enums"
			}
			names := make([]string, 0, len(sel.Sels))
			for _, s := range sel.Sels {
				names = append(names, s.Key())
			}
			v.add(p, []Pos{sel.Pos}, fmt.Sprintf("Selections can't be made on %s (field '%s' returns %s but has selections [%s])",
				kind, sel.Name, fd.Type.Named(), strings.Join(names, ", ")), "selectionMismatch", "nodeName", "field '"+sel.Name+"'")
		case !leaf && len(sel.Sels) == 0:
			v.add(p, []Pos{sel.Pos}, fmt.Sprintf("Field must have selections (field '%s' returns %s but has no selections. Did you mean '%s { ... }'?)",
				sel.Name, fd.Type.Named(), sel.Name), "selectionMismatch", "nodeName", "field '"+sel.Name+"'")
		case !leaf:
			v.selections(fd.Type.Named(), sel.Sels, p)
		}
	}
}

// arguments checks a field's arguments: known, of the right type, and
// every required one given.
func (v *validator) arguments(sel *Selection, fd *Field, path []any) {
	for _, a := range slices.Sorted(maps.Keys(sel.Args)) {
		p := append(slices.Clone(path), a)
		at := []Pos{sel.ArgPos[a]}
		ad := fd.Args[a]
		if ad == nil {
			v.add(p, at, fmt.Sprintf("Field '%s' doesn't accept argument '%s'", sel.Name, a),
				"argumentNotAccepted", "name", sel.Name, "typeName", "Field", "argumentName", a)
			v.markUsed(sel.Args[a])
			continue
		}
		v.value(ad.Type, sel.Args[a], p, at, sel.Name, a)
	}
	var missing []string
	for _, name := range slices.Sorted(maps.Keys(fd.Args)) {
		ad := fd.Args[name]
		if _, given := sel.Args[name]; !given && ad.Type.NonNull && !ad.HasDefault {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		v.add(path, []Pos{sel.Pos}, fmt.Sprintf("Field '%s' is missing required arguments: %s", sel.Name, strings.Join(missing, ", ")),
			"missingRequiredArguments", "className", "Field", "name", sel.Name, "arguments", strings.Join(missing, ", "))
	}
}

// markUsed notes the variables a value uses.
func (v *validator) markUsed(val any) {
	switch val := val.(type) {
	case VarRef:
		v.used[string(val)] = true
	case []any:
		for _, e := range val {
			v.markUsed(e)
		}
	case map[string]any:
		for _, e := range val {
			v.markUsed(e)
		}
	}
}

// value checks an argument's value against the type the argument takes.
func (v *validator) value(t *TypeRef, val any, path []any, at []Pos, field, arg string) {
	invalid := func() {
		v.add(path, at, fmt.Sprintf("Argument '%s' on Field '%s' has an invalid value (%s). Expected type '%s'.", arg, field, literal(val), t),
			"argumentLiteralsIncompatible", "typeName", "Field", "argumentName", arg)
	}
	switch val := val.(type) {
	case VarRef:
		v.variable(string(val), t, path, at, arg)
		return
	case nil:
		if t.NonNull {
			invalid()
		}
		return
	case []any:
		if t.Elem == nil {
			invalid()
			return
		}
		for _, e := range val {
			v.value(t.Elem, e, path, at, field, arg)
		}
		return
	}
	if t.Elem != nil { // a single value stands for a list of one
		v.value(t.Elem, val, path, at, field, arg)
		return
	}
	td := v.s.Types[t.Name]
	if td == nil {
		invalid()
		return
	}
	switch td.Kind {
	case Enum:
		if e, ok := val.(EnumValue); !ok || !td.Values[string(e)] {
			invalid()
		}
	case Input:
		obj, ok := val.(map[string]any)
		if !ok {
			invalid()
			return
		}
		for _, k := range slices.Sorted(maps.Keys(obj)) {
			f := td.Fields[k]
			if f == nil {
				v.add(append(slices.Clone(path), k), at, fmt.Sprintf("InputObject '%s' doesn't accept argument '%s'", td.Name, k),
					"argumentNotAccepted", "name", td.Name, "typeName", "InputObject", "argumentName", k)
				v.markUsed(obj[k])
				continue
			}
			v.value(f.Type, obj[k], append(slices.Clone(path), k), at, field, k)
		}
	case Scalar:
		if !scalarLiteral(t.Name, val) {
			invalid()
		}
	default:
		invalid()
	}
}

// scalarLiteral reports whether a literal fits a scalar: the built-in
// ones by their kind; a custom scalar (Time, a global ID) takes a string.
func scalarLiteral(scalar string, val any) bool {
	switch val.(type) {
	case EnumValue, map[string]any:
		return false
	}
	switch scalar {
	case "Int":
		_, ok := val.(int)
		return ok
	case "Float":
		switch val.(type) {
		case int, float64:
			return true
		}
		return false
	case "Boolean":
		_, ok := val.(bool)
		return ok
	case "ID":
		switch val.(type) {
		case int, string:
			return true
		}
		return false
	}
	_, ok := val.(string)
	return ok
}

func literal(val any) string {
	switch val := val.(type) {
	case string:
		return fmt.Sprintf("%q", val)
	case EnumValue:
		return string(val)
	case nil:
		return "null"
	}
	return fmt.Sprint(val)
}

// variable checks a variable used for an argument: declared, and of a
// type the argument takes (a nullable variable cannot feed a non-null
// argument unless it has a default).
func (v *validator) variable(name string, arg *TypeRef, path []any, at []Pos, argName string) {
	v.used[name] = true
	decl := v.op.Vars[name]
	if decl == nil {
		v.add(path, at, fmt.Sprintf("Variable $%s is used by %s but not declared", name, v.opName()), "variableNotDefined", "variableName", name)
		return
	}
	if why := mismatch(decl.Type, decl.HasDefault, arg); why != "" {
		v.add(path, at, fmt.Sprintf("%s on variable $%s and argument %s (%s / %s)", why, name, argName, decl.Type, arg),
			"variableMismatch", "variableName", name, "typeName", decl.Type.String(), "argumentName", argName, "errorMessage", why)
	}
}

// mismatch says why a variable of type vt cannot be used where at is
// expected ("" when it can).
func mismatch(vt *TypeRef, hasDefault bool, at *TypeRef) string {
	if at.NonNull && !vt.NonNull && !hasDefault {
		return "Nullability mismatch"
	}
	switch {
	case (vt.Elem == nil) != (at.Elem == nil):
		return "List dimension mismatch"
	case vt.Elem != nil:
		return mismatch(vt.Elem, false, at.Elem)
	case vt.Name != at.Name:
		return "Type mismatch"
	}
	return ""
}

// Messages returns the problems' messages, sorted, for tests and logs.
func Messages(ps []Problem) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Message
	}
	sort.Strings(out)
	return out
}
