// Package env holds what the runtime's virtual actors share on one member: the
// journal, the registry, and the services around them.
package env

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/godurable/durable/actors/internal/activities"
	"github.com/godurable/durable/actors/internal/courier"
	"github.com/godurable/durable/actors/internal/lifecycle"
	"github.com/godurable/durable/actors/internal/telemetry"
	"github.com/godurable/durable/actors/internal/timers"
	"github.com/godurable/durable/actors/internal/watch"
	"github.com/godurable/durable/actors/internal/wire"
	"github.com/godurable/durable/cluster"
	"github.com/godurable/durable/entities"
	"github.com/godurable/durable/orchestrator"
	"github.com/godurable/durable/persistence"
)

// Registry finds the user's code by name, and an orchestrator's by name and version.
type Registry interface {
	Orchestrator(name, version string) (orchestrator.Func, bool)
	// Registered reports whether Go code is registered under name, at any version.
	Registered(name string) bool
	orchestrator.Versions
	// Remote runs the orchestrations no Go code registered; nil when nothing does.
	Remote() orchestrator.Remote
	Entity(name string) (entities.Func, bool)
	// RemoteEntities runs the entities no Go code registered; nil when nothing does.
	RemoteEntities() entities.Remote
	Activity(name string) (activities.Func, bool)
}

// Env is one member's shared state. Its fields are set once, before any actor runs.
type Env struct {
	Journal  persistence.Journal
	Registry Registry
	Log      *slog.Logger
	Now      func() time.Time
	// MaxPayloadBytes caps inputs, outputs and event data.
	MaxPayloadBytes int
	// RequestTimeout bounds one attempt of a request to an actor.
	RequestTimeout time.Duration
	Member         *cluster.Member
	Courier        *courier.Courier
	Timers         *timers.Service
	Activities     *activities.Pool
	Watchers       *watch.Watchers
	Lifecycle      *lifecycle.Env
	// Ctx ends when the member closes.
	Ctx context.Context
	// Offload runs activities on other members while this one's workers are busy;
	// nil on a member of its own.
	Offload Offload
	// Tel records traces and metrics; nil when the runtime was given no providers.
	Tel *telemetry.T
}

// Offload runs activities on other members of a cluster.
type Offload interface {
	// Dispatch sends t to another member and reports whether it did; the result comes
	// back to the instance as a wire.WorkDone, or a wire.WorkLost if that member goes.
	Dispatch(t *activities.Task) bool
	// Finished forgets a dispatched activity whose result has arrived.
	Finished(executionID string, taskID int64)
}

// Ask sends msg to the actor id and waits for its reply (one attempt, with
// protoactor's retries on dead letters). Actors must not call it: an actor waiting on
// another deadlocks when the other waits on it; they send through the courier.
func (e *Env) Ask(id string, msg any) (*wire.Reply, error) {
	return e.AskWithin(id, msg, e.RequestTimeout)
}

// AskCtx is Ask for a caller with a deadline: the attempt ends with ctx's deadline when
// that comes before the request timeout.
func (e *Env) AskCtx(ctx context.Context, id string, msg any) (*wire.Reply, error) {
	timeout := e.RequestTimeout
	if d, ok := ctx.Deadline(); ok {
		timeout = min(timeout, time.Until(d))
	}
	if err := ctx.Err(); err != nil || timeout <= 0 {
		return nil, context.DeadlineExceeded
	}
	return e.AskWithin(id, msg, timeout)
}

// AskWithin is Ask with a timeout of its own.
func (e *Env) AskWithin(id string, msg any, timeout time.Duration) (*wire.Reply, error) {
	res, err := e.Member.Request(id, wire.KindOf(id), msg, timeout, func(m any) (any, error) { return wire.Pack(m) })
	if err != nil {
		return nil, err
	}
	if a, ok := res.(*anypb.Any); ok {
		if res, err = wire.Unpack(a); err != nil {
			return nil, err
		}
	}
	r, ok := res.(*wire.Reply)
	if !ok {
		return nil, errors.New("unexpected reply type")
	}
	return r, nil
}

// NewExecution prepares a replay of fn for instance id with the member's limits.
func (e *Env) NewExecution(id string, fn orchestrator.Func) *orchestrator.Execution {
	return orchestrator.NewExecution(id, fn, orchestrator.Options{MaxPayloadBytes: e.MaxPayloadBytes, Logger: e.Log, Versions: e.Registry})
}

// DeliverOutbox sends a stored message and, once the receiver took it (or refused it
// for good), removes it from the sender's outbox.
func (e *Env) DeliverOutbox(m persistence.Message) {
	msg, err := wire.Decode(m.Payload)
	if err != nil {
		e.Log.Error("undecodable outbox message dropped", "from", m.From, "id", m.ID, "error", err)
		return
	}
	e.Courier.Send(m.To, msg, func(r *wire.Reply) {
		if r.Code != wire.CodeOK {
			e.Log.Warn("message not delivered", "from", m.From, "to", m.To, "reason", r.Message)
		}
		e.Courier.Send(m.From, &wire.Delivered{IDs: []int64{m.ID}}, nil)
	})
}

// WakeLater activates an instance again after a pause, to resume work a failed
// append left undone.
func (e *Env) WakeLater(id string) {
	time.AfterFunc(time.Second, func() {
		if e.Ctx.Err() == nil {
			e.Courier.Send(id, &wire.Control{Op: wire.OpWake}, nil)
		}
	})
}

// Respond answers a request: as it is within this process, as an envelope across.
func Respond(ctx actor.Context, to *actor.PID, r *wire.Reply) {
	if to == nil {
		return
	}
	if to.Address == ctx.Self().Address {
		ctx.Send(to, r)
		return
	}
	if p, err := wire.Pack(r); err == nil {
		ctx.Send(to, p)
	}
}
