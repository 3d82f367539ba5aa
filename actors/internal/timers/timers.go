// Package timers fires durable timers.
package timers

import (
	"container/heap"
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/godurable/durable/actors/internal/wire"
	"github.com/godurable/durable/persistence"
)

// Service fires durable timers. The journal is the truth: the service holds in memory
// only the timers due before its horizon, a window ahead of now, loads them at start
// and as the horizon moves on, learns of new ones as instances commit them, and hands
// each due timer to its instance, which removes it from the journal when it records
// the firing. A crash in between fires it again; the instance ignores timers it no
// longer awaits. A timer may be armed twice (by a commit and by a load that read it),
// and then fires twice, which instances ignore as well.
type Service struct {
	journal persistence.Journal
	now     func() time.Time
	send    func(to string, msg any)
	// serves says whether this member serves an instance: a journal holding copies of
	// partitions served elsewhere must not fire their timers.
	serves func(id string) bool
	log    *slog.Logger

	mu     sync.Mutex
	window time.Duration
	q      timerHeap
	// horizon: timers due at or before it are in q; later ones wait in the journal.
	horizon time.Time

	wake   chan struct{}
	ctx    context.Context
	cancel context.CancelFunc
}

// loadWindow is how far ahead of now the service holds timers in memory: a runtime
// with millions of timers months away holds none of them.
const loadWindow = 10 * time.Minute

// New starts a timer service that reads armed timers from journal and hands each due
// one, of an instance that serves accepts, to its actor through send.
func New(journal persistence.Journal, now func() time.Time, send func(to string, msg any), serves func(id string) bool, log *slog.Logger) *Service {
	s := &Service{journal: journal, now: now, send: send, serves: serves, log: log, window: loadWindow, wake: make(chan struct{}, 1)}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.horizon = now().Add(s.window)
	go s.loop()
	return s
}

// Load arms the timers the journal holds that are due before the horizon and of
// instances keep accepts: at start, and when this member takes partitions over.
func (s *Service) Load(ctx context.Context, keep func(id string) bool) error {
	s.mu.Lock()
	until := s.horizon
	s.mu.Unlock()
	timers, err := s.journal.Timers(ctx, until, 0)
	if err != nil {
		return err
	}
	for _, t := range timers {
		if keep(t.InstanceID) {
			s.Arm(t)
		}
	}
	return nil
}

// Arm fires t at its time; a timer armed twice fires twice (instances ignore the
// second). A timer past the horizon is left to the journal, which holds it already.
func (s *Service) Arm(t persistence.Timer) {
	s.mu.Lock()
	if t.FireAt.After(s.horizon) {
		s.mu.Unlock()
		return
	}
	heap.Push(&s.q, t)
	first := s.q[0].FireAt.Equal(t.FireAt)
	s.mu.Unlock()
	if first {
		s.poke()
	}
}

func (s *Service) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Stop ends the service; armed timers stay in the journal.
func (s *Service) Stop() { s.cancel() }

// Wake makes the service read the clock again at once. The service sleeps until the
// next timer is due by real time; a clock that jumps ahead (a test's) calls Wake, and
// the timers it passed fire.
func (s *Service) Wake() { s.poke() }

func (s *Service) loop() {
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	for {
		// The horizon moves first: after a jump of the clock, the timers it loads from
		// the journal may be due already, and fire in this round.
		ext := s.extend()
		wait := min(s.fireDue(), ext)
		t.Reset(wait)
		select {
		case <-s.ctx.Done():
			return
		case <-s.wake:
		case <-t.C:
		}
	}
}

// extend moves the horizon a window ahead of now once now is within half a window of
// it, loading the timers that come due before the new horizon, and returns how long
// until it should run again. The horizon moves first: a timer committed meanwhile is
// armed by its commit, or read by the load, or both.
func (s *Service) extend() time.Duration {
	now := s.now()
	s.mu.Lock()
	old, window := s.horizon, s.window
	if at := old.Add(-window / 2); now.Before(at) {
		s.mu.Unlock()
		return at.Sub(now)
	}
	s.horizon = now.Add(window)
	until := s.horizon
	s.mu.Unlock()
	timers, err := s.journal.Timers(s.ctx, until, 0)
	if err != nil {
		if s.ctx.Err() == nil {
			s.log.Warn("loading the next timers failed; trying again shortly", "error", err)
		}
		s.mu.Lock()
		s.horizon = old // what the failed load would have read stays in the journal
		s.mu.Unlock()
		return time.Second
	}
	s.mu.Lock()
	for _, t := range timers {
		if t.FireAt.After(old) && s.serves(t.InstanceID) {
			heap.Push(&s.q, t)
		}
	}
	s.mu.Unlock()
	return window / 2
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

// Pending returns how many timers the service holds in memory.
func (s *Service) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.q)
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
