package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/godurable/durable"
	"github.com/godurable/durable/bench/internal/measure"
	"github.com/godurable/durable/bench/internal/workload"
)

// runOurs runs the scenario on this runtime through its public API, on a fresh
// durable (fsync'd) journal in a temporary directory, with the defaults a user gets.
// The workloads are bench/'s own, from bench/internal/workload.
func runOurs(ctx context.Context, p params) (measure.Result, error) {
	dir, cleanup, err := tempDir(ours)
	if err != nil {
		return measure.Result{}, err
	}
	defer cleanup()
	rt, err := durable.Open(durable.Config{Dir: dir,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if err != nil {
		return measure.Result{}, err
	}
	defer rt.Close()
	if err := registerOurs(rt); err != nil {
		return measure.Result{}, err
	}
	if err := rt.Start(); err != nil {
		return measure.Result{}, err
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
		return measureInstances(ctx, p, "orchestrations", 1, func(ctx context.Context, _ int) (time.Time, error) {
			return run(ctx, "HelloSequence5", nil, func(st *durable.Status) error {
				var out []string
				if err := st.DecodeOutput(&out); err != nil {
					return err
				}
				return workload.CheckGreetings(out)
			})
		})
	case "fan-out":
		return measureFanOut(ctx, p, func(ctx context.Context, _ int) (time.Time, error) {
			return run(ctx, "FanOut", p.n, nil)
		})
	case "tree":
		return measureInstances(ctx, p, "orchestrations", workload.DefaultTree.Instances(), func(ctx context.Context, _ int) (time.Time, error) {
			return run(ctx, "TreeRoot", workload.DefaultTree, nil)
		})
	}
	return measure.Result{}, fmt.Errorf("unknown scenario %q", p.scenario)
}

// registerOurs registers every scenario's workload, as bench registers them one
// scenario at a time.
func registerOurs(rt *durable.Runtime) error {
	for _, register := range []func(*durable.Runtime) error{
		workload.RegisterHello, workload.RegisterHelloSequence5, workload.RegisterFanOut, workload.RegisterTree,
	} {
		if err := register(rt); err != nil {
			return err
		}
	}
	return nil
}
