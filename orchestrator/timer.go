package orchestrator

import (
	"time"

	"github.com/godurable/durable/history"
)

// Timer is a durable timer: it fires even if the instance was unloaded or the process
// restarted in between.
type Timer struct {
	t      *task
	fireAt time.Time
}

func (t *Timer) base() *task { return t.t }

// CreateTimer returns a timer that fires d after the orchestration's current time.
func (c *Context) CreateTimer(d time.Duration) *Timer { return c.CreateTimerAt(c.e.now.Add(d)) }

// CreateTimerAt returns a timer that fires at fireAt.
func (c *Context) CreateTimerAt(fireAt time.Time) *Timer {
	return &Timer{t: c.e.createTimer(fireAt), fireAt: fireAt}
}

// Await waits until the timer fires; it returns ErrCanceled if it was cancelled.
func (t *Timer) Await() error {
	t.t.e.await(t.t)
	return t.t.err
}

// Done reports whether the timer fired or was cancelled.
func (t *Timer) Done() bool { return t.t.done }

// Cancel stops a timer that is no longer needed, so it does not keep the orchestration
// from completing. Cancelling a finished timer does nothing.
func (t *Timer) Cancel() { t.t.e.cancelTimer(t.t, t.fireAt) }

func (e *Execution) cancelTimer(t *task, fireAt time.Time) {
	if t.done {
		return
	}
	delete(e.open, t.id)
	e.cancelled = append(e.cancelled, history.Event{Type: history.EventTimerCreated, ID: t.id, FireAt: fireAt})
	t.complete(nil, ErrCanceled)
	e.checkCompletion()
}
