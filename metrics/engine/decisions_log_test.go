package engine_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/tach-dev/tach/metrics/engine"
	"github.com/tach-dev/tach/store"
)

func TestCheckDecisionRefusesEachMistake(t *testing.T) {
	org := newCmpOrg(t)
	ctx := context.Background()
	good := engine.DecisionInput{Date: "2026-04-06", Title: "Split the worker", Kind: "architecture", Team: "core",
		Note: "why", Link: "https://example.com/adr/7"}
	if _, err := org.log.CheckDecision(ctx, good); err != nil {
		t.Fatalf("a good decision: %v", err)
	}
	with := func(f func(*engine.DecisionInput)) engine.DecisionInput {
		in := good
		f(&in)
		return in
	}
	cases := []struct {
		in      engine.DecisionInput
		want    error
		mention string
	}{
		{with(func(in *engine.DecisionInput) { in.Title = "  " }), engine.ErrInvalidDecision, "title is empty"},
		{with(func(in *engine.DecisionInput) { in.Title = "two\nlines" }), engine.ErrInvalidDecision, "one line"},
		{with(func(in *engine.DecisionInput) { in.Title = strings.Repeat("x", 201) }), engine.ErrInvalidDecision, "200"},
		{with(func(in *engine.DecisionInput) { in.Date = "2026-13-01" }), engine.ErrInvalidDecision, "YYYY-MM-DD"},
		{with(func(in *engine.DecisionInput) { in.Date = "06/04/2026" }), engine.ErrInvalidDecision, "not a date"},
		{with(func(in *engine.DecisionInput) { in.Kind = "orm" }), engine.ErrInvalidDecision, "architecture, data-access, caching, refactor, process, tooling, other"},
		{with(func(in *engine.DecisionInput) { in.Link = "javascript:alert(1)" }), engine.ErrInvalidDecision, "http(s)"},
		{with(func(in *engine.DecisionInput) { in.Link = "ftp://example.com/x" }), engine.ErrInvalidDecision, "http(s)"},
		{with(func(in *engine.DecisionInput) { in.Link = "https://" }), engine.ErrInvalidDecision, "http(s)"},
		{with(func(in *engine.DecisionInput) { in.Team = "nobody" }), engine.ErrUnknownScope, "nobody"},
		{with(func(in *engine.DecisionInput) { in.Team, in.Repos = "", []string{"acme/nope"} }), engine.ErrUnknownScope, "acme/nope"},
		{with(func(in *engine.DecisionInput) { in.Repos = []string{"acme/api"} }), engine.ErrInvalidDecision, "not both"},
	}
	for _, tc := range cases {
		_, err := org.log.AddDecision(ctx, tc.in)
		if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.mention) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%+v: error %v, want %v mentioning %q on one line", tc.in, err, tc.want, tc.mention)
		}
	}
	// Nothing was written by the refused ones.
	ds, err := org.log.Decisions(ctx)
	if err != nil || len(ds) != 1 {
		t.Fatalf("decisions after refusals: %d, %v", len(ds), err)
	}
}

func TestAddEditRemoveDecision(t *testing.T) {
	org := newCmpOrg(t)
	ctx := context.Background()
	d, err := org.log.AddDecision(ctx, engine.DecisionInput{Date: " 2026-05-04 ", Title: " Cache the worker's lookups ", Kind: "Caching",
		Repos: []string{"acme/worker", "acme/worker"}})
	if err != nil {
		t.Fatal(err)
	}
	if d.ID == 0 || d.DecidedOn != "2026-05-04" || d.Title != "Cache the worker's lookups" || d.Kind != "caching" ||
		strings.Join(d.ScopeRepos, ",") != "acme/worker" || d.ScopeTeam != "" {
		t.Fatalf("added: %+v", d)
	}
	in := engine.InputOf(d)
	in.Repos, in.Team, in.Link = nil, "core", "http://wiki.example/adr"
	d2, err := org.log.UpdateDecision(ctx, d.ID, in)
	if err != nil {
		t.Fatal(err)
	}
	if d2.ScopeTeam != "core" || len(d2.ScopeRepos) != 0 || d2.Link != "http://wiki.example/adr" || d2.Title != d.Title {
		t.Fatalf("edited: %+v", d2)
	}
	if _, err := org.log.UpdateDecision(ctx, 999, in); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("editing a missing decision: %v", err)
	}
	if err := org.log.DeleteDecision(ctx, d.ID); err != nil {
		t.Fatal(err)
	}
	if err := org.log.DeleteDecision(ctx, d.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleting twice: %v", err)
	}
}

func TestDecisionScope(t *testing.T) {
	if s := engine.DecisionScope(store.Decision{ScopeTeam: "core"}); s.Team != "core" || len(s.Repos) != 0 {
		t.Errorf("team: %+v", s)
	}
	if s := engine.DecisionScope(store.Decision{ScopeRepos: []string{"a/b"}}); s.Team != "" || s.Repos[0] != "a/b" {
		t.Errorf("repos: %+v", s)
	}
	if s := engine.DecisionScope(store.Decision{}); s.Team != "" || len(s.Repos) != 0 {
		t.Errorf("everything: %+v", s)
	}
}
