package badgerjournal_test

import (
	"bytes"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/godurable/durable/history"
	"github.com/godurable/durable/persistence"
	"github.com/godurable/durable/persistence/badgerjournal"
)

// newest lists every orchestration newest first, a page of two at a time.
func newest(t *testing.T, j persistence.Journal) []string {
	t.Helper()
	var ids []string
	q := persistence.Query{NewestFirst: true, PageSize: 2}
	for {
		page, next, err := j.List(t.Context(), q)
		if err != nil {
			t.Fatal(err)
		}
		for _, in := range page {
			ids = append(ids, in.ID)
		}
		if next == "" {
			return ids
		}
		q.Continuation = next
	}
}

// seedCreated appends orchestrations created a second apart in the order of ids, and
// an entity, which has no c/ key.
func seedCreated(t *testing.T, j persistence.Journal, ids ...string) {
	t.Helper()
	for i, id := range ids {
		b := newInstance(id)
		b.Instance.CreatedAt = time.Unix(int64(100+i), 0)
		mustAppend(t, j, b)
	}
	mustAppend(t, j, &persistence.Batch{InstanceID: "@counter@k", Instance: &persistence.Instance{Name: "counter"}})
}

// createdKeys returns the c/ keys stored.
func createdKeys(t *testing.T, j *badgerjournal.Journal) [][]byte {
	t.Helper()
	var keys [][]byte
	err := j.DB().View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte("c/")})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			keys = append(keys, it.Item().KeyCopy(nil))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// TestLayout3IsIndexedOnOpen: a database of layout 3 has no c/ keys; Open writes them
// and stamps the current layout, so newest-first listings see every orchestration.
func TestLayout3IsIndexedOnOpen(t *testing.T) {
	dir := t.TempDir()
	j, err := badgerjournal.Open(badgerjournal.Config{Dir: dir, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	seedCreated(t, j, "b", "c", "a")
	want := createdKeys(t, j)
	if len(want) != 3 {
		t.Fatalf("%d c/ keys, want 3", len(want))
	}
	err = j.DB().Update(func(txn *badger.Txn) error {
		for _, k := range want {
			if err := txn.Delete(k); err != nil {
				return err
			}
		}
		return txn.Set(badgerjournal.FormatKey, []byte("3"))
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}

	j = open(t, badgerjournal.Config{Dir: dir})
	if got := createdKeys(t, j); !slices.EqualFunc(got, want, bytes.Equal) {
		t.Fatalf("c/ keys after Open: %q, want %q", got, want)
	}
	if got := newest(t, j); !slices.Equal(got, []string{"a", "c", "b"}) {
		t.Fatalf("newest first: %v", got)
	}
	if v := rawValue(t, j, badgerjournal.FormatKey); string(v) != "4" {
		t.Fatalf("layout stamp %q after Open, want 4", v)
	}
}

// TestNewestFirstSkipsStrayKeys: a c/ key the row does not vouch for (no row, or
// another creation time) lists nothing; one left by purging a corrupt row is such a
// key.
func TestNewestFirstSkipsStrayKeys(t *testing.T) {
	// A cache of one row: the committer reads b's row back, and finds it corrupt.
	j := open(t, badgerjournal.Config{InMemory: true, RowCacheSize: 1})
	seedCreated(t, j, "a", "b", "c")
	corrupt(t, j, badgerjournal.RowKey("b"))
	mustAppend(t, j, &persistence.Batch{InstanceID: "b", Delete: true})
	if !exists(t, j, badgerjournal.CreatedKey("b", time.Unix(101, 0).UnixNano())) {
		t.Fatal("purging b's corrupt row removed its c/ key: the row could not have told it")
	}
	err := j.DB().Update(func(txn *badger.Txn) error {
		for _, k := range [][]byte{
			badgerjournal.CreatedKey("ghost", time.Unix(150, 0).UnixNano()),
			badgerjournal.CreatedKey("a", time.Unix(300, 0).UnixNano()),
		} {
			if err := txn.Set(k, nil); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := newest(t, j); !slices.Equal(got, []string{"c", "a"}) {
		t.Fatalf("newest first: %v, want [c a]", got)
	}
}

// TestIndexFollowsRestarts: starting an instance again under its id moves its c/
// key, an append without a row keeps it, and a row read back from the database (the
// committer's cache no longer holds it) is moved as well.
func TestIndexFollowsRestarts(t *testing.T) {
	j := open(t, badgerjournal.Config{InMemory: true, RowCacheSize: 1})
	seedCreated(t, j, "a", "b")
	for v, created := range []int64{500, 600} {
		b := newInstance("a")
		b.ExpectedVersion, b.ResetHistory = uint64(1+v), true
		b.Instance.CreatedAt = time.Unix(created, 0)
		mustAppend(t, j, b)
		mustAppend(t, j, newInstance(fmt.Sprintf("filler-%d", v))) // evicts a's row
	}
	mustAppend(t, j, &persistence.Batch{InstanceID: "a", ExpectedVersion: 3, Events: []history.Event{event(1, `1`)}})
	if n := len(createdKeys(t, j)); n != 4 {
		t.Fatalf("%d c/ keys, want one per orchestration (4)", n)
	}
	if got := newest(t, j)[0]; got != "a" {
		t.Fatalf("newest is %s, want the restarted a", got)
	}
}
