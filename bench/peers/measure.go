package main

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// cities are the inputs of HelloSequence5's five chained activities.
var cities = []string{"Tokyo", "Seattle", "London", "Paris", "Cairo"}

func hello(name string) string { return "Hello " + name }

// treeShape is go-workflows' benchmark workload, as bench/tree.go runs it on ours: a
// root fans out to mid-level sub-orchestrations down to Depth, the lowest mids fan
// out to leaves, and each leaf runs Activities activities returning ResultSize bytes.
type treeShape struct {
	FanOut, LeafFanOut, Depth, Activities, ResultSize int
}

var defaultTree = treeShape{FanOut: 2, LeafFanOut: 2, Depth: 2, Activities: 2, ResultSize: 100}

// instances is how many orchestration instances one root makes (itself included).
func (s treeShape) instances() int {
	mids, level := 0, 1
	for d := s.Depth; d >= 1; d-- {
		level *= s.FanOut
		mids += level
	}
	return 1 + mids + s.leaves()
}

func (s treeShape) leaves() int {
	n := s.LeafFanOut
	for d := s.Depth; d >= 1; d-- {
		n *= s.FanOut
	}
	return n
}

// instanceFunc starts instance i and waits for it; it returns when the instance
// completed. Runtimes whose client learns of a completion only by polling with a
// backoff return the completion time their store recorded, so the poll interval is
// not charged to them; ours returns the moment its push-based wait returned.
type instanceFunc func(ctx context.Context, i int) (completed time.Time, err error)

// closedLoop runs one(i) for i in [0, n) on p.inflight workers. It returns each
// instance's latency, from just before its start to its completion, and the time from
// the first start to the last completion.
func closedLoop(ctx context.Context, p params, one instanceFunc) ([]time.Duration, time.Duration, error) {
	lat := make([]time.Duration, p.n)
	var next, done atomic.Int64
	var mu sync.Mutex
	var last time.Time
	var firstErr error
	var errOnce sync.Once
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := progress(p, &done)
	defer stop()
	start := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < min(p.inflight, p.n); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= p.n {
					return
				}
				t0 := time.Now()
				end, err := one(ctx, i)
				if err != nil {
					errOnce.Do(func() { firstErr = fmt.Errorf("instance %d: %w", i, err) })
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

// progress prints a line every few seconds while a run lasts.
func progress(p params, done *atomic.Int64) func() {
	if !p.progress {
		return func() {}
	}
	stop := make(chan struct{})
	go func() {
		t := time.NewTicker(5 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				fmt.Printf("progress: %d/%d\n", done.Load(), p.n)
			}
		}
	}()
	return func() { close(stop) }
}

// percentiles returns the 50th and 99th percentile of ds in milliseconds.
func percentiles(ds []time.Duration) (float64, float64) {
	if len(ds) == 0 {
		return 0, 0
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	at := func(q float64) float64 {
		return float64(ds[int(q*float64(len(ds)-1))].Microseconds()) / 1000
	}
	return at(0.50), at(0.99)
}

// measure runs a scenario's instances through closedLoop and shapes the result:
// each instance counts as count of unit (1 orchestration for hello-sequence, the
// tree's size for tree, p.n activities for fan-out's one instance). A run of one
// instance reports no latency percentiles.
func measure(ctx context.Context, p params, unit string, count int, one instanceFunc) (result, error) {
	lat, elapsed, err := closedLoop(ctx, p, one)
	if err != nil {
		return result{}, err
	}
	n := p.n * count
	res := result{N: n, Seconds: elapsed.Seconds(), Throughput: float64(n) / elapsed.Seconds(), Unit: unit}
	if p.n > 1 {
		res.P50, res.P99 = percentiles(lat)
	}
	return res, nil
}

// measureFanOut runs fan-out's one instance, which starts p.n activities at once.
func measureFanOut(ctx context.Context, p params, one instanceFunc) (result, error) {
	q := p
	q.n, q.inflight = 1, 1
	return measure(ctx, q, "activities", p.n, one)
}

// peakRSSMB reads the process's peak resident set size (VmHWM) from /proc.
func peakRSSMB() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 64)
			return kb / 1024
		}
	}
	return 0
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
