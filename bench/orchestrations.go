package main

import (
	"context"
	"fmt"
	"time"

	"github.com/godurable/durable"
	"github.com/godurable/durable/orchestrator"
)

func init() {
	scenarios["fan-out"] = fanOut
	scenarios["sequence"] = sequence
	scenarios["latency"] = latency
}

// registerHello registers the activity every orchestration scenario calls.
func registerHello(rt *durable.Runtime) error {
	return rt.RegisterActivity("Hello", func(_ context.Context, name string) (string, error) {
		return "Hello " + name, nil
	})
}

// fanOut runs one orchestration that starts N activities at once and waits for all,
// and reports activities/s.
func fanOut(ctx context.Context, rt *durable.Runtime, p params) (result, error) {
	if err := registerHello(rt); err != nil {
		return result{}, err
	}
	if err := rt.RegisterOrchestrator("FanOut", func(ctx *orchestrator.Context, n int) (int, error) {
		tasks := make([]orchestrator.Awaitable, n)
		for i := range tasks {
			tasks[i] = orchestrator.CallActivity[string](ctx, "Hello", "x")
		}
		return n, orchestrator.WhenAll(ctx, tasks...)
	}); err != nil {
		return result{}, err
	}
	return oneOrchestration(ctx, rt, p, "FanOut", "activities")
}

// sequence runs one orchestration of N chained activities: every step is a turn and
// a disk sync, so it measures the latency of one turn.
func sequence(ctx context.Context, rt *durable.Runtime, p params) (result, error) {
	if err := registerHello(rt); err != nil {
		return result{}, err
	}
	if err := rt.RegisterOrchestrator("Sequence", func(ctx *orchestrator.Context, n int) (int, error) {
		for i := 0; i < n; i++ {
			if _, err := orchestrator.CallActivity[string](ctx, "Hello", "x").Await(); err != nil {
				return i, err
			}
		}
		return n, nil
	}); err != nil {
		return result{}, err
	}
	return oneOrchestration(ctx, rt, p, "Sequence", "activities")
}

func oneOrchestration(ctx context.Context, rt *durable.Runtime, p params, name, unit string) (result, error) {
	if err := rt.Start(); err != nil {
		return result{}, err
	}
	c := rt.Client()
	start := time.Now()
	id, err := c.Start(ctx, name, p.n)
	if err != nil {
		return result{}, err
	}
	st, err := c.WaitForCompletion(ctx, id)
	if err != nil {
		return result{}, err
	}
	elapsed := time.Since(start)
	if st.RuntimeStatus != durable.StatusCompleted {
		return result{}, fmt.Errorf("%s ended %s: %+v", name, st.RuntimeStatus, st.Failure)
	}
	return result{N: p.n, Seconds: elapsed.Seconds(), Throughput: float64(p.n) / elapsed.Seconds(), Unit: unit}, nil
}

// latency runs Hello3 (3 chained activities) one at a time, so the runtime is lightly
// loaded, and reports start-to-completion percentiles.
func latency(ctx context.Context, rt *durable.Runtime, p params) (result, error) {
	if err := registerHello(rt); err != nil {
		return result{}, err
	}
	if err := rt.RegisterOrchestrator("Hello3", func(ctx *orchestrator.Context) ([]string, error) {
		out := make([]string, 0, 3)
		for _, city := range []string{"Tokyo", "Seattle", "London"} {
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
	// Warm up: the first instances pay for lazy initialization.
	p.inflight = 1
	warm := p
	warm.n, warm.progress = min(100, p.n), false
	one := func(ctx context.Context, _ int) error {
		c := rt.Client()
		id, err := c.Start(ctx, "Hello3", nil)
		if err != nil {
			return err
		}
		_, err = c.WaitForCompletion(ctx, id)
		return err
	}
	if _, _, err := runClosedLoop(ctx, warm, one); err != nil {
		return result{}, err
	}
	lat, elapsed, err := runClosedLoop(ctx, p, one)
	if err != nil {
		return result{}, err
	}
	p50, p99 := percentiles(lat)
	return result{N: p.n, Seconds: elapsed.Seconds(), Throughput: float64(p.n) / elapsed.Seconds(),
		Unit: "orchestrations", P50: p50, P99: p99}, nil
}
