package actors

import (
	"container/list"
	"sync"

	"github.com/asynkron/protoactor-go/actor"
)

// parking bounds how many idle actors stay in memory. An actor with nothing in flight
// parks itself here after each turn and leaves when new input arrives; past the limit
// the least recently used is asked to passivate at once instead of waiting for its idle
// timeout. Without it, a burst of instances that all wait on events would keep every
// one of them in memory for the idle timeout.
type parking struct {
	mu    sync.Mutex
	limit int
	lru   *list.List // front: most recently parked
	at    map[string]*list.Element
	send  func(pid *actor.PID, msg any)
}

type parked struct {
	id  string
	pid *actor.PID
}

func newParking(limit int, send func(*actor.PID, any)) *parking {
	return &parking{limit: limit, lru: list.New(), at: map[string]*list.Element{}, send: send}
}

// park records that the actor id is idle in memory.
func (p *parking) park(id string, pid *actor.PID) {
	p.mu.Lock()
	if e, ok := p.at[id]; ok {
		p.lru.MoveToFront(e)
		p.mu.Unlock()
		return
	}
	p.at[id] = p.lru.PushFront(parked{id: id, pid: pid})
	var evict []parked
	for p.lru.Len() > p.limit {
		e := p.lru.Back()
		v := p.lru.Remove(e).(parked)
		delete(p.at, v.id)
		evict = append(evict, v)
	}
	p.mu.Unlock()
	for _, v := range evict {
		p.send(v.pid, &idleCheck{evict: true})
	}
}

// unpark records that the actor id is busy, or gone.
func (p *parking) unpark(id string) {
	p.mu.Lock()
	if e, ok := p.at[id]; ok {
		p.lru.Remove(e)
		delete(p.at, id)
	}
	p.mu.Unlock()
}
