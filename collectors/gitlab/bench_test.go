package gitlab_test

import (
	"context"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tach-dev/tach/collectors"
	"github.com/tach-dev/tach/collectors/gitlab"
	gt "github.com/tach-dev/tach/collectors/gitlab/gitlabtest"
	"github.com/tach-dev/tach/store/storetest"
)

// BenchmarkSyncRequests counts the requests a sync makes with the
// production page sizes, the first sync and a re-sync with nothing new, by
// GraphQL (the default) and by REST (a GitLab whose GraphQL cannot answer):
//
//   - scenario: three projects with 800 merge requests each (about 1,900
//     merged in all), 420 production deployments and 2,900 pipelines over
//     40 weeks, per resource;
//
//   - mrs=N: one project with N merge requests (each with two commits,
//     three notes, an approval) and nothing else.
//
//     go test ./collectors/gitlab -run '^$' -bench BenchmarkSyncRequests -benchtime 1x
func BenchmarkSyncRequests(b *testing.B) {
	for _, api := range []string{"graphql", "rest"} {
		b.Run(api+"/scenario", func(b *testing.B) {
			for range b.N {
				first, resync := scenarioRequests(b, api == "rest")
				for _, res := range allResources {
					b.ReportMetric(float64(first[res]), res+"-first-sync")
					b.ReportMetric(float64(resync[res]), res+"-resync")
				}
				b.ReportMetric(float64(first[""]), "first-sync-requests")
				b.ReportMetric(float64(resync[""]), "resync-requests")
			}
		})
	}
	for _, api := range []string{"graphql", "rest"} {
		b.Run(api+"/scenario-backfill", func(b *testing.B) {
			for range b.N {
				files, all, changes := backfillRequests(b, api == "rest")
				b.ReportMetric(float64(changes), "changes-backfilled")
				b.ReportMetric(float64(files), "change_files-requests")
				b.ReportMetric(float64(all), "sync-with-backfill-requests")
			}
		})
	}
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

// scenarioProjects are the benchmark's scenario: three projects, 2,400
// merge requests (about 1,900 merged), 420 production deployments and
// 2,900 pipelines over 40 weeks.
var scenarioProjects = []struct {
	path                   string
	deployments, pipelines int
}{
	{"acme/platform/billing", 140, 967},
	{"acme/platform/ledger", 140, 967},
	{"acme/web/storefront", 140, 966},
}

// scenarioHarness is a fake GitLab with the scenario's projects, synced
// back to their start.
func scenarioHarness(b *testing.B) (*harness, []collectors.Repo) {
	h := newHarness(b)
	h.history = 300 * day // the whole scenario
	var repos []collectors.Repo
	for _, sp := range scenarioProjects {
		h.srv.AddProject(gt.GenerateHistory(sp.path, gt.History{MergeRequests: 800, Deployments: sp.deployments,
			Pipelines: sp.pipelines, Incidents: 10, End: now.Add(-day), Span: 40 * 7 * day}))
		repos = append(repos, repo(sp.path))
	}
	return h, repos
}

// backfillRequests syncs the scenario, forgets its files (a database
// synced before files were collected) and syncs again: the requests of the
// change_files step, of that whole sync, and the changes it gave files.
func backfillRequests(b *testing.B, rest bool) (files, all, changes int) {
	b.StopTimer()
	h, repos := scenarioHarness(b)
	prov := h.provider(func(o *gitlab.Options) { o.PageSize, o.GraphQLPageSize, o.DisableGraphQL = 0, 0, rest })
	h.sync(context.Background(), prov, repos...)
	storetest.ForgetChangeFiles(b, h.st)
	b.StartTimer()
	sum := h.sync(context.Background(), prov, repos...)
	b.StopTimer()
	for _, r := range sum.Repos {
		if r.Err != nil {
			b.Fatal(r.Err)
		}
		if res := r.Resources[collectors.ResourceChangeFiles]; res != nil {
			files += res.Requests
			changes += res.New
		}
	}
	return files, sum.Requests(), changes
}

// scenarioRequests syncs the scenario twice and returns the requests of
// each sync per resource ("" for all), summed over the projects.
func scenarioRequests(b *testing.B, rest bool) (first, resync map[string]int) {
	b.StopTimer()
	h, repos := scenarioHarness(b)
	prov := h.provider(func(o *gitlab.Options) {
		o.PageSize, o.GraphQLPageSize, o.DisableGraphQL = 0, 0, rest // the defaults: 100 and 50
	})
	counts := func() map[string]int {
		sum := h.sync(context.Background(), prov, repos...)
		out := map[string]int{"": sum.Requests()}
		for _, r := range sum.Repos {
			if r.Err != nil {
				b.Fatal(r.Err)
			}
			for name, res := range r.Resources {
				out[name] += res.Requests
			}
		}
		return out
	}
	b.StartTimer()
	first = counts()
	b.StopTimer()
	return first, counts()
}

// BenchmarkSyncWallTime syncs the scenario's three projects at once from
// a fake GitLab that answers each request after a latency, and compares
// the wall time with the least the requests allow: requests ÷ the most
// that were in flight at once × latency (issue 17's target: at most 1.3 ×).
//
//	go test ./collectors/gitlab -run '^$' -bench BenchmarkSyncWallTime -benchtime 1x
func BenchmarkSyncWallTime(b *testing.B) {
	const latency = 500 * time.Millisecond
	for range b.N {
		b.StopTimer()
		h, repos := scenarioHarness(b)
		h.srv.AddFault(gt.Fault{Latency: latency}) // every request, answered after the latency
		flight := &inFlight{next: h.srv.Client().Transport}
		prov := h.provider(func(o *gitlab.Options) {
			o.PageSize, o.GraphQLPageSize = 0, 0 // the defaults: 100 and 50
			o.HTTPClient = &http.Client{Transport: flight}
		})
		b.StartTimer()
		start := time.Now()
		sum := h.sync(context.Background(), prov, repos...)
		wall := time.Since(start)
		b.StopTimer()
		if f := sum.Failed(); len(f) > 0 {
			b.Fatal(f[0].Err)
		}
		requests, most := sum.Requests(), int(flight.most.Load())
		least := time.Duration(requests) * latency / time.Duration(max(most, 1))
		b.ReportMetric(wall.Seconds(), "wall-s")
		b.ReportMetric(float64(requests), "requests")
		b.ReportMetric(float64(most), "most-in-flight")
		b.ReportMetric(wall.Seconds()/least.Seconds(), "×least")
	}
}

// inFlight counts the requests in flight through it, and the most at once.
type inFlight struct {
	next      http.RoundTripper
	now, most atomic.Int64
}

func (f *inFlight) RoundTrip(r *http.Request) (*http.Response, error) {
	n := f.now.Add(1)
	for m := f.most.Load(); n > m && !f.most.CompareAndSwap(m, n); m = f.most.Load() {
	}
	defer f.now.Add(-1)
	return f.next.RoundTrip(r)
}
