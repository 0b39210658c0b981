package collectors

import (
	"context"
	"slices"
	"testing"
	"time"
)

// sha names a commit of these tests by a letter.
func sha(name string) string {
	o := oid{}
	copy(o[:], name)
	return o.String()
}

// A first-parent-only listing (GitLab's first_parent=true) gives ranges of
// the line's commits and the heads its merges bring in; an every-ancestor
// listing (GitHub's history) walks into the merged branches instead, and
// refuses a range whose branches were not all read.
func TestBranchLineRanges(t *testing.T) {
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(h int) time.Time { return t0.Add(time.Duration(h) * time.Hour) }
	// base ← p ← m (merges f2 ← f1, off base) ← d ← tip
	line := []HistoryCommit{
		{SHA: sha("tip"), Parents: []string{sha("d")}, Committed: at(9)},
		{SHA: sha("d"), Parents: []string{sha("m")}, Committed: at(8)},
		{SHA: sha("m"), Parents: []string{sha("p"), sha("f2")}, Committed: at(7)},
		{SHA: sha("p"), Parents: []string{sha("base")}, Committed: at(3)},
		{SHA: sha("base"), Committed: at(0)},
	}
	side := []HistoryCommit{
		{SHA: sha("f2"), Parents: []string{sha("f1")}, Committed: at(5)},
		{SHA: sha("f1"), Parents: []string{sha("base")}, Committed: at(1)},
	}
	ends := []RangeEnds{{SHA: sha("d"), At: at(8), PrevSHA: sha("p"), PrevAt: at(3)}}
	walk := func(firstParent bool, pages ...[]HistoryCommit) *BranchLine {
		t.Helper()
		i := 0
		b, err := WalkBranch(context.Background(), ends, firstParent, func(context.Context) (string, []HistoryCommit, bool, error) {
			i++
			return sha("tip"), pages[i-1], i < len(pages), nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	sorted := func(names ...string) []string {
		var out []string
		for _, n := range names {
			out = append(out, sha(n))
		}
		slices.Sort(out)
		return out
	}
	got := func(b *BranchLine, prev, d string) []string {
		shas, ok := b.RangeOf(sha(prev), sha(d))
		if !ok {
			return nil
		}
		slices.Sort(shas)
		return shas
	}

	fp := walk(true, line)
	if r := got(fp, "p", "d"); !slices.Equal(r, sorted("m", "d", "f2")) {
		t.Errorf("first-parent range p...d = %v, want m, d and the merged head f2", r)
	}
	if !fp.Has(sha("f2")) || fp.Has(sha("f1")) {
		t.Error("first parent: f2 (a merge's other parent) is known, f1 (deeper) is not")
	}
	if !fp.MergesSince(sha("p"), sha("d"), at(7)) || fp.MergesSince(sha("p"), sha("d"), at(9)) || fp.MergesSince(sha("m"), sha("d"), at(0)) {
		t.Error("MergesSince: m merged at 7 is in p...d, not after 9, and not in m...d")
	}
	if r := got(fp, "d", "p"); r == nil || len(r) != 0 {
		t.Errorf("a rollback's range = %v, want empty", r)
	}
	if _, ok := fp.RangeOf(sha("f1"), sha("d")); ok {
		t.Error("a range from a commit off the line")
	}

	all := walk(false, slices.Concat(line[:3], side, line[3:]))
	if r := got(all, "p", "d"); !slices.Equal(r, sorted("m", "d", "f2", "f1")) {
		t.Errorf("every-ancestor range p...d = %v, want m, d, f2 and f1", r)
	}
	// Without f1 read, the range is refused (compare), not cut short.
	partial := walk(false, slices.Concat(line[:3], side[:1], line[3:]))
	if partial.HasRange(sha("p"), sha("d")) {
		t.Error("a range whose merged branch was not all read is given")
	}
}
