// Package instance is the virtual actor of one orchestration instance.
package instance

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	pcluster "github.com/asynkron/protoactor-go/cluster"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/godurable/durable/actors/internal/activities"
	"github.com/godurable/durable/actors/internal/env"
	"github.com/godurable/durable/actors/internal/lifecycle"
	"github.com/godurable/durable/actors/internal/wire"
	"github.com/godurable/durable/cluster"
	"github.com/godurable/durable/history"
	"github.com/godurable/durable/orchestrator"
	"github.com/godurable/durable/persistence"
)

// Replay is the replay step an instance drives: events in, the turn's events and
// actions out. *orchestrator.Execution is the one for Go code; the interface is where
// the instance actor ends and the code it runs begins.
type Replay interface {
	// Replay applies recorded history; Step applies new events and returns the turn.
	Replay(events []history.Event)
	Step(events []history.Event) orchestrator.Turn
	// Stop abandons the execution; it must not be used afterwards.
	Stop()
	ExecutionID() string
	Status() history.RuntimeStatus
	// Open lists the scheduling events of work in flight; IsOpen tells whether one
	// task still awaits its completion; HasWorkInFlight whether activities or
	// children do.
	Open() []history.Event
	IsOpen(taskID int64) bool
	// Scheduled returns the scheduling event of an open task.
	Scheduled(taskID int64) (history.Event, bool)
	HasWorkInFlight() bool
	// Unconsumed lists the external events received and not consumed.
	Unconsumed() []history.Event
}

// instance is the virtual actor of one orchestration instance. It loads its journal on
// activation, keeps its execution parked in memory between turns, and turns every
// batch of inputs that arrived while its previous append was in flight into one
// journal append. Nothing it does is acknowledged before that append is durable.
type instance struct {
	h    *env.Env
	id   string
	ci   *pcluster.ClusterIdentity
	self *actor.PID

	row  *persistence.Instance // nil: the instance does not exist
	exec Replay
	// broken holds why the instance cannot run (corrupt journal, unregistered
	// orchestrator); requests get it as an error and nothing is written.
	broken error

	queue      []request
	committing *pendingTurn
	// stepping: a remote step is on its way (see remoteExec); recording: its answer
	// waits in the queue for its turn.
	stepping, recording bool
	// trace is the W3C traceparent of the current execution (its ExecutionStarted's):
	// the spans of its work hang under it.
	trace string
	began time.Time // when the current execution started
	// turnBegan is when the turn being committed took its first request.
	turnBegan time.Time
	// moving: the instance is served elsewhere now; once committing is settled it
	// answers everything with a retry until it stops.
	moving bool
	// inflight holds the activities dispatched and not yet returned, by execution and
	// task: a set, since a run given up for lost may still answer.
	inflight map[taskKey]struct{}
	// recoverSet is the journal's recovery mark as this activation last committed it;
	// until recoverKnown, an activation loaded from the journal has not stated it, and
	// its first turn does.
	recoverSet, recoverKnown bool
	// unacked holds the outbox messages this activation sent and has not seen
	// acknowledged; an acknowledgment to a passivated instance would activate it again.
	unacked map[int64]bool
	// endedHere: the instance ended while this activation ran it.
	endedHere bool
	idle      lifecycle.Idler
}

type taskKey struct {
	executionID string
	taskID      int64
}

// request is one input waiting for the next turn, with where to send its reply.
type request struct {
	msg     any
	replyTo *actor.PID
}

// pendingTurn is a batch on its way to the journal and what to do once it is durable.
type pendingTurn struct {
	batch   *persistence.Batch
	row     *persistence.Instance
	replies []reply
	exec    Replay // the execution after the turn
	turn    orchestrator.Turn
	deleted bool
	// remote: the turn records a remote step's answer.
	remote bool
	// redispatch: a rewind reopened work; rewoundChildren failed and are rewound too.
	redispatch        bool
	rewoundChildren   map[string]bool
	terminateChildren []history.Event
}

type reply struct {
	to  *actor.PID
	msg *wire.Reply
}

// Props makes the actors of orchestration instances on the member of h.
func Props(h *env.Env, d actor.Dispatcher) *actor.Props {
	return actor.PropsFromProducer(func() actor.Actor { return &instance{h: h} }, actor.WithDispatcher(d))
}

func (a *instance) Receive(ctx actor.Context) {
	a.receive(ctx)
	if a.ci == nil {
		return
	}
	if a.moving && a.committing == nil {
		for _, r := range a.queue {
			a.respond(ctx, r.replyTo, &wire.Reply{Code: wire.CodeRetry, Message: "instance moved to another member"})
		}
		a.queue = nil
		a.idle.MoveAway(a.h.Lifecycle, a.ci, a.self)
		a.idle.Settle(a.h.Lifecycle, a.self, false)
		return
	}
	idle := a.idleNow()
	if idle && a.finished() && !a.idle.Passivating {
		// An instance that just ended has nothing left to do in memory: passivate it
		// now rather than let it hold its place among the idle ones. One activated
		// again after it ended stays until it is idle long enough, so that the
		// request that activated it is answered rather than told to retry.
		a.idle.Leave(a.h.Lifecycle, a.ci, a.self)
	}
	a.idle.Settle(a.h.Lifecycle, a.self, idle)
}

// finished reports whether the instance ended in this activation and owes nobody an
// answer.
func (a *instance) finished() bool {
	return a.endedHere && a.row != nil && a.row.Status.IsTerminal() && len(a.unacked) == 0 && len(a.queue) == 0
}

func (a *instance) receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *pcluster.ClusterInit:
		a.activate(ctx, m.Identity)
	case *anypb.Any:
		msg, err := wire.Unpack(m)
		if err != nil {
			a.respond(ctx, ctx.Sender(), &wire.Reply{Code: wire.CodeInvalid, Message: err.Error()})
			return
		}
		switch msg.(type) {
		case *wire.WorkDone, *wire.WorkLost:
			a.work(ctx, msg, ctx.Sender())
		default:
			a.enqueue(ctx, msg, ctx.Sender())
		}
	case *wire.WorkDone, *wire.WorkLost:
		a.work(ctx, m, ctx.Sender())
	case *wire.Start, *wire.Raise, *wire.Control, *wire.Timer, *wire.ChildDone, *wire.EntityReply, *wire.Delivered:
		a.enqueue(ctx, m, ctx.Sender())
	case *activities.Done:
		delete(a.inflight, taskKey{m.ExecutionID, m.TaskID})
		a.enqueue(ctx, m, nil)
	case *wire.AppendDone:
		a.committed(ctx, m.Err)
	case *stepDone:
		a.stepped(ctx, m)
	case *stepAgain:
		a.stepping = false
		a.maybeStep(ctx)
	case *lifecycle.IdleCheck:
		if a.idle.Due(ctx, a.h.Lifecycle, a.idleNow(), m) {
			a.idle.Leave(a.h.Lifecycle, a.ci, a.self)
		}
	case *lifecycle.Passivate:
		// Nothing new was accepted since passivating began: requests were answered
		// with a retry, and no activity or append was outstanding.
		ctx.Stop(ctx.Self())
	case *cluster.MovedAway:
		a.moving = true
	case *actor.Stopping:
		a.release()
	}
}

func (a *instance) activate(ctx actor.Context, ci *pcluster.ClusterIdentity) {
	a.ci, a.id, a.self = ci, ci.Identity, ctx.Self()
	a.idle.Arm(ctx, a.h.Lifecycle.IdleTimeout)
	row, hist, err := a.h.Journal.Load(context.Background(), a.id)
	switch {
	case errors.Is(err, persistence.ErrNotFound):
		a.h.Watchers.Activated(a, a.id, nil)
		return
	case err != nil:
		a.broken = err
		a.h.Log.Error("cannot load orchestration instance; it is left as stored", "instanceId", a.id, "error", err)
		return
	}
	a.row = row
	a.h.Watchers.Activated(a, a.id, row)
	if row.Status.IsTerminal() || row.Status == history.StatusPending && len(hist) == 0 {
		return // ended, or waiting for its scheduled start (see scheduled.go)
	}
	version := startedVersion(hist, row)
	exec, ok := a.newExec(row.Name, version)
	if !ok {
		a.broken = &unregisteredError{name: row.Name, version: version}
		a.h.Log.Error("orchestrator is not registered at the instance's version; instance waits until it is",
			"instanceId", a.id, "name", row.Name, "version", version)
		return
	}
	a.exec = exec
	a.exec.Replay(hist)
	a.trace, a.began = traceOf(hist)
	if row.Status == history.StatusContinuedAsNew {
		a.queue = append(a.queue, request{msg: &continueMsg{input: row.Output, carry: a.exec.Unconsumed()}})
	}
	a.redispatch(ctx)
	a.runTurn(ctx)
	a.maybeStep(ctx)
}

// continueMsg starts the next execution of an instance that continued as new.
type continueMsg struct {
	input []byte
	carry []history.Event
}

// redispatch restarts the work an activation found open in history: activities run
// again (at least once), children are asked to start (idempotent) or report back.
func (a *instance) redispatch(ctx actor.Context) {
	if a.exec == nil {
		return
	}
	for _, ev := range a.exec.Open() {
		switch ev.Type {
		case history.EventTaskScheduled:
			a.dispatchActivity(ctx, ev)
		case history.EventSubOrchestrationCreated:
			a.startChild(ev)
		}
	}
	if a.exec.Status() == history.StatusFailed {
		a.queue = append(a.queue, request{msg: &wire.Control{Op: wire.OpWake}})
	}
}

func (a *instance) enqueue(ctx actor.Context, msg any, replyTo *actor.PID) {
	a.idle.Touch(a.h.Lifecycle)
	if a.idle.Passivating || a.moving {
		a.respond(ctx, replyTo, &wire.Reply{Code: wire.CodeRetry, Message: "instance is passivating"})
		return
	}
	if a.broken != nil {
		a.respond(ctx, replyTo, &wire.Reply{Code: wire.CodeInternal, Message: a.broken.Error()})
		return
	}
	a.queue = append(a.queue, request{msg: msg, replyTo: replyTo})
	a.runTurn(ctx)
}

func (a *instance) respond(ctx actor.Context, to *actor.PID, r *wire.Reply) { env.Respond(ctx, to, r) }

func (a *instance) idleNow() bool {
	return a.committing == nil && !a.stepping && len(a.queue) == 0 && len(a.inflight) == 0
}

func (a *instance) release() {
	a.h.Watchers.Released(a, a.id)
	a.idle.Stop(a.h.Lifecycle)
	if a.ci != nil {
		a.h.Member.Placement.RemovePid(a.ci, a.self)
	}
	if a.exec != nil {
		a.exec.Stop()
		a.exec = nil
	}
}

func (a *instance) now() time.Time { return a.h.Now().UTC() }

func (a *instance) logger() *slog.Logger { return a.h.Log.With("instanceId", a.id) }

// Identity and Version make the instance an env.Outboxer.
func (a *instance) Identity() string { return a.id }

func (a *instance) Version() uint64 {
	if a.row == nil {
		return 0
	}
	return a.row.Version
}

func (a *instance) outbox(b *persistence.Batch, to string, mk func(id int64) any) {
	env.Outbox(a, b, to, mk)
}
