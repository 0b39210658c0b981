package web

import (
	"context"
	"strings"
	"time"

	"github.com/tach-dev/tach/metrics/render"
	"github.com/tach-dev/tach/templates"
)

// listingsTable shows what each organisation entry yielded at its last
// listing: the repos synced, those left out and why, and those no longer
// listed (kept with their history, no longer synced). Nil without any.
func (s *Server) listingsTable(ctx context.Context, loc *time.Location) (*templates.Table, error) {
	ls, err := s.store.Listings(ctx)
	if err != nil || len(ls) == 0 {
		return nil, err
	}
	t := &templates.Table{TestID: "sync-listings-table", Columns: []templates.Column{
		{Label: "Entry"}, {Label: "Listed"}, {Label: "Repos synced", Num: true}, {Label: "Repos"},
		{Label: "Left out", Title: "listed, but filtered out by the entry (archived, fork, include, exclude, topics)"},
		{Label: "No longer listed", Title: "removed, archived or filtered out since: not synced any more, their history kept"},
	}}
	for _, l := range ls {
		skipped := make([]string, len(l.Skipped))
		for i, sk := range l.Skipped {
			skipped[i] = sk.Repo + " (" + sk.Why + ")"
		}
		t.Rows = append(t.Rows, []templates.Cell{
			{Text: "github_org: " + l.Entry}, timeCell(l.At, loc), intCell(len(l.Repos)), {Text: strings.Join(l.Repos, ", ")},
			listCell(skipped), listCell(l.Gone),
		})
	}
	return t, nil
}

func listCell(l []string) templates.Cell {
	if len(l) == 0 {
		return templates.Cell{Text: render.Dash, Muted: true}
	}
	return templates.Cell{Text: strings.Join(l, ", ")}
}
