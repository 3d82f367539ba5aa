package actors

import (
	"errors"
	"sync"
	"time"

	pcluster "github.com/asynkron/protoactor-go/cluster"
	"github.com/cenkalti/backoff/v4"
	"google.golang.org/protobuf/types/known/anypb"
)

// courier delivers messages between virtual actors without blocking the sender: an
// actor must never wait on another (A→B→A deadlocks). Each message is retried with
// backoff until its receiver answers or the host stops.
type courier struct {
	h     *Host
	mu    sync.Mutex
	ready *sync.Cond
	queue []delivery // unbounded: senders are actors and must never block
	done  chan struct{}
}

type delivery struct {
	to      string
	msg     any
	onReply func(*replyMsg)
}

const courierWorkers = 32

func newCourier(h *Host) *courier {
	c := &courier{h: h, done: make(chan struct{})}
	c.ready = sync.NewCond(&c.mu)
	for i := 0; i < courierWorkers; i++ {
		go c.loop()
	}
	return c
}

// send queues msg for the instance to; onReply, if set, runs on a courier goroutine
// with the receiver's answer.
func (c *courier) send(to string, msg any, onReply func(*replyMsg)) {
	c.mu.Lock()
	c.queue = append(c.queue, delivery{to: to, msg: msg, onReply: onReply})
	c.mu.Unlock()
	c.ready.Signal()
}

func (c *courier) stop() {
	c.mu.Lock()
	close(c.done)
	c.mu.Unlock()
	c.ready.Broadcast()
}

func (c *courier) next() (delivery, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for len(c.queue) == 0 {
		select {
		case <-c.done:
			return delivery{}, false
		default:
		}
		c.ready.Wait()
	}
	d := c.queue[0]
	c.queue[0] = delivery{}
	c.queue = c.queue[1:]
	return d, true
}

func (c *courier) loop() {
	for {
		d, ok := c.next()
		if !ok {
			return
		}
		if r := c.deliver(d); r != nil && d.onReply != nil {
			d.onReply(r)
		}
	}
}

func (c *courier) deliver(d delivery) *replyMsg {
	b := backoff.NewExponentialBackOff()
	b.InitialInterval, b.MaxInterval, b.MaxElapsedTime = 10*time.Millisecond, 2*time.Second, 0
	for {
		r, err := c.h.ask(d.to, d.msg)
		if err == nil && r.Code != codeRetry {
			return r
		}
		select {
		case <-c.done:
			return nil
		case <-time.After(b.NextBackOff()):
		}
	}
}

// ask sends msg to the instance id and waits for its reply (one attempt, with
// protoactor's retries on dead letters). Only code outside actors may call it.
func (h *Host) ask(id string, msg any) (*replyMsg, error) {
	p, err := pack(msg)
	if err != nil {
		return nil, err
	}
	res, err := h.member.Cluster.Request(id, OrchestrationKind, p, pcluster.WithTimeout(h.cfg.RequestTimeout))
	if err != nil {
		return nil, err
	}
	a, ok := res.(*anypb.Any)
	if !ok {
		return nil, errors.New("unexpected reply")
	}
	m, err := unpack(a)
	if err != nil {
		return nil, err
	}
	r, ok := m.(*replyMsg)
	if !ok {
		return nil, errors.New("unexpected reply type")
	}
	return r, nil
}
