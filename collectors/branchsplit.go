package collectors

import (
	"context"
	"slices"
	"strings"
	"time"
)

// SplitHistory serves a listing of the default branch's first-parent line
// read as two chains of pages at once: from the tip (top), and from a
// deployed sha below it (fromMid, the listing of mid's own first-parent
// line, read ahead in the background). When mid is on the branch's line,
// the line below it is mid's line: the tip's pages are served cut at mid,
// then mid's, and the walk is about half as long. When the tip's pages
// pass below mid's time (less skewMargin) or end without meeting it — a
// sha deployed from another branch — mid's pages are dropped and the tip's
// go on alone, as one walk would. Either way WalkBranch sees one listing,
// the same as one walk's.
//
// The pages from mid are read ahead until one holds stopSHA (the oldest
// range's base) or reaches below stopAt less skewMargin, where the walk
// stops; WalkBranch asks on from there if it needs more. stop ends the
// reading ahead and waits for it (its requests count in the repo's
// summary, which is done once the walk returns).
func SplitHistory(ctx context.Context, top, fromMid HistoryPages, mid string, midAt time.Time, stopSHA string, stopAt time.Time) (pages HistoryPages, stop func()) {
	actx, cancel := context.WithCancel(ctx)
	s := &splitHistory{top: top, fromMid: fromMid, mid: mid, midAt: midAt, ahead: make(chan aheadHistory, 16), done: make(chan struct{}), cancel: cancel}
	go func() {
		defer close(s.done)
		defer close(s.ahead)
		for {
			_, page, more, err := fromMid(actx)
			select {
			case s.ahead <- aheadHistory{page, more, err}:
			case <-actx.Done():
				return
			}
			if err != nil || !more || holds(page, stopSHA) || below(page, stopAt) {
				return
			}
		}
	}()
	return s.next, func() {
		cancel()
		<-s.done
	}
}

// holds reports whether a page lists sha.
func holds(page []HistoryCommit, sha string) bool {
	return slices.ContainsFunc(page, func(c HistoryCommit) bool { return strings.EqualFold(c.SHA, sha) })
}

// below reports whether a page reaches below at less skewMargin.
func below(page []HistoryCommit, at time.Time) bool {
	return len(page) > 0 && page[len(page)-1].Committed.Before(at.Add(-skewMargin))
}

type aheadHistory struct {
	page []HistoryCommit
	more bool
	err  error
}

type splitHistory struct {
	top, fromMid HistoryPages
	mid          string
	midAt        time.Time
	ahead        chan aheadHistory // closed when the reading ahead ends
	done         chan struct{}
	cancel       context.CancelFunc // stops the reading ahead
	state        splitState
}

type splitState int

const (
	looking splitState = iota // reading the tip's pages, looking for mid
	serving                   // serving mid's
	alone                     // the tip's alone: mid is not on the line
)

func (s *splitHistory) next(ctx context.Context) (string, []HistoryCommit, bool, error) {
	switch s.state {
	case serving:
		return s.fromAhead(ctx)
	case alone:
		return s.top(ctx)
	}
	tip, page, more, err := s.top(ctx)
	if err != nil {
		return tip, page, more, err
	}
	for i, c := range page {
		if !strings.EqualFold(c.SHA, s.mid) {
			continue
		}
		_, rest, restMore, err := s.fromAhead(ctx)
		if err == nil && len(rest) > 0 && strings.EqualFold(rest[0].SHA, s.mid) {
			s.state = serving
			return tip, append(page[:i:i], rest...), restMore, nil
		}
		// mid's pages failed, or are not mid's line: the tip's alone.
		s.goAlone()
		return tip, page, more, nil
	}
	if !more || below(page, s.midAt) {
		s.goAlone() // mid is not on the line
	}
	return tip, page, more, nil
}

// goAlone drops mid's pages: the tip's go on alone.
func (s *splitHistory) goAlone() {
	s.state = alone
	s.cancel()
}

// fromAhead serves the next page read ahead from mid, and once those are
// all served, asks on itself (the reading ahead has ended).
func (s *splitHistory) fromAhead(ctx context.Context) (string, []HistoryCommit, bool, error) {
	select {
	case r, ok := <-s.ahead:
		if ok {
			return "", r.page, r.more, r.err
		}
	case <-ctx.Done():
		return "", nil, false, ctx.Err()
	}
	return s.fromMid(ctx)
}
