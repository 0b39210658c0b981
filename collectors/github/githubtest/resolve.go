package githubtest

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// GraphQL resolvers: each wraps a dataset object and answers its fields
// with GitHub's names and types.

type queryRoot struct{}

func (queryRoot) gqlType() string { return "Query" }
func (queryRoot) field(e *executor, name string, args map[string]any) (any, error) {
	switch name {
	case "repository":
		full := argString(args, "owner") + "/" + argString(args, "name")
		r := e.s.repos[strings.ToLower(full)]
		if r == nil {
			return nil, &resolveError{"NOT_FOUND", fmt.Sprintf("Could not resolve to a Repository with the name '%s'.", full)}
		}
		return repoObj{r}, nil
	case "rateLimit":
		w := e.s.window("graphql")
		return rateLimitObj{cost: e.cost, limit: w.limit, used: w.used + e.cost, reset: w.reset}, nil
	case "viewer":
		return actorObj{Person("viewer")}, nil
	}
	return nil, notImplemented("Query", name)
}

type rateLimitObj struct {
	cost, limit, used int
	reset             time.Time
}

func (r rateLimitObj) gqlType() string { return "RateLimit" }
func (r rateLimitObj) field(e *executor, name string, args map[string]any) (any, error) {
	switch name {
	case "cost":
		return r.cost, nil
	case "limit":
		return r.limit, nil
	case "remaining":
		return max(0, r.limit-r.used), nil
	case "used":
		return r.used, nil
	case "resetAt":
		return r.reset, nil
	case "nodeCount":
		return 0, nil
	}
	return nil, notImplemented("RateLimit", name)
}

type repoObj struct{ r *Repo }

func (o repoObj) gqlType() string { return "Repository" }
func (o repoObj) field(e *executor, name string, args map[string]any) (any, error) {
	r := o.r
	switch name {
	case "id":
		return fmt.Sprintf("R_%d", r.ID), nil
	case "databaseId":
		return r.ID, nil
	case "name":
		return r.Name, nil
	case "nameWithOwner":
		return r.FullName(), nil
	case "url":
		return e.s.URL + "/" + r.FullName(), nil
	case "createdAt", "updatedAt":
		return r.CreatedAt, nil
	case "isArchived":
		return r.Archived, nil
	case "defaultBranchRef":
		return refObj{name: r.DefaultBranch, prefix: "refs/heads/", r: r}, nil
	case "object":
		return o.object(args), nil
	case "pullRequests":
		return o.pullRequests(args)
	case "deployments":
		return o.deployments(args)
	case "releases":
		return o.releases(args)
	case "issues":
		return o.issues(args)
	case "pullRequest":
		n, _ := toInt(args["number"])
		for _, p := range r.PullRequests {
			if p.Number == n {
				return prObj{r, p}, nil
			}
		}
		return nil, &resolveError{"NOT_FOUND", fmt.Sprintf("Could not resolve to a PullRequest with the number of %d.", n)}
	}
	return nil, notImplemented("Repository", name)
}

// prOrder is a repo's pull requests sorted as a query with no filter asks
// for them, kept between requests: a sync of 100,000 pull requests asks
// for a thousand pages, and sorting them all for each would make the fake,
// not the client, the benchmark's bottleneck. Each use checks it in one
// pass and sorts again if a pull request was added or moved.
type prOrder struct {
	field string
	desc  bool
	src   []*PullRequest // Repo.PullRequests as it was
	prs   []*PullRequest
	keys  []sortKey
}

// sortedPRs returns the repo's pull requests in the order of field and
// desc, with their keys.
func (o repoObj) sortedPRs(field string, desc bool, key func(*PullRequest) sortKey) ([]*PullRequest, []sortKey) {
	c := o.r.prOrder
	// The same pull requests as when sorted (none added or swapped), and
	// none of their keys moved: the order still holds.
	valid := c != nil && c.field == field && c.desc == desc && slices.Equal(c.src, o.r.PullRequests)
	for i := 0; valid && i < len(c.prs); i++ {
		valid = key(c.prs[i]) == c.keys[i]
	}
	if !valid {
		prs := slices.Clone(o.r.PullRequests)
		sortBy(prs, key, desc)
		keys := make([]sortKey, len(prs))
		for i, p := range prs {
			keys[i] = key(p)
		}
		c = &prOrder{field: field, desc: desc, src: slices.Clone(o.r.PullRequests), prs: prs, keys: keys}
		o.r.prOrder = c
	}
	return c.prs, c.keys
}

func (o repoObj) pullRequests(args map[string]any) (any, error) {
	states := argStrings(args, "states")
	labels := argStrings(args, "labels")
	field, desc := order(args, "CREATED_AT", false)
	allStates := len(states) == 0 || (len(states) == 3 && slices.Contains(states, "OPEN") && slices.Contains(states, "CLOSED") && slices.Contains(states, "MERGED"))
	key := func(p *PullRequest) sortKey {
		if field == "UPDATED_AT" {
			return timeKey(p.UpdatedAt, int64(p.Number))
		}
		return timeKey(p.CreatedAt, int64(p.Number))
	}
	prs, keys := o.sortedPRs(field, desc, key)
	if allStates && len(labels) == 0 && argString(args, "baseRefName") == "" && argString(args, "headRefName") == "" {
		return paginateSorted("pullRequests", args, keys, desc, func(i int) any { return prObj{o.r, prs[i]} })
	}
	// Filtering the sorted list keeps its order.
	var items []any
	var kept []sortKey
	for i, p := range prs {
		if len(states) > 0 && !slices.Contains(states, strings.ToUpper(p.State())) {
			continue
		}
		if b := argString(args, "baseRefName"); b != "" && b != p.BaseRef {
			continue
		}
		if h := argString(args, "headRefName"); h != "" && h != p.HeadRef {
			continue
		}
		if len(labels) > 0 && !anyLabel(p.Labels, labels) {
			continue
		}
		items, kept = append(items, prObj{o.r, p}), append(kept, keys[i])
	}
	return paginate("pullRequests", args, items, kept, desc)
}

func (o repoObj) deployments(args map[string]any) (any, error) {
	envs := argStrings(args, "environments")
	_, desc := order(args, "CREATED_AT", false)
	var deps []*Deployment
	for _, d := range o.r.Deployments {
		if len(envs) > 0 && !slices.Contains(envs, d.Environment) {
			continue
		}
		deps = append(deps, d)
	}
	key := func(d *Deployment) sortKey { return timeKey(d.CreatedAt, d.ID) }
	sortBy(deps, key, desc)
	items, keys := make([]any, len(deps)), make([]sortKey, len(deps))
	for i, d := range deps {
		items[i], keys[i] = deploymentObj{o.r, d}, key(d)
	}
	return paginate("deployments", args, items, keys, desc)
}

func (o repoObj) releases(args map[string]any) (any, error) {
	field, desc := order(args, "CREATED_AT", false)
	if field != "CREATED_AT" {
		return nil, fmt.Errorf("githubtest: releases ordered by %s are not supported by the fake", field)
	}
	rels := slices.Clone(o.r.Releases)
	key := func(r *Release) sortKey { return timeKey(r.CreatedAt, r.ID) }
	sortBy(rels, key, desc)
	items, keys := make([]any, len(rels)), make([]sortKey, len(rels))
	for i, r := range rels {
		items[i], keys[i] = releaseObj{o.r, r}, key(r)
	}
	return paginate("releases", args, items, keys, desc)
}

func (o repoObj) issues(args map[string]any) (any, error) {
	labels := argStrings(args, "labels")
	states := argStrings(args, "states")
	var since time.Time
	if f, ok := args["filterBy"].(map[string]any); ok {
		labels = append(labels, argStrings(f, "labels")...)
		states = append(states, argStrings(f, "states")...)
		var err error
		if since, err = argTime(f, "since"); err != nil {
			return nil, err
		}
	}
	field, desc := order(args, "CREATED_AT", false)
	var out []*Issue
	for _, is := range o.r.Issues {
		if len(states) > 0 && !slices.Contains(states, strings.ToUpper(is.State())) {
			continue
		}
		if len(labels) > 0 && !anyLabel(is.Labels, labels) {
			continue
		}
		if !since.IsZero() && is.UpdatedAt.Before(since) {
			continue
		}
		out = append(out, is)
	}
	key := func(is *Issue) sortKey {
		if field == "UPDATED_AT" {
			return timeKey(is.UpdatedAt, int64(is.Number))
		}
		return timeKey(is.CreatedAt, int64(is.Number))
	}
	sortBy(out, key, desc)
	items, keys := make([]any, len(out)), make([]sortKey, len(out))
	for i, is := range out {
		items[i], keys[i] = issueObj{o.r, is}, key(is)
	}
	return paginate("issues", args, items, keys, desc)
}

// anyLabel reports whether have holds one of want: GraphQL's label filters
// match any of the labels given.
func anyLabel(have, want []string) bool {
	return slices.ContainsFunc(have, func(h string) bool {
		return slices.ContainsFunc(want, func(w string) bool { return strings.EqualFold(h, w) })
	})
}

func sortBy[T any](items []T, key func(T) sortKey, desc bool) {
	sort.SliceStable(items, func(i, j int) bool {
		if desc {
			return key(items[j]).less(key(items[i]))
		}
		return key(items[i]).less(key(items[j]))
	})
}

// object resolves Repository.object(oid:, expression:): a commit of the
// graph by its sha, or the default branch's tip by the branch's name (or
// HEAD); null when there is none (GitHub answers null, not an error).
func (o repoObj) object(args map[string]any) any {
	g := o.r.commitGraph()
	oid := argString(args, "oid")
	if oid == "" {
		switch expr := argString(args, "expression"); expr {
		case o.r.DefaultBranch, "HEAD", "refs/heads/" + o.r.DefaultBranch:
			if len(o.r.Commits) == 0 {
				return nil
			}
			oid = o.r.Commits[len(o.r.Commits)-1].SHA
		default:
			oid = expr
		}
	}
	if len(oid) != 40 {
		return nil
	}
	i, ok := g.byID[oid]
	if !ok {
		return nil
	}
	return commitObj{g.nodes[i], o.r}
}

type refObj struct {
	name, prefix string
	r            *Repo
}

func (r refObj) gqlType() string { return "Ref" }
func (r refObj) field(e *executor, name string, args map[string]any) (any, error) {
	switch name {
	case "name":
		return r.name, nil
	case "prefix":
		return r.prefix, nil
	case "id":
		return "REF_" + r.name, nil
	case "target":
		// The default branch's tip; the fake keeps no other branch heads.
		if r.prefix != "refs/heads/" || r.name != r.r.DefaultBranch || len(r.r.Commits) == 0 {
			return nil, nil
		}
		return commitObj{r.r.commitGraph().nodes[len(r.r.Commits)-1], r.r}, nil
	}
	return nil, notImplemented("Ref", name)
}

// actorObj is a User or a Bot.
type actorObj struct{ u User }

func (a actorObj) gqlType() string {
	if a.u.Bot {
		return "Bot"
	}
	return "User"
}

func (a actorObj) field(e *executor, name string, args map[string]any) (any, error) {
	switch name {
	case "login":
		return a.u.graphQLLogin(), nil
	case "id":
		return fmt.Sprintf("U_%d", a.u.ID), nil
	case "databaseId":
		return a.u.ID, nil
	case "url":
		return e.s.URL + "/" + a.u.Login, nil
	case "resourcePath":
		return "/" + a.u.Login, nil
	case "avatarUrl":
		return fmt.Sprintf("%s/avatars/u/%d", e.s.URL, a.u.ID), nil
	case "name":
		return a.u.Login, nil
	}
	return nil, notImplemented(a.gqlType(), name)
}

func actor(u User) any {
	if u.Login == "" {
		return nil // a deleted account: GitHub answers null
	}
	return actorObj{u}
}

type prObj struct {
	r *Repo
	p *PullRequest
}

func (o prObj) gqlType() string { return "PullRequest" }
func (o prObj) field(e *executor, name string, args map[string]any) (any, error) {
	p := o.p
	switch name {
	case "id":
		return fmt.Sprintf("PR_%d", p.ID), nil
	case "databaseId":
		return p.ID, nil
	case "fullDatabaseId":
		return itoa64(p.ID), nil // BigInt travels as a string
	case "number":
		return p.Number, nil
	case "title":
		return p.Title, nil
	case "body", "bodyText":
		return "", nil
	case "url", "permalink":
		return fmt.Sprintf("%s/%s/pull/%d", e.s.URL, o.r.FullName(), p.Number), nil
	case "resourcePath":
		return fmt.Sprintf("/%s/pull/%d", o.r.FullName(), p.Number), nil
	case "author":
		return actor(p.Author), nil
	case "isDraft":
		return p.Draft, nil
	case "state":
		return strings.ToUpper(p.State()), nil
	case "closed":
		return p.State() != "open", nil
	case "merged":
		return !p.MergedAt.IsZero(), nil
	case "createdAt", "publishedAt":
		return p.CreatedAt, nil
	case "updatedAt":
		return p.UpdatedAt, nil
	case "mergedAt":
		return zeroNil(p.MergedAt), nil
	case "closedAt":
		return zeroNil(p.ClosedAt), nil
	case "baseRefName":
		return p.BaseRef, nil
	case "headRefName":
		return p.HeadRef, nil
	case "additions":
		return p.Additions, nil
	case "deletions":
		return p.Deletions, nil
	case "changedFiles":
		return p.ChangedFiles, nil
	case "mergeCommit":
		if p.MergeCommit == "" {
			return nil, nil
		}
		return commitObj{Commit{SHA: p.MergeCommit, AuthoredAt: p.MergedAt, CommittedAt: p.MergedAt}, o.r}, nil
	case "labels":
		items, keys := labelItems(o.r, p.Labels)
		return paginate("labels", args, items, keys, false)
	case "files":
		return filesConnection(p, args)
	case "commits":
		// GitHub caps a pull request's commits connection at 250, oldest first.
		commits := p.Commits[:min(len(p.Commits), 250)]
		items, keys := make([]any, len(commits)), make([]sortKey, len(commits))
		for i, c := range commits {
			items[i], keys[i] = prCommitObj{o.r, p, c}, sortKey{int64(i), 0}
		}
		return paginate("commits", args, items, keys, false)
	case "reviews":
		states := argStrings(args, "states")
		var items []any
		var keys []sortKey
		for i, rv := range p.Reviews {
			if len(states) > 0 && !slices.Contains(states, rv.State) {
				continue
			}
			items, keys = append(items, reviewObj{o.r, p, rv}), append(keys, sortKey{int64(i), 0})
		}
		return paginate("reviews", args, items, keys, false)
	case "timelineItems":
		types := argStrings(args, "itemTypes")
		since, err := argTime(args, "since")
		if err != nil {
			return nil, err
		}
		evs := slices.Clone(p.Timeline)
		sort.SliceStable(evs, func(i, j int) bool { return evs[i].At.Before(evs[j].At) })
		var items []any
		var keys []sortKey
		for i, ev := range evs {
			if len(types) > 0 && !slices.Contains(types, ev.Type) {
				continue
			}
			if !since.IsZero() && ev.At.Before(since) {
				continue
			}
			items, keys = append(items, timelineObj{ev}), append(keys, sortKey{int64(i), 0})
		}
		return paginate("timelineItems", args, items, keys, false)
	}
	return nil, notImplemented("PullRequest", name)
}

func zeroNil(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

func labelItems(r *Repo, labels []string) ([]any, []sortKey) {
	items, keys := make([]any, len(labels)), make([]sortKey, len(labels))
	for i, l := range labels {
		items[i], keys[i] = labelObj{r, l}, sortKey{int64(i), 0}
	}
	return items, keys
}

type labelObj struct {
	r    *Repo
	name string
}

func (l labelObj) gqlType() string { return "Label" }
func (l labelObj) field(e *executor, name string, args map[string]any) (any, error) {
	switch name {
	case "name":
		return l.name, nil
	case "id":
		return fmt.Sprintf("LA_%d", idOf(l.r.FullName()+"#"+l.name)), nil
	case "color":
		return "d73a4a", nil
	case "description":
		return nil, nil
	case "isDefault":
		return false, nil
	}
	return nil, notImplemented("Label", name)
}

type prCommitObj struct {
	r *Repo
	p *PullRequest
	c Commit
}

func (o prCommitObj) gqlType() string { return "PullRequestCommit" }
func (o prCommitObj) field(e *executor, name string, args map[string]any) (any, error) {
	switch name {
	case "id":
		return "PRC_" + o.c.SHA[:10], nil
	case "commit":
		return commitObj{o.c, o.r}, nil
	case "url":
		return fmt.Sprintf("%s/%s/pull/%d/commits/%s", e.s.URL, o.r.FullName(), o.p.Number, o.c.SHA), nil
	case "resourcePath":
		return fmt.Sprintf("/%s/pull/%d/commits/%s", o.r.FullName(), o.p.Number, o.c.SHA), nil
	}
	return nil, notImplemented("PullRequestCommit", name)
}

type commitObj struct {
	c Commit
	r *Repo
}

func (o commitObj) gqlType() string { return "Commit" }
func (o commitObj) field(e *executor, name string, args map[string]any) (any, error) {
	c := o.c
	switch name {
	case "oid":
		return c.SHA, nil
	case "abbreviatedOid":
		return c.SHA[:7], nil
	case "id":
		return "C_" + c.SHA[:10], nil
	case "authoredDate":
		return c.AuthoredAt, nil
	case "committedDate":
		if c.CommittedAt.IsZero() {
			return c.AuthoredAt, nil
		}
		return c.CommittedAt, nil
	case "message", "messageHeadline":
		return c.Message, nil
	case "messageBody":
		return "", nil
	case "url", "commitUrl":
		return fmt.Sprintf("%s/%s/commit/%s", e.s.URL, o.r.FullName(), c.SHA), nil
	case "parents":
		parents := c.Parents
		g := o.r.commitGraph()
		if i, ok := g.byID[c.SHA]; ok {
			parents = g.nodes[i].Parents
		}
		items, keys := make([]any, len(parents)), make([]sortKey, len(parents))
		for i, p := range parents {
			pc := Commit{SHA: p}
			if pi, ok := g.byID[p]; ok {
				pc = g.nodes[pi]
			}
			items[i], keys[i] = commitObj{pc, o.r}, sortKey{int64(i), 0}
		}
		return paginate("parents", args, items, keys, false)
	case "history":
		return o.history(args)
	}
	return nil, notImplemented("Commit", name)
}

// history answers Commit.history: the commit and its ancestors in git
// log's order (not only the first-parent line), since and until filtering
// by committer date, forward pagination only. A cursor is "<oid> <n>", the
// commit the walk started from and the offset of the item, as GitHub's
// are; one from another commit's history is refused.
func (o commitObj) history(args map[string]any) (any, error) {
	if _, ok := args["last"]; ok {
		return nil, &resolveError{"INVALID_CURSOR_ARGUMENTS", "backwards pagination unsupported for CommitHistoryConnection"}
	}
	if argString(args, "before") != "" {
		return nil, &resolveError{"INVALID_CURSOR_ARGUMENTS", "backwards pagination unsupported for CommitHistoryConnection"}
	}
	if args["path"] != nil || args["author"] != nil {
		return nil, fmt.Errorf("githubtest: history by path or author is not supported by the fake")
	}
	since, err := argTime(args, "since")
	if err != nil {
		return nil, err
	}
	until, err := argTime(args, "until")
	if err != nil {
		return nil, err
	}
	first, ok := toInt(args["first"])
	if !ok {
		return nil, fmt.Errorf("You must provide a `first` or `last` value to properly paginate the `history` connection.")
	}
	if first < 0 || first > 100 {
		return nil, fmt.Errorf("Requesting %d records on the `history` connection exceeds the `first` limit of 100 records.", first)
	}
	g := o.r.commitGraph()
	var walk []int
	if i, ok := g.byID[o.c.SHA]; ok {
		walk = g.log(i)
	}
	var nodes []Commit
	for _, i := range walk {
		c := g.nodes[i]
		if (!since.IsZero() && c.committed().Before(since)) || (!until.IsZero() && c.committed().After(until)) {
			continue
		}
		nodes = append(nodes, c)
	}
	start := 0
	if after := argString(args, "after"); after != "" {
		oid, n, ok := strings.Cut(after, " ")
		k, err := strconv.Atoi(n)
		if !ok || err != nil || oid != o.c.SHA || k < 0 {
			return nil, fmt.Errorf("`%s` does not appear to be a valid cursor.", after)
		}
		start = min(k+1, len(nodes))
	}
	end := min(start+first, len(nodes))
	conn := &connection{hasNext: end < len(nodes), hasPrev: start > 0, total: len(nodes)}
	for k := start; k < end; k++ {
		conn.nodes = append(conn.nodes, commitObj{nodes[k], o.r})
		conn.cursors = append(conn.cursors, fmt.Sprintf("%s %d", o.c.SHA, k))
	}
	return conn, nil
}

type reviewObj struct {
	r  *Repo
	p  *PullRequest
	rv Review
}

func (o reviewObj) gqlType() string { return "PullRequestReview" }
func (o reviewObj) field(e *executor, name string, args map[string]any) (any, error) {
	rv := o.rv
	switch name {
	case "id":
		return fmt.Sprintf("PRR_%d", rv.ID), nil
	case "databaseId":
		return rv.ID, nil
	case "fullDatabaseId":
		return itoa64(rv.ID), nil
	case "author":
		return actor(rv.Author), nil
	case "state":
		return rv.State, nil
	case "submittedAt", "publishedAt":
		if rv.State == "PENDING" {
			return nil, nil
		}
		return rv.SubmittedAt, nil
	case "createdAt", "updatedAt":
		return rv.SubmittedAt, nil
	case "body", "bodyText":
		return "", nil
	case "url":
		return fmt.Sprintf("%s/%s/pull/%d#pullrequestreview-%d", e.s.URL, o.r.FullName(), o.p.Number, rv.ID), nil
	}
	return nil, notImplemented("PullRequestReview", name)
}

type timelineObj struct{ ev TimelineEvent }

func (o timelineObj) gqlType() string {
	if o.ev.Type == ConvertToDraft {
		return "ConvertToDraftEvent"
	}
	return "ReadyForReviewEvent"
}

func (o timelineObj) field(e *executor, name string, args map[string]any) (any, error) {
	switch name {
	case "createdAt":
		return o.ev.At, nil
	case "id":
		return fmt.Sprintf("EV_%d", o.ev.At.UnixNano()), nil
	case "actor":
		return actor(o.ev.Actor), nil
	case "url", "resourcePath":
		return "", nil
	}
	return nil, notImplemented(o.gqlType(), name)
}

type deploymentObj struct {
	r *Repo
	d *Deployment
}

func (o deploymentObj) gqlType() string { return "Deployment" }
func (o deploymentObj) field(e *executor, name string, args map[string]any) (any, error) {
	d := o.d
	switch name {
	case "id":
		return fmt.Sprintf("DE_%d", d.ID), nil
	case "databaseId":
		return d.ID, nil
	case "environment", "originalEnvironment", "latestEnvironment":
		return d.Environment, nil
	case "commitOid":
		return d.SHA, nil
	case "commit":
		return commitObj{Commit{SHA: d.SHA}, o.r}, nil
	case "ref":
		if d.Ref == "" {
			return nil, nil
		}
		return refObj{name: d.Ref, prefix: "refs/heads/", r: o.r}, nil
	case "task":
		return d.Task, nil
	case "description", "payload":
		return nil, nil
	case "creator":
		return actorObj{d.Creator}, nil
	case "createdAt":
		return d.CreatedAt, nil
	case "updatedAt":
		return d.UpdatedAt, nil
	case "state":
		if len(d.Statuses) == 0 {
			return "PENDING", nil
		}
		return strings.ToUpper(d.Statuses[len(d.Statuses)-1].State), nil
	case "latestStatus":
		if len(d.Statuses) == 0 {
			return nil, nil
		}
		return statusObj{d, d.Statuses[len(d.Statuses)-1]}, nil
	case "statuses":
		// Newest first, as the REST list gives them.
		sts := slices.Clone(d.Statuses)
		slices.Reverse(sts)
		items, keys := make([]any, len(sts)), make([]sortKey, len(sts))
		for i, st := range sts {
			items[i], keys[i] = statusObj{d, st}, sortKey{int64(i), 0}
		}
		return paginate("statuses", args, items, keys, false)
	}
	return nil, notImplemented("Deployment", name)
}

type statusObj struct {
	d  *Deployment
	st DeploymentStatus
}

func (o statusObj) gqlType() string { return "DeploymentStatus" }
func (o statusObj) field(e *executor, name string, args map[string]any) (any, error) {
	switch name {
	case "id":
		return fmt.Sprintf("DES_%d", o.st.ID), nil
	case "state":
		return strings.ToUpper(o.st.State), nil
	case "createdAt", "updatedAt":
		return o.st.CreatedAt, nil
	case "description", "logUrl", "environmentUrl":
		return nil, nil
	case "environment":
		return o.d.Environment, nil
	case "creator":
		return actorObj{o.d.Creator}, nil
	}
	return nil, notImplemented("DeploymentStatus", name)
}

type releaseObj struct {
	r   *Repo
	rel *Release
}

func (o releaseObj) gqlType() string { return "Release" }
func (o releaseObj) field(e *executor, name string, args map[string]any) (any, error) {
	rel := o.rel
	switch name {
	case "id":
		return fmt.Sprintf("RE_%d", rel.ID), nil
	case "databaseId":
		return rel.ID, nil
	case "name":
		return rel.Name, nil
	case "tagName":
		return rel.TagName, nil
	case "url":
		return fmt.Sprintf("%s/%s/releases/tag/%s", e.s.URL, o.r.FullName(), rel.TagName), nil
	case "isDraft":
		return rel.Draft, nil
	case "isPrerelease":
		return rel.Prerelease, nil
	case "isLatest":
		return false, nil
	case "createdAt":
		return rel.CreatedAt, nil
	case "publishedAt":
		return zeroNil(rel.PublishedAt), nil
	case "updatedAt":
		return rel.UpdatedAt, nil
	case "author":
		if rel.Author.Login == "" {
			return nil, nil
		}
		u := rel.Author
		return actorObj{u}, nil
	case "tagCommit":
		if rel.TagSHA == "" {
			return nil, nil
		}
		return commitObj{Commit{SHA: rel.TagSHA}, o.r}, nil
	case "tag":
		return refObj{name: rel.TagName, prefix: "refs/tags/", r: o.r}, nil
	case "description":
		return "", nil
	}
	return nil, notImplemented("Release", name)
}

type issueObj struct {
	r  *Repo
	is *Issue
}

func (o issueObj) gqlType() string { return "Issue" }
func (o issueObj) field(e *executor, name string, args map[string]any) (any, error) {
	is := o.is
	switch name {
	case "id":
		return fmt.Sprintf("I_%d", is.ID), nil
	case "databaseId":
		return is.ID, nil
	case "fullDatabaseId":
		return itoa64(is.ID), nil
	case "number":
		return is.Number, nil
	case "title":
		return is.Title, nil
	case "body", "bodyText":
		return "", nil
	case "url":
		return fmt.Sprintf("%s/%s/issues/%d", e.s.URL, o.r.FullName(), is.Number), nil
	case "state":
		return strings.ToUpper(is.State()), nil
	case "closed":
		return is.State() == "closed", nil
	case "createdAt", "publishedAt":
		return is.CreatedAt, nil
	case "updatedAt":
		return is.UpdatedAt, nil
	case "closedAt":
		return zeroNil(is.ClosedAt), nil
	case "author":
		return actor(is.Author), nil
	case "labels":
		items, keys := labelItems(o.r, is.Labels)
		return paginate("labels", args, items, keys, false)
	}
	return nil, notImplemented("Issue", name)
}
