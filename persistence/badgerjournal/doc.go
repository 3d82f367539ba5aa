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
// A commit that fails to write or sync (anything but a transaction too large) stops
// the journal: Badger's memtable may then hold all or part of the failed transaction,
// and after a failed fsync the kernel may have dropped the data it did not write. Its
// appends, and every append and read after them, fail with
// persistence.ErrJournalFailed, wrapping the cause, until the journal is closed and
// opened again; the durability watermark stays at the last commit known to be durable.
// Every error given to done names its instance (persistence.AppendError).
//
// The committer is the only writer, so it remembers the rows it committed
// (Config.RowCacheSize of them) and fences the appends of active instances without
// reading anything back; encoding happens on the callers' goroutines, in Append.
//
// Keys are the main cost of a commit: Badger inserts each one into its memtable's
// skiplist on its single write goroutine, which every commit waits for. So each
// instance's row holds everything of it that is small, and a typical append writes its
// row and nothing else:
// an input or output up to Config.MaxInlinePayload, the whole history while it fits
// Config.MaxInlineHistory, and the list of the instance's own timers (up to 16). An
// entity checkpoint is one key; an orchestration of five activities is nine over its
// life (a row per turn, setting and clearing the recovery mark, and the c/ key that
// lists it by creation time for newest-first listings). What outgrows the
// row gets keys of its own: a large payload its p/ key, a long history one h/ chunk per
// append (cut into several only when huge). The row also records which of those keys
// exist, and whether the recovery mark is set, so that an append deletes only what is
// there and skips marks that would not change. Keys are documented in keys.go, the row
// in rows.go.
//
// Every value carries a CRC-32C that covers its key as well, so that a value found
// under another key than its own is caught like a flipped bit, and a value that fails
// it, or does not decode, is reported as a *persistence.CorruptionError; damage to a payload or history held in a
// row is damage to the row. Point reads (Load, Get) return that error; scans (List,
// Timers, Outbox) log the entry and skip it, so that one bad value cannot stall
// listing, timers or delivery for everyone. An instance whose row is corrupt can still
// be deleted, whatever version is named.
//
// The database records its layout version (m/format); Open refuses a database written
// with another layout, such as the version 2 layout whose checksums did not cover the
// key, and does not migrate it, except for version 3, which lacks only the c/ keys:
// Open writes them (one pass over the rows) and stamps the database as version 4.
//
// Callbacks: done runs on the commit goroutine and delays every later commit while it
// runs, so it must hand off and return. Recoverable and Outbox read a page at a time and
// call fn between pages, outside any transaction, so fn may use the journal.
package badgerjournal
