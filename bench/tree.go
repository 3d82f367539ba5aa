package main

import (
	"context"
	"fmt"
	"time"

	"github.com/godurable/durable"
	"github.com/godurable/durable/bench/internal/measure"
	"github.com/godurable/durable/bench/internal/workload"
)

func init() { scenarios["tree"] = tree }

// tree runs N root trees of workload.DefaultTree, go-workflows' benchmark workload,
// all started at once, and reports orchestrations/s over every instance of every tree.
func tree(ctx context.Context, rt *durable.Runtime, p params) (measure.Result, error) {
	shape := workload.DefaultTree
	if err := workload.RegisterTree(rt); err != nil {
		return measure.Result{}, err
	}
	if err := rt.Start(); err != nil {
		return measure.Result{}, err
	}
	c := rt.Client()
	start := time.Now()
	ids := make([]string, p.n)
	for i := range ids {
		id, err := c.Start(ctx, "TreeRoot", shape)
		if err != nil {
			return measure.Result{}, err
		}
		ids[i] = id
	}
	for _, id := range ids {
		st, err := c.WaitForCompletion(ctx, id)
		if err != nil {
			return measure.Result{}, err
		}
		if st.RuntimeStatus != durable.StatusCompleted {
			return measure.Result{}, fmt.Errorf("tree %s ended %s: %+v", id, st.RuntimeStatus, st.Failure)
		}
	}
	elapsed := time.Since(start)
	n := p.n * shape.Instances()
	fmt.Printf("tree: %d roots x %d instances and %d activities each, in %.3f s\n",
		p.n, shape.Instances(), shape.Leaves()*shape.Activities, elapsed.Seconds())
	return measure.Result{N: n, Seconds: elapsed.Seconds(), Throughput: float64(n) / elapsed.Seconds(), Unit: "orchestrations"}, nil
}
