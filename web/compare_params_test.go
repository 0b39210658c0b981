package web_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tach-dev/tach/web"
)

func TestParseCompareQuery(t *testing.T) {
	now := time.Date(2026, 3, 4, 15, 0, 0, 0, time.UTC)
	parse := func(raw string) web.Query {
		t.Helper()
		v, _ := url.ParseQuery(raw)
		q, err := web.ParseQuery(v, now, time.UTC)
		if err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		return q
	}
	q := parse("decision=%232&window=6w&gap=10d&team=checkout")
	if c := q.Compare; c.Decision != 2 || c.WindowDays != 42 || c.GapDays != 10 || q.Scope.Team != "checkout" || !c.HasAnchor() {
		t.Errorf("decision query: %+v", c)
	}
	q = parse("at=2026-01-12")
	if !q.Compare.At.Equal(time.Date(2026, 1, 12, 0, 0, 0, 0, time.UTC)) || q.Compare.WindowDays != 0 {
		t.Errorf("at: %+v", q.Compare)
	}
	q = parse("period_a=2025-09-01..2025-11-03&period_b=2025-11-03..2026-01-05&repo=acme/web")
	if c := q.Compare; c.PeriodA.To != c.PeriodB.From || c.PeriodB.To != time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC) {
		t.Errorf("periods: %+v", c)
	}
	q = parse("team=checkout&vs_repo=acme/catalog,acme/web&vs_repo=acme/web&period=2026-01-05..2026-03-02")
	if c := q.Compare; !c.Scopes() || strings.Join(c.VsRepos, " ") != "acme/catalog acme/web" || c.Period.From.IsZero() {
		t.Errorf("scopes: %+v", c)
	}
	if q := parse("team=checkout"); q.Compare.HasAnchor() {
		t.Error("a scope alone is not something to compare")
	}
	if q := parse("done=created&decision=4&candidate=c908e496e"); q.Done != "created" || q.Candidate != "c908e496e" {
		t.Errorf("done %q candidate %q", q.Done, q.Candidate)
	}

	// Mistakes are 400s that say what to write instead.
	for _, c := range []struct{ query, mention string }{
		{"decision=abc", "decision=1"},
		{"decision=0", "decision"},
		{"decision=1&decision=2", "once"},
		{"at=2026-13-01", "YYYY-MM-DD"},
		{"window=1d", "shorter than a week"},
		{"window=eight", "8w"},
		{"gap=-1w", "gap"},
		{"period_a=2026-01-05", "FROM..TO"},
		{"period_a=2026-03-02..2026-01-05&period_b=2026-03-02..2026-04-27", "empty"},
		{"period_a=2026-01-05..2026-03-02", "both"},
		{"decision=1&at=2026-01-05", "one thing"},
		{"vs_team=platform&vs_repo=acme/web", "not both"},
		{"period=2026-01-05..2026-03-02", "vs_team"},
		{"vs_team=platform&gap=1w", "gap"},
		{"vs_team=" + url.QueryEscape("a\x00b"), "vs_team"},
		{"done=hacked", "done"},
		{"candidate=" + url.QueryEscape("<x>"), "candidate"},
	} {
		v, _ := url.ParseQuery(c.query)
		_, err := web.ParseQuery(v, now, time.UTC)
		if err == nil || !strings.Contains(err.Error(), c.mention) {
			t.Errorf("%s: error %v, want one mentioning %q", c.query, err, c.mention)
		}
	}
}
