// Package orchestrator is how orchestrations are written, and the engine that replays
// them.
//
// An orchestrator is an ordinary Go function that receives a *Context:
//
//	func Greet(ctx *orchestrator.Context, name string) (string, error) {
//		msg, err := orchestrator.CallActivity[string](ctx, "SayHello", name,
//			orchestrator.WithRetry(orchestrator.RetryPolicy{MaxAttempts: 3})).Await()
//		if err != nil {
//			return "", err
//		}
//		return msg, nil
//	}
//
// # How it runs
//
// Every action the code takes (calling an activity or a sub-orchestration, creating a
// timer, sending an event) is recorded in the instance's history, and so is every
// result that comes back. While an instance stays in memory its function is simply
// parked at its Await between turns. After a restart, or once the instance was unloaded
// for being idle, the function runs again from the start and each Await returns the
// recorded result at once (IsReplaying is true meanwhile) until the code reaches the
// point where it left off. So the code must take the same actions in the same order
// every time it runs.
//
// # The determinism rules
//
//   - Take time from ctx.Now, never time.Now: it is the time recorded for the turn.
//   - Take ids from ctx.NewGUID, never from a random source.
//   - Do I/O (network, disk, databases, environment) only in activities.
//   - Do not start goroutines, use channels, sleep or select: use tasks, WhenAll,
//     WhenAny and durable timers instead. Only await from the orchestrator's own
//     goroutine.
//   - Do not range over maps to decide what to schedule: Go randomizes map order.
//   - Do not read mutable globals or configuration that may change while an instance
//     is in flight.
//   - Log with ctx.Logger, which drops records while replaying.
//   - Changing orchestrator code while instances are in flight is changing the past:
//     register the new code as a new version beside the old one (each instance runs
//     the version it started at, ctx.Version), or let old instances finish first.
//
// Code that breaks the rules is detected when the history no longer matches what it
// does: the instance fails with a *NonDeterminismError naming the step, what the history
// holds and what the code did.
//
// # Errors
//
// A failed activity or sub-orchestration arrives at Await as a *TaskFailedError that
// the code may handle (compensate, retry differently) or return. A panic in an activity
// becomes such an error too; a panic in the orchestrator fails its instance, never the
// process. Await on an external event with a timeout returns ErrTimedOut when the
// timer won.
//
// # Long-running orchestrations
//
// History grows with every action. Eternal orchestrations (monitors, loops) call
// ContinueAsNew to start over with fresh history; large fan-outs can be split into
// sub-orchestrations. An execution may take at most 100,000 actions.
package orchestrator
