package journaltest

import (
	"testing"

	"github.com/godurable/durable/persistence"
)

// Run runs the conformance suite. open must return a fresh, empty journal for the
// subtest it is given; it is called from parallel subtests. Run closes every journal
// it opens (some subtests close it earlier), so Close must tolerate a second call.
func Run(t *testing.T, open func(t *testing.T) persistence.Journal) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.run(newHarness(t, open))
		})
	}
}

var cases = []struct {
	name string
	run  func(h *harness)
}{
	{"AppendLoadRoundTrip", testRoundTrip},
	{"HistoryFromSequence", testHistoryFrom},
	{"RowKeptWhenBatchHasNoInstance", testRowKept},
	{"EmptyBatchAdvancesVersion", testEmptyBatch},
	{"LargeBatch", testLargeBatch},
	{"VersionFencing", testFencing},
	{"FencedBatchAppliesNothing", testFencedAppliesNothing},
	{"LoadSeesWholeBatchesOnly", testAtomicVisibility},
	{"PipelinedAppendsApplyInOrder", testPipelinedOrder},
	{"ConflictFailsOnlyItsBatch", testConflictIsolated},
	{"ConcurrentInstances", testConcurrentInstances},
	{"Delete", testDelete},
	{"DeleteIsFenced", testDeleteFenced},
	{"ResetHistory", testResetHistory},
	{"ResetHistoryPipelined", testResetPipelined},
	{"Payloads", testPayloads},
	{"PayloadSizes", testPayloadSizes},
	{"NotFound", testNotFound},
	{"ListFilters", testListFilters},
	{"ListPaging", testListPaging},
	{"ListPayloads", testListPayloads},
	{"ListBounded", testListBounded},
	{"ListEntities", testListEntities},
	{"ListNewestFirst", testListNewestFirst},
	{"ListNewestFirstTies", testNewestFirstTies},
	{"ListNewestFirstFollowsChanges", testNewestFirstFollowsChanges},
	{"ListNewestFirstRefusals", testNewestFirstRefusals},
	{"Timers", testTimers},
	{"CancelTimers", testCancelTimers},
	{"TimerOwnership", testTimerOwnership},
	{"LaterDecisionWinsInBatch", testLaterDecisionWins},
	{"Recoverable", testRecoverable},
	{"Outbox", testOutbox},
	{"CallbacksMayUseJournal", testCallbacksUseJournal},
	{"CloseFlushesThenRejects", testClose},
	{"CallersOwnReturnedData", testCallersOwnReturned},
	{"JournalKeepsNoCallerData", testJournalKeepsNothing},
}
