// Package badgerjournal is the durable persistence.Journal, built on Badger.
//
// Durability comes from SyncWrites: an append is acknowledged only after its
// transaction reached the disk. Throughput comes from group commit: one goroutine owns
// every write and commits the appends of many instances in a single transaction and a
// single disk sync, then calls each done in submission order. A version conflict or a
// corrupt row fails only the append concerned; if the shared transaction itself fails
// (too big, most likely), its appends are retried one per transaction so that only the
// culprit fails, with persistence.ErrBatchTooLarge when it exceeds what Badger accepts
// in one transaction (about 4.8 MB with the default MemTableSize; Config.MemTableSize
// raises it).
//
// The committer is the only writer, so it remembers the rows it committed
// (Config.RowCacheSize of them) and fences the appends of active instances without
// reading anything back; encoding happens on the callers' goroutines, in Append.
//
// Each turn costs few keys: the events of one append are stored as one value (cut into
// several only when huge), next to the index row, timers and outbox entries it changed.
// Keys are documented in keys.go; every value carries a CRC-32C, and a value that fails
// it, or does not decode, is reported as a *persistence.CorruptionError. Point reads
// (Load, Get) return that error; scans (List, Timers, Outbox) log the entry and skip it,
// so that one bad value cannot stall listing, timers or delivery for everyone. An
// instance whose row is corrupt can still be deleted, whatever version is named.
//
// Callbacks: done runs on the commit goroutine and delays every later commit while it
// runs, so it must hand off and return. Recoverable and Outbox read a page at a time and
// call fn between pages, outside any transaction, so fn may use the journal.
package badgerjournal
