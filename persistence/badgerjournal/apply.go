package badgerjournal

import (
	"bytes"
	"errors"
	"slices"
	"strings"

	"github.com/dgraph-io/badger/v4"

	"github.com/godurable/durable/persistence"
	"github.com/godurable/durable/persistence/internal/faulthook"
)

// op is one submitted Append, encoded on the caller's goroutine so that the single
// committer spends its time on the transaction, not on msgpack.
type op struct {
	done     func(error)
	id       string
	expected uint64
	delete   bool

	rowBody       []byte // encoded rowRecord; nil: keep the stored row
	finished      bool   // the row says the instance ended: it is not worth caching
	created       int64  // the row's creation time, for its c/ key
	input, output payload
	resetHistory  bool
	// chunks are the events, ready to store as h/ chunks. events is their encoding
	// inside the only chunk, when they are small enough to go into the row.
	chunks    []chunk
	events    []byte
	numEvents int
	arm       []timerOp
	cancel    []timerOp // t/ keys only
	send      []kv
	delivered [][]byte
	recover   *bool
	// install, when set, makes the op an Install (copy.go) rather than an append.
	install *Snapshot

	// keys and bytes estimate the op's share of a transaction, for batch caps.
	keys, bytes int
}

type kv struct{ key, value []byte }

// payload is a SetInput or SetOutput: bytes for the row, or a sealed value for its p/
// key when too large to inline.
type payload struct {
	set    bool
	inline []byte
	sealed []byte
}

// timerOp is a timer to arm or cancel. own: it fires at the batch's instance, so the
// row written by the same append can list it.
type timerOp struct {
	key, value []byte
	own        bool
}

var errInvalidID = errors.New("badgerjournal: instance id must not contain a NUL byte")

// prepare encodes b. Everything it keeps is copied or encoded, so the op no longer
// depends on b.
func (cfg *Config) prepare(b *persistence.Batch, done func(error)) (*op, error) {
	if strings.IndexByte(b.InstanceID, idEnd) >= 0 {
		return nil, errInvalidID
	}
	o := &op{done: done, id: b.InstanceID, expected: b.ExpectedVersion, delete: b.Delete, keys: 1, bytes: 64}
	if b.Delete {
		return o, nil
	}
	if err := o.prepareRow(b, cfg); err != nil {
		return nil, err
	}
	if err := o.prepareTimers(b); err != nil {
		return nil, err
	}
	if err := o.prepareOutbox(b); err != nil {
		return nil, err
	}
	if b.Recover != nil {
		r := *b.Recover
		o.recover = &r
		o.count(len(recoverKey(o.id)), 0)
	}
	return o, nil
}

func (o *op) count(keyLen, valueLen int) {
	o.keys++
	o.bytes += keyLen + valueLen + 16
}

func (o *op) prepareRow(b *persistence.Batch, cfg *Config) error {
	o.bytes += len(o.id) + 64 // the row, whatever it holds
	if in := b.Instance; in != nil {
		body, err := encodeRow(&rowRecord{
			Name: in.Name, ExecutionID: in.ExecutionID, Status: in.Status,
			CreatedAt: in.CreatedAt, UpdatedAt: in.UpdatedAt, CustomStatus: in.CustomStatus,
			Failure: in.Failure, Parent: in.Parent, Version: in.OrchestrationVersion,
		})
		if err != nil {
			return err
		}
		o.rowBody = body
		o.finished = in.Status.IsTerminal()
		o.created = nanos(in.CreatedAt)
		o.bytes += len(body)
	}
	o.input = o.preparePayload(b.SetInput, inputKey, cfg.MaxInlinePayload)
	o.output = o.preparePayload(b.SetOutput, outputKey, cfg.MaxInlinePayload)
	o.resetHistory = b.ResetHistory
	events, ends, err := encodeEvents(b.Events)
	if err != nil || len(ends) == 0 {
		return err
	}
	o.numEvents = len(ends)
	// Chunks are sealed here even when the events will likely go into the row, so
	// that the committer has nothing to encode whichever way it decides.
	o.chunks = cutChunks(events, ends)
	for _, c := range o.chunks {
		o.count(len(o.id)+11, len(c.value))
	}
	if len(events) <= cfg.MaxInlineHistory { // then one chunk: the limit is far below a chunk's
		v := o.chunks[0].value
		o.events = v[len(v)-4-len(events) : len(v)-4 : len(v)-4]
	}
	return nil
}

// preparePayload copies raw into the row's share when it fits, empty ones included (an
// empty payload reads as none, so it costs no key), and seals it for its own key when
// it does not.
func (o *op) preparePayload(raw []byte, key func(string) []byte, limit int) payload {
	switch {
	case raw == nil:
		return payload{}
	case len(raw) <= limit: // limit >= 0
		o.bytes += len(raw)
		return payload{set: true, inline: bytes.Clone(raw)}
	}
	p := payload{set: true, sealed: sealRaw(key(o.id), raw)}
	o.count(len(o.id)+4, len(p.sealed))
	return p
}

// prepareTimers files each timer under the instance it fires at, which defaults to the
// batch's own; a scheduled signal may name another.
func (o *op) prepareTimers(b *persistence.Batch) error {
	for _, t := range b.ArmTimers {
		owner := o.timerOwner(t)
		k := timerKey(owner, t.FireAt, t.ID)
		v, err := encodeValue(k, &timerRecord{ExecutionID: t.ExecutionID, FireAt: t.FireAt, Payload: t.Payload})
		if err != nil {
			return err
		}
		o.arm = append(o.arm, timerOp{key: k, value: v, own: owner == o.id})
		o.count(len(k), len(v))
		o.count(len(k), 0)
	}
	for _, t := range b.CancelTimers {
		owner := o.timerOwner(t)
		k := timerKey(owner, t.FireAt, t.ID)
		o.cancel = append(o.cancel, timerOp{key: k, own: owner == o.id})
		o.count(len(k), 0)
		o.count(len(k), 0)
	}
	return nil
}

func (o *op) timerOwner(t persistence.Timer) string {
	if t.InstanceID == "" {
		return o.id
	}
	return t.InstanceID
}

func (o *op) prepareOutbox(b *persistence.Batch) error {
	for _, m := range b.Send {
		k := outboxKey(o.id, m.ID)
		v, err := encodeValue(k, &messageRecord{To: m.To, Payload: m.Payload})
		if err != nil {
			return err
		}
		o.send = append(o.send, kv{k, v})
		o.count(len(k), len(v))
	}
	for _, id := range b.Delivered {
		k := outboxKey(o.id, id)
		o.delivered = append(o.delivered, k)
		o.count(len(k), 0)
	}
	return nil
}

// txnBatch is a transaction being filled with ops. It tracks the rows it writes, so
// that a second op of the same instance sees the first one's row, and so that the row
// cache learns them once, and only if, the transaction commits.
type txnBatch struct {
	txn     *badger.Txn
	cache   *rowCache
	written map[string]*rowState // nil for an instance deleted by this transaction
	// inlineHistory is Config.MaxInlineHistory.
	inlineHistory int
	// keys counts the sets and deletes issued, for tests and benchmarks.
	keys int
	// traced: writes records them, for a fault hook (see hook.go); never in production.
	traced bool
	writes []faulthook.Write
	// installed: an Install is in the transaction (it leaves no row in written).
	installed bool
}

func (b *txnBatch) set(k, v []byte) error {
	b.keys++
	if b.traced {
		b.writes = append(b.writes, faulthook.Write{Key: k, Value: v})
	}
	return b.txn.Set(k, v)
}

func (b *txnBatch) del(k []byte) error {
	b.keys++
	if b.traced {
		b.writes = append(b.writes, faulthook.Write{Key: k, Delete: true})
	}
	return b.txn.Delete(k)
}

func (b *txnBatch) row(id string) (*rowState, error) {
	if st, ok := b.written[id]; ok {
		return st, nil
	}
	if st, ok := b.cache.get(id); ok {
		return st, nil
	}
	return readRow(b.txn, id)
}

// committed hands the rows of a committed transaction to the cache, except those of
// instances that ended: they are rarely appended to again, and their rows, which may
// hold the whole history, would crowd out those of instances still running.
func (b *txnBatch) committed() {
	for id, st := range b.written {
		if st != nil && st.finished {
			st = nil
		}
		b.cache.put(id, st)
	}
}

// forget drops the rows of a transaction whose fate is unknown from the cache.
func (b *txnBatch) forget() {
	for id := range b.written {
		b.cache.put(id, nil)
	}
}

// apply adds o to the transaction. A rejection (a version conflict, a corrupt row)
// leaves it untouched and fails only o. Any other error may have left part of o in the
// transaction, so the caller must discard it whole.
func (b *txnBatch) apply(o *op) (rejected, err error) {
	if o.install != nil {
		return nil, b.install(o)
	}
	old, err := b.row(o.id)
	if corrupt := (*persistence.CorruptionError)(nil); errors.As(err, &corrupt) {
		if o.delete {
			// Nobody can load a corrupt instance, so no activation of it can be
			// fenced: purging it must work whatever version the caller names.
			b.written[o.id] = nil
			return nil, b.purge(o.id)
		}
		return err, nil
	}
	if err != nil {
		return nil, err
	}
	var version uint64
	if old != nil {
		version = old.version
	}
	if version != o.expected {
		return persistence.ErrVersionConflict, nil
	}
	if o.delete {
		b.written[o.id] = nil
		return nil, b.delete(o.id, old)
	}
	return nil, b.write(o, old)
}

// emptyRowBody is the row of an instance created by a batch without an Instance.
var emptyRowBody = func() []byte {
	body, err := encodeRow(&rowRecord{})
	if err != nil {
		panic(err)
	}
	return body
}()

// write applies o on top of old (nil for a new instance). The row goes last: the
// other parts record in it what they left outside.
func (b *txnBatch) write(o *op, old *rowState) error {
	// A draft on the stack: only the sealed row is kept.
	draft := rowState{body: emptyRowBody}
	if old != nil {
		draft = *old
	}
	st := &draft
	st.version, st.value = o.expected+1, nil
	if o.rowBody != nil {
		st.body = o.rowBody
	}
	if err := b.writePayload(&o.input, &st.input, &st.flags, flagInputExternal, inputKey, o.id); err != nil {
		return err
	}
	if err := b.writePayload(&o.output, &st.output, &st.flags, flagOutputExternal, outputKey, o.id); err != nil {
		return err
	}
	if err := b.writeHistory(o, st); err != nil {
		return err
	}
	if err := b.writeTimers(o, st); err != nil {
		return err
	}
	if err := b.writeRecover(o, st); err != nil {
		return err
	}
	if err := b.writeOutbox(o); err != nil {
		return err
	}
	if err := b.writeCreated(o, old, st); err != nil {
		return err
	}
	key := rowKey(o.id)
	row := st.sealed(key)
	row.finished = o.finished || (o.rowBody == nil && old != nil && old.finished)
	if err := b.set(key, row.value); err != nil {
		return err
	}
	b.written[o.id] = row
	return nil
}

// writePayload replaces a payload: in the row when it fits, under its key, with its
// checksum in the row, when not. A stale copy under the key is deleted, and only when
// the row says there is one.
func (b *txnBatch) writePayload(p *payload, inline *[]byte, flags *byte, external byte,
	key func(string) []byte, id string) error {
	switch {
	case !p.set:
		return nil
	case p.sealed != nil:
		*inline = p.sealed[len(p.sealed)-externalSumSize:] // the row vouches for this value
		*flags |= external
		return b.set(key(id), p.sealed)
	}
	*inline = p.inline
	if *flags&external == 0 {
		return nil
	}
	*flags &^= external
	return b.del(key(id))
}

// writeHistory appends the op's events. While the whole history fits
// Config.MaxInlineHistory it stays in the row; the append that outgrows it moves it to
// h/ chunks, where it stays until the history is reset.
func (b *txnBatch) writeHistory(o *op, st *rowState) error {
	spilled := st.flags&flagHistorySpilled != 0
	if o.resetHistory {
		if spilled {
			if err := b.deletePrefix(idPrefix(historyTag, o.id)); err != nil {
				return err
			}
		}
		st.historyLen, st.history, spilled = 0, nil, false
		st.flags &^= flagHistorySpilled
		st.historyGen = historyGeneration(st.version)
	}
	if o.numEvents == 0 {
		return nil
	}
	small := o.events != nil
	if !spilled && small && len(st.history)+len(o.events) <= b.inlineHistory {
		st.moreHistory = o.events // sealed appends it, saving a copy
		st.historyLen += o.numEvents
		return nil
	}
	seq, chunks := st.historyLen, o.chunks
	switch {
	case !spilled && st.historyLen > 0 && small:
		// The row's events and the op's are small (at most maxInline bytes each, far
		// below a chunk's limit): one chunk holds both.
		n := st.historyLen + o.numEvents
		chunks, seq = []chunk{sealChunk(n, st.history, o.events)}, 0
	case !spilled && st.historyLen > 0:
		chunks = append([]chunk{sealChunk(st.historyLen, st.history)}, chunks...)
		seq = 0
	}
	for i := range chunks {
		c := &chunks[i]
		key := historyKey(o.id, seq)
		if err := b.set(key, c.bind(key, st.historyGen)); err != nil {
			return err
		}
		seq += c.n
	}
	st.historyLen, st.history = seq, nil
	st.flags |= flagHistorySpilled
	return nil
}

// historyGeneration is the generation of a history reset by the write of row version
// version: distinct from every earlier generation of the instance, and never 0, which
// rows of format 2 imply.
func historyGeneration(version uint64) uint32 {
	return uint32(version) | 1<<31
}

// writeTimers arms, then cancels, so that when one batch does both to the same timer
// its later decision wins. A timer that fires at this instance is listed in its row
// while the list has room; any other gets a u/ index key, by which deleting the
// instance it fires at finds it.
func (b *txnBatch) writeTimers(o *op, st *rowState) error {
	for _, t := range o.arm {
		if err := b.set(t.key, t.value); err != nil {
			return err
		}
		if t.own && st.addTimer(rowTimerEntry(t.key)) {
			continue
		}
		if err := b.set(indexKeyOf(t.key), nil); err != nil {
			return err
		}
	}
	for _, t := range o.cancel {
		if err := b.del(t.key); err != nil {
			return err
		}
		if t.own && st.removeTimer(rowTimerEntry(t.key)) {
			continue
		}
		if err := b.del(indexKeyOf(t.key)); err != nil {
			return err
		}
	}
	return nil
}

// writeRecover sets or clears the recovery mark, when that changes it.
func (b *txnBatch) writeRecover(o *op, st *rowState) error {
	if o.recover == nil || *o.recover == (st.flags&flagRecover != 0) {
		return nil
	}
	if *o.recover {
		st.flags |= flagRecover
		return b.set(recoverKey(o.id), nil)
	}
	st.flags &^= flagRecover
	return b.del(recoverKey(o.id))
}

// writeOutbox stores, then removes, for the same reason as writeTimers.
func (b *txnBatch) writeOutbox(o *op) error {
	for _, m := range o.send {
		if err := b.set(m.key, m.value); err != nil {
			return err
		}
	}
	for _, k := range o.delivered {
		if err := b.del(k); err != nil {
			return err
		}
	}
	return nil
}

// indexKeyOf turns t/{fireAt}{id}\0{timerID} into u/{id}\0{fireAt}{timerID}.
func indexKeyOf(k []byte) []byte {
	body := k[len(timerTag):]
	idx := make([]byte, 0, len(k))
	idx = append(idx, timerIndexTag...)
	idx = append(idx, body[8:len(body)-8]...) // {id}\0
	idx = append(idx, body[:8]...)
	return append(idx, body[len(body)-8:]...)
}

// rowTimerEntry is the part of a t/ key that a row lists: {fireAt}{timerID}.
func rowTimerEntry(k []byte) []byte {
	body := k[len(timerTag):]
	return slices.Concat(body[:8], body[len(body)-8:])
}

// timerKeyFromEntry turns an entry of id's row back into its t/ key.
func timerKeyFromEntry(id string, e []byte) []byte {
	k := make([]byte, 0, len(timerTag)+len(id)+1+rowTimerSize)
	k = append(k, timerTag...)
	k = append(k, e[:8]...)
	k = append(k, id...)
	k = append(k, idEnd)
	return append(k, e[8:]...)
}

// delete removes every key of the instance whose row is st (nil: there is none). The
// row says which of them exist; timers are found through the row's list and the
// instance's u/ index keys, since timer keys themselves are ordered by due time.
func (b *txnBatch) delete(id string, st *rowState) error {
	if st != nil {
		dels := [][]byte{rowKey(id)}
		if st.flags&flagInputExternal != 0 {
			dels = append(dels, inputKey(id))
		}
		if st.flags&flagOutputExternal != 0 {
			dels = append(dels, outputKey(id))
		}
		if st.flags&flagRecover != 0 {
			dels = append(dels, recoverKey(id))
		}
		for i := 0; i < len(st.timers); i += rowTimerSize {
			dels = append(dels, timerKeyFromEntry(id, st.timers[i:i+rowTimerSize]))
		}
		if k := createdKeyOf(id, st); k != nil {
			dels = append(dels, k)
		}
		for _, k := range dels {
			if err := b.del(k); err != nil {
				return err
			}
		}
		if st.flags&flagHistorySpilled != 0 {
			if err := b.deletePrefix(idPrefix(historyTag, id)); err != nil {
				return err
			}
		}
		// Only the instance's own batches send, so there is an outbox only with a row.
		if err := b.deletePrefix(idPrefix(outboxTag, id)); err != nil {
			return err
		}
	}
	return b.deleteIndexedTimers(id)
}

// purge removes every key an instance whose row is unreadable may have: all of them,
// blindly, and its timers by a scan of every timer, since the row that listed some is
// lost. Only the purge of a corrupt instance pays for that scan.
func (b *txnBatch) purge(id string) error {
	for _, k := range [][]byte{rowKey(id), inputKey(id), outputKey(id), recoverKey(id)} {
		if err := b.del(k); err != nil {
			return err
		}
	}
	for _, tag := range []string{historyTag, outboxTag} {
		if err := b.deletePrefix(idPrefix(tag, id)); err != nil {
			return err
		}
	}
	owned := keysWhere(b.txn, []byte(timerTag), func(k []byte) bool {
		owner, _, ok := parseTimerKey(k)
		return ok && owner == id
	})
	for _, k := range owned {
		if err := b.del(k); err != nil {
			return err
		}
	}
	return b.deleteIndexedTimers(id)
}

// deleteIndexedTimers removes the timers of id that have u/ index keys.
func (b *txnBatch) deleteIndexedTimers(id string) error {
	for _, k := range keysWithPrefix(b.txn, idPrefix(timerIndexTag, id)) {
		tk, err := timerKeyFromIndex(k)
		if err != nil {
			return err
		}
		if err := b.del(k); err != nil {
			return err
		}
		if err := b.del(tk); err != nil {
			return err
		}
	}
	return nil
}

func (b *txnBatch) deletePrefix(prefix []byte) error {
	for _, k := range keysWithPrefix(b.txn, prefix) {
		if err := b.del(k); err != nil {
			return err
		}
	}
	return nil
}

// keysWithPrefix collects keys before deleting them: an iterator of a write
// transaction must not run while that transaction changes.
func keysWithPrefix(txn *badger.Txn, prefix []byte) [][]byte {
	return keysWhere(txn, prefix, func([]byte) bool { return true })
}

// keysWhere collects the keys under prefix that keep selects.
func keysWhere(txn *badger.Txn, prefix []byte, keep func(k []byte) bool) [][]byte {
	it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix})
	defer it.Close()
	var keys [][]byte
	for it.Seek(prefix); it.Valid(); it.Next() {
		if k := it.Item().Key(); keep(k) {
			keys = append(keys, bytes.Clone(k))
		}
	}
	return keys
}
