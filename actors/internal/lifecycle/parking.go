package lifecycle

import (
	"sync"

	"github.com/asynkron/protoactor-go/actor"
)

// Parking bounds how many idle actors stay in memory. An actor with nothing in flight
// parks itself here after each turn and leaves when new input arrives; past the limit
// the least recently used is asked to passivate at once instead of waiting for its idle
// timeout. Without it, a burst of instances that all wait on events would keep every
// one of them in memory for the idle timeout.
//
// Actors park and leave on nearly every message, so the list is intrusive: each actor
// owns its slot, and Parking allocates nothing and hashes nothing.
type Parking struct {
	mu    sync.Mutex
	limit int
	n     int
	head  ParkSlot // sentinel: head.next is the most recently parked
	send  func(pid *actor.PID, msg any)
}

// ParkSlot is an actor's place in the list; its links belong to Parking's mutex.
type ParkSlot struct {
	prev, next *ParkSlot
	pid        *actor.PID
}

func NewParking(limit int, send func(*actor.PID, any)) *Parking {
	p := &Parking{limit: limit, send: send}
	p.head.prev, p.head.next = &p.head, &p.head
	return p
}

// Idle returns how many idle actors are in memory.
func (p *Parking) Idle() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.n
}

// Park records that the actor of slot s is idle in memory.
func (p *Parking) Park(s *ParkSlot, pid *actor.PID) {
	p.mu.Lock()
	if s.next != nil {
		p.unlink(s)
	}
	s.pid = pid
	s.prev, s.next = &p.head, p.head.next
	p.head.next.prev = s
	p.head.next = s
	p.n++
	var evict []*actor.PID
	for p.n > p.limit {
		last := p.head.prev
		p.unlink(last)
		evict = append(evict, last.pid)
	}
	p.mu.Unlock()
	for _, pid := range evict {
		p.send(pid, &IdleCheck{Evict: true})
	}
}

// Unpark records that the actor of slot s is busy, or gone; it may have been evicted
// already.
func (p *Parking) Unpark(s *ParkSlot) {
	p.mu.Lock()
	if s.next != nil {
		p.unlink(s)
	}
	p.mu.Unlock()
}

func (p *Parking) unlink(s *ParkSlot) {
	s.prev.next, s.next.prev = s.next, s.prev
	s.prev, s.next = nil, nil
	p.n--
}
