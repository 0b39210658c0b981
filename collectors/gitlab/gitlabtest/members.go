package gitlabtest

import "strings"

// GET /groups/:id/members/all: a group's members, inherited ones
// included, as GitLab lists them (id, username, name, state, access_level).

// SetGroupMembers makes usernames the members of a group (added with
// AddGroup or AddProject).
func (s *Server) SetGroupMembers(group string, usernames ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.members == nil {
		s.members = map[string][]string{}
	}
	s.members[strings.ToLower(group)] = usernames
}

func (s *Server) groupMembers(group string) []any {
	var out []any
	for i, u := range s.members[strings.ToLower(group)] {
		out = append(out, map[string]any{"id": 1000 + i, "username": u, "name": u, "state": "active", "access_level": 30,
			"web_url": "https://gitlab.example.com/" + u})
	}
	if out == nil {
		out = []any{}
	}
	return out
}
