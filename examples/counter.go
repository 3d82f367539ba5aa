package examples

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
