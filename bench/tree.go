package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/godurable/durable"
	"github.com/godurable/durable/orchestrator"
)

func init() { scenarios["tree"] = tree }

// treeShape is go-workflows' benchmark workload: a root fans out to mid-level
// sub-orchestrations down to depth, the lowest mids fan out to leaves, each leaf runs
// activities returning a payload of resultSize bytes.
type treeShape struct {
	FanOut, LeafFanOut, Depth, Activities, ResultSize int
}

// instances is how many orchestration instances one root makes, and leaves how many
// of them are leaves.
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

func tree(ctx context.Context, rt *durable.Runtime, p params) (result, error) {
	shape := treeShape{FanOut: 2, LeafFanOut: 2, Depth: 2, Activities: 2, ResultSize: 100}
	if err := registerTree(rt); err != nil {
		return result{}, err
	}
	if err := rt.Start(); err != nil {
		return result{}, err
	}
	c := rt.Client()
	start := time.Now()
	ids := make([]string, p.n)
	for i := range ids {
		id, err := c.Start(ctx, "TreeRoot", shape)
		if err != nil {
			return result{}, err
		}
		ids[i] = id
	}
	for _, id := range ids {
		st, err := c.WaitForCompletion(ctx, id)
		if err != nil {
			return result{}, err
		}
		if st.RuntimeStatus != durable.StatusCompleted {
			return result{}, fmt.Errorf("tree %s ended %s: %+v", id, st.RuntimeStatus, st.Failure)
		}
	}
	elapsed := time.Since(start)
	n := p.n * shape.instances()
	fmt.Printf("tree: %d roots x %d instances and %d activities each, in %.3f s\n",
		p.n, shape.instances(), shape.leaves()*shape.Activities, elapsed.Seconds())
	return result{N: n, Seconds: elapsed.Seconds(), Throughput: float64(n) / elapsed.Seconds(), Unit: "orchestrations"}, nil
}

func registerTree(rt *durable.Runtime) error {
	if err := rt.RegisterActivity("TreeActivity", func(_ context.Context, size int) (string, error) {
		return strings.Repeat("x", size), nil
	}); err != nil {
		return err
	}
	fanOut := func(ctx *orchestrator.Context, name string, n int, in treeShape) error {
		tasks := make([]orchestrator.Awaitable, n)
		for i := range tasks {
			tasks[i] = orchestrator.CallSubOrchestrator[struct{}](ctx, name, in)
		}
		return orchestrator.WhenAll(ctx, tasks...)
	}
	if err := rt.RegisterOrchestrator("TreeRoot", func(ctx *orchestrator.Context, in treeShape) error {
		in.Depth--
		return fanOut(ctx, "TreeMid", in.FanOut, in)
	}); err != nil {
		return err
	}
	if err := rt.RegisterOrchestrator("TreeMid", func(ctx *orchestrator.Context, in treeShape) error {
		if in.Depth == 0 {
			return fanOut(ctx, "TreeLeaf", in.LeafFanOut, in)
		}
		in.Depth--
		return fanOut(ctx, "TreeMid", in.FanOut, in)
	}); err != nil {
		return err
	}
	return rt.RegisterOrchestrator("TreeLeaf", func(ctx *orchestrator.Context, in treeShape) error {
		tasks := make([]orchestrator.Awaitable, in.Activities)
		for i := range tasks {
			tasks[i] = orchestrator.CallActivity[string](ctx, "TreeActivity", in.ResultSize)
		}
		return orchestrator.WhenAll(ctx, tasks...)
	})
}
