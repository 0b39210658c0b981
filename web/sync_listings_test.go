package web_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/tach-dev/tach/metrics"
	"github.com/tach-dev/tach/metrics/engine"
	"github.com/tach-dev/tach/store"
	"github.com/tach-dev/tach/store/storetest"
	"github.com/tach-dev/tach/web"
)

// TestSyncPageShowsOrgListings: the sync page lists what each github_org
// entry yielded — the repos synced, those left out and why, and those no
// longer listed — and shows nothing of the kind without one (the demo).
func TestSyncPageShowsOrgListings(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	at := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	for _, l := range []store.Listing{
		{Provider: store.GitHub, Entry: "acme", At: at, Repos: []string{"acme/api", "acme/legacy"}},
		{Provider: store.GitHub, Entry: "acme", At: at.Add(time.Hour), Repos: []string{"acme/api", "acme/web"},
			Skipped: []store.ListedSkip{{Repo: "acme/legacy", Why: "archived"}, {Repo: "acme/fork-of-x", Why: "fork"}}},
	} {
		if err := st.RecordListing(ctx, l); err != nil {
			t.Fatal(err)
		}
	}
	reports := engine.NewReports(st, metrics.DefaultRules(), nil)
	h := web.New(web.Options{Reports: reports, Decisions: engine.NewDecisionLog(reports), Store: st,
		Logger: slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))})

	doc := parse(t, get(t, h, "/sync").Body.String())
	rows := doc.Find(`[data-testid="sync-listings-table"] tbody tr`)
	if rows.Length() != 1 {
		t.Fatalf("%d listing rows, want 1", rows.Length())
	}
	row := rows.Text()
	for _, want := range []string{"github_org: acme", "acme/api, acme/web", "acme/legacy (archived)", "acme/fork-of-x (fork)"} {
		if !strings.Contains(row, want) {
			t.Errorf("listing row %q lacks %q", row, want)
		}
	}
	if got := strings.TrimSpace(rows.Find("td").Last().Text()); got != "acme/legacy" {
		t.Errorf("no longer listed = %q, want acme/legacy (listed before, archived since)", got)
	}
	var api struct {
		Listings []store.Listing `json:"listings"`
	}
	if err := json.Unmarshal(get(t, h, "/api/v1/sync").Body.Bytes(), &api); err != nil || len(api.Listings) != 1 || len(api.Listings[0].Repos) != 2 {
		t.Errorf("api listings = %+v (%v)", api.Listings, err)
	}

	demo := parse(t, get(t, newHandler(t), "/sync").Body.String())
	if demo.Find(`[data-testid="sync-listings"]`).Length() != 0 {
		t.Error("the demo, with no github_org, shows a listings section")
	}
}
