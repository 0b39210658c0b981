package githubtest

import (
	"net/http"
	"sort"
	"strings"
)

// GET /repos/{owner}/{repo}/environments and
// /repos/{owner}/{repo}/actions/workflows, as GitHub answers them: the
// environments the repo's deployments named (in {total_count,
// environments}), and the workflows its runs came from (in {total_count,
// workflows}, with name, path and state).

func (s *Server) answerSetup(req *request, repo *Repo) (int, http.Header, []byte) {
	if req.endpoint == "environments" {
		seen := map[string]bool{}
		var names []string
		for _, d := range repo.Deployments {
			if !seen[d.Environment] {
				seen[d.Environment] = true
				names = append(names, d.Environment)
			}
		}
		sort.Strings(names)
		envs := make([]any, len(names))
		for i, n := range names {
			envs[i] = map[string]any{"id": idOf(repo.FullName() + "/" + n), "name": n, "url": s.apiURL("repos", repo.Owner, repo.Name, "environments", n)}
		}
		return jsonBody(http.StatusOK, nil, map[string]any{"total_count": len(envs), "environments": envs})
	}
	seen := map[int64]bool{}
	var wfs []any
	for _, r := range repo.Runs {
		if seen[r.WorkflowID] {
			continue
		}
		seen[r.WorkflowID] = true
		wfs = append(wfs, map[string]any{"id": r.WorkflowID, "name": r.Name, "path": r.Path, "state": "active",
			"html_url": s.URL + "/" + repo.FullName() + "/blob/main/" + strings.TrimPrefix(r.Path, "/")})
	}
	return jsonBody(http.StatusOK, nil, map[string]any{"total_count": len(wfs), "workflows": orEmptyAny(wfs)})
}

func orEmptyAny(l []any) []any {
	if l == nil {
		return []any{}
	}
	return l
}
