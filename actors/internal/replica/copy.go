package replica

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/godurable/durable/actors/internal/wire"
	"github.com/godurable/durable/cluster"
)

// Copies travel in messages of at most copyChunkBytes (or one instance, if larger),
// each answered before the next is sent.
const (
	copyChunkBytes     = 1 << 20
	copyChunkInstances = 256
	copyTimeout        = 10 * time.Second
	// holdTimeout bounds a step taken while the partition holds its appends (the last
	// of a copy, a handoff): a standby slower than that costs the step, not the
	// callers, whose appends then go on without it.
	holdTimeout = 2 * time.Second
	// A copy ships the instances appended to meanwhile in rounds; once a round has at
	// most holdBelow of them, or after maxRounds, the partition holds its appends while
	// the rest is shipped.
	holdBelow = 32
	maxRounds = 4
)

// copy makes standby a copy of partition pt at epoch and names it in the record.
func (r *Replicator) copy(pt *part, epoch uint64, standby string) {
	addr, ok := r.m.PeerOf(standby)
	if !ok {
		return
	}
	pt.mu.Lock()
	if pt.mode != idle || pt.epoch != epoch {
		pt.mu.Unlock()
		return
	}
	pt.mode = copying
	// Appends already submitted may land after their instance is exported.
	pt.dirty = make(map[string]struct{}, len(pt.inflight))
	for id := range pt.inflight {
		pt.dirty[id] = struct{}{}
	}
	pt.mu.Unlock()
	started := time.Now()
	if err := r.copyTo(pt, epoch, standby, addr); err != nil {
		pt.mu.Lock()
		var held []heldAppend
		if pt.epoch == epoch && (pt.mode == copying || pt.mode == holding) {
			pt.mode, pt.dirty = idle, nil
			pt.retryAt = time.Now().Add(2 * time.Second)
			if errors.Is(err, errPeerLeaving) {
				// The next candidate is another member, once this one hears.
				pt.retryAt = time.Now().Add(100 * time.Millisecond)
			}
			held, pt.held = pt.held, nil
		}
		pt.mu.Unlock()
		r.release(held, nil)
		level := slog.LevelWarn
		if errors.Is(err, errPeerLeaving) || r.ctx.Err() != nil {
			level = slog.LevelDebug // a member stopping, this one or the standby
		}
		r.log.Log(context.Background(), level, "copying a partition to its standby failed; trying again later", "partition", pt.p, "standby", standby, "error", err)
		return
	}
	rec := r.m.Record(pt.p)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	err := errors.New("the partition's record changed")
	if rec.Epoch == epoch && rec.Standby == "" {
		err = r.m.SetStandby(ctx, pt.p, rec, standby)
	}
	cancel()
	if err != nil {
		pt.mu.Lock()
		l := pt.link()
		pt.mu.Unlock()
		if l.standby == standby {
			r.standbyFailed(pt, l, fmt.Errorf("naming it in the record: %w", err))
		}
		return
	}
	r.log.Info("standby in sync", "partition", pt.p, "standby", standby, "epoch", epoch, "took", time.Since(started).Round(time.Millisecond))
}

// copyTo ships the partition to the standby at addr and leaves pt synced.
func (r *Replicator) copyTo(pt *part, epoch uint64, standby, addr string) error {
	self := r.m.Self()
	session := r.sessions.Add(1)
	if err := r.ask(addr, &wire.CopyBegin{Partition: pt.p, Epoch: epoch, From: self, Session: session}, copyTimeout); err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	var ids []string
	err := r.Store.IDs(context.Background(), func(id string) error {
		if cluster.PartitionOf(id, len(r.parts)) == pt.p {
			ids = append(ids, id)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for round := 0; ; round++ {
		if err := r.ship(pt, epoch, session, addr, ids, copyTimeout); err != nil {
			return err
		}
		pt.mu.Lock()
		if pt.mode != copying || pt.epoch != epoch {
			pt.mu.Unlock()
			return errors.New("the partition changed hands")
		}
		ids = ids[:0]
		if len(pt.dirty) <= holdBelow || round+1 >= maxRounds {
			pt.mu.Unlock()
			break
		}
		for id := range pt.dirty {
			ids = append(ids, id)
		}
		clear(pt.dirty)
		pt.mu.Unlock()
	}
	// Hold the partition's appends, let those submitted land, ship what they changed.
	pt.mu.Lock()
	pt.mode = holding
	for len(pt.inflight) > 0 {
		pt.cond.Wait()
	}
	for id := range pt.dirty {
		ids = append(ids, id)
	}
	pt.dirty = nil
	pt.mu.Unlock()
	holdStart := time.Now()
	if err := r.ship(pt, epoch, session, addr, ids, holdTimeout); err != nil {
		return err
	}
	pt.mu.Lock()
	if pt.mode != holding || pt.epoch != epoch {
		pt.mu.Unlock()
		return errors.New("the partition changed hands")
	}
	pt.mode, pt.standby, pt.addr, pt.session = synced, standby, addr, session
	held := pt.held
	pt.held = nil
	pt.mu.Unlock()
	r.stats.held(time.Since(holdStart))
	r.release(held, nil)
	return nil
}

// ship exports the instances ids and installs them at the standby, in chunks.
func (r *Replicator) ship(pt *part, epoch, session uint64, addr string, ids []string, timeout time.Duration) error {
	msg := &wire.CopyInstances{Partition: pt.p, Epoch: epoch, From: r.m.Self(), Session: session}
	size := 0
	flush := func() error {
		if len(msg.Instances) == 0 {
			return nil
		}
		if err := r.ask(addr, msg, timeout); err != nil {
			return err
		}
		r.stats.Copied.Add(int64(len(msg.Instances)))
		msg.Instances, size = nil, 0
		return nil
	}
	for _, id := range ids {
		if r.ctx.Err() != nil {
			return errors.New("member stopping")
		}
		snap, err := r.Store.Export(context.Background(), id)
		if err != nil {
			return fmt.Errorf("export %q: %w", id, err)
		}
		if size > 0 && (size+snap.Size() > copyChunkBytes || len(msg.Instances) >= copyChunkInstances) {
			if err := flush(); err != nil {
				return err
			}
		}
		msg.Instances = append(msg.Instances, snap)
		size += snap.Size()
	}
	return flush()
}

// ask sends a copy message to the standby's receiver and waits for its answer.
func (r *Replicator) ask(addr string, m any, timeout time.Duration) error {
	packed, err := wire.Pack(m)
	if err != nil {
		return err
	}
	lost := r.lostSignal(addr)
	f := r.system.Root.RequestFuture(actor.NewPID(addr, controlName), packed, timeout)
	type result struct {
		res any
		err error
	}
	got := make(chan result, 1)
	go func() {
		res, err := f.Result()
		got <- result{res, err}
	}()
	var res any
	select {
	case r := <-got:
		if r.err != nil {
			return r.err
		}
		res = r.res
	case <-lost:
		return fmt.Errorf("connection to %s broke", addr)
	case <-r.ctx.Done():
		return errors.New("member stopping")
	}
	a, ok := res.(*anypb.Any)
	if !ok {
		return fmt.Errorf("unexpected answer %T", res)
	}
	unpacked, err := wire.Unpack(a)
	if err != nil {
		return err
	}
	reply, ok := unpacked.(*wire.CopyReply)
	if !ok {
		return fmt.Errorf("unexpected answer %T", unpacked)
	}
	switch {
	case reply.Leaving:
		return fmt.Errorf("%w: %s", errPeerLeaving, reply.Err)
	case reply.Err != "":
		return errors.New(reply.Err)
	}
	return nil
}

// errPeerLeaving: the member asked is stopping. It told the others so, and they stop
// choosing it as soon as they hear; until then their requests meet this.
var errPeerLeaving = errors.New("the member is stopping")
