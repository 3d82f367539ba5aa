package instance

import (
	"context"
	"log/slog"
	"time"

	"github.com/godurable/durable/history"
	"github.com/godurable/durable/persistence"
)

// tell logs and measures the change a committed turn made to the instance's life:
// started, completed, failed, terminated, suspended, resumed, rewound; an execution that
// ended is also a span. Turns that change none of these (most of them) do nothing, and
// nothing is built for a logger that would drop the record.
func (a *instance) tell(before, after *persistence.Instance, pt *pendingTurn) {
	fresh := before == nil || pt.batch.ResetHistory
	if after == nil || !fresh && before.Status == after.Status {
		return // most turns: the instance goes on as it was
	}
	log, tel := a.h.Log, a.h.Tel
	logging := log.Enabled(context.Background(), slog.LevelInfo)
	if !logging && tel == nil {
		return
	}
	var was history.RuntimeStatus
	if before != nil {
		was = before.Status
	}
	execID := ""
	if pt.exec != nil {
		execID = pt.exec.ExecutionID()
	}
	say := func(msg string, extra ...any) {
		if logging {
			log.Info(msg, append([]any{"instanceId", a.id, "name", after.Name, "executionId", execID}, extra...)...)
		}
	}
	if after.Status == history.StatusPending && pt.exec == nil {
		say("orchestration scheduled")
		return
	}
	if fresh {
		// The next execution of an eternal orchestration is not news; a start, or a
		// restart, is. Either may end in the same turn.
		if before == nil || was != history.StatusContinuedAsNew {
			say("orchestration started", versioned(after)...)
			tel.Started(after.Name)
		}
		was = history.StatusRunning
		a.trace, a.began = traceOf(pt.batch.Events)
	}
	now := after.Status
	switch {
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
	if now != was && (now.IsTerminal() || now == history.StatusContinuedAsNew) {
		tel.Ended(a.trace, after.Name, a.id, execID, now, after.Failure, a.began, after.UpdatedAt)
	}
}

// traceOf returns the traceparent and start time of the execution events hold (a
// history holds one execution: its ExecutionStarted comes first, after an
// OrchestratorStarted).
func traceOf(events []history.Event) (string, time.Time) {
	for i := range events {
		if events[i].Type == history.EventExecutionStarted {
			return events[i].Trace, events[i].Time
		}
	}
	return "", time.Time{}
}
