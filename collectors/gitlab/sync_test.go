package gitlab_test

import (
	"context"
	"testing"
	"time"

	"github.com/tach-dev/tach/store"
)

func mustRepoID(t *testing.T, st *store.Store, name string) int64 {
	t.Helper()
	r, err := st.RepoByName(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return r.ID
}

func change(t *testing.T, st *store.Store, repo string, iid int64) store.Change {
	t.Helper()
	c, err := st.ChangeByNumber(context.Background(), mustRepoID(t, st, repo), iid)
	if err != nil {
		t.Fatalf("change !%d: %v", iid, err)
	}
	return c
}

func TestSyncBillingRows(t *testing.T) {
	h := newHarness(t)
	h.srv.AddProject(billing())
	h.mustSync(repo("acme/platform/billing"))
	st, name := h.st, "acme/platform/billing"

	r, err := st.RepoByName(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	if r.DefaultBranch != "main" || r.Provider != store.GitLab || r.URL == "" || r.ProviderID == "" {
		t.Errorf("repo row = %+v", r)
	}

	c1 := change(t, st, name, 1)
	if c1.State != store.StateMerged || c1.MergeSHA != shaM1 || !c1.MergedAt.Equal(at(3*hour)) ||
		!c1.FirstCommitAt.Equal(at(-2*hour)) || !c1.ReadyAt.Equal(at(0)) || c1.Additions != 120 || c1.Deletions != 30 ||
		c1.ChangedFiles != 4 || !c1.SizeKnown || c1.BaseBranch != "main" || c1.Author != "alice" || c1.AuthorIsBot {
		t.Errorf("!1 = %+v", c1)
	}
	if len(c1.Labels) != 1 || c1.Labels[0] != "feature" {
		t.Errorf("!1 labels = %v", c1.Labels)
	}
	// bob's comment and approval; alice's own reply is not a review.
	if len(c1.Reviews) != 2 || c1.Reviews[0].Author != "bob" || c1.Reviews[0].State != "commented" ||
		!c1.Reviews[0].SubmittedAt.Equal(at(hour)) || c1.Reviews[1].State != "approved" || !c1.Reviews[1].SubmittedAt.Equal(at(2*hour)) {
		t.Errorf("!1 reviews = %+v", c1.Reviews)
	}

	c2 := change(t, st, name, 2)
	if !c2.ReadyAt.Equal(at(day+2*hour)) || c2.SquashSHA != shaS2 || c2.MergeSHA != shaM2 || c2.Draft {
		t.Errorf("!2 = %+v", c2)
	}
	// The bot's comment is stored with its flag; the rules leave it out.
	var sawBot bool
	for _, rv := range c2.Reviews {
		if rv.Author == "renovate-bot" {
			sawBot = rv.AuthorIsBot
		}
	}
	if !sawBot || len(c2.Reviews) != 3 {
		t.Errorf("!2 reviews = %+v", c2.Reviews)
	}

	if c3 := change(t, st, name, 3); !c3.AuthorIsBot || c3.SquashSHA != shaS3 {
		t.Errorf("!3 (bot) = %+v", c3)
	}
	if c4 := change(t, st, name, 4); !c4.Draft || !c4.ReadyAt.IsZero() || c4.State != store.StateOpen {
		t.Errorf("!4 (draft) = %+v", c4)
	}
	if c5 := change(t, st, name, 5); c5.State != store.StateClosed || !c5.ClosedAt.Equal(at(4*day+2*hour)) {
		t.Errorf("!5 (closed) = %+v", c5)
	}
	// A fast-forward merge: the head commit is the one that lands.
	if c6 := change(t, st, name, 6); c6.MergeSHA != shaH6 || c6.SquashSHA != "" {
		t.Errorf("!6 (fast-forward) = %+v", c6)
	}

	deps, err := st.DeploymentsForWindow(context.Background(), []int64{r.ID}, at(-day).Unix(), at(30*day).Unix())
	if err != nil {
		t.Fatal(err)
	}
	byStatus := map[string]int{}
	envs := map[string]int{}
	for _, d := range deps {
		byStatus[d.Status]++
		envs[d.Environment]++
		if d.Environment == "live" && d.EnvironmentTier != "production" {
			t.Errorf("live deployment tier = %q", d.EnvironmentTier)
		}
	}
	// finished ones: 4 successes (3 production + live), 1 failure, 1 canceled; staging left out
	if byStatus["success"] != 4 || byStatus["failure"] != 1 || byStatus["canceled"] != 1 || envs["staging"] != 0 {
		t.Errorf("deployments by status %v, by environment %v", byStatus, envs)
	}

	runs, err := st.CIRunsForWindow(context.Background(), []int64{r.ID}, at(-day).Unix(), at(30*day).Unix())
	if err != nil {
		t.Fatal(err)
	}
	concl := map[string]time.Duration{}
	for _, run := range runs {
		concl[run.Conclusion] = run.FinishedAt.Sub(run.StartedAt)
	}
	if concl["success"] != 10*time.Minute || concl["failure"] != 5*time.Minute || concl["cancelled"] != time.Minute || len(runs) != 3 {
		t.Errorf("finished runs: %v (%d)", concl, len(runs))
	}

	incs, err := st.IncidentsForWindow(context.Background(), []int64{r.ID}, at(-day).Unix(), at(30*day).Unix())
	if err != nil {
		t.Fatal(err)
	}
	titles := map[string]bool{}
	for _, in := range incs {
		titles[in.Title] = true
	}
	if len(incs) != 3 || !titles["Checkout down"] || !titles["Exports time out"] || !titles["Payments degraded"] {
		t.Errorf("incidents = %v", titles)
	}

	// Ranges: D3 (prev D1: M1...S2) and D5 (prev D3: S2...H6); D1 and the
	// first "live" deployment have none (they link by time).
	h2, err := st.RepoHistory(context.Background(), r.ID)
	if err != nil {
		t.Fatal(err)
	}
	ranges := map[string][]string{}
	for _, d := range h2.Deployments {
		if d.RangeFetched {
			ranges[d.SHA+"@"+d.Environment] = d.RangeSHAs
		}
	}
	if got := ranges[shaS2+"@production"]; len(got) != 1 || got[0] != shaS2 {
		t.Errorf("range of D3 = %v", got)
	}
	if got := ranges[shaH6+"@production"]; len(got) != 2 {
		t.Errorf("range of D5 = %v", got)
	}
	if len(ranges) != 2 {
		t.Errorf("ranges fetched: %v", ranges)
	}
}

func splitLines(s string) []string {
	var out []string
	start := 0
	for i := range len(s) {
		if s[i] == '\n' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}
