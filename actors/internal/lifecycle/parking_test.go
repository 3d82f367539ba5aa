package lifecycle

import (
	"slices"
	"testing"

	"github.com/asynkron/protoactor-go/actor"
)

func TestParkingEvictsTheLeastRecentlyParked(t *testing.T) {
	var evicted []string
	p := NewParking(2, func(pid *actor.PID, msg any) {
		if c, ok := msg.(*IdleCheck); !ok || !c.Evict {
			t.Fatalf("sent %#v, want an eviction", msg)
		}
		evicted = append(evicted, pid.Id)
	})
	var a, b, c ParkSlot
	pa, pb, pc := &actor.PID{Id: "a"}, &actor.PID{Id: "b"}, &actor.PID{Id: "c"}
	p.Park(&a, pa)
	p.Park(&b, pb)
	p.Park(&a, pa) // a is used again: b is now the least recent
	p.Park(&c, pc)
	if !slices.Equal(evicted, []string{"b"}) {
		t.Fatalf("evicted %v, want [b]", evicted)
	}
	p.Unpark(&b) // already gone: nothing happens
	p.Unpark(&a)
	if p.n != 1 || p.head.next != &c || p.head.prev != &c {
		t.Fatalf("after unparking a: %d parked, want only c", p.n)
	}
	p.Park(&b, pb)
	p.Park(&a, pa)
	if !slices.Equal(evicted, []string{"b", "c"}) {
		t.Fatalf("evicted %v, want [b c]", evicted)
	}
}
