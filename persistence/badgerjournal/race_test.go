//go:build race

package badgerjournal_test

// raceEnabled: the race detector slows the checksum sweep about eightfold; under it
// the sweep runs a sample, and `make test` runs it whole without the detector.
const raceEnabled = true
