package cluster

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	pcluster "github.com/asynkron/protoactor-go/cluster"
	"github.com/asynkron/protoactor-go/cluster/clusterproviders/test"
	"github.com/asynkron/protoactor-go/remote"
	"github.com/godurable/durable/cluster/ownership"
)

// Config describes the member to start.
type Config struct {
	// Name is the cluster name; members of one cluster share it.
	Name string
	// Host and Port are where remoting listens (default 127.0.0.1, any free port).
	Host string
	Port int
	// Kinds are the virtual actor kinds this member hosts.
	Kinds []*pcluster.Kind
	// ActorLogger receives protoactor's own log records; nil discards them.
	ActorLogger *slog.Logger
	// RequestTimeout bounds one attempt of a request to a virtual actor (default 10 s).
	RequestTimeout time.Duration
	// Secret is what members present to each other; remoting refuses callers without
	// it. Empty: a random one, which no other process knows (a member on its own).
	Secret string
}

// Member is this process's membership in the cluster.
type Member struct {
	System    *actor.ActorSystem
	Cluster   *pcluster.Cluster
	Placement *Placement
	requests  *requester
	// started is closed once protoactor's StartMember has started the membership
	// provider: the cluster can be shut down from then on.
	started chan struct{}
	group   *group // nil: a member on its own
}

// Start starts a single member with an in-process membership provider: the embedded,
// one-machine mode. protoactor's StartMember ends with a one-second wait for the
// cluster topology to settle; placement here does not depend on the topology, so Start
// returns as soon as actors can be placed and StartMember finishes in the background,
// and Stop does not wait for that second either.
func Start(cfg Config) *Member {
	cfg.defaults()
	return start(cfg, test.NewTestProvider(test.NewInMemAgent()), NewPlacement())
}

func (cfg *Config) defaults() {
	if cfg.Name == "" {
		cfg.Name = "durable"
	}
	if cfg.Host == "" {
		cfg.Host = "127.0.0.1"
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = 10 * time.Second
	}
	if cfg.Secret == "" {
		cfg.Secret = randomSecret()
	}
}

func start(cfg Config, provider pcluster.ClusterProvider, placement *Placement) *Member {
	logger := cfg.ActorLogger
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelError + 100}))
	}
	system := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger { return logger }))
	serverOpts, dialOpts := authOptions(cfg.Secret)
	rcfg := remote.Configure(cfg.Host, cfg.Port, remote.WithServerOptions(serverOpts...), remote.WithDialOptions(dialOpts...))
	signal := &startSignal{ClusterProvider: provider, done: make(chan struct{})}
	ccfg := pcluster.Configure(cfg.Name, signal, placement, rcfg,
		pcluster.WithKinds(cfg.Kinds...),
		pcluster.WithRequestTimeout(cfg.RequestTimeout),
		pcluster.WithClusterContextProducer(newRequester))
	c := pcluster.New(system, ccfg)
	m := &Member{System: system, Cluster: c, Placement: placement,
		requests: &requester{c: c, replies: newReplies(system), cache: placement.cache},
		started:  signal.done}
	go c.StartMember()
	<-placement.ready
	return m
}

// startSignal tells when protoactor's StartMember has started the membership provider,
// its last step before the one-second wait it ends with.
type startSignal struct {
	pcluster.ClusterProvider
	done chan struct{}
}

func (s *startSignal) StartMember(c *pcluster.Cluster) error {
	defer close(s.done)
	return s.ClusterProvider.StartMember(c)
}

// Stop stops every activation, waiting up to ctx for them to finish their current
// message, then leaves the cluster.
func (m *Member) Stop(ctx context.Context) {
	m.Placement.Shutdown()
	var futures []*actor.Future
	for _, pid := range m.Placement.Activations() {
		futures = append(futures, m.System.Root.PoisonFuture(pid))
	}
	for _, f := range futures {
		if ctx.Err() != nil {
			break
		}
		_ = f.Wait()
	}
	if m.group != nil {
		m.group.leave(ctx)
	}
	// protoactor's etcd provider waits for etcd without a deadline while it starts;
	// a member whose etcd went away must still stop.
	select {
	case <-m.started:
		m.Cluster.Shutdown(false)
	case <-ctx.Done():
	}
}

// Request sends msg to the virtual actor identity of kind and waits up to timeout for
// its answer, retrying while activations move. A message to an actor of this process
// is handed over as it is; one that crosses processes is first turned into a protobuf
// message by wire, since protoactor carries nothing else between processes.
func (m *Member) Request(identity, kind string, msg any, timeout time.Duration, wire func(any) (any, error)) (any, error) {
	local := m.System.Address()
	return m.requests.request(identity, kind, timeout, func(pid *actor.PID) (any, error) {
		if pid.Address == local {
			return msg, nil
		}
		return wire(msg)
	})
}

// Owner tells where identity is served: this member (local), another at addr, or, while
// its partition has no owner or is moving, nowhere (ok false). A member on its own
// serves everything.
func (m *Member) Owner(identity string) (addr string, local, ok bool) {
	if m.group == nil {
		return m.System.Address(), true, true
	}
	return m.group.Route(identity)
}

// AskPeer sends msg, a protobuf message, to the actor named name on the member at addr
// and waits up to timeout for its answer.
func (m *Member) AskPeer(addr, name string, msg any, timeout time.Duration) (any, error) {
	return m.System.Root.RequestFuture(actor.NewPID(addr, name), msg, timeout).Result()
}

// Peers returns the addresses of the live members, this one included; a member on its
// own has only itself.
func (m *Member) Peers() []string {
	if m.group == nil || m.group.view.Load() == nil {
		return []string{m.System.Address()}
	}
	var out []string
	for _, mem := range m.group.view.Load().Members() {
		if !m.group.isDown(mem.Peer) {
			out = append(out, mem.Peer)
		}
	}
	slices.Sort(out)
	return out
}

// Info is what a member knows of its cluster.
type Info struct {
	Name       string
	ID         string
	Self       string // this member's id ("" on its own)
	Partitions int
	Members    []ownership.Member
	Owners     []ownership.Record // by partition
}

// Info describes the cluster as this member sees it now.
func (m *Member) Info() Info {
	if m.group == nil {
		return Info{Name: m.Cluster.Config.Name, Partitions: 1,
			Members: []ownership.Member{{ID: "", Peer: m.System.Address(), Format: Format}}}
	}
	gr := m.group
	info := Info{Name: m.Cluster.Config.Name, ID: gr.meta.ID, Self: gr.self, Partitions: gr.meta.Partitions}
	view := gr.view.Load()
	if view == nil {
		return info
	}
	for _, mem := range view.Members() {
		info.Members = append(info.Members, mem)
	}
	slices.SortFunc(info.Members, func(a, b ownership.Member) int { return strings.Compare(a.ID, b.ID) })
	info.Owners = slices.Clone(view.Partitions())
	return info
}

// Unserved returns how many partitions no live member serves now: their instances
// are missing from listings until their owner is back.
func (m *Member) Unserved() int {
	if m.group == nil {
		return 0
	}
	view := m.group.view.Load()
	if view == nil {
		return 0
	}
	n := 0
	for _, rec := range view.Partitions() {
		if mem, ok := view.Member(rec.Primary); !ok || m.group.isDown(mem.Peer) {
			n++
		}
	}
	return n
}
