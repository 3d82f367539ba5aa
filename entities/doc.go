// Package entities is the core of durable entities: small named objects, each with a
// piece of durable state, that orchestrations, clients and other entities send
// operations to. It holds the rules of running operations, and nothing else: no
// clock, no goroutines, no storage. The runtime delivers messages, calls Apply with a
// batch of operations, commits the new state and then sends what the operations asked
// it to send.
//
// # Identity
//
// An entity is named by an ID: Name is the kind of entity, the name its function was
// registered under, and is case-insensitive; Key tells the entities of one kind apart
// and is case-sensitive. ID{"Counter", "alice"} and ID{"counter", "alice"} are the
// same entity, "@counter@alice" in the runtime's own spelling (ID.String). An entity
// needs no creating: it exists once an operation has given it state, and ceases to
// exist when an operation deletes its state.
//
// # Operations run one at a time
//
// An entity runs one operation at a time, so its code needs no locks. The runtime
// groups the operations waiting for an entity into a batch and runs them in order with
// Apply; each operation sees the state the previous one left. An operation either
// succeeds or fails as a whole: when it returns an error or panics, its state changes
// are rolled back and the messages it sent are dropped, the error goes back to the
// caller, and the batch goes on with the next operation.
//
// Operations get their clock from Context.Now, the batch's time, rather than from
// time.Now, and they do no I/O that must not be repeated: a batch whose commit fails
// (the node crashed) is run again from the committed state.
//
// # Signals and calls
//
// An entity is reached in two ways. A signal is one-way: the sender goes on at once
// and hears nothing back, not even a failure. Clients, orchestrations and entities can
// signal (Context.SignalEntity here). A call is two-way: the caller waits for the
// operation's result or error, and only orchestrations can call, because only they can
// wait durably. Clients read an entity's state as of its last committed batch.
//
// Messages from one sender to one entity arrive exactly once and in the order they
// were sent, even across crashes: the receiver remembers what it has seen from each
// sender. There is no order between different senders. A signal sent with SignalAt
// arrives no earlier than its time.
//
// Signals and orchestration starts made by an operation (Context.SignalEntity,
// Context.StartOrchestration) leave only after the batch is committed, so a failed or
// re-run batch never sends anything twice.
//
// # Critical sections
//
// Several entities are updated together (a transfer between two accounts) from an
// orchestration, not from an entity: the orchestration locks the entities, calls them,
// and releases them; while they are locked, other operations wait. Entities cannot call
// each other or wait for anything, which is what keeps each of their operations short
// and their batches fast.
//
// # Writing an entity
//
// A function entity switches on the operation and uses the Context for the rest:
//
//	func Counter(ctx *entities.Context) error {
//		var n int
//		if err := ctx.GetState(&n); err != nil { // n stays 0 when there is no state
//			return err
//		}
//		switch strings.ToLower(ctx.Operation()) {
//		case "add":
//			var d int
//			if err := ctx.Input(&d); err != nil {
//				return err
//			}
//			return ctx.SetState(n + d)
//		case "get":
//			return ctx.Return(n)
//		}
//		return &entities.UnknownOperationError{Entity: ctx.ID(), Operation: ctx.Operation()}
//	}
//
// Returning UnknownOperationError for "delete" lets Apply delete the state.
//
// A typed entity is a struct whose methods are the operations; Typed does the decoding
// and encoding:
//
//	type Counter struct{ Value int }
//
//	func (c *Counter) Add(n int)  { c.Value += n }
//	func (c *Counter) Reset()     { c.Value = 0 }
//	func (c *Counter) Get() int   { return c.Value }
//	func (c *Counter) Delete(ctx *entities.Context) {
//		ctx.Logger().Info("counter deleted", "value", c.Value)
//		ctx.DeleteState()
//	}
//
//	rt.RegisterEntity("Counter", entities.Typed[Counter]())
//
// Only the exported fields of a typed entity's state are stored (it is encoded with
// encoding/json); other fields may survive from one operation to the next within a
// batch, but not beyond it.
//
// # Batches and rollback
//
// Apply decodes the state of a typed entity once per batch and hands the decoded value
// from one operation to the next. To roll a failed operation back, it needs the value
// as it was before the operation:
//
//   - When the state is flat (booleans, numbers, strings, and arrays and structs of
//     them, without custom JSON encoding), a plain copy of it is that snapshot. Apply
//     copies the value before each operation, puts the copy back on failure, and encodes
//     the state once, at the end of the batch: a batch of N operations costs one decode,
//     N copies and one encode. The encoding of a flat value cannot fail, except on a
//     NaN or infinite float, which is checked after each operation so that the
//     operation that made it fails.
//   - Any other state (with slices, maps or pointers, which a copy would share) is
//     encoded after each successful operation. That encoding is the snapshot: a failed
//     operation's value is dropped and the next operation decodes the last encoding.
//     A batch of N operations costs one decode, N encodes and one decode per failure.
package entities
