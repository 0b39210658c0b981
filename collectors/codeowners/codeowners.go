// Package codeowners reads a CODEOWNERS file (GitHub's, and GitLab's with
// its sections) into modules: one per owner, whose paths are the patterns
// of every rule that names it, as `**` globs (docs/metrics.md, "Modules").
// It is pure: the providers fetch the file.
package codeowners

import (
	"slices"
	"strings"
)

// Locations are where GitHub looks for a repo's CODEOWNERS file, in order:
// the first that exists is the one.
var Locations = []string{".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"}

// GitLabLocations are where GitLab looks, in its order.
var GitLabLocations = []string{"CODEOWNERS", "docs/CODEOWNERS", ".gitlab/CODEOWNERS"}

// Module is an owner and the globs of the paths it owns.
type Module struct {
	Owner string // @user, @org/team, @group/subgroup or an e-mail, as written
	Globs []string
}

// Parse reads a CODEOWNERS file: one module per owner, in the order the
// owners first appear, each with the globs of its rules in file order.
// Comments, blank lines and rules without an owner (which unset
// ownership) are skipped; a GitLab section's default owners apply to the
// section's rules that name none.
func Parse(content string) []Module {
	var out []Module
	index := map[string]int{}
	var sectionOwners []string
	for _, raw := range strings.Split(content, "\n") {
		line := strings.TrimSpace(strings.TrimSuffix(raw, "\r"))
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if owners, ok := section(line); ok {
			sectionOwners = owners
			continue
		}
		fields := splitFields(line)
		if len(fields) == 0 {
			continue
		}
		pattern, owners := fields[0], fields[1:]
		if i := slices.IndexFunc(owners, func(f string) bool { return strings.HasPrefix(f, "#") }); i >= 0 {
			owners = owners[:i] // a comment after the owners
		}
		if len(owners) == 0 {
			owners = sectionOwners
		}
		globs := Globs(pattern)
		if len(globs) == 0 {
			continue
		}
		for _, o := range owners {
			i, ok := index[o]
			if !ok {
				i = len(out)
				index[o] = i
				out = append(out, Module{Owner: o})
			}
			for _, g := range globs {
				if !slices.Contains(out[i].Globs, g) {
					out[i].Globs = append(out[i].Globs, g)
				}
			}
		}
	}
	return out
}

// section reads a GitLab section header, `[Name]`, `^[Name]` or
// `[Name][2]`, with its default owners after it.
func section(line string) (owners []string, ok bool) {
	rest := strings.TrimPrefix(line, "^")
	if !strings.HasPrefix(rest, "[") {
		return nil, false
	}
	end := strings.IndexByte(rest, ']')
	if end < 0 {
		return nil, false
	}
	rest = rest[end+1:]
	if strings.HasPrefix(rest, "[") { // the approvals needed
		if end := strings.IndexByte(rest, ']'); end >= 0 {
			rest = rest[end+1:]
		}
	}
	return strings.Fields(rest), true
}

// splitFields splits a rule at unescaped spaces (a pattern may hold `\ `).
func splitFields(line string) []string {
	var out []string
	var b strings.Builder
	escaped := false
	for _, r := range line {
		switch {
		case escaped:
			b.WriteRune(r)
			escaped = false
		case r == '\\':
			escaped = true
		case r == ' ' || r == '\t':
			if b.Len() > 0 {
				out = append(out, b.String())
				b.Reset()
			}
		default:
			b.WriteRune(r)
		}
	}
	if b.Len() > 0 {
		out = append(out, b.String())
	}
	return out
}

// Globs translates a CODEOWNERS pattern (gitignore rules) to the globs of
// the files it matches: a pattern with a slash before its end is anchored
// at the root, one without matches at any depth; a trailing slash, or a
// name that is a directory, matches everything below it.
func Globs(pattern string) []string {
	if pattern == "" || strings.HasPrefix(pattern, "!") {
		return nil // negation is not supported by CODEOWNERS
	}
	dir := strings.HasSuffix(pattern, "/")
	p := strings.TrimSuffix(pattern, "/")
	anchored := strings.HasPrefix(p, "/") || strings.Contains(strings.TrimPrefix(p, "/"), "/")
	p = strings.TrimPrefix(p, "/")
	switch {
	case p == "" || p == "*" || p == "**":
		return []string{"**"}
	case !anchored && !strings.HasPrefix(p, "**/"):
		p = "**/" + p
	}
	if dir || strings.HasSuffix(p, "/**") {
		return []string{strings.TrimSuffix(p, "/**") + "/**"}
	}
	if last := p[strings.LastIndexByte(p, '/')+1:]; strings.Contains(last, "*") {
		return []string{p} // docs/* owns docs' files, not its subdirectories'
	}
	// A name may be a file or a directory: both.
	return []string{p, p + "/**"}
}
