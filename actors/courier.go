package actors

import (
	"errors"
	"hash/fnv"
	"strings"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v4"
	"google.golang.org/protobuf/types/known/anypb"
)

// courier delivers messages between virtual actors without blocking the sender: an
// actor must never wait on another (A→B→A deadlocks). Each message is retried with
// backoff until its receiver answers or the host stops. Messages to one receiver go
// through one lane, one at a time, so they arrive in the order they were sent: that
// order is what lets receivers de-duplicate by sender sequence number.
type courier struct {
	h     *Host
	lanes []*lane
	done  chan struct{}
}

type lane struct {
	mu    sync.Mutex
	ready *sync.Cond
	queue []delivery // unbounded: senders are actors and must never block
}

type delivery struct {
	to      string
	msg     any
	onReply func(*replyMsg)
}

const courierLanes = 32

func newCourier(h *Host) *courier {
	c := &courier{h: h, done: make(chan struct{})}
	for i := 0; i < courierLanes; i++ {
		l := &lane{}
		l.ready = sync.NewCond(&l.mu)
		c.lanes = append(c.lanes, l)
		go c.run(l)
	}
	return c
}

// send queues msg for the actor with identity to; onReply, if set, runs on a courier
// goroutine with the receiver's answer.
func (c *courier) send(to string, msg any, onReply func(*replyMsg)) {
	h := fnv.New32a()
	_, _ = h.Write([]byte(to))
	l := c.lanes[h.Sum32()%courierLanes]
	l.mu.Lock()
	l.queue = append(l.queue, delivery{to: to, msg: msg, onReply: onReply})
	l.mu.Unlock()
	l.ready.Signal()
}

func (c *courier) stop() {
	close(c.done)
	for _, l := range c.lanes {
		l.mu.Lock()
		l.ready.Broadcast()
		l.mu.Unlock()
	}
}

func (c *courier) next(l *lane) (delivery, bool) {
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

func (c *courier) run(l *lane) {
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

// kindOf tells which actor kind an identity belongs to: entity ids start with '@',
// which orchestration instance ids may not.
func kindOf(id string) string {
	if strings.HasPrefix(id, "@") {
		return EntityKind
	}
	return OrchestrationKind
}

// ask sends msg to the actor id and waits for its reply (one attempt, with
// protoactor's retries on dead letters). Only code outside actors may call it.
func (h *Host) ask(id string, msg any) (*replyMsg, error) {
	res, err := h.member.Request(id, kindOf(id), msg, h.cfg.RequestTimeout, wire)
	if err != nil {
		return nil, err
	}
	if a, ok := res.(*anypb.Any); ok {
		if res, err = unpack(a); err != nil {
			return nil, err
		}
	}
	r, ok := res.(*replyMsg)
	if !ok {
		return nil, errors.New("unexpected reply type")
	}
	return r, nil
}

// wire packs a message that crosses processes.
func wire(m any) (any, error) { return pack(m) }
