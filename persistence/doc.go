// Package persistence defines the Journal: the one place where the runtime keeps what
// must survive a crash.
//
// Every instance (an orchestration or an entity) owns an append-only event stream, an
// index row, and the durable timers and outbound messages its turns produced. The
// runtime changes an instance only through Append, one Batch per turn, and the rules
// that keep this safe are few:
//
//   - A batch is all or nothing, and it is fenced by the version the caller last saw,
//     so a stale activation of an instance cannot commit over a newer one.
//   - Appends are asynchronous: done reports the outcome once the batch is durable. This
//     is what lets an implementation share one disk sync among the turns of many
//     instances (group commit), which is where most of the runtime's write throughput
//     comes from.
//   - Nothing is acknowledged or sent before the append that recorded it has committed;
//     the outbox and the recovery mark let a restart resume what was in flight.
//   - Data crosses the interface by value: the journal keeps a batch only until done, and
//     callers own what reads return.
//
// Where the contract is silent, the journals of this module agree, and the runtime may
// rely on it:
//
//   - A timer belongs to the instance it fires at (Timer.InstanceID, or the batch's
//     instance when empty), whichever batch armed it; deleting that instance removes it.
//     An outbound message always belongs to the batch's instance, whatever its From says.
//   - Within one batch, timers are armed before cancelled and messages stored before
//     removed as delivered, so a batch that does both ends with neither.
//   - An empty batch still advances the version, so an activation can fence out older
//     ones without changing the instance.
//   - Reads fail with ErrClosed after Close; Recoverable and Outbox call fn with no lock
//     held, so fn may read from and append to the journal.
//
// The contract is written on the Journal type. Implementations live in subpackages:
// badgerjournal is the durable default, memjournal serves tests, and journaltest is the
// conformance suite every implementation must pass.
package persistence
