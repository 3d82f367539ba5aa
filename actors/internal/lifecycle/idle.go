package lifecycle

import (
	"time"

	"github.com/asynkron/protoactor-go/actor"
	pcluster "github.com/asynkron/protoactor-go/cluster"

	"github.com/godurable/durable/cluster"
)

// IdleCheck asks an actor whether it has been idle long enough to passivate; Evict
// asks it to passivate now if it is idle at all, to keep memory bounded.
type IdleCheck struct{ Evict bool }

// Passivate finishes a passivation that Leave began.
type Passivate struct{}

// Env is what idle actors need from the member that hosts them.
type Env struct {
	Parking     *Parking
	Now         func() time.Time
	IdleTimeout time.Duration
	Member      *cluster.Member
}

// Idler is an actor's own idle timer. protoactor's receive timeout is reset on every
// message and its timer goroutine races with the actor's stop; this one only sends a
// message, and the actor judges idleness from the time of its last input.
type Idler struct {
	timer *time.Timer
	last  time.Time
	// Passivating: the actor left the placement and answers requests with a retry
	// until it stops.
	Passivating bool
	left        bool // Leave or MoveAway ran
	parked      bool
	slot        ParkSlot
}

// Settle parks or unparks the actor when its idleness changed.
func (i *Idler) Settle(e *Env, pid *actor.PID, idle bool) {
	switch {
	case idle && !i.parked && !i.Passivating:
		i.parked = true
		e.Parking.Park(&i.slot, pid)
	case (!idle || i.Passivating) && i.parked:
		i.parked = false
		e.Parking.Unpark(&i.slot)
	}
}

// Arm starts the idle timer: after d the actor is asked whether it is idle.
func (i *Idler) Arm(ctx actor.Context, d time.Duration) {
	sys, self := ctx.ActorSystem(), ctx.Self()
	i.timer = time.AfterFunc(d, func() { sys.Root.Send(self, &IdleCheck{}) })
}

// Touch records input: the actor is busy now.
func (i *Idler) Touch(e *Env) { i.last = e.Now() }

// Due reports whether the actor should passivate now; if not, it re-arms the timer
// (unless the check was an eviction, which leaves the timer as it was). Once it
// returns true, the actor is passivating.
func (i *Idler) Due(ctx actor.Context, e *Env, idle bool, check *IdleCheck) bool {
	if i.Passivating {
		return false
	}
	if check.Evict {
		if !idle {
			return false
		}
		i.Passivating = true
		return true
	}
	limit := e.IdleTimeout
	if quiet := e.Now().Sub(i.last); !idle || quiet < limit {
		i.Arm(ctx, max(limit-quiet, limit/4))
		return false
	}
	i.Passivating = true
	return true
}

// Leave takes the actor out of the placement, so that new requests activate a fresh
// one, and stops it shortly after. A sender that looked the actor up just before may
// still deliver a request: the actor answers it with a retry while it waits, where a
// stopped actor would drop it and leave the sender to time out.
func (i *Idler) Leave(e *Env, ci *pcluster.ClusterIdentity, self *actor.PID) {
	i.leave(e, ci, self, leaveDelay)
}

// MoveAway is Leave for an actor whose identity is served by another member now. It
// keeps answering retries for longer, since other members go on sending to it until
// they learn of the move: a stopped actor drops what its mailbox still holds, and each
// such request would wait out its whole timeout.
func (i *Idler) MoveAway(e *Env, ci *pcluster.ClusterIdentity, self *actor.PID) {
	i.leave(e, ci, self, moveDelay)
}

func (i *Idler) leave(e *Env, ci *pcluster.ClusterIdentity, self *actor.PID, after time.Duration) {
	if i.left {
		return
	}
	i.left, i.Passivating = true, true
	e.Member.Placement.RemovePid(ci, self)
	time.AfterFunc(after, func() { e.Member.System.Root.Send(self, &Passivate{}) })
}

const (
	// leaveDelay is how long a passivating actor keeps answering retries: far longer
	// than a send already under way takes to arrive.
	leaveDelay = 20 * time.Millisecond
	// moveDelay is how long an actor that moved away keeps answering retries: far
	// longer than an ownership change takes to reach every member.
	moveDelay = 2 * time.Second
)

// Stop releases the timer and the parking slot of an actor that stops.
func (i *Idler) Stop(e *Env) {
	i.Passivating = true // the actor is stopping: it must not park again
	if i.timer != nil {
		i.timer.Stop()
	}
	if i.parked {
		i.parked = false
		e.Parking.Unpark(&i.slot)
	}
}
