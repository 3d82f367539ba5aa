// Package entity is the virtual actor of one durable entity.
package entity

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	pcluster "github.com/asynkron/protoactor-go/cluster"
	"github.com/vmihailenco/msgpack/v5"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/godurable/durable/actors/internal/env"
	"github.com/godurable/durable/actors/internal/lifecycle"
	"github.com/godurable/durable/actors/internal/wire"
	"github.com/godurable/durable/cluster"
	"github.com/godurable/durable/entities"
	"github.com/godurable/durable/persistence"
)

// entityRecord is what an entity keeps in its journal next to its index row: the
// state, the last message applied per sender, and its lock.
type entityRecord struct {
	State []byte `msgpack:"s,omitempty"`
	// Senders holds, per sender incarnation, the highest sequence number applied:
	// senders deliver in order, so anything at or below it is a duplicate.
	Senders map[string]senderMark `msgpack:"d,omitempty"`
	Lock    *wire.LockRef         `msgpack:"l,omitempty"`
	// Held are operations and lock requests waiting for the lock to be released.
	Held []wire.EntityMsg `msgpack:"h,omitempty"`
	// Incarnation tells this entity's messages apart from those of an earlier entity
	// with the same id that was deleted.
	Incarnation string `msgpack:"n,omitempty"`
	// Scheduled lists the durable timers of signals due later. The entity keeps its
	// storage while any is armed, since deleting it would take them along; a timer
	// not listed here was applied already and fires again only after a crash.
	Scheduled []int64 `msgpack:"t,omitempty"`
	// TimersUnlisted: the record comes from a version that did not list them, so a
	// firing not listed may still be due.
	TimersUnlisted bool `msgpack:"u,omitempty"`
}

type senderMark struct {
	Seq  int64     `msgpack:"s"`
	Seen time.Time `msgpack:"t"`
}

func (r *entityRecord) empty() bool {
	return r.State == nil && r.Lock == nil && len(r.Held) == 0 && len(r.Scheduled) == 0
}

// takeScheduled removes timer id from the scheduled signals and reports whether it
// was there.
func (r *entityRecord) takeScheduled(id int64) bool {
	i := slices.Index(r.Scheduled, id)
	if i < 0 {
		return false
	}
	r.Scheduled = slices.Delete(slices.Clone(r.Scheduled), i, i+1)
	return true
}

// entity is the virtual actor of one durable entity. Operations that arrive while its
// previous checkpoint is being written are applied together and checkpointed in one
// journal append, which is what makes a hot entity fast.
type entity struct {
	h    *env.Env
	id   string
	eid  entities.ID
	ci   *pcluster.ClusterIdentity
	self *actor.PID
	fn   entities.Func
	// remote runs the batches of an entity no Go code registered; nil: fn does.
	remote entities.Remote

	row    *persistence.Instance // nil: no storage
	rec    entityRecord
	live   entities.Live // the state as the last batch left it, decoded
	broken error

	queue      []request
	committing *entityTurn
	// moving: the entity is served elsewhere now; once committing is settled it
	// answers everything with a retry until it stops.
	moving  bool
	unacked map[int64]bool // outbox messages sent, not yet acknowledged
	idle    lifecycle.Idler
}

// Props makes the actors of entities on the member of h.
func Props(h *env.Env, d actor.Dispatcher) *actor.Props {
	return actor.PropsFromProducer(func() actor.Actor { return &entity{h: h, unacked: map[int64]bool{}} }, actor.WithDispatcher(d))
}

func (a *entity) Receive(ctx actor.Context) {
	a.receive(ctx)
	if a.ci != nil && a.moving && a.committing == nil {
		for _, r := range a.queue {
			env.Respond(ctx, r.replyTo, &wire.Reply{Code: wire.CodeRetry, Message: "entity moved to another member"})
		}
		a.queue = nil
		a.idle.MoveAway(a.h.Lifecycle, a.ci, a.self)
		a.idle.Settle(a.h.Lifecycle, a.self, false)
		return
	}
	if a.ci != nil {
		a.idle.Settle(a.h.Lifecycle, a.self, a.committing == nil && len(a.queue) == 0)
	}
}

func (a *entity) receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *pcluster.ClusterInit:
		a.activate(ctx, m.Identity)
	case *anypb.Any:
		msg, err := wire.Unpack(m)
		if err != nil {
			env.Respond(ctx, ctx.Sender(), &wire.Reply{Code: wire.CodeInvalid, Message: err.Error()})
			return
		}
		a.enqueue(ctx, msg, ctx.Sender())
	case *wire.EntityMsg, *wire.Timer, *wire.Delivered:
		a.enqueue(ctx, m, ctx.Sender())
	case *wire.AppendDone:
		a.committed(ctx, m.Err)
	case *remoteDone:
		a.remoteDone(ctx, m)
	case *lifecycle.IdleCheck:
		if a.idle.Due(ctx, a.h.Lifecycle, a.committing == nil && len(a.queue) == 0, m) {
			a.idle.Leave(a.h.Lifecycle, a.ci, a.self)
		}
	case *lifecycle.Passivate:
		ctx.Stop(ctx.Self())
	case *cluster.MovedAway:
		a.moving = true
	case *actor.Stopping:
		a.idle.Stop(a.h.Lifecycle)
		if a.ci != nil {
			a.h.Member.Placement.RemovePid(a.ci, a.self)
		}
	}
}

func (a *entity) activate(ctx actor.Context, ci *pcluster.ClusterIdentity) {
	a.ci, a.id, a.self = ci, ci.Identity, ctx.Self()
	a.idle.Arm(ctx, a.h.Lifecycle.IdleTimeout)
	eid, err := entities.ParseID(a.id)
	if err != nil {
		a.broken = err
		return
	}
	a.eid = eid
	if fn, ok := a.h.Registry.Entity(eid.Name); ok {
		a.fn = fn
	} else if r := a.h.Registry.RemoteEntities(); r != nil {
		a.remote = r
	} else {
		a.fn = unregisteredEntity(eid.Name)
	}
	row, err := a.h.Journal.Get(context.Background(), a.id, true)
	switch {
	case errors.Is(err, persistence.ErrNotFound):
		a.rec.Incarnation = wire.NewID()
		return
	case err != nil:
		a.broken = err
		a.h.Log.Error("cannot load entity; it is left as stored", "entity", a.id, "error", err)
		return
	}
	if err := msgpack.Unmarshal(row.Output, &a.rec); err != nil {
		a.broken = &persistence.CorruptionError{InstanceID: a.id, Key: "entity record", Err: err}
		a.h.Log.Error("cannot decode entity record; it is left as stored", "entity", a.id, "error", err)
		return
	}
	a.row = row
}

func unregisteredEntity(name string) entities.Func {
	return func(*entities.Context) error {
		return &nonRetriable{fmt.Errorf("entity %q is not registered", name)}
	}
}

type nonRetriable struct{ error }

func (nonRetriable) NonRetriable() bool { return true }
func (n nonRetriable) Unwrap() error    { return n.error }

func (a *entity) enqueue(ctx actor.Context, msg any, replyTo *actor.PID) {
	a.idle.Touch(a.h.Lifecycle)
	switch {
	case a.idle.Passivating || a.moving:
		env.Respond(ctx, replyTo, &wire.Reply{Code: wire.CodeRetry, Message: "entity is passivating"})
	case a.broken != nil:
		env.Respond(ctx, replyTo, &wire.Reply{Code: wire.CodeInternal, Message: a.broken.Error()})
	default:
		a.queue = append(a.queue, request{msg: msg, replyTo: replyTo})
		a.runTurn(ctx)
	}
}

// Identity and Version make the entity an env.Outboxer.
func (a *entity) Identity() string { return a.id }

func (a *entity) Version() uint64 {
	if a.row == nil {
		return 0
	}
	return a.row.Version
}

// sender is how this entity identifies itself in the messages it sends.
func (a *entity) sender() string { return a.id + "/" + a.rec.Incarnation }

func (a *entity) logger() *slog.Logger { return a.h.Log.With("entity", a.id) }

// request is one input waiting for the next turn, with where to send its reply.
type request struct {
	msg     any
	replyTo *actor.PID
}

// reply is an answer held until the turn it belongs to is durable.
type reply struct {
	to  *actor.PID
	msg *wire.Reply
}
