package examples

import (
	"context"
	"log/slog"

	"github.com/godurable/durable/orchestrator"
)

// FanOutFanInOrchestrator is the seed article's fan-out/fan-in example: it starts one
// ProcessTask per task without awaiting any (fan-out), waits for all of them (fan-in)
// and returns their results in the order of the tasks, whatever order they finished in.
// With no tasks it processes the seed's "Task1", "Task2" and "Task3".
func FanOutFanInOrchestrator(ctx *orchestrator.Context, tasks []string) ([]string, error) {
	if len(tasks) == 0 {
		tasks = []string{"Task1", "Task2", "Task3"}
	}
	parallel := make([]*orchestrator.Task[string], len(tasks))
	for i, task := range tasks {
		parallel[i] = orchestrator.CallActivity[string](ctx, "ProcessTask", task)
	}
	return awaitAll(ctx, parallel)
}

// ProcessTask is one unit of the fan-out; it returns "{task} completed".
func ProcessTask(ctx context.Context, task string) (string, error) {
	slog.InfoContext(ctx, "Processing "+task)
	return task + " completed", nil
}

// awaitAll is the fan-in: it waits for every task and returns their results in the
// order of tasks. It fails as soon as one task fails.
func awaitAll[T any](ctx *orchestrator.Context, tasks []*orchestrator.Task[T]) ([]T, error) {
	all := make([]orchestrator.Awaitable, len(tasks))
	for i, t := range tasks {
		all[i] = t
	}
	if err := orchestrator.WhenAll(ctx, all...); err != nil {
		return nil, err
	}
	results := make([]T, len(tasks))
	for i, t := range tasks {
		r, err := t.Await()
		if err != nil {
			return nil, err
		}
		results[i] = r
	}
	return results, nil
}
