package badgerjournal_test

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
	"go.uber.org/goleak"

	"github.com/godurable/durable/history"
	"github.com/godurable/durable/persistence"
	"github.com/godurable/durable/persistence/badgerjournal"
	"github.com/godurable/durable/persistence/journaltest"
)

func TestMain(m *testing.M) {
	if dir := os.Getenv(writerEnv); dir != "" {
		crashedWriter(dir)
	}
	goleak.VerifyTestMain(m)
}

// testLogger sends records to t.Log, so they show only for failing tests.
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

type tWriter struct{ t testing.TB }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(string(bytes.TrimRight(p, "\n")))
	return len(p), nil
}

func open(t testing.TB, cfg badgerjournal.Config) *badgerjournal.Journal {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = testLogger(t)
	}
	j, err := badgerjournal.Open(cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := j.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return j
}

func TestConformance(t *testing.T) {
	journaltest.Run(t, func(t *testing.T) persistence.Journal {
		return open(t, badgerjournal.Config{Dir: t.TempDir()})
	})
}

func TestConformanceInMemory(t *testing.T) {
	journaltest.Run(t, func(t *testing.T) persistence.Journal {
		return open(t, badgerjournal.Config{InMemory: true})
	})
}

func mustAppend(t *testing.T, j persistence.Journal, b *persistence.Batch) {
	t.Helper()
	if err := persistence.AppendSync(t.Context(), j, b); err != nil {
		t.Fatalf("Append(%s): %v", b.InstanceID, err)
	}
}

func newInstance(id string, events ...history.Event) *persistence.Batch {
	return &persistence.Batch{
		InstanceID: id,
		Instance:   &persistence.Instance{Name: "Orch", Status: history.StatusRunning, CreatedAt: time.Unix(1, 0)},
		SetInput:   []byte(`"in"`),
		Events:     events,
	}
}

func event(id int64, input string) history.Event {
	return history.Event{Type: history.EventTaskScheduled, Time: time.Unix(100, id), ID: id, Input: []byte(input)}
}

func TestReopenKeepsData(t *testing.T) {
	dir := t.TempDir()
	cfg := badgerjournal.Config{Dir: dir, Logger: testLogger(t)}
	j, err := badgerjournal.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	b := newInstance("kept", event(1, `"a"`), event(2, `"b"`))
	b.ArmTimers = []persistence.Timer{{InstanceID: "kept", ID: 1, FireAt: time.Unix(50, 0)}}
	b.Recover = new(bool)
	*b.Recover = true
	mustAppend(t, j, b)
	mustAppend(t, j, &persistence.Batch{InstanceID: "kept", ExpectedVersion: 1, Events: []history.Event{event(3, `"c"`)}})
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}

	j = open(t, cfg)
	inst, events, err := j.Load(t.Context(), "kept")
	if err != nil {
		t.Fatal(err)
	}
	if inst.Version != 2 || len(events) != 3 || events[2].ID != 3 || string(inst.Input) != `"in"` {
		t.Fatalf("after reopening: version %d, %d events, input %q", inst.Version, len(events), inst.Input)
	}
	timers, err := j.Timers(t.Context(), time.Unix(60, 0), 0)
	if err != nil || len(timers) != 1 {
		t.Fatalf("timers after reopening: %v, %v", timers, err)
	}
	mustAppend(t, j, &persistence.Batch{InstanceID: "kept", ExpectedVersion: 2})
}

func TestOpenValidates(t *testing.T) {
	for _, cfg := range []badgerjournal.Config{
		{},
		{Dir: t.TempDir(), InMemory: true},
		{InMemory: true, MaxBatchBytes: 100 << 20},
	} {
		if j, err := badgerjournal.Open(cfg); err == nil {
			j.Close()
			t.Errorf("Open(%+v) succeeded", cfg)
		}
	}
}

// corrupt flips one bit of the value stored at key, behind the journal's back.
func corrupt(t *testing.T, j *badgerjournal.Journal, key []byte) {
	t.Helper()
	err := j.DB().Update(func(txn *badger.Txn) error {
		item, err := txn.Get(key)
		if err != nil {
			return err
		}
		v, err := item.ValueCopy(nil)
		if err != nil {
			return err
		}
		v[len(v)/2] ^= 0x10
		return txn.Set(key, v)
	})
	if err != nil {
		t.Fatalf("corrupting %q: %v", key, err)
	}
}

func wantCorruption(t *testing.T, err error, id, key string) {
	t.Helper()
	var c *persistence.CorruptionError
	if !errors.As(err, &c) {
		t.Fatalf("got %v, want a *persistence.CorruptionError", err)
	}
	if c.InstanceID != id || c.Key != key {
		t.Fatalf("corruption names instance %q key %q, want %q and %q", c.InstanceID, c.Key, id, key)
	}
}

// TestCorruptionIsReportedAndContained damages values, then reopens the journal, so
// that the committer's row cache cannot hide the damage. Damage to anything the row
// holds (inline payloads and history included) is damage to the row.
func TestCorruptionIsReportedAndContained(t *testing.T) {
	cfg := badgerjournal.Config{Dir: t.TempDir(), Logger: testLogger(t)}
	j, err := badgerjournal.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	big := func(c byte) []byte { return append(append([]byte{'"'}, bytes.Repeat([]byte{c}, 5000)...), '"') }
	for _, id := range []string{"bad-history", "bad-row", "bad-input", "good"} {
		b := newInstance(id, event(1, `"x"`))
		switch id {
		case "bad-history": // too long to stay in the row
			b.Events = bigEvents(2, 3000)
		case "bad-input": // too large to inline
			b.SetInput = big('i')
		case "bad-row": // listed in the row, which is lost
			b.ArmTimers = []persistence.Timer{{ID: 1, FireAt: time.Unix(5, 0)}}
		}
		mustAppend(t, j, b)
		mustAppend(t, j, &persistence.Batch{InstanceID: id, ExpectedVersion: 1, Events: []history.Event{event(2, `"y"`)}})
	}
	corrupt(t, j, badgerjournal.HistoryKey("bad-history", 2))
	corrupt(t, j, badgerjournal.RowKey("bad-row"))
	corrupt(t, j, badgerjournal.InputKey("bad-input"))
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	j = open(t, cfg)

	_, _, err = j.Load(t.Context(), "bad-history")
	wantCorruption(t, err, "bad-history", "h/bad-history/2")
	_, _, err = j.Load(t.Context(), "bad-row")
	wantCorruption(t, err, "bad-row", "i/bad-row")
	_, err = j.Get(t.Context(), "bad-input", true)
	wantCorruption(t, err, "bad-input", "p/bad-input/input")
	if _, err := j.Get(t.Context(), "bad-input", false); err != nil {
		t.Fatalf("Get without payloads of an instance with a corrupt input: %v", err)
	}
	err = persistence.AppendSync(t.Context(), j, &persistence.Batch{InstanceID: "bad-row", ExpectedVersion: 2})
	wantCorruption(t, err, "bad-row", "i/bad-row")

	if _, events, err := j.Load(t.Context(), "good"); err != nil || len(events) != 2 {
		t.Fatalf("Load of an intact instance: %d events, %v", len(events), err)
	}
	mustAppend(t, j, &persistence.Batch{InstanceID: "good", ExpectedVersion: 2})
	list, _, err := j.List(t.Context(), persistence.Query{})
	if err != nil || len(list) != 3 {
		t.Fatalf("List skips only the corrupt row: got %d instances, %v", len(list), err)
	}

	// A corrupt instance can be purged whatever version the caller names, timers
	// its lost row listed included.
	mustAppend(t, j, &persistence.Batch{InstanceID: "bad-row", ExpectedVersion: 12345, Delete: true})
	if _, err := j.Get(t.Context(), "bad-row", false); !errors.Is(err, persistence.ErrNotFound) {
		t.Fatalf("Get after purging a corrupt instance: %v", err)
	}
	if timers, err := j.Timers(t.Context(), time.Unix(60, 0), 0); err != nil || len(timers) != 0 {
		t.Fatalf("timers after purging a corrupt instance: %+v, %v", timers, err)
	}
}

// swap trades the values stored at two keys, behind the journal's back.
func swap(t *testing.T, j *badgerjournal.Journal, a, b []byte) {
	t.Helper()
	err := j.DB().Update(func(txn *badger.Txn) error {
		var vs [2][]byte
		for i, k := range [][]byte{a, b} {
			item, err := txn.Get(k)
			if err != nil {
				return err
			}
			if vs[i], err = item.ValueCopy(nil); err != nil {
				return err
			}
		}
		return errors.Join(txn.Set(a, vs[1]), txn.Set(b, vs[0]))
	})
	if err != nil {
		t.Fatalf("swapping %q and %q: %v", a, b, err)
	}
}

// TestSwappedValuesAreCorruption: a value that sits under another key than its own,
// as a misdirected write leaves it, is corrupt even though it is intact. Rows, chunks
// and payloads of two instances hold nothing that names the instance, so only the
// checksum, which covers the key, can tell them apart.
func TestSwappedValuesAreCorruption(t *testing.T) {
	j := open(t, badgerjournal.Config{InMemory: true, MaxInlinePayload: -1, MaxInlineHistory: -1})
	for _, id := range []string{"a", "b", "c", "d", "e", "f"} {
		b := newInstance(id, event(1, `"same"`))
		b.SetInput = []byte(`"same"`)
		mustAppend(t, j, b)
	}
	swap(t, j, badgerjournal.RowKey("a"), badgerjournal.RowKey("b"))
	swap(t, j, badgerjournal.HistoryKey("c", 0), badgerjournal.HistoryKey("d", 0))
	swap(t, j, badgerjournal.InputKey("e"), badgerjournal.InputKey("f"))
	for id, key := range map[string]string{"a": "i/a", "b": "i/b", "c": "h/c/0", "d": "h/d/0", "e": "p/e/input", "f": "p/f/input"} {
		_, _, err := j.Load(t.Context(), id)
		wantCorruption(t, err, id, key)
	}
}

// TestStalePayloadIsCorruption: a payload under its own key that is intact, but not
// the one the row was written with, as when a transaction reached the disk only in
// part, is reported rather than served with the row of another batch.
func TestStalePayloadIsCorruption(t *testing.T) {
	j := open(t, badgerjournal.Config{InMemory: true, MaxInlinePayload: -1})
	mustAppend(t, j, &persistence.Batch{InstanceID: "torn", SetOutput: []byte(`"first"`)})
	var first []byte
	if err := j.DB().View(func(txn *badger.Txn) error {
		item, err := txn.Get(badgerjournal.OutputKey("torn"))
		if err == nil {
			first, err = item.ValueCopy(nil)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	mustAppend(t, j, &persistence.Batch{InstanceID: "torn", ExpectedVersion: 1, SetOutput: []byte(`"second"`)})
	if inst, err := j.Get(t.Context(), "torn", true); err != nil || string(inst.Output) != `"second"` {
		t.Fatalf("Get: %v, %v", inst, err)
	}
	if err := j.DB().Update(func(txn *badger.Txn) error { return txn.Set(badgerjournal.OutputKey("torn"), first) }); err != nil {
		t.Fatal(err)
	}
	_, err := j.Get(t.Context(), "torn", true)
	wantCorruption(t, err, "torn", "p/torn/output")
	list, _, err := j.List(t.Context(), persistence.Query{WithPayloads: true})
	if err != nil || len(list) != 0 {
		t.Fatalf("List with payloads: %d instances, %v; want the stale one skipped", len(list), err)
	}
}

// TestMissingPayloadIsCorruption: a payload the row says is stored under its own key
// and is not there is reported, not read as empty.
func TestMissingPayloadIsCorruption(t *testing.T) {
	j := open(t, badgerjournal.Config{InMemory: true, MaxInlinePayload: -1})
	mustAppend(t, j, &persistence.Batch{InstanceID: "lost", SetOutput: []byte(`"out"`)})
	if err := j.DB().Update(func(txn *badger.Txn) error { return txn.Delete(badgerjournal.OutputKey("lost")) }); err != nil {
		t.Fatal(err)
	}
	_, err := j.Get(t.Context(), "lost", true)
	wantCorruption(t, err, "lost", "p/lost/output")
}

func TestCorruptScanEntriesAreSkipped(t *testing.T) {
	j := open(t, badgerjournal.Config{InMemory: true})
	b := newInstance("scan")
	b.ArmTimers = []persistence.Timer{{ID: 1, FireAt: time.Unix(10, 0)}, {ID: 2, FireAt: time.Unix(20, 0)}}
	b.Send = []persistence.Message{{ID: 1, To: "x"}, {ID: 2, To: "y"}}
	mustAppend(t, j, b)
	corrupt(t, j, badgerjournal.TimerKey("scan", time.Unix(10, 0), 1))
	corrupt(t, j, badgerjournal.OutboxKey("scan", 1))

	timers, err := j.Timers(t.Context(), time.Unix(30, 0), 0)
	if err != nil || len(timers) != 1 || timers[0].ID != 2 {
		t.Fatalf("Timers: %+v, %v", timers, err)
	}
	var msgs []persistence.Message
	err = j.Outbox(t.Context(), func(m persistence.Message) error { msgs = append(msgs, m); return nil })
	if err != nil || len(msgs) != 1 || msgs[0].ID != 2 {
		t.Fatalf("Outbox: %+v, %v", msgs, err)
	}
}

func bigEvents(n, size int) []history.Event {
	events := make([]history.Event, n)
	for i := range events {
		events[i] = event(int64(i), `"`+string(bytes.Repeat([]byte{'x'}, size))+`"`)
	}
	return events
}

// TestBatchTooLarge: a batch over Badger's transaction limit fails alone, even when it
// was gathered into one transaction with others; one that is merely over the batch caps
// is committed on its own.
func TestBatchTooLarge(t *testing.T) {
	j := open(t, badgerjournal.Config{InMemory: true, MemTableSize: 16 << 20, MaxBatchBytes: 1 << 20})
	ctx := t.Context()
	var chans []chan error
	submit := func(b *persistence.Batch) {
		ch := make(chan error, 1)
		j.Append(b, func(err error) { ch <- err })
		chans = append(chans, ch)
	}
	for i := range 10 {
		submit(newInstance(fmt.Sprintf("small-%d", i), event(1, `1`)))
	}
	submit(newInstance("huge", bigEvents(3000, 1000)...))  // ~3 MB, limit 2.4 MB
	submit(newInstance("large", bigEvents(1500, 1000)...)) // ~1.5 MB, over MaxBatchBytes
	for i := range 10 {
		submit(newInstance(fmt.Sprintf("after-%d", i), event(1, `1`)))
	}
	for i, ch := range chans {
		err := <-ch
		if i == 10 {
			if !errors.Is(err, persistence.ErrBatchTooLarge) {
				t.Fatalf("huge batch: %v, want ErrBatchTooLarge", err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("append %d: %v", i, err)
		}
	}
	if _, err := j.Get(ctx, "huge", false); !errors.Is(err, persistence.ErrNotFound) {
		t.Fatalf("Get of the rejected instance: %v", err)
	}
	if inst, events, err := j.Load(ctx, "large"); err != nil || len(events) != 1500 || inst.HistoryLen != 1500 {
		t.Fatalf("Load of the large instance: %d events, %v", len(events), err)
	}
}

// TestGroupCommit checks that appends submitted together share transactions.
func TestGroupCommit(t *testing.T) {
	j := open(t, badgerjournal.Config{Dir: t.TempDir()})
	const n = 500
	before := j.Commits()
	done := make(chan error, n)
	for i := range n {
		j.Append(newInstance(fmt.Sprintf("group-%03d", i), event(1, `1`)), func(err error) { done <- err })
	}
	for range n {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	commits := j.Commits() - before
	t.Logf("%d appends in %d transactions", n, commits)
	if commits > n/5 {
		t.Fatalf("%d appends took %d transactions; group commit is not batching", n, commits)
	}
}

// TestStaleChunkIsCorruption: a reset of a spilled history (continue-as-new) that
// reached the disk in part, its new chunks written and its row not, leaves the old row
// over chunks of two executions. Sequence numbers alone cannot tell; the history
// generation bound into each chunk does.
func TestStaleChunkIsCorruption(t *testing.T) {
	j := open(t, badgerjournal.Config{InMemory: true, MaxInlineHistory: -1})
	mustAppend(t, j, newInstance("can", event(1, `"old"`), event(2, `"old"`)))
	mustAppend(t, j, &persistence.Batch{InstanceID: "can", ExpectedVersion: 1, Events: []history.Event{event(3, `"old"`), event(4, `"old"`)}})
	oldRow, oldTail := rawValue(t, j, badgerjournal.RowKey("can")), rawValue(t, j, badgerjournal.HistoryKey("can", 2))
	mustAppend(t, j, &persistence.Batch{InstanceID: "can", ExpectedVersion: 2, ResetHistory: true,
		Events: []history.Event{event(1, `"new"`), event(2, `"new"`)}})
	if _, events, err := j.Load(t.Context(), "can"); err != nil || len(events) != 2 || string(events[0].Input) != `"new"` {
		t.Fatalf("Load after the reset: %v, %v", events, err)
	}
	if err := j.DB().Update(func(txn *badger.Txn) error {
		if err := txn.Set(badgerjournal.RowKey("can"), oldRow); err != nil {
			return err
		}
		return txn.Set(badgerjournal.HistoryKey("can", 2), oldTail)
	}); err != nil {
		t.Fatal(err)
	}
	_, _, err := j.Load(t.Context(), "can")
	wantCorruption(t, err, "can", "h/can/0")
}

// TestFormat2RowsStillRead: rows written before the history generation existed (format
// 2) read as generation 0, with the chunks written beside them.
func TestFormat2RowsStillRead(t *testing.T) {
	j := open(t, badgerjournal.Config{InMemory: true, MaxInlineHistory: -1})
	mustAppend(t, j, newInstance("v2", event(1, `"a"`), event(2, `"b"`)))
	key := badgerjournal.RowKey("v2")
	v3 := rawValue(t, j, key)
	v2 := badgerjournal.RowAsFormat2(t, key, v3)
	if err := j.DB().Update(func(txn *badger.Txn) error { return txn.Set(key, v2) }); err != nil {
		t.Fatal(err)
	}
	inst, events, err := j.Load(t.Context(), "v2")
	if err != nil || inst.Version != 1 || len(events) != 2 || string(events[1].Input) != `"b"` {
		t.Fatalf("Load of a format 2 row: %+v, %v, %v", inst, events, err)
	}
	mustAppend(t, j, &persistence.Batch{InstanceID: "v2", ExpectedVersion: 1, Events: []history.Event{event(3, `"c"`)}})
	if _, events, err := j.Load(t.Context(), "v2"); err != nil || len(events) != 3 {
		t.Fatalf("Load after appending to a format 2 row: %v, %v", events, err)
	}
}

func rawValue(t *testing.T, j *badgerjournal.Journal, key []byte) []byte {
	t.Helper()
	var v []byte
	if err := j.DB().View(func(txn *badger.Txn) error {
		item, err := txn.Get(key)
		if err == nil {
			v, err = item.ValueCopy(nil)
		}
		return err
	}); err != nil {
		t.Fatalf("%s: %v", key, err)
	}
	return v
}
