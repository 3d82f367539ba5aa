// Package workload defines the orchestrations the benchmarks run: their shapes and
// expected outputs, which every runtime compared in bench/peers must reproduce, and
// their implementation on this runtime, which bench and bench/peers both register.
// Keeping one copy means a comparison with a peer always measures the workload that
// bench reports on its own.
package workload

import (
	"context"
	"fmt"
	"strings"

	"github.com/godurable/durable"
	"github.com/godurable/durable/orchestrator"
)

// Cities are the inputs of HelloSequence5's five chained Hello activities, in order.
// Shorter chains take a prefix.
var Cities = []string{"Tokyo", "Seattle", "London", "Paris", "Cairo"}

// Hello is what the Hello activity returns for name, on every runtime.
func Hello(name string) string { return "Hello " + name }

// CheckGreetings checks HelloSequence5's output, so that a runtime that skips work
// cannot look fast.
func CheckGreetings(out []string) error {
	if len(out) != len(Cities) {
		return fmt.Errorf("got %d greetings, want %d", len(out), len(Cities))
	}
	for i, city := range Cities {
		if out[i] != Hello(city) {
			return fmt.Errorf("greeting %d is %q, want %q", i, out[i], Hello(city))
		}
	}
	return nil
}

// Tree is go-workflows' benchmark workload: a root fans out to mid-level
// sub-orchestrations down to Depth, the lowest mids fan out to leaves, and each leaf
// runs Activities activities returning ResultSize bytes. It is the input of every
// orchestration in the tree, so its fields are exported for JSON.
type Tree struct {
	FanOut, LeafFanOut, Depth, Activities, ResultSize int
}

// DefaultTree is the shape of go-workflows' bench tool: 15 orchestrations and 16
// activities per root.
var DefaultTree = Tree{FanOut: 2, LeafFanOut: 2, Depth: 2, Activities: 2, ResultSize: 100}

// Instances is how many orchestration instances one root makes, itself included.
func (t Tree) Instances() int {
	mids, level := 0, 1
	for d := t.Depth; d >= 1; d-- {
		level *= t.FanOut
		mids += level
	}
	return 1 + mids + t.Leaves()
}

// Leaves is how many of a root's instances are leaves.
func (t Tree) Leaves() int {
	n := t.LeafFanOut
	for d := t.Depth; d >= 1; d-- {
		n *= t.FanOut
	}
	return n
}

// RegisterHello registers the Hello activity, which every hello and fan-out
// orchestration calls. It is apart from the orchestrations so that a process that
// registers several of them registers it once.
func RegisterHello(rt *durable.Runtime) error {
	return rt.RegisterActivity("Hello", func(_ context.Context, name string) (string, error) {
		return Hello(name), nil
	})
}

// HelloChain returns an orchestrator that calls Hello once per city, one after the
// other, and returns the greetings. HelloSequence5 is HelloChain(Cities); shorter
// chains measure the latency of a lightly loaded runtime.
func HelloChain(cities []string) func(*orchestrator.Context) ([]string, error) {
	return func(ctx *orchestrator.Context) ([]string, error) {
		out := make([]string, 0, len(cities))
		for _, city := range cities {
			s, err := orchestrator.CallActivity[string](ctx, "Hello", city).Await()
			if err != nil {
				return nil, err
			}
			out = append(out, s)
		}
		return out, nil
	}
}

// RegisterHelloSequence5 registers HelloSequence5, five chained Hello activities
// (see Cities). It needs RegisterHello.
func RegisterHelloSequence5(rt *durable.Runtime) error {
	return rt.RegisterOrchestrator("HelloSequence5", HelloChain(Cities))
}

// RegisterProbe registers Probe, an orchestrator that returns its input at once: a
// start of it is one write to its instance's partition and nothing more.
func RegisterProbe(rt *durable.Runtime) error {
	return rt.RegisterOrchestrator("Probe", func(_ *orchestrator.Context, in int) (int, error) { return in, nil })
}

// RegisterFanOut registers FanOut, which starts its input's number of Hello
// activities at once, waits for all and returns that number. It needs RegisterHello.
func RegisterFanOut(rt *durable.Runtime) error {
	return rt.RegisterOrchestrator("FanOut", func(ctx *orchestrator.Context, n int) (int, error) {
		tasks := make([]orchestrator.Awaitable, n)
		for i := range tasks {
			tasks[i] = orchestrator.CallActivity[string](ctx, "Hello", "x")
		}
		return n, orchestrator.WhenAll(ctx, tasks...)
	})
}

// RegisterTree registers the tree's orchestrators TreeRoot, TreeMid and TreeLeaf and
// its activity TreeActivity. Start TreeRoot with a Tree.
func RegisterTree(rt *durable.Runtime) error {
	if err := rt.RegisterActivity("TreeActivity", func(_ context.Context, size int) (string, error) {
		return strings.Repeat("x", size), nil
	}); err != nil {
		return err
	}
	fanOut := func(ctx *orchestrator.Context, name string, n int, in Tree) error {
		tasks := make([]orchestrator.Awaitable, n)
		for i := range tasks {
			tasks[i] = orchestrator.CallSubOrchestrator[struct{}](ctx, name, in)
		}
		return orchestrator.WhenAll(ctx, tasks...)
	}
	if err := rt.RegisterOrchestrator("TreeRoot", func(ctx *orchestrator.Context, in Tree) error {
		in.Depth--
		return fanOut(ctx, "TreeMid", in.FanOut, in)
	}); err != nil {
		return err
	}
	if err := rt.RegisterOrchestrator("TreeMid", func(ctx *orchestrator.Context, in Tree) error {
		if in.Depth == 0 {
			return fanOut(ctx, "TreeLeaf", in.LeafFanOut, in)
		}
		in.Depth--
		return fanOut(ctx, "TreeMid", in.FanOut, in)
	}); err != nil {
		return err
	}
	return rt.RegisterOrchestrator("TreeLeaf", func(ctx *orchestrator.Context, in Tree) error {
		tasks := make([]orchestrator.Awaitable, in.Activities)
		for i := range tasks {
			tasks[i] = orchestrator.CallActivity[string](ctx, "TreeActivity", in.ResultSize)
		}
		return orchestrator.WhenAll(ctx, tasks...)
	})
}
