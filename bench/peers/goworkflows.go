package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"github.com/cschleiden/go-workflows/backend"
	"github.com/cschleiden/go-workflows/backend/monoprocess"
	"github.com/cschleiden/go-workflows/backend/sqlite"
	"github.com/cschleiden/go-workflows/client"
	"github.com/cschleiden/go-workflows/diag"
	"github.com/cschleiden/go-workflows/worker"
	"github.com/cschleiden/go-workflows/workflow"

	"github.com/godurable/durable/bench/internal/measure"
	"github.com/godurable/durable/bench/internal/workload"
)

// runGoWorkflows runs the scenario on go-workflows v1.4.2 wired as its bench tool
// wires its sqlite backend: a fresh sqlite file (WAL, as the backend sets it) behind
// the monoprocess wrapper, which wakes the in-process worker on new work instead of
// leaving it to its 200 ms poll; worker.DefaultOptions with the executor cache size
// of the bench tool; a silent logger.
func runGoWorkflows(ctx context.Context, p params) (measure.Result, error) {
	dir, cleanup, err := tempDir(goworkflows)
	if err != nil {
		return measure.Result{}, err
	}
	defer cleanup()
	opts := []backend.BackendOption{backend.WithLogger(slog.New(slog.DiscardHandler))}
	// A fan-out's history holds two events per activity; the default cap (10,000
	// events) would fail a fan-out past ~5,000 activities, which is no speed limit.
	if h := int64(3*p.n + 100); p.scenario == "fan-out" && h > backend.DefaultOptions.MaxHistorySize {
		opts = append(opts, backend.WithMaxHistorySize(h))
	}
	be := monoprocess.NewMonoprocessBackend(
		sqlite.NewSqliteBackend(filepath.Join(dir, "bench.sqlite"), sqlite.WithBackendOptions(opts...)))
	defer be.Close()

	wo := worker.DefaultOptions
	wo.WorkflowExecutorCacheSize = p.gwCache
	w := worker.New(be, &wo)
	for _, wf := range []any{gwHelloSequence5, gwFanOut, gwTreeRoot, gwTreeMid, gwTreeLeaf} {
		if err := w.RegisterWorkflow(wf); err != nil {
			return measure.Result{}, err
		}
	}
	for _, a := range []any{gwHello, gwTreeActivity} {
		if err := w.RegisterActivity(a); err != nil {
			return measure.Result{}, err
		}
	}
	wctx, stopWorker := context.WithCancel(ctx)
	if err := w.Start(wctx); err != nil {
		stopWorker()
		return measure.Result{}, err
	}
	defer func() {
		stopWorker()
		_ = w.WaitForCompletion()
	}()
	c := client.New(be)
	db, ok := any(be).(diag.Backend)
	if !ok {
		return measure.Result{}, errors.New("go-workflows backend has no diagnostics")
	}

	// completedAt returns the instance's completed_at, stamped in the transaction
	// that completed it, or nil while it runs.
	completedAt := func(ctx context.Context, inst *workflow.Instance) (*time.Time, error) {
		ref, err := db.GetWorkflowInstance(ctx, inst)
		if err != nil || ref == nil {
			return nil, err
		}
		return ref.CompletedAt, nil
	}
	wait := func(ctx context.Context, inst *workflow.Instance) (time.Time, error) {
		if err := c.WaitForWorkflowInstance(ctx, inst, p.timeout); err != nil {
			return time.Time{}, err
		}
		at, err := completedAt(ctx, inst)
		if err == nil && at == nil {
			err = fmt.Errorf("instance %s not finished after its wait", inst.InstanceID)
		}
		if err != nil {
			return time.Time{}, err
		}
		return *at, nil
	}
	if !p.clientWait {
		watch := newWatcher(ctx, func(ctx context.Context, inst *workflow.Instance) (bool, time.Time, error) {
			at, err := completedAt(ctx, inst)
			if err != nil || at == nil {
				return false, time.Time{}, err
			}
			return true, *at, nil
		})
		wait = watch.wait
	}
	var started []*workflow.Instance
	// Its client takes the instance id from the caller; the store is fresh, so the
	// instance's index is unique.
	run := func(ctx context.Context, i int, wf any, args ...any) (*workflow.Instance, time.Time, error) {
		inst, err := c.CreateWorkflowInstance(ctx, client.WorkflowInstanceOptions{InstanceID: fmt.Sprintf("%s-%d", p.scenario, i)}, wf, args...)
		if err != nil {
			return nil, time.Time{}, err
		}
		end, err := wait(ctx, inst)
		return inst, end, err
	}
	var res measure.Result
	switch p.scenario {
	case "hello-sequence":
		started = make([]*workflow.Instance, p.n)
		res, err = measureInstances(ctx, p, "orchestrations", 1, func(ctx context.Context, i int) (time.Time, error) {
			inst, end, err := run(ctx, i, gwHelloSequence5)
			started[i] = inst
			return end, err
		})
	case "fan-out":
		started = make([]*workflow.Instance, 1)
		res, err = measureFanOut(ctx, p, func(ctx context.Context, _ int) (time.Time, error) {
			inst, end, err := run(ctx, 0, gwFanOut, p.n)
			started[0] = inst
			return end, err
		})
	case "tree":
		started = make([]*workflow.Instance, p.n)
		res, err = measureInstances(ctx, p, "orchestrations", workload.DefaultTree.Instances(), func(ctx context.Context, i int) (time.Time, error) {
			inst, end, err := run(ctx, i, gwTreeRoot, workload.DefaultTree)
			started[i] = inst
			return end, err
		})
	default:
		return measure.Result{}, fmt.Errorf("unknown scenario %q", p.scenario)
	}
	if err != nil {
		return measure.Result{}, err
	}
	// Its wait returns on any ending, failed or not: the results are checked after
	// the measured part, so reading them costs the run nothing.
	for _, inst := range started {
		if p.scenario == "hello-sequence" {
			out, err := client.GetWorkflowResult[[]string](ctx, c, inst, p.timeout)
			if err != nil {
				return measure.Result{}, fmt.Errorf("instance %s: %w", inst.InstanceID, err)
			}
			if err := workload.CheckGreetings(out); err != nil {
				return measure.Result{}, fmt.Errorf("instance %s: %w", inst.InstanceID, err)
			}
			continue
		}
		if _, err := client.GetWorkflowResult[any](ctx, c, inst, p.timeout); err != nil {
			return measure.Result{}, fmt.Errorf("instance %s: %w", inst.InstanceID, err)
		}
	}
	return res, nil
}

func gwHello(_ context.Context, name string) (string, error) { return workload.Hello(name), nil }

func gwHelloSequence5(ctx workflow.Context) ([]string, error) {
	out := make([]string, 0, len(workload.Cities))
	for _, city := range workload.Cities {
		s, err := workflow.ExecuteActivity[string](ctx, workflow.DefaultActivityOptions, gwHello, city).Get(ctx)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

func gwFanOut(ctx workflow.Context, n int) (int, error) {
	fs := make([]workflow.Future[string], n)
	for i := range fs {
		fs[i] = workflow.ExecuteActivity[string](ctx, workflow.DefaultActivityOptions, gwHello, "x")
	}
	return n, getAll(ctx, fs)
}

func gwTreeActivity(_ context.Context, size int) (string, error) {
	return strings.Repeat("x", size), nil
}

func gwTreeRoot(ctx workflow.Context, in workload.Tree) error {
	in.Depth--
	return gwSubs(ctx, gwTreeMid, in.FanOut, in)
}

func gwTreeMid(ctx workflow.Context, in workload.Tree) error {
	if in.Depth == 0 {
		return gwSubs(ctx, gwTreeLeaf, in.LeafFanOut, in)
	}
	in.Depth--
	return gwSubs(ctx, gwTreeMid, in.FanOut, in)
}

func gwTreeLeaf(ctx workflow.Context, in workload.Tree) error {
	fs := make([]workflow.Future[string], in.Activities)
	for i := range fs {
		fs[i] = workflow.ExecuteActivity[string](ctx, workflow.DefaultActivityOptions, gwTreeActivity, in.ResultSize)
	}
	return getAll(ctx, fs)
}

func gwSubs(ctx workflow.Context, wf any, n int, in workload.Tree) error {
	fs := make([]workflow.Future[any], n)
	for i := range fs {
		fs[i] = workflow.CreateSubWorkflowInstance[any](ctx, workflow.DefaultSubWorkflowOptions, wf, in)
	}
	return getAll(ctx, fs)
}

// getAll waits for every future in turn; all were scheduled before the first Get, so
// they run in parallel.
func getAll[T any](ctx workflow.Context, fs []workflow.Future[T]) error {
	for _, f := range fs {
		if _, err := f.Get(ctx); err != nil {
			return err
		}
	}
	return nil
}
