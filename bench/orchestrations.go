package main

import (
	"context"
	"fmt"
	"time"

	"github.com/godurable/durable"
	"github.com/godurable/durable/bench/internal/measure"
	"github.com/godurable/durable/bench/internal/workload"
	"github.com/godurable/durable/orchestrator"
)

func init() {
	scenarios["fan-out"] = fanOut
	scenarios["sequence"] = sequence
	scenarios["latency"] = latency
}

// fanOut runs one orchestration that starts N activities at once and waits for all,
// and reports activities/s.
func fanOut(ctx context.Context, rt *durable.Runtime, p params) (measure.Result, error) {
	if err := workload.RegisterHello(rt); err != nil {
		return measure.Result{}, err
	}
	if err := workload.RegisterFanOut(rt); err != nil {
		return measure.Result{}, err
	}
	return oneOrchestration(ctx, rt, p, "FanOut", "activities")
}

// sequence runs one orchestration of N chained activities: every step is a turn and
// a disk sync, so it measures the latency of one turn.
func sequence(ctx context.Context, rt *durable.Runtime, p params) (measure.Result, error) {
	if err := workload.RegisterHello(rt); err != nil {
		return measure.Result{}, err
	}
	if err := rt.RegisterOrchestrator("Sequence", func(ctx *orchestrator.Context, n int) (int, error) {
		for i := 0; i < n; i++ {
			if _, err := orchestrator.CallActivity[string](ctx, "Hello", "x").Await(); err != nil {
				return i, err
			}
		}
		return n, nil
	}); err != nil {
		return measure.Result{}, err
	}
	return oneOrchestration(ctx, rt, p, "Sequence", "activities")
}

func oneOrchestration(ctx context.Context, rt *durable.Runtime, p params, name, unit string) (measure.Result, error) {
	if err := rt.Start(); err != nil {
		return measure.Result{}, err
	}
	c := rt.Client()
	start := time.Now()
	id, err := c.Start(ctx, name, p.n)
	if err != nil {
		return measure.Result{}, err
	}
	st, err := c.WaitForCompletion(ctx, id)
	if err != nil {
		return measure.Result{}, err
	}
	elapsed := time.Since(start)
	if st.RuntimeStatus != durable.StatusCompleted {
		return measure.Result{}, fmt.Errorf("%s ended %s: %+v", name, st.RuntimeStatus, st.Failure)
	}
	return measure.Result{N: p.n, Seconds: elapsed.Seconds(), Throughput: float64(p.n) / elapsed.Seconds(), Unit: unit}, nil
}

// latency runs Hello3 (3 chained activities) one at a time, so the runtime is lightly
// loaded, and reports start-to-completion percentiles.
func latency(ctx context.Context, rt *durable.Runtime, p params) (measure.Result, error) {
	if err := workload.RegisterHello(rt); err != nil {
		return measure.Result{}, err
	}
	if err := rt.RegisterOrchestrator("Hello3", workload.HelloChain(workload.Cities[:3])); err != nil {
		return measure.Result{}, err
	}
	if err := rt.Start(); err != nil {
		return measure.Result{}, err
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
		return measure.Result{}, err
	}
	lat, elapsed, err := runClosedLoop(ctx, p, one)
	if err != nil {
		return measure.Result{}, err
	}
	p50, p99 := measure.Percentiles(lat)
	return measure.Result{N: p.n, Seconds: elapsed.Seconds(), Throughput: float64(p.n) / elapsed.Seconds(),
		Unit: "orchestrations", P50: p50, P99: p99}, nil
}
