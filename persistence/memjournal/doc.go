// Package memjournal is an in-memory persistence.Journal for tests.
//
// It honours the whole contract except durability: fencing, atomicity, ordering and
// ownership behave as in the durable journal, so a test that passes against it
// exercises the same rules. Data is deep-copied on the way in and on the way out, which
// makes aliasing bugs in callers show up here rather than only against a disk.
//
// Append applies the batch and calls done before it returns, on the caller's
// goroutine, after every lock of the journal is released. There is no commit goroutine
// and nothing to batch, so callers must not assume that done runs later than Append.
package memjournal
