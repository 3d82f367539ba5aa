package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/godurable/durable"
	"github.com/godurable/durable/orchestrator"
)

// runOurs runs the scenario on this runtime through its public API, on a fresh
// durable (fsync'd) journal in a temporary directory, with the defaults a user gets.
// The workloads are bench/'s, written again here because bench/ is a main package.
func runOurs(ctx context.Context, p params) (result, error) {
	dir, cleanup, err := tempDir(ours)
	if err != nil {
		return result{}, err
	}
	defer cleanup()
	rt, err := durable.Open(durable.Config{Dir: dir,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if err != nil {
		return result{}, err
	}
	defer rt.Close()
	if err := registerOurs(rt); err != nil {
		return result{}, err
	}
	if err := rt.Start(); err != nil {
		return result{}, err
	}
	c := rt.Client()
	// run starts one instance and waits for it; WaitForCompletion is woken by the
	// runtime when the instance commits, so the moment it returns is the completion.
	run := func(ctx context.Context, name string, input any, check func(*durable.Status) error) (time.Time, error) {
		id, err := c.Start(ctx, name, input)
		if err != nil {
			return time.Time{}, err
		}
		st, err := c.WaitForCompletion(ctx, id)
		if err != nil {
			return time.Time{}, err
		}
		end := time.Now()
		if st.RuntimeStatus != durable.StatusCompleted {
			return time.Time{}, fmt.Errorf("%s %s ended %s: %+v", name, id, st.RuntimeStatus, st.Failure)
		}
		if check != nil {
			if err := check(st); err != nil {
				return time.Time{}, err
			}
		}
		return end, nil
	}
	switch p.scenario {
	case "hello-sequence":
		return measure(ctx, p, "orchestrations", 1, func(ctx context.Context, _ int) (time.Time, error) {
			return run(ctx, "HelloSequence5", nil, func(st *durable.Status) error {
				var out []string
				if err := st.DecodeOutput(&out); err != nil {
					return err
				}
				return checkGreetings(out)
			})
		})
	case "fan-out":
		return measureFanOut(ctx, p, func(ctx context.Context, _ int) (time.Time, error) {
			return run(ctx, "FanOut", p.n, nil)
		})
	case "tree":
		return measure(ctx, p, "orchestrations", defaultTree.instances(), func(ctx context.Context, _ int) (time.Time, error) {
			return run(ctx, "TreeRoot", defaultTree, nil)
		})
	}
	return result{}, fmt.Errorf("unknown scenario %q", p.scenario)
}

func registerOurs(rt *durable.Runtime) error {
	if err := rt.RegisterActivity("Hello", func(_ context.Context, name string) (string, error) {
		return hello(name), nil
	}); err != nil {
		return err
	}
	if err := rt.RegisterOrchestrator("HelloSequence5", func(ctx *orchestrator.Context) ([]string, error) {
		out := make([]string, 0, len(cities))
		for _, city := range cities {
			s, err := orchestrator.CallActivity[string](ctx, "Hello", city).Await()
			if err != nil {
				return nil, err
			}
			out = append(out, s)
		}
		return out, nil
	}); err != nil {
		return err
	}
	if err := rt.RegisterOrchestrator("FanOut", func(ctx *orchestrator.Context, n int) (int, error) {
		tasks := make([]orchestrator.Awaitable, n)
		for i := range tasks {
			tasks[i] = orchestrator.CallActivity[string](ctx, "Hello", "x")
		}
		return n, orchestrator.WhenAll(ctx, tasks...)
	}); err != nil {
		return err
	}
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

// checkGreetings checks HelloSequence5's output, so a runtime that skips work cannot
// look fast.
func checkGreetings(out []string) error {
	if len(out) != len(cities) {
		return fmt.Errorf("got %d greetings, want %d", len(out), len(cities))
	}
	for i, city := range cities {
		if out[i] != hello(city) {
			return fmt.Errorf("greeting %d is %q, want %q", i, out[i], hello(city))
		}
	}
	return nil
}
