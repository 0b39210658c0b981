package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// decode parses data into one YAML node tree; nil for an empty file.
func decode(data []byte) (root *yaml.Node, err error) {
	defer func() {
		// The YAML library reports errors by panicking internally and
		// recovering; should one escape, it is still a parse error.
		if r := recover(); r != nil {
			root, err = nil, fmt.Errorf("yaml: %v", r)
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, err
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case errors.Is(err, io.EOF):
	case err != nil:
		return nil, err
	default:
		return nil, extraDocument{line: extra.Line}
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, nil
	}
	return doc.Content[0], nil
}

type extraDocument struct{ line int }

func (e extraDocument) Error() string { return "second YAML document" }

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// parserProblems are the problems the YAML parser (not its scanner) reports;
// the library gives their line 0-based, and the scanner's 1-based.
var parserProblems = []string{
	"did not find expected <stream-start>",
	"did not find expected <document start>",
	"found undefined tag handle",
	"did not find expected node content",
	"did not find expected '-' indicator",
	"did not find expected key",
	"did not find expected ',' or ']'",
	"did not find expected ',' or '}'",
	"found duplicate %YAML directive",
	"found incompatible YAML document",
	"found duplicate %TAG directive",
}

var unknownAnchorRE = regexp.MustCompile(`^unknown anchor '(.*)' referenced$`)

// yamlError records a YAML syntax error with the parser's line.
func (p *parser) yamlError(err error, data []byte) {
	var extra extraDocument
	if errors.As(err, &extra) {
		p.errs = append(p.errs, &Error{File: p.file, Line: extra.line, Msg: `a second YAML document starts here; tach reads one document, so remove the "---" and merge the settings`})
		return
	}
	msg := strings.TrimPrefix(strings.ReplaceAll(err.Error(), "\n", " "), "yaml: ")
	line := 0
	if m := yamlLineRE.FindStringSubmatch("yaml: " + msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
	}
	hint := "fix the YAML syntax (indent with spaces, and quote values that contain \": \" or start with a special character)"
	switch {
	case contains(parserProblems, msg):
		// The library omits line 0 and gives the parser's lines 0-based,
		// and at that the line where the enclosing collection starts.
		line = problemLine(data, line+1)
	case unknownAnchorRE.MatchString(msg):
		name := unknownAnchorRE.FindStringSubmatch(msg)[1]
		if i := bytes.Index(data, []byte("*"+name)); i >= 0 {
			line = 1 + bytes.Count(data[:i], []byte("\n"))
		}
		hint = "define the anchor (&" + name + ") before using it"
	case line == 0:
		// A scanner error on the first line, or a reader error (bad
		// encoding), which the library reports without a line.
		line = 1
		if i := badByte(data); i >= 0 {
			line = 1 + bytes.Count(data[:i], []byte("\n"))
			hint = "save the file as UTF-8 text without control characters"
		}
	}
	if line > 0 && hasTabIndent(data, line) {
		hint = "YAML does not allow tabs for indentation; indent with spaces"
	}
	p.errs = append(p.errs, &Error{File: p.file, Line: line, Msg: "invalid YAML: " + msg + "; " + hint})
}

// problemLine returns the first line from start on at which the document
// cut after that line no longer parses: where the parser's problem is,
// rather than where the collection it was parsing starts.
func problemLine(data []byte, start int) int {
	lines := bytes.SplitAfter(data, []byte("\n"))
	if start < 1 || start > len(lines) || len(lines) > 5000 {
		return start
	}
	for k := start; k <= len(lines) && k < start+200; k++ {
		_, err := decode(bytes.Join(lines[:k], nil))
		var extra extraDocument
		if err != nil && !errors.As(err, &extra) {
			return k
		}
	}
	return start
}

// badByte returns the offset of the first byte that is not valid UTF-8 or
// is a control character YAML rejects, or -1.
func badByte(data []byte) int {
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size <= 1 || r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0x7f {
			return i
		}
		i += size
	}
	return -1
}

func hasTabIndent(data []byte, line int) bool {
	lines := bytes.Split(data, []byte("\n"))
	for _, l := range []int{line - 1, line - 2} { // the line and the one before
		if l >= 0 && l < len(lines) {
			trimmed := bytes.TrimLeft(lines[l], " \t")
			if bytes.Contains(lines[l][:len(lines[l])-len(trimmed)], []byte("\t")) {
				return true
			}
		}
	}
	return false
}

// deref follows an alias to the node it names.
func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 16; i++ {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	n = deref(n)
	return n == nil || n.Kind == 0 || n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// describe names a node's type for a message, without its value.
func describe(n *yaml.Node) string {
	n = deref(n)
	if n == nil {
		return "nothing"
	}
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping (key: value)"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return "nothing"
		case "!!bool":
			return "true/false"
		case "!!int", "!!float":
			return "a number"
		}
		return "a string"
	}
	return "something else"
}

func join2(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// entry is one key of a mapping with its value.
type entry struct{ key, val *yaml.Node }

// fields returns the keys of mapping n (already dereferenced) that are in
// known, reporting unknown and repeated keys. Keys merged with "<<" are
// included unless the mapping sets them itself. Null values are left out,
// so that "key:" with nothing after it means the default.
func (p *parser) fields(n *yaml.Node, path string, known []string) map[string]entry {
	out := map[string]entry{}
	p.collect(n, path, known, out, map[*yaml.Node]bool{n: true})
	for k, e := range out {
		if isNull(e.val) {
			delete(out, k)
		} else {
			out[k] = entry{e.key, deref(e.val)}
		}
	}
	return out
}

// collect adds n's keys to out. merged holds the mappings already
// collected, so that merging one twice (or a mapping merging itself through
// an alias) is a no-op rather than a loop.
func (p *parser) collect(n *yaml.Node, path string, known []string, out map[string]entry, merged map[*yaml.Node]bool) {
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := deref(n.Content[i]), n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			p.errorf(k, path, "a key must be a plain name, not %s; check the indentation", describe(k))
			continue
		}
		if k.ShortTag() == "!!merge" {
			merges = append(merges, v)
			continue
		}
		name := k.Value
		if !contains(known, name) {
			p.unknownKey(k, path, name, known)
			continue
		}
		if prev, ok := out[name]; ok {
			p.errorf(k, join2(path, name), "repeated (first set at line %d); keep one", prev.key.Line)
			continue
		}
		out[name] = entry{k, v}
	}
	for _, m := range merges {
		m = deref(m)
		var maps []*yaml.Node
		switch m.Kind {
		case yaml.MappingNode:
			maps = []*yaml.Node{m}
		case yaml.SequenceNode:
			for _, item := range m.Content {
				maps = append(maps, deref(item))
			}
		}
		for _, mm := range maps {
			if mm == nil || mm.Kind != yaml.MappingNode {
				p.errorf(m, path, "a merge (<<) must name a mapping or a list of mappings")
				return
			}
			if merged[mm] {
				continue
			}
			merged[mm] = true
			// Keys set here win over merged ones, and earlier merges
			// over later ones.
			sub := map[string]entry{}
			p.collect(mm, path, known, sub, merged)
			for k, e := range sub {
				if _, ok := out[k]; !ok {
					out[k] = e
				}
			}
		}
	}
}

func (p *parser) unknownKey(k *yaml.Node, path, name string, known []string) {
	msg := "unknown key " + quote(name)
	if s := suggest(name, known); s != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", s)
	} else if hint, ok := topLevelHints[name]; ok && path == "" {
		msg += "; " + hint
	} else {
		msg += "; the keys here are " + oneOf(known...)
	}
	p.errorf(k, path, "%s", msg)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// mapping checks that n is a mapping and returns its fields; ok is false
// (and an error recorded) when it is not.
func (p *parser) mapping(n *yaml.Node, key string, known []string, example string) (map[string]entry, bool) {
	if n.Kind != yaml.MappingNode {
		p.errorf(n, key, "expected a mapping of %s, got %s", example, describe(n))
		return nil, false
	}
	return p.fields(n, key, known), true
}
