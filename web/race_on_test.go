//go:build race

package web_test

// raceEnabled: the race detector slows the server (SQLite in pure Go above
// all) tens of times, so the browser tests run in their own, plain `go
// test` (make browser) instead.
const raceEnabled = true
