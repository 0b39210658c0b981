//go:build race

package radar_test

const raceDetector = true
