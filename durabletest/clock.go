package durabletest

import (
	"fmt"
	"sync"
	"time"
)

// start is where every test's clock begins: a fixed instant, so that a test records
// the same history on every run.
var start = time.Date(2030, time.January, 1, 0, 0, 0, 0, time.UTC)

// Clock is the fake clock a test runtime runs on. It stands still until it is
// advanced, by Advance or by Wait; durable timers due by then fire at once, however far
// ahead they were. Orchestrations see its time in ctx.Now.
type Clock struct {
	mu      sync.Mutex
	now     time.Time
	advance []func()
}

func newClock() *Clock { return &Clock{now: start} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock d ahead. It panics when d is negative: the runtime's time
// never goes back.
func (c *Clock) Advance(d time.Duration) {
	if d < 0 {
		panic(fmt.Sprintf("durabletest: Clock.Advance(%v): the clock does not go back", d))
	}
	c.advanceTo(c.Now().Add(d))
}

// advanceTo moves the clock to t, if t is ahead of it, and wakes what waits on it.
func (c *Clock) advanceTo(t time.Time) {
	c.mu.Lock()
	if !t.After(c.now) {
		c.mu.Unlock()
		return
	}
	c.now = t
	wake := c.advance
	c.mu.Unlock()
	for _, f := range wake {
		f()
	}
}

// runtimeClock is the clock as the runtime takes it: one that says when it moved, so
// that its timer service looks again.
type runtimeClock struct{ *Clock }

func (c runtimeClock) OnAdvance(f func()) {
	c.mu.Lock()
	c.advance = append(c.advance, f)
	c.mu.Unlock()
}
