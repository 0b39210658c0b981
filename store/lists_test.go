package store_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/tach-dev/tach/store"
	"github.com/tach-dev/tach/store/storetest"
)

// listFixture writes two repos with changes, deployments and incidents
// spread over February 2026.
func listFixture(t *testing.T) (*store.Store, int64, int64) {
	t.Helper()
	st := storetest.New(t)
	api, web := mustRepo(t, st, "acme/api"), mustRepo(t, st, "acme/web")
	day := func(d int) time.Time { return time.Date(2026, 2, d, 10, 0, 0, 0, time.UTC) }
	err := st.Write(ctx, func(tx *store.Tx) error {
		for i := 1; i <= 12; i++ {
			repo := api
			if i%3 == 0 {
				repo = web
			}
			c := store.Change{RepoID: repo, Number: int64(i), Title: fmt.Sprintf("Change %02d", i), Author: "ada", State: store.StateMerged,
				CreatedAt: day(i), MergedAt: day(i + 1), UpdatedAt: day(i + 1), Additions: i * 10, Deletions: i, SizeKnown: i != 5,
				MergeSHA: fmt.Sprintf("m%d", i)}
			if i == 12 {
				c.State, c.MergedAt, c.Title, c.Author = store.StateOpen, time.Time{}, "<script>alert(1)</script> 100% _done_", "bob"
			}
			if _, _, err := tx.UpsertChange(ctx, c); err != nil {
				return err
			}
			status := "success"
			if i == 4 {
				status = "failure"
			}
			if _, _, err := tx.UpsertDeployment(ctx, store.Deployment{RepoID: repo, Source: "deployments", ProviderID: fmt.Sprint(i),
				Environment: "production", SHA: fmt.Sprintf("m%d", i), Status: status, CreatedAt: day(i + 1), FinishedAt: day(i + 1).Add(time.Hour), UpdatedAt: day(i + 1)}); err != nil {
				return err
			}
		}
		for i := 1; i <= 3; i++ {
			in := store.Incident{RepoID: api, Number: int64(100 + i), Title: fmt.Sprintf("Incident %d", i), CreatedAt: day(3 * i), UpdatedAt: day(3 * i)}
			if i != 3 {
				in.ResolvedAt = day(3 * i).Add(time.Duration(i) * time.Hour)
			}
			if _, _, err := tx.UpsertIncident(ctx, in); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return st, api, web
}

func TestListChangesSortsAndPages(t *testing.T) {
	st, api, web := listFixture(t)
	all := []int64{api, web}
	p, err := st.ListChanges(ctx, store.ChangeFilter{RepoIDs: all, ListOptions: store.ListOptions{Sort: "size", Dir: store.Desc, PerPage: 5}})
	if err != nil {
		t.Fatal(err)
	}
	if p.Total != 12 || len(p.Rows) != 5 || p.Sort != "size" || p.Dir != store.Desc || p.Pages() != 3 {
		t.Fatalf("page info %+v, %d rows", p.PageInfo, len(p.Rows))
	}
	for i, want := range []int64{12, 11, 10, 9, 8} {
		if p.Rows[i].Number != want {
			t.Errorf("row %d is #%d, want #%d", i, p.Rows[i].Number, want)
		}
	}
	if p.Rows[0].RepoName != "acme/web" {
		t.Errorf("repo name %q", p.Rows[0].RepoName)
	}
	// The last page ends with the change of unknown size, whichever the
	// direction.
	for _, dir := range []string{store.Asc, store.Desc} {
		last, err := st.ListChanges(ctx, store.ChangeFilter{RepoIDs: all, ListOptions: store.ListOptions{Sort: "size", Dir: dir, PerPage: 5, Page: 3}})
		if err != nil {
			t.Fatal(err)
		}
		if n := len(last.Rows); n != 2 || last.Rows[n-1].Number != 5 {
			t.Errorf("%s: last page %+v", dir, last.Rows)
		}
	}
	// Filters: state, a search in the title (taken literally: % and _ are
	// not wildcards), a repo, and the window.
	open, _ := st.ListChanges(ctx, store.ChangeFilter{RepoIDs: all, State: store.StateOpen})
	if open.Total != 1 || open.Rows[0].Title != "<script>alert(1)</script> 100% _done_" {
		t.Errorf("open changes: %+v", open.Rows)
	}
	for q, want := range map[string]int{"100%": 1, "_done_": 1, "%": 1, "change 0": 9, "ADA": 11, "nothing": 0} {
		p, err := st.ListChanges(ctx, store.ChangeFilter{RepoIDs: all, Query: q})
		if err != nil || p.Total != want {
			t.Errorf("search %q: %d rows, want %d (%v)", q, p.Total, want, err)
		}
	}
	webOnly, _ := st.ListChanges(ctx, store.ChangeFilter{RepoIDs: []int64{web}})
	if webOnly.Total != 4 {
		t.Errorf("acme/web has %d changes, want 4", webOnly.Total)
	}
	none, _ := st.ListChanges(ctx, store.ChangeFilter{RepoIDs: []int64{}})
	if none.Total != 0 || none.Rows == nil {
		t.Errorf("no repos: %+v", none)
	}
	// Open at some moment of [Feb 5, Feb 8): created before the 8th, not
	// merged before the 5th: #4 (merged the 5th) … #7, and the open #12 is
	// created after.
	win, _ := st.ListChanges(ctx, store.ChangeFilter{RepoIDs: all,
		From: time.Date(2026, 2, 5, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 2, 8, 0, 0, 0, 0, time.UTC), ListOptions: store.ListOptions{Sort: "number", Dir: store.Asc}})
	var got []int64
	for _, r := range win.Rows {
		got = append(got, r.Number)
	}
	if fmt.Sprint(got) != "[4 5 6 7]" {
		t.Errorf("window holds %v, want [4 5 6 7]", got)
	}
}

func TestListsRefuseUnknownSortAndFilters(t *testing.T) {
	st, api, _ := listFixture(t)
	bad := []error{}
	_, err := st.ListChanges(ctx, store.ChangeFilter{RepoIDs: []int64{api}, ListOptions: store.ListOptions{Sort: "created; DROP TABLE changes"}})
	bad = append(bad, err)
	_, err = st.ListChanges(ctx, store.ChangeFilter{RepoIDs: []int64{api}, ListOptions: store.ListOptions{Sort: "created", Dir: "sideways"}})
	bad = append(bad, err)
	_, err = st.ListChanges(ctx, store.ChangeFilter{RepoIDs: []int64{api}, ListOptions: store.ListOptions{PerPage: store.MaxPerPage + 1}})
	bad = append(bad, err)
	_, err = st.ListChanges(ctx, store.ChangeFilter{RepoIDs: []int64{api}, State: "draft"})
	bad = append(bad, err)
	_, err = st.ListDeployments(ctx, store.DeploymentFilter{RepoIDs: []int64{api}, ListOptions: store.ListOptions{Sort: "title"}})
	bad = append(bad, err)
	_, err = st.ListDeployments(ctx, store.DeploymentFilter{RepoIDs: []int64{api}, Kind: "bogus"})
	bad = append(bad, err)
	_, err = st.ListIncidents(ctx, store.IncidentFilter{RepoIDs: []int64{api}, Status: "bogus"})
	bad = append(bad, err)
	for i, err := range bad {
		if !errors.Is(err, store.ErrBadListQuery) {
			t.Errorf("case %d: %v, want ErrBadListQuery", i, err)
		}
	}
	// The table is still there.
	if p, err := st.ListChanges(ctx, store.ChangeFilter{RepoIDs: []int64{api}}); err != nil || p.Total == 0 {
		t.Errorf("after the bad sorts: %v, %d rows", err, p.Total)
	}
	if keys := store.SortKeys("deployments"); len(keys) == 0 || keys[0] != "finished" {
		t.Errorf("deployment sort keys %v", keys)
	}
}

func TestListDeploymentsAndIncidents(t *testing.T) {
	st, api, web := listFixture(t)
	all := []int64{api, web}
	deps, err := st.ListDeployments(ctx, store.DeploymentFilter{RepoIDs: all, ListOptions: store.ListOptions{Sort: "repo", Dir: store.Asc, PerPage: 50}})
	if err != nil {
		t.Fatal(err)
	}
	if deps.Total != 12 || deps.Rows[0].RepoName != "acme/api" || deps.Rows[11].RepoName != "acme/web" {
		t.Errorf("deployments by repo: %d rows, first %q, last %q", deps.Total, deps.Rows[0].RepoName, deps.Rows[len(deps.Rows)-1].RepoName)
	}
	// Derived columns are 0 until derive runs: no production deployment yet.
	prod, _ := st.ListDeployments(ctx, store.DeploymentFilter{RepoIDs: all, Kind: store.KindProduction})
	if prod.Total != 0 {
		t.Errorf("%d production deployments before derive", prod.Total)
	}
	byChanges, err := st.ListDeployments(ctx, store.DeploymentFilter{RepoIDs: all, ListOptions: store.ListOptions{Sort: "changes"}})
	if err != nil || byChanges.Sort != "changes" || byChanges.Dir != store.Desc {
		t.Errorf("sort by changes: %v %+v", err, byChanges.PageInfo)
	}
	window, _ := st.ListDeployments(ctx, store.DeploymentFilter{RepoIDs: all, From: time.Date(2026, 2, 3, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 2, 5, 0, 0, 0, 0, time.UTC)})
	if window.Total != 2 {
		t.Errorf("deployments finished Feb 3–4: %d, want 2", window.Total)
	}

	ins, err := st.ListIncidents(ctx, store.IncidentFilter{RepoIDs: all, ListOptions: store.ListOptions{Sort: "duration", Dir: store.Desc}})
	if err != nil {
		t.Fatal(err)
	}
	if ins.Total != 3 || ins.Rows[0].Number != 102 || ins.Rows[2].Number != 103 {
		t.Errorf("incidents by duration: %+v", ins.Rows)
	}
	open, _ := st.ListIncidents(ctx, store.IncidentFilter{RepoIDs: all, Status: store.IncidentOpen})
	if open.Total != 1 || open.Rows[0].Number != 103 {
		t.Errorf("open incidents: %+v", open.Rows)
	}
}

// A team by people: the changes of some logins in a repo the scope does
// not hold whole (matched without case), beside the repos it does.
func TestListChangesOfAuthors(t *testing.T) {
	st, api, web := listFixture(t)
	for _, c := range []struct {
		repos   []int64
		authors []store.RepoAuthors
		want    int
	}{
		{[]int64{}, []store.RepoAuthors{{RepoID: api, Logins: []string{"bob"}}}, 0},        // bob wrote in acme/web only
		{[]int64{}, []store.RepoAuthors{{RepoID: web, Logins: []string{"bob"}}}, 1},        // #12
		{[]int64{}, []store.RepoAuthors{{RepoID: api, Logins: []string{"ada", "bob"}}}, 8}, // acme/api's eight, all ada's
		{[]int64{web}, []store.RepoAuthors{{RepoID: api, Logins: []string{"carol"}}}, 4},   // the whole repo only
		{[]int64{web}, []store.RepoAuthors{{RepoID: api, Logins: []string{"ada"}}}, 12},    // the repo and ada's in the other
		{[]int64{}, []store.RepoAuthors{{RepoID: web, Logins: []string{}}}, 0},             // no logins: nothing
	} {
		p, err := st.ListChanges(ctx, store.ChangeFilter{RepoIDs: c.repos, Modules: store.ModuleFilter{Authors: c.authors}})
		if err != nil || p.Total != c.want {
			t.Errorf("repos %v, authors %+v: %d rows, want %d (%v)", c.repos, c.authors, p.Total, c.want, err)
		}
	}
}
