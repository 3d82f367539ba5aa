package courier

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/godurable/durable/actors/internal/wire"
)

// A receiver that cannot be reached holds up only its own messages; everybody else's
// arrive, each receiver's in the order they were sent.
func TestUnreachableReceiverDelaysOnlyItself(t *testing.T) {
	var mu sync.Mutex
	got := map[string][]int{}
	c := New(func(to string, msg any) (*wire.Reply, error) {
		if to == "dead" {
			time.Sleep(time.Millisecond)
			return nil, errors.New("unreachable")
		}
		mu.Lock()
		got[to] = append(got[to], msg.(int))
		mu.Unlock()
		return &wire.Reply{Code: wire.CodeOK}, nil
	})
	defer c.Stop()
	for i := range 5 {
		c.Send("dead", i, nil)
	}
	const receivers, each = 64, 20
	var wg sync.WaitGroup
	wg.Add(receivers * each)
	for i := range each {
		for r := range receivers {
			c.Send(fmt.Sprint("r", r), i, func(rep *wire.Reply) {
				if rep.Code != wire.CodeOK {
					t.Errorf("reply %v", rep.Code)
				}
				wg.Done()
			})
		}
	}
	wg.Wait() // never returns if a receiver shares its queue with "dead"
	mu.Lock()
	defer mu.Unlock()
	for r := range receivers {
		seq := got[fmt.Sprint("r", r)]
		for i, v := range seq {
			if v != i {
				t.Fatalf("r%d received %v: out of order", r, seq)
			}
		}
	}
	if len(got["dead"]) != 0 {
		t.Fatal("the unreachable receiver got messages")
	}
}

// A message the receiver asks to have sent again is retried until it takes it.
func TestRetriesUntilAccepted(t *testing.T) {
	attempts := 0
	done := make(chan *wire.Reply, 1)
	c := New(func(string, any) (*wire.Reply, error) {
		attempts++
		if attempts < 3 {
			return &wire.Reply{Code: wire.CodeRetry}, nil
		}
		return &wire.Reply{Code: wire.CodeOK}, nil
	})
	defer c.Stop()
	c.Send("x", 1, func(r *wire.Reply) { done <- r })
	if r := <-done; r.Code != wire.CodeOK || attempts != 3 {
		t.Fatalf("reply %v after %d attempts", r.Code, attempts)
	}
}
