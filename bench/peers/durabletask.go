package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/microsoft/durabletask-go/api"
	"github.com/microsoft/durabletask-go/backend"
	"github.com/microsoft/durabletask-go/backend/sqlite"
	"github.com/microsoft/durabletask-go/task"

	"github.com/godurable/durable/bench/internal/measure"
	"github.com/godurable/durable/bench/internal/workload"
)

// dtParallelism is how many work items each durabletask-go worker runs at once. Its
// default is 1, which serialises every orchestration step and every activity; its
// own tests raise it the same way, on both workers.
const dtParallelism = 16

// runDurableTask runs the scenario on durabletask-go v0.6.0: its sqlite backend on a
// fresh file, an orchestration worker and an activity worker in this process (as its
// tests wire them), and its in-process client.
func runDurableTask(ctx context.Context, p params) (measure.Result, error) {
	dir, cleanup, err := tempDir(durabletask)
	if err != nil {
		return measure.Result{}, err
	}
	defer cleanup()
	path := filepath.Join(dir, "taskhub.sqlite")
	opts := sqlite.NewSqliteOptions(path)
	if p.dtWAL {
		// The backend hands a "file:" path to the driver as it is, so the driver's
		// own DSN parameter can set the journal mode on the connection.
		opts.FilePath = "file:" + path + "?_pragma=journal_mode(WAL)"
	}
	logger := quietLogger{log.New(os.Stderr, "durabletask-go: ", log.LstdFlags)}
	be := sqlite.NewSqliteBackend(opts, logger)

	r := task.NewTaskRegistry()
	if err := registerDurableTask(r); err != nil {
		return measure.Result{}, err
	}
	executor := task.NewTaskExecutor(r)
	orchestrationWorker := backend.NewOrchestrationWorker(be, executor, logger, backend.WithMaxParallelism(dtParallelism))
	activityWorker := backend.NewActivityTaskWorker(be, executor, logger, backend.WithMaxParallelism(dtParallelism))
	worker := backend.NewTaskHubWorker(be, orchestrationWorker, activityWorker, logger)
	if err := worker.Start(ctx); err != nil {
		return measure.Result{}, err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = worker.Shutdown(sctx)
	}()
	c := backend.NewTaskHubClient(be)
	return measureDurableTask(ctx, p, dtClient{
		schedule: func(ctx context.Context, name string, opts ...api.NewOrchestrationOptions) (api.InstanceID, error) {
			return c.ScheduleNewOrchestration(ctx, name, opts...)
		},
		fetch: c.FetchOrchestrationMetadata, wait: c.WaitForOrchestrationCompletion,
	})
}

// dtClient is what the harness uses of a durabletask-go client: its in-process one, or
// its gRPC one connected to a sidecar.
type dtClient struct {
	schedule func(ctx context.Context, name string, opts ...api.NewOrchestrationOptions) (api.InstanceID, error)
	fetch    func(ctx context.Context, id api.InstanceID) (*api.OrchestrationMetadata, error)
	wait     func(ctx context.Context, id api.InstanceID) (*api.OrchestrationMetadata, error)
}

// measureDurableTask runs the scenario through client, whose orchestrations the
// registry of registerDurableTask runs.
func measureDurableTask(ctx context.Context, p params, client dtClient) (measure.Result, error) {
	// finished checks a completed instance and returns its completion time: its
	// LastUpdatedAt, stamped in the transaction that completed it.
	finished := func(md *api.OrchestrationMetadata) (time.Time, error) {
		if md.RuntimeStatus != api.RUNTIME_STATUS_COMPLETED {
			return time.Time{}, fmt.Errorf("%s %s ended %s: %s", md.Name, md.InstanceID, md.RuntimeStatus, md.FailureDetails.GetErrorMessage())
		}
		if md.Name == "HelloSequence5" {
			var out []string
			if err := json.Unmarshal([]byte(md.SerializedOutput), &out); err != nil {
				return time.Time{}, err
			}
			if err := workload.CheckGreetings(out); err != nil {
				return time.Time{}, err
			}
		}
		return md.LastUpdatedAt, nil
	}
	wait := func(ctx context.Context, id api.InstanceID) (time.Time, error) {
		md, err := client.wait(ctx, id)
		if err != nil {
			return time.Time{}, err
		}
		return finished(md)
	}
	if !p.clientWait {
		watch := newWatcher(ctx, func(ctx context.Context, id api.InstanceID) (bool, time.Time, error) {
			md, err := client.fetch(ctx, id)
			if err != nil || !md.IsComplete() {
				return false, time.Time{}, err
			}
			at, err := finished(md)
			return true, at, err
		})
		wait = watch.wait
	}
	run := func(ctx context.Context, name string, input any) (time.Time, error) {
		var opts []api.NewOrchestrationOptions
		if input != nil {
			opts = append(opts, api.WithInput(input))
		}
		id, err := client.schedule(ctx, name, opts...)
		if err != nil {
			return time.Time{}, err
		}
		return wait(ctx, id)
	}
	switch p.scenario {
	case "hello-sequence":
		return measureInstances(ctx, p, "orchestrations", 1, func(ctx context.Context, _ int) (time.Time, error) {
			return run(ctx, "HelloSequence5", nil)
		})
	case "fan-out":
		return measureFanOut(ctx, p, func(ctx context.Context, _ int) (time.Time, error) {
			return run(ctx, "FanOut", p.n)
		})
	case "tree":
		return measureInstances(ctx, p, "orchestrations", workload.DefaultTree.Instances(), func(ctx context.Context, _ int) (time.Time, error) {
			return run(ctx, "TreeRoot", workload.DefaultTree)
		})
	}
	return measure.Result{}, fmt.Errorf("unknown scenario %q", p.scenario)
}

func registerDurableTask(r *task.TaskRegistry) error {
	if err := r.AddActivityN("Hello", func(ctx task.ActivityContext) (any, error) {
		var name string
		if err := ctx.GetInput(&name); err != nil {
			return nil, err
		}
		return workload.Hello(name), nil
	}); err != nil {
		return err
	}
	if err := r.AddOrchestratorN("HelloSequence5", func(ctx *task.OrchestrationContext) (any, error) {
		out := make([]string, 0, len(workload.Cities))
		for _, city := range workload.Cities {
			var s string
			if err := ctx.CallActivity("Hello", task.WithActivityInput(city)).Await(&s); err != nil {
				return nil, err
			}
			out = append(out, s)
		}
		return out, nil
	}); err != nil {
		return err
	}
	if err := r.AddOrchestratorN("FanOut", func(ctx *task.OrchestrationContext) (any, error) {
		var n int
		if err := ctx.GetInput(&n); err != nil {
			return nil, err
		}
		tasks := make([]task.Task, n)
		for i := range tasks {
			tasks[i] = ctx.CallActivity("Hello", task.WithActivityInput("x"))
		}
		return n, awaitAll(tasks)
	}); err != nil {
		return err
	}
	if err := r.AddActivityN("TreeActivity", func(ctx task.ActivityContext) (any, error) {
		var size int
		if err := ctx.GetInput(&size); err != nil {
			return nil, err
		}
		return strings.Repeat("x", size), nil
	}); err != nil {
		return err
	}
	fanOut := func(ctx *task.OrchestrationContext, name string, n int, in workload.Tree) error {
		tasks := make([]task.Task, n)
		for i := range tasks {
			tasks[i] = ctx.CallSubOrchestrator(name, task.WithSubOrchestratorInput(in))
		}
		return awaitAll(tasks)
	}
	if err := r.AddOrchestratorN("TreeRoot", func(ctx *task.OrchestrationContext) (any, error) {
		var in workload.Tree
		if err := ctx.GetInput(&in); err != nil {
			return nil, err
		}
		in.Depth--
		return nil, fanOut(ctx, "TreeMid", in.FanOut, in)
	}); err != nil {
		return err
	}
	if err := r.AddOrchestratorN("TreeMid", func(ctx *task.OrchestrationContext) (any, error) {
		var in workload.Tree
		if err := ctx.GetInput(&in); err != nil {
			return nil, err
		}
		if in.Depth == 0 {
			return nil, fanOut(ctx, "TreeLeaf", in.LeafFanOut, in)
		}
		in.Depth--
		return nil, fanOut(ctx, "TreeMid", in.FanOut, in)
	}); err != nil {
		return err
	}
	return r.AddOrchestratorN("TreeLeaf", func(ctx *task.OrchestrationContext) (any, error) {
		var in workload.Tree
		if err := ctx.GetInput(&in); err != nil {
			return nil, err
		}
		tasks := make([]task.Task, in.Activities)
		for i := range tasks {
			tasks[i] = ctx.CallActivity("TreeActivity", task.WithActivityInput(in.ResultSize))
		}
		return nil, awaitAll(tasks)
	})
}

// awaitAll awaits every task in turn: durabletask-go has no WhenAll, and all were
// scheduled before the first Await, so they run in parallel.
func awaitAll(tasks []task.Task) error {
	for _, t := range tasks {
		if err := t.Await(nil); err != nil {
			return err
		}
	}
	return nil
}

// quietLogger drops durabletask-go's per-work-item debug and info lines, which would
// otherwise cost the run more than some of its steps, and keeps its errors.
type quietLogger struct{ l *log.Logger }

func (quietLogger) Debug(...any)                     {}
func (quietLogger) Debugf(string, ...any)            {}
func (quietLogger) Info(...any)                      {}
func (quietLogger) Infof(string, ...any)             {}
func (quietLogger) Warn(...any)                      {}
func (quietLogger) Warnf(string, ...any)             {}
func (q quietLogger) Error(v ...any)                 { q.l.Print(v...) }
func (q quietLogger) Errorf(format string, v ...any) { q.l.Printf(format, v...) }
