package orchestrator

import (
	"encoding/json"
	"fmt"

	"github.com/godurable/durable/history"
	"github.com/godurable/durable/internal/jsonpayload"
)

func (e *Execution) newTask(kind taskKind, name string) *task {
	return &task{e: e, id: -1, kind: kind, name: name}
}

// schedule records an action the code took. It takes the next sequence number; replay
// matches it against the history's scheduling event with the same number.
func (e *Execution) schedule(kind taskKind, ev history.Event) *task {
	t := &task{e: e, id: e.nextSeq, kind: kind, name: ev.Name}
	e.nextSeq++
	if e.nextSeq > e.opts.MaxActions {
		t.complete(nil, fmt.Errorf("orchestration exceeded %d actions in one execution; use ContinueAsNew or sub-orchestrations", e.opts.MaxActions))
		return t
	}
	ev.ID, ev.Time = t.id, e.now
	t.sched = ev
	if kind != kindEvent && ev.Type != history.EventEventSent {
		e.open[t.id] = t
	}
	e.unconfirmed = append(e.unconfirmed, &action{task: t, event: ev})
	return t
}

// confirm matches a scheduling event from history with the oldest action the code took
// and not yet matched.
func (e *Execution) confirm(ev history.Event) {
	if len(e.unconfirmed) == 0 {
		e.nonDeterminism(ev.ID, e.describe(ev), "nothing (it scheduled no further work)")
		return
	}
	got := e.unconfirmed[0].event
	if !sameAction(got, ev) {
		e.nonDeterminism(ev.ID, e.describe(ev), e.describe(got))
		return
	}
	e.unconfirmed = e.unconfirmed[1:]
	if len(e.unconfirmed) == 0 {
		e.unconfirmed = nil
	}
}

// sameAction reports whether the action the code took is the one the history recorded.
func sameAction(took, recorded history.Event) bool {
	return took.ID == recorded.ID && took.Type == recorded.Type && took.Name == recorded.Name &&
		took.InstanceID == recorded.InstanceID
}

// checkConfirmed fails the execution when, at the end of a recorded turn, the code took
// actions the history does not hold. It reports whether it failed.
func (e *Execution) checkConfirmed() bool {
	if len(e.unconfirmed) == 0 || e.isFinished() {
		return false
	}
	got := e.unconfirmed[0].event
	e.nonDeterminism(got.ID, "no further action at this point", e.describe(got))
	return true
}

func (e *Execution) nonDeterminism(step int64, hist, code string) {
	e.unconfirmed = nil
	e.unrecorded = e.replaying
	e.failWith(&NonDeterminismError{InstanceID: e.instanceID, Step: step, History: hist, Code: code})
}

// emitActions turns the actions the code took during a live turn into history events.
func (e *Execution) emitActions() {
	if e.replaying {
		return
	}
	for _, a := range e.unconfirmed {
		e.out = append(e.out, a.event)
	}
	e.unconfirmed = nil
}

// encode marshals a payload for history, enforcing the payload limit. what names the
// payload in errors; it is only called then, since building the name on every call was
// a measurable share of an activity call.
func (e *Execution) encode(v any, what func() string) ([]byte, error) {
	if v == nil {
		return nil, nil
	}
	b, ok := v.(json.RawMessage)
	if !ok {
		var err error
		if b, err = jsonpayload.Marshal(v); err != nil {
			return nil, fmt.Errorf("encode %s: %w", what(), err)
		}
	}
	if e.opts.MaxPayloadBytes > 0 && len(b) > e.opts.MaxPayloadBytes {
		return nil, &PayloadTooLargeError{What: what(), Size: len(b), Limit: e.opts.MaxPayloadBytes}
	}
	return b, nil
}

// PayloadTooLargeError reports a payload over the configured limit.
type PayloadTooLargeError struct {
	What        string
	Size, Limit int
}

func (e *PayloadTooLargeError) Error() string {
	return fmt.Sprintf("%s is %d bytes, over the %d-byte payload limit", e.What, e.Size, e.Limit)
}

// NonRetriable marks the error as one a retry cannot fix.
func (e *PayloadTooLargeError) NonRetriable() bool { return true }

// failedTask returns a task that is already failed (bad input caught before scheduling).
func (e *Execution) failedTask(kind taskKind, name string, err error) *task {
	t := e.newTask(kind, name)
	t.complete(nil, err)
	return t
}
