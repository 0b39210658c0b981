package gitlabtest

import (
	"cmp"
	"encoding/base64"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// graphql answers the collector's GraphQL operations, recognised by name
// (a real GraphQL executor is out of scope): TachMergeRequests,
// TachMergeRequestNotes and TachMergeRequestCommits. Their answers have the
// shape GitLab's schema gives the fields those queries select; connections
// carry pageInfo, and cursors are opaque. Anything else gets the error a
// GitLab without such a field gives.
func (s *Server) graphql(b *graphqlBody) (int, any, http.Header) {
	s.mu.Lock()
	defer s.mu.Unlock()
	str := func(k string) string { v, _ := b.Variables[k].(string); return v }
	fullPath := str("fullPath")
	p := s.findProject(fullPath)
	for _, f := range s.MissingFields {
		if regexp.MustCompile(`\b` + regexp.QuoteMeta(f) + `\b`).MatchString(b.Query) {
			return gqlError(fmt.Sprintf("Field '%s' doesn't exist on type 'MergeRequest'", f))
		}
	}
	var data map[string]any
	switch b.op {
	case "TachMergeRequests":
		if !strings.Contains(b.Query, "sort: UPDATED_ASC") || !strings.Contains(b.Query, "updatedAfter:") {
			return gqlError("fake GitLab: TachMergeRequests must sort by UPDATED_ASC and filter updatedAfter")
		}
		if p == nil {
			return http.StatusOK, map[string]any{"data": map[string]any{"project": nil}}, nil
		}
		first := 100
		if f, ok := b.Variables["first"].(float64); ok && f > 0 {
			first = min(int(f), 100)
		}
		if s.MaxMergeRequestsPerQuery > 0 && first > s.MaxMergeRequestsPerQuery {
			return gqlError(fmt.Sprintf("Query has complexity of %d, which exceeds max complexity of 250", 250*first/s.MaxMergeRequestsPerQuery+1))
		}
		after, _ := time.Parse(time.RFC3339, str("updatedAfter"))
		data = map[string]any{"project": map[string]any{"mergeRequests": s.gqlMergeRequests(p, after, first, str("after"))}}
	case "TachMergeRequestNotes", "TachMergeRequestCommits":
		if p == nil {
			return http.StatusOK, map[string]any{"data": map[string]any{"project": nil}}, nil
		}
		m := s.mergeRequest(p, str("iid"))
		if m == nil {
			return http.StatusOK, map[string]any{"data": map[string]any{"project": map[string]any{"mergeRequest": nil}}}, nil
		}
		off := decodeOffset(str("after"))
		conn := map[string]any{}
		if b.op == "TachMergeRequestNotes" {
			conn["notes"] = gqlNotes(m, off)
		} else {
			conn["commits"] = gqlCommits(m, off)
		}
		data = map[string]any{"project": map[string]any{"mergeRequest": conn}}
	default:
		return gqlError(fmt.Sprintf("Field '%s' doesn't exist on type 'Query'", b.op))
	}
	return http.StatusOK, map[string]any{"data": data}, nil
}

func gqlError(msg string) (int, any, http.Header) {
	return http.StatusOK, map[string]any{"errors": []any{map[string]any{"message": msg, "locations": []any{}}}}, nil
}

// gqlMergeRequests is project.mergeRequests(updatedAfter, sort:
// UPDATED_ASC, first, after): a keyset on (updated_at, id), so an MR that
// is updated while a client pages moves behind the cursor.
func (s *Server) gqlMergeRequests(p *Project, after time.Time, first int, cursor string) map[string]any {
	ms := slices.Clone(p.MergeRequests)
	slices.SortStableFunc(ms, func(a, b *MergeRequest) int {
		return cmp.Or(a.UpdatedAt.Compare(b.UpdatedAt), cmp.Compare(a.ID, b.ID))
	})
	cu, cid := decodeKeyset(cursor)
	var page []*MergeRequest
	more := false
	for _, m := range ms {
		if m.UpdatedAt.Before(after) {
			continue
		}
		if cursor != "" && (m.UpdatedAt.Before(cu) || m.UpdatedAt.Equal(cu) && m.ID <= cid) {
			continue
		}
		if len(page) == first {
			more = true
			break
		}
		page = append(page, m)
	}
	end := ""
	if len(page) > 0 {
		lastMR := page[len(page)-1]
		end = encodeKeyset(lastMR.UpdatedAt, lastMR.ID)
	}
	return map[string]any{
		"pageInfo": map[string]any{"hasNextPage": more, "endCursor": nilIfEmpty(end), "hasPreviousPage": cursor != "", "startCursor": nil},
		"nodes":    mapAll(page, func(m *MergeRequest) any { return s.gqlMergeRequest(p, m) }),
	}
}

func (s *Server) gqlMergeRequest(p *Project, m *MergeRequest) map[string]any {
	labels := mapAll(m.Labels, func(l string) any { return map[string]any{"title": l} })
	return map[string]any{
		"id": fmt.Sprintf("gid://gitlab/MergeRequest/%d", m.ID), "iid": strconv.FormatInt(m.IID, 10),
		"title": m.Title, "state": m.State, "draft": m.Draft,
		"createdAt": gts(m.CreatedAt), "updatedAt": gts(m.UpdatedAt), "mergedAt": gts(m.MergedAt), "closedAt": gts(m.ClosedAt),
		"targetBranch": m.TargetBranch, "webUrl": fmt.Sprintf("%s/%s/-/merge_requests/%d", s.URL(), p.Path, m.IID),
		"mergeCommitSha": nilIfEmpty(m.MergeCommitSHA), "squashCommitSha": nilIfEmpty(m.SquashCommitSHA), "diffHeadSha": nilIfEmpty(m.SHA),
		"author":           gqlUser(m.Author),
		"labels":           map[string]any{"nodes": labels},
		"diffStatsSummary": map[string]any{"additions": m.Additions, "deletions": m.Deletions, "changes": m.Additions + m.Deletions, "fileCount": m.Files},
		"commits":          gqlCommits(m, 0),
		"notes":            gqlNotes(m, 0),
	}
}

func gqlUser(u User) any {
	if u.Username == "" {
		return nil
	}
	return map[string]any{"username": u.Username, "bot": u.Bot}
}

// gqlNotes is a page of 100 notes from offset, oldest first.
func gqlNotes(m *MergeRequest, off int) map[string]any {
	ns := slices.Clone(m.Notes)
	slices.SortStableFunc(ns, func(a, b *Note) int { return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID)) })
	page, info := offsetPage(ns, off)
	return map[string]any{"pageInfo": info, "nodes": mapAll(page, func(n *Note) any {
		return map[string]any{"id": fmt.Sprintf("gid://gitlab/Note/%d", n.ID), "body": n.Body, "system": n.System,
			"createdAt": gts(n.CreatedAt), "author": gqlUser(n.Author)}
	})}
}

// gqlCommits is a page of 100 commits from offset, newest first.
func gqlCommits(m *MergeRequest, off int) map[string]any {
	page, info := offsetPage(newestFirst(m.Commits), off)
	return map[string]any{"pageInfo": info, "nodes": mapAll(page, func(c Commit) any {
		return map[string]any{"authoredDate": gts(c.AuthoredAt)}
	})}
}

func offsetPage[T any](items []T, off int) ([]T, map[string]any) {
	const per = 100
	start, end := min(off, len(items)), min(off+per, len(items))
	info := map[string]any{"hasNextPage": end < len(items), "endCursor": nil}
	if end > start {
		info["endCursor"] = encodeOffset(end)
	}
	return items[start:end], info
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
