package badgerjournal

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"testing"

	"github.com/godurable/durable/history"
	"github.com/godurable/durable/persistence"
)

// quietJournal is an in-memory journal whose transactions hold at most 2.4 MB.
func quietJournal(t *testing.T) *Journal {
	t.Helper()
	j, err := Open(Config{InMemory: true, MemTableSize: 16 << 20, MaxBatchBytes: 1 << 20,
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	return j
}

func mbOfEvents(mb int) []history.Event {
	events := make([]history.Event, mb*1000)
	for i := range events {
		events[i] = history.Event{ID: int64(i), Input: bytes.Repeat([]byte{'x'}, 1000)}
	}
	return events
}

// prepared turns batches into ops of j whose outcomes land in errs.
func prepared(t *testing.T, j *Journal, errs []error, batches ...*persistence.Batch) []*op {
	var ops []*op
	for i, b := range batches {
		o, err := j.cfg.prepare(b, func(err error) { errs[i] = err })
		if err != nil {
			t.Fatal(err)
		}
		ops = append(ops, o)
	}
	return ops
}

// TestCommitFallsBackOneByOne hands the committer a group that fits the caps of no
// transaction: each op must still get its own outcome. The test calls commit itself;
// the commit goroutine is idle because nothing is appended.
func TestCommitFallsBackOneByOne(t *testing.T) {
	j := quietJournal(t)
	errs := make([]error, 6)
	ops := prepared(t, j, errs,
		&persistence.Batch{InstanceID: "a", Events: mbOfEvents(1)},
		&persistence.Batch{InstanceID: "b", Events: mbOfEvents(1)},
		&persistence.Batch{InstanceID: "huge", Events: mbOfEvents(3)},
		&persistence.Batch{InstanceID: "a", ExpectedVersion: 1, Events: mbOfEvents(1)},
		&persistence.Batch{InstanceID: "b", ExpectedVersion: 7},
		&persistence.Batch{InstanceID: "c"},
	)
	before := j.commits.Load()
	j.commit(ops)
	want := []error{nil, nil, persistence.ErrBatchTooLarge, nil, persistence.ErrVersionConflict, nil}
	for i := range want {
		if !errors.Is(errs[i], want[i]) || (want[i] == nil && errs[i] != nil) {
			t.Errorf("op %d: %v, want %v", i, errs[i], want[i])
		}
	}
	if n := j.commits.Load() - before; n != 4 {
		t.Errorf("%d transactions, want 4 (one per successful op)", n)
	}
	for id, events := range map[string]int{"a": 2000, "b": 1000, "c": 0} {
		if _, got, err := j.Load(t.Context(), id); err != nil || len(got) != events {
			t.Errorf("Load(%s): %d events, %v; want %d", id, len(got), err, events)
		}
	}
}

func TestRowCacheEvicts(t *testing.T) {
	c := newRowCache(16)
	for i := range 100 {
		c.put(fmt.Sprint(i), &rowState{version: uint64(i)})
		if len(c.rows) > 16 {
			t.Fatalf("cache holds %d rows, limit 16", len(c.rows))
		}
	}
	if st, ok := c.get("99"); !ok || st.version != 99 {
		t.Fatal("the latest row is missing")
	}
	c.put("99", nil)
	if _, ok := c.get("99"); ok {
		t.Fatal("a forgotten row is still cached")
	}

	c = newRowCache(1000)
	c.byteLimit = 10 * (300 + rowOverhead)
	for i := range 100 {
		id := fmt.Sprint(i)
		c.put(id, &rowState{value: make([]byte, 300-len(id))})
		if c.bytes > c.byteLimit {
			t.Fatalf("cache holds %d bytes, limit %d", c.bytes, c.byteLimit)
		}
	}
	if _, ok := c.get("99"); !ok || len(c.rows) < 5 {
		t.Fatalf("the byte limit evicted too much: %d rows", len(c.rows))
	}
}
