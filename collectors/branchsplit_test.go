package collectors

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// A linear first-parent line of 50 commits, listed 7 a page: read in two
// chains (from the tip, and from a deployed sha halfway down), it gives
// the ranges one walk gives, and no more pages than one walk plus the
// one where the chains meet. When the sha is not on the line, or its
// listing fails, the tip's pages go on alone: the same ranges.
func TestSplitHistoryReadsTheLineOneWalkReads(t *testing.T) {
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	name := func(i int) string { return sha(fmt.Sprintf("c%02d", i)) }
	// c49 is the tip, c00 the root; c(i) was committed at hour i.
	var line []HistoryCommit
	for i := 49; i >= 0; i-- {
		c := HistoryCommit{SHA: name(i), Committed: t0.Add(time.Duration(i) * time.Hour)}
		if i > 0 {
			c.Parents = []string{name(i - 1)}
		}
		line = append(line, c)
	}
	// side is a branch off c20 (not on the line): s2 ← s1 ← c20.
	side := []HistoryCommit{
		{SHA: sha("s2"), Parents: []string{sha("s1")}, Committed: t0.Add(30 * time.Hour)},
		{SHA: sha("s1"), Parents: []string{name(20)}, Committed: t0.Add(29 * time.Hour)},
	}
	side = append(side, line[49-20:]...)
	// Deployments at c10, c25 and c40, each deployed an hour after its
	// commit; ranges c10...c25 and c25...c40.
	dep := func(i int) (string, time.Time) { return name(i), t0.Add(time.Duration(i+1) * time.Hour) }
	range_ := func(prev, d int) RangeEnds {
		s, at := dep(d)
		p, pat := dep(prev)
		return RangeEnds{SHA: s, At: at, PrevSHA: p, PrevAt: pat}
	}
	ends := []RangeEnds{range_(10, 25), range_(25, 40)}

	const pageSize = 7
	lister := func(commits []HistoryCommit, asked *atomic.Int32, fail bool) HistoryPages {
		i := 0
		return func(ctx context.Context) (string, []HistoryCommit, bool, error) {
			asked.Add(1)
			if fail {
				return "", nil, false, errors.New("502 Bad Gateway")
			}
			page := commits[i:min(i+pageSize, len(commits))]
			i += len(page)
			return commits[0].SHA, page, i < len(commits), nil
		}
	}
	ranges := func(b *BranchLine) []string {
		var out []string
		for _, e := range ends {
			shas, ok := b.RangeOf(e.PrevSHA, e.SHA)
			slices.Sort(shas)
			out = append(out, fmt.Sprint(ok, len(shas), strings.Join(shas, ",")))
		}
		return out
	}
	var one atomic.Int32
	single, err := WalkBranch(context.Background(), ends, true, lister(line, &one, false))
	if err != nil {
		t.Fatal(err)
	}
	want := ranges(single)

	for _, tc := range []struct {
		name       string
		mid        int
		midListing []HistoryCommit
		fail       bool
		split      bool // the ranges come from both chains
	}{
		{"on the line", 25, line[49-25:], false, true},
		{"off the line", 30, side, false, false},
		{"its listing fails", 25, line[49-25:], true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var top, below atomic.Int32
			midSHA, midAt := dep(tc.mid)
			if tc.name == "off the line" {
				midSHA = sha("s2")
			}
			pages, stop := SplitHistory(context.Background(), lister(line, &top, false), lister(tc.midListing, &below, tc.fail),
				midSHA, midAt, ends[0].PrevSHA, ends[0].PrevAt)
			b, err := WalkBranch(context.Background(), ends, true, pages)
			stop()
			if err != nil {
				t.Fatal(err)
			}
			if got := ranges(b); !slices.Equal(got, want) {
				t.Errorf("ranges %v, want one walk's %v", got, want)
			}
			if tc.split && (top.Load() >= one.Load() || top.Load()+below.Load() > one.Load()+1) {
				t.Errorf("%d pages from the tip and %d from the deployment; one walk read %d", top.Load(), below.Load(), one.Load())
			}
			if !tc.split && top.Load() != one.Load() {
				t.Errorf("the tip's pages alone: %d, want one walk's %d", top.Load(), one.Load())
			}
		})
	}
}
