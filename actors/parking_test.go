package actors

import (
	"slices"
	"testing"

	"github.com/asynkron/protoactor-go/actor"
)

func TestParkingEvictsTheLeastRecentlyParked(t *testing.T) {
	var evicted []string
	p := newParking(2, func(pid *actor.PID, msg any) {
		if c, ok := msg.(*idleCheck); !ok || !c.evict {
			t.Fatalf("sent %#v, want an eviction", msg)
		}
		evicted = append(evicted, pid.Id)
	})
	var a, b, c parkSlot
	pa, pb, pc := &actor.PID{Id: "a"}, &actor.PID{Id: "b"}, &actor.PID{Id: "c"}
	p.park(&a, pa)
	p.park(&b, pb)
	p.park(&a, pa) // a is used again: b is now the least recent
	p.park(&c, pc)
	if !slices.Equal(evicted, []string{"b"}) {
		t.Fatalf("evicted %v, want [b]", evicted)
	}
	p.unpark(&b) // already gone: nothing happens
	p.unpark(&a)
	if p.n != 1 || p.head.next != &c || p.head.prev != &c {
		t.Fatalf("after unparking a: %d parked, want only c", p.n)
	}
	p.park(&b, pb)
	p.park(&a, pa)
	if !slices.Equal(evicted, []string{"b", "c"}) {
		t.Fatalf("evicted %v, want [b c]", evicted)
	}
}
