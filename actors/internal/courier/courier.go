// Package courier delivers messages between virtual actors without blocking the sender.
package courier

import (
	"sync"
	"time"

	"github.com/cenkalti/backoff/v4"

	"github.com/godurable/durable/actors/internal/wire"
)

// Courier delivers messages between virtual actors without blocking the sender: an
// actor must never wait on another (A→B→A deadlocks). Each message is retried with
// backoff until its receiver answers or the courier stops. Each receiver has a queue of
// its own, delivered one message at a time, so messages arrive in the order they were
// sent (which lets receivers de-duplicate by sender sequence number), and a receiver
// that cannot be reached delays only its own messages.
type Courier struct {
	ask Ask
	// slots bounds the deliveries in flight at once; a queue waiting out a backoff
	// holds none.
	slots chan struct{}
	done  chan struct{}

	mu     sync.Mutex
	queues map[string][]delivery // by receiver; present while its deliverer runs
}

// Ask sends msg to the actor with identity to and returns its answer: one attempt.
type Ask func(to string, msg any) (*wire.Reply, error)

type delivery struct {
	msg     any
	onReply func(*wire.Reply)
}

// maxInFlight bounds concurrent deliveries: enough for a fan-out to many receivers,
// few enough that a burst cannot start unbounded requests.
const maxInFlight = 256

// New starts a courier that delivers through ask.
func New(ask Ask) *Courier {
	return &Courier{ask: ask, slots: make(chan struct{}, maxInFlight), done: make(chan struct{}), queues: map[string][]delivery{}}
}

// Send queues msg for the actor with identity to; onReply, if set, runs on a courier
// goroutine with the receiver's answer.
func (c *Courier) Send(to string, msg any, onReply func(*wire.Reply)) {
	c.mu.Lock()
	q, running := c.queues[to]
	c.queues[to] = append(q, delivery{msg: msg, onReply: onReply})
	c.mu.Unlock()
	if !running {
		go c.run(to)
	}
}

// Queued returns how many messages wait for delivery.
func (c *Courier) Queued() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, q := range c.queues {
		n += len(q)
	}
	return n
}

// Stop ends delivery; messages still queued are dropped (outboxes re-send theirs).
func (c *Courier) Stop() { close(c.done) }

// run delivers to's queue until it is empty.
func (c *Courier) run(to string) {
	for {
		c.mu.Lock()
		q := c.queues[to]
		if len(q) == 0 {
			delete(c.queues, to)
			c.mu.Unlock()
			return
		}
		d := q[0]
		q[0] = delivery{}
		c.queues[to] = q[1:]
		c.mu.Unlock()
		r := c.deliver(to, d)
		if r == nil {
			return // stopped
		}
		if d.onReply != nil {
			d.onReply(r)
		}
	}
}

func (c *Courier) deliver(to string, d delivery) *wire.Reply {
	b := backoff.NewExponentialBackOff()
	b.InitialInterval, b.MaxInterval, b.MaxElapsedTime = 10*time.Millisecond, 2*time.Second, 0
	for {
		select {
		case c.slots <- struct{}{}:
		case <-c.done:
			return nil
		}
		r, err := c.ask(to, d.msg)
		<-c.slots
		if err == nil && r.Code != wire.CodeRetry {
			return r
		}
		select {
		case <-c.done:
			return nil
		case <-time.After(b.NextBackOff()):
		}
	}
}
