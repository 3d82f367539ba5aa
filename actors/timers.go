package actors

import (
	"container/heap"
	"context"
	"sync"
	"time"

	"github.com/godurable/durable/persistence"
)

// timerService fires durable timers. The journal is the truth: the service loads
// armed timers at start, learns of new ones as instances commit them, and hands each
// due timer to its instance, which removes it from the journal when it records the
// firing. A crash in between fires it again; the instance ignores timers it no
// longer awaits.
type timerService struct {
	h    *Host
	mu   sync.Mutex
	q    timerHeap
	wake chan struct{}
	done chan struct{}
}

func newTimerService(h *Host) *timerService {
	s := &timerService{h: h, wake: make(chan struct{}, 1), done: make(chan struct{})}
	go s.loop()
	return s
}

func (s *timerService) load(ctx context.Context) error {
	timers, err := s.h.journal.Timers(ctx, time.Unix(1<<40, 0), 0)
	if err != nil {
		return err
	}
	for _, t := range timers {
		s.arm(t)
	}
	return nil
}

func (s *timerService) arm(t persistence.Timer) {
	s.mu.Lock()
	heap.Push(&s.q, t)
	first := s.q[0].FireAt.Equal(t.FireAt)
	s.mu.Unlock()
	if first {
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
}

func (s *timerService) stop() { close(s.done) }

func (s *timerService) loop() {
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	for {
		wait := s.fireDue()
		t.Reset(wait)
		select {
		case <-s.done:
			return
		case <-s.wake:
		case <-t.C:
		}
	}
}

// fireDue delivers every due timer and returns how long until the next one.
func (s *timerService) fireDue() time.Duration {
	now := s.h.clock.Now()
	for {
		s.mu.Lock()
		if len(s.q) == 0 {
			s.mu.Unlock()
			return time.Hour
		}
		next := s.q[0]
		if wait := next.FireAt.Sub(now); wait > 0 {
			s.mu.Unlock()
			return wait
		}
		heap.Pop(&s.q)
		s.mu.Unlock()
		s.h.courier.send(next.InstanceID, &timerMsg{ExecutionID: next.ExecutionID, TimerID: next.ID, FireAt: next.FireAt, Payload: next.Payload}, nil)
	}
}

type timerHeap []persistence.Timer

func (h timerHeap) Len() int           { return len(h) }
func (h timerHeap) Less(i, j int) bool { return h[i].FireAt.Before(h[j].FireAt) }
func (h timerHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *timerHeap) Push(x any)        { *h = append(*h, x.(persistence.Timer)) }
func (h *timerHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
