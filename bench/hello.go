package main

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/godurable/durable"
	"github.com/godurable/durable/orchestrator"
)

// helloSequence runs N independent orchestrations of 5 chained activities
// (HelloSequence5), keeping p.inflight in flight, and reports orchestrations/s and
// start-to-completion latency.
func helloSequence(ctx context.Context, rt *durable.Runtime, p params) (result, error) {
	if err := registerHello(rt); err != nil {
		return result{}, err
	}
	if err := rt.RegisterOrchestrator("HelloSequence5", func(ctx *orchestrator.Context) ([]string, error) {
		out := make([]string, 0, 5)
		for _, city := range []string{"Tokyo", "Seattle", "London", "Paris", "Cairo"} {
			s, err := orchestrator.CallActivity[string](ctx, "Hello", city).Await()
			if err != nil {
				return nil, err
			}
			out = append(out, s)
		}
		return out, nil
	}); err != nil {
		return result{}, err
	}
	if err := rt.Start(); err != nil {
		return result{}, err
	}
	lat, elapsed, err := runClosedLoop(ctx, p, func(ctx context.Context, i int) error {
		c := rt.Client()
		id, err := c.Start(ctx, "HelloSequence5", nil)
		if err != nil {
			return err
		}
		st, err := c.WaitForCompletion(ctx, id)
		if err != nil {
			return err
		}
		if st.RuntimeStatus != durable.StatusCompleted {
			return fmt.Errorf("instance %s ended %s: %+v", id, st.RuntimeStatus, st.Failure)
		}
		return nil
	})
	if err != nil {
		return result{}, err
	}
	p50, p99 := percentiles(lat)
	return result{N: p.n, Seconds: elapsed.Seconds(), Throughput: float64(p.n) / elapsed.Seconds(),
		Unit: "orchestrations", P50: p50, P99: p99}, nil
}

// runClosedLoop runs one(i) for i in [0, n) on p.inflight workers and returns each
// call's latency and the total time.
func runClosedLoop(ctx context.Context, p params, one func(context.Context, int) error) ([]time.Duration, time.Duration, error) {
	lat := make([]time.Duration, p.n)
	var next, done atomic.Int64
	var firstErr error
	var errOnce sync.Once
	start := time.Now()
	stopProgress := progress(p, &done)
	defer stopProgress()
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
				if err := one(ctx, i); err != nil {
					errOnce.Do(func() { firstErr = err })
					return
				}
				lat[i] = time.Since(t0)
				done.Add(1)
			}
		}()
	}
	wg.Wait()
	return lat, time.Since(start), firstErr
}

// progress prints a line every few seconds while a run lasts.
func progress(p params, done *atomic.Int64) func() {
	if !p.progress {
		return func() {}
	}
	stop := make(chan struct{})
	go func() {
		t := time.NewTicker(2 * time.Second)
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
