package measure

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Loop is a closed loop: Inflight workers run N calls between them, each worker
// starting its next call as soon as its last one completed, so the system under test
// always has Inflight calls to work on and never more.
type Loop struct {
	N, Inflight int
	// Progress is how often a progress line is printed while the loop runs; zero
	// prints none.
	Progress time.Duration
}

// Func runs call i and returns when it completed. A runtime whose client learns of a
// completion only by polling with a backoff returns the completion time its store
// recorded, so the poll interval is not charged to it; others return time.Now().
type Func func(ctx context.Context, i int) (completed time.Time, err error)

// Run runs one(ctx, i) for i in [0, N). It returns each call's latency, from just
// before its start to its completion, and the time from the first start to the last
// completion. The first error cancels the ctx the other calls run under, since the
// run is lost anyway, and is returned.
func (l Loop) Run(ctx context.Context, one Func) ([]time.Duration, time.Duration, error) {
	lat := make([]time.Duration, l.N)
	var next, done atomic.Int64
	var mu sync.Mutex
	var firstErr error
	var errOnce sync.Once
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := Progress(l.Progress, l.N, &done)
	defer stop()
	start := time.Now()
	last := start // so that a loop of no calls takes no time
	var wg sync.WaitGroup
	for w := 0; w < min(l.Inflight, l.N); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= l.N {
					return
				}
				t0 := time.Now()
				end, err := one(ctx, i)
				if err != nil {
					errOnce.Do(func() { firstErr = err })
					cancel()
					return
				}
				lat[i] = end.Sub(t0)
				mu.Lock()
				if end.After(last) {
					last = end
				}
				mu.Unlock()
				done.Add(1)
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return nil, 0, firstErr
	}
	return lat, last.Sub(start), nil
}

// Progress prints "progress: done/n" every interval until the returned stop is
// called, so a long run shows it is moving; an interval of zero prints nothing.
func Progress(every time.Duration, n int, done *atomic.Int64) (stop func()) {
	if every <= 0 {
		return func() {}
	}
	quit := make(chan struct{})
	go func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-quit:
				return
			case <-t.C:
				fmt.Printf("progress: %d/%d\n", done.Load(), n)
			}
		}
	}()
	return func() { close(quit) }
}
