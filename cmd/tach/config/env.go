package config

import (
	"errors"
	"strings"
)

// expansion is the result of expanding ${NAME} references in a string.
type expansion struct {
	value   string
	refs    []string // variables referenced, in order
	missing []string // referenced variables that are not set
}

// Errors for a malformed reference; they never quote the string, which may
// be a secret.
var (
	errUnterminated = errors.New(`"${" has no closing "}"`)
	errBadName      = errors.New(`"${...}" must hold an environment variable name (letters, digits and _, not starting with a digit)`)
)

// expand replaces each ${NAME} in s with the value of the environment
// variable NAME, as lookup reports it; "$$" is a literal "$", and a "$"
// followed by anything else is kept as it is (so regexes such as
// "^prod$" need no escaping). An unset variable expands to "" and is
// listed in missing.
func expand(s string, lookup func(string) (string, bool)) (expansion, error) {
	if !strings.Contains(s, "$") {
		return expansion{value: s}, nil
	}
	var e expansion
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '$' || i+1 >= len(s) {
			b.WriteByte(c)
			continue
		}
		switch s[i+1] {
		case '$':
			b.WriteByte('$')
			i++
		case '{':
			end := strings.IndexByte(s[i+2:], '}')
			if end < 0 {
				return expansion{}, errUnterminated
			}
			name := s[i+2 : i+2+end]
			if !validEnvName(name) {
				return expansion{}, errBadName
			}
			e.refs = append(e.refs, name)
			if v, ok := lookup(name); ok {
				b.WriteString(v)
			} else {
				e.missing = append(e.missing, name)
			}
			i += 2 + end
		default:
			b.WriteByte(c)
		}
	}
	e.value = b.String()
	return e, nil
}

func validEnvName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c == '_', c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z':
		case c >= '0' && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// tokenPrefixes start GitHub and GitLab tokens; a ${...} holding one is a
// token pasted in the wrong place, and its "name" must not be printed.
var tokenPrefixes = []string{"ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "glpat", "gldt", "glptt", "glrt"}

// looksLikeToken reports whether a variable name is probably a token.
func looksLikeToken(name string) bool {
	for _, p := range tokenPrefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}
