package instance

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/godurable/durable/actors/internal/activities"
	"github.com/godurable/durable/actors/internal/wire"
	"github.com/godurable/durable/history"
	"github.com/godurable/durable/orchestrator"
	"github.com/godurable/durable/persistence"
)

// finish steps the execution with the turn's events and assembles the batch. It
// returns nil when the turn changes nothing durable.
func (t *turn) finish() *pendingTurn {
	a, b := t.a, &t.batch
	b.InstanceID = a.id
	if a.row != nil {
		b.ExpectedVersion = a.row.Version
	}
	pt := &pendingTurn{batch: b, replies: t.replies, terminateChildren: t.terminateChildren}
	if t.deleted {
		b.Delete, pt.deleted = true, true
		return pt
	}
	stepped := t.exec != nil && (len(t.events) > 0 || t.force || len(t.prefix) > 0 || t.remote != nil)
	if stepped {
		var tr orchestrator.Turn
		if t.remote != nil {
			tr = t.exec.(*remoteExec).record(t.remote)
		} else {
			// Room for what a turn usually adds: an action or two, or a completion; a
			// turn that schedules more (a fan-out) grows the slice once.
			events := make([]history.Event, 0, 1+len(t.events)+2)
			tr = t.exec.Step(append(append(events, t.now), t.events...))
		}
		t.record(tr)
		pt.turn, pt.remote = tr, t.remote != nil
	}
	if !stepped && !t.rowOnly && len(b.CancelTimers) == 0 && len(b.Delivered) == 0 && len(b.Send) == 0 {
		return nil
	}
	b.Instance = t.row
	pt.row, pt.exec, pt.redispatch, pt.rewoundChildren = t.row, t.exec, t.redispatch, t.rewoundChildren
	return pt
}

// record writes what a step produced into the batch and the row.
func (t *turn) record(tr orchestrator.Turn) {
	b, row := &t.batch, t.row
	b.ResetHistory = t.fresh && t.a.row != nil // a new instance has no history to drop
	b.Events = tr.Events
	if len(t.prefix) > 0 {
		b.Events = append(t.prefix, tr.Events...)
	}
	row.Status, row.UpdatedAt = tr.Status, t.now.Time
	if tr.CustomStatusChanged {
		row.CustomStatus = tr.CustomStatus
	}
	if finished(tr.Status) {
		row.Failure, row.Output = tr.Failure, nonNil(tr.Output)
		b.SetOutput = row.Output
	}
	if tr.ContinueAsNew != nil {
		// The row carries the next execution's version until it starts.
		row.OrchestrationVersion = tr.ContinueAsNew.Version
	}
	cancelled := map[int64]bool{}
	for _, ev := range tr.CancelledTimers {
		cancelled[ev.ID] = true
	}
	execID := t.exec.ExecutionID()
	created := map[int64]bool{}
	for _, ev := range tr.Events {
		switch ev.Type {
		case history.EventTimerCreated:
			created[ev.ID] = true
			if !cancelled[ev.ID] {
				b.ArmTimers = append(b.ArmTimers, persistence.Timer{InstanceID: t.a.id, ExecutionID: execID, ID: ev.ID, FireAt: ev.FireAt})
			}
		case history.EventEventSent:
			t.send(ev)
		case history.EventEntityOperationCalled, history.EventEntityOperationSignaled,
			history.EventEntityLockRequested, history.EventEntityUnlockSent:
			t.sendToEntity(ev, execID)
		}
	}
	for _, ev := range tr.CancelledTimers {
		if !created[ev.ID] {
			b.CancelTimers = append(b.CancelTimers, persistence.Timer{InstanceID: t.a.id, ExecutionID: execID, ID: ev.ID, FireAt: ev.FireAt})
		}
	}
	want := t.exec.HasWorkInFlight() || tr.Status == history.StatusContinuedAsNew
	if !t.a.recoverKnown || want != t.a.recoverSet || t.fresh {
		b.Recover = &want
	}
}

// send stores an event for another instance in the outbox, to be delivered after the
// batch commits and re-sent after a restart until the receiver acknowledges it.
func (t *turn) send(ev history.Event) {
	t.a.outbox(&t.batch, ev.InstanceID, func(id int64) any {
		return &wire.Raise{Name: ev.Name, Input: ev.Input, From: t.a.id, ID: id}
	})
}

// sendToEntity stores an entity message for delivery after the batch commits. The
// sender is the execution, so messages of a later execution are never mistaken for
// re-sent ones.
func (t *turn) sendToEntity(ev history.Event, execID string) {
	from := t.a.id + "/" + execID
	target := ev.InstanceID
	t.a.outbox(&t.batch, target, func(seq int64) any {
		m := &wire.EntityMsg{Kind: wire.EntityOperation, Op: ev.Name, Input: ev.Input, From: from, Seq: seq, Trace: t.a.trace}
		switch ev.Type {
		case history.EventEntityOperationCalled:
			m.Call = &wire.CallRef{InstanceID: t.a.id, ExecutionID: execID, TaskID: ev.ID}
		case history.EventEntityOperationSignaled:
			m.At = ev.FireAt
		case history.EventEntityLockRequested:
			var list []string
			_ = json.Unmarshal(ev.Input, &list)
			m.Kind, m.Op, m.Input = wire.EntityLock, "", nil
			m.Lock = &wire.LockRef{Owner: t.a.id, ExecutionID: execID, TaskID: ev.ID, Entities: list}
		case history.EventEntityUnlockSent:
			m.Kind, m.Op = wire.EntityUnlock, ""
			m.Lock = &wire.LockRef{Owner: t.a.id, ExecutionID: execID}
		}
		return m
	})
}

func finished(s history.RuntimeStatus) bool {
	return s.IsTerminal() || s == history.StatusContinuedAsNew
}

// committed acts on the journal's verdict on the turn in flight.
func (a *instance) committed(ctx actor.Context, err error) {
	pt := a.committing
	a.committing = nil
	if pt == nil {
		return
	}
	if a.h.Tel.Metrics() {
		a.h.Tel.Turn(time.Since(a.turnBegan))
	}
	if err != nil {
		a.commitFailed(ctx, pt, err)
		return
	}
	if pt.deleted {
		a.row = nil
		a.setExec(nil)
	} else {
		pt.row.Version = pt.batch.ExpectedVersion + 1
		a.tell(a.row, pt.row, pt)
		a.endedHere = a.endedHere || pt.row.Status.IsTerminal() && (a.row == nil || !a.row.Status.IsTerminal())
		a.row = pt.row
		a.setExec(pt.exec)
		if pt.batch.Recover != nil {
			a.recoverSet, a.recoverKnown = *pt.batch.Recover, true
		}
		a.dispatch(ctx, pt)
	}
	// Waiters learn of the row before callers hear that their request is done, so that
	// a caller that waits next starts from this row, not from an older one.
	a.h.Watchers.Notify(a, a.id, a.row)
	for _, r := range pt.replies {
		a.respond(ctx, r.to, r.msg)
	}
	a.runTurn(ctx)
	a.maybeStep(ctx)
}

func (a *instance) setExec(e Replay) {
	if a.exec != nil && a.exec != e {
		a.exec.Stop()
	}
	a.exec = e
}

// dispatch sends out the work a durable turn created.
func (a *instance) dispatch(ctx actor.Context, pt *pendingTurn) {
	if pt.redispatch {
		a.redispatchRewound(ctx, pt.rewoundChildren)
	} else {
		for _, ev := range pt.batch.Events {
			switch ev.Type {
			case history.EventTaskScheduled:
				a.dispatchActivity(ctx, ev)
			case history.EventSubOrchestrationCreated:
				a.startChild(ev)
			}
		}
	}
	for _, tm := range pt.batch.ArmTimers {
		a.h.Timers.Arm(tm)
	}
	for _, m := range pt.batch.Send {
		a.h.DeliverOutbox(m)
		if a.unacked == nil {
			a.unacked = map[int64]bool{}
		}
		a.unacked[m.ID] = true
	}
	for _, id := range pt.batch.Delivered {
		delete(a.unacked, id)
	}
	for _, ev := range pt.terminateChildren {
		if ev.Type == history.EventSubOrchestrationCreated {
			a.h.Courier.Send(ev.InstanceID, &wire.Control{Op: wire.OpTerminate, Recursive: true, Reason: []byte(`"parent terminated"`)}, nil)
		}
	}
	switch a.row.Status {
	case history.StatusCompleted, history.StatusFailed, history.StatusTerminated, history.StatusCanceled:
		a.notifyParent(a.row)
	case history.StatusContinuedAsNew:
		var carry []history.Event
		if pt.turn.ContinueAsNew != nil {
			carry = pt.turn.ContinueAsNew.Carry
		}
		// The next execution starts before any request that came in meanwhile: from
		// outside, continuing as new is one step, and a terminate queued behind it must
		// end the new execution, not be undone by it.
		a.queue = append([]request{{msg: &continueMsg{input: a.row.Output, carry: carry}}}, a.queue...)
	}
}

// commitFailed drops the in-memory state, which ran ahead of the journal, and stops
// the actor (answering retries until it does); the next message reloads the instance
// from what is durable.
func (a *instance) commitFailed(ctx actor.Context, pt *pendingTurn, err error) {
	if pt.exec != nil && pt.exec != a.exec {
		pt.exec.Stop()
	}
	a.h.Watchers.Released(a, a.id) // the journal may now hold a row this one has not seen
	switch {
	case errors.Is(err, persistence.ErrVersionConflict):
		a.logger().Warn("another activation of the instance committed first; this one stops", "error", err)
	case errors.Is(err, persistence.ErrFenced):
		a.logger().Debug("the instance's partition is no longer served here; this activation stops (it moved, or this member lost it)", "error", err)
	case errors.Is(err, persistence.ErrJournalFailed):
		// Nothing in memory can be trusted after a failed write or sync, and the
		// journal takes nothing until the process opens it again: waking would only
		// fail again.
		a.logger().Error("the journal failed; the runtime must be restarted", "error", err)
	case errors.Is(err, persistence.ErrUnavailable):
		a.logger().Warn("the journal takes no writes for now; the instance waits", "error", err)
		a.h.WakeLater(a.id)
	default:
		a.logger().Error("journal append failed; the instance reloads", "error", err)
		a.h.WakeLater(a.id)
	}
	for _, r := range pt.replies {
		m := r.msg
		if m.Code == wire.CodeOK {
			m = wire.NotRecorded(err)
		}
		a.respond(ctx, r.to, m)
	}
	for _, r := range a.queue {
		a.respond(ctx, r.replyTo, &wire.Reply{Code: wire.CodeRetry, Message: "instance is reloading"})
	}
	a.queue = nil
	if errors.Is(err, persistence.ErrFenced) {
		a.idle.MoveAway(a.h.Lifecycle, a.ci, a.self)
	} else {
		a.idle.Leave(a.h.Lifecycle, a.ci, a.self)
	}
}

func (a *instance) dispatchActivity(ctx actor.Context, ev history.Event) {
	if a.inflight == nil {
		a.inflight = map[taskKey]struct{}{}
	}
	a.inflight[taskKey{a.exec.ExecutionID(), ev.ID}] = struct{}{}
	t := &activities.Task{
		ReplyTo: ctx.Self(), InstanceID: a.id, ExecutionID: a.exec.ExecutionID(),
		TaskID: ev.ID, Name: ev.Name, Input: ev.Input, Trace: a.trace,
	}
	if a.h.Offload != nil && a.h.Activities.Busy() && a.h.Offload.Dispatch(t) {
		return
	}
	a.h.Activities.Submit(t)
}

// work takes the news of an activity run on another member: its result, or that the
// member went away, in which case the activity runs again if it is still awaited.
func (a *instance) work(ctx actor.Context, m any, sender *actor.PID) {
	if a.idle.Passivating || a.moving {
		// The next activation takes it (here or where the instance moved): the courier
		// delivers it again.
		a.respond(ctx, sender, &wire.Reply{Code: wire.CodeRetry, Message: "instance is passivating"})
		return
	}
	a.respond(ctx, sender, &wire.Reply{Code: wire.CodeOK})
	switch m := m.(type) {
	case *wire.WorkDone:
		if a.h.Offload != nil {
			a.h.Offload.Finished(m.ExecutionID, m.TaskID)
		}
		delete(a.inflight, taskKey{m.ExecutionID, m.TaskID})
		a.enqueue(ctx, &activities.Done{InstanceID: a.id, ExecutionID: m.ExecutionID, TaskID: m.TaskID,
			Result: m.Result, Failure: m.Failure}, nil)
	case *wire.WorkLost:
		if a.exec == nil || a.exec.ExecutionID() != m.ExecutionID || !a.exec.IsOpen(m.TaskID) {
			return
		}
		for _, ev := range a.exec.Open() {
			if ev.ID == m.TaskID && ev.Type == history.EventTaskScheduled {
				a.dispatchActivity(ctx, ev)
			}
		}
	}
}

func (a *instance) startChild(ev history.Event) {
	parent := &history.ParentRef{InstanceID: a.id, ExecutionID: a.exec.ExecutionID(), TaskID: ev.ID, Name: a.row.Name}
	msg := &wire.Start{Name: ev.Name, Input: ev.Input, ExecutionID: wire.NewID(), Parent: parent, Version: ev.Version,
		Trace: a.h.Tel.Create(context.Background(), a.trace, ev.Name, ev.InstanceID)}
	a.h.Courier.Send(ev.InstanceID, msg, func(r *wire.Reply) {
		if r.Code == wire.CodeOK {
			return
		}
		// The child could not start (name unknown, id taken): its task fails.
		a.h.Courier.Send(a.id, &wire.ChildDone{
			ParentExecutionID: parent.ExecutionID, TaskID: ev.ID, ChildID: ev.InstanceID,
			Failure: &history.Failure{ErrorType: "StartError", Message: r.Message, NonRetriable: r.Code == wire.CodeInvalid},
		}, nil)
	})
}

// notifyParent reports a finished sub-orchestration to its parent.
func (a *instance) notifyParent(row *persistence.Instance) {
	p := row.Parent
	if p == nil {
		return
	}
	msg := &wire.ChildDone{ParentExecutionID: p.ExecutionID, TaskID: p.TaskID, ChildID: row.ID}
	switch row.Status {
	case history.StatusCompleted:
		msg.Result = row.Output
	case history.StatusFailed:
		msg.Failure = row.Failure
		if msg.Failure == nil {
			msg.Failure = &history.Failure{Message: "sub-orchestration failed"}
		}
	default:
		msg.Failure = &history.Failure{ErrorType: row.Status.String(), Message: "sub-orchestration " + row.ID + " was " + row.Status.String()}
	}
	a.h.Courier.Send(p.InstanceID, msg, nil)
}

func cloneRow(r *persistence.Instance) *persistence.Instance {
	if r == nil {
		return nil
	}
	c := *r
	return &c
}
