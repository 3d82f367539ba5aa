//go:build !race

package badgerjournal_test

const raceEnabled = false
