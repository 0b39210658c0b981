//go:build race

package gitlab_test

// raceEnabled thins out the exhaustive tests under the race detector,
// which makes SQLite about ten times slower; the plain run covers them all.
const raceEnabled = true
