package config

import (
	"errors"
	"fmt"
	"regexp"
	"regexp/syntax"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// scalarVal is a scalar's value after ${NAME} expansion.
type scalarVal struct {
	node    *yaml.Node
	val     string
	refs    []string
	missing []string
}

// hint says, for a value that failed validation, which unset variables
// may be why.
func (s scalarVal) hint() string {
	if len(s.missing) == 0 {
		return ""
	}
	return fmt.Sprintf(" (environment variable %s is not set)", strings.Join(s.missing, ", "))
}

// scalar reads a scalar value, expanding environment references. want
// describes the expected value for a type error. For a secret, no message
// quotes any part of the value.
func (p *parser) scalar(n *yaml.Node, key, want string, secret bool) (scalarVal, bool) {
	if n.Kind != yaml.ScalarNode {
		p.errorf(n, key, "expected %s, got %s", want, describe(n))
		return scalarVal{}, false
	}
	e, err := expand(n.Value, p.lookup)
	if err != nil {
		p.errorf(n, key, "%s; write ${NAME} for an environment variable, or $$ for a literal $", err)
		return scalarVal{}, false
	}
	if secret {
		for _, name := range e.refs {
			if looksLikeToken(name) {
				p.errorf(n, key, "the ${...} holds what looks like a token, not a variable name; write the token without ${ }, or ${NAME} to read it from the environment")
				return scalarVal{}, false
			}
		}
	}
	for _, m := range e.missing {
		p.missing = append(p.missing, MissingEnv{Key: key, Line: n.Line, Name: m})
	}
	return scalarVal{node: n, val: e.value, refs: e.refs, missing: e.missing}, true
}

// str reads a non-empty string.
func (p *parser) str(n *yaml.Node, key, want string) (scalarVal, bool) {
	s, ok := p.scalar(n, key, want, false)
	if !ok {
		return s, false
	}
	s.val = strings.TrimSpace(s.val)
	if s.val == "" {
		p.errorf(n, key, "is empty%s; write %s, or remove the key for the default", s.hint(), want)
		return s, false
	}
	return s, true
}

func (p *parser) choice(n *yaml.Node, key string, choices []string) (string, bool) {
	s, ok := p.scalar(n, key, "one of "+oneOf(choices...), false)
	if !ok {
		return "", false
	}
	if !contains(choices, s.val) {
		if contains(choices, strings.ToLower(s.val)) {
			return strings.ToLower(s.val), true
		}
		msg := fmt.Sprintf("%s is not one of %s", quote(s.val), oneOf(choices...))
		if sg := suggest(s.val, choices); sg != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", sg)
		}
		p.errorf(n, key, "%s%s", msg, s.hint())
		return "", false
	}
	return s.val, true
}

func (p *parser) secret(n *yaml.Node, key string, dst *Secret) {
	s, ok := p.scalar(n, key, "a string", true)
	if !ok {
		return
	}
	*dst = Secret{value: strings.TrimSpace(s.val), src: &secretSource{key: key, line: n.Line, refs: s.refs, missing: s.missing}}
}

// implicitSecret reads a secret whose key is absent from its default
// environment variable. at is the line to blame (the section's key), if any.
func (p *parser) implicitSecret(dst *Secret, key, env string, at *yaml.Node) {
	if dst.src != nil {
		return
	}
	line := 0
	if at != nil {
		line = at.Line
	}
	src := &secretSource{key: key, line: line, refs: []string{env}, implicit: true}
	v, ok := p.lookup(env)
	if !ok {
		src.missing = []string{env}
	}
	*dst = Secret{value: strings.TrimSpace(v), src: src}
}

func (p *parser) duration(n *yaml.Node, key string) (time.Duration, bool) {
	const want = "a duration such as 90m, 48h, 180d or 8w"
	s, ok := p.scalar(n, key, want, false)
	if !ok {
		return 0, false
	}
	v := strings.TrimSpace(s.val)
	d, err := ParseDuration(v)
	switch {
	case v == "":
		p.errorf(n, key, "is empty%s; write %s, or remove the key for the default", s.hint(), want)
	case err != nil && isNumber(v):
		p.errorf(n, key, "%s has no unit; write %s (for example %sh)", quote(v), want, v)
	case err != nil:
		p.errorf(n, key, "%s is not a duration%s; write %s", quote(v), s.hint(), want)
	case d <= 0:
		p.errorf(n, key, "%s must be longer than zero; write %s", quote(v), want)
	default:
		return d, true
	}
	return 0, false
}

func isNumber(s string) bool {
	_, err := strconv.ParseFloat(s, 64)
	return err == nil
}

func (p *parser) boolean(n *yaml.Node, key string) (bool, bool) {
	s, ok := p.scalar(n, key, "true or false", false)
	if !ok {
		return false, false
	}
	switch strings.TrimSpace(s.val) {
	case "true", "True", "TRUE":
		return true, true
	case "false", "False", "FALSE":
		return false, true
	}
	p.errorf(n, key, "%s is not true or false%s; write true or false", quote(s.val), s.hint())
	return false, false
}

func (p *parser) integer(n *yaml.Node, key string, lo, hi int) (int, bool) {
	want := fmt.Sprintf("a whole number from %d to %d", lo, hi)
	s, ok := p.scalar(n, key, want, false)
	if !ok {
		return 0, false
	}
	v, err := strconv.Atoi(strings.TrimSpace(s.val))
	if err != nil || v < lo || v > hi {
		p.errorf(n, key, "%s is not %s%s", quote(s.val), want, s.hint())
		return 0, false
	}
	return v, true
}

func (p *parser) regex(n *yaml.Node, key string) (*regexp.Regexp, bool) {
	s, ok := p.scalar(n, key, "a regular expression", false)
	if !ok {
		return nil, false
	}
	if s.val == "" {
		p.errorf(n, key, "is empty%s, and an empty regular expression matches everything; write a pattern (use '^$' to match nothing)", s.hint())
		return nil, false
	}
	re, err := regexp.Compile(s.val)
	if err != nil {
		why := err.Error()
		var se *syntax.Error
		if errors.As(err, &se) {
			why = string(se.Code)
			if se.Expr != "" && se.Expr != s.val {
				why += " at " + quote(se.Expr)
			}
		}
		p.errorf(n, key, "%s is not a valid regular expression: %s; fix the pattern (Go RE2 syntax; in YAML, single-quote it so backslashes stay as written)", quote(s.val), why)
		return nil, false
	}
	return re, true
}

func (p *parser) strList(n *yaml.Node, key, what string) ([]string, bool) {
	if n.Kind != yaml.SequenceNode {
		p.errorf(n, key, "expected a list of %s such as [a, b], got %s", what, describe(n))
		return nil, false
	}
	out := []string{}
	ok := true
	for i, item := range n.Content {
		item = deref(item)
		s, good := p.str(item, fmt.Sprintf("%s[%d]", key, i), "a string")
		if !good {
			ok = false
			continue
		}
		out = append(out, s.val)
	}
	return out, ok
}
