package actors

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	pcluster "github.com/asynkron/protoactor-go/cluster"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/godurable/durable/history"
	"github.com/godurable/durable/orchestrator"
	"github.com/godurable/durable/persistence"
)

// OrchestrationKind is the cluster kind of orchestration instance actors.
const OrchestrationKind = "orchestration"

// instance is the virtual actor of one orchestration instance. It loads its journal on
// activation, keeps its execution parked in memory between turns, and turns every
// batch of inputs that arrived while its previous append was in flight into one
// journal append. Nothing it does is acknowledged before that append is durable.
type instance struct {
	h    *Host
	id   string
	ci   *pcluster.ClusterIdentity
	self *actor.PID

	row  *persistence.Instance // nil: the instance does not exist
	exec *orchestrator.Execution
	// broken holds why the instance cannot run (corrupt journal, unregistered
	// orchestrator); requests get it as an error and nothing is written.
	broken error

	queue      []request
	committing *pendingTurn
	inflight   int // activities dispatched and not yet returned
	// recoverSet is the journal's recovery mark as this activation last committed it;
	// until recoverKnown, an activation loaded from the journal has not stated it, and
	// its first turn does.
	recoverSet, recoverKnown bool
	// unacked holds the outbox messages this activation sent and has not seen
	// acknowledged; an acknowledgment to a passivated instance would activate it again.
	unacked map[int64]bool
	// endedHere: the instance ended while this activation ran it.
	endedHere bool
	idle      idler
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
	exec    *orchestrator.Execution // the execution after the turn
	turn    orchestrator.Turn
	deleted bool
	// redispatch: a rewind reopened work; rewoundChildren failed and are rewound too.
	redispatch        bool
	rewoundChildren   map[string]bool
	terminateChildren []history.Event
}

type reply struct {
	to  *actor.PID
	msg *replyMsg
}

func newInstanceProps(h *Host, d actor.Dispatcher) *actor.Props {
	return actor.PropsFromProducer(func() actor.Actor { return &instance{h: h} }, actor.WithDispatcher(d))
}

func (a *instance) Receive(ctx actor.Context) {
	a.receive(ctx)
	if a.ci == nil {
		return
	}
	idle := a.idleNow()
	if idle && a.finished() && !a.idle.passivating {
		// An instance that just ended has nothing left to do in memory: passivate it
		// now rather than let it hold its place among the idle ones. One activated
		// again after it ended stays until it is idle long enough, so that the
		// request that activated it is answered rather than told to retry.
		a.idle.leave(a.h, a.ci, a.self)
	}
	a.idle.settle(a.h, a.self, idle)
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
		msg, err := unpack(m)
		if err != nil {
			a.respond(ctx, ctx.Sender(), &replyMsg{Code: codeInvalid, Message: err.Error()})
			return
		}
		a.enqueue(ctx, msg, ctx.Sender())
	case *startMsg, *raiseMsg, *controlMsg, *timerMsg, *childDoneMsg, *entityReplyMsg, *deliveredMsg:
		a.enqueue(ctx, m, ctx.Sender())
	case *activityDone:
		a.inflight--
		a.enqueue(ctx, m, nil)
	case *appendDone:
		a.committed(ctx, m.err)
	case *idleCheck:
		if a.idle.due(ctx, a.h, a.idleNow(), m) {
			a.idle.leave(a.h, a.ci, a.self)
		}
	case *passivate:
		// Nothing new was accepted since passivating began: requests were answered
		// with a retry, and no activity or append was outstanding.
		ctx.Stop(ctx.Self())
	case *actor.Stopping:
		a.release()
	}
}

func (a *instance) activate(ctx actor.Context, ci *pcluster.ClusterIdentity) {
	a.ci, a.id, a.self = ci, ci.Identity, ctx.Self()
	a.idle.arm(ctx, a.h.cfg.IdleTimeout)
	row, hist, err := a.h.journal.Load(context.Background(), a.id)
	switch {
	case errors.Is(err, persistence.ErrNotFound):
		a.h.watchers.activated(a, nil)
		return
	case err != nil:
		a.broken = err
		a.h.log.Error("cannot load orchestration instance; it is left as stored", "instanceId", a.id, "error", err)
		return
	}
	a.row = row
	a.h.watchers.activated(a, row)
	if row.Status.IsTerminal() {
		return
	}
	fn, ok := a.h.registry.Orchestrator(row.Name)
	if !ok {
		a.broken = &unregisteredError{name: row.Name}
		a.h.log.Error("orchestrator is not registered; instance waits until it is", "instanceId", a.id, "name", row.Name)
		return
	}
	a.exec = a.h.newExecution(a.id, fn)
	a.exec.Replay(hist)
	if row.Status == history.StatusContinuedAsNew {
		a.queue = append(a.queue, request{msg: &continueMsg{input: row.Output, carry: a.exec.Unconsumed()}})
	}
	a.redispatch(ctx)
	a.runTurn(ctx)
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
		a.queue = append(a.queue, request{msg: &controlMsg{Op: opWake}})
	}
}

func (a *instance) enqueue(ctx actor.Context, msg any, replyTo *actor.PID) {
	a.idle.touch(a.h)
	if a.idle.passivating {
		a.respond(ctx, replyTo, &replyMsg{Code: codeRetry, Message: "instance is passivating"})
		return
	}
	if a.broken != nil {
		a.respond(ctx, replyTo, &replyMsg{Code: codeInternal, Message: a.broken.Error()})
		return
	}
	a.queue = append(a.queue, request{msg: msg, replyTo: replyTo})
	a.runTurn(ctx)
}

func (a *instance) respond(ctx actor.Context, to *actor.PID, r *replyMsg) { respond(ctx, to, r) }

func (a *instance) idleNow() bool {
	return a.committing == nil && len(a.queue) == 0 && a.inflight == 0
}

func (a *instance) release() {
	a.h.watchers.released(a)
	a.idle.stop(a.h)
	if a.ci != nil {
		a.h.member.Placement.RemovePid(a.ci, a.self)
	}
	if a.exec != nil {
		a.exec.Stop()
		a.exec = nil
	}
}

func (a *instance) now() time.Time { return a.h.clock.Now().UTC() }

func (a *instance) logger() *slog.Logger { return a.h.log.With("instanceId", a.id) }

type unregisteredError struct{ name string }

func (e *unregisteredError) Error() string {
	return "orchestrator " + e.name + " is not registered in this process"
}
