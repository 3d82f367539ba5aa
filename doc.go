// Package durable is a durable execution runtime: the Durable Functions programming
// model (orchestrations, activities, durable entities) as a library a Go service embeds.
//
// Orchestrations are ordinary Go functions that call activities and sub-orchestrations,
// wait on durable timers and external events, and fan out and in; they survive crashes
// and restarts because every step is recorded in a journal and replayed. Activities do
// the actual work and run at least once. See package orchestrator for how to write
// orchestrations and the determinism rules they follow.
//
// A Runtime embeds everything: the journal (Badger, in Config.Dir) and the actor system
// in which every orchestration instance is a virtual actor.
//
//	rt, err := durable.Open(durable.Config{Dir: "./data"})
//	rt.RegisterOrchestrator("Greet", Greet)
//	rt.RegisterActivity("SayHello", SayHello)
//	id, err := rt.Client().Start(ctx, "Greet", "world")
//	st, err := rt.Client().WaitForCompletion(ctx, id)
//
// Changing what an orchestrator does while instances of it are in flight would change
// their past. Register the new code as a new version beside the old one instead
// (Version, DefaultVersion): each instance runs the version it was started at to its
// end, and new instances start at the default version, or at the one WithVersion
// names. docs/versioning.md has the rules.
//
// Nothing a client is told succeeded is lost: a call returns once its effect is in the
// journal, synced to disk.
package durable
