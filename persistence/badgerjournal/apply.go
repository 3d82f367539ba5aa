package badgerjournal

import (
	"errors"
	"strings"

	"github.com/dgraph-io/badger/v4"

	"github.com/godurable/durable/persistence"
)

// op is one submitted Append, encoded on the caller's goroutine so that the single
// committer spends its time on the transaction, not on msgpack.
type op struct {
	done     func(error)
	id       string
	expected uint64
	delete   bool

	rowBody       []byte // encoded rowRecord; nil: keep the stored row
	input, output []byte // sealed values; nil: unchanged
	resetHistory  bool
	chunks        []chunk
	arm, send     []kv
	cancel        [][]byte // t/ keys; their u/ keys are derived
	delivered     [][]byte
	recover       *bool

	// keys and bytes estimate the op's share of a transaction, for batch caps.
	keys, bytes int
}

type kv struct{ key, value []byte }

var errInvalidID = errors.New("badgerjournal: instance id must not contain a NUL byte")

// prepare encodes b. Everything it keeps is copied or encoded, so the op no longer
// depends on b.
func prepare(b *persistence.Batch, done func(error)) (*op, error) {
	if strings.IndexByte(b.InstanceID, idEnd) >= 0 {
		return nil, errInvalidID
	}
	o := &op{done: done, id: b.InstanceID, expected: b.ExpectedVersion, delete: b.Delete, keys: 1, bytes: 64}
	if b.Delete {
		return o, nil
	}
	if err := o.prepareRow(b); err != nil {
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

func (o *op) prepareRow(b *persistence.Batch) error {
	if in := b.Instance; in != nil {
		body, err := encodeBody(&rowRecord{
			Name: in.Name, ExecutionID: in.ExecutionID, Status: in.Status,
			CreatedAt: in.CreatedAt, UpdatedAt: in.UpdatedAt, CustomStatus: in.CustomStatus,
			Failure: in.Failure, Parent: in.Parent,
		})
		if err != nil {
			return err
		}
		o.rowBody = body
		o.count(len(o.id)+2, len(body)+rowTrailer)
	}
	if b.SetInput != nil {
		o.input = sealRaw(b.SetInput)
		o.count(len(o.id)+4, len(o.input))
	}
	if b.SetOutput != nil {
		o.output = sealRaw(b.SetOutput)
		o.count(len(o.id)+4, len(o.output))
	}
	o.resetHistory = b.ResetHistory
	chunks, err := encodeChunks(b.Events)
	if err != nil {
		return err
	}
	o.chunks = chunks
	for _, c := range chunks {
		o.count(len(o.id)+11, len(c.value))
	}
	return nil
}

// prepareTimers files each timer under the instance it fires at, which defaults to the
// batch's own; a scheduled signal may name another.
func (o *op) prepareTimers(b *persistence.Batch) error {
	for _, t := range b.ArmTimers {
		v, err := encodeValue(&timerRecord{ExecutionID: t.ExecutionID, FireAt: t.FireAt, Payload: t.Payload})
		if err != nil {
			return err
		}
		k := timerKey(o.timerOwner(t), t.FireAt, t.ID)
		o.arm = append(o.arm, kv{k, v})
		o.count(len(k), len(v))
		o.count(len(k), 0)
	}
	for _, t := range b.CancelTimers {
		k := timerKey(o.timerOwner(t), t.FireAt, t.ID)
		o.cancel = append(o.cancel, k)
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
		v, err := encodeValue(&messageRecord{To: m.To, Payload: m.Payload})
		if err != nil {
			return err
		}
		k := outboxKey(o.id, m.ID)
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

// committed hands the rows of a committed transaction to the cache.
func (b *txnBatch) committed() {
	for id, st := range b.written {
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
	old, err := b.row(o.id)
	if corrupt := (*persistence.CorruptionError)(nil); errors.As(err, &corrupt) {
		if o.delete {
			// Nobody can load a corrupt instance, so no activation of it can be
			// fenced: purging it must work whatever version the caller names.
			return nil, b.delete(o.id)
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
		return nil, b.delete(o.id)
	}
	return nil, b.write(o, old)
}

func (b *txnBatch) delete(id string) error {
	b.written[id] = nil
	return deleteInstance(b.txn, id)
}

// emptyRowBody is the row of an instance created by a batch without an Instance.
var emptyRowBody = func() []byte {
	body, err := encodeBody(&rowRecord{})
	if err != nil {
		panic(err)
	}
	return body
}()

func (b *txnBatch) write(o *op, old *rowState) error {
	st := &rowState{version: o.expected + 1, body: o.rowBody}
	if st.body == nil {
		st.body = emptyRowBody
		if old != nil {
			st.body = old.body
		}
	}
	if old != nil && !o.resetHistory {
		st.historyLen = old.historyLen
	}
	if o.resetHistory {
		if err := deletePrefix(b.txn, idPrefix(historyTag, o.id)); err != nil {
			return err
		}
	}
	for _, c := range o.chunks {
		if err := b.txn.Set(historyKey(o.id, st.historyLen), c.value); err != nil {
			return err
		}
		st.historyLen += c.n
	}
	if err := b.txn.Set(rowKey(o.id), sealRow(st)); err != nil {
		return err
	}
	b.written[o.id] = st
	return writeRest(b.txn, o)
}

// writeRest writes what does not depend on the stored row. Arms precede cancels and
// sends precede deliveries, so when one batch does both to the same timer or message,
// its later decision (cancel, delivered) wins.
func writeRest(txn *badger.Txn, o *op) error {
	var sets []kv
	if o.input != nil {
		sets = append(sets, kv{inputKey(o.id), o.input})
	}
	if o.output != nil {
		sets = append(sets, kv{outputKey(o.id), o.output})
	}
	for _, t := range o.arm {
		sets = append(sets, t, kv{indexKeyOf(t.key), nil})
	}
	sets = append(sets, o.send...)
	if o.recover != nil && *o.recover {
		sets = append(sets, kv{recoverKey(o.id), nil})
	}
	for _, s := range sets {
		if err := txn.Set(s.key, s.value); err != nil {
			return err
		}
	}
	dels := o.delivered
	for _, k := range o.cancel {
		dels = append(dels, k, indexKeyOf(k))
	}
	if o.recover != nil && !*o.recover {
		dels = append(dels, recoverKey(o.id))
	}
	for _, k := range dels {
		if err := txn.Delete(k); err != nil {
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

// deleteInstance removes every key of the instance. Timers are found through their
// per-instance index, since the timer keys themselves are ordered by due time.
func deleteInstance(txn *badger.Txn, id string) error {
	for _, k := range [][]byte{rowKey(id), inputKey(id), outputKey(id), recoverKey(id)} {
		if err := txn.Delete(k); err != nil {
			return err
		}
	}
	for _, tag := range []string{historyTag, outboxTag} {
		if err := deletePrefix(txn, idPrefix(tag, id)); err != nil {
			return err
		}
	}
	for _, k := range keysWithPrefix(txn, idPrefix(timerIndexTag, id)) {
		tk, err := timerKeyFromIndex(k)
		if err != nil {
			return err
		}
		if err := txn.Delete(k); err != nil {
			return err
		}
		if err := txn.Delete(tk); err != nil {
			return err
		}
	}
	return nil
}

func deletePrefix(txn *badger.Txn, prefix []byte) error {
	for _, k := range keysWithPrefix(txn, prefix) {
		if err := txn.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// keysWithPrefix collects keys before deleting them: an iterator of a write
// transaction must not run while that transaction changes.
func keysWithPrefix(txn *badger.Txn, prefix []byte) [][]byte {
	it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix})
	defer it.Close()
	var keys [][]byte
	for it.Seek(prefix); it.Valid(); it.Next() {
		keys = append(keys, it.Item().KeyCopy(nil))
	}
	return keys
}
