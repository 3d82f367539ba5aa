package cluster

import (
	"sync"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	pcluster "github.com/asynkron/protoactor-go/cluster"
)

// Router tells where an identity lives in a cluster of many members.
type Router interface {
	// Route returns the peer address of the member that serves identity, and whether
	// that is this member; ok is false while no member serves it (its partition has no
	// owner, or is moving).
	Route(identity string) (addr string, local, ok bool)
}

// activatorName is the well-known actor through which a member asks another to
// activate an identity the other owns.
const activatorName = "durable-activator"

// Placement is the identity lookup of a member: it activates a virtual actor on first
// use and forgets it when it passivates. In a cluster of many members it activates an
// identity only on the member its Router names, asking that member's activator for
// the PID. It is safe for concurrent use.
type Placement struct {
	mu     sync.Mutex
	c      *pcluster.Cluster
	active map[string]*actor.PID
	closed bool
	ready  chan struct{} // closed by Setup: from then on actors can be placed

	router  Router        // nil: a member on its own, where everything is local
	timeout time.Duration // of a remote activation request
	cache   *pidCache
}

var _ pcluster.IdentityLookup = (*Placement)(nil)

// NewPlacement returns an empty placement.
func NewPlacement() *Placement {
	return &Placement{active: map[string]*actor.PID{}, ready: make(chan struct{}), cache: newPidCache(), timeout: 5 * time.Second}
}

// Setup is called by protoactor when the member starts.
func (p *Placement) Setup(c *pcluster.Cluster, _ []string, _ bool) {
	p.mu.Lock()
	p.c = c
	p.mu.Unlock()
	if p.router != nil {
		props := actor.PropsFromFunc(p.receiveActivation)
		_, _ = c.ActorSystem.Root.SpawnNamed(props, activatorName)
	}
	close(p.ready)
}

// Get returns the PID of the activation for ci: here, spawning it when there is none,
// or on the member that owns it. It returns nil for unknown kinds, after Shutdown,
// and while nobody serves ci.
func (p *Placement) Get(ci *pcluster.ClusterIdentity) *actor.PID {
	return p.getWithin(ci, p.timeout)
}

// getWithin is Get waiting at most timeout for another member's answer.
func (p *Placement) getWithin(ci *pcluster.ClusterIdentity, timeout time.Duration) *actor.PID {
	if p.router == nil {
		return p.activate(ci)
	}
	addr, local, ok := p.router.Route(ci.Identity)
	switch {
	case !ok:
		return nil
	case local:
		return p.activate(ci)
	}
	return p.remote(addr, ci, min(timeout, p.timeout))
}

// activate returns the local activation of ci, spawning it when there is none.
func (p *Placement) activate(ci *pcluster.ClusterIdentity) *actor.PID {
	key := ci.AsKey()
	p.mu.Lock()
	defer p.mu.Unlock()
	if pid := p.active[key]; pid != nil {
		return pid
	}
	if p.closed || p.c == nil {
		return nil
	}
	kind, ok := p.c.TryGetClusterKind(ci.Kind)
	if !ok {
		return nil
	}
	props := pcluster.WithClusterIdentity(kind.Props, ci)
	pid := p.c.ActorSystem.Root.SpawnPrefix(props, ci.Kind+"/"+ci.Identity)
	kind.Inc()
	p.active[key] = pid
	return pid
}

// remote asks the member at addr for its activation of ci.
func (p *Placement) remote(addr string, ci *pcluster.ClusterIdentity, timeout time.Duration) *actor.PID {
	res, err := p.c.ActorSystem.Root.RequestFuture(actor.NewPID(addr, activatorName),
		&pcluster.ActivationRequest{ClusterIdentity: ci}, timeout).Result()
	if err != nil {
		return nil
	}
	r, ok := res.(*pcluster.ActivationResponse)
	if !ok || r.Failed || r.Pid == nil {
		return nil
	}
	return r.Pid
}

// receiveActivation is the activator: it activates an identity this member serves and
// refuses one it does not, so that a member with an outdated view of ownership asks
// again rather than activating an instance twice.
func (p *Placement) receiveActivation(ctx actor.Context) {
	req, ok := ctx.Message().(*pcluster.ActivationRequest)
	if !ok || req.ClusterIdentity == nil {
		return
	}
	res := &pcluster.ActivationResponse{Failed: true}
	if _, local, ok := p.router.Route(req.ClusterIdentity.Identity); ok && local {
		if pid := p.activate(req.ClusterIdentity); pid != nil {
			res = &pcluster.ActivationResponse{Pid: pid}
		}
	}
	ctx.Respond(res)
}

// RemovePid forgets the activation pid of ci, if it is still the current one. Actors
// call it before they stop, so the next message activates a fresh one.
func (p *Placement) RemovePid(ci *pcluster.ClusterIdentity, pid *actor.PID) {
	key := ci.AsKey()
	p.mu.Lock()
	cur := p.active[key]
	if cur == nil || !cur.Equal(pid) {
		p.mu.Unlock()
		return
	}
	delete(p.active, key)
	c := p.c
	p.mu.Unlock()
	if kind, ok := c.TryGetClusterKind(ci.Kind); ok {
		kind.Dec()
	}
	p.cache.removeByValue(key, pid)
}

// Moved forgets every cached PID and stops the local activations that belong
// elsewhere now (for which leaves reports true), after ownership changed.
func (p *Placement) Moved(leaves func(identity string) bool) {
	p.cache.clear()
	var stop []*actor.PID
	p.mu.Lock()
	for key, pid := range p.active {
		if _, identity, ok := splitKey(key); ok && leaves(identity) {
			stop = append(stop, pid)
		}
	}
	c := p.c
	p.mu.Unlock()
	for _, pid := range stop {
		c.ActorSystem.Root.Send(pid, &MovedAway{})
	}
}

// MovedAway tells an activation that its identity is served by another member now.
// It must stop, but only once the write it has in flight is settled, so that the
// requests it holds are answered (with a retry, which finds the new owner) rather than
// left to time out.
type MovedAway struct{}

func splitKey(key string) (kind, identity string, ok bool) {
	for i := 0; i < len(key); i++ {
		if key[i] == '/' {
			return key[:i], key[i+1:], true
		}
	}
	return "", "", false
}

// Shutdown stops new activations.
func (p *Placement) Shutdown() {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
}

// Activations returns the PIDs of all current activations.
func (p *Placement) Activations() []*actor.PID {
	p.mu.Lock()
	defer p.mu.Unlock()
	pids := make([]*actor.PID, 0, len(p.active))
	for _, pid := range p.active {
		pids = append(pids, pid)
	}
	return pids
}

// Count returns the number of current activations.
func (p *Placement) Count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.active)
}

// Has reports whether identity of kind has an activation here.
func (p *Placement) Has(kind, identity string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	_, ok := p.active[kind+"/"+identity]
	return ok
}

// pidCache remembers where identities were found, local or remote, until they move.
type pidCache struct {
	mu sync.RWMutex
	m  map[string]*actor.PID // by ClusterIdentity.AsKey
}

func newPidCache() *pidCache { return &pidCache{m: map[string]*actor.PID{}} }

func (c *pidCache) get(key string) *actor.PID {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.m[key]
}

// maxCachedPIDs bounds the cache: remote activations that passivate are not evicted
// one by one (nothing says they went), so a long-lived member would otherwise keep one
// entry per identity it ever reached.
const maxCachedPIDs = 200_000

func (c *pidCache) set(key string, pid *actor.PID) {
	c.mu.Lock()
	if len(c.m) >= maxCachedPIDs {
		c.m = map[string]*actor.PID{} // starting over costs one lookup per identity
	}
	c.m[key] = pid
	c.mu.Unlock()
}

func (c *pidCache) removeByValue(key string, pid *actor.PID) {
	c.mu.Lock()
	if cur := c.m[key]; cur != nil && cur.Equal(pid) {
		delete(c.m, key)
	}
	c.mu.Unlock()
}

func (c *pidCache) clear() {
	c.mu.Lock()
	c.m = map[string]*actor.PID{}
	c.mu.Unlock()
}
