package githubtest

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// A pull request's changed files, as GraphQL's PullRequest.files
// (PullRequestChangedFile: path, additions, deletions, changeType) and
// REST's GET /repos/{owner}/{repo}/pulls/{number}/files (filename, status,
// additions, deletions, changes, previous_filename for a rename) show
// them. GraphQL has no previous path; REST lists at most 3000 files.

// File is a changed file of a pull request. Status is GraphQL's
// PatchStatus: ADDED, MODIFIED, DELETED, RENAMED, COPIED or CHANGED
// (MODIFIED when empty).
type File struct {
	Path         string
	PreviousPath string // a rename's or copy's old path
	Status       string
	Additions    int
	Deletions    int
}

// restFilesLimit is the most files REST lists for a pull request.
const restFilesLimit = 3000

// SetFiles gives pr these files, and the totals GitHub derives from them
// (changedFiles, additions, deletions).
func (pr *PullRequest) SetFiles(files ...File) {
	pr.Files = files
	pr.ChangedFiles, pr.Additions, pr.Deletions = len(files), 0, 0
	for _, f := range files {
		pr.Additions += f.Additions
		pr.Deletions += f.Deletions
	}
}

// files are the pull request's files: Files, or when the test set none,
// ChangedFiles files modified in one directory with the lines of the
// totals spread over them.
func (pr *PullRequest) files() []File {
	if pr.Files != nil {
		return pr.Files
	}
	n := pr.ChangedFiles
	if n <= 0 {
		return nil
	}
	out := make([]File, n)
	for i := range out {
		out[i] = File{Path: fmt.Sprintf("src/pr%d/file%03d.go", pr.Number, i+1), Status: "MODIFIED",
			Additions: pr.Additions / n, Deletions: pr.Deletions / n}
		if i == 0 {
			out[i].Additions += pr.Additions % n
			out[i].Deletions += pr.Deletions % n
		}
	}
	return out
}

func (f File) status() string {
	if f.Status == "" {
		return "MODIFIED"
	}
	return f.Status
}

// fileObj is a PullRequestChangedFile.
type fileObj struct{ f File }

func (o fileObj) gqlType() string { return "PullRequestChangedFile" }
func (o fileObj) field(e *executor, name string, args map[string]any) (any, error) {
	switch name {
	case "path":
		return o.f.Path, nil
	case "additions":
		return o.f.Additions, nil
	case "deletions":
		return o.f.Deletions, nil
	case "changeType":
		return o.f.status(), nil
	case "viewerViewedState":
		return "UNVIEWED", nil
	}
	return nil, notImplemented("PullRequestChangedFile", name)
}

// filesConnection is PullRequest.files(first, after): the files in path
// order, as GitHub lists a diff.
func filesConnection(pr *PullRequest, args map[string]any) (any, error) {
	files := sortedFiles(pr)
	items, keys := make([]any, len(files)), make([]sortKey, len(files))
	for i, f := range files {
		items[i], keys[i] = fileObj{f}, sortKey{int64(i), 0}
	}
	return paginate("files", args, items, keys, false)
}

func sortedFiles(pr *PullRequest) []File {
	files := slices.Clone(pr.files())
	slices.SortStableFunc(files, func(a, b File) int { return strings.Compare(a.Path, b.Path) })
	return files
}

// restStatus is a PatchStatus as REST spells it.
var restStatus = map[string]string{
	"ADDED": "added", "MODIFIED": "modified", "DELETED": "removed", "RENAMED": "renamed", "COPIED": "copied", "CHANGED": "changed",
}

// listPullFiles answers GET /repos/{owner}/{repo}/pulls/{number}/files.
func (s *Server) listPullFiles(req *request, repo *Repo) (int, http.Header, []byte) {
	n, _ := strconv.Atoi(req.segs[1])
	for _, p := range repo.PullRequests {
		if p.Number != n {
			continue
		}
		files := sortedFiles(p)
		files = files[:min(len(files), restFilesLimit)]
		head := "0000000000000000000000000000000000000000"
		if len(p.Commits) > 0 {
			head = p.Commits[len(p.Commits)-1].SHA
		}
		items := make([]any, len(files))
		for i, f := range files {
			item := map[string]any{
				"sha": SHA(repo.FullName() + "#" + f.Path + "#" + head), "filename": f.Path, "status": restStatus[f.status()],
				"additions": f.Additions, "deletions": f.Deletions, "changes": f.Additions + f.Deletions,
				"blob_url":     fmt.Sprintf("%s/%s/blob/%s/%s", s.URL, repo.FullName(), head, f.Path),
				"raw_url":      fmt.Sprintf("%s/%s/raw/%s/%s", s.URL, repo.FullName(), head, f.Path),
				"contents_url": s.apiURL("repos", repo.Owner, repo.Name, "contents", f.Path) + "?ref=" + head,
				"patch":        fmt.Sprintf("@@ -1,%d +1,%d @@", f.Deletions, f.Additions),
			}
			if f.PreviousPath != "" && (f.status() == "RENAMED" || f.status() == "COPIED") {
				item["previous_filename"] = f.PreviousPath
			}
			items[i] = item
		}
		return s.page(req, items, nil)
	}
	return jsonBody(http.StatusNotFound, nil, map[string]any{"message": "Not Found", "documentation_url": "https://docs.github.com/rest/pulls/pulls#list-pull-requests-files"})
}

// generateFiles gives generated pull requests files, from a random stream
// of their own (the rest of a history stays as it was): as many as each
// has (ChangedFiles), in a Go service's directories; one in 25 renames a
// file, and one in 200 is a large change of 101 to 400 files (vendored
// code, a generated client) whose lines are added to its totals.
func (r *Repo) generateFiles(h History, prs []*PullRequest) {
	rng := rand.New(rand.NewPCG(h.Seed, uint64(len(r.PullRequests))^0xf11e5))
	dirs := []string{"cmd/server", "internal/api", "internal/store", "internal/auth", "internal/billing", "web/src/components", "web/src/pages", "deploy/terraform", "docs"}
	for _, pr := range prs {
		n := max(1, pr.ChangedFiles)
		adds, dels := pr.Additions, pr.Deletions
		if rng.IntN(200) == 0 {
			extra := 101 + rng.IntN(300) - n
			n += extra
			adds += extra * (5 + rng.IntN(40))
		}
		dir := dirs[rng.IntN(len(dirs))]
		files := make([]File, n)
		for i := range files {
			d := dir
			if rng.IntN(3) == 0 {
				d = dirs[rng.IntN(len(dirs))]
			}
			files[i] = File{Path: fmt.Sprintf("%s/pr%d_%d.go", d, pr.Number, i+1), Status: "MODIFIED"}
		}
		// The lines: one of each file's share at least while there are
		// lines to give, the rest at random.
		for i := range adds {
			j := i
			if i >= n {
				j = rng.IntN(n)
			}
			files[j].Additions++
		}
		for range dels {
			files[rng.IntN(n)].Deletions++
		}
		if rng.IntN(25) == 0 {
			f := &files[rng.IntN(n)]
			f.Status, f.PreviousPath = "RENAMED", strings.Replace(f.Path, ".go", "_old.go", 1)
		}
		pr.SetFiles(files...)
	}
}
