package orchestrator_test

import (
	"time"

	"github.com/godurable/durable/orchestrator"
)

// Fan out to one activity per item, then fan in.
func ExampleWhenAll() {
	_ = func(ctx *orchestrator.Context, items []string) (int, error) {
		tasks := make([]*orchestrator.Task[int], len(items))
		all := make([]orchestrator.Awaitable, len(items))
		for i, item := range items {
			tasks[i] = orchestrator.CallActivity[int](ctx, "Measure", item)
			all[i] = tasks[i]
		}
		if err := orchestrator.WhenAll(ctx, all...); err != nil {
			return 0, err
		}
		total := 0
		for _, t := range tasks {
			n, _ := t.Await()
			total += n
		}
		return total, nil
	}
}

// Race a human decision against a deadline; cancel the timer that lost.
func ExampleWhenAny() {
	_ = func(ctx *orchestrator.Context) (string, error) {
		deadline := ctx.CreateTimer(72 * time.Hour)
		decision := orchestrator.WaitForExternalEvent[string](ctx, "ApprovalEvent")
		if orchestrator.WhenAny(ctx, decision, deadline) == deadline {
			return orchestrator.CallActivity[string](ctx, "Escalate", nil).Await()
		}
		deadline.Cancel()
		answer, _ := decision.Await()
		return orchestrator.CallActivity[string](ctx, "ProcessApproval", answer).Await()
	}
}

// An eternal monitor keeps its history bounded by continuing as new.
func ExampleContext_ContinueAsNew() {
	_ = func(ctx *orchestrator.Context, checks int) error {
		if _, err := orchestrator.CallActivity[bool](ctx, "CheckExternalServiceStatus", nil).Await(); err != nil {
			return err
		}
		if err := ctx.CreateTimer(time.Minute).Await(); err != nil {
			return err
		}
		return ctx.ContinueAsNew(checks + 1)
	}
}
