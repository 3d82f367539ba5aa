//go:build !race

package jstest

const raceEnabled = false
