package instance

import (
	"github.com/vmihailenco/msgpack/v5"

	"github.com/godurable/durable/actors/internal/wire"
	"github.com/godurable/durable/history"
	"github.com/godurable/durable/persistence"
)

// A start scheduled for later leaves the instance Pending, with no history, and arms a
// durable timer that carries the start: when it fires, the instance begins as if the
// start had come then. The timer is the instance's own, so it survives restarts and
// moves with the instance's partition. Until then the instance takes no input but a
// terminate, which ends it at once; the timer, when it fires, finds it ended and goes.

// scheduledStartTimer is the id of the timer of a scheduled start: sequence ids of an
// execution's own timers are never negative.
const scheduledStartTimer = -1

// scheduled reports whether the instance waits for its scheduled start.
func (t *turn) scheduled() bool {
	return t.row != nil && t.row.Status == history.StatusPending && t.exec == nil && !t.fresh
}

// schedule records a start for m.StartAt.
func (t *turn) schedule(r request, m *wire.Start) {
	payload, err := msgpack.Marshal(m) // its StartAt is replaced by the time it fires
	if err != nil {
		t.fail(r, wire.CodeInvalid, "cannot record the start: %v", err)
		return
	}
	exec, ok := t.a.newExec(m.Name, m.Version)
	if !ok {
		t.fail(r, wire.CodeInvalid, "%v", &unregisteredError{name: m.Name, version: m.Version})
		return
	}
	exec.Stop() // only the code's existence is checked now; it runs once the time comes
	// A finished instance of the same id is replaced: its history goes now.
	t.batch.ResetHistory = t.row != nil
	t.row = &persistence.Instance{
		ID: t.a.id, Name: m.Name, ExecutionID: m.ExecutionID, Status: history.StatusPending,
		CreatedAt: t.now.Time, UpdatedAt: t.now.Time, Parent: m.Parent, Input: m.Input, OrchestrationVersion: m.Version,
	}
	t.exec = nil
	t.batch.SetInput = nonNil(m.Input)
	t.batch.SetOutput = []byte{}
	t.batch.ArmTimers = append(t.batch.ArmTimers, persistence.Timer{
		InstanceID: t.a.id, ExecutionID: m.ExecutionID, ID: scheduledStartTimer, FireAt: m.StartAt, Payload: payload,
	})
	t.rowOnly = true
	t.ok(r)
}

// startScheduled begins the instance whose scheduled start came due, unless it was
// ended (or replaced) since.
func (t *turn) startScheduled(r request, m *wire.Timer) {
	if !t.scheduled() || t.row.ExecutionID != m.ExecutionID {
		t.ok(r)
		return
	}
	var start wire.Start
	if err := msgpack.Unmarshal(m.Payload, &start); err != nil {
		t.a.logger().Error("the scheduled start's timer holds no start; the instance stays Pending", "error", err)
		t.ok(r)
		return
	}
	start.StartAt = t.now.Time
	t.begin(r, &start)
}

// terminateScheduled ends an instance before its scheduled start.
func (t *turn) terminateScheduled(r request, m *wire.Control) {
	t.row.Status, t.row.Output, t.row.UpdatedAt = history.StatusTerminated, nonNil(m.Reason), t.now.Time
	t.batch.SetOutput = t.row.Output
	t.rowOnly = true
	t.ok(r)
}
