package web

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/tach-dev/tach/collectors"
	"github.com/tach-dev/tach/metrics/render"
	"github.com/tach-dev/tach/store"
	"github.com/tach-dev/tach/templates"
)

// The sync status page: for each repo and resource, when the last sync
// succeeded, its last error, the rows it holds and the rate limit left.
// When the server runs syncs itself (Options.Sync), the progress of the one
// in flight is shown above.

func (s *Server) syncPage(w http.ResponseWriter, r *http.Request) error {
	q, err := s.parse(r)
	if err != nil {
		return err
	}
	states, err := s.store.SyncStates(r.Context())
	if err != nil {
		return err
	}
	loc := s.reports.Rules().Location
	now := s.now()
	p := templates.SyncPage{Page: templates.Page{Title: "Sync status", Nav: nav(q, "sync"), Assets: s.assetURLs()}}
	p.Table = templates.Table{TestID: "sync-table", Columns: []templates.Column{
		{Label: "Repo"}, {Label: "What"}, {Label: "Last synced"}, {Label: "Last error"}, {Label: "Rows stored", Num: true},
		{Label: "API requests", Num: true, Title: "API requests the last sync used"}, {Label: "Requests left", Num: true, Title: "the provider's rate limit left after the last request"},
		{Label: "Up to date until", Title: "the newest change seen: the next sync asks only for what changed after it"},
	}}
	p.Table.Empty = "No sync has run yet (a demo database has no sync state). Run `tach sync --config tach.yaml` to fetch your repos."
	for _, st := range states {
		lastErr := templates.Cell{Text: render.Dash, Muted: true}
		if st.LastError != "" {
			lastErr = templates.Cell{Text: truncate(st.LastError, 120), Title: st.LastError + " (" + st.LastErrorAt.UTC().Format(time.RFC3339) + ")", Tags: []string{lastErrorTag(st)}}
		}
		success := timeCell(st.LastSuccessAt, loc)
		if !st.LastSuccessAt.IsZero() {
			success.Text += " (" + ago(now.Sub(st.LastSuccessAt)) + ")"
		}
		rate := templates.Cell{Text: render.Dash, Num: true, Muted: true, Title: "unknown"}
		if st.RateLimitRemaining >= 0 {
			rate = intCell(st.RateLimitRemaining)
			if !st.RateLimitResetAt.IsZero() {
				rate.Title = "resets at " + st.RateLimitResetAt.UTC().Format(time.RFC3339)
			}
		}
		p.Table.Rows = append(p.Table.Rows, []templates.Cell{
			{Text: st.RepoName}, {Text: collectors.ResourceLabel(st.Resource), Title: st.Resource}, success, lastErr, intCell(st.Rows), intCell(st.Requests), rate, timeCell(st.Watermark, loc),
		})
	}
	if p.Listings, err = s.listingsTable(r.Context(), loc); err != nil {
		return err
	}
	if s.sync == nil {
		p.Note = "This server only reads the database: sync with `tach sync --config tach.yaml`, then reload."
	} else {
		progress, running := s.sync.Snapshot()
		live := templates.Table{TestID: "sync-live-table", Empty: "No sync has run since the server started.", Columns: []templates.Column{
			{Label: "Repo"}, {Label: "Working on"}, {Label: "Rows written"}, {Label: "API requests", Num: true}, {Label: "Requests left", Num: true}, {Label: "State"},
		}}
		for _, pr := range progress {
			state := "running"
			switch {
			case pr.Done && pr.Err != nil:
				state = "failed: " + pr.Err.Error()
			case pr.Done:
				state = "done"
			}
			live.Rows = append(live.Rows, []templates.Cell{
				{Text: pr.Repo}, {Text: collectors.ResourceLabel(pr.Resource)}, {Text: itemsText(pr.Items)}, intCell(pr.Requests), intCell(pr.RateRemaining), {Text: state},
			})
		}
		p.Live = &live
		p.SyncNow = s.syncNowForm(r, running) // ops_sync.go
		if running {
			p.Note = "A sync is running; reload to follow it."
		}
	}
	return s.render(w, r, templates.Sync(p))
}

func itemsText(items map[string]int) string {
	keys := make([]string, 0, len(items))
	for k := range items {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", collectors.ResourceLabel(k), items[k])
	}
	return strings.Join(parts, ", ")
}

// ago says how long ago, roughly: "3h ago".
func ago(d time.Duration) string {
	if d < 0 {
		return "in the future"
	}
	s := d.Seconds()
	return render.HumanDuration(&s) + " ago"
}

type apiSyncState struct {
	Repo               string     `json:"repo"`
	Resource           string     `json:"resource"`
	Watermark          *time.Time `json:"watermark"`
	LastSuccessAt      *time.Time `json:"last_success_at"`
	LastError          string     `json:"last_error"`
	LastErrorAt        *time.Time `json:"last_error_at"`
	Rows               int        `json:"rows"`
	Requests           int        `json:"requests"`
	RateLimitRemaining *int       `json:"rate_limit_remaining"`
	RateLimitResetAt   *time.Time `json:"rate_limit_reset_at"`
}

func toAPISyncState(st store.SyncState) apiSyncState {
	a := apiSyncState{
		Repo: st.RepoName, Resource: st.Resource, Watermark: ptrTime(st.Watermark), LastSuccessAt: ptrTime(st.LastSuccessAt),
		LastError: st.LastError, LastErrorAt: ptrTime(st.LastErrorAt), Rows: st.Rows, Requests: st.Requests, RateLimitResetAt: ptrTime(st.RateLimitResetAt),
	}
	if st.RateLimitRemaining >= 0 {
		n := st.RateLimitRemaining
		a.RateLimitRemaining = &n
	}
	return a
}

func (s *Server) apiSync(w http.ResponseWriter, r *http.Request) error {
	states, err := s.store.SyncStates(r.Context())
	if err != nil {
		return err
	}
	out := map[string]any{"states": orEmpty(mapRows(states, toAPISyncState)), "running": false}
	if ls, err := s.store.Listings(r.Context()); err != nil {
		return err
	} else if len(ls) > 0 {
		out["listings"] = ls
	}
	if s.sync != nil {
		progress, running := s.sync.Snapshot()
		out["running"] = running
		out["progress"] = progress
	}
	return s.serveJSON(w, out)
}

func mapRows[T, U any](in []T, f func(T) U) []U {
	out := make([]U, len(in))
	for i, v := range in {
		out[i] = f(v)
	}
	return out
}

// lastErrorTag says what a sync state's last error is: a sync that
// finished but warned records its warnings at the moment it succeeded —
// a warning (tach sync says "warned"), not an error.
func lastErrorTag(st store.SyncState) string {
	if !st.LastSuccessAt.IsZero() && !st.LastSuccessAt.Before(st.LastErrorAt) {
		return "warning"
	}
	return "error"
}
