package cluster

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/godurable/durable/cluster/ownership"
)

// What ownership offers replication: a primary keeps a synchronous copy of each of its
// partitions on a standby, which the ownership record names once the copy is complete;
// the standby takes the partition over when the primary's lease is gone. The copying
// itself is the runtime's (package actors); the rules of who may do what are here.

// ErrStale: a message for a partition came from a member that is not its primary at
// that epoch, or at an epoch this member has already moved past (a zombie's).
var ErrStale = errors.New("cluster: message from a primary that no longer owns the partition")

// Self returns this member's id; "" for a member on its own.
func (m *Member) Self() string {
	if m.group == nil {
		return ""
	}
	return m.group.self
}

// PartitionCount returns the cluster's partition count; 1 for a member on its own.
func (m *Member) PartitionCount() int {
	if m.group == nil {
		return 1
	}
	return m.group.meta.Partitions
}

// Replicas returns how many copies of each partition this member keeps when it is the
// primary: 1, or 2 with a standby.
func (m *Member) Replicas() int {
	if m.group == nil || m.group.cfg.Replicas < 2 {
		return 1
	}
	return 2
}

// Record returns partition p's ownership record as this member sees it now.
func (m *Member) Record(p int) ownership.Record {
	if m.group == nil || m.group.view.Load() == nil {
		return ownership.Record{}
	}
	return m.group.view.Load().Partition(p)
}

// Changed returns a channel closed at the next change of membership or ownership;
// for a member on its own, one that is never closed.
func (m *Member) Changed() <-chan struct{} {
	if m.group == nil || m.group.view.Load() == nil {
		return never
	}
	return m.group.view.Load().Changed()
}

// Serving reports whether this member serves partition p now (claimed in this
// incarnation, lease valid), and at which epoch.
func (m *Member) Serving(p int) (epoch uint64, ok bool) {
	if m.group == nil {
		return 0, true
	}
	rec := m.Record(p)
	if rec.Primary != m.group.self || !m.group.serves(p, rec.Epoch) {
		return 0, false
	}
	return rec.Epoch, true
}

// PeerOf returns the address of a live member by id.
func (m *Member) PeerOf(member string) (addr string, ok bool) {
	if m.group == nil || m.group.view.Load() == nil {
		return "", false
	}
	mem, ok := m.group.view.Load().Member(member)
	if !ok || mem.Format != Format || m.group.isDown(mem.Peer) {
		return "", false
	}
	return mem.Peer, true
}

// StandbyCandidates returns, best first, the live members other than this one that
// could keep partition p's copy: the rendezvous order, so that every primary spreads
// its standbys as evenly as it spreads partitions.
func (m *Member) StandbyCandidates(p int) []string {
	if m.group == nil || m.group.view.Load() == nil {
		return nil
	}
	var ids []string
	for _, id := range eligibleIDs(m.group.view.Load().Members()) {
		if _, ok := m.PeerOf(id); ok && id != m.group.self {
			ids = append(ids, id)
		}
	}
	var out []string
	for len(ids) > 0 {
		best, _ := ownership.Desired(p, ids)
		out = append(out, best)
		ids = slices.DeleteFunc(ids, func(id string) bool { return id == best })
	}
	return out
}

// SetStandby names standby ("" for none) as partition p's copy, in place of the
// record rec it read, if this member still serves p at rec's epoch and nobody changed
// the record since. A standby is named only once its copy is complete, and removed
// before an append is acknowledged without it.
func (m *Member) SetStandby(ctx context.Context, p int, rec ownership.Record, standby string) error {
	gr := m.group
	if gr == nil {
		return errors.New("cluster: a member on its own keeps no standby")
	}
	if rec.Primary != gr.self || !gr.serves(p, rec.Epoch) {
		return fmt.Errorf("%w: partition %d at epoch %d", ErrStale, p, rec.Epoch)
	}
	next := rec
	next.Standby = standby
	got, err := gr.store.Swap(ctx, p, rec, next)
	if err != nil {
		return err
	}
	if v := gr.view.Load(); v != nil {
		_ = v.WaitRevision(ctx, got.Revision)
	}
	return nil
}

// Admit decides whether this member, as a standby, takes a copy of partition p sent
// by primary from at epoch: only from the primary the record names at that epoch (or
// at a newer epoch than this member has seen yet), never at an epoch older than one
// it has seen, and never while it serves p itself. While the returned release has not
// been called, this member does not take p over, so what it admitted is submitted to
// its journal before anything of its own epoch.
func (m *Member) Admit(p int, from string, epoch uint64) (release func(), err error) {
	gr := m.group
	if gr == nil {
		return nil, errors.New("cluster: a member on its own keeps no copies")
	}
	gr.fenceMu.RLock()
	rec := m.Record(p)
	switch {
	case epoch < gr.fence[p] || epoch < rec.Epoch:
		err = fmt.Errorf("%w: partition %d epoch %d from %s, this member has seen epoch %d", ErrStale, p, epoch, from,
			max(gr.fence[p], rec.Epoch))
	case rec.Primary == gr.self && gr.holds(p, rec.Epoch):
		err = fmt.Errorf("%w: partition %d is served here at epoch %d", ErrStale, p, rec.Epoch)
	case epoch == rec.Epoch && rec.Primary != from:
		err = fmt.Errorf("%w: partition %d epoch %d belongs to %s, not %s", ErrStale, p, epoch, rec.Primary, from)
	}
	if err != nil {
		gr.fenceMu.RUnlock()
		return nil, err
	}
	return gr.fenceMu.RUnlock, nil
}

// take makes this member partition p's primary in place of rec, under the next
// epoch; the standby, if any, is dropped (a new one is copied).
func (gr *group) take(p int, rec ownership.Record) (ownership.Record, error) {
	ctx, cancel := context.WithTimeout(context.Background(), gr.cfg.TTL/3)
	defer cancel()
	return gr.swapClaim(ctx, p, rec, ownership.Record{Primary: gr.self, Epoch: rec.Epoch + 1})
}

// swapClaim writes next as partition p's record in place of rec, noting first that
// this incarnation holds p at next's epoch: a claim round running meanwhile must not
// take the record it sees for an earlier incarnation's and claim it once more.
func (gr *group) swapClaim(ctx context.Context, p int, rec, next ownership.Record) (ownership.Record, error) {
	gr.raiseFence(p, next.Epoch)
	gr.mu.Lock()
	prev, had := gr.claimed[p]
	gr.claimed[p] = next.Epoch
	gr.mu.Unlock()
	got, err := gr.store.Swap(ctx, p, rec, next)
	if err != nil {
		gr.mu.Lock()
		if gr.claimed[p] == next.Epoch {
			if had {
				gr.claimed[p] = prev
			} else {
				delete(gr.claimed, p)
			}
		}
		gr.mu.Unlock()
	}
	return got, err
}

// raiseFence makes Admit refuse copies of p older than epoch: done before this member
// tries to take p over, so nothing of the old primary lands after its own appends.
func (gr *group) raiseFence(p int, epoch uint64) {
	gr.fenceMu.Lock()
	if gr.fence[p] < epoch {
		gr.fence[p] = epoch
	}
	gr.fenceMu.Unlock()
}

// failover takes over the partitions whose standby this member is and whose primary
// is gone (its lease expired, so it commits nothing more): under a new epoch, which
// fences whatever the old primary might still send. The standby holds every
// acknowledged append, since the primary acknowledged none without it while the
// record named it. It does not wait for membership to settle: the partition is
// unavailable until it is taken.
func (gr *group) failover(members []string) (took []int) {
	view := gr.view.Load()
	for p, rec := range view.Partitions() {
		if rec.Standby != gr.self || rec.Primary == "" || slices.Contains(members, rec.Primary) || !gr.lease.Load().Valid() {
			continue
		}
		got, err := gr.take(p, rec)
		if err != nil {
			if !errors.Is(err, ownership.ErrConflict) {
				gr.log.Warn("taking over a partition failed", "partition", p, "error", err)
			}
			continue
		}
		gr.log.Info("took over a partition whose primary is gone", "partition", p, "from", rec.Primary, "epoch", got.Epoch)
		took = append(took, p)
	}
	return took
}

var never = make(chan struct{})

// DesiredPrimary returns the member that should be partition p's primary among the
// live members, once the member list has been unchanged for the settle time (a burst
// of joins moves each partition once); ok is false before.
func (m *Member) DesiredPrimary(p int) (member string, ok bool) {
	gr := m.group
	if gr == nil || gr.view.Load() == nil {
		return "", false
	}
	if time.Since(time.Unix(0, gr.changedAt.Load())) < gr.cfg.Settle {
		return "", false
	}
	primary, _ := ownership.Desired(p, eligibleIDs(gr.view.Load().Members()))
	return primary, primary != ""
}

// awaitRecord returns partition p's record once it is as want says, waiting a moment
// for this member's view to catch up: the member that named this one standby may ask
// it to take over before etcd's watch has told it so. A record past epoch will never
// do.
func (m *Member) awaitRecord(p int, epoch uint64, want func(ownership.Record) bool) (ownership.Record, error) {
	deadline := time.After(recordLag)
	for {
		changed := m.Changed()
		rec := m.Record(p)
		switch {
		case want(rec):
			return rec, nil
		case rec.Epoch > epoch:
			return rec, ErrStale
		}
		select {
		case <-changed:
		case <-deadline:
			return rec, ErrStale
		}
	}
}

// recordLag is how long a member waits for its view of ownership to show a record
// another member has written.
const recordLag = time.Second

// TakeOver makes this member partition p's primary in place of from, which handed it
// over at epoch after its last append was applied here: this member must be the
// standby the record names at that epoch. The new epoch fences whatever from might
// still send.
func (m *Member) TakeOver(p int, from string, epoch uint64) error {
	gr := m.group
	if gr == nil {
		return errors.New("cluster: a member on its own takes nothing over")
	}
	asked := time.Now()
	rec, err := m.awaitRecord(p, epoch, func(rec ownership.Record) bool {
		return rec.Primary == from && rec.Standby == gr.self && rec.Epoch == epoch
	})
	if err != nil {
		return fmt.Errorf("%w: partition %d is %s's at epoch %d with standby %q, not %s's at %d with this member as standby",
			ErrStale, p, rec.Primary, rec.Epoch, rec.Standby, from, epoch)
	}
	if !gr.lease.Load().Valid() {
		return errors.New("cluster: this member's lease is not valid")
	}
	got, err := gr.take(p, rec)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), gr.cfg.TTL/3)
	defer cancel()
	if v := gr.view.Load(); v != nil {
		_ = v.WaitRevision(ctx, got.Revision)
	}
	gr.log.Info("took over a partition handed off", "partition", p, "from", from, "epoch", got.Epoch,
		"took", time.Since(asked).Round(time.Microsecond))
	gr.tell([]int{p})
	return nil
}
