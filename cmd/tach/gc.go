package main

import (
	"os"
	"runtime/debug"
)

// The dashboard's pages allocate a lot that lives for one request (chart
// options, rendered HTML) over a small heap that stays (the engine's
// cache): at Go's default GOGC of 100 the collector runs so often that
// under 20 clients it takes a third of the CPU. Serving, tach lets the heap
// grow to three times what is live (GOGC=200), under a soft limit that
// keeps it well inside a small machine's memory; measured in
// docs/performance.md (## Scale). GOGC or GOMEMLIMIT in the environment
// win.
const (
	serveGCPercent  = 200
	serveMemoryGoal = 200 << 20
)

// tuneGCForServing sets the serving GC, unless the environment sets its own.
func tuneGCForServing() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(serveGCPercent)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(serveMemoryGoal)
	}
}
