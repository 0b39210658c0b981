package gitlab_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tach-dev/tach/collectors"
	"github.com/tach-dev/tach/collectors/gitlab"
	gt "github.com/tach-dev/tach/collectors/gitlab/gitlabtest"
)

// BenchmarkSyncRequests counts the requests a sync makes for a project
// with N merge requests (each with two commits, three notes, an approval),
// with the production page sizes: the first sync, and a re-sync with
// nothing new. By GraphQL (the default) and by REST (a GitLab whose
// GraphQL cannot answer).
//
//	go test ./collectors/gitlab -run '^$' -bench BenchmarkSyncRequests -benchtime 1x
func BenchmarkSyncRequests(b *testing.B) {
	for _, api := range []string{"graphql", "rest"} {
		for _, n := range []int{100, 1000, 5000} {
			b.Run(fmt.Sprintf("%s/mrs=%d", api, n), func(b *testing.B) {
				for range b.N {
					first, mrs, resync := syncRequests(b, n, api == "rest")
					b.ReportMetric(float64(first), "first-sync-requests")
					b.ReportMetric(float64(mrs), "first-sync-mr-requests")
					b.ReportMetric(float64(resync), "resync-requests")
				}
			})
		}
	}
}

func syncRequests(b *testing.B, n int, rest bool) (first, mrs, resync int) {
	b.StopTimer()
	h := newHarness(b)
	p := &gt.Project{Path: "acme/platform/bench"}
	p.MergeRequests = gt.GenerateMergeRequests(n, gt.GenOptions{
		Start: now.Add(-150 * 24 * time.Hour), Every: 150 * 24 * time.Hour / time.Duration(n), Prefix: "bench"})
	h.srv.AddProject(p)
	prov := h.provider(func(o *gitlab.Options) {
		o.PageSize, o.GraphQLPageSize, o.DisableGraphQL = 0, 0, rest // the defaults: 100 and 50
	})
	b.StartTimer()
	sum := h.sync(context.Background(), prov, repo(p.Path))
	b.StopTimer()
	if err := sum.Repos[0].Err; err != nil {
		b.Fatal(err)
	}
	first = sum.Requests()
	mrs = resourceRequests(sum, p.Path, collectors.ResourceChanges)
	sum = h.sync(context.Background(), prov, repo(p.Path))
	if err := sum.Repos[0].Err; err != nil {
		b.Fatal(err)
	}
	return first, mrs, sum.Requests()
}
