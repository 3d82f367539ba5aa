package entities

// Batch is a batch of operations for an entity whose code runs outside the process
// (an SDK's worker connected over the sidecar protocol).
type Batch struct {
	ID ID
	// State is the entity's JSON state before the batch, nil when it has none.
	State      []byte
	Operations []Operation
}

// Remote runs the batches of the entities no Go code registered. It calls done once,
// from any goroutine, with what Apply would return: the state after the batch (nil:
// the entity is deleted) and one Result per operation, in order. Or with an error
// when it has neither (it stops): nothing of the batch is recorded then, and its
// senders send it again. The entity takes no other batch until done is called.
type Remote func(b Batch, done func(state []byte, results []Result, err error))
