package examples_test

import (
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/godurable/durable"
	"github.com/godurable/durable/entities"
	"github.com/godurable/durable/examples"
)

var keySeq atomic.Int64

// uniqueKey returns an entity key no other test or example of this process used: the
// shared runtime keeps entities from one -count repetition to the next.
func uniqueKey(prefix string) string { return fmt.Sprintf("%s-%d", prefix, keySeq.Add(1)) }

// signal sends a signal from the client, failing the test if it is not accepted.
func signal(t *testing.T, id entities.ID, op string, input any) {
	t.Helper()
	if err := rt.Client().SignalEntity(testCtx(t), id, op, input); err != nil {
		t.Fatalf("signal %s %s(%v): %v", id, op, input, err)
	}
}

// awaitEntity waits until done accepts the entity's state (nil: no entity). Signals
// are one-way, so waiting for their effect is the only way to know they ran.
func awaitEntity(t *testing.T, id entities.ID, what string, done func(*durable.EntityState) bool) *durable.EntityState {
	t.Helper()
	st, err := examples.WaitForEntity(testCtx(t), rt.Client(), id, done)
	if err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
	return st
}

// awaitCounter waits until the counter exists with value want.
func awaitCounter(t *testing.T, id entities.ID, want int) {
	t.Helper()
	awaitEntity(t, id, fmt.Sprintf("counter %d", want), func(st *durable.EntityState) bool {
		var c examples.Counter
		return st != nil && st.DecodeState(&c) == nil && c.Value == want
	})
}

func TestCounter(t *testing.T) {
	t.Parallel()
	id := entities.ID{Name: "Counter", Key: uniqueKey("counter")}

	for _, n := range []int{5, 7, 30} {
		signal(t, id, "add", n)
	}
	awaitCounter(t, id, 42)

	// At or above the limit, CounterOrchestration only reads.
	st := runToEnd(t, "CounterOrchestration", id.Key)
	if got := completed[int](t, st); got != 42 {
		t.Fatalf("get returned %d, want 42", got)
	}

	signal(t, id, "reset", nil)
	awaitCounter(t, id, 0)
	// Below the limit it reads, then signals "add" 1.
	st = runToEnd(t, "CounterOrchestration", id.Key)
	if got := completed[int](t, st); got != 0 {
		t.Fatalf("get returned %d, want 0", got)
	}
	awaitCounter(t, id, 1)

	// Typed operations match method names case-insensitively.
	signal(t, id, "Add", -4)
	awaitCounter(t, id, -3)

	signal(t, id, "delete", nil)
	awaitEntity(t, id, "the counter to be deleted", func(st *durable.EntityState) bool { return st == nil })
}

// A counter that never had state does not exist; an orchestration calling "get" on it
// reads the zero value, and its "add" brings the counter into existence.
func TestCounterOrchestrationCreatesCounter(t *testing.T) {
	t.Parallel()
	id := entities.ID{Name: "Counter", Key: uniqueKey("fresh")}
	st := runToEnd(t, "CounterOrchestration", id.Key)
	if got := completed[int](t, st); got != 0 {
		t.Fatalf("get returned %d, want 0", got)
	}
	awaitCounter(t, id, 1)
}
