package badgerjournal_test

import (
	"bytes"
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/godurable/durable/history"
	"github.com/godurable/durable/persistence"
	"github.com/godurable/durable/persistence/badgerjournal"
)

// rawKeys returns every key and value j stores, rendered for comparison.
func rawKeys(t *testing.T, j *badgerjournal.Journal) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := j.DB().View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.DefaultIteratorOptions)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			if bytes.Equal(it.Item().Key(), badgerjournal.FormatKey) || bytes.HasPrefix(it.Item().Key(), []byte("!badger!")) {
				continue
			}
			v, err := it.Item().ValueCopy(nil)
			if err != nil {
				return err
			}
			out[string(it.Item().Key())] = string(v)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// copyFixture fills j with instances that use every kind of key: payloads too large
// for the row, a history spilled into chunks, more timers than the row lists, a
// recovery mark and undelivered messages.
func copyFixture(t *testing.T, j *badgerjournal.Journal) []string {
	t.Helper()
	ctx := context.Background()
	base := time.Unix(1_900_000_000, 0)
	var ids []string
	for i := range 6 {
		id := fmt.Sprintf("copy-%d", i)
		ids = append(ids, id)
		version := uint64(0)
		for turn := range 3 + i*8 {
			b := &persistence.Batch{InstanceID: id, ExpectedVersion: version,
				Instance: &persistence.Instance{Name: "n", ExecutionID: "x", Status: history.StatusRunning, CreatedAt: base}}
			if turn == 0 {
				b.SetInput = bytes.Repeat([]byte{'i'}, 100+i*4000)
			}
			b.Events = []history.Event{{Type: history.EventTaskScheduled, ID: int64(turn), Name: strings.Repeat("e", 200)}}
			for k := range i * 2 {
				b.ArmTimers = append(b.ArmTimers, persistence.Timer{InstanceID: id, ExecutionID: "x", ID: int64(turn*100 + k),
					FireAt: base.Add(time.Duration(turn*100+k) * time.Second)})
			}
			if i%2 == 1 {
				b.Send = []persistence.Message{{From: id, ID: int64(turn + 1), To: "other", Payload: []byte("m")}}
			}
			r := turn%2 == 0
			b.Recover = &r
			if err := persistence.AppendSync(ctx, j, b); err != nil {
				t.Fatalf("append %s turn %d: %v", id, turn, err)
			}
			version++
		}
	}
	return ids
}

// TestExportInstallCopiesEveryKey: installing every instance's export into an empty
// journal yields the same keys and values, the same reads, and a copy that takes the
// next append at the original's version.
func TestExportInstallCopiesEveryKey(t *testing.T) {
	ctx := context.Background()
	src := open(t, badgerjournal.Config{Dir: t.TempDir()})
	dst := open(t, badgerjournal.Config{Dir: t.TempDir()})
	ids := copyFixture(t, src)
	// A stale instance in the copy under the same id must be replaced whole.
	if err := persistence.AppendSync(ctx, dst, &persistence.Batch{InstanceID: ids[3], Instance: &persistence.Instance{Name: "stale"},
		ArmTimers: []persistence.Timer{{InstanceID: ids[3], ID: 999, FireAt: time.Unix(5, 0)}}}); err != nil {
		t.Fatal(err)
	}
	var listed []string
	if err := src.IDs(ctx, func(id string) error { listed = append(listed, id); return nil }); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(listed, ids) {
		t.Fatalf("IDs = %v, want %v", listed, ids)
	}
	for _, id := range ids {
		snap, err := src.Export(ctx, id)
		if err != nil {
			t.Fatalf("Export %s: %v", id, err)
		}
		ch := make(chan error, 1)
		dst.Install(snap, func(err error) { ch <- err })
		if err := <-ch; err != nil {
			t.Fatalf("Install %s: %v", id, err)
		}
	}
	if got, want := rawKeys(t, dst), rawKeys(t, src); !reflect.DeepEqual(got, want) {
		t.Fatalf("the copy stores %d keys, the original %d", len(got), len(want))
	}
	for _, id := range ids {
		a, ea, err := src.Load(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		b, eb, err := dst.Load(ctx, id)
		if err != nil {
			t.Fatalf("Load copy of %s: %v", id, err)
		}
		if !reflect.DeepEqual(a, b) || !reflect.DeepEqual(ea, eb) {
			t.Fatalf("copy of %s reads differently", id)
		}
		next := &persistence.Batch{InstanceID: id, ExpectedVersion: b.Version, Events: []history.Event{{Type: history.EventTimerFired}}}
		if err := persistence.AppendSync(ctx, dst, next); err != nil {
			t.Fatalf("append to the copy of %s at version %d: %v", id, b.Version, err)
		}
	}
	ta, _ := src.Timers(ctx, time.Unix(1<<40, 0), 0)
	tb, _ := dst.Timers(ctx, time.Unix(1<<40, 0), 0)
	if len(ta) == 0 || !reflect.DeepEqual(ta, tb) {
		t.Fatalf("timers: original %d, copy %d", len(ta), len(tb))
	}
}

// TestInstallEmptyDeletes: an empty snapshot removes the instance and all its keys,
// and one holding another instance's key is refused.
func TestInstallEmptyDeletes(t *testing.T) {
	ctx := context.Background()
	j := open(t, badgerjournal.Config{Dir: t.TempDir()})
	ids := copyFixture(t, j)
	for _, id := range ids {
		ch := make(chan error, 1)
		j.Install(badgerjournal.Snapshot{ID: id}, func(err error) { ch <- err })
		if err := <-ch; err != nil {
			t.Fatal(err)
		}
	}
	if left := rawKeys(t, j); len(left) != 0 {
		t.Fatalf("%d keys left after deleting every instance", len(left))
	}
	if _, err := j.Get(ctx, ids[0], false); err != persistence.ErrNotFound {
		t.Fatalf("Get after delete: %v", err)
	}
	snap := badgerjournal.Snapshot{ID: "a", Entries: []badgerjournal.Entry{{Key: badgerjournal.RowKey("b"), Value: []byte("x")}}}
	ch := make(chan error, 1)
	j.Install(snap, func(err error) { ch <- err })
	if err := <-ch; err == nil || !strings.Contains(err.Error(), "another instance") {
		t.Fatalf("Install of a foreign key: %v", err)
	}
}

// TestPreparedAppendsAsTheBatch: a batch prepared and appended by one journal, and
// sent in its encoded form to another, leaves both with the same keys and values; a
// damaged encoding is refused.
func TestPreparedAppendsAsTheBatch(t *testing.T) {
	src := open(t, badgerjournal.Config{Dir: t.TempDir()})
	dst := open(t, badgerjournal.Config{Dir: t.TempDir()})
	base := time.Unix(1_900_000_000, 0)
	appendBoth := func(b *persistence.Batch) {
		t.Helper()
		p, err := src.Prepare(b)
		if err != nil {
			t.Fatal(err)
		}
		data, err := p.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		q, err := badgerjournal.UnmarshalPrepared(data)
		if err != nil {
			t.Fatalf("unmarshal: %v", err)
		}
		for i := range data {
			if _, err := badgerjournal.UnmarshalPrepared(data[:i]); err == nil {
				t.Fatalf("a prepared batch cut at %d of %d bytes was taken", i, len(data))
			}
		}
		for _, j := range []struct {
			j *badgerjournal.Journal
			p *badgerjournal.Prepared
		}{{src, p}, {dst, q}} {
			ch := make(chan error, 1)
			j.j.AppendPrepared(j.p, func(err error) { ch <- err })
			if err := <-ch; err != nil {
				t.Fatalf("append %s: %v", b.InstanceID, err)
			}
		}
	}
	for i := range 4 {
		id := fmt.Sprintf("prep-%d", i)
		for turn := range 2 + i*10 {
			b := &persistence.Batch{InstanceID: id, ExpectedVersion: uint64(turn),
				Instance: &persistence.Instance{Name: "n", ExecutionID: "x", Status: history.StatusRunning, CreatedAt: base}}
			if turn == 0 {
				b.SetInput = bytes.Repeat([]byte{'i'}, 100+i*9000)
			}
			if turn == 3 {
				b.SetOutput = []byte(`"done"`)
				b.ResetHistory = true
			}
			b.Events = []history.Event{{Type: history.EventTaskScheduled, ID: int64(turn), Name: strings.Repeat("e", 300)}}
			for k := range i * 3 {
				b.ArmTimers = append(b.ArmTimers, persistence.Timer{InstanceID: id, ExecutionID: "x", ID: int64(turn*100 + k),
					FireAt: base.Add(time.Duration(turn*100+k) * time.Second)})
			}
			if turn > 0 && i > 0 {
				b.CancelTimers = []persistence.Timer{{InstanceID: id, ID: int64((turn - 1) * 100), FireAt: base.Add(time.Duration((turn-1)*100) * time.Second)}}
			}
			b.Send = []persistence.Message{{From: id, ID: int64(turn + 1), To: "other", Payload: []byte("m")}}
			if turn > 0 {
				b.Delivered = []int64{int64(turn)}
			}
			r := turn%2 == 0
			b.Recover = &r
			appendBoth(b)
		}
	}
	appendBoth(&persistence.Batch{InstanceID: "prep-1", ExpectedVersion: 12, Delete: true})
	if got, want := rawKeys(t, dst), rawKeys(t, src); !reflect.DeepEqual(got, want) {
		t.Fatalf("the journal that took the encoded batches stores %d keys, the one that prepared them %d", len(got), len(want))
	}
	// A batch that names a message of another instance is refused.
	p, err := src.Prepare(&persistence.Batch{InstanceID: "a", Send: []persistence.Message{{From: "a", ID: 1, To: "b"}}})
	if err != nil {
		t.Fatal(err)
	}
	data, _ := p.MarshalBinary()
	forged := bytes.Replace(data, []byte("o/a\x00"), []byte("o/b\x00"), 1)
	if _, err := badgerjournal.UnmarshalPrepared(forged); err == nil {
		t.Fatal("a prepared batch writing another instance's message was taken")
	}
}
