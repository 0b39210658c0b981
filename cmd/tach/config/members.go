package config

import (
	"fmt"
	"strings"
)

// Teams by people: a team may name its members (teams[].members: logins)
// or where to read them (teams[].from: {github_team: org/slug} or
// {gitlab_group: path}, read once per sync), beside or instead of its
// repos and modules. Its change measures then count the changes its
// people author in every synced repo (docs/metrics.md, "Teams by
// people").

var teamFromKeys = []string{"github_team", "gitlab_group"}

// TeamFrom is where a team's members are read at each sync.
type TeamFrom struct {
	// GitHubTeam is org/slug: the members of a GitHub team.
	GitHubTeam string `json:"github_team,omitempty"`
	// GitLabGroup is a group's path: its members.
	GitLabGroup string `json:"gitlab_group,omitempty"`
}

// Provider is the provider the members are read from.
func (f *TeamFrom) Provider() Provider {
	if f.GitHubTeam != "" {
		return GitHub
	}
	return GitLab
}

// Name is what is read: org/slug or the group's path.
func (f *TeamFrom) Name() string { return f.GitHubTeam + f.GitLabGroup }

// teamPeople reads a team's members and from into t.
func (p *parser) teamPeople(g map[string]entry, key string, t *teamNode) {
	if e, ok := g["members"]; ok {
		if l, ok := p.strList(e.val, key+".members", "logins such as [ada, grace]"); ok {
			seen := map[string]bool{}
			for i, login := range l {
				login = strings.TrimPrefix(login, "@")
				lower := strings.ToLower(login)
				if !ownerRE.MatchString(login) && !pathRE.MatchString(login) {
					p.errorf(deref(e.val.Content[i]), fmt.Sprintf("%s.members[%d]", key, i), "%s is not a login; write the person's login, such as ada", quote(login))
					continue
				}
				if seen[lower] {
					p.errorf(deref(e.val.Content[i]), fmt.Sprintf("%s.members[%d]", key, i), "%s is listed twice; keep one", login)
					continue
				}
				seen[lower] = true
				t.members = append(t.members, lower)
			}
		}
	}
	if e, ok := g["from"]; ok {
		f, ok := p.mapping(e.val, key+".from", teamFromKeys, "github_team: org/slug or gitlab_group: group")
		if !ok {
			return
		}
		if len(f) != 1 {
			p.errorf(e.val, key+".from", "names %d sources; name one: github_team: org/slug or gitlab_group: group", len(f))
			return
		}
		from := &TeamFrom{}
		if v, ok := f["github_team"]; ok {
			if s, ok := p.str(v.val, key+".from.github_team", "org/slug such as acme/payments"); ok {
				org, slug, _ := strings.Cut(s.val, "/")
				if !ownerRE.MatchString(org) || slug == "" || !nameRE.MatchString(slug) {
					p.errorf(v.val, key+".from.github_team", "%s is not org/slug; write the organisation and the team's slug, such as acme/payments", quote(s.val))
					return
				}
				from.GitHubTeam = s.val
			}
		}
		if v, ok := f["gitlab_group"]; ok {
			if s, ok := p.str(v.val, key+".from.gitlab_group", "a group path such as acme/payments"); ok {
				s.val = strings.Trim(s.val, "/")
				if why := checkRepoName("gitlab_group", s.val); why != "" {
					p.errorf(v.val, key+".from.gitlab_group", "%s %s", quote(s.val), why)
					return
				}
				from.GitLabGroup = strings.Trim(s.val, "/")
			}
		}
		if from.Name() != "" {
			t.from = from
		}
	}
}

// hasPeople reports whether a team item names members or where to read them.
func hasPeople(g map[string]entry) bool {
	_, m := g["members"]
	_, f := g["from"]
	return m || f
}
