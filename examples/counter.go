package examples

import (
	"github.com/godurable/durable/entities"
	"github.com/godurable/durable/orchestrator"
)

// Counter is the Durable Functions' entity hello world, registered as the entity
// "Counter": a number that operations change one at a time. It is a typed entity, so
// its exported methods are its operations and the struct is its state; operation
// names match the methods case-insensitively, so the seed's "add", "reset" and "get"
// reach Add, Reset and Get.
//
// "delete" needs no method: a typed entity without a Delete method gets the built-in
// one, which removes the state, after which the entity no longer exists until its
// next operation.
type Counter struct {
	Value int `json:"value"`
}

// Add adds n, which may be negative, to the counter.
func (c *Counter) Add(n int) { c.Value += n }

// Reset sets the counter back to zero; the entity keeps existing, with value 0.
func (c *Counter) Reset() { c.Value = 0 }

// Get returns the counter's value. Only orchestrations can call it and hear the
// answer; clients read the state with Client.Entity instead.
func (c *Counter) Get() int { return c.Value }

// CounterLimit is where CounterOrchestration stops adding.
const CounterLimit = 10

// CounterOrchestration is the Durable Functions sample of an orchestration using an
// entity both ways, on the Counter keyed by its input. It calls "get", a two-way
// call that waits for the counter's answer, and while the value is below CounterLimit
// it signals "add" 1, one-way, without waiting for the addition to run. It returns the
// value it read.
func CounterOrchestration(ctx *orchestrator.Context, key string) (int, error) {
	id := entities.ID{Name: "Counter", Key: key}
	value, err := orchestrator.CallEntity[int](ctx, id, "get", nil).Await()
	if err != nil {
		return 0, err
	}
	if value < CounterLimit {
		if err := ctx.SignalEntity(id, "add", 1); err != nil {
			return value, err
		}
	}
	return value, nil
}
