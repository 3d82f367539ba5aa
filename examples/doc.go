// Package examples shows the Durable Functions patterns of the seed articles, written
// against this runtime: one file per scenario, with the orchestrator and activity names
// the articles use, so a reader can put the C# or TypeScript original next to the Go.
//
//   - chaining.go: function chaining, the slides' Chaining over F1..F4.
//   - order.go: chaining with decisions, the article's ProcessOrderOrchestrator.
//   - fanout.go: fan-out/fan-in, FanOutFanInOrchestrator over ProcessTask.
//   - onboarding.go: fan-out/fan-in of the employee onboarding lesson.
//   - parallel_onboarding.go: sub-orchestrations, one OnboardingOrchestrator per employee.
//   - onboarding_approval.go: human interaction, an external event raced against a timer.
//   - monitor.go: the monitor pattern as an eternal orchestration using continue-as-new.
//   - document_approval.go: human interaction with a timeout and an escalation.
//   - counter.go: the Counter entity, signaled by clients and called by
//     CounterOrchestration.
//   - aggregator.go: the aggregator pattern, a SensorAggregator entity fed by
//     RecordSensorReadings and anyone else who signals it.
//   - bank.go: a critical section, TransferFunds locking two Account entities.
//
// Register registers all of them on a durable.Runtime; examples/run runs each one end
// to end. WaitForCustomStatus is the client side of the human-interaction examples: it
// waits until an instance says it is waiting before an event is raised to it.
// WaitForEntity does the same for entities, whose signals are one-way: it waits for
// the state the signals lead to.
//
// The entities follow the rules of the entities package: an operation works on its own
// entity's state only and fails as a whole, so a failed operation leaves the state as
// it was. Work on several entities together belongs to an orchestration, inside a
// critical section.
//
// The rules every orchestrator here follows, because the runtime replays orchestrator
// code from its history after every await:
//
//   - Work with side effects (email, HTTP, databases) happens in activities only. The
//     activities here only log and compute, so the demos need no outside services.
//   - Time comes from ctx.Now and ctx.CreateTimer, never time.Now or time.Sleep: a timer
//     is recorded, so a replay or a restart waits for the same deadline.
//   - Logging goes through ctx.Logger, which stays quiet while replaying, so each line
//     is written once.
//   - A timer that lost a race is cancelled, or the orchestration could not complete
//     until it fired.
package examples
