package main

import (
	"context"
	"fmt"
	"time"

	"github.com/godurable/durable"
	"github.com/godurable/durable/bench/internal/measure"
	"github.com/godurable/durable/bench/internal/workload"
)

// helloSequence runs N independent orchestrations of 5 chained activities
// (HelloSequence5), keeping p.inflight in flight, and reports orchestrations/s and
// start-to-completion latency.
func helloSequence(ctx context.Context, rt *durable.Runtime, p params) (measure.Result, error) {
	if err := workload.RegisterHello(rt); err != nil {
		return measure.Result{}, err
	}
	if err := workload.RegisterHelloSequence5(rt); err != nil {
		return measure.Result{}, err
	}
	if err := rt.Start(); err != nil {
		return measure.Result{}, err
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
		return measure.Result{}, err
	}
	p50, p99 := measure.Percentiles(lat)
	return measure.Result{N: p.n, Seconds: elapsed.Seconds(), Throughput: float64(p.n) / elapsed.Seconds(),
		Unit: "orchestrations", P50: p50, P99: p99}, nil
}

// runClosedLoop runs one(i) for i in [0, n) on p.inflight workers and returns each
// call's latency and the total time. A call completes when one returns: every
// client call here is woken by the runtime, none polls.
func runClosedLoop(ctx context.Context, p params, one func(context.Context, int) error) ([]time.Duration, time.Duration, error) {
	loop := measure.Loop{N: p.n, Inflight: p.inflight, Progress: progressEvery(p)}
	return loop.Run(ctx, func(ctx context.Context, i int) (time.Time, error) {
		err := one(ctx, i)
		return time.Now(), err
	})
}

// progressEvery is how often a run prints a progress line: every 2 s, or never with
// -progress=false or in an inner loop whose params leave progress unset.
func progressEvery(p params) time.Duration {
	if !p.progress {
		return 0
	}
	return 2 * time.Second
}
