package orchestrator

import (
	"fmt"
	"strings"
	"time"

	"github.com/godurable/durable/history"
)

// EventOption configures WaitForExternalEvent.
type EventOption func(*eventOptions)

type eventOptions struct {
	timeout    time.Duration
	hasTimeout bool
}

// WithTimeout gives up waiting after d of orchestration time; Await then returns
// ErrTimedOut, and an event arriving later stays buffered for the next wait.
func WithTimeout(d time.Duration) EventOption {
	return func(o *eventOptions) { o.timeout, o.hasTimeout = d, true }
}

// WaitForExternalEvent waits for an event raised to this instance under name (matched
// case-insensitively) and decodes its data into T. Events that arrived before the wait
// are buffered in order; each wait consumes one.
func WaitForExternalEvent[T any](ctx *Context, name string, opts ...EventOption) *Task[T] {
	var o eventOptions
	for _, f := range opts {
		f(&o)
	}
	return &Task[T]{t: ctx.e.waitForEvent(name, o)}
}

func (e *Execution) waitForEvent(name string, o eventOptions) *task {
	key := strings.ToLower(name)
	w := e.newTask(kindEvent, name)
	if buf := e.events[key]; len(buf) > 0 {
		e.events[key] = buf[1:]
		w.complete(buf[0].input, nil)
		return w
	}
	if o.hasTimeout && o.timeout <= 0 {
		w.complete(nil, ErrTimedOut)
		return w
	}
	if e.waiters == nil {
		e.waiters = map[string][]*task{}
	}
	e.waiters[key] = append(e.waiters[key], w)
	if o.hasTimeout {
		fireAt := e.now.Add(o.timeout)
		timer := e.createTimer(fireAt)
		timer.whenDone(func(t *task) {
			if t.err == nil && !w.done {
				e.removeWaiter(key, w)
				w.complete(nil, ErrTimedOut)
			}
		})
		w.whenDone(func(*task) { e.cancelTimer(timer, fireAt) })
	}
	return w
}

func (e *Execution) removeWaiter(key string, w *task) {
	ws := e.waiters[key]
	for i, x := range ws {
		if x == w {
			e.waiters[key] = append(ws[:i:i], ws[i+1:]...)
			return
		}
	}
}

// SendEvent raises an external event on another orchestration instance. It does not
// wait: delivery happens after this turn is recorded.
func (c *Context) SendEvent(instanceID, name string, data any) error {
	b, err := c.e.encode(data, func() string { return fmt.Sprintf("data of event %q", name) })
	if err != nil {
		return err
	}
	c.e.schedule(kindEvent, history.Event{Type: history.EventEventSent, InstanceID: instanceID, Name: name, Input: b})
	return nil
}
