package githubtest

import (
	"net/http"
	"sort"
	"strings"
)

// GET /orgs/{org}/repos and GET /users/{user}/repos: an account's repos,
// as GitHub lists them (full repository items with archived, fork and
// topics; paginated). An account is an organisation unless MarkUser says
// it is a user: /orgs/ of a user, or /users/ of an account with no repos
// and not a user, is 404.

// MarkUser makes an account a user rather than an organisation.
func (s *Server) MarkUser(login string) {
	s.Edit(func() {
		if s.users == nil {
			s.users = map[string]bool{}
		}
		s.users[strings.ToLower(login)] = true
	})
}

func (s *Server) listAccountRepos(req *request) (int, http.Header, []byte) {
	kind, account := req.segs[0], strings.ToLower(req.segs[1])
	isUser := s.users[account]
	var repos []*Repo
	for _, r := range s.repos {
		if strings.ToLower(r.Owner) == account {
			repos = append(repos, r)
		}
	}
	if (kind == "orgs") == isUser || (len(repos) == 0 && !isUser) {
		return jsonBody(http.StatusNotFound, nil, map[string]any{"message": "Not Found", "documentation_url": "https://docs.github.com/rest/repos/repos#list-organization-repositories"})
	}
	sort.Slice(repos, func(i, j int) bool { return repos[i].ID < repos[j].ID })
	items := make([]any, len(repos))
	for i, r := range repos {
		items[i] = s.repoJSON(r)
	}
	return s.page(req, items, nil)
}

func orEmptyList(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}

// SetTeam makes a team of an organisation (org/slug) with its members,
// answered by GET /orgs/{org}/teams/{slug}/members.
func (s *Server) SetTeam(orgSlug string, logins ...string) {
	s.Edit(func() {
		if s.teams == nil {
			s.teams = map[string][]string{}
		}
		s.teams[strings.ToLower(orgSlug)] = logins
	})
}

func (s *Server) listTeamMembers(req *request) (int, http.Header, []byte) {
	logins, ok := s.teams[strings.ToLower(req.segs[1]+"/"+req.segs[3])]
	if !ok {
		return jsonBody(http.StatusNotFound, nil, map[string]any{"message": "Not Found", "documentation_url": "https://docs.github.com/rest/teams/members#list-team-members"})
	}
	items := make([]any, len(logins))
	for i, l := range logins {
		items[i] = s.userJSON(Person(l))
	}
	return s.page(req, items, nil)
}
