package main

import (
	"context"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/godurable/durable/bench/internal/measure"
)

// measureInstances runs a scenario's instances in a closed loop of p.inflight and
// shapes the result: each instance counts as count of unit (1 orchestration for
// hello-sequence, the tree's size for tree, p.n activities for fan-out's one
// instance). A run of one instance reports no latency percentiles.
func measureInstances(ctx context.Context, p params, unit string, count int, one measure.Func) (measure.Result, error) {
	var every time.Duration
	if p.progress {
		every = 5 * time.Second
	}
	loop := measure.Loop{N: p.n, Inflight: p.inflight, Progress: every}
	lat, elapsed, err := loop.Run(ctx, func(ctx context.Context, i int) (time.Time, error) {
		end, err := one(ctx, i)
		if err != nil {
			err = fmt.Errorf("instance %d: %w", i, err)
		}
		return end, err
	})
	if err != nil {
		return measure.Result{}, err
	}
	n := p.n * count
	res := measure.Result{N: n, Seconds: elapsed.Seconds(), Throughput: float64(n) / elapsed.Seconds(), Unit: unit}
	if p.n > 1 {
		res.P50, res.P99 = measure.Percentiles(lat)
	}
	return res, nil
}

// measureFanOut runs fan-out's one instance, which starts p.n activities at once.
func measureFanOut(ctx context.Context, p params, one measure.Func) (measure.Result, error) {
	q := p
	q.n, q.inflight = 1, 1
	return measureInstances(ctx, q, "activities", p.n, one)
}

// tempDir makes a fresh directory for one runtime's store.
func tempDir(name string) (string, func(), error) {
	d, err := os.MkdirTemp("", "peers-"+name+"-")
	if err != nil {
		return "", nil, err
	}
	return d, func() { os.RemoveAll(d) }, nil
}

// completion is what a watcher learns about one instance.
type completion struct {
	at  time.Time
	err error
}

// watcher learns when the peers' instances complete, with one goroutine that polls
// the oldest pending instance. Both peers' clients wait by polling each instance with
// a backoff; a thousand such waiters queue on the one sqlite connection each backend
// allows, and database/sql hands that connection to a random waiter, so the workers'
// own transactions wait behind the polls and the peer looks far slower than it is.
// Polling one instance at a time keeps the harness to about 1/watchInterval light
// queries a second plus one per completion.
type watcher[K any] struct {
	// check reports whether the instance completed, and when by the store's clock.
	check func(ctx context.Context, id K) (done bool, at time.Time, err error)

	mu      sync.Mutex
	pending []*watch[K] // in start order
	wake    chan struct{}
}

type watch[K any] struct {
	id   K
	done chan completion
}

const watchInterval = 10 * time.Millisecond

func newWatcher[K any](ctx context.Context, check func(context.Context, K) (bool, time.Time, error)) *watcher[K] {
	w := &watcher[K]{check: check, wake: make(chan struct{}, 1)}
	go w.loop(ctx)
	return w
}

// wait blocks until the instance completes and returns when it did.
func (w *watcher[K]) wait(ctx context.Context, id K) (time.Time, error) {
	wt := &watch[K]{id: id, done: make(chan completion, 1)}
	w.mu.Lock()
	w.pending = append(w.pending, wt)
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
	select {
	case c := <-wt.done:
		return c.at, c.err
	case <-ctx.Done():
		return time.Time{}, ctx.Err()
	}
}

// loop checks pending instances oldest first and stops a round at the first one
// still running: instances mostly finish in the order they started, so the ones
// behind it are rarely done yet, and checking them too would multiply the queries.
func (w *watcher[K]) loop(ctx context.Context) {
	for {
		w.mu.Lock()
		var head *watch[K]
		if len(w.pending) > 0 {
			head = w.pending[0]
		}
		w.mu.Unlock()
		if head == nil {
			select {
			case <-w.wake:
				continue
			case <-ctx.Done():
				return
			}
		}
		done, at, err := w.check(ctx, head.id)
		if ctx.Err() != nil {
			return
		}
		if err != nil || done {
			head.done <- completion{at: at, err: err}
			w.mu.Lock()
			w.pending = w.pending[1:]
			w.mu.Unlock()
			continue
		}
		select {
		case <-time.After(watchInterval):
		case <-ctx.Done():
			return
		}
	}
}
