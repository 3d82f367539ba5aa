package replica

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/asynkron/protoactor-go/actor"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/godurable/durable/actors/internal/wire"
	"github.com/godurable/durable/cluster"
	"github.com/godurable/durable/persistence/badgerjournal"
)

// receive is the standby's side: it applies the appends and copies primaries send.
// Appends are submitted to the journal in the order they arrive, which for one
// instance is the order its primary committed them; copies, which take longer, run on
// goroutines of their own, since their primary waits for each answer before it sends
// anything more of that partition.
func (r *Replicator) receive(ctx actor.Context) {
	a, ok := ctx.Message().(*anypb.Any)
	if !ok {
		return
	}
	sender := ctx.Sender()
	m, err := wire.Unpack(a)
	if err != nil {
		r.log.Warn("replica: unreadable message", "error", err)
		return
	}
	switch m := m.(type) {
	case *wire.ReplicateBatch:
		r.applyAll(sender, m)
	case *wire.CopyBegin:
		go r.answer(sender, r.begin(m))
	case *wire.CopyInstances:
		go r.answer(sender, r.install(m))
	case *wire.Handoff:
		go r.answer(sender, r.takeOver(m))
	}
}

func (r *Replicator) answer(to *actor.PID, err error) {
	reply := &wire.CopyReply{}
	if err != nil {
		reply.Err, reply.Stale, reply.Leaving = err.Error(), errors.Is(err, cluster.ErrStale), errors.Is(err, errLeaving)
	}
	r.send(to, reply)
}

func (r *Replicator) send(to *actor.PID, m any) {
	if to == nil {
		return
	}
	packed, err := wire.Pack(m)
	if err != nil {
		r.log.Error("replica: encode answer", "error", err)
		return
	}
	r.system.Root.Send(to, packed)
}

// applyAll submits a primary's appends to the journal, each unless the primary was
// replaced, and answers once every one is durable or refused.
func (r *Replicator) applyAll(sender *actor.PID, batch *wire.ReplicateBatch) {
	acks := &wire.ReplicateAcks{Acks: make([]wire.ReplicateAck, len(batch.Items))}
	var left atomic.Int64
	left.Store(int64(len(batch.Items)))
	finish := func() {
		if left.Add(-1) == 0 {
			r.send(sender, acks)
		}
	}
	for i, m := range batch.Items {
		ack := &acks.Acks[i]
		ack.Seq = m.Seq
		if err := r.apply(m, func(err error) {
			if err != nil {
				ack.Err = err.Error()
			}
			finish()
		}); err != nil {
			ack.Err, ack.Stale = err.Error(), errors.Is(err, cluster.ErrStale)
			finish()
		}
	}
}

// apply submits one append; done follows the journal's contract. An append refused
// before it reaches the journal returns the reason instead.
func (r *Replicator) apply(m *wire.Replicate, done func(error)) error {
	release, err := r.m.Admit(m.Partition, m.From, m.Epoch)
	if err != nil {
		return err
	}
	defer release()
	op, err := badgerjournal.UnmarshalPrepared(m.Op)
	switch {
	case err != nil:
		return fmt.Errorf("replicate: %w", err)
	case cluster.PartitionOf(op.InstanceID(), r.m.PartitionCount()) != m.Partition:
		return fmt.Errorf("replicate: instance %q is not in partition %d", op.InstanceID(), m.Partition)
	case !r.admitAppend(m.Partition, copySession{m.From, m.Epoch, m.Session}):
		return fmt.Errorf("replicate: partition %d: not the copy this member holds (session %d of %s)", m.Partition, m.Session, m.From)
	}
	r.Store.AppendPrepared(op, func(err error) {
		r.appendDone(m.Partition)
		done(err)
	})
	return nil
}

// admitAppend counts an append of copy s of partition p in flight, if s is the copy
// this member holds.
func (r *Replicator) admitAppend(p int, s copySession) bool {
	r.copyMu.Lock()
	defer r.copyMu.Unlock()
	if r.copiedBy[p] != s {
		return false
	}
	r.applying[p]++
	return true
}

func (r *Replicator) appendDone(p int) {
	r.copyMu.Lock()
	if r.applying[p]--; r.applying[p] <= 0 {
		delete(r.applying, p)
		r.copyCond.Broadcast()
	}
	r.copyMu.Unlock()
}

// startCopy makes s the copy of partition p this member holds, and waits until the
// appends of the copy it held before are all written: what the new copy then drops
// must include whatever they created.
func (r *Replicator) startCopy(p int, s copySession) {
	r.copyMu.Lock()
	r.copiedBy[p] = s
	for r.applying[p] > 0 {
		r.copyCond.Wait()
	}
	r.copyMu.Unlock()
}

var errLeaving = errors.New("replica: this member is stopping")

// takeOver makes this member the primary of a partition its primary hands over.
func (r *Replicator) takeOver(m *wire.Handoff) error {
	if r.leaving.Load() {
		return errLeaving
	}
	return r.m.TakeOver(m.Partition, m.From, m.Epoch)
}

// begin drops what this member holds of a partition, to receive a fresh copy.
func (r *Replicator) begin(m *wire.CopyBegin) error {
	if r.leaving.Load() {
		return errLeaving
	}
	release, err := r.m.Admit(m.Partition, m.From, m.Epoch)
	if err != nil {
		return err
	}
	release()
	r.startCopy(m.Partition, copySession{m.From, m.Epoch, m.Session})
	var ids []string
	err = r.Store.IDs(context.Background(), func(id string) error {
		if cluster.PartitionOf(id, r.m.PartitionCount()) == m.Partition {
			ids = append(ids, id)
		}
		return nil
	})
	if err != nil {
		return err
	}
	snaps := make([]badgerjournal.Snapshot, len(ids))
	for i, id := range ids {
		snaps[i] = badgerjournal.Snapshot{ID: id}
	}
	return r.installAll(snaps)
}

// install writes a chunk of a copy.
func (r *Replicator) install(m *wire.CopyInstances) error {
	release, err := r.m.Admit(m.Partition, m.From, m.Epoch)
	if err != nil {
		return err
	}
	release()
	if !r.isSession(m.Partition, copySession{m.From, m.Epoch, m.Session}) {
		return fmt.Errorf("replica: partition %d: copy session %d of %s is not the one under way here", m.Partition, m.Session, m.From)
	}
	for _, s := range m.Instances {
		if cluster.PartitionOf(s.ID, r.m.PartitionCount()) != m.Partition {
			return fmt.Errorf("replica: instance %q is not in partition %d", s.ID, m.Partition)
		}
	}
	return r.installAll(m.Instances)
}

func (r *Replicator) isSession(p int, s copySession) bool {
	r.copyMu.Lock()
	defer r.copyMu.Unlock()
	return r.copiedBy[p] == s
}

func (r *Replicator) installAll(snaps []badgerjournal.Snapshot) error {
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	wg.Add(len(snaps))
	for _, s := range snaps {
		r.Store.Install(s, func(err error) {
			if err != nil {
				mu.Lock()
				if first == nil {
					first = err
				}
				mu.Unlock()
			}
			wg.Done()
		})
	}
	wg.Wait()
	return first
}
