package config

import (
	"fmt"
	"path"
	"strings"
)

// A github_org entry syncs every repo of a GitHub organisation (or
// user), listed again on every sync, as gitlab_group does for GitLab:
//
//	repos:
//	  - github_org: acme
//	    include: ['api-*', web]     # globs on the repo's name (or owner/name)
//	    exclude: ['*-sandbox']
//	    topics: [production]        # only repos with one of these topics
//	    archived: false             # archived repos are left out (default)
//	    forks: false                # forks are left out (default)
//
// It is a Repo with Group set and Org holding the filters; a repo's own
// entry wins over the org's for its settings.

// orgKeys are the keys only a github_org entry takes.
var orgKeys = []string{"include", "exclude", "topics", "archived", "forks"}

// OrgFilter is what of a github_org's repos is synced.
type OrgFilter struct {
	// Include and Exclude are globs (path.Match) on a repo's name or
	// owner/name; an empty Include includes every repo.
	Include []string `json:"include,omitempty"`
	Exclude []string `json:"exclude,omitempty"`
	// Topics keeps the repos with at least one of them (any when empty).
	Topics []string `json:"topics,omitempty"`
	// Archived and Forks include archived repos and forks.
	Archived bool `json:"archived"`
	Forks    bool `json:"forks"`
}

// Admits reports whether a repo named owner/name passes the globs (the
// topics, archived and forks are known only from a listing).
func (f *OrgFilter) Admits(fullName string) bool {
	_, name, _ := strings.Cut(fullName, "/")
	match := func(globs []string) bool {
		for _, g := range globs {
			g = strings.ToLower(g)
			if ok, _ := path.Match(g, strings.ToLower(name)); ok {
				return true
			}
			if ok, _ := path.Match(g, strings.ToLower(fullName)); ok {
				return true
			}
		}
		return false
	}
	return (len(f.Include) == 0 || match(f.Include)) && !match(f.Exclude)
}

// orgEntry reads the keys of a github_org entry into r, or reports them on
// another kind of entry.
func (p *parser) orgEntry(f map[string]entry, key, kind string, r *Repo) {
	if kind != "github_org" {
		for _, k := range orgKeys {
			if e, ok := f[k]; ok {
				p.errorf(e.key, key+"."+k, "only applies to github_org entries; remove it")
			}
		}
		return
	}
	o := &OrgFilter{}
	globs := func(k string) []string {
		e, ok := f[k]
		if !ok {
			return nil
		}
		l, ok := p.strList(e.val, key+"."+k, "globs such as ['api-*']")
		if !ok {
			return nil
		}
		for i, g := range l {
			if _, err := path.Match(g, ""); err != nil {
				p.errorf(deref(e.val.Content[i]), fmt.Sprintf("%s.%s[%d]", key, k, i), "%s is not a valid glob; write names with * and ?, such as 'api-*'", quote(g))
			}
		}
		return l
	}
	o.Include, o.Exclude = globs("include"), globs("exclude")
	if e, ok := f["topics"]; ok {
		if l, ok := p.strList(e.val, key+".topics", "topics"); ok {
			for i := range l {
				l[i] = strings.ToLower(l[i])
			}
			o.Topics = l
		}
	}
	for k, dst := range map[string]*bool{"archived": &o.Archived, "forks": &o.Forks} {
		if e, ok := f[k]; ok {
			if b, ok := p.boolean(e.val, key+"."+k); ok {
				*dst = b
			}
		}
	}
	r.Org = o
}
