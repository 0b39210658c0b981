package config

import (
	"fmt"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
	"go.yaml.in/yaml/v3"
)

// Modules are a repo's module scopes (docs/metrics.md, "Modules"): named
// sets of path globs, or one module per owner of the repo's CODEOWNERS
// file (read at each sync).
type Modules struct {
	// FromCodeowners: modules: {from: codeowners}.
	FromCodeowners bool     `json:"from_codeowners,omitempty"`
	List           []Module `json:"list,omitempty"`
}

// Module is one named module: the paths it claims, as `**` globs
// relative to the repo's root (github.com/bmatcuk/doublestar/v4).
type Module struct {
	Name  string   `json:"name"`
	Paths []string `json:"paths"`
	Line  int      `json:"-"`
}

// Configured reports whether the repo has modules.
func (m Modules) Configured() bool { return m.FromCodeowners || len(m.List) > 0 }

// MaxModuleName bounds a module's name, as the scopes bound a repo's.
const MaxModuleName = 100

var (
	moduleKeys        = []string{"name", "paths"}
	moduleSourceKeys  = []string{"from"}
	moduleFromChoices = []string{"codeowners"}
)

// modules reads a repo's modules: a list of {name, paths}, or {from:
// codeowners}. A bad glob is named with its own line.
func (p *parser) modules(e entry, key string, m *Modules) {
	switch e.val.Kind {
	case yaml.MappingNode:
		g := p.fields(e.val, key, moduleSourceKeys)
		from, ok := g["from"]
		if !ok {
			p.errorf(e.val, key, "expected a list of modules (items such as \"- {name: checkout, paths: [\\\"checkout/**\\\"]}\") or {from: codeowners}")
			return
		}
		if _, ok := p.choice(from.val, key+".from", moduleFromChoices); ok {
			m.FromCodeowners = true
		}
		return
	case yaml.SequenceNode:
	default:
		p.errorf(e.val, key, "expected a list of modules (items such as \"- {name: checkout, paths: [\\\"checkout/**\\\"]}\") or {from: codeowners}, got %s", describe(e.val))
		return
	}
	seen := map[string]int{}
	for i, item := range e.val.Content {
		k := fmt.Sprintf("%s[%d]", key, i)
		item = deref(item)
		g, ok := p.mapping(item, k, moduleKeys, "name and paths")
		if !ok {
			continue
		}
		mod := Module{Line: item.Line}
		n, ok := g["name"]
		if !ok {
			p.errorf(item, k+".name", "required; give the module a name such as checkout")
			continue
		}
		s, ok := p.str(n.val, k+".name", "the module's name")
		if !ok {
			continue
		}
		if why := checkModuleName(s.val); why != "" {
			p.errorf(n.val, k+".name", "%s %s", quote(s.val), why)
			continue
		}
		if prev, dup := seen[s.val]; dup {
			p.errorf(n.val, k+".name", "module %s is already defined at line %d; module names are unique within a repo", quote(s.val), prev)
			continue
		}
		seen[s.val] = n.val.Line
		mod.Name = s.val
		ps, ok := g["paths"]
		if !ok {
			p.errorf(item, k+".paths", "required; list the module's paths as globs, such as [\"%s/**\"]", mod.Name)
			continue
		}
		if ps.val.Kind != yaml.SequenceNode || len(ps.val.Content) == 0 {
			p.errorf(ps.val, k+".paths", "expected a non-empty list of globs such as [\"%s/**\"], got %s", mod.Name, describe(ps.val))
			continue
		}
		for j, pn := range ps.val.Content {
			pk := fmt.Sprintf("%s.paths[%d]", k, j)
			g, ok := p.str(deref(pn), pk, "a glob such as checkout/**")
			if !ok {
				continue
			}
			if why := checkGlob(g.val); why != "" {
				p.errorf(deref(pn), pk, "%s %s%s", quote(g.val), why, g.hint())
				continue
			}
			mod.Paths = append(mod.Paths, strings.TrimPrefix(g.val, "/"))
		}
		m.List = append(m.List, mod)
	}
}

// checkModuleName says what is wrong with a module's name ("" when
// nothing is): it is written after the repo in REPO:NAME.
func checkModuleName(name string) string {
	switch {
	case len(name) > MaxModuleName:
		return fmt.Sprintf("is too long for a module name (at most %d characters)", MaxModuleName)
	case strings.ContainsAny(name, ":,\n\t"):
		return "is not a module name: it may not hold ':' or ',' (a scope names it as REPO:NAME)"
	case name == "(unassigned)":
		return "is reserved for the paths no module claims; choose another name"
	}
	return ""
}

// checkGlob says what is wrong with a module's glob ("" when nothing is).
func checkGlob(glob string) string {
	switch {
	case !doublestar.ValidatePattern(glob):
		return "is not a valid glob (check its brackets and braces); write globs such as checkout/** or **/*.sql"
	case strings.HasPrefix(glob, "./") || strings.Contains(glob, "/../") || strings.HasPrefix(glob, "../"):
		return "must be a path from the repo's root without ./ or ../, such as checkout/**"
	case strings.Contains(glob, `\`):
		return "uses a backslash; paths are written with forward slashes, such as checkout/**"
	}
	return ""
}

// teamModules reads teams[].modules: REPO:NAME entries, checked against
// the repos' modules once all are read.
func (p *parser) teamModules(e entry, key string) []scalarVal {
	if e.val.Kind != yaml.SequenceNode {
		p.errorf(e.val, key, "expected a list of modules as REPO:NAME, such as [acme/shop:checkout], got %s", describe(e.val))
		return nil
	}
	var out []scalarVal
	for j, r := range e.val.Content {
		if s, ok := p.str(deref(r), fmt.Sprintf("%s[%d]", key, j), "a module as REPO:NAME"); ok {
			out = append(out, s)
		}
	}
	return out
}

// checkTeamModules resolves a team's REPO:NAME entries against the
// configured repos and their modules.
func (p *parser) checkTeamModules(c *Config, key string, entries []scalarVal, team *Team) {
	seen := map[string]int{}
	for j, s := range entries {
		k := fmt.Sprintf("%s.modules[%d]", key, j)
		i := strings.LastIndexByte(s.val, ':')
		if i <= 0 || i == len(s.val)-1 {
			p.errorf(s.node, k, "%s is not a module: write REPO:NAME, such as acme/shop:checkout", quote(s.val))
			continue
		}
		repo, name := strings.Trim(s.val[:i], "/"), s.val[i+1:]
		var r *Repo
		for x := range c.Repos {
			if !c.Repos[x].Group && strings.EqualFold(c.Repos[x].Name, repo) {
				r = &c.Repos[x]
			}
		}
		if r == nil {
			p.errorf(s.node, k, "%s is not a configured repo; add it to repos with its modules", quote(repo))
			continue
		}
		if !r.Modules.Configured() {
			p.errorf(s.node, k, "repo %s has no modules; give it modules: [{name: %s, paths: [...]}] or modules: {from: codeowners}", r.Name, name)
			continue
		}
		if !r.Modules.FromCodeowners {
			found := false
			for _, m := range r.Modules.List {
				found = found || m.Name == name
			}
			if !found {
				var names []string
				for _, m := range r.Modules.List {
					names = append(names, m.Name)
				}
				p.errorf(s.node, k, "repo %s has no module %s (its modules: %s)", r.Name, quote(name), strings.Join(names, ", "))
				continue
			}
		}
		ref := r.Name + ":" + name
		if prev, dup := seen[ref]; dup {
			p.errorf(s.node, k, "%s is listed twice in the team (first at line %d); keep one", ref, prev)
			continue
		}
		seen[ref] = s.node.Line
		team.Modules = append(team.Modules, ref)
	}
}
