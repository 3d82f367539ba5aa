package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/cluster/clusterproviders/etcd"
	"github.com/asynkron/protoactor-go/remote"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/godurable/durable/cluster/ownership"
)

// Format is the message and journal format this build speaks; members of one
// cluster must all speak the same.
const Format = 1

// Group configures membership of a cluster of many members.
type Group struct {
	// Etcd lists the etcd endpoints (host:port) that hold membership and ownership.
	Etcd []string
	// MemberID names this member for good: a member that restarts under the same id
	// (on the same data) takes back the partitions it owned.
	MemberID string
	// Partitions is the partition count of a cluster this member creates; joining an
	// existing cluster, it must match (default DefaultPartitions).
	Partitions int
	// TTL is the ownership lease's time to live (default 5 s, at least 2 s). A member
	// that cannot renew stops committing within two thirds of it.
	TTL time.Duration
	// Settle is how long membership must stay unchanged before a member claims
	// partitions nobody owns, so that members started together share them (default 1 s).
	Settle time.Duration
	// JoinTimeout bounds the wait for etcd at start (default 30 s).
	JoinTimeout time.Duration
	// ClusterID is the id this member expects the cluster to have (from its data
	// directory); empty: any. A mismatch is refused.
	ClusterID string
	// Log receives membership and ownership records (default slog.Default()).
	Log *slog.Logger
	// Prepare, when set, runs once the member's actor system is up and before the
	// member registers: whatever its actors need must be in place by the time other
	// members can reach it.
	Prepare func(*Member) error
	// Replicas is how many copies of each partition a primary keeps: 1, or 2 (the
	// default) with a standby on another member that takes over when it is gone.
	Replicas int
	// Claimed, when set, is told of the partitions each round of claims took (on a
	// goroutine of its own), with the cluster's partition count, so work they had in
	// flight can resume.
	Claimed func(claimed []int, partitions int)
}

// group is a member's part in a cluster of many: its lease, its view of ownership,
// and the partitions this incarnation has claimed.
type group struct {
	cfg    Group
	self   string
	log    *slog.Logger
	client *clientv3.Client
	store  *ownership.Store
	meta   ownership.Meta
	lease  atomic.Pointer[ownership.Lease] // replaced when the member rejoins
	view   atomic.Pointer[ownership.View]
	peer   string

	mu sync.RWMutex
	// down holds the peers whose connection broke, and when: a member killed without
	// warning stays in the member list until its lease expires, and requests to it
	// would each wait their whole timeout.
	down map[string]time.Time
	// claimed holds, per partition this incarnation claimed, the epoch it claimed it
	// at: a record naming this member at another epoch is from an earlier incarnation.
	claimed map[int]uint64
	// zombie: see ZombieEnv.
	zombie bool

	// fence holds, per partition, the newest epoch this member claimed or tried to:
	// copies sent by a primary of an older epoch are refused (see Admit).
	fenceMu sync.RWMutex
	fence   map[int]uint64

	// leaving: this member is handing its partitions off before it stops.
	leaving atomic.Bool

	// changedAt is when the live member list last changed (Unix nanoseconds).
	changedAt atomic.Int64

	stop chan struct{}
	done chan struct{}
}

// Join starts a member of the cluster named cfg.Name whose membership and ownership
// live in the etcd of g, and returns once it takes part: registered, following
// ownership, and claiming its share of partitions in the background.
func Join(ctx context.Context, cfg Config, g Group) (*Member, error) {
	secret := cfg.Secret
	cfg.defaults()
	if g.Partitions <= 0 {
		g.Partitions = DefaultPartitions
	}
	if g.TTL <= 0 {
		g.TTL = 5 * time.Second
	}
	if g.Settle <= 0 {
		g.Settle = time.Second
	}
	if g.JoinTimeout <= 0 {
		g.JoinTimeout = 30 * time.Second
	}
	if g.Log == nil {
		g.Log = slog.Default()
	}
	if g.Replicas <= 0 {
		g.Replicas = 2
	}
	if g.MemberID == "" {
		return nil, errors.New("cluster: a member of a cluster needs a member id")
	}
	// protoactor panics on a port it cannot listen on; find out first.
	addr := net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("cluster: cannot listen for other members on %s: %w", addr, err)
	}
	_ = ln.Close()
	gr := &group{cfg: g, self: g.MemberID, log: g.Log.With("member", g.MemberID), claimed: map[int]uint64{}, down: map[string]time.Time{},
		fence: map[int]uint64{}, zombie: os.Getenv(ZombieEnv) == "1",
		stop: make(chan struct{}), done: make(chan struct{})}
	if err := gr.connect(ctx, cfg.Name); err != nil {
		return nil, err
	}
	if secret == "" {
		if gr.meta.Secret == "" {
			_ = gr.client.Close()
			return nil, fmt.Errorf("cluster: %q keeps no secret in etcd; give every member one (--cluster-secret)", cfg.Name)
		}
		cfg.Secret = gr.meta.Secret
	}
	provider, err := etcd.NewWithConfig("/durable/"+cfg.Name+"/protoactor",
		clientv3.Config{Endpoints: g.Etcd, DialTimeout: 5 * time.Second})
	if err != nil {
		_ = gr.client.Close()
		return nil, fmt.Errorf("cluster: membership provider: %w", err)
	}
	placement := NewPlacement()
	placement.router = gr
	placement.timeout = cfg.RequestTimeout
	m := start(cfg, provider, placement)
	m.group = gr
	m.System.EventStream.Subscribe(func(ev any) {
		if t, ok := ev.(*remote.EndpointTerminatedEvent); ok {
			gr.markDown(t.Address)
		}
	})
	fail := func(err error) (*Member, error) {
		m.Stop(context.Background())
		return nil, fmt.Errorf("cluster: join %q: %w", cfg.Name, err)
	}
	if g.Prepare != nil {
		if err := g.Prepare(m); err != nil {
			return fail(err)
		}
	}
	jctx, cancel := context.WithTimeout(ctx, g.JoinTimeout)
	defer cancel()
	var keep func(old, next ownership.Record) bool
	if gr.zombie {
		// A zombie never learns that a partition it owned went elsewhere.
		keep = func(old, next ownership.Record) bool { return old.Primary != gr.self || next.Primary == gr.self }
	}
	view, err := gr.store.WatchKeeping(jctx, gr.meta.Partitions, keep)
	if err != nil {
		return fail(err)
	}
	gr.view.Store(view)
	gr.peer = m.System.Address()
	lease, err := gr.register(jctx, gr.record())
	if err != nil {
		return fail(err)
	}
	if gr.zombie {
		lease.Unfence()
		gr.log.Warn("this member plays a zombie (" + ZombieEnv + "): it never stops serving what it owned; for tests only")
	}
	gr.lease.Store(lease)
	go gr.balance(m)
	gr.log.Info("joined the cluster", "cluster", cfg.Name, "peer", gr.peer, "partitions", gr.meta.Partitions)
	return m, nil
}

// connect reaches etcd and agrees with the cluster's settings, retrying while etcd does
// not answer: members often start before etcd is up.
func (gr *group) connect(ctx context.Context, name string) error {
	client, err := clientv3.New(clientv3.Config{Endpoints: gr.cfg.Etcd, DialTimeout: 2 * time.Second})
	if err != nil {
		return fmt.Errorf("cluster: etcd client for %v: %w", gr.cfg.Etcd, err)
	}
	gr.client, gr.store = client, ownership.NewStore(client, name)
	want := ownership.Meta{ID: newClusterID(), Partitions: gr.cfg.Partitions, Format: Format, Secret: randomSecret()}
	deadline := time.Now().Add(gr.cfg.JoinTimeout)
	for attempt := 1; ; attempt++ {
		actx, cancel := context.WithTimeout(ctx, 2*time.Second)
		gr.meta, err = gr.store.Join(actx, want)
		cancel()
		if err == nil || errors.Is(err, ownership.ErrMismatch) {
			break
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			_ = client.Close()
			return fmt.Errorf("cluster: etcd at %v did not answer within %v: %w", gr.cfg.Etcd, gr.cfg.JoinTimeout, err)
		}
		gr.log.Warn("etcd does not answer yet; retrying", "etcd", gr.cfg.Etcd, "attempt", attempt, "error", err)
		time.Sleep(time.Second)
	}
	if err == nil && gr.cfg.ClusterID != "" && gr.meta.ID != gr.cfg.ClusterID {
		err = fmt.Errorf("cluster: this member's data belongs to cluster %s, but cluster %q in etcd is %s: "+
			"start it with its own cluster's etcd, or with an empty data directory", gr.cfg.ClusterID, name, gr.meta.ID)
	}
	if err != nil {
		_ = client.Close()
		return err
	}
	return nil
}

// register publishes this member, waiting while the lease of a previous incarnation
// (killed before it could leave) has yet to expire.
func (gr *group) register(ctx context.Context, m ownership.Member) (*ownership.Lease, error) {
	deadline := time.Now().Add(gr.cfg.JoinTimeout)
	for {
		l, err := gr.store.Register(ctx, m, gr.cfg.TTL)
		if !errors.Is(err, ownership.ErrMemberRunning) || time.Now().After(deadline) {
			return l, err
		}
		gr.log.Warn("a member with this id is still registered; waiting for its lease to expire", "error", err)
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// Meta returns the cluster's settings; zero for a member on its own.
func (m *Member) Meta() ownership.Meta {
	if m.group == nil {
		return ownership.Meta{}
	}
	return m.group.meta
}

// Route implements Router: the primary of the identity's partition serves it, and
// this member only while it claimed the partition in this incarnation and its lease
// holds.
func (gr *group) Route(identity string) (addr string, local, ok bool) {
	view := gr.view.Load()
	if view == nil {
		return "", false, false
	}
	p := PartitionOf(identity, gr.meta.Partitions)
	rec := view.Partition(p)
	switch {
	case rec.Primary == "":
		return "", false, false
	case rec.Primary == gr.self:
		return "", true, gr.serves(p, rec.Epoch)
	}
	mem, ok := view.Member(rec.Primary)
	return mem.Peer, false, ok && !gr.isDown(mem.Peer)
}

// owns reports whether this incarnation claimed identity's partition at its current
// epoch, whatever the lease says: a lease renewed late does not move anything.
func (gr *group) owns(identity string) bool {
	view := gr.view.Load()
	if view == nil {
		return false
	}
	p := PartitionOf(identity, gr.meta.Partitions)
	rec := view.Partition(p)
	return rec.Primary == gr.self && gr.holds(p, rec.Epoch)
}

func (gr *group) markDown(addr string) {
	gr.mu.Lock()
	gr.down[addr] = time.Now()
	gr.mu.Unlock()
}

// isDown reports a peer whose connection broke within the last TTL and a second: by
// then etcd dropped a dead member, and a member that came back is worth a try.
func (gr *group) isDown(addr string) bool {
	gr.mu.RLock()
	at, ok := gr.down[addr]
	gr.mu.RUnlock()
	if !ok {
		return false
	}
	if time.Since(at) < gr.cfg.TTL+time.Second {
		return true
	}
	gr.mu.Lock()
	if gr.down[addr] == at {
		delete(gr.down, addr)
	}
	gr.mu.Unlock()
	return false
}

// Serves reports whether this member may act for identity now: it claimed the
// identity's partition and its lease holds. Journal appends are gated by it.
func (m *Member) Serves(identity string) bool {
	if m.group == nil {
		return true
	}
	_, local, ok := m.group.Route(identity)
	return local && ok
}

func (gr *group) serves(p int, epoch uint64) bool {
	gr.mu.RLock()
	e, ok := gr.claimed[p]
	gr.mu.RUnlock()
	l := gr.lease.Load()
	return ok && e == epoch && l != nil && l.Valid()
}

// balance claims the partitions this member should own: those nobody owns whose
// desired primary it is, once membership has settled, and those an earlier
// incarnation of it owned. Every change of ownership empties the PID caches and stops
// activations that now belong elsewhere.
func (gr *group) balance(m *Member) {
	defer close(gr.done)
	view := gr.view.Load()
	var members []string
	var seen int64
	stableSince := time.Now()
	gr.changedAt.Store(stableSince.UnixNano())
	for {
		changed := view.Changed()
		if ids := eligibleIDs(view.Members()); !slices.Equal(ids, members) {
			members, stableSince = ids, time.Now()
			gr.changedAt.Store(stableSince.UnixNano())
		}
		if rev := view.Revision(); rev != seen {
			seen = rev
			m.Placement.Moved(func(identity string) bool { return !gr.owns(identity) })
		}
		// A primary that is leaving still serves: only one that is gone fails over.
		if took := gr.failover(liveIDs(view.Members())); len(took) > 0 {
			gr.tell(took)
		}
		wait := time.Second
		if settled := time.Since(stableSince); settled >= gr.cfg.Settle {
			gr.claim(members)
		} else {
			wait = gr.cfg.Settle - settled
		}
		select {
		case <-gr.stop:
			return
		case <-gr.lost():
			if !gr.rejoin(m) {
				return
			}
			continue
		case <-changed:
		case <-time.After(wait):
		}
	}
}

// lost is closed when the lease is lost; never for a zombie, which goes on as if it
// held it.
func (gr *group) lost() <-chan struct{} {
	if gr.zombie {
		return nil
	}
	return gr.lease.Load().Lost()
}

// ZombieEnv, set to 1 in a member's environment, makes it a zombie: its lease gate
// stays open and it never learns that its partitions went to others, so it goes on
// committing for them, as a member with a broken clock or a bug might. Only tests
// set it, to show that the epoch fence keeps such commits from being acknowledged.
const ZombieEnv = "DURABLE_TEST_ZOMBIE"

// rejoin follows a lost lease: everything this member served is stopped and
// forgotten (another member may own it by now, under a newer epoch), and the member
// registers again under a new lease, to claim what is still its own like any member
// that joins. It reports false when the member stopped meanwhile.
func (gr *group) rejoin(m *Member) bool {
	gr.log.Error("ownership lease lost: this member stops serving its partitions and joins again")
	gr.mu.Lock()
	clear(gr.claimed)
	gr.mu.Unlock()
	m.Placement.Moved(func(string) bool { return true })
	for {
		ctx, cancel := context.WithTimeout(context.Background(), gr.cfg.TTL)
		lease, err := gr.register(ctx, gr.record())
		cancel()
		if err == nil {
			gr.lease.Store(lease)
			gr.log.Info("joined again under a new lease")
			return true
		}
		gr.log.Warn("joining again failed; retrying", "error", err)
		select {
		case <-gr.stop:
			return false
		case <-time.After(time.Second):
		}
	}
}

// tell passes partitions this member took to Group.Claimed.
func (gr *group) tell(took []int) {
	if len(took) > 0 && gr.cfg.Claimed != nil {
		go gr.cfg.Claimed(took, gr.meta.Partitions)
	}
}

func (gr *group) claim(members []string) {
	var took []int
	defer func() { gr.tell(took) }()
	for p, rec := range gr.view.Load().Partitions() {
		select {
		case <-gr.stop:
			return
		default:
		}
		if !gr.lease.Load().Valid() {
			return
		}
		primary, _ := ownership.Desired(p, members)
		mine := rec.Primary == gr.self
		switch {
		case mine && gr.holds(p, rec.Epoch):
			continue
		case mine: // an earlier incarnation's: take it back under a new epoch
		case rec.Primary == "" && primary == gr.self:
		default:
			continue
		}
		got, err := gr.take(p, rec)
		if err != nil {
			if !errors.Is(err, ownership.ErrConflict) {
				gr.log.Warn("claiming a partition failed", "partition", p, "error", err)
			}
			continue
		}
		gr.log.Info("claimed a partition", "partition", p, "epoch", got.Epoch)
		took = append(took, p)
	}
}

func (gr *group) holds(p int, epoch uint64) bool {
	gr.mu.RLock()
	defer gr.mu.RUnlock()
	e, ok := gr.claimed[p]
	return ok && e == epoch
}

// liveIDs returns the members registered with this member's format, in id order.
func liveIDs(ms map[string]ownership.Member) []string {
	return memberIDs(ms, func(m ownership.Member) bool { return m.Format == Format })
}

// eligibleIDs returns the live members that may be given partitions or copies: those
// not leaving.
func eligibleIDs(ms map[string]ownership.Member) []string {
	return memberIDs(ms, func(m ownership.Member) bool { return m.Format == Format && !m.Leaving })
}

func memberIDs(ms map[string]ownership.Member, keep func(ownership.Member) bool) []string {
	ids := make([]string, 0, len(ms))
	for id, m := range ms {
		if keep(m) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

// record is this member's entry in the member list.
func (gr *group) record() ownership.Member {
	return ownership.Member{ID: gr.self, Peer: gr.peer, Format: Format, Leaving: gr.leaving.Load()}
}

// Leaving reports whether member id said it is stopping (see Depart) or has left the
// member list.
func (m *Member) Leaving(id string) bool {
	if m.group == nil || m.group.view.Load() == nil {
		return false
	}
	mem, ok := m.group.view.Load().Members()[id]
	return !ok || mem.Leaving
}

// Depart tells the other members that this one is about to stop: from then on none
// makes it the primary or the standby of a partition. What it serves stays its own
// until it hands it off.
func (m *Member) Depart(ctx context.Context) error {
	gr := m.group
	if gr == nil || gr.leaving.Swap(true) {
		return nil
	}
	l := gr.lease.Load()
	if l == nil {
		return nil
	}
	return l.Update(ctx, gr.record())
}

// leave ends the member's part in the cluster: it stops claiming and gives up its
// lease, which takes it out of the member list at once. Its partitions stay its own,
// to be taken back when it returns.
func (gr *group) leave(ctx context.Context) {
	close(gr.stop)
	if view := gr.view.Load(); view != nil {
		if gr.lease.Load() != nil {
			<-gr.done // balance runs once the member registered
		}
		view.Close()
	}
	if lease := gr.lease.Load(); lease != nil {
		if err := lease.Close(ctx); err != nil {
			gr.log.Warn("leaving the cluster", "error", err)
		}
	}
	_ = gr.client.Close()
}

func newClusterID() string { return randomSecret()[:16] }
