// Package replica keeps a second copy of each partition a member serves on another
// member, its standby, and keeps it exact: every append to the partition is applied by
// both before it is acknowledged.
//
// A standby is made by copying while the partition keeps serving: the primary ships
// every instance of the partition as stored, then, in rounds, the instances appended
// to meanwhile; then it holds the partition's new appends for the short time it takes
// to ship the last of them, and from then on sends each append to the standby as it
// commits its own. Only then does the ownership record name the standby, since from
// then on the standby holds everything acknowledged and may take the partition over.
// A standby that fails to answer in time is removed from the record before anything
// more is acknowledged without it, and a new one is copied.
//
// The standby applies appends in the order they arrive and checks each against the
// ownership record: a primary that was replaced (a zombie: paused past its lease, or
// cut off) is refused, so nothing it commits afterwards is ever acknowledged.
package replica

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/remote"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/godurable/durable/actors/internal/wire"
	"github.com/godurable/durable/cluster"
	"github.com/godurable/durable/persistence"
	"github.com/godurable/durable/persistence/badgerjournal"
)

// receiverName is the actor on every member that takes copies of partitions.
const receiverName = "durable-replica"

// controlName is the actor on every member that takes the requests of copies and
// handoffs: apart from the receiver, so that they do not wait behind the appends its
// mailbox holds. Each is sent once what it must follow has been acknowledged.
const controlName = "durable-replica-control"

// Store is the member's journal, able to copy instances as stored.
type Store interface {
	persistence.Journal
	Prepare(b *persistence.Batch) (*badgerjournal.Prepared, error)
	AppendPrepared(p *badgerjournal.Prepared, done func(error))
	Export(ctx context.Context, id string) (badgerjournal.Snapshot, error)
	IDs(ctx context.Context, fn func(id string) error) error
	Install(snap badgerjournal.Snapshot, done func(error))
}

// Replicator is a Journal that keeps the partitions this member serves copied on
// their standbys, and the receiver of the copies other members keep here.
type Replicator struct {
	Store // reads, and the appends of copies kept here, go straight to it
	log   *slog.Logger
	// ackTimeout is how long a standby may take to apply an append before it is
	// replaced.
	ackTimeout time.Duration

	m      *cluster.Member
	system *actor.ActorSystem
	acks   *actor.PID
	parts  []*part

	mu      sync.Mutex
	seq     uint64
	pending map[uint64]*pendingAppend

	copies atomic.Int32 // copies running
	moves  atomic.Int32 // partitions being moved to their desired primary
	// leaving: the member is stopping and takes no copy or partition from others.
	leaving atomic.Bool
	// sessions numbers this member's copies; copiedBy holds, per partition a copy is
	// kept of here, the copy appends must belong to.
	sessions atomic.Uint64
	copyMu   sync.Mutex
	copyCond *sync.Cond
	copiedBy map[int]copySession
	applying map[int]int // appends of the copy held here, submitted and not yet written
	// outs holds a sender per standby address (see outgoing).
	outs  map[string]*sender
	stats Stats
	// lost holds, per peer address a copy is talking to, a channel closed when the
	// connection to it breaks.
	lost map[string]chan struct{}
	// ctx ends when the member starts stopping: copies give up, none starts.
	ctx    context.Context
	cancel context.CancelFunc
	stop   chan struct{}
	done   sync.WaitGroup
}

// Stats counts what replication did; read with Snapshot.
type Stats struct {
	Replicated   atomic.Int64 // appends applied by a standby
	Copied       atomic.Int64 // instances shipped to standbys
	StandbysLost atomic.Int64 // standbys removed after they failed to answer
	HandedOff    atomic.Int64 // partitions handed to their standby
	// MaxHoldNanos is the longest time a partition held its appends: while the last
	// of a copy was shipped, or while it was handed off.
	MaxHoldNanos atomic.Int64
}

// held records that a partition held its appends for d.
func (s *Stats) held(d time.Duration) {
	for {
		cur := s.MaxHoldNanos.Load()
		if d.Nanoseconds() <= cur || s.MaxHoldNanos.CompareAndSwap(cur, d.Nanoseconds()) {
			return
		}
	}
}

// New returns a replicator over store; Start connects it to the member.
func New(store Store, log *slog.Logger) *Replicator {
	ctx, cancel := context.WithCancel(context.Background())
	r := &Replicator{Store: store, log: log, ackTimeout: 2 * time.Second, pending: map[uint64]*pendingAppend{},
		lost: map[string]chan struct{}{}, copiedBy: map[int]copySession{}, applying: map[int]int{}, outs: map[string]*sender{},
		ctx: ctx, cancel: cancel, stop: make(chan struct{})}
	r.copyCond = sync.NewCond(&r.copyMu)
	return r
}

// Quiesce makes copies in progress give up, and the appends they held fail, so that
// the member's actors can finish their last turns while it stops; appends go on
// reaching standbys already in sync.
func (r *Replicator) Quiesce() { r.cancel() }

// lostSignal returns a channel closed when the connection to addr breaks.
func (r *Replicator) lostSignal(addr string) <-chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	ch, ok := r.lost[addr]
	if !ok {
		ch = make(chan struct{})
		r.lost[addr] = ch
	}
	return ch
}

// Stats returns the replicator's counters.
func (r *Replicator) Stats() *Stats { return &r.stats }

type mode int

const (
	idle     mode = iota // one copy: appends go to the store alone
	copying              // a standby is being copied; appended instances are noted
	holding              // the last of a copy is being shipped; appends wait
	synced               // every append goes to the standby too
	dropping             // the standby failed; appends wait until the record drops it
	gone                 // handed off: appends are refused until this member claims it anew
)

// part is the replication state of one partition on its primary.
type part struct {
	p    int
	mu   sync.Mutex
	cond *sync.Cond // signalled when inflight empties

	mode    mode
	epoch   uint64
	standby string // the standby appends go to while synced
	addr    string
	session uint64 // the copy that made the standby
	// inflight counts the appends submitted to the store and not yet done, by
	// instance, and forwarding those sent to the standby and not yet settled; dirty
	// notes the instances appended to while copying.
	inflight   map[string]int
	forwarding int
	dirty      map[string]struct{}
	held       []heldAppend
	retryAt    time.Time // no new copy before then, after one failed
}

// link names one standby of a partition: the epoch, the member, and the copy that
// made it. An answer about another link (an earlier copy's, say) says nothing about
// the standby in use now.
type link struct {
	epoch   uint64
	standby string
	session uint64
}

// link returns the partition's standby in use; call with pt.mu held.
func (pt *part) link() link { return link{pt.epoch, pt.standby, pt.session} }

// copySession identifies one copy of a partition: its primary, epoch and number.
type copySession struct {
	from    string
	epoch   uint64
	session uint64
}

type heldAppend struct {
	b    *persistence.Batch
	done func(error)
}

type pendingAppend struct {
	pt   *part
	link link // the standby it was sent to
	done func(error)
	due  time.Time

	local, remote       bool
	localErr, remoteErr error
	// dropped: the standby was removed from the record while this append waited on
	// it; remoteErr then says whether that worked (nil) or the partition was lost.
	dropped bool
}

// Start connects the replicator to its member: the receiver of copies and the
// loop that copies standbys for the partitions this member serves.
func (r *Replicator) Start(m *cluster.Member) error {
	r.m, r.system = m, m.System
	r.parts = make([]*part, m.PartitionCount())
	for p := range r.parts {
		pt := &part{p: p, inflight: map[string]int{}}
		pt.cond = sync.NewCond(&pt.mu)
		r.parts[p] = pt
	}
	r.acks = r.system.Root.Spawn(actor.PropsFromFunc(r.receiveAck))
	for _, name := range []string{receiverName, controlName} {
		if _, err := r.system.Root.SpawnNamed(actor.PropsFromFunc(r.receive), name); err != nil {
			return fmt.Errorf("replica: start the receiver: %w", err)
		}
	}
	r.system.EventStream.Subscribe(func(ev any) {
		if t, ok := ev.(*remote.EndpointTerminatedEvent); ok {
			r.peerLost(t.Address)
		}
	})
	r.done.Add(1)
	go r.maintain()
	return nil
}

// Stop ends the copying loop; appends still held fail.
func (r *Replicator) Stop() {
	select {
	case <-r.stop:
		return
	default:
	}
	r.cancel()
	close(r.stop)
	r.done.Wait()
}

// Append implements persistence.Journal.
func (r *Replicator) Append(b *persistence.Batch, done func(error)) {
	if r.parts == nil {
		r.Store.Append(b, done)
		return
	}
	pt := r.parts[cluster.PartitionOf(b.InstanceID, len(r.parts))]
	pt.mu.Lock()
	switch pt.mode {
	case holding, dropping:
		pt.held = append(pt.held, heldAppend{b, done})
		pt.mu.Unlock()
		return
	case synced:
		r.forward(pt, b, done)
		return
	case gone:
		pt.mu.Unlock()
		done(&persistence.AppendError{InstanceID: b.InstanceID,
			Err: fmt.Errorf("%w: partition %d was handed to another member", persistence.ErrFenced, pt.p)})
		return
	case copying:
		pt.dirty[b.InstanceID] = struct{}{}
	case idle:
		if rec := r.m.Record(pt.p); rec.Standby != "" && rec.Primary == r.m.Self() && rec.Epoch == pt.epoch {
			// The record names a standby appends do not go to: drop it before anything
			// is acknowledged on one copy.
			pt.mode = dropping
			pt.held = append(pt.held, heldAppend{b, done})
			pt.mu.Unlock()
			go r.drop(pt, link{epoch: rec.Epoch, standby: rec.Standby})
			return
		}
	}
	id := b.InstanceID
	pt.inflight[id]++
	pt.mu.Unlock()
	r.Store.Append(b, func(err error) {
		pt.finished(id)
		done(err)
	})
}

// finished notes that an append of id to the store is done. While a copy is under way
// the instance is noted again: a round of the copy may have exported it between the
// append's submission and its commit.
func (pt *part) finished(id string) {
	pt.mu.Lock()
	if pt.dirty != nil {
		pt.dirty[id] = struct{}{}
	}
	if pt.inflight[id]--; pt.inflight[id] <= 0 {
		delete(pt.inflight, id)
	}
	if len(pt.inflight) == 0 {
		pt.cond.Broadcast()
	}
	pt.mu.Unlock()
}

// forward applies b to the store and sends it to the standby; done runs once both
// applied it. The batch is prepared once, for both journals. Called with pt.mu held,
// which it releases.
func (r *Replicator) forward(pt *part, b *persistence.Batch, done func(error)) {
	prepared, err := r.Store.Prepare(b)
	var op []byte
	if err == nil {
		op, err = prepared.MarshalBinary()
	}
	if err != nil {
		pt.mu.Unlock()
		done(err) // refused before either journal saw it
		return
	}
	pa := &pendingAppend{pt: pt, link: pt.link(), done: done, due: time.Now().Add(r.ackTimeout)}
	id, addr := b.InstanceID, pt.addr
	pt.inflight[id]++
	pt.forwarding++
	r.mu.Lock()
	r.seq++
	seq := r.seq
	r.pending[seq] = pa
	r.mu.Unlock()
	pt.mu.Unlock()

	r.outgoing(addr).push(&wire.Replicate{Partition: pt.p, Epoch: pa.link.epoch, From: r.m.Self(), Session: pa.link.session, Seq: seq, Op: op})
	r.Store.AppendPrepared(prepared, func(err error) {
		pt.finished(id)
		r.settle(seq, func(pa *pendingAppend) { pa.local, pa.localErr = true, err })
	})
}

// settle records an outcome of pending append seq and finishes it once both are in.
// The two copies must agree: an append the standby refused and this member took
// replaces the standby first (drop settles it then); one this member refused and the
// standby took replaces the standby too, since the copies now differ. One both
// refused (a stale activation's, say) changes nothing.
func (r *Replicator) settle(seq uint64, set func(*pendingAppend)) {
	r.mu.Lock()
	pa := r.pending[seq]
	if pa == nil {
		r.mu.Unlock()
		return
	}
	set(pa)
	if !pa.local || !pa.remote {
		r.mu.Unlock()
		return
	}
	if pa.localErr == nil && pa.remoteErr != nil && !pa.dropped {
		r.mu.Unlock()
		r.standbyFailed(pa.pt, pa.link, pa.remoteErr)
		return
	}
	delete(r.pending, seq)
	r.mu.Unlock()
	pa.pt.mu.Lock()
	if pa.pt.forwarding--; pa.pt.forwarding == 0 {
		pa.pt.cond.Broadcast()
	}
	pa.pt.mu.Unlock()
	if pa.localErr != nil && pa.remoteErr == nil && !pa.dropped {
		r.standbyFailed(pa.pt, pa.link, fmt.Errorf("the standby applied an append this member refused: %w", pa.localErr))
	}
	switch {
	case pa.localErr != nil:
		pa.done(pa.localErr)
	case pa.remoteErr != nil:
		pa.done(pa.remoteErr)
	default:
		r.stats.Replicated.Add(1)
		pa.done(nil)
	}
}

// receiveAck takes the standbys' answers to Replicate.
func (r *Replicator) receiveAck(ctx actor.Context) {
	a, ok := ctx.Message().(*anypb.Any)
	if !ok {
		return
	}
	m, err := wire.Unpack(a)
	acks, ok := m.(*wire.ReplicateAcks)
	if err != nil || !ok {
		return
	}
	for _, ack := range acks.Acks {
		r.settle(ack.Seq, func(pa *pendingAppend) {
			pa.remote = true
			if ack.Err != "" {
				pa.remoteErr = errors.New(ack.Err)
			}
		})
	}
}

// standbyFailed replaces a standby that did not apply an append: the partition holds
// its appends, the record drops the standby, and what the primary alone made durable
// is acknowledged then, since nobody else may take the partition over any more. If
// the record cannot be changed, this member lost the partition, and nothing pending
// is acknowledged.
func (r *Replicator) standbyFailed(pt *part, l link, cause error) {
	pt.mu.Lock()
	current := pt.link() == l && l.standby != ""
	switch {
	case current && (pt.mode == synced || pt.mode == holding):
	case current && pt.mode == dropping:
		pt.mu.Unlock()
		return // the drop under way settles what waits on this standby
	default:
		pt.mu.Unlock()
		r.orphaned(pt, l)
		return
	}
	pt.mode = dropping
	pt.cond.Broadcast() // a handoff waiting for its appends gives up
	pt.mu.Unlock()
	r.stats.StandbysLost.Add(1)
	level := slog.LevelWarn
	if r.m.Leaving(l.standby) || r.ctx.Err() != nil {
		level = slog.LevelInfo // the standby (or this member) said it is stopping
	}
	r.log.Log(context.Background(), level, "standby failed to apply an append; dropping it", "partition", pt.p, "standby", l.standby, "error", cause)
	go r.drop(pt, l)
}

// drop takes a partition in mode dropping back to one copy: it removes the standby
// from the record, then settles the appends that were waiting on the standby and
// submits those held meanwhile.
func (r *Replicator) drop(pt *part, l link) {
	epoch := l.epoch
	err := r.dropStandby(pt.p, epoch)
	r.mu.Lock()
	var finish []uint64
	for seq, pa := range r.pending {
		if pa.pt == pt && pa.link == l {
			pa.remote, pa.dropped, pa.remoteErr = true, true, nil
			if err != nil {
				pa.remoteErr = fmt.Errorf("%w: partition %d: %v", persistence.ErrFenced, pt.p, err)
			}
			finish = append(finish, seq)
		}
	}
	r.mu.Unlock()
	for _, seq := range finish {
		r.settle(seq, func(*pendingAppend) {})
	}
	pt.mu.Lock()
	if pt.mode == dropping && pt.epoch == epoch {
		pt.mode, pt.standby, pt.addr = idle, "", ""
		pt.retryAt = time.Now().Add(time.Second)
	}
	held := pt.held
	pt.held = nil
	pt.mu.Unlock()
	r.release(held, err)
}

// orphaned settles the appends that wait on a standby the partition no longer uses
// (it changed epoch or hands meanwhile): none can be acknowledged.
func (r *Replicator) orphaned(pt *part, l link) {
	r.mu.Lock()
	var finish []uint64
	for seq, pa := range r.pending {
		if pa.pt == pt && pa.link == l {
			pa.remote, pa.dropped = true, true
			pa.remoteErr = fmt.Errorf("%w: partition %d moved on from this standby", persistence.ErrFenced, pt.p)
			finish = append(finish, seq)
		}
	}
	r.mu.Unlock()
	for _, seq := range finish {
		r.settle(seq, func(*pendingAppend) {})
	}
}

// dropStandby removes the standby from partition p's record, retrying while this
// member still serves p at epoch.
func (r *Replicator) dropStandby(p int, epoch uint64) error {
	for {
		rec := r.m.Record(p)
		if e, ok := r.m.Serving(p); !ok || e != epoch {
			return fmt.Errorf("partition %d no longer served here at epoch %d", p, epoch)
		}
		if rec.Standby == "" {
			return nil
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := r.m.SetStandby(ctx, p, rec, "")
		cancel()
		if err == nil {
			return nil
		}
		r.log.Warn("dropping a standby from the record failed; retrying", "partition", p, "error", err)
		select {
		case <-r.stop:
			return errors.New("replica: stopped")
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// release submits held appends again, in order; when cause is set they fail with it
// instead.
func (r *Replicator) release(held []heldAppend, cause error) {
	for _, h := range held {
		if cause != nil {
			h.done(&persistence.AppendError{InstanceID: h.b.InstanceID,
				Err: fmt.Errorf("%w: %v", persistence.ErrFenced, cause)})
			continue
		}
		r.Append(h.b, h.done)
	}
}

// peerLost replaces the standbys at a member whose connection broke.
func (r *Replicator) peerLost(addr string) {
	r.mu.Lock()
	if ch, ok := r.lost[addr]; ok {
		close(ch)
		delete(r.lost, addr)
	}
	r.mu.Unlock()
	for _, pt := range r.parts {
		pt.mu.Lock()
		hit := (pt.mode == synced || pt.mode == holding) && pt.addr == addr
		l := pt.link()
		pt.mu.Unlock()
		if hit {
			r.standbyFailed(pt, l, fmt.Errorf("connection to %s broke", addr))
		}
	}
}

// maintain follows ownership: it resets partitions this member no longer serves or
// serves at a new epoch, replaces standbys that stopped answering, and copies a
// standby for each served partition that has none.
func (r *Replicator) maintain() {
	defer r.done.Done()
	tick := time.NewTicker(r.ackTimeout / 4)
	defer tick.Stop()
	for {
		changed := r.m.Changed()
		r.expire()
		for _, pt := range r.parts {
			r.follow(pt)
		}
		select {
		case <-r.stop:
			r.shutdown()
			return
		case <-changed:
		case <-tick.C:
		}
	}
}

// expire treats appends a standby did not answer in time as its failure.
func (r *Replicator) expire() {
	now := time.Now()
	var late []*pendingAppend
	r.mu.Lock()
	for _, pa := range r.pending {
		if !pa.remote && now.After(pa.due) {
			late = append(late, pa)
		}
	}
	r.mu.Unlock()
	for _, pa := range late {
		r.standbyFailed(pa.pt, pa.link, fmt.Errorf("no answer within %v", r.ackTimeout))
	}
}

func (r *Replicator) follow(pt *part) {
	epoch, serving := r.m.Serving(pt.p)
	rec := r.m.Record(pt.p)
	pt.mu.Lock()
	var held []heldAppend
	if serving && epoch != pt.epoch {
		// Claimed anew: whatever was copied belongs to another epoch. (A partition not
		// served for a moment, while the lease renews late, keeps its standby: the
		// gate refuses its appends meanwhile.)
		if pt.mode == holding || pt.mode == synced || pt.mode == copying || pt.mode == gone {
			pt.mode, pt.standby, pt.addr, pt.dirty = idle, "", "", nil
			held, pt.held = pt.held, nil
		}
		pt.epoch = epoch
	}
	move := ""
	if serving && pt.mode == synced && r.ctx.Err() == nil {
		if d, ok := r.m.DesiredPrimary(pt.p); ok && d != r.m.Self() {
			move = d
		}
	}
	start := serving && pt.mode == idle && r.m.Replicas() > 1 && rec.Standby == "" && time.Now().After(pt.retryAt) &&
		r.ctx.Err() == nil
	stray := serving && pt.mode == idle && rec.Standby != "" && rec.Epoch == pt.epoch
	pt.mu.Unlock()
	r.release(held, nil)
	switch {
	case move != "" && r.moves.Load() == 0:
		r.moves.Add(1)
		r.done.Add(1)
		go func() {
			defer r.done.Done()
			defer r.moves.Add(-1)
			r.moveTo(pt, epoch, move)
		}()
	case stray:
		// The record names a standby appends do not go to: drop it before anything more
		// is acknowledged on one copy.
		pt.mu.Lock()
		if pt.mode == idle && pt.epoch == epoch {
			pt.mode = dropping
			go r.drop(pt, link{epoch: epoch, standby: rec.Standby})
		}
		pt.mu.Unlock()
	case start && r.copies.Load() < 2:
		if cands := r.m.StandbyCandidates(pt.p); len(cands) > 0 {
			r.copies.Add(1)
			r.done.Add(1)
			go func() {
				defer r.done.Done()
				defer r.copies.Add(-1)
				r.copy(pt, epoch, cands[0])
			}()
		}
	}
}

// shutdown fails what is still held when the member stops.
func (r *Replicator) shutdown() {
	for _, pt := range r.parts {
		pt.mu.Lock()
		held := pt.held
		pt.held = nil
		pt.mu.Unlock()
		r.release(held, errors.New("member stopping"))
	}
}
