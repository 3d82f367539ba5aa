package main

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/godurable/durable"
	"github.com/godurable/durable/bench/internal/measure"
	"github.com/godurable/durable/entities"
)

func init() {
	scenarios["entity-one"] = entityOne
	scenarios["entity-many"] = entityMany
}

// Counter is the benchmark's entity: signals add to it.
type Counter struct{ Value int }

// Add adds n.
func (c *Counter) Add(n int) { c.Value += n }

// entityOne sends N durable signals to one entity from p.inflight concurrent senders.
func entityOne(ctx context.Context, rt *durable.Runtime, p params) (measure.Result, error) {
	return signals(ctx, rt, p, 1)
}

// entityMany sends N durable signals spread over p.entities entities.
func entityMany(ctx context.Context, rt *durable.Runtime, p params) (measure.Result, error) {
	return signals(ctx, rt, p, p.entities)
}

func signals(ctx context.Context, rt *durable.Runtime, p params, k int) (measure.Result, error) {
	if err := rt.RegisterEntity("Counter", entities.Typed[Counter]()); err != nil {
		return measure.Result{}, err
	}
	if err := rt.Start(); err != nil {
		return measure.Result{}, err
	}
	c := rt.Client()
	ids := make([]entities.ID, k)
	for i := range ids {
		ids[i] = entities.ID{Name: "Counter", Key: strconv.Itoa(i)}
	}
	lat, elapsed, err := runClosedLoop(ctx, p, func(ctx context.Context, i int) error {
		return c.SignalEntity(ctx, ids[i%k], "Add", 1)
	})
	if err != nil {
		return measure.Result{}, err
	}
	if err := checkCounters(ctx, c, ids, p.n); err != nil {
		return measure.Result{}, err
	}
	p50, p99 := measure.Percentiles(lat)
	return measure.Result{N: p.n, Seconds: elapsed.Seconds(), Throughput: float64(p.n) / elapsed.Seconds(),
		Unit: "signals", P50: p50, P99: p99}, nil
}

// checkCounters verifies every acknowledged signal was applied: a signal is
// acknowledged once durable, and applied in the same checkpoint.
func checkCounters(ctx context.Context, c *durable.Client, ids []entities.ID, n int) error {
	total := 0
	deadline := time.Now().Add(30 * time.Second)
	for _, id := range ids {
		st, err := c.Entity(ctx, id)
		if err != nil {
			return fmt.Errorf("read %s: %w", id, err)
		}
		var v Counter
		if err := st.DecodeState(&v); err != nil {
			return err
		}
		total += v.Value
	}
	if total != n && time.Now().Before(deadline) {
		return fmt.Errorf("counters add up to %d, want %d", total, n)
	}
	return nil
}
