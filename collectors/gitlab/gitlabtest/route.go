package gitlabtest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
)

// route is a parsed request: the endpoint's name (as Requests counts it),
// the project it names and the ids in its path.
type route struct {
	name     string
	project  *Project
	group    string
	iid      string // merge request iid or pipeline id
	notFound string // a 404 message, when the path names nothing

	gql *graphqlBody
}

type graphqlBody struct {
	Query     string         `json:"query"`
	Variables map[string]any `json:"variables"`
	op        string
}

var gqlOpName = regexp.MustCompile(`^\s*query\s+(\w+)`)

// route parses the request path. Project ids are numeric or URL-encoded
// full paths (acme%2Fplatform%2Fbilling), read from the escaped path so
// that %2F stays inside one segment.
func (s *Server) route(r *http.Request) route {
	if r.URL.Path == "/api/graphql" {
		var b graphqlBody
		raw, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(raw))
		_ = json.Unmarshal(raw, &b)
		if m := gqlOpName.FindStringSubmatch(b.Query); m != nil {
			b.op = m[1]
		}
		return route{name: strings.TrimSpace(r.Method + " /api/graphql " + b.op), gql: &b}
	}
	raw := strings.TrimPrefix(r.URL.EscapedPath(), "/api/v4")
	var seg []string
	for _, p := range strings.Split(strings.Trim(raw, "/"), "/") {
		u, err := url.PathUnescape(p)
		if err != nil {
			u = p
		}
		seg = append(seg, u)
	}
	rt := route{}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case len(seg) >= 2 && seg[0] == "projects":
		rt.project = s.findProject(seg[1])
		if rt.project == nil {
			rt.notFound = "404 Project Not Found"
		}
		rest := seg[2:]
		shape := []string{"projects", ":id"}
		for i, p := range rest {
			// ids after a collection name are named, not counted apart
			if i > 0 && (rest[i-1] == "merge_requests" || rest[i-1] == "pipelines" || rest[i-1] == "files") {
				rt.iid = p
				shape = append(shape, ":"+map[string]string{"merge_requests": "iid", "pipelines": "pipeline_id", "files": "file_path"}[rest[i-1]])
				continue
			}
			shape = append(shape, p)
		}
		rt.name = r.Method + " /" + strings.Join(shape, "/")
	case len(seg) == 4 && seg[0] == "groups" && seg[2] == "members" && seg[3] == "all":
		rt.group = seg[1]
		if !s.groups[seg[1]] {
			rt.notFound = "404 Group Not Found"
		}
		rt.name = r.Method + " /groups/:id/members/all"
	case len(seg) == 3 && seg[0] == "groups" && seg[2] == "projects":
		rt.group = seg[1]
		if !s.groups[seg[1]] {
			rt.notFound = "404 Group Not Found"
		}
		rt.name = r.Method + " /groups/:id/projects"
	default:
		rt.name = r.Method + " /" + strings.Join(seg, "/")
		rt.notFound = "404 Not Found"
	}
	return rt
}
