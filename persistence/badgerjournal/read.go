package badgerjournal

import (
	"bytes"
	"context"
	"errors"
	"log/slog"

	"github.com/dgraph-io/badger/v4"

	"github.com/godurable/durable/history"
	"github.com/godurable/durable/persistence"
	"github.com/godurable/durable/persistence/internal/query"
)

// Load implements persistence.Journal. Row, payloads and history come from one
// snapshot, so they always belong to the same committed batch.
func (j *Journal) Load(ctx context.Context, instanceID string) (*persistence.Instance, []history.Event, error) {
	var inst *persistence.Instance
	var events []history.Event
	err := j.view(ctx, func(txn *badger.Txn) error {
		row, err := mustReadRow(txn, instanceID)
		if err != nil {
			return err
		}
		if inst, err = row.instance(instanceID); err != nil {
			return err
		}
		if err := readPayloads(txn, inst); err != nil {
			return err
		}
		events, err = readHistory(txn, instanceID, row.historyLen)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return inst, events, nil
}

// History implements persistence.Journal.
func (j *Journal) History(ctx context.Context, instanceID string, fromSeq int) ([]history.Event, error) {
	var events []history.Event
	err := j.view(ctx, func(txn *badger.Txn) error {
		row, err := mustReadRow(txn, instanceID)
		if err != nil {
			return err
		}
		events, err = readHistoryFrom(txn, instanceID, row.historyLen, fromSeq)
		return err
	})
	if err != nil {
		return nil, err
	}
	return events, nil
}

// Get implements persistence.Journal.
func (j *Journal) Get(ctx context.Context, instanceID string, withPayloads bool) (*persistence.Instance, error) {
	var inst *persistence.Instance
	err := j.view(ctx, func(txn *badger.Txn) error {
		row, err := mustReadRow(txn, instanceID)
		if err != nil {
			return err
		}
		if inst, err = row.instance(instanceID); err != nil {
			return err
		}
		if withPayloads {
			return readPayloads(txn, inst)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return inst, nil
}

// view runs fn in a read transaction, unless ctx is done or the journal closed.
func (j *Journal) view(ctx context.Context, fn func(txn *badger.Txn) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := j.enter(); err != nil {
		return err
	}
	defer j.readers.Done()
	return j.db.View(fn)
}

func corruption(id string, key []byte, err error) error {
	return &persistence.CorruptionError{InstanceID: id, Key: describeKey(key), Err: err}
}

// readValue calls decode with the value stored at key, reporting whether there was
// one. A decode failure is a corruption of instance id; other errors pass through.
func readValue(txn *badger.Txn, id string, key []byte, decode func(v []byte) error) (bool, error) {
	item, err := txn.Get(key)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	var decodeErr error
	err = item.Value(func(v []byte) error {
		decodeErr = decode(v)
		return nil
	})
	if err != nil {
		return false, err
	}
	if decodeErr != nil {
		return false, corruption(id, key, decodeErr)
	}
	return true, nil
}

func readPayloads(txn *badger.Txn, inst *persistence.Instance) error {
	for _, p := range []struct {
		key []byte
		dst *[]byte
	}{{inputKey(inst.ID), &inst.Input}, {outputKey(inst.ID), &inst.Output}} {
		_, err := readValue(txn, inst.ID, p.key, func(v []byte) (err error) {
			*p.dst, err = unsealRaw(v)
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// readHistory reads the chunks of an instance in key order and checks that they are
// contiguous and add up to the row's count, so that a lost chunk is reported rather
// than replayed around.
func readHistory(txn *badger.Txn, id string, historyLen int) ([]history.Event, error) {
	return readHistoryFrom(txn, id, historyLen, 0)
}

// readHistoryFrom reads history from sequence number from on, starting at the chunk
// that holds it.
func readHistoryFrom(txn *badger.Txn, id string, historyLen, from int) ([]history.Event, error) {
	from = max(from, 0)
	if from >= historyLen {
		return nil, nil
	}
	start := chunkHolding(txn, id, from)
	prefix := idPrefix(historyTag, id)
	it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix, PrefetchValues: true, PrefetchSize: 16})
	defer it.Close()
	// bounded: the count is only a hint until checked
	events := make([]history.Event, 0, min(historyLen-start, 1<<16))
	for it.Seek(historyKey(id, start)); it.Valid(); it.Next() {
		item := it.Item()
		key := item.Key()
		if _, seq, ok := parseIDKey(key, historyTag); !ok || seq != int64(start+len(events)) {
			return nil, corruption(id, key, errChunkOrder)
		}
		var decodeErr error
		err := item.Value(func(v []byte) error {
			events, decodeErr = decodeChunk(v, events)
			return nil
		})
		if err != nil {
			return nil, err
		}
		if decodeErr != nil {
			return nil, corruption(id, key, decodeErr)
		}
	}
	if start+len(events) != historyLen {
		return nil, corruption(id, rowKey(id), errHistoryCount)
	}
	return events[from-start:], nil
}

// chunkHolding returns the first sequence number of the chunk holding event seq: the
// last chunk key at or before it.
func chunkHolding(txn *badger.Txn, id string, seq int) int {
	if seq == 0 {
		return 0
	}
	it := txn.NewIterator(badger.IteratorOptions{Prefix: idPrefix(historyTag, id), Reverse: true})
	defer it.Close()
	it.Seek(historyKey(id, seq))
	if !it.Valid() {
		return 0
	}
	if _, first, ok := parseIDKey(it.Item().Key(), historyTag); ok {
		return int(first)
	}
	return 0
}

// List implements persistence.Journal. It scans index rows in id order from the
// continuation token, filtering as it goes. A corrupt row is logged and skipped: one bad
// value must not hide every other instance from a listing.
func (j *Journal) List(ctx context.Context, q persistence.Query) ([]*persistence.Instance, string, error) {
	var page []*persistence.Instance
	var next string
	err := j.view(ctx, func(txn *badger.Txn) error {
		var err error
		page, next, err = j.listPage(ctx, txn, q)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	return page, next, nil
}

func (j *Journal) listPage(ctx context.Context, txn *badger.Txn, q persistence.Query) ([]*persistence.Instance, string, error) {
	prefix := rowKey(q.IDPrefix)
	start := prefix
	if q.Continuation != "" {
		if after := append(rowKey(q.Continuation), idEnd); bytes.Compare(after, start) > 0 {
			start = after
		}
	}
	size := query.PageSize(q)
	it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix, PrefetchValues: true, PrefetchSize: min(size, 100)})
	defer it.Close()
	var page []*persistence.Instance
	for it.Seek(start); it.Valid(); it.Next() {
		if err := ctx.Err(); err != nil {
			return nil, "", err
		}
		inst, err := j.listed(it.Item())
		if err != nil {
			return nil, "", err
		}
		if inst == nil || !query.Matches(q, inst) {
			continue
		}
		if len(page) == size {
			return page, page[size-1].ID, nil
		}
		if q.WithPayloads {
			if err := readPayloads(txn, inst); err != nil {
				if !j.logCorruption(err) {
					return nil, "", err
				}
				continue
			}
		}
		page = append(page, inst)
	}
	return page, "", nil
}

// listed decodes one row of a scan; a corrupt one yields nil after being logged.
func (j *Journal) listed(item *badger.Item) (*persistence.Instance, error) {
	id := string(item.Key()[len(rowTag):])
	var inst *persistence.Instance
	var decodeErr error
	err := item.Value(func(v []byte) error {
		st, err := unsealRow(v)
		if err != nil {
			decodeErr = corruption(id, item.Key(), err)
			return nil
		}
		inst, decodeErr = st.instance(id)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if decodeErr != nil {
		j.logCorruption(decodeErr)
		return nil, nil
	}
	return inst, nil
}

// logCorruption logs err if it is a corruption, which a scan then skips, and reports
// whether it was one.
func (j *Journal) logCorruption(err error) bool {
	var c *persistence.CorruptionError
	if !errors.As(err, &c) {
		return false
	}
	j.log.Error("journal skipped a corrupt entry", slog.String("instance", c.InstanceID),
		slog.String("key", c.Key), slog.Any("error", c.Err))
	return true
}
