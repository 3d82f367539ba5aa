// Package durabletest runs orchestrations in tests.
//
// New gives a test a durable.Runtime of its own: its journal in memory, its clock a
// fake one that starts at 2030-01-01 00:00 UTC and stands still, closed when the test
// ends. Register orchestrators, activities and entities on it as on any runtime, and
// replace what a test should not call with OnActivity and OnSubOrchestrator: a mock
// wins over the registration of its name, made before or after it.
//
//	rt := durabletest.New(t)
//	rt.RegisterOrchestrator("Checkout", Checkout)
//	rt.OnActivity("Charge", func(_ context.Context, o Order) (int, error) { return o.Amount, nil })
//	res, err := durabletest.Run[Receipt](t.Context(), rt, "Checkout", order)
//
// Run starts an instance and waits for its end; Wait waits for one already started.
// Both return the output as the type asked for, with the instance's status and
// history. While they wait they skip time: when nothing can move any instance on but a
// durable timer (no activity, sub-orchestration or entity call unanswered, no message
// undelivered, no timer due), the clock jumps to the next timer, so a timer set for a
// month fires at once and orchestrations see the month pass in ctx.Now. Time moves
// only then, one timer at a time; to move it by hand, start with the Client, call
// Clock.Advance, and wait with the Client.
//
// Replay and ReplayFile check that changed code can still run the instances already in
// flight: they replay a history saved from production (the HTTP API's status with
// showHistory=true&showHistoryOutput=true, which `durable status ID --history --json`
// prints, or a durable.Status from Client.Status with durable.WithHistory) against an
// orchestrator function, and report the first step the code no longer takes as an
// *orchestrator.NonDeterminismError. Keep such histories under testdata/, and replay
// them in a test of their own.
//
// Under the race detector, keep tests whose runtimes run (started, by Start or a first
// client call) out of t.Parallel with each other: as each runtime starts, protoactor-go's
// remoting replaces gRPC's process-wide logger, which the race detector reports when
// another running runtime's server reads it. Runtimes that run one after the other, or
// are open but not started, are fine.
package durabletest
