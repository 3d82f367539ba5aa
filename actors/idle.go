package actors

import (
	"time"

	"github.com/asynkron/protoactor-go/actor"
	pcluster "github.com/asynkron/protoactor-go/cluster"
)

// idleCheck asks an actor whether it has been idle long enough to passivate; evict
// asks it to passivate now if it is idle at all, to keep memory bounded.
type idleCheck struct{ evict bool }

// idler is an actor's own idle timer. protoactor's receive timeout is reset on every
// message and its timer goroutine races with the actor's stop; this one only sends a
// message, and the actor judges idleness from the time of its last input.
type idler struct {
	timer       *time.Timer
	last        time.Time
	passivating bool
	parked      bool
	slot        parkSlot
}

// settle parks or unparks the actor when its idleness changed.
func (i *idler) settle(h *Host, pid *actor.PID, idle bool) {
	switch {
	case idle && !i.parked && !i.passivating:
		i.parked = true
		h.parking.park(&i.slot, pid)
	case (!idle || i.passivating) && i.parked:
		i.parked = false
		h.parking.unpark(&i.slot)
	}
}

func (i *idler) arm(ctx actor.Context, d time.Duration) {
	sys, self := ctx.ActorSystem(), ctx.Self()
	i.timer = time.AfterFunc(d, func() { sys.Root.Send(self, &idleCheck{}) })
}

func (i *idler) touch(h *Host) { i.last = h.clock.Now() }

// due reports whether the actor should passivate now; if not, it re-arms the timer
// (unless the check was an eviction, which leaves the timer as it was). Once it
// returns true, the actor is passivating.
func (i *idler) due(ctx actor.Context, h *Host, idle bool, check *idleCheck) bool {
	if i.passivating {
		return false
	}
	if check.evict {
		if !idle {
			return false
		}
		i.passivating = true
		return true
	}
	limit := h.cfg.IdleTimeout
	if quiet := h.clock.Now().Sub(i.last); !idle || quiet < limit {
		i.arm(ctx, max(limit-quiet, limit/4))
		return false
	}
	i.passivating = true
	return true
}

// leave takes the actor out of the placement, so that new requests activate a fresh
// one, and stops it shortly after. A sender that looked the actor up just before may
// still deliver a request: the actor answers it with a retry while it waits, where a
// stopped actor would drop it and leave the sender to time out.
func (i *idler) leave(h *Host, ci *pcluster.ClusterIdentity, self *actor.PID) {
	i.passivating = true
	h.member.Placement.RemovePid(ci, self)
	time.AfterFunc(leaveDelay, func() { h.member.System.Root.Send(self, &passivate{}) })
}

// leaveDelay is how long a passivating actor keeps answering retries: far longer than
// a send already under way takes to arrive.
const leaveDelay = 20 * time.Millisecond

func (i *idler) stop(h *Host) {
	i.passivating = true // the actor is stopping: it must not park again
	if i.timer != nil {
		i.timer.Stop()
	}
	if i.parked {
		i.parked = false
		h.parking.unpark(&i.slot)
	}
}
