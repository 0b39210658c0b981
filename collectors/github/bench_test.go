package github

import (
	"fmt"
	"testing"

	"github.com/tach-dev/tach/collectors"
	"github.com/tach-dev/tach/collectors/github/githubtest"
	"github.com/tach-dev/tach/store/storetest"
)

// BenchmarkSyncRequests counts the requests a full sync and a re-sync with
// nothing changed make for a repo with N pull requests (and, in
// proportion, deployments, CI runs and incidents), against the issue's
// targets: pull-request data of a full sync ≤ ⌈N/50⌉ + 5 requests; a
// re-sync ≤ 2 requests per resource. Then it counts what the first sync
// after the upgrade that collects changed files costs the same repo synced
// before it (the change_files step's queries, REST pages for renames,
// GraphQL points). The figures are in
// docs/performance.md; reproduce them with
//
//	go test ./collectors/github -run '^$' -bench BenchmarkSyncRequests -benchtime 1x
func BenchmarkSyncRequests(b *testing.B) {
	for _, n := range []int{100, 1000, 5000} {
		b.Run(fmt.Sprintf("prs=%d", n), func(b *testing.B) {
			srv := githubtest.New(b)
			srv.AddRepo("acme/big").Generate(githubtest.History{
				PRs: n, Deployments: n / 10, Runs: n / 2, Incidents: n / 50, Issues: n / 20,
				End: now, Span: 170 * day,
			})
			entry := repoEntry("acme/big", "deployments")
			var fullFiles, fullRenames int
			var backfilled, backfillQueries, backfillREST, backfillPoints, backfillAll int
			var full, fullPR, fullCompare, fullPoints, fullCore, resync, resyncMax, resyncPoints, resyncCore, resync304 int
			worst := ""
			b.ResetTimer()
			for range b.N {
				st := storetest.New(b)
				p, _, _ := newProvider(b, srv)
				srv.ResetCounts()
				mustSync(b, st, p, entry)
				full += srv.TotalRequests()
				fullPR += srv.Requests("graphql.pullRequests")
				fullCompare += srv.Requests("compare")
				fullFiles += srv.Requests("graphql.pullRequest")
				fullRenames += srv.Requests("pull_files")
				fullPoints += srv.RateLimitUsed("graphql")
				fullCore += srv.RateLimitUsed("core")

				srv.ResetCounts()
				sum := mustSync(b, st, p, entry)
				resync += srv.TotalRequests()
				resyncPoints += srv.RateLimitUsed("graphql")
				resyncCore += srv.RateLimitUsed("core")
				resync304 += srv.NotModified()
				for name, res := range repoSummary(b, sum, "acme/big").Resources {
					if res.Requests > resyncMax {
						resyncMax, worst = res.Requests, name
					}
				}
				if got := len(history(b, st, "acme/big").Changes); got != n {
					b.Fatalf("changes = %d, want %d", got, n)
				}

				// The same repo synced before changed files were collected:
				// the sync after the upgrade backfills them.
				storetest.ForgetChangeFiles(b, st)
				srv.ResetCounts()
				sum = mustSync(b, st, p, entry)
				res := repoSummary(b, sum, "acme/big").Resources[collectors.ResourceChangeFiles]
				if res == nil {
					b.Fatal("no change_files step")
				}
				backfilled += res.New
				backfillQueries += srv.Requests("graphql.pullRequest")
				backfillREST += srv.Requests("pull_files")
				backfillPoints += srv.RateLimitUsed("graphql")
				backfillAll += srv.TotalRequests()
			}
			per := float64(b.N)
			b.ReportMetric(float64(fullPR)/per, "pr-requests/full-sync")
			b.ReportMetric(float64((n+49)/50+5), "pr-target/full-sync")
			b.ReportMetric(float64(fullFiles)/per, "files-followups/full-sync")
			b.ReportMetric(float64(fullRenames)/per, "rename-rest/full-sync")
			b.ReportMetric(float64(fullCompare)/per, "compare-requests/full-sync")
			b.ReportMetric(float64(full)/per, "requests/full-sync")
			b.ReportMetric(float64(fullPoints)/per, "graphql-points/full-sync")
			b.ReportMetric(float64(fullCore)/per, "core-budget/full-sync")
			b.ReportMetric(float64(resync)/per, "requests/re-sync")
			b.ReportMetric(float64(resync304)/per, "free-304s/re-sync")
			b.ReportMetric(float64(resyncPoints)/per, "graphql-points/re-sync")
			b.ReportMetric(float64(resyncCore)/per, "core-budget/re-sync")
			b.ReportMetric(float64(resyncMax), "max-requests-per-resource/re-sync")
			b.ReportMetric(float64(backfilled)/per, "changes-backfilled")
			b.ReportMetric(float64(backfillQueries)/per, "files-queries/backfill")
			b.ReportMetric(float64(backfillREST)/per, "rename-rest/backfill")
			b.ReportMetric(float64(backfillPoints)/per, "graphql-points/sync-with-backfill")
			b.ReportMetric(float64(backfillAll)/per, "requests/sync-with-backfill")
			if fullPR/b.N > (n+49)/50+5 {
				b.Errorf("pull-request requests of a full sync = %d, target ≤ %d", fullPR/b.N, (n+49)/50+5)
			}
			if resyncMax > 2 {
				b.Errorf("a re-sync made %d requests for %s, target ≤ 2", resyncMax, worst)
			}
		})
	}
}
