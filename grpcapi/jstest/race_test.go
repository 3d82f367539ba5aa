//go:build race

package jstest

// raceEnabled tells that this test runs with the race detector, and so builds the
// server with it.
const raceEnabled = true
