// Package journaltest is the conformance suite for persistence.Journal
// implementations. Every implementation's tests call Run:
//
//	func TestConformance(t *testing.T) {
//		journaltest.Run(t, func(t *testing.T) persistence.Journal { return memjournal.New() })
//	}
//
// Each clause of the Journal contract has at least one subtest, and the subtests run
// in parallel against fresh journals, so that they also exercise concurrent use under
// -race. The suite also pins down what the persistence package documentation lists
// where the contract is silent (timer ownership, the order of decisions within a
// batch, empty batches, reads after Close, callbacks that use the journal), and that
// List pages are full until the last, whose continuation token is "", in id order and
// newest first alike.
package journaltest
