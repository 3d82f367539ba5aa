// Package courier delivers messages between virtual actors without blocking the sender.
package courier

import (
	"hash/fnv"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v4"

	"github.com/godurable/durable/actors/internal/wire"
)

// Courier delivers messages between virtual actors without blocking the sender: an
// actor must never wait on another (A→B→A deadlocks). Each message is retried with
// backoff until its receiver answers or the host stops. Messages to one receiver go
// through one lane, one at a time, so they arrive in the order they were sent: that
// order is what lets receivers de-duplicate by sender sequence number.
type Courier struct {
	ask   Ask
	lanes []*lane
	done  chan struct{}
}

// Ask sends msg to the actor with identity to and returns its answer: one attempt.
type Ask func(to string, msg any) (*wire.Reply, error)

type lane struct {
	mu    sync.Mutex
	ready *sync.Cond
	queue []delivery // unbounded: senders are actors and must never block
}

type delivery struct {
	to      string
	msg     any
	onReply func(*wire.Reply)
}

const courierLanes = 32

// New starts a courier that delivers through ask.
func New(ask Ask) *Courier {
	c := &Courier{ask: ask, done: make(chan struct{})}
	for i := 0; i < courierLanes; i++ {
		l := &lane{}
		l.ready = sync.NewCond(&l.mu)
		c.lanes = append(c.lanes, l)
		go c.run(l)
	}
	return c
}

// Send queues msg for the actor with identity to; onReply, if set, runs on a courier
// goroutine with the receiver's answer.
func (c *Courier) Send(to string, msg any, onReply func(*wire.Reply)) {
	h := fnv.New32a()
	_, _ = h.Write([]byte(to))
	l := c.lanes[h.Sum32()%courierLanes]
	l.mu.Lock()
	l.queue = append(l.queue, delivery{to: to, msg: msg, onReply: onReply})
	l.mu.Unlock()
	l.ready.Signal()
}

// Stop ends delivery; messages still queued are dropped (the outbox re-sends them).
func (c *Courier) Stop() {
	close(c.done)
	for _, l := range c.lanes {
		l.mu.Lock()
		l.ready.Broadcast()
		l.mu.Unlock()
	}
}

func (c *Courier) next(l *lane) (delivery, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for len(l.queue) == 0 {
		select {
		case <-c.done:
			return delivery{}, false
		default:
		}
		l.ready.Wait()
	}
	d := l.queue[0]
	l.queue[0] = delivery{}
	l.queue = l.queue[1:]
	return d, true
}

func (c *Courier) run(l *lane) {
	for {
		d, ok := c.next(l)
		if !ok {
			return
		}
		if r := c.deliver(d); r != nil && d.onReply != nil {
			d.onReply(r)
		}
	}
}

func (c *Courier) deliver(d delivery) *wire.Reply {
	b := backoff.NewExponentialBackOff()
	b.InitialInterval, b.MaxInterval, b.MaxElapsedTime = 10*time.Millisecond, 2*time.Second, 0
	for {
		r, err := c.ask(d.to, d.msg)
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
