package main

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tach-dev/tach/metrics"
	"github.com/tach-dev/tach/metrics/radar"
	"github.com/tach-dev/tach/metrics/render"
	"github.com/tach-dev/tach/metrics/review"
	"github.com/tach-dev/tach/store/storetest"
)

// The demo plants a degrading module (collectors/demo/degrade.go): the
// radar over the demo's last 12 weeks must rank it first, with at least
// two worsening signals and the two files its fixes cluster in as its
// top hotspots.
func TestReportRadarFindsTheDegradingModule(t *testing.T) {
	code, out, errOut := tach(t, "report", "radar", "--db", demoDB, "--from", "2026-08-31", "--to", "2026-11-23", "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var rep radar.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if len(rep.Modules) == 0 || rep.Modules[0].Module == nil {
		t.Fatalf("nothing ranked: %s", out)
	}
	first := rep.Modules[0]
	if first.Repo != "acme/shop-monolith" || *first.Module != "search" || first.Rank != 1 {
		t.Fatalf("ranked first: %s:%s", first.Repo, *first.Module)
	}
	var measures []string
	for _, s := range first.Signals {
		if s.Direction == radar.Worsening {
			measures = append(measures, s.Measure)
		}
		if s.QValue >= radar.Alpha || s.PValue > s.QValue {
			t.Errorf("signal %s: p %g, q %g", s.Measure, s.PValue, s.QValue)
		}
	}
	if len(measures) < 2 || !slices.Contains(measures, metrics.KeyCI) {
		t.Errorf("worsening signals of search: %v, want CI duration among at least two", measures)
	}
	var top []string
	for _, h := range first.Hotspots[:2] {
		top = append(top, h.Path)
		if !strings.HasPrefix(h.URL, "https://github.com/acme/shop-monolith/blob/main/search/") {
			t.Errorf("hotspot %s links to %q", h.Path, h.URL)
		}
	}
	slices.Sort(top)
	if !slices.Equal(top, []string{"search/index/store.go", "search/query/service.go"}) {
		t.Errorf("top hotspots of search: %v", top)
	}
	// A quiet organisation otherwise: the planted module carries the
	// signals (the FDR allows the odd false one elsewhere).
	if rest := rep.Signals(radar.Worsening) - first.Worsening; rest > 1 {
		t.Errorf("%d worsening signals outside search", rest)
	}
	if rep.Scope.Weeks != 12 || len(rep.Scope.WeekStarts) != 12 || rep.Tests == 0 {
		t.Errorf("scope %+v, %d tests", rep.Scope, rep.Tests)
	}
	for _, m := range rep.Modules {
		if len(m.Series) != len(radar.Measures) {
			t.Errorf("%s: %d series", m.Repo, len(m.Series))
		}
	}

	code, text, _ := tach(t, "report", "radar", "--db", demoDB, "--from", "2026-08-31", "--to", "2026-11-23")
	if code != 0 || !strings.Contains(text, "1     acme/shop-monolith:search") || !strings.Contains(text, "Hotspots of acme/shop-monolith:search") {
		t.Errorf("text radar:\n%s", text)
	}
}

// A module's figures are its own: fewer changes than its repo's, and its
// scope says which module.
func TestReportMetricsOfAModule(t *testing.T) {
	get := func(args ...string) metrics.Report {
		code, out, errOut := tach(t, append([]string{"report", "metrics", "--db", demoDB, "--from", "2026-08-31", "--to", "2026-11-23", "--format", "json"}, args...)...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		var r metrics.Report
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	repo := get("--repo", "acme/shop-monolith")
	search := get("--module", "acme/shop-monolith:search")
	checkout := get("--module", "acme/shop-monolith:checkout")
	if !slices.Equal(search.Scope.Modules, []string{"acme/shop-monolith:search"}) || len(search.Scope.Repos) != 0 {
		t.Errorf("scope %+v", search.Scope)
	}
	if search.LeadTime.Count == 0 || search.LeadTime.Count >= repo.LeadTime.Count || checkout.LeadTime.Count >= repo.LeadTime.Count {
		t.Errorf("lead time counts: repo %d, search %d, checkout %d", repo.LeadTime.Count, search.LeadTime.Count, checkout.LeadTime.Count)
	}
	// The degrading module's reviews and CI are slower than the repo's.
	if *search.CI.MedianSeconds <= *repo.CI.MedianSeconds || *search.CycleTime.Review.MedianSeconds <= *repo.CycleTime.Review.MedianSeconds {
		t.Errorf("search CI %v, review %v; repo %v, %v", *search.CI.MedianSeconds, *search.CycleTime.Review.MedianSeconds,
			*repo.CI.MedianSeconds, *repo.CycleTime.Review.MedianSeconds)
	}
	both := get("--module", "acme/shop-monolith:search", "--module", "acme/shop-monolith:checkout")
	if both.LeadTime.Count > search.LeadTime.Count+checkout.LeadTime.Count || both.LeadTime.Count < max(search.LeadTime.Count, checkout.LeadTime.Count) {
		t.Errorf("two modules: %d changes (search %d, checkout %d)", both.LeadTime.Count, search.LeadTime.Count, checkout.LeadTime.Count)
	}

	for _, tc := range []struct{ module, want string }{
		{"acme/shop-monolith:nope", `repo acme/shop-monolith has no module "nope" (modules: checkout, catalog, payments, search, (unassigned))`},
		{"acme/web:app", "repo acme/web has no modules"},
		{"acme/shop-monolith", `--module "acme/shop-monolith" is not a module: write REPO:NAME`},
	} {
		code, _, errOut := tach(t, "report", "metrics", "--db", demoDB, "--module", tc.module)
		if code == 0 || !strings.Contains(errOut, tc.want) || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
			t.Errorf("--module %s: exit %d, %q; want one line with %q", tc.module, code, errOut, tc.want)
		}
	}
}

// --scope-before and --scope-after compare one scope before a day against
// another after it.
func TestReportCompareScopesBeforeAndAfter(t *testing.T) {
	c := compareJSON(t, "--at", "2026-05-04", "--scope-before", "module=acme/shop-monolith:payments", "--scope-after", "acme/payments")
	if !slices.Equal(c.Before.Modules, []string{"acme/shop-monolith:payments"}) || !slices.Equal(c.After.Repos, []string{"acme/payments"}) {
		t.Errorf("sides: %+v / %+v", c.Before, c.After)
	}
	code, _, errOut := tach(t, "report", "compare", "--db", demoDB, "--scope-before", "acme/payments")
	if code != 2 || !strings.Contains(errOut, "give --decision ID or --at YYYY-MM-DD with them") {
		t.Errorf("without a date: exit %d, %q", code, errOut)
	}
}

// The weekly review lists the radar's signals that the week raised: each
// is in the radar ending with the week, and not in the one ending a week
// earlier; over the degrading months some appear.
func TestWeeklyReviewNewRadarSignals(t *testing.T) {
	storetest.Long(t)
	radarOf := func(to string) map[string]bool {
		end, _ := time.Parse(time.DateOnly, to)
		code, out, errOut := tach(t, "report", "radar", "--db", demoDB, "--from", end.AddDate(0, 0, -84).Format(time.DateOnly), "--to", to, "--format", "json")
		if code != 0 {
			t.Fatalf("radar to %s: %s", to, errOut)
		}
		var rep radar.Report
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatal(err)
		}
		signals := map[string]bool{}
		for _, m := range rep.Modules {
			for _, s := range m.Signals {
				signals[render.RadarScopeName(m)+" "+s.Measure+" "+string(s.Direction)] = true
			}
		}
		return signals
	}
	found := 0
	for week := demoEnd.AddDate(0, 0, -7); !week.Before(demoEnd.AddDate(0, 0, -42)); week = week.AddDate(0, 0, -7) {
		code, out, errOut := tach(t, "report", "weekly", "--db", demoDB, "--week", week.Format(time.DateOnly), "--format", "json")
		if code != 0 {
			t.Fatalf("weekly %s: %s", week.Format(time.DateOnly), errOut)
		}
		var rev review.Review
		if err := json.Unmarshal([]byte(out), &rev); err != nil {
			t.Fatal(err)
		}
		if len(rev.NewRadarSignals) == 0 {
			continue
		}
		now, before := radarOf(rev.Week.To), radarOf(rev.Week.From)
		for _, s := range rev.NewRadarSignals {
			name := s.Repo
			if s.Module != nil {
				name += ":" + *s.Module
			}
			k := name + " " + s.Measure + " " + s.Direction
			if !now[k] || before[k] {
				t.Errorf("week %s: new signal %s: in the radar to %s %v, to %s %v", rev.Week.From, k, rev.Week.To, now[k], rev.Week.From, before[k])
			}
			found++
		}
	}
	if found == 0 {
		t.Error("no new radar signal in the demo's last six weeks")
	}
}
