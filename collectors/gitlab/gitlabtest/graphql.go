package gitlabtest

import (
	"cmp"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tach-dev/tach/collectors/internal/gqlschema"
)

// schemaSDL is the subset of GitLab's published GraphQL schema a collector
// touches (testdata/README.md says where it comes from). Every query is
// validated against it before anything runs: a field or argument GitLab
// does not have gets GitLab's error, and no data.
//
//go:embed testdata/schema.graphql
var schemaSDL string

var gitlabSchema = sync.OnceValues(func() (*gqlschema.Schema, error) { return gqlschema.Parse(schemaSDL) })

// schema is the schema this GitLab serves: GitLab's, less MissingFields.
func (s *Server) schema() (*gqlschema.Schema, error) {
	sch, err := gitlabSchema()
	if err != nil {
		return nil, fmt.Errorf("gitlabtest: %w", err)
	}
	for _, f := range s.MissingFields {
		typ, field, ok := strings.Cut(f, ".")
		if !ok {
			typ, field = "MergeRequest", f
		}
		sch = sch.Without(typ, field)
	}
	return sch, nil
}

// graphql answers POST /api/graphql as GitLab does: the query is parsed and
// validated against GitLab's schema (problems: 200 with errors and no
// data), then executed against the dataset, each field answering only what
// the query selects. Connections page with opaque cursors, at most 100
// nodes a page.
func (s *Server) graphql(b *graphqlBody) (int, any, http.Header) {
	sch, err := s.schema()
	if err != nil {
		return http.StatusInternalServerError, map[string]string{"message": err.Error()}, nil
	}
	op, err := gqlschema.ParseQuery(b.Query)
	if err != nil {
		return queryFailed(fmt.Sprintf("Parse error on query: %v", err))
	}
	if ps := sch.Validate(op); len(ps) > 0 {
		errs := make([]any, len(ps))
		for i, p := range ps {
			errs[i] = map[string]any{"message": p.Message, "locations": p.JSONLocations(), "path": p.Path, "extensions": p.Extensions}
		}
		return http.StatusOK, map[string]any{"errors": errs}, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e := &gqlExec{sch: sch, vars: b.Variables}
	data := e.object(sch.Query, s.queryRoot(), op.Sels, nil)
	if e.failure != "" {
		return queryFailed(e.failure)
	}
	out := map[string]any{"data": data}
	if len(e.errs) > 0 {
		out["errors"] = e.errs
	}
	return http.StatusOK, out, nil
}

// queryFailed is GitLab's answer to a query it will not run at all (a
// parse error, a query over the complexity limit): errors, no data.
func queryFailed(msg string) (int, any, http.Header) {
	return http.StatusOK, map[string]any{"errors": []any{map[string]any{"message": msg, "locations": []any{}}}}, nil
}

// obj is an object of the fake's GraphQL graph: each field's value, or a
// resolver for fields that take arguments (or cost something to build).
type obj map[string]any

// resolver answers a field from its arguments (variables substituted).
type resolver func(args map[string]any) (any, error)

// queryFailure is a resolver's error that stops the whole query, as
// GitLab's complexity limit does.
type queryFailure struct{ msg string }

func (q *queryFailure) Error() string { return q.msg }

type gqlExec struct {
	sch     *gqlschema.Schema
	vars    map[string]any
	errs    []any
	failure string
}

// object answers a selection set on an object of type typeName.
func (e *gqlExec) object(typeName string, o obj, sels []*gqlschema.Selection, path []any) map[string]any {
	out := map[string]any{}
	for _, sel := range sels {
		if sel.Fragment {
			if sel.On == "" || e.sch.Implements(typeName, sel.On) {
				for k, v := range e.object(typeName, o, sel.Sels, path) {
					out[k] = v
				}
			}
			continue
		}
		key := sel.Key()
		p := append(slices.Clone(path), key)
		if sel.Name == "__typename" {
			out[key] = typeName
			continue
		}
		v, ok := o[sel.Name]
		if !ok {
			e.fieldError(sel, p, fmt.Sprintf("gitlabtest: %s.%s is not implemented by the fake GitLab", typeName, sel.Name))
			out[key] = nil
			continue
		}
		if r, ok := v.(resolver); ok {
			args := map[string]any{}
			for k, a := range sel.Args {
				args[k] = gqlschema.Eval(a, e.vars)
			}
			var err error
			if v, err = r(args); err != nil {
				if qf := (*queryFailure)(nil); errors.As(err, &qf) {
					e.failure = qf.msg
				}
				e.fieldError(sel, p, err.Error())
				out[key] = nil
				continue
			}
		}
		out[key] = e.value(e.sch.Field(typeName, sel.Name).Type.Named(), v, sel.Sels, p)
	}
	return out
}

// value completes a field's value: objects and lists of them by the
// selections, leaves as they are.
func (e *gqlExec) value(typeName string, v any, sels []*gqlschema.Selection, path []any) any {
	switch v := v.(type) {
	case obj:
		if v == nil {
			return nil
		}
		return e.object(typeName, v, sels, path)
	case []obj:
		out := make([]any, len(v))
		for i, o := range v {
			out[i] = e.value(typeName, o, sels, append(slices.Clone(path), i))
		}
		return out
	}
	return v
}

func (e *gqlExec) fieldError(sel *gqlschema.Selection, path []any, msg string) {
	e.errs = append(e.errs, map[string]any{"message": msg,
		"locations": []any{map[string]any{"line": sel.Pos.Line, "column": sel.Pos.Column}}, "path": path})
}

// ---- Arguments ----

func argString(args map[string]any, name string) string {
	s, _ := args[name].(string)
	return s
}

func argInt(args map[string]any, name string) (int, bool) {
	switch v := args[name].(type) {
	case int:
		return v, true
	case float64: // JSON variables
		return int(v), true
	case json.Number:
		n, err := v.Int64()
		return int(n), err == nil
	}
	return 0, false
}

// argTime reads a Time argument (ISO 8601); ok false when absent.
func argTime(args map[string]any, name string) (time.Time, bool, error) {
	s := argString(args, name)
	if s == "" {
		return time.Time{}, false, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return t, false, fmt.Errorf("%q is not a valid Time", s)
	}
	return t, true, nil
}

// pageSize is a connection's first: GitLab's default and largest page is
// 100 nodes (a larger first is cut to 100).
func pageSize(args map[string]any) int {
	if n, ok := argInt(args, "first"); ok && n >= 0 {
		return min(n, 100)
	}
	return 100
}

// ---- Connections ----

// connection is a page of nodes with its pageInfo.
func connection(nodes []obj, endCursor string, hasNext, hasPrev bool, total int) obj {
	return obj{
		"pageInfo": obj{"hasNextPage": hasNext, "hasPreviousPage": hasPrev, "endCursor": nilIfEmpty(endCursor), "startCursor": nil},
		"nodes":    nodes, "count": total,
	}
}

// offsetConnection pages items in their order by an opaque offset cursor.
func offsetConnection[T any](items []T, args map[string]any, node func(T) obj) obj {
	off := decodeOffset(argString(args, "after"))
	start, end := min(off, len(items)), min(off+pageSize(args), len(items))
	nodes := make([]obj, 0, end-start)
	for _, it := range items[start:end] {
		nodes = append(nodes, node(it))
	}
	cursor := ""
	if end > start {
		cursor = encodeOffset(end)
	}
	return connection(nodes, cursor, end < len(items), start > 0, len(items))
}

// keysetConnection pages items, sorted in the connection's order, as a
// keyset does: the items that match, past the cursor (afterCursor, asked
// only when there is one), a page of first; key is an item's cursor.
func keysetConnection[T any](items []T, args map[string]any, match, afterCursor func(T) bool, key func(T) string, node func(T) obj) obj {
	cursor, first := argString(args, "after"), pageSize(args)
	var page []obj
	end, more, total := "", false, 0
	for _, it := range items {
		if !match(it) {
			continue
		}
		total++
		switch {
		case cursor != "" && !afterCursor(it):
		case len(page) == first:
			more = true
		default:
			page = append(page, node(it))
			end = key(it)
		}
	}
	return connection(page, end, more, cursor != "", total)
}

func encodeOffset(n int) string {
	return base64.StdEncoding.EncodeToString([]byte("o:" + strconv.Itoa(n)))
}

func decodeOffset(c string) int {
	b, err := base64.StdEncoding.DecodeString(c)
	if err != nil {
		return 0
	}
	n, _ := strconv.Atoi(strings.TrimPrefix(string(b), "o:"))
	return n
}

func encodeKeyset(t time.Time, id int64) string {
	return base64.StdEncoding.EncodeToString([]byte(fmt.Sprintf("%d:%d", t.UnixNano(), id)))
}

func decodeKeyset(c string) (time.Time, int64) {
	b, err := base64.StdEncoding.DecodeString(c)
	if err != nil {
		return time.Time{}, 0
	}
	ns, id, _ := strings.Cut(string(b), ":")
	n, _ := strconv.ParseInt(ns, 10, 64)
	i, _ := strconv.ParseInt(id, 10, 64)
	return time.Unix(0, n), i
}

// ---- The graph ----

func (s *Server) queryRoot() obj {
	return obj{
		"project": resolver(func(args map[string]any) (any, error) {
			p := s.findProject(argString(args, "fullPath"))
			if p == nil {
				return obj(nil), nil
			}
			return s.gqlProject(p), nil
		}),
	}
}

func (s *Server) gqlProject(p *Project) obj {
	name := p.Path[strings.LastIndexByte(p.Path, '/')+1:]
	return obj{
		"id": fmt.Sprintf("gid://gitlab/Project/%d", p.ID), "fullPath": p.Path, "name": name, "path": name,
		"nameWithNamespace": strings.ReplaceAll(p.Path, "/", " / "), "archived": p.Archived, "description": nil,
		"createdAt": gts(p.CreatedAt), "lastActivityAt": gts(p.CreatedAt), "webUrl": s.URL() + "/" + p.Path,
		"mergeRequests": resolver(func(args map[string]any) (any, error) { return s.gqlMergeRequests(p, args) }),
		"mergeRequest": resolver(func(args map[string]any) (any, error) {
			if m := s.mergeRequest(p, argString(args, "iid")); m != nil {
				return s.gqlMergeRequest(p, m), nil
			}
			return obj(nil), nil
		}),
		"pipelines": resolver(func(args map[string]any) (any, error) { return s.gqlPipelines(p, args) }),
		"pipeline": resolver(func(args map[string]any) (any, error) {
			for _, pl := range p.Pipelines {
				if iid := argString(args, "iid"); iid != "" && iid == strconv.FormatInt(pl.IID, 10) ||
					argString(args, "id") == pipelineGID(pl) || argString(args, "sha") != "" && argString(args, "sha") == pl.SHA {
					return s.gqlPipeline(p, pl), nil
				}
			}
			return obj(nil), nil
		}),
	}
}

// gqlMergeRequests is project.mergeRequests(updatedAfter, updatedBefore,
// sort: UPDATED_ASC, first, after): a keyset on (updated_at, id), so an MR
// that is updated while a client pages moves behind the cursor. Both
// bounds are inclusive, as GitLab's (updated_at >= / <=). The fake serves
// no other order. iids keeps only the merge requests of those iids.
func (s *Server) gqlMergeRequests(p *Project, args map[string]any) (any, error) {
	if sort := argString(args, "sort"); sort != "UPDATED_ASC" {
		return nil, fmt.Errorf("gitlabtest: mergeRequests is served sorted by UPDATED_ASC only, not %q", cmp.Or(sort, "created_desc"))
	}
	first := pageSize(args)
	if s.MaxMergeRequestsPerQuery > 0 && first > s.MaxMergeRequestsPerQuery {
		return nil, &queryFailure{fmt.Sprintf("Query has complexity of %d, which exceeds max complexity of 250", 250*first/s.MaxMergeRequestsPerQuery+1)}
	}
	after, hasAfter, err := argTime(args, "updatedAfter")
	if err != nil {
		return nil, err
	}
	before, hasBefore, err := argTime(args, "updatedBefore")
	if err != nil {
		return nil, err
	}
	ms := slices.Clone(p.MergeRequests)
	if iids, ok := args["iids"].([]any); ok {
		ms = slices.DeleteFunc(ms, func(m *MergeRequest) bool {
			return !slices.Contains(iids, any(strconv.FormatInt(m.IID, 10)))
		})
	}
	slices.SortStableFunc(ms, func(a, b *MergeRequest) int {
		return cmp.Or(a.UpdatedAt.Compare(b.UpdatedAt), cmp.Compare(a.ID, b.ID))
	})
	cu, cid := decodeKeyset(argString(args, "after"))
	return keysetConnection(ms, args,
		func(m *MergeRequest) bool {
			return (!hasAfter || !m.UpdatedAt.Before(after)) && (!hasBefore || !m.UpdatedAt.After(before))
		},
		func(m *MergeRequest) bool { return m.UpdatedAt.After(cu) || m.UpdatedAt.Equal(cu) && m.ID > cid },
		func(m *MergeRequest) string { return encodeKeyset(m.UpdatedAt, m.ID) },
		func(m *MergeRequest) obj { return s.gqlMergeRequest(p, m) }), nil
}

func (s *Server) gqlMergeRequest(p *Project, m *MergeRequest) obj {
	userNotes := 0
	for _, n := range m.Notes {
		if !n.System {
			userNotes++
		}
	}
	webPath := fmt.Sprintf("/%s/-/merge_requests/%d", p.Path, m.IID)
	return obj{
		"id": fmt.Sprintf("gid://gitlab/MergeRequest/%d", m.ID), "iid": strconv.FormatInt(m.IID, 10),
		"title": m.Title, "description": "", "state": m.State, "draft": m.Draft,
		"createdAt": gts(m.CreatedAt), "updatedAt": gts(m.UpdatedAt), "mergedAt": gts(m.MergedAt), "closedAt": gts(m.ClosedAt),
		"preparedAt": gts(m.CreatedAt), "targetBranch": m.TargetBranch, "sourceBranch": m.SourceBranch,
		"projectId": p.ID, "sourceProjectId": p.ID, "targetProjectId": p.ID,
		"webPath": webPath, "webUrl": s.URL() + webPath,
		"mergeCommitSha": nilIfEmpty(m.MergeCommitSHA), "diffHeadSha": nilIfEmpty(m.SHA),
		"squash": m.Squash, "squashOnMerge": m.Squash,
		"userNotesCount": userNotes, "commitCount": len(m.Commits),
		"reference": resolver(func(args map[string]any) (any, error) {
			if full, _ := args["full"].(bool); full {
				return fmt.Sprintf("%s!%d", p.Path, m.IID), nil
			}
			return fmt.Sprintf("!%d", m.IID), nil
		}),
		"author": s.gqlUser(m.Author),
		"labels": resolver(func(args map[string]any) (any, error) {
			return offsetConnection(m.Labels, args, func(l string) obj { return obj{"title": l} }), nil
		}),
		"diffStats": resolver(func(args map[string]any) (any, error) {
			var out []obj
			for _, d := range fileDiffs(m) {
				if p := argString(args, "path"); p == "" || p == d.Path {
					out = append(out, obj{"path": d.Path, "additions": d.Additions, "deletions": d.Deletions})
				}
			}
			return out, nil
		}),
		"diffStatsSummary": obj{"additions": m.Additions, "deletions": m.Deletions, "changes": m.Additions + m.Deletions, "fileCount": m.Files},
		"commits": resolver(func(args map[string]any) (any, error) {
			return offsetConnection(newestFirst(m.Commits), args, func(c Commit) obj { return s.gqlCommit(p, c) }), nil
		}),
		"notes": resolver(func(args map[string]any) (any, error) {
			ns := slices.Clone(m.Notes)
			slices.SortStableFunc(ns, func(a, b *Note) int { return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID)) })
			return offsetConnection(ns, args, func(n *Note) obj {
				return obj{"id": fmt.Sprintf("gid://gitlab/Note/%d", n.ID), "body": n.Body, "system": n.System,
					"createdAt": gts(n.CreatedAt), "updatedAt": gts(n.CreatedAt), "author": s.gqlUser(n.Author),
					"internal": false, "resolvable": false, "resolved": false, "url": nil}
			}), nil
		}),
	}
}

func (s *Server) gqlCommit(p *Project, c Commit) obj {
	short := c.SHA[:min(8, len(c.SHA))]
	return obj{"id": "gid://gitlab/CommitPresenter/" + c.SHA, "sha": c.SHA, "shortId": short, "title": c.Title,
		"message": c.Title + "\n", "authoredDate": gts(c.AuthoredAt), "committedDate": gts(c.AuthoredAt),
		"authorName": nilIfEmpty(c.Author), "webPath": fmt.Sprintf("/%s/-/commit/%s", p.Path, c.SHA)}
}

// gqlUser is a user as GitLab's user types show one (null for none).
func (s *Server) gqlUser(u User) obj {
	if u.Username == "" {
		return nil
	}
	return obj{
		"id": fmt.Sprintf("gid://gitlab/User/%d", userID(u.Username)), "username": u.Username,
		"name": strings.ToUpper(u.Username[:1]) + u.Username[1:], "bot": u.Bot, "human": !u.Bot,
		"state": "active", "active": true, "publicEmail": nil,
		"avatarUrl": "https://secure.gravatar.com/avatar/" + u.Username,
		"webPath":   "/" + u.Username, "webUrl": s.URL() + "/" + u.Username,
	}
}

func pipelineGID(pl *Pipeline) string { return fmt.Sprintf("gid://gitlab/Ci::Pipeline/%d", pl.ID) }

// gqlPipelines is project.pipelines(updatedAfter, updatedBefore, ref,
// sha, source, status, first, after): as GitLab lists them, newest id
// first, keyed on the id (an update does not move a pipeline).
func (s *Server) gqlPipelines(p *Project, args map[string]any) (any, error) {
	after, hasAfter, err := argTime(args, "updatedAfter")
	if err != nil {
		return nil, err
	}
	before, hasBefore, err := argTime(args, "updatedBefore")
	if err != nil {
		return nil, err
	}
	pls := slices.Clone(p.Pipelines)
	slices.SortFunc(pls, func(a, b *Pipeline) int { return cmp.Compare(b.ID, a.ID) })
	_, cursor := decodeKeyset(argString(args, "after"))
	return keysetConnection(pls, args,
		func(pl *Pipeline) bool {
			switch {
			case hasAfter && pl.UpdatedAt.Before(after), hasBefore && pl.UpdatedAt.After(before),
				argString(args, "ref") != "" && argString(args, "ref") != pl.Ref,
				argString(args, "sha") != "" && argString(args, "sha") != pl.SHA,
				argString(args, "source") != "" && argString(args, "source") != pl.Source,
				argString(args, "status") != "" && argString(args, "status") != strings.ToUpper(pl.Status):
				return false
			}
			return true
		},
		func(pl *Pipeline) bool { return pl.ID < cursor },
		func(pl *Pipeline) string { return encodeKeyset(time.Time{}, pl.ID) },
		func(pl *Pipeline) obj { return s.gqlPipeline(p, pl) }), nil
}

func (s *Server) gqlPipeline(p *Project, pl *Pipeline) obj {
	var duration any
	if !pl.StartedAt.IsZero() && !pl.FinishedAt.IsZero() {
		duration = int(pl.FinishedAt.Sub(pl.StartedAt).Seconds())
	}
	refPath := "refs/heads/" + pl.Ref
	if pl.Tag {
		refPath = "refs/tags/" + pl.Ref
	}
	active := slices.Contains([]string{"created", "waiting_for_resource", "preparing", "pending", "running", "scheduled"}, pl.Status)
	return obj{
		"id": pipelineGID(pl), "iid": strconv.FormatInt(pl.IID, 10), "name": nilIfEmpty(pl.Name),
		"status": strings.ToUpper(pl.Status), "source": pl.Source, "ref": pl.Ref, "refPath": refPath,
		"sha": resolver(func(args map[string]any) (any, error) {
			if argString(args, "format") == "SHORT" {
				return pl.SHA[:min(8, len(pl.SHA))], nil
			}
			return pl.SHA, nil
		}),
		"path":      fmt.Sprintf("/%s/-/pipelines/%d", p.Path, pl.ID),
		"createdAt": gts(pl.CreatedAt), "updatedAt": gts(pl.UpdatedAt),
		"startedAt": gts(pl.StartedAt), "finishedAt": gts(pl.FinishedAt), "duration": duration,
		"active": active, "complete": !active && pl.Status != "manual", "totalJobs": len(pl.Jobs),
		"user": s.gqlUser(User{Username: pl.User}),
		"jobs": resolver(func(args map[string]any) (any, error) {
			var jobs []*Job
			for _, j := range pl.Jobs {
				if r, ok := args["retried"].(bool); ok && r != j.Retried {
					continue
				}
				jobs = append(jobs, j)
			}
			return offsetConnection(jobs, args, func(j *Job) obj { return s.gqlJob(p, pl, j) }), nil
		}),
	}
}

func (s *Server) gqlJob(p *Project, pl *Pipeline, j *Job) obj {
	var duration any
	if !j.StartedAt.IsZero() && !j.FinishedAt.IsZero() {
		duration = int(j.FinishedAt.Sub(j.StartedAt).Seconds())
	}
	return obj{
		"id": fmt.Sprintf("gid://gitlab/Ci::Build/%d", j.ID), "name": j.Name, "status": strings.ToUpper(j.Status),
		"kind": "BUILD", "active": j.Status == "running" || j.Status == "pending", "allowFailure": false, "retried": j.Retried,
		"createdAt": gts(j.CreatedAt), "startedAt": gts(j.StartedAt), "finishedAt": gts(j.FinishedAt), "duration": duration,
		"refName": pl.Ref, "webPath": fmt.Sprintf("/%s/-/jobs/%d", p.Path, j.ID),
	}
}
