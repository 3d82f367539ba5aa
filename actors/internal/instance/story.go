package instance

import (
	"context"
	"log/slog"

	"github.com/godurable/durable/history"
	"github.com/godurable/durable/persistence"
)

// tell logs the change a committed turn made to the instance's life: started,
// completed, failed, terminated, suspended, resumed, rewound. Turns that change none of
// these (most of them) log nothing, and nothing is built for a logger that would drop
// the record.
func (a *instance) tell(before, after *persistence.Instance, pt *pendingTurn) {
	log := a.h.Log
	if after == nil || !log.Enabled(context.Background(), slog.LevelInfo) {
		return
	}
	fresh := before == nil || pt.batch.ResetHistory
	var was history.RuntimeStatus
	if before != nil {
		was = before.Status
	}
	execID := ""
	if pt.exec != nil {
		execID = pt.exec.ExecutionID()
	}
	say := func(msg string, extra ...any) {
		log.Info(msg, append([]any{"instanceId", a.id, "name", after.Name, "executionId", execID}, extra...)...)
	}
	if fresh {
		// The next execution of an eternal orchestration is not news; a start, or a
		// restart, is. Either may end in the same turn.
		if before == nil || was != history.StatusContinuedAsNew {
			say("orchestration started")
		}
		was = history.StatusRunning
	}
	switch now := after.Status; {
	case now == was:
	case now == history.StatusCompleted:
		say("orchestration completed")
	case now == history.StatusFailed:
		if f := after.Failure; f != nil {
			say("orchestration failed", "error", f.Message, "errorType", f.ErrorType)
		} else {
			say("orchestration failed")
		}
	case now == history.StatusTerminated:
		say("orchestration terminated", "reason", string(after.Output))
	case now == history.StatusSuspended:
		say("orchestration suspended")
	case now == history.StatusRunning && was == history.StatusSuspended:
		say("orchestration resumed")
	case now == history.StatusRunning && was == history.StatusFailed:
		say("orchestration rewound")
	}
}
