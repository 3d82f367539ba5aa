package badgerjournal

import (
	"bytes"
	"context"
	"errors"
	"iter"
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
		if err := readPayloads(txn, inst, row); err != nil {
			return err
		}
		events, err = readHistory(txn, instanceID, row, 0)
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
		events, err = readHistory(txn, instanceID, row, fromSeq)
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
			return readPayloads(txn, inst, row)
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

var (
	// errMissingValue: the row says a value exists under a key that holds none.
	errMissingValue = errors.New("value missing")
	// errStaleValue: the value under a key is intact but not the one the row was
	// written with: part of a transaction was lost.
	errStaleValue = errors.New("value is not the one its row was written with")
)

// readPayloads fills the payloads of inst, whose row is st: from the row, or from their
// own keys when the row says they are there.
func readPayloads(txn *badger.Txn, inst *persistence.Instance, st *rowState) error {
	st.inlinePayloads(inst)
	return readExternalPayloads(txn, inst, st.externals())
}

func readExternalPayloads(txn *badger.Txn, inst *persistence.Instance, ext externals) error {
	for _, p := range []struct {
		flag byte
		key  func(string) []byte
		sum  []byte
		dst  *[]byte
	}{{flagInputExternal, inputKey, ext.input[:], &inst.Input}, {flagOutputExternal, outputKey, ext.output[:], &inst.Output}} {
		if ext.flags&p.flag == 0 {
			continue
		}
		key := p.key(inst.ID)
		found, err := readValue(txn, inst.ID, key, func(v []byte) (err error) {
			if *p.dst, err = unsealRaw(key, v); err == nil && !bytes.Equal(v[len(v)-externalSumSize:], p.sum) {
				err = errStaleValue
			}
			return err
		})
		if err != nil {
			return err
		}
		if !found {
			return corruption(inst.ID, key, errMissingValue)
		}
	}
	return nil
}

// readHistory returns the history of the instance whose row is st from sequence
// number from on: from the row, or from its chunks.
func readHistory(txn *badger.Txn, id string, st *rowState, from int) ([]history.Event, error) {
	from = max(from, 0)
	if from >= st.historyLen {
		return nil, nil
	}
	if st.flags&flagHistorySpilled != 0 {
		return readHistoryFrom(txn, id, st.historyLen, st.historyGen, from)
	}
	events, err := decodeEvents(st.history, st.historyLen)
	if err != nil {
		return nil, corruption(id, rowKey(id), err)
	}
	return events[from:], nil
}

// readHistoryFrom reads the chunks of an instance in key order and checks that they are
// contiguous and add up to the row's count, so that a lost chunk is reported rather
// than replayed around. It starts at the chunk that holds event from.
func readHistoryFrom(txn *badger.Txn, id string, historyLen int, gen uint32, from int) ([]history.Event, error) {
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
			events, decodeErr = decodeChunk(key, gen, v, events)
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
// continuation token, or the c/ keys newest first (created.go), filtering as it goes.
// A corrupt row is logged and skipped: one bad value must not hide every other
// instance from a listing.
func (j *Journal) List(ctx context.Context, q persistence.Query) ([]*persistence.Instance, string, error) {
	start, err := query.StartOf(q)
	if err != nil {
		return nil, "", err
	}
	var page []*persistence.Instance
	var next string
	err = j.view(ctx, func(txn *badger.Txn) error {
		var err error
		if q.NewestFirst {
			page, next, err = j.listNewest(ctx, txn, q, start)
		} else {
			page, next, err = j.listPage(ctx, txn, q)
		}
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
	return j.fillPage(ctx, txn, q, func(yield func(listedRow, error) bool) {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix, PrefetchValues: true, PrefetchSize: min(query.PageSize(q), 100)})
		defer it.Close()
		for it.Seek(start); it.Valid(); it.Next() {
			inst, ext, err := j.listed(it.Item(), &q)
			if !yield(listedRow{inst, ext}, err) {
				return
			}
		}
	})
}

// listedRow is what a scan found of one instance: nil when the listing does not
// select it, and where its external payloads are.
type listedRow struct {
	inst *persistence.Instance
	ext  externals
}

// fillPage gathers a page of q from the instances scan yields, in listing order, until
// the page is full or the scan ends. An instance whose payloads are corrupt is logged
// and left out.
func (j *Journal) fillPage(ctx context.Context, txn *badger.Txn, q persistence.Query, scan iter.Seq2[listedRow, error]) ([]*persistence.Instance, string, error) {
	page := query.NewPage(q)
	for r, err := range scan {
		if err == nil {
			err = ctx.Err()
		}
		if err != nil {
			return nil, "", err
		}
		if r.inst == nil {
			continue
		}
		if page.Full() {
			return page.Instances, page.Continuation(), nil
		}
		if q.WithPayloads {
			if err := readExternalPayloads(txn, r.inst, r.ext); err != nil {
				if !j.logCorruption(err) {
					return nil, "", err
				}
				continue
			}
		}
		page.Add(r.inst)
	}
	return page.Instances, "", nil
}

// listed decodes one row of a scan and returns it, with its inline payloads if q asks
// for payloads, and where its external payloads are; it returns nil for a row that q does not select,
// and for a corrupt one after logging it.
func (j *Journal) listed(item *badger.Item, q *persistence.Query) (*persistence.Instance, externals, error) {
	id := string(item.Key()[len(rowTag):])
	var inst *persistence.Instance
	var ext externals
	var decodeErr error
	err := item.Value(func(v []byte) error {
		st, err := parseRow(item.Key(), v)
		if err != nil {
			decodeErr = corruption(id, item.Key(), err)
			return nil
		}
		if inst, decodeErr = st.instance(id); decodeErr != nil {
			return nil
		}
		if !query.Matches(*q, inst) {
			inst = nil
			return nil
		}
		if q.WithPayloads {
			st.inlinePayloads(inst) // copies: v is Badger's
			ext = st.externals()
		}
		return nil
	})
	if err != nil {
		return nil, externals{}, err
	}
	if decodeErr != nil {
		j.logCorruption(decodeErr)
		return nil, externals{}, nil
	}
	return inst, ext, nil
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
