// Package journaltest is the conformance suite for persistence.Journal
// implementations. Every implementation's tests call Run:
//
//	func TestConformance(t *testing.T) {
//		journaltest.Run(t, func(t *testing.T) persistence.Journal { return memjournal.New() })
//	}
//
// Each clause of the Journal contract has at least one subtest, and the subtests run
// in parallel against fresh journals, so that they also exercise concurrent use under
// -race. Beyond the contract the suite pins down behaviour the runtime relies on and
// both shipped journals provide: reads fail with persistence.ErrClosed after Close,
// Recoverable and Outbox callbacks may use the journal, an empty batch still advances
// the version, and List pages are full until the last, whose token is "".
package journaltest
