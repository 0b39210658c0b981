package main

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/tach-dev/tach/collectors"
)

// drawProgress shows one live line per repo on a terminal: a spinner, the
// resource in hand, items so far, requests used and rate limit left.
func drawProgress(w io.Writer, t *collectors.Tracker, done <-chan struct{}) {
	p := mpb.New(mpb.WithOutput(w), mpb.WithRefreshRate(120*time.Millisecond), mpb.WithAutoRefresh())
	bars := map[string]*mpb.Bar{}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	update := func(final bool) {
		for _, rp := range t.Snapshot() {
			b, ok := bars[rp.Repo]
			if !ok {
				name := rp.Repo
				b = p.New(0, mpb.SpinnerStyle(), mpb.BarFillerClearOnComplete(),
					mpb.PrependDecorators(decor.Name(name, decor.WCSyncSpaceR)),
					mpb.AppendDecorators(decor.Any(func(decor.Statistics) string { return progressLine(t, name) })))
				bars[rp.Repo] = b
			}
			if rp.Done || final {
				b.SetTotal(-1, true)
			}
		}
	}
	for {
		select {
		case <-tick.C:
			update(false)
		case <-done:
			update(true)
			p.Wait()
			return
		}
	}
}

// progressLine describes one repo's progress for its live line.
func progressLine(t *collectors.Tracker, repo string) string {
	for _, rp := range t.Snapshot() {
		if rp.Repo != repo {
			continue
		}
		keys := make([]string, 0, len(rp.Items))
		for k := range rp.Items {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, 0, len(keys)+3)
		for _, k := range keys {
			parts = append(parts, fmt.Sprintf("%s %d", k, rp.Items[k]))
		}
		parts = append(parts, fmt.Sprintf("%d requests", rp.Requests))
		if rp.RateRemaining >= 0 {
			parts = append(parts, fmt.Sprintf("rate limit %d left", rp.RateRemaining))
		}
		state := "syncing " + rp.Resource
		switch {
		case rp.Err != nil:
			state = "FAILED"
		case rp.Done:
			state = "done"
		}
		return state + " · " + strings.Join(parts, " · ")
	}
	return ""
}
