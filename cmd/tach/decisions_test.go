package main

import (
	"encoding/json"
	"github.com/tach-dev/tach/store/storetest"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// demoCopy copies the package's demo database for a test that writes.
func demoCopy(t *testing.T) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "demo.db")
	for _, suffix := range []string{"", "-wal"} {
		in, err := os.Open(demoDB + suffix)
		if err != nil {
			if suffix != "" {
				continue
			}
			t.Fatal(err)
		}
		out, err := os.Create(dst + suffix)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(out, in); err != nil {
			t.Fatal(err)
		}
		in.Close()
		out.Close()
	}
	return dst
}

type listedDecisions struct {
	Decisions []struct {
		ID    int64    `json:"id"`
		Date  string   `json:"date"`
		Title string   `json:"title"`
		Kind  string   `json:"kind"`
		Team  *string  `json:"team"`
		Repos []string `json:"repos"`
		Note  string   `json:"note"`
		Link  string   `json:"link"`
	} `json:"decisions"`
}

func listDecisions(t *testing.T, db string) listedDecisions {
	t.Helper()
	code, out, errOut := tach(t, "decisions", "list", "--db", db, "--format", "json")
	if code != 0 {
		t.Fatalf("list: exit %d: %s", code, errOut)
	}
	var l listedDecisions
	if err := json.Unmarshal([]byte(out), &l); err != nil {
		t.Fatalf("list JSON: %v\n%s", err, out)
	}
	return l
}

func TestDecisionsAddListEditRemove(t *testing.T) {
	db := demoCopy(t)
	code, out, errOut := tach(t, "decisions", "add", "--db", db, "--date", "2026-10-05", "--title", "Adopt trunk-based development",
		"--kind", "process", "--team", "platform", "--note", "Short-lived branches.", "--link", "https://example.com/rfc/12")
	if code != 0 {
		t.Fatalf("add: exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "Recorded decision #4: Adopt trunk-based development (process, 2026-10-05, team platform).") ||
		!strings.Contains(out, "tach report compare --decision 4 --db "+db) {
		t.Errorf("add: %s", out)
	}
	l := listDecisions(t, db)
	if len(l.Decisions) != 4 {
		t.Fatalf("%d decisions, want 4", len(l.Decisions))
	}
	d := l.Decisions[3]
	if d.ID != 4 || d.Team == nil || *d.Team != "platform" || len(d.Repos) != 0 || d.Note != "Short-lived branches." || d.Link != "https://example.com/rfc/12" {
		t.Errorf("listed: %+v", d)
	}
	// The text list shows each on one line.
	code, out, _ = tach(t, "decisions", "list", "--db", db)
	// (Columns are as wide as their widest cell: compare words.)
	if code != 0 || !strings.Contains(out, "ID  DATE") || !strings.Contains(strings.Join(strings.Fields(out), " "), "4 2026-10-05 process team platform Adopt trunk-based development") {
		t.Errorf("text list:\n%s", out)
	}

	// Edit: only the given fields change; the id may come after the flags.
	code, _, errOut = tach(t, "decisions", "edit", "--db", db, "--title", "Adopt trunk-based development everywhere", "--repo", "acme/catalog", "--repo", "acme/web", "4")
	if code != 0 {
		t.Fatalf("edit: %s", errOut)
	}
	d = listDecisions(t, db).Decisions[3]
	if d.Title != "Adopt trunk-based development everywhere" || d.Team != nil || strings.Join(d.Repos, ",") != "acme/catalog,acme/web" ||
		d.Kind != "process" || d.Date != "2026-10-05" || d.Link != "https://example.com/rfc/12" {
		t.Errorf("edited: %+v", d)
	}
	code, _, errOut = tach(t, "decisions", "edit", "4", "--db", db, "--everything")
	if code != 0 {
		t.Fatalf("edit --everything: %s", errOut)
	}
	if d = listDecisions(t, db).Decisions[3]; d.Team != nil || len(d.Repos) != 0 {
		t.Errorf("everything: %+v", d)
	}

	// Remove.
	code, out, errOut = tach(t, "decisions", "rm", "4", "--db", db)
	if code != 0 || !strings.Contains(out, "Removed decision #4") {
		t.Fatalf("rm: exit %d: %s %s", code, out, errOut)
	}
	if n := len(listDecisions(t, db).Decisions); n != 3 {
		t.Errorf("%d decisions after rm, want 3", n)
	}
	code, _, errOut = tach(t, "decisions", "rm", "4", "--db", db)
	if code == 0 || !strings.Contains(errOut, "decision 4: not found") {
		t.Errorf("rm again: exit %d, %s", code, errOut)
	}
}

func TestDecisionsBadInputWritesNothing(t *testing.T) {
	db := demoCopy(t)
	base := []string{"decisions", "add", "--db", db, "--date", "2026-10-05", "--title", "T", "--kind", "process"}
	cases := []struct {
		args    []string
		mention string
	}{
		{[]string{"decisions", "add", "--db", db, "--date", "2026-02-30", "--title", "T", "--kind", "process"}, "not a date"},
		{[]string{"decisions", "add", "--db", db, "--date", "yesterday", "--title", "T", "--kind", "process"}, "YYYY-MM-DD"},
		{[]string{"decisions", "add", "--db", db, "--date", "2026-10-05", "--title", "T", "--kind", "orm"},
			"is not one of architecture, data-access, caching, refactor, process, tooling, other"},
		{[]string{"decisions", "add", "--db", db, "--date", "2026-10-05", "--title", "  ", "--kind", "process"}, "--title"},
		{[]string{"decisions", "add", "--db", db, "--date", "2026-10-05", "--kind", "process"}, "--title"},
		{[]string{"decisions", "add", "--db", db, "--title", "T", "--kind", "process"}, "--date"},
		{[]string{"decisions", "add", "--db", db, "--date", "2026-10-05", "--title", "T"}, "--kind"},
		{append(base, "--team", "nobody"), `team "nobody" is not configured`},
		{append(base, "--repo", "acme/nope"), `repo "acme/nope" is not in the database`},
		// add has no --everything, so it does not suggest one.
		{append(base, "--team", "platform", "--repo", "acme/web"), "give --team or --repo as the scope, not both (neither: everything)"},
		{append(base, "--link", "ftp://example.com/x"), "not an http(s) URL"},
		{append(base, "--link", "javascript:alert(1)"), "not an http(s) URL"},
		{append(base, "stray"), "unexpected argument"},
		{[]string{"decisions", "edit", "--db", db, "--kind", "bogus", "1"}, "is not one of"},
		{[]string{"decisions", "edit", "--db", db, "--date", "2026-1-1", "1"}, "not a date"},
		{[]string{"decisions", "edit", "--db", db, "--title", "x"}, "which decision"},
		{[]string{"decisions", "edit", "--db", db, "--title", "x", "abc"}, "not a decision id"},
		{[]string{"decisions", "edit", "--db", db, "--title", "x", "77"}, "decision 77: not found"},
		{[]string{"decisions", "edit", "1", "--db", db, "--team", "checkout", "--everything"}, "one of --team, --repo or --everything"},
		{[]string{"decisions", "rm", "--db", db}, "which decision"},
		{[]string{"decisions", "rm", "1", "2", "--db", db}, "unexpected argument"},
		{[]string{"decisions", "list", "--db", db, "--format", "yaml"}, "--format"},
		{[]string{"decisions", "accept", "cnope", "--db", db}, "not among the current suggestions"},
		{[]string{"decisions", "dismiss", "--db", db}, "which candidate"},
		{[]string{"decisions", "frobnicate"}, "unknown command"},
		{[]string{"decisions"}, "which command"},
		{[]string{"decisions", "list", "--db", filepath.Join(t.TempDir(), "missing.db")}, "does not exist"},
	}
	before := listDecisions(t, db)
	for _, tc := range cases {
		code, out, errOut := tach(t, tc.args...)
		lines := strings.Split(strings.TrimSpace(errOut), "\n")
		if len(tc.args) == 1 {
			// `tach decisions` alone prints the usage first.
			lines = lines[len(lines)-1:]
		}
		if code == 0 || len(lines) != 1 || !strings.Contains(errOut, tc.mention) || out != "" {
			t.Errorf("%v: exit %d, stderr %q, stdout %q; want one line mentioning %q", tc.args, code, errOut, out, tc.mention)
		}
	}
	after := listDecisions(t, db)
	b, _ := json.Marshal(before)
	a, _ := json.Marshal(after)
	if string(a) != string(b) {
		t.Errorf("refused commands changed the log:\n%s\n%s", b, a)
	}
}

func TestDecisionsCandidatesAcceptDismiss(t *testing.T) {
	storetest.Long(t)
	db := demoCopy(t)
	code, out, errOut := tach(t, "decisions", "candidates", "--db", db, "--format", "json")
	if code != 0 {
		t.Fatalf("candidates: %s", errOut)
	}
	var doc struct {
		Candidates []struct {
			ID, Date, Source, Title, Kind string
			Repos                         []string
			Evidence                      []string
		} `json:"candidates"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	// The demo's catalog started timing out 26 weeks before its end
	// (2026-05-25), with no decision recorded: a shift in its failure rate.
	var hot string
	for _, c := range doc.Candidates {
		if c.Source == "shift" && len(c.Repos) == 1 && c.Repos[0] == "acme/catalog" && c.Date == "2026-05-25" {
			hot = c.ID
		}
		// The recorded decisions cover their own shifts and the split's new repo.
		if c.Source == "new-repo" {
			t.Errorf("the split's new repo is suggested though the split is recorded: %+v", c)
		}
	}
	if hot == "" {
		t.Fatalf("no shift in acme/catalog on 2026-05-25: %+v", doc.Candidates)
	}
	code, out, _ = tach(t, "decisions", "candidates", "--db", db)
	if code != 0 || !strings.Contains(out, hot+"  2026-05-25  What changed in acme/catalog in the week of 2026-05-25?") ||
		!strings.Contains(out, "change failure rate rose from") {
		t.Errorf("text:\n%s", out)
	}

	// Accept it in one command, with a better title.
	code, out, errOut = tach(t, "decisions", "accept", hot, "--db", db, "--title", "Autumn traffic growth hits catalog", "--kind", "other")
	if code != 0 || !strings.Contains(out, "Recorded decision #4: Autumn traffic growth hits catalog (other, 2026-05-25, acme/catalog).") {
		t.Fatalf("accept: exit %d: %s %s", code, out, errOut)
	}
	l := listDecisions(t, db)
	if len(l.Decisions) != 4 || !strings.HasPrefix(l.Decisions[1].Note, "Suggested by tach (shift): change failure rate rose") {
		t.Errorf("after accept: %+v", l.Decisions)
	}
	_, out, _ = tach(t, "decisions", "candidates", "--db", db, "--format", "json")
	if strings.Contains(out, hot) {
		t.Error("an accepted candidate is suggested again")
	}

	// Dismiss the first remaining one.
	doc.Candidates = nil
	if err := json.Unmarshal([]byte(out), &doc); err != nil || len(doc.Candidates) == 0 {
		t.Fatalf("no candidate left to dismiss: %v", err)
	}
	first := doc.Candidates[0].ID
	code, out, errOut = tach(t, "decisions", "dismiss", "--db", db, first)
	if code != 0 || !strings.Contains(out, "Dismissed "+first) {
		t.Fatalf("dismiss: exit %d: %s %s", code, out, errOut)
	}
	_, out, _ = tach(t, "decisions", "candidates", "--db", db, "--format", "json")
	if strings.Contains(out, first) {
		t.Error("a dismissed candidate is suggested again")
	}
	if n := len(listDecisions(t, db).Decisions); n != 4 {
		t.Errorf("dismiss wrote a decision: %d", n)
	}
}

func TestDecisionsHelp(t *testing.T) {
	code, out, _ := tach(t, "decisions", "--help")
	if code != 0 || !strings.Contains(out, "candidates") || !strings.Contains(out, "architecture, data-access") {
		t.Errorf("help: %d %s", code, out)
	}
	code, out, _ = tach(t, "decisions", "add", "--help")
	if code != 0 || !strings.Contains(out, "--kind") || !strings.Contains(out, "Usage: tach decisions add") {
		t.Errorf("add --help: %d %s", code, out)
	}
}
