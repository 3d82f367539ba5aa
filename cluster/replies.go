package cluster

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
)

// replies answers requests made to actors of this process without a protoactor future
// per request. A future registers a process of its own and arms a timer for every
// request, which cost a tenth of the CPU of a stream of entity signals; instead, one
// process registered once takes every answer, and the request it belongs to is named
// by the RequestId of the sender PID the request carried.
type replies struct {
	system *actor.ActorSystem
	id     string // the process's id in the registry
	next   atomic.Uint32

	mu      sync.Mutex
	waiting map[uint32]chan any
}

var _ actor.Process = (*replies)(nil)

func newReplies(system *actor.ActorSystem) *replies {
	r := &replies{system: system, waiting: map[uint32]chan any{}}
	pid, _ := system.ProcessRegistry.Add(r, "durable-replies")
	r.id = pid.Id
	return r
}

// ask sends msg to target, an actor of this process, and waits up to timeout for its
// answer. Like a future, it reports actor.ErrDeadLetter when target is gone and
// actor.ErrTimeout when no answer came in time.
func (r *replies) ask(root *actor.RootContext, target *actor.PID, msg any, timeout time.Duration) (any, error) {
	ch := make(chan any, 1)
	r.mu.Lock()
	id := r.next.Add(1)
	for r.waiting[id] != nil { // after the ids wrapped, one may still be waiting
		id = r.next.Add(1)
	}
	r.waiting[id] = ch
	r.mu.Unlock()
	// The address is read now: it is the member's own only once remoting has started,
	// and actors answer a sender of their own address without packing the answer.
	root.RequestWithCustomSender(target, msg, &actor.PID{Address: r.system.Address(), Id: r.id, RequestId: id})
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case answer := <-ch:
		return r.settle(answer)
	case <-t.C:
		r.mu.Lock()
		_, pending := r.waiting[id]
		delete(r.waiting, id)
		r.mu.Unlock()
		if !pending {
			// The answer came as the timer fired: it is in ch, and what it answers
			// was done, so a retry must not do it again.
			return r.settle(<-ch)
		}
		return nil, actor.ErrTimeout
	}
}

func (r *replies) settle(answer any) (any, error) {
	if _, dead := answer.(*actor.DeadLetterResponse); dead {
		return nil, actor.ErrDeadLetter
	}
	return answer, nil
}

// SendUserMessage hands an answer to the request it names; one that comes after its
// request timed out is dropped, as a future would drop it.
func (r *replies) SendUserMessage(pid *actor.PID, message any) {
	r.mu.Lock()
	ch, ok := r.waiting[pid.RequestId]
	delete(r.waiting, pid.RequestId)
	r.mu.Unlock()
	if ok {
		ch <- actor.UnwrapEnvelopeMessage(message)
	}
}

func (r *replies) SendSystemMessage(*actor.PID, any) {}
func (r *replies) Stop(*actor.PID)                   {}
