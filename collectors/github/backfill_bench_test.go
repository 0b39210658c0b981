package github

import (
	"fmt"
	"testing"

	"github.com/tach-dev/tach/collectors"
	"github.com/tach-dev/tach/collectors/github/githubtest"
	"github.com/tach-dev/tach/store/storetest"
)

// BenchmarkSyncRequestsBackfill counts what the first sync after the
// upgrade that collects changed files costs a repo synced before it, on
// BenchmarkSyncRequests' scenario: the change_files step's queries (100
// pull requests' files each, plus the pages beyond 100 files), its REST
// pages for renames and its GraphQL points. The figures are in
// docs/performance.md.
func BenchmarkSyncRequestsBackfill(b *testing.B) {
	for _, n := range []int{100, 1000, 5000} {
		b.Run(fmt.Sprintf("prs=%d", n), func(b *testing.B) {
			srv := githubtest.New(b)
			srv.AddRepo("acme/big").Generate(githubtest.History{
				PRs: n, Deployments: n / 10, Runs: n / 2, Incidents: n / 50, Issues: n / 20,
				End: now, Span: 170 * day,
			})
			entry := repoEntry("acme/big", "deployments")
			var queries, rest, points, changes, all int
			b.ResetTimer()
			for range b.N {
				st := storetest.New(b)
				p, _, _ := newProvider(b, srv)
				mustSync(b, st, p, entry)
				forgetFiles(b, st)
				srv.ResetCounts()
				sum := mustSync(b, st, p, entry)
				res := repoSummary(b, sum, "acme/big").Resources[collectors.ResourceChangeFiles]
				if res == nil {
					b.Fatal("no change_files step")
				}
				queries += srv.Requests("graphql.pullRequest")
				rest += srv.Requests("pull_files")
				points += srv.RateLimitUsed("graphql")
				changes += res.New
				all += srv.TotalRequests()
			}
			per := float64(b.N)
			b.ReportMetric(float64(changes)/per, "changes-backfilled")
			b.ReportMetric(float64(queries)/per, "files-queries/backfill")
			b.ReportMetric(float64((changes/b.N+99)/100), "files-target/backfill")
			b.ReportMetric(float64(rest)/per, "rename-rest/backfill")
			b.ReportMetric(float64(points)/per, "graphql-points/sync-with-backfill")
			b.ReportMetric(float64(all)/per, "requests/sync-with-backfill")
		})
	}
}
