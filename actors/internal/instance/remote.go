package instance

import (
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/godurable/durable/history"
	"github.com/godurable/durable/orchestrator"
)

// remoteExec is the execution of an orchestration whose code runs outside the process
// (a Durable Task SDK's worker). Its steps take two turns. A turn records what arrives
// (the start, results, events) as a Go execution's would, and is acknowledged once
// durable; the events recorded since the last step are then handed to the code, with
// the history before them, and its answer (the actions taken, and the end if it came)
// is recorded by a turn of its own, closed by OrchestratorCompleted. So the code is
// never waited on before a request is acknowledged, and after a crash the events after
// the last OrchestratorCompleted are handed over again.
type remoteExec struct {
	id     string
	remote orchestrator.Remote
	hist   []history.Event
	// order lists the events of hist handed to the code, in the order it saw them:
	// each step's new events, then its actions and the OrchestratorCompleted closing
	// it. Events recorded while a step was on its way come after that step's actions
	// in hist, but the code sees them in the next step.
	order  []int
	handed []bool // by index in hist
	// steps counts the steps recorded: an answer to an earlier one is stale.
	steps  int
	execID string
	status history.RuntimeStatus
	// open holds the scheduling events (tasks, children, timers) awaiting completion.
	open map[int64]history.Event
}

var _ Replay = (*remoteExec)(nil)

func newRemoteExec(id string, remote orchestrator.Remote) *remoteExec {
	return &remoteExec{id: id, remote: remote, status: history.StatusPending, open: map[int64]history.Event{}}
}

func (r *remoteExec) Replay(events []history.Event) {
	r.hist, r.order, r.handed, r.steps = nil, nil, nil, 0
	for _, ev := range events {
		r.add(ev)
		if ev.Type == history.EventOrchestratorCompleted {
			r.closeStep(int(ev.TaskID), int(ev.ID))
		}
	}
}

// add appends ev to the history, not handed yet.
func (r *remoteExec) add(ev history.Event) {
	r.hist = append(r.hist, ev)
	r.handed = append(r.handed, false)
	r.apply(ev)
}

// closeStep marks handed the events a step handed over (those before upTo not handed
// yet) and the step's answer, the last answered events of hist (its actions and the
// OrchestratorCompleted).
func (r *remoteExec) closeStep(upTo, answered int) {
	r.steps++
	for i := 0; i < upTo && i < len(r.hist); i++ {
		if !r.handed[i] {
			r.handed[i] = true
			r.order = append(r.order, i)
		}
	}
	for i := max(len(r.hist)-answered, 0); i < len(r.hist); i++ {
		if !r.handed[i] {
			r.handed[i] = true
			r.order = append(r.order, i)
		}
	}
}

func (r *remoteExec) apply(ev history.Event) {
	switch ev.Type {
	case history.EventExecutionStarted:
		r.execID, r.status = ev.ExecutionID, history.StatusRunning
	case history.EventTaskScheduled, history.EventSubOrchestrationCreated, history.EventTimerCreated:
		r.open[ev.ID] = ev
	case history.EventTaskCompleted, history.EventTaskFailed, history.EventSubOrchestrationCompleted,
		history.EventSubOrchestrationFailed, history.EventTimerFired:
		delete(r.open, ev.TaskID)
	case history.EventExecutionSuspended:
		if r.status == history.StatusRunning {
			r.status = history.StatusSuspended
		}
	case history.EventExecutionResumed:
		if r.status == history.StatusSuspended {
			r.status = history.StatusRunning
		}
	case history.EventExecutionCompleted:
		r.status = ev.Status
		clear(r.open)
	}
}

// Step records a turn's events without running any code: a termination ends the
// execution at once (no worker need be connected); everything else waits for the next
// remote step.
func (r *remoteExec) Step(events []history.Event) orchestrator.Turn {
	tr := orchestrator.Turn{Events: events}
	for _, ev := range events {
		if ev.Type == history.EventExecutionTerminated && !r.finished() {
			tr.Events = append(tr.Events, history.Event{Type: history.EventExecutionCompleted, Time: events[0].Time,
				Status: history.StatusTerminated, Result: ev.Input})
			tr.Output = ev.Input
			break
		}
	}
	for _, ev := range tr.Events {
		r.add(ev)
	}
	tr.Status = r.status
	return tr
}

func (r *remoteExec) finished() bool {
	return r.status.IsTerminal() || r.status == history.StatusContinuedAsNew
}

// due reports whether events wait to be handed to the code.
func (r *remoteExec) due() bool {
	return !r.finished() && len(r.order) < len(r.hist)
}

// takes reports whether res answers a step of this execution that is still to record:
// an answer that comes after the execution ended, or for an earlier one, adds nothing.
func (r *remoteExec) takes(res *stepResult) bool {
	return !r.finished() && res.execID == r.execID && res.step == r.steps && res.upTo <= len(r.hist)
}

// record applies the code's answer to the step that handed the events before upTo:
// its events (those of the actions, and the end), closed by an OrchestratorCompleted
// that says which events the step handed and answered, so that a replay knows.
func (r *remoteExec) record(res *stepResult) orchestrator.Turn {
	tr := res.turn
	tr.Events = append(tr.Events, history.Event{Type: history.EventOrchestratorCompleted, Time: res.at,
		TaskID: int64(res.upTo), ID: int64(len(tr.Events) + 1)})
	for _, ev := range tr.Events {
		r.add(ev)
	}
	r.closeStep(res.upTo, len(tr.Events))
	if !r.finished() {
		tr.Status = r.status
	}
	return tr
}

// pending returns the step to hand over: what the code saw, in its order, and what it
// has not.
func (r *remoteExec) pending() (past, fresh []history.Event) {
	past = make([]history.Event, 0, len(r.order))
	for _, i := range r.order {
		past = append(past, r.hist[i])
	}
	for i, ev := range r.hist {
		if !r.handed[i] {
			fresh = append(fresh, ev)
		}
	}
	return past, fresh
}

func (r *remoteExec) Stop()                         {}
func (r *remoteExec) ExecutionID() string           { return r.execID }
func (r *remoteExec) Status() history.RuntimeStatus { return r.status }
func (r *remoteExec) IsOpen(taskID int64) bool      { _, ok := r.open[taskID]; return ok }

func (r *remoteExec) Scheduled(taskID int64) (history.Event, bool) {
	ev, ok := r.open[taskID]
	return ev, ok
}
func (r *remoteExec) Unconsumed() []history.Event { return nil }

func (r *remoteExec) Open() []history.Event {
	var out []history.Event
	for _, ev := range r.open {
		if ev.Type != history.EventTimerCreated {
			out = append(out, ev)
		}
	}
	return out
}

// HasWorkInFlight counts events not yet handed to the code as work in flight: an
// instance holding them must be activated again after a restart to hand them over.
func (r *remoteExec) HasWorkInFlight() bool {
	for _, ev := range r.open {
		if ev.Type != history.EventTimerCreated {
			return true
		}
	}
	return r.due()
}

// stepDone brings the code's answer to a step back to the instance actor.
type stepDone struct {
	stepResult
	err error
}

// stepResult is a step's answer queued for the turn that records it: the step handed
// the events of execution execID before upTo.
type stepResult struct {
	turn   orchestrator.Turn
	execID string
	step   int // the steps recorded before it
	upTo   int
	at     time.Time
}

// stepAgain retries a step that got no answer.
type stepAgain struct{}

// stepRetryAfter is how long an instance waits before it hands a step that got no
// answer (its worker went away, the service stopped) to the workers again.
const stepRetryAfter = time.Second

// maybeStep hands the events recorded since the last step to the code, when there are
// some and no step is on its way. The answer comes back as a message.
func (a *instance) maybeStep(ctx actor.Context) {
	r, ok := a.exec.(*remoteExec)
	if !ok || a.stepping || a.recording || a.committing != nil && a.committing.remote || a.moving || a.idle.Passivating || !r.due() {
		return // a step is on its way, or its answer is yet to be recorded
	}
	a.stepping = true
	upTo := len(r.hist)
	past, fresh := r.pending()
	step := orchestrator.RemoteStep{InstanceID: a.id, ExecutionID: r.execID, Past: past, New: fresh}
	sys, self, now, execID, seq := ctx.ActorSystem(), ctx.Self(), a.now, r.execID, r.steps
	r.remote(step, func(tr orchestrator.Turn, err error) {
		sys.Root.Send(self, &stepDone{stepResult: stepResult{turn: tr, execID: execID, step: seq, upTo: upTo, at: now()}, err: err})
	})
}

// stepped queues the code's answer for a turn, or hands the step over again later if
// no answer came.
func (a *instance) stepped(ctx actor.Context, m *stepDone) {
	if m.err != nil {
		a.h.Log.Warn("an orchestration step got no answer from the workers; it is handed to them again", "instanceId", a.id, "error", m.err)
		sys, self := ctx.ActorSystem(), ctx.Self()
		time.AfterFunc(stepRetryAfter, func() { sys.Root.Send(self, &stepAgain{}) })
		return
	}
	a.stepping, a.recording = false, true
	res := m.stepResult
	a.enqueue(ctx, &res, nil)
}

// stepResult records a remote step's answer (see remoteExec.record).
func (t *turn) stepResult(m *stepResult) {
	t.a.recording = false
	if r, ok := t.exec.(*remoteExec); ok && !t.fresh && r.takes(m) {
		t.remote = m
	}
}
