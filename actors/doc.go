// Package actors runs orchestration instances as protoactor-go virtual actors.
//
// Each instance is a cluster kind activation whose identity is the instance id. It
// loads its journal when activated, keeps its execution parked in memory between
// turns, and unloads itself after a period without input. Everything that arrived while
// its previous journal append was in flight becomes one turn and one append, so a busy
// instance batches naturally. Work goes out only after the append that created it is
// durable: activities to a pool of stateless worker actors on the same member, timers
// to the timer service, messages to other instances through the courier, which retries
// until they are acknowledged. After a restart, instances whose work was in flight are
// activated again and re-dispatch it, so activities run at least once.
//
// The Host here is the runtime's engine; the rooms behind it are internal:
//   - internal/instance: the orchestration instance actor, and the Replay interface
//     between it and the replay step it drives;
//   - internal/entity: the entity actor;
//   - internal/activities: the worker actors that run activities;
//   - internal/courier: non-blocking, ordered, retried delivery between actors;
//   - internal/timers: durable timers;
//   - internal/watch: clients waiting for an instance to change;
//   - internal/lifecycle: dispatch, the bound on idle actors, passivation;
//   - internal/wire: the messages and the envelope they cross processes in;
//   - internal/env: what all of them share on one member.
package actors
