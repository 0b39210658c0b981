package engine_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tach-dev/tach/metrics"
	"github.com/tach-dev/tach/metrics/engine"
	"github.com/tach-dev/tach/metrics/render"
	"github.com/tach-dev/tach/store"
	"github.com/tach-dev/tach/store/storetest"
)

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestPreviousWindow(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no tzdata:", err)
	}
	// 12 weeks across the autumn clock change: the previous period is 12
	// calendar weeks too, starting at local midnight.
	from := time.Date(2025, 11, 3, 0, 0, 0, 0, berlin)
	w := metrics.Window{From: from, To: from.AddDate(0, 0, 84)}
	prev := engine.PreviousWindow(w, berlin)
	if want := time.Date(2025, 8, 11, 0, 0, 0, 0, berlin); !prev.From.Equal(want) || !prev.To.Equal(from) {
		t.Errorf("previous = %v – %v, want %v – %v", prev.From, prev.To, want, from)
	}
	// A window that does not start at midnight moves back by its duration.
	odd := metrics.Window{From: from.Add(time.Hour), To: from.Add(5 * time.Hour)}
	if p := engine.PreviousWindow(odd, berlin); !p.From.Equal(from.Add(-3*time.Hour)) || !p.To.Equal(odd.From) {
		t.Errorf("previous of a partial window = %v – %v", p.From, p.To)
	}
}

// A small history in a real store: the review of one week finds what
// shipped, the incidents, the outlier and the waiting change.
func TestWeeklyReviewOnAStore(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	week := day("2026-02-23")
	now := day("2026-03-04")
	at := func(d string, hour int) time.Time { return day(d).Add(time.Duration(hour) * time.Hour) }
	err := st.Write(ctx, func(tx *store.Tx) error {
		repo, _, err := tx.UpsertRepo(ctx, store.Repo{Provider: store.GitHub, Name: "acme/api", URL: "https://github.com/acme/api"})
		if err != nil {
			return err
		}
		// Four baseline weeks with a change shipped each week (lead time 1 d),
		// then one slow change in the reviewed week (lead time 10 d).
		for i, d := range []string{"2026-01-27", "2026-02-03", "2026-02-10", "2026-02-17", "2026-02-24"} {
			first := at(d, 10).AddDate(0, 0, -1)
			if i == 4 {
				first = at(d, 10).AddDate(0, 0, -10)
			}
			title := "Add feature"
			if i == 4 {
				title = "<b>Slow</b> change"
			}
			n := int64(100 + i)
			sha := "sha" + d
			if _, _, err := tx.UpsertChange(ctx, store.Change{RepoID: repo, Number: n, Title: title, Author: "ada", State: store.StateMerged,
				CreatedAt: first, ReadyAt: first, FirstCommitAt: first, MergedAt: at(d, 9), UpdatedAt: at(d, 9),
				Additions: 10, Deletions: 5, SizeKnown: true, MergeSHA: sha, BaseBranch: "main", URL: "https://github.com/acme/api/pull/1"}); err != nil {
				return err
			}
			if _, _, err := tx.UpsertDeployment(ctx, store.Deployment{RepoID: repo, Source: "deployments", ProviderID: d, Environment: "production",
				SHA: sha, Status: "success", CreatedAt: at(d, 10), FinishedAt: at(d, 10), UpdatedAt: at(d, 10)}); err != nil {
				return err
			}
		}
		if _, _, err := tx.UpsertIncident(ctx, store.Incident{RepoID: repo, Number: 7, Title: "API down", CreatedAt: at("2026-02-24", 12),
			ResolvedAt: at("2026-02-24", 14), UpdatedAt: at("2026-02-24", 14)}); err != nil {
			return err
		}
		// Open for review since long before now, never reviewed.
		_, _, err = tx.UpsertChange(ctx, store.Change{RepoID: repo, Number: 200, Title: "Waiting", Author: "bob", State: store.StateOpen,
			CreatedAt: at("2026-02-25", 9), ReadyAt: at("2026-02-25", 9), UpdatedAt: at("2026-02-25", 9), Additions: 400, SizeKnown: true})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := engine.NewDeriver(st, metrics.DefaultRules(), map[string]metrics.RepoRules{"acme/api": {Source: "deployments", Link: "time"}}).Derive(ctx); err != nil {
		t.Fatal(err)
	}
	rev, err := engine.NewReports(st, metrics.DefaultRules(), nil).WeeklyReview(ctx, engine.Scope{}, week, now)
	if err != nil {
		t.Fatal(err)
	}
	if rev.Week.From != "2026-02-23" || rev.Baseline.From != "2026-01-26" {
		t.Errorf("periods %v %v", rev.Week, rev.Baseline)
	}
	if len(rev.Shipped) != 1 || len(rev.Shipped[0].Changes) != 1 || rev.Shipped[0].Changes[0].Number != 104 {
		t.Fatalf("shipped = %+v", rev.Shipped)
	}
	if !rev.Shipped[0].Failed || len(rev.Shipped[0].Incidents) != 1 {
		t.Errorf("the week's deployment should have failed with its incident: %+v", rev.Shipped[0])
	}
	if len(rev.IncidentsOpened) != 1 || len(rev.IncidentsResolved) != 1 {
		t.Errorf("incidents: %d opened, %d resolved", len(rev.IncidentsOpened), len(rev.IncidentsResolved))
	}
	if len(rev.Outliers) != 1 || rev.Outliers[0].Number != 104 {
		t.Errorf("outliers = %+v (threshold %v)", rev.Outliers, rev.OutlierThresholdSeconds)
	}
	if len(rev.WaitingForReview) != 1 || rev.WaitingForReview[0].Number != 200 {
		t.Errorf("waiting = %+v", rev.WaitingForReview)
	}
	if len(rev.LargestOpen) != 1 || *rev.LargestOpen[0].SizeLines != 400 {
		t.Errorf("largest open = %+v", rev.LargestOpen)
	}
	var md bytes.Buffer
	if err := render.WeeklyMarkdown(&md, rev, time.UTC); err != nil {
		t.Fatal(err)
	}
	out := md.String()
	for _, want := range []string{"## Weekly review — acme/api, week of 2026-02-23", "&lt;b&gt;Slow&lt;/b&gt; change", "**failed** (incident)", "### Outliers: lead time above"} {
		if !strings.Contains(out, want) {
			t.Errorf("markdown lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "<b>") {
		t.Errorf("markdown carries raw HTML:\n%s", out)
	}
}
