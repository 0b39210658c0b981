//go:build !race

package impact_test

const raceDetector = false
