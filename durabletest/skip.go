package durabletest

import (
	"context"
	"errors"
	"math"
	"time"

	"github.com/godurable/durable/history"
	"github.com/godurable/durable/persistence"
)

// skipTime advances the clock to the next armed timer when nothing in the runtime can
// go on but by a timer, and reports whether it did. It reads only the journal: what it
// holds after a commit is what moves every instance on.
func (rt *Runtime) skipTime(ctx context.Context) (bool, error) {
	armed, err := rt.journal.Timers(ctx, farFuture, 0)
	if err != nil || len(armed) == 0 {
		return false, err
	}
	now := rt.Clock.Now()
	busy, err := rt.busy(ctx, now, armed)
	if err != nil || busy {
		return false, err
	}
	for _, t := range armed { // earliest first
		if t.FireAt.After(now) {
			rt.Clock.advanceTo(t.FireAt)
			return true, nil
		}
	}
	return false, nil
}

// farFuture is later than any timer.
var farFuture = time.Unix(math.MaxInt32, 0)

// errFound ends a scan of the outbox at its first message.
var errFound = errors.New("found")

// busy reports whether something is under way that may change what the instances
// wait for: a message not yet delivered, an instance starting or continuing as new,
// an activity, entity call, lock request or sub-orchestration not yet answered, or a
// timer of a running instance that is due and about to fire.
func (rt *Runtime) busy(ctx context.Context, now time.Time, armed []persistence.Timer) (bool, error) {
	err := rt.journal.Outbox(ctx, func(persistence.Message) error { return errFound })
	switch {
	case errors.Is(err, errFound):
		return true, nil
	case err != nil:
		return false, err
	}
	live, err := rt.liveInstances(ctx)
	if err != nil {
		return false, err
	}
	due := map[timerKey]bool{}
	for _, t := range armed {
		if !t.FireAt.After(now) {
			due[timerKey{t.InstanceID, t.ExecutionID, t.ID}] = true
		}
	}
	for id, status := range live {
		if status != history.StatusRunning && status != history.StatusSuspended {
			return true, nil // starting, or continuing as new
		}
		row, hist, err := rt.journal.Load(ctx, id)
		if err != nil {
			return false, err
		}
		for _, ev := range openTasks(hist) {
			switch {
			case ev.Type == history.EventTimerCreated:
				if due[timerKey{id, row.ExecutionID, ev.ID}] {
					return true, nil
				}
			case ev.Type == history.EventSubOrchestrationCreated:
				if _, ok := live[ev.InstanceID]; !ok {
					return true, nil // not created yet, or its end not yet recorded here
				}
			default:
				return true, nil
			}
		}
	}
	return false, nil
}

// timerKey names a timer: its instance, execution and sequence number.
type timerKey struct {
	instance, execution string
	id                  int64
}

// liveInstances returns the status of every orchestration that has not ended.
func (rt *Runtime) liveInstances(ctx context.Context) (map[string]history.RuntimeStatus, error) {
	live := map[string]history.RuntimeStatus{}
	q := persistence.Query{PageSize: persistence.MaxPageSize, Statuses: []history.RuntimeStatus{
		history.StatusPending, history.StatusRunning, history.StatusContinuedAsNew, history.StatusSuspended,
	}}
	for {
		page, next, err := rt.journal.List(ctx, q)
		if err != nil {
			return nil, err
		}
		for _, in := range page {
			live[in.ID] = in.Status
		}
		if next == "" {
			return live, nil
		}
		q.Continuation = next
	}
}

// completes pairs each completion with the kind of action it answers.
var completes = map[history.EventType]history.EventType{
	history.EventTaskCompleted:             history.EventTaskScheduled,
	history.EventTaskFailed:                history.EventTaskScheduled,
	history.EventSubOrchestrationCompleted: history.EventSubOrchestrationCreated,
	history.EventSubOrchestrationFailed:    history.EventSubOrchestrationCreated,
	history.EventTimerFired:                history.EventTimerCreated,
	history.EventEntityOperationCompleted:  history.EventEntityOperationCalled,
	history.EventEntityOperationFailed:     history.EventEntityOperationCalled,
	history.EventEntityLockGranted:         history.EventEntityLockRequested,
}

// openTasks returns the actions of a history that await an answer not yet recorded.
// A cancelled timer stays among them: history does not record the cancellation.
func openTasks(hist []history.Event) map[int64]history.Event {
	open := map[int64]history.Event{}
	for _, ev := range hist {
		switch {
		case ev.Type == history.EventExecutionStarted:
			clear(open)
		case isAnswered(ev.Type):
			open[ev.ID] = ev
		default:
			if sched, ok := completes[ev.Type]; ok && open[ev.TaskID].Type == sched {
				delete(open, ev.TaskID)
			}
		}
	}
	return open
}

// isAnswered reports whether an action of type t awaits an answer.
func isAnswered(t history.EventType) bool {
	for _, sched := range completes {
		if sched == t {
			return true
		}
	}
	return false
}
