package gitlab_test

import (
	"context"
	"slices"
	"testing"

	"github.com/tach-dev/tach/collectors/gitlab"
	gt "github.com/tach-dev/tach/collectors/gitlab/gitlabtest"
	"github.com/tach-dev/tach/metrics"
	"github.com/tach-dev/tach/metrics/engine"
	"github.com/tach-dev/tach/store"
	"github.com/tach-dev/tach/store/storetest"
)

// TestGraphQLAndRESTSyncTheSameRows syncs a generated project (merge
// requests, a third of the merged ones squashed; deployments; pipelines
// with test and deploy jobs, one still running; incidents) by GraphQL and
// by REST only, for each source of deployments, derives both as tach does,
// and compares every row: the GraphQL path, with its squash commits from
// the REST list and its pipelines in pages, writes what REST does.
func TestGraphQLAndRESTSyncTheSameRows(t *testing.T) {
	srv := gt.New(t)
	srv.Token, srv.Now = "secret-token", clock
	name := "acme/platform/ledger"
	srv.AddProject(gt.GenerateHistory(name, gt.History{MergeRequests: 60, Deployments: 15, Pipelines: 90, Incidents: 4,
		End: now.Add(-day), Span: 60 * day}))
	ctx := context.Background()
	for _, src := range []string{"deployments", "workflow", "merges"} {
		t.Run(src, func(t *testing.T) {
			var dumps []string
			for _, rest := range []bool{false, true} {
				h := &harness{t: t, srv: srv, st: storetest.New(t)}
				p := h.provider(func(o *gitlab.Options) { o.DisableGraphQL = rest })
				r := repoWith(name, src, "deploy-prod")
				if err := h.sync(ctx, p, r).Repos[0].Err; err != nil {
					t.Fatal(err)
				}
				rules := metrics.DefaultRepoRules()
				rules.Source = src
				if err := engine.NewDeriver(h.st, metrics.DefaultRules(), map[string]metrics.RepoRules{name: rules}).Derive(ctx); err != nil {
					t.Fatal(err)
				}
				if !rest {
					checkSquashLinks(t, h, name, src)
				}
				dumps = append(dumps, storetest.Dump(t, h.st.Path()))
			}
			if dumps[0] != dumps[1] {
				t.Errorf("GraphQL rows (-) differ from REST rows (+):\n%s", storetest.Diff(dumps[0], dumps[1]))
			}
		})
	}
}

// checkSquashLinks checks that squash-merged MRs link to the deployment
// that shipped them: the one whose range holds the squash commit (with
// link: commits; the first deployment has no range and links by time), or
// the merge deployment of that sha (source merges).
func checkSquashLinks(t *testing.T, h *harness, name, src string) {
	t.Helper()
	hist, err := h.st.RepoHistory(context.Background(), mustRepoID(t, h.st, name))
	if err != nil {
		t.Fatal(err)
	}
	linked := 0
	for _, c := range hist.Changes {
		if c.SquashSHA == "" || c.DeploymentID == 0 {
			continue
		}
		i := slices.IndexFunc(hist.Deployments, func(d store.Deployment) bool { return d.ID == c.DeploymentID })
		if i < 0 {
			t.Errorf("!%d links to deployment %d, not stored", c.Number, c.DeploymentID)
			continue
		}
		d := hist.Deployments[i]
		if src != "merges" && len(d.RangeSHAs) == 0 {
			continue // the first deployment has no range: it links by time
		}
		if d.SHA != c.SquashSHA && !slices.Contains(d.RangeSHAs, c.SquashSHA) {
			t.Errorf("!%d (squash %s) links to deployment %s of %s, whose range %v lacks its squash commit", c.Number, c.SquashSHA, d.ProviderID, d.SHA, d.RangeSHAs)
		}
		linked++
	}
	if linked < 5 {
		t.Errorf("%s: %d squash-merged MRs linked to a deployment, want most of the 16", src, linked)
	}
}
