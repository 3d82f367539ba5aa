package badgerjournal

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/godurable/durable/persistence"
	"github.com/godurable/durable/persistence/internal/query"
)

// The c/ keys index orchestrations by creation time, for newest-first listings. An
// append writes one only when it creates an instance or changes its creation time
// (the instance is started again under its id): the committer remembers the creation
// time of the rows it wrote, so appends to a running instance pay nothing for the
// index. A listing reads the index backwards and checks each entry against the row it
// names, so an entry that outlived its row (left by the purge of a row too damaged to
// tell its creation time) is skipped, never shown. Entities are never listed newest
// first and have no c/ key.

func createdKey(id string, created int64) []byte {
	k := make([]byte, 0, len(createdTag)+8+len(id))
	k = appendInt(append(k, createdTag...), created)
	return append(k, id...)
}

// parseCreatedKey splits c/{createdAt}{id}. The id ends the key, so key order is
// creation time, then id.
func parseCreatedKey(k []byte) (created int64, id string, ok bool) {
	body := k[len(createdTag):]
	if len(body) <= 8 {
		return 0, "", false
	}
	return readInt(body), string(body[8:]), true
}

func indexed(id string) bool { return !strings.HasPrefix(id, "@") }

// createdAt returns the creation time of row st, decoding its body when the committer
// did not write it.
func (st *rowState) createdAt() (int64, bool) {
	if st.createdKnown {
		return st.created, true
	}
	var r rowRecord
	if err := decodeBody(st.body, &r); err != nil {
		return 0, false
	}
	return nanos(r.CreatedAt), true
}

// createdKeyOf returns the c/ key of the instance whose row is st, or nil when it has
// none or the row does not tell.
func createdKeyOf(id string, st *rowState) []byte {
	created, ok := st.createdAt()
	if !indexed(id) || !ok {
		return nil
	}
	return createdKey(id, created)
}

// writeCreated keeps the c/ key of the instance o writes at the creation time of st,
// its new row, and records that time in st. old is the row before (nil: none).
func (b *txnBatch) writeCreated(o *op, old, st *rowState) error {
	switch {
	case o.rowBody != nil:
		st.created, st.createdKnown = o.created, true
	case old != nil:
		return nil // the row is kept, and its creation time with it
	default:
		st.created, st.createdKnown = nanos(time.Time{}), true // the empty row's
	}
	if !indexed(o.id) {
		return nil
	}
	if old != nil {
		prev, ok := old.createdAt()
		if ok && prev == st.created {
			return nil
		}
		if ok {
			if err := b.del(createdKey(o.id, prev)); err != nil {
				return err
			}
		}
	}
	return b.set(createdKey(o.id, st.created), nil)
}

// indexInstalled writes the c/ key of the row an Install copied. A row that does not
// parse is served as damaged, as it was copied, and gets none.
func (b *txnBatch) indexInstalled(id string, e Entry) error {
	st, err := parseRow(e.Key, e.Value)
	if err != nil {
		return nil
	}
	if k := createdKeyOf(id, st); k != nil {
		return b.set(k, nil)
	}
	return nil
}

// listNewest serves a newest-first listing from the c/ keys, read backwards from the
// page's start: the place after the continuation token, or the end of the creation
// time range.
func (j *Journal) listNewest(ctx context.Context, txn *badger.Txn, q persistence.Query, start query.Start) ([]*persistence.Instance, string, error) {
	floor := int64(math.MinInt64)
	if !q.CreatedFrom.IsZero() {
		floor = nanos(q.CreatedFrom)
	}
	return j.fillPage(ctx, txn, q, func(yield func(listedRow, error) bool) {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(createdTag), Reverse: true})
		defer it.Close()
		for it.Seek(newestSeek(q)); it.Valid(); it.Next() {
			created, id, ok := parseCreatedKey(it.Item().Key())
			if ok && created < floor {
				return
			}
			if !ok || !strings.HasPrefix(id, q.IDPrefix) || !start.Admits(persistence.Cursor{Created: created, ID: id}) {
				continue
			}
			inst, ext, err := j.indexedRow(txn, id, created, &q)
			if !yield(listedRow{inst, ext}, err) {
				return
			}
		}
	})
}

// newestSeek is the key a backwards scan of the c/ keys starts at: it lands on the
// last key at or before it. Keys after the continuation token's place, and those of
// instances created at or after q.CreatedTo, come before the page.
func newestSeek(q persistence.Query) []byte {
	seek := []byte{createdTag[0], createdTag[1] + 1} // after every c/ key
	if after, ok, _ := q.After(); ok {
		seek = createdKey(after.ID, after.Created)
	}
	// A bound at the clamp would also cut times past it that are still before it.
	if to := nanos(q.CreatedTo); !q.CreatedTo.IsZero() && to != math.MaxInt64 {
		if k := appendInt([]byte(createdTag), to); bytes.Compare(k, seek) < 0 {
			seek = k
		}
	}
	return seek
}

// indexedRow reads the row a c/ key names and returns it if q selects it, as listed
// does; nil also for a key the row does not vouch for (its creation time differs, or
// there is no row).
func (j *Journal) indexedRow(txn *badger.Txn, id string, created int64, q *persistence.Query) (*persistence.Instance, externals, error) {
	item, err := txn.Get(rowKey(id))
	if err == badger.ErrKeyNotFound {
		return nil, externals{}, nil
	}
	if err != nil {
		return nil, externals{}, err
	}
	inst, ext, err := j.listed(item, q)
	if err != nil || inst == nil || nanos(inst.CreatedAt) != created {
		return nil, externals{}, err
	}
	return inst, ext, nil
}

// indexCreated brings a database of layout 3 to the current one: it writes the c/ key
// of every orchestration, then the stamp. Keys are written again by a run cut short,
// which changes nothing, so a crash in the middle only means starting over.
func indexCreated(db *badger.DB, log *slog.Logger) error {
	began := time.Now()
	wb := db.NewWriteBatch()
	defer wb.Cancel()
	n := 0
	err := db.View(func(txn *badger.Txn) error {
		prefix := []byte(rowTag)
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix, PrefetchValues: true, PrefetchSize: 100})
		defer it.Close()
		for it.Seek(prefix); it.Valid(); it.Next() {
			item := it.Item()
			id := string(item.Key()[len(rowTag):])
			var key []byte
			if err := item.Value(func(v []byte) error {
				// A row that does not read is reported when it is read; it has no key.
				if st, err := parseRow(item.Key(), v); err == nil {
					key = createdKeyOf(id, st)
				}
				return nil
			}); err != nil {
				return err
			}
			if key == nil {
				continue
			}
			if err := wb.Set(key, nil); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err == nil {
		err = wb.Flush()
	}
	if err == nil {
		err = db.Update(func(txn *badger.Txn) error { return txn.Set(formatKey, []byte(formatVersion)) })
	}
	if err != nil {
		return fmt.Errorf("badgerjournal: indexing instances by creation time for layout %s: %w", formatVersion, err)
	}
	log.Info("journal indexed its orchestrations by creation time, for layout "+formatVersion,
		slog.Int("instances", n), slog.Duration("took", time.Since(began)))
	return nil
}
