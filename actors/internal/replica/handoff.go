package replica

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/godurable/durable/actors/internal/wire"
)

// Planned moves. A partition moves to another member only by way of its standby: the
// member it should go to is first made the standby (copied while the partition
// serves), then the primary hands over. Handing over holds the partition's new appends,
// waits until the standby has applied every one submitted before, and asks the
// standby to take the partition under a new epoch; the appends held meanwhile then
// fail as fenced, and their callers try again at the new primary. The partition is
// unavailable from the hold to the takeover: one round trip and one etcd transaction.

var errNotSynced = errors.New("the partition has no standby in sync")

// moveTo moves partition pt, served here at epoch, to member to: its standby, or the
// member made its standby first.
func (r *Replicator) moveTo(pt *part, epoch uint64, to string) {
	pt.mu.Lock()
	standby, ok := pt.standby, pt.mode == synced && pt.epoch == epoch
	pt.mu.Unlock()
	if !ok {
		return
	}
	if cands := r.m.StandbyCandidates(pt.p); len(cands) == 0 || cands[0] != to {
		// The member it should go to cannot be reached yet (its connection broke a
		// moment ago, say); replacing the standby now would copy another.
		return
	}
	if standby != to {
		// The next standby copied is the best candidate, which is the member the
		// partition should go to.
		r.log.Info("making the partition's next primary its standby", "partition", pt.p, "standby", standby, "next", to)
		r.replaceStandby(pt, epoch, standby)
		return
	}
	if err := r.handoff(pt); err != nil {
		r.log.Warn("handing a partition off failed; trying again later", "partition", pt.p, "to", to, "error", err)
	}
}

// replaceStandby drops a standby that is in sync, so that another is copied.
func (r *Replicator) replaceStandby(pt *part, epoch uint64, standby string) {
	pt.mu.Lock()
	if pt.mode != synced || pt.epoch != epoch || pt.standby != standby {
		pt.mu.Unlock()
		return
	}
	pt.mode = dropping
	l := pt.link()
	pt.mu.Unlock()
	r.drop(pt, l)
	pt.mu.Lock()
	pt.retryAt = time.Time{} // copy the next standby at once
	pt.mu.Unlock()
}

// handoff hands partition pt to its standby.
func (r *Replicator) handoff(pt *part) error {
	pt.mu.Lock()
	if pt.mode != synced {
		pt.mu.Unlock()
		return errNotSynced
	}
	epoch, standby, addr := pt.epoch, pt.standby, pt.addr
	pt.mode = holding
	held := time.Now()
	for pt.mode == holding && (len(pt.inflight) > 0 || pt.forwarding > 0) {
		pt.cond.Wait()
	}
	if pt.mode != holding || pt.epoch != epoch {
		pt.mu.Unlock()
		return fmt.Errorf("the standby %s failed while the partition drained", standby)
	}
	pt.mu.Unlock()
	drained := time.Since(held)
	err := r.ask(addr, &wire.Handoff{Partition: pt.p, Epoch: epoch, From: r.m.Self()}, holdTimeout)
	pt.mu.Lock()
	var release []heldAppend
	if pt.mode == holding && pt.epoch == epoch {
		release, pt.held = pt.held, nil
		if err != nil {
			// The standby may have taken it all the same (the answer was lost): then
			// what is appended from now on is refused by its fence, as a zombie's.
			pt.mode = synced
		} else {
			pt.mode, pt.standby, pt.addr = gone, "", ""
		}
	}
	pt.mu.Unlock()
	if err != nil {
		r.release(release, nil)
		return err
	}
	d := time.Since(held)
	r.stats.held(d)
	r.stats.HandedOff.Add(1)
	r.log.Info("handed a partition off", "partition", pt.p, "to", standby, "epoch", epoch+1,
		"unavailable", d.Round(time.Microsecond), "drained", drained.Round(time.Microsecond))
	r.release(release, fmt.Errorf("partition %d was handed to %s", pt.p, standby))
	return nil
}

// Leave hands every partition this member serves to its standby, waiting for copies
// in progress to finish, until none is left or ctx ends: a member that stops leaves
// nothing behind that would wait for it. From then on it takes no copy and no
// partition from the others. Partitions without a standby to go to (the only member,
// or --replicas 1) stay this member's.
func (r *Replicator) Leave(ctx context.Context) {
	r.leaving.Store(true)
	if r.parts == nil || r.m.Replicas() < 2 {
		return
	}
	if err := r.m.Depart(ctx); err != nil {
		r.log.Warn("telling the other members this one is stopping failed", "error", err)
	}
	for {
		left := 0
		for _, pt := range r.parts {
			if _, ok := r.m.Serving(pt.p); !ok {
				continue
			}
			pt.mu.Lock()
			mode := pt.mode
			pt.mu.Unlock()
			switch mode {
			case synced:
				if err := r.handoff(pt); err != nil {
					r.log.Warn("handing a partition off before stopping failed", "partition", pt.p, "error", err)
					left++
				}
			case gone:
			default:
				if len(r.m.StandbyCandidates(pt.p)) > 0 {
					left++ // a standby is being copied, or soon will be
				}
			}
		}
		if left == 0 {
			return
		}
		select {
		case <-ctx.Done():
			r.log.Warn("stopping with partitions not handed off: those with a standby fail over to it, the others wait for this member", "left", left)
			return
		case <-time.After(50 * time.Millisecond):
		}
	}
}
