package badgerjournal

import (
	"context"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/godurable/durable/persistence"
)

// Timers implements persistence.Journal. Timer keys start with the due time, so the scan
// reads due timers only and stops at the first one that is not.
func (j *Journal) Timers(ctx context.Context, until time.Time, limit int) ([]persistence.Timer, error) {
	var due []persistence.Timer
	err := j.view(ctx, func(txn *badger.Txn) error {
		prefix := []byte(timerTag)
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix, PrefetchValues: true, PrefetchSize: 100})
		defer it.Close()
		end := nanos(until)
		for it.Seek(prefix); it.Valid() && (limit <= 0 || len(due) < limit); it.Next() {
			item := it.Item()
			if k := item.Key(); len(k) >= len(timerTag)+8 && readInt(k[len(timerTag):]) > end {
				break
			}
			t, err := j.decodeTimer(item)
			if err != nil {
				return err
			}
			if t != nil {
				due = append(due, *t)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return due, nil
}

// decodeTimer returns nil for a corrupt timer, after logging it.
func (j *Journal) decodeTimer(item *badger.Item) (*persistence.Timer, error) {
	key := item.Key()
	id, timerID, ok := parseTimerKey(key)
	var rec timerRecord
	var decodeErr error
	if err := item.Value(func(v []byte) error { decodeErr = decodeValue(key, v, &rec); return nil }); err != nil {
		return nil, err
	}
	if !ok {
		decodeErr = errMalformedKey
	}
	if decodeErr != nil {
		j.logCorruption(corruption(id, key, decodeErr))
		return nil, nil
	}
	return &persistence.Timer{InstanceID: id, ExecutionID: rec.ExecutionID, ID: timerID, FireAt: rec.FireAt, Payload: rec.Payload}, nil
}

// scanPageSize bounds how much Recoverable and Outbox read per transaction. They call
// fn between pages, outside any transaction, so fn may use the journal (even Append and
// wait for it) and a slow fn does not pin an old snapshot.
const scanPageSize = 256

// Recoverable implements persistence.Journal.
func (j *Journal) Recoverable(ctx context.Context, fn func(instanceID string) error) error {
	return scan(ctx, j, []byte(recoverTag), func(item *badger.Item) (string, bool, error) {
		return string(item.Key()[len(recoverTag):]), true, nil
	}, fn)
}

// Outbox implements persistence.Journal. Keys order messages by sender, then id.
func (j *Journal) Outbox(ctx context.Context, fn func(persistence.Message) error) error {
	return scan(ctx, j, []byte(outboxTag), j.decodeMessage, fn)
}

func (j *Journal) decodeMessage(item *badger.Item) (persistence.Message, bool, error) {
	key := item.Key()
	from, id, ok := parseIDKey(key, outboxTag)
	var rec messageRecord
	var decodeErr error
	if err := item.Value(func(v []byte) error { decodeErr = decodeValue(key, v, &rec); return nil }); err != nil {
		return persistence.Message{}, false, err
	}
	if !ok {
		decodeErr = errMalformedKey
	}
	if decodeErr != nil {
		j.logCorruption(corruption(from, key, decodeErr))
		return persistence.Message{}, false, nil
	}
	return persistence.Message{From: from, ID: id, To: rec.To, Payload: rec.Payload}, true, nil
}

// scan reads the records under prefix a page at a time and hands each to fn. decode
// reports false for a record to skip.
func scan[T any](ctx context.Context, j *Journal, prefix []byte,
	decode func(*badger.Item) (T, bool, error), fn func(T) error) error {
	from := prefix
	for from != nil {
		var page []T
		err := j.view(ctx, func(txn *badger.Txn) (err error) {
			page, from, err = readPage(txn, prefix, from, decode)
			return err
		})
		if err != nil {
			return err
		}
		for _, v := range page {
			if err := fn(v); err != nil {
				return err
			}
		}
	}
	return nil
}

// readPage decodes up to scanPageSize records from the key from on, and returns the key
// to resume at, or nil at the end of the prefix.
func readPage[T any](txn *badger.Txn, prefix, from []byte, decode func(*badger.Item) (T, bool, error)) ([]T, []byte, error) {
	it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix, PrefetchValues: true, PrefetchSize: 64})
	defer it.Close()
	var page []T
	n := 0
	for it.Seek(from); it.Valid(); it.Next() {
		if n == scanPageSize {
			return page, it.Item().KeyCopy(nil), nil
		}
		n++
		v, ok, err := decode(it.Item())
		if err != nil {
			return nil, nil, err
		}
		if ok {
			page = append(page, v)
		}
	}
	return page, nil, nil
}
