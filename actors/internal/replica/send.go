package replica

import (
	"github.com/asynkron/protoactor-go/actor"

	"github.com/godurable/durable/actors/internal/wire"
)

// Appends travel to a standby in batches, as appends travel to the disk: a sender per
// standby takes whatever was submitted while it sent the previous batch, so that under
// load one message (and one answer) carries many appends, and a lone append is sent at
// once.

type sender struct {
	r     *Replicator
	pid   *actor.PID
	wake  chan struct{}
	items []*wire.Replicate // guarded by r.mu
}

// outgoing returns the sender to the standby at addr, starting it on first use.
func (r *Replicator) outgoing(addr string) *sender {
	r.mu.Lock()
	defer r.mu.Unlock()
	s, ok := r.outs[addr]
	if !ok {
		s = &sender{r: r, pid: actor.NewPID(addr, receiverName), wake: make(chan struct{}, 1)}
		r.outs[addr] = s
		r.done.Add(1)
		go s.loop()
	}
	return s
}

func (s *sender) push(m *wire.Replicate) {
	s.r.mu.Lock()
	s.items = append(s.items, m)
	s.r.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// maxBatchItems bounds a message's appends; each is bounded by the payload limits.
const maxBatchItems = 256

func (s *sender) loop() {
	defer s.r.done.Done()
	for {
		select {
		case <-s.r.stop:
			return
		case <-s.wake:
		}
		for {
			s.r.mu.Lock()
			n := min(len(s.items), maxBatchItems)
			items := s.items[:n:n]
			s.items = s.items[n:]
			if len(s.items) == 0 {
				s.items = nil
			}
			s.r.mu.Unlock()
			if n == 0 {
				break
			}
			packed, err := wire.Pack(&wire.ReplicateBatch{Items: items})
			if err != nil {
				// Unencodable: the appends wait on an answer that never comes, and the
				// standby is replaced when they are overdue.
				s.r.log.Error("replica: encode appends for the standby", "error", err)
				continue
			}
			s.r.system.Root.RequestWithCustomSender(s.pid, packed, s.r.acks)
		}
	}
}
