package badgerjournal

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/dgraph-io/badger/v4"

	"github.com/godurable/durable/persistence"
)

// Copying instances between journals. A cluster keeps a second copy of a partition on
// another member: it ships the partition's instances there one by one, as the keys and
// values stored, and the other journal installs them. Values travel as they are
// stored, checksums included, so a copy is verified by the same checks as the
// original, and the copy holds everything the original does (timers, recovery mark,
// undelivered messages) without this code knowing what each key means.

// Entry is one stored key and its value.
type Entry struct {
	Key, Value []byte
}

// Snapshot is every stored key of one instance at one moment. A snapshot with no
// entries says the instance does not exist.
type Snapshot struct {
	ID      string
	Entries []Entry
}

// Size is the bytes of keys and values the snapshot holds.
func (s *Snapshot) Size() int {
	n := len(s.ID)
	for _, e := range s.Entries {
		n += len(e.Key) + len(e.Value)
	}
	return n
}

// Export returns every stored key of the instance, read from one snapshot of the
// database. An instance whose row is damaged is copied as it is, damage included,
// except for the timers only its row knew of.
func (j *Journal) Export(ctx context.Context, id string) (Snapshot, error) {
	snap := Snapshot{ID: id}
	if strings.IndexByte(id, idEnd) >= 0 {
		return snap, errInvalidID
	}
	err := j.view(ctx, func(txn *badger.Txn) error {
		snap.Entries = snap.Entries[:0]
		add := func(item *badger.Item) error {
			v, err := item.ValueCopy(nil)
			if err != nil {
				return err
			}
			snap.Entries = append(snap.Entries, Entry{Key: item.KeyCopy(nil), Value: v})
			return nil
		}
		get := func(k []byte) error {
			item, err := txn.Get(k)
			if err == badger.ErrKeyNotFound {
				return nil
			}
			if err != nil {
				return err
			}
			return add(item)
		}
		if err := get(rowKey(id)); err != nil {
			return err
		}
		if len(snap.Entries) == 1 {
			if st, err := parseRow(snap.Entries[0].Key, snap.Entries[0].Value); err == nil {
				for i := 0; i < len(st.timers); i += rowTimerSize {
					if err := get(timerKeyFromEntry(id, st.timers[i:i+rowTimerSize])); err != nil {
						return err
					}
				}
			}
		}
		if err := get(recoverKey(id)); err != nil {
			return err
		}
		for _, tag := range []string{payloadTag, historyTag, outboxTag, timerIndexTag} {
			prefix := idPrefix(tag, id)
			it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix, PrefetchValues: true, PrefetchSize: 16})
			for it.Seek(prefix); it.Valid(); it.Next() {
				if err := add(it.Item()); err != nil {
					it.Close()
					return err
				}
				if tag != timerIndexTag {
					continue
				}
				tk, err := timerKeyFromIndex(it.Item().Key())
				if err == nil {
					err = get(tk)
				}
				if err != nil {
					it.Close()
					return err
				}
			}
			it.Close()
		}
		return nil
	})
	return snap, err
}

// IDs calls fn with the id of every instance that has a row, in id order, until fn
// returns an error, which it then returns. It reads one snapshot of the database.
func (j *Journal) IDs(ctx context.Context, fn func(id string) error) error {
	return j.view(ctx, func(txn *badger.Txn) error {
		prefix := []byte(rowTag)
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix})
		defer it.Close()
		for it.Seek(prefix); it.Valid(); it.Next() {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := fn(string(it.Item().Key()[len(rowTag):])); err != nil {
				return err
			}
		}
		return nil
	})
}

// Install replaces every stored key of snap's instance with snap's entries, whatever
// version the instance has here: the copy becomes what the original was when it was
// exported. An empty snapshot deletes the instance. It goes through the commit
// goroutine like an append, so it is ordered with the appends submitted before and
// after it, and done follows the contract of Append.
func (j *Journal) Install(snap Snapshot, done func(error)) {
	if done == nil {
		done = func(error) {}
	}
	if err := checkSnapshot(&snap); err != nil {
		done(named(snap.ID, err))
		return
	}
	j.enqueue(&op{done: done, id: snap.ID, install: &snap, keys: 1 + len(snap.Entries), bytes: 64 + snap.Size()})
}

// checkSnapshot refuses entries that do not belong to the snapshot's instance: a copy
// must never overwrite another instance's keys.
func checkSnapshot(s *Snapshot) error {
	if strings.IndexByte(s.ID, idEnd) >= 0 {
		return errInvalidID
	}
	for _, e := range s.Entries {
		if owner, ok := keyOwner(e.Key); !ok || owner != s.ID {
			return fmt.Errorf("badgerjournal: snapshot of %q holds key %s of another instance", s.ID, describeKey(e.Key))
		}
	}
	return nil
}

// keyOwner returns the instance a stored key belongs to.
func keyOwner(k []byte) (string, bool) {
	if len(k) < 2 {
		return "", false
	}
	switch tag := string(k[:2]); tag {
	case rowTag, recoverTag:
		return string(k[2:]), true
	case payloadTag, historyTag, outboxTag, timerIndexTag:
		id, _, ok := splitID(k[2:])
		return id, ok
	case timerTag:
		id, _, ok := parseTimerKey(k)
		return id, ok
	}
	return "", false
}

// install applies an Install op: every key of the instance goes, then the snapshot's
// are written. The row cache forgets the instance at once (a later op of this
// transaction reads the installed row from the transaction itself), since whatever
// it remembered is no longer what the database holds.
func (b *txnBatch) install(o *op) error {
	old, err := b.row(o.id)
	if corrupt := (*persistence.CorruptionError)(nil); errors.As(err, &corrupt) {
		err = b.purge(o.id) // no row to tell which keys exist: remove them all
	} else if err == nil {
		err = b.delete(o.id, old)
	}
	if err != nil {
		return err
	}
	for _, e := range o.install.Entries {
		if err := b.set(e.Key, e.Value); err != nil {
			return err
		}
		// The c/ key is this journal's index, not part of the copy: it is made from
		// the row the copy brings.
		if bytes.Equal(e.Key, rowKey(o.id)) {
			if err := b.indexInstalled(o.id, e); err != nil {
				return err
			}
		}
	}
	b.cache.put(o.id, nil)
	delete(b.written, o.id)
	b.installed = true
	return nil
}
