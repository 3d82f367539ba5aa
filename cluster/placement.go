package cluster

import (
	"sync"

	"github.com/asynkron/protoactor-go/actor"
	pcluster "github.com/asynkron/protoactor-go/cluster"
)

// Placement is the identity lookup of a member: it activates a virtual actor on first
// use and forgets it when it passivates. It is safe for concurrent use.
type Placement struct {
	mu     sync.Mutex
	c      *pcluster.Cluster
	active map[string]*actor.PID
	closed bool
	ready  chan struct{} // closed by Setup: from then on actors can be placed
}

var _ pcluster.IdentityLookup = (*Placement)(nil)

// NewPlacement returns an empty placement.
func NewPlacement() *Placement {
	return &Placement{active: map[string]*actor.PID{}, ready: make(chan struct{})}
}

// Setup is called by protoactor when the member starts.
func (p *Placement) Setup(c *pcluster.Cluster, _ []string, _ bool) {
	p.mu.Lock()
	p.c = c
	p.mu.Unlock()
	close(p.ready)
}

// Get returns the PID of the activation for ci, spawning it when there is none. It
// returns nil for unknown kinds and after Shutdown.
func (p *Placement) Get(ci *pcluster.ClusterIdentity) *actor.PID {
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
	c.PidCache.RemoveByValue(ci.Identity, ci.Kind, pid)
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
