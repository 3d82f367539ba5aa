// Package timers fires durable timers.
package timers

import (
	"container/heap"
	"context"
	"sync"
	"time"

	"github.com/godurable/durable/actors/internal/wire"
	"github.com/godurable/durable/persistence"
)

// Service fires durable timers. The journal is the truth: the service loads
// armed timers at start, learns of new ones as instances commit them, and hands each
// due timer to its instance, which removes it from the journal when it records the
// firing. A crash in between fires it again; the instance ignores timers it no
// longer awaits.
type Service struct {
	journal persistence.Journal
	now     func() time.Time
	send    func(to string, msg any)
	mu      sync.Mutex
	q       timerHeap
	wake    chan struct{}
	done    chan struct{}
}

// New starts a timer service that reads armed timers from journal and hands each due
// one to its actor through send.
func New(journal persistence.Journal, now func() time.Time, send func(to string, msg any)) *Service {
	s := &Service{journal: journal, now: now, send: send, wake: make(chan struct{}, 1), done: make(chan struct{})}
	go s.loop()
	return s
}

// Load arms every timer the journal holds: at start, before anything new is armed.
func (s *Service) Load(ctx context.Context) error {
	timers, err := s.journal.Timers(ctx, time.Unix(1<<40, 0), 0)
	if err != nil {
		return err
	}
	for _, t := range timers {
		s.Arm(t)
	}
	return nil
}

// Arm fires t at its time; a timer armed twice fires twice (instances ignore the second).
func (s *Service) Arm(t persistence.Timer) {
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

// Stop ends the service; armed timers stay in the journal.
func (s *Service) Stop() { close(s.done) }

func (s *Service) loop() {
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
func (s *Service) fireDue() time.Duration {
	now := s.now()
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
		s.send(next.InstanceID, &wire.Timer{ExecutionID: next.ExecutionID, TimerID: next.ID, FireAt: next.FireAt, Payload: next.Payload})
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
