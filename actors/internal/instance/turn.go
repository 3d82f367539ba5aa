package instance

import (
	"fmt"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/godurable/durable/actors/internal/activities"
	"github.com/godurable/durable/actors/internal/wire"
	"github.com/godurable/durable/history"
	"github.com/godurable/durable/persistence"
)

// turn gathers what one batch of requests does to the instance before it is written.
type turn struct {
	a       *instance
	row     *persistence.Instance // the row as the turn leaves it; nil: absent
	exec    Replay
	fresh   bool // exec is a new execution: the history restarts
	events  []history.Event
	force   bool // step even without events (record a failure found in replay)
	batch   persistence.Batch
	replies []reply
	now     history.Event
	// afterwards lists children to terminate once the batch is durable.
	terminateChildren []history.Event
	deleted           bool
	// prefix is history already replayed into a rewound execution, written before
	// the turn's own events; rewound lists children whose failure was removed.
	prefix          []history.Event
	redispatch      bool
	rewoundChildren map[string]bool
	// remote is a remote step's answer the turn records in place of a step.
	remote *stepResult
	// rowOnly: the turn changes the row without stepping an execution (a start
	// scheduled for later, or its terminate).
	rowOnly bool
}

// runTurn turns everything queued into one journal append, unless one is in flight:
// then the queue waits and becomes the next turn, which is where batching comes from.
func (a *instance) runTurn(ctx actor.Context) {
	if a.committing != nil || len(a.queue) == 0 || a.moving {
		return
	}
	t := &turn{a: a, row: cloneRow(a.row), exec: a.exec}
	if a.h.Tel.Metrics() {
		a.turnBegan = time.Now()
	}
	t.now = history.Event{Type: history.EventOrchestratorStarted, Time: a.now()}
	reqs := a.queue
	a.queue = nil
	for i, r := range reqs {
		if !t.add(r) {
			a.queue = append(reqs[i:len(reqs):len(reqs)], a.queue...)
			break
		}
	}
	pt := t.finish()
	if pt == nil {
		for _, r := range t.replies {
			a.respond(ctx, r.to, r.msg)
		}
		a.runTurn(ctx)
		return
	}
	a.committing = pt
	sys, self := ctx.ActorSystem(), ctx.Self()
	a.h.Journal.Append(pt.batch, func(err error) { sys.Root.Send(self, &wire.AppendDone{Err: err}) })
}

func (t *turn) ok(r request) { t.reply(r, wire.CodeOK, "") }
func (t *turn) fail(r request, c wire.Code, format string, args ...any) {
	t.reply(r, c, fmt.Sprintf(format, args...))
}
func (t *turn) reply(r request, c wire.Code, m string) {
	if r.replyTo != nil {
		t.replies = append(t.replies, reply{to: r.replyTo, msg: &wire.Reply{Code: c, Message: m}})
	}
}

// add applies one request to the turn. It returns false when the request needs a turn
// of its own (it replaces or deletes the execution) and the turn already holds work.
func (t *turn) add(r request) bool {
	if t.remote != nil {
		// A remote step's answer is recorded by a turn of its own (see finish): what
		// came after it is recorded by the next one.
		return false
	}
	busy := len(t.events) > 0 || t.fresh || t.deleted
	switch m := r.msg.(type) {
	case *wire.Start:
		if busy {
			return false
		}
		t.start(r, m)
	case *continueMsg:
		if busy {
			return false
		}
		t.continueAsNew(m)
	case *stepResult:
		if busy {
			return false
		}
		t.stepResult(m)
	case *wire.Raise:
		if t.requireActive(r) {
			t.events = append(t.events, history.Event{Type: history.EventEventRaised, Name: m.Name, Input: m.Input})
			t.ok(r)
		}
	case *wire.Control:
		return t.control(r, m, busy)
	case *wire.Timer:
		t.timerFired(r, m)
	case *wire.ChildDone:
		t.childDone(r, m)
	case *wire.EntityReply:
		t.entityReply(r, m)
	case *activities.Done:
		if t.exec != nil && !t.fresh && t.exec.ExecutionID() == m.ExecutionID && t.exec.IsOpen(m.TaskID) {
			t.events = append(t.events, taskResult(history.EventTaskCompleted, history.EventTaskFailed, m.TaskID, m.Result, m.Failure))
		}
	case *wire.Delivered:
		t.batch.Delivered = append(t.batch.Delivered, m.IDs...)
		t.ok(r)
	default:
		t.fail(r, wire.CodeInvalid, "unexpected message %T", m)
	}
	return true
}

func taskResult(okType, failType history.EventType, id int64, result []byte, f *history.Failure) history.Event {
	if f != nil {
		return history.Event{Type: failType, TaskID: id, Failure: f}
	}
	return history.Event{Type: okType, TaskID: id, Result: result}
}

// requireActive replies with the right refusal when the instance cannot take input.
func (t *turn) requireActive(r request) bool {
	switch {
	case t.row == nil:
		t.fail(r, wire.CodeNotFound, "instance %q not found", t.a.id)
	case t.row.Status.IsTerminal():
		t.fail(r, wire.CodeFinished, "instance %q is %s", t.a.id, t.row.Status)
	case t.scheduled():
		t.fail(r, wire.CodeWrongState, "instance %q is scheduled to start later; it takes requests once it runs (a terminate ends it now)", t.a.id)
	case t.exec == nil:
		t.fail(r, wire.CodeInternal, "instance %q cannot run", t.a.id)
	default:
		return true
	}
	return false
}

func (t *turn) start(r request, m *wire.Start) {
	if t.row != nil && !t.row.Status.IsTerminal() {
		if m.Parent != nil && sameParent(t.row.Parent, m.Parent) {
			t.ok(r) // a parent re-sending the start of its child after a restart
			return
		}
		t.fail(r, wire.CodeExists, "instance %q already exists and is %s", t.a.id, t.row.Status)
		return
	}
	if t.row != nil && m.Parent != nil && sameParent(t.row.Parent, m.Parent) {
		t.a.notifyParent(t.row) // the child finished before the parent heard of it
		t.ok(r)
		return
	}
	if m.StartAt.After(t.now.Time) {
		t.schedule(r, m)
		return
	}
	t.begin(r, m)
}

// begin starts the first execution of the instance m starts.
func (t *turn) begin(r request, m *wire.Start) {
	exec, ok := t.a.newExec(m.Name, m.Version)
	if !ok {
		t.fail(r, wire.CodeInvalid, "%v", &unregisteredError{name: m.Name, version: m.Version})
		return
	}
	t.exec = exec
	t.fresh = true
	created := t.now.Time
	t.row = &persistence.Instance{
		ID: t.a.id, Name: m.Name, ExecutionID: m.ExecutionID, Status: history.StatusRunning,
		CreatedAt: created, Parent: m.Parent, Input: m.Input, OrchestrationVersion: m.Version,
	}
	t.batch.SetInput = nonNil(m.Input)
	t.batch.SetOutput = []byte{}
	t.events = append(t.events, history.Event{
		Type: history.EventExecutionStarted, Time: created, Name: m.Name, InstanceID: t.a.id,
		ExecutionID: m.ExecutionID, Input: m.Input, Parent: m.Parent, Trace: m.Trace, Version: m.Version,
	})
	t.ok(r)
}

func (t *turn) continueAsNew(m *continueMsg) {
	if t.row == nil || t.row.Status != history.StatusContinuedAsNew {
		return // purged, or ended otherwise since it continued as new
	}
	exec, ok := t.a.newExec(t.row.Name, t.row.OrchestrationVersion)
	if !ok {
		t.a.logger().Error("orchestrator is not registered at the version the instance continues as new at; it waits until it is",
			"name", t.row.Name, "version", t.row.OrchestrationVersion)
		return
	}
	t.exec = exec
	t.fresh = true
	t.row.ExecutionID = wire.NewID()
	t.row.Status, t.row.Input, t.row.Output, t.row.Failure = history.StatusRunning, m.input, nil, nil
	t.batch.SetInput = nonNil(m.input)
	t.batch.SetOutput = []byte{}
	t.events = append(t.events, history.Event{
		Type: history.EventExecutionStarted, Time: t.now.Time, Name: t.row.Name, InstanceID: t.a.id,
		ExecutionID: t.row.ExecutionID, Input: m.input, Parent: t.row.Parent, Trace: t.a.trace, Version: t.row.OrchestrationVersion,
	})
	t.events = append(t.events, m.carry...)
}

func sameParent(a, b *history.ParentRef) bool {
	return a != nil && b != nil && a.InstanceID == b.InstanceID && a.TaskID == b.TaskID && a.ExecutionID == b.ExecutionID
}

func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

func (t *turn) control(r request, m *wire.Control, busy bool) bool {
	switch m.Op {
	case wire.OpWake:
		t.force = t.exec != nil && t.exec.Status() == history.StatusFailed && t.row != nil && t.row.Status != history.StatusFailed
		t.ok(r)
	case wire.OpTerminate:
		if t.scheduled() {
			t.terminateScheduled(r, m)
			return true
		}
		if t.requireActive(r) {
			t.events = append(t.events, history.Event{Type: history.EventExecutionTerminated, Input: m.Reason})
			if m.Recursive {
				t.terminateChildren = t.exec.Open()
			}
			t.ok(r)
		}
	case wire.OpSuspend:
		if t.requireActive(r) {
			if t.row.Status != history.StatusSuspended {
				t.events = append(t.events, history.Event{Type: history.EventExecutionSuspended, Input: m.Reason})
			}
			t.ok(r)
		}
	case wire.OpResume:
		if t.requireActive(r) {
			if t.row.Status != history.StatusSuspended && !t.suspendedInTurn() {
				t.fail(r, wire.CodeWrongState, "instance %q is %s, not Suspended", t.a.id, t.row.Status)
				return true
			}
			t.events = append(t.events, history.Event{Type: history.EventExecutionResumed, Input: m.Reason})
			t.ok(r)
		}
	case wire.OpRewind:
		if busy {
			return false
		}
		t.rewind(r, m)
	case wire.OpPurge:
		if busy {
			return false
		}
		t.purge(r)
	default:
		t.fail(r, wire.CodeInvalid, "unknown operation %d", m.Op)
	}
	return true
}

func (t *turn) suspendedInTurn() bool {
	for _, ev := range t.events {
		if ev.Type == history.EventExecutionSuspended {
			return true
		}
	}
	return false
}

func (t *turn) purge(r request) {
	switch {
	case t.row == nil:
		t.fail(r, wire.CodeNotFound, "instance %q not found", t.a.id)
	case !t.row.Status.IsTerminal():
		t.fail(r, wire.CodeWrongState, "instance %q is %s; only finished instances can be purged", t.a.id, t.row.Status)
	default:
		t.deleted = true
		t.ok(r)
	}
}

func (t *turn) timerFired(r request, m *wire.Timer) {
	// The stored timer goes whatever happens: it fired, and anything it was for has
	// moved on if the timer is no longer awaited.
	if t.row != nil {
		t.batch.CancelTimers = append(t.batch.CancelTimers, persistence.Timer{
			InstanceID: t.a.id, ExecutionID: m.ExecutionID, ID: m.TimerID, FireAt: m.FireAt,
		})
	}
	if m.TimerID == scheduledStartTimer {
		t.startScheduled(r, m)
		return
	}
	if t.exec != nil && !t.fresh && t.exec.ExecutionID() == m.ExecutionID && t.exec.IsOpen(m.TimerID) {
		t.events = append(t.events, history.Event{Type: history.EventTimerFired, TaskID: m.TimerID, FireAt: m.FireAt})
		if tel := t.a.h.Tel; tel.Tracing() {
			created, _ := t.exec.Scheduled(m.TimerID)
			tel.Timer(t.a.trace, t.a.id, created.Time, m.FireAt, t.now.Time)
		}
	}
	t.ok(r)
}

func (t *turn) entityReply(r request, m *wire.EntityReply) {
	awaited := t.exec != nil && !t.fresh && !finished(t.exec.Status()) &&
		t.exec.ExecutionID() == m.ExecutionID && t.exec.IsOpen(m.TaskID)
	if m.Granted && !awaited {
		t.releaseStale(m)
	}
	if awaited {
		if m.Granted {
			t.events = append(t.events, history.Event{Type: history.EventEntityLockGranted, TaskID: m.TaskID})
		} else {
			t.events = append(t.events, taskResult(history.EventEntityOperationCompleted,
				history.EventEntityOperationFailed, m.TaskID, m.Result, m.Failure))
		}
	}
	t.ok(r)
}

// releaseStale gives back a lock granted to an execution that stopped waiting for it
// (terminated, failed or continued as new while its request was queued): otherwise
// the entities would stay locked by nobody.
func (t *turn) releaseStale(m *wire.EntityReply) {
	if t.row == nil {
		return
	}
	for _, target := range m.Entities {
		t.a.outbox(&t.batch, target, func(seq int64) any {
			return &wire.EntityMsg{Kind: wire.EntityUnlock, From: t.a.id + "/" + m.ExecutionID + "/release", Seq: seq,
				Lock: &wire.LockRef{Owner: t.a.id, ExecutionID: m.ExecutionID}}
		})
	}
}

func (t *turn) childDone(r request, m *wire.ChildDone) {
	if t.exec != nil && !t.fresh && t.exec.ExecutionID() == m.ParentExecutionID && t.exec.IsOpen(m.TaskID) {
		t.events = append(t.events, taskResult(history.EventSubOrchestrationCompleted,
			history.EventSubOrchestrationFailed, m.TaskID, m.Result, m.Failure))
	}
	t.ok(r)
}
