package badgerjournal_test

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/godurable/durable/history"
	"github.com/godurable/durable/persistence"
	"github.com/godurable/durable/persistence/badgerjournal"
	"github.com/godurable/durable/persistence/journaltest"
)

// The conformance suite again, with everything kept out of rows, and with limits so
// small that histories and payloads cross them in the middle of the cases.
func TestConformanceNothingInline(t *testing.T) {
	journaltest.Run(t, func(t *testing.T) persistence.Journal {
		return open(t, badgerjournal.Config{InMemory: true, MaxInlinePayload: -1, MaxInlineHistory: -1})
	})
}

func TestConformanceTinyInline(t *testing.T) {
	journaltest.Run(t, func(t *testing.T) persistence.Journal {
		return open(t, badgerjournal.Config{InMemory: true, MaxInlinePayload: 8, MaxInlineHistory: 120})
	})
}

// keysOf returns the keys one append writes (sets and deletes), committed alone.
func keysOf(t *testing.T, j *badgerjournal.Journal, b *persistence.Batch) int64 {
	t.Helper()
	before := j.Keys()
	mustAppend(t, j, b)
	return j.Keys() - before
}

// exists reports whether key holds a value.
func exists(t *testing.T, j *badgerjournal.Journal, key []byte) bool {
	t.Helper()
	err := j.DB().View(func(txn *badger.Txn) error {
		_, err := txn.Get(key)
		return err
	})
	if err != nil && !errors.Is(err, badger.ErrKeyNotFound) {
		t.Fatal(err)
	}
	return err == nil
}

// TestKeysPerAppend pins what the runtime's common appends cost, in keys.
func TestKeysPerAppend(t *testing.T) {
	j := open(t, badgerjournal.Config{InMemory: true})
	entityRow := func() *persistence.Instance {
		return &persistence.Instance{Name: "counter", Status: history.StatusRunning, UpdatedAt: time.Now()}
	}

	// An entity checkpoint: its row and its state as the output.
	for v := range 3 {
		b := &persistence.Batch{InstanceID: "@counter@1", ExpectedVersion: uint64(v), Instance: entityRow(),
			SetOutput: fmt.Appendf(nil, "state %d with some padding to look like a record", v)}
		if n := keysOf(t, j, b); n != 1 {
			t.Errorf("entity checkpoint %d wrote %d keys, want 1", v, n)
		}
	}

	// An orchestration of five activities: start, four turns, completion.
	const id = "hello"
	row := &persistence.Instance{Name: "HelloSequence5", Status: history.StatusRunning}
	keys := keysOf(t, j, &persistence.Batch{InstanceID: id, Instance: row, SetInput: []byte{}, SetOutput: []byte{},
		Events:  []history.Event{{Type: history.EventExecutionStarted, Name: "HelloSequence5"}, event(0, `"Tokyo"`)},
		Recover: ptr(true)})
	for v := 1; v <= 4; v++ {
		keys += keysOf(t, j, &persistence.Batch{InstanceID: id, ExpectedVersion: uint64(v), Instance: row,
			Events:  []history.Event{{Type: history.EventTaskCompleted, TaskID: int64(v - 1), Result: []byte(`"Hello!"`)}, event(int64(v), `"city"`)},
			Recover: ptr(true)})
	}
	done := *row
	done.Status = history.StatusCompleted
	keys += keysOf(t, j, &persistence.Batch{InstanceID: id, ExpectedVersion: 5, Instance: &done,
		Events:    []history.Event{{Type: history.EventTaskCompleted, TaskID: 4, Result: []byte(`"Hello!"`)}, {Type: history.EventExecutionCompleted}},
		SetOutput: []byte(`["Hello Tokyo!","Hello Seattle!"]`), Recover: ptr(false)})
	// Row per append, plus setting and clearing the recovery mark, plus the c/ key of
	// its creation.
	if keys != 9 {
		t.Errorf("the orchestration wrote %d keys, want 9", keys)
	}
	inst, events, err := j.Load(t.Context(), id)
	if err != nil || len(events) != 12 || inst.HistoryLen != 12 || string(inst.Output) != `["Hello Tokyo!","Hello Seattle!"]` {
		t.Fatalf("Load: %+v, %d events, %v", inst, len(events), err)
	}

	// Clearing a mark that is not set, emptying a payload that is not stored: nothing.
	if n := keysOf(t, j, &persistence.Batch{InstanceID: id, ExpectedVersion: 6, Recover: ptr(false), SetInput: []byte{}}); n != 1 {
		t.Errorf("a batch that changes nothing stored outside the row wrote %d keys, want 1", n)
	}
}

// TestPayloadMoves switches payloads between the row and their own keys: each read
// returns the latest bytes, and no stale copy is left behind.
func TestPayloadMoves(t *testing.T) {
	j := open(t, badgerjournal.Config{InMemory: true, MaxInlinePayload: 100})
	const id = "moves"
	large := bytes.Repeat([]byte("x"), 101)
	steps := []struct {
		input, output []byte // nil: unchanged
		wantIn        string
		wantOut       string
		external      [2]bool // input, output keys exist
		keys          int64
	}{
		{[]byte(`"small"`), []byte{}, `"small"`, "", [2]bool{}, 2}, // and its c/ key
		{nil, large, `"small"`, string(large), [2]bool{false, true}, 2},
		{large, nil, string(large), string(large), [2]bool{true, true}, 2},
		{nil, []byte(`1`), string(large), `1`, [2]bool{true, false}, 2},
		{nil, []byte(`2`), string(large), `2`, [2]bool{true, false}, 1},
		{[]byte{}, []byte{}, "", "", [2]bool{}, 2},
		{[]byte{}, nil, "", "", [2]bool{}, 1},
	}
	for v, s := range steps {
		b := &persistence.Batch{InstanceID: id, ExpectedVersion: uint64(v), SetInput: s.input, SetOutput: s.output}
		if n := keysOf(t, j, b); n != s.keys {
			t.Errorf("step %d wrote %d keys, want %d", v, n, s.keys)
		}
		ext := [2]bool{exists(t, j, badgerjournal.InputKey(id)), exists(t, j, badgerjournal.OutputKey(id))}
		if ext != s.external {
			t.Errorf("step %d: payload keys exist %v, want %v", v, ext, s.external)
		}
		inst, _, err := j.Load(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := j.Get(t.Context(), id, true)
		list, _, _ := j.List(t.Context(), persistence.Query{IDPrefix: id, WithPayloads: true})
		for what, in := range map[string]*persistence.Instance{"Load": inst, "Get": got, "List": list[0]} {
			if string(in.Input) != s.wantIn || string(in.Output) != s.wantOut {
				t.Errorf("step %d: %s returned input %.10q, output %.10q; want %.10q, %.10q",
					v, what, in.Input, in.Output, s.wantIn, s.wantOut)
			}
		}
	}
	mustAppend(t, j, &persistence.Batch{InstanceID: id, ExpectedVersion: uint64(len(steps)), SetInput: large})
	mustAppend(t, j, &persistence.Batch{InstanceID: id, ExpectedVersion: uint64(len(steps) + 1), Delete: true})
	if exists(t, j, badgerjournal.InputKey(id)) {
		t.Error("Delete left the input")
	}
}

// TestHistoryMovesOut grows a history past MaxInlineHistory, reads it from every
// position on the way, and resets it.
func TestHistoryMovesOut(t *testing.T) {
	j := open(t, badgerjournal.Config{InMemory: true, MaxInlineHistory: 300})
	const id = "grows"
	var all []int64
	for v := range 8 {
		b := &persistence.Batch{InstanceID: id, ExpectedVersion: uint64(v), Events: []history.Event{event(int64(v), `"`+strings.Repeat("e", 40)+`"`)}}
		mustAppend(t, j, b)
		all = append(all, int64(v))
		for from := range len(all) + 1 {
			evs, err := j.History(t.Context(), id, from)
			if err != nil || len(evs) != len(all)-from || (len(evs) > 0 && evs[0].ID != int64(from)) {
				t.Fatalf("after append %d, History from %d: %d events, %v", v, from, len(evs), err)
			}
		}
	}
	chunks := func() int {
		n := 0
		_ = j.DB().View(func(txn *badger.Txn) error {
			prefix := badgerjournal.IDPrefix(badgerjournal.HistoryTag, id)
			it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix})
			defer it.Close()
			for it.Seek(prefix); it.Valid(); it.Next() {
				n++
			}
			return nil
		})
		return n
	}
	// About 70 bytes an event: 4 fit in the row, the 5th moves all 5 into one chunk,
	// the last 3 come one per append.
	if n := chunks(); n != 4 {
		t.Errorf("%d chunks, want 4", n)
	}
	mustAppend(t, j, &persistence.Batch{InstanceID: id, ExpectedVersion: 8, ResetHistory: true, Events: []history.Event{event(100, `1`)}})
	if n := chunks(); n != 0 {
		t.Errorf("%d chunks after a reset, want 0: a short history is back in the row", n)
	}
	if _, evs, err := j.Load(t.Context(), id); err != nil || len(evs) != 1 || evs[0].ID != 100 {
		t.Fatalf("Load after reset: %+v, %v", evs, err)
	}
}

// TestRowTimers: an instance's own timers are listed in its row, up to a limit, and
// need no index keys; others, and those past the limit, have them. Either way
// cancelling and deleting find them.
func TestRowTimers(t *testing.T) {
	j := open(t, badgerjournal.Config{InMemory: true})
	const id = "timers"
	n := badgerjournal.MaxRowTimer + 2
	var arm []persistence.Timer
	for i := range n {
		arm = append(arm, persistence.Timer{ID: int64(i), FireAt: time.Unix(int64(10+i), 0)})
	}
	arm = append(arm, persistence.Timer{InstanceID: "other", ID: 99, FireAt: time.Unix(5, 0)})
	// The row and its c/ key; each timer: its key, plus an index key for the two past
	// the limit and the other's.
	if keys := keysOf(t, j, &persistence.Batch{InstanceID: id, ArmTimers: arm}); keys != int64(2+n+1+2+1) {
		t.Errorf("arming wrote %d keys, want %d", keys, 2+n+1+2+1)
	}
	indexed := func(i int) bool {
		owner, tid := id, int64(i)
		if i == n {
			owner, tid = "other", 99
		}
		return exists(t, j, badgerjournal.IndexKeyOf(badgerjournal.TimerKey(owner, arm[i].FireAt, tid)))
	}
	for i := range arm {
		if want := i >= badgerjournal.MaxRowTimer; indexed(i) != want {
			t.Errorf("timer %d has an index key: %v, want %v", i, indexed(i), want)
		}
	}
	// Cancelling a listed timer deletes its key; an indexed one, its index key too.
	if keys := keysOf(t, j, &persistence.Batch{InstanceID: id, ExpectedVersion: 1, CancelTimers: []persistence.Timer{arm[0], arm[n-1]}}); keys != 1+1+2 {
		t.Errorf("cancelling wrote %d keys, want 4", keys)
	}
	timers, _ := j.Timers(t.Context(), time.Unix(100, 0), 0)
	if len(timers) != n-1 {
		t.Fatalf("%d timers after cancelling 2 of %d", len(timers), n+1)
	}
	// Room in the row again: the next timer is listed.
	extra := persistence.Timer{ID: 1000, FireAt: time.Unix(50, 0)}
	mustAppend(t, j, &persistence.Batch{InstanceID: id, ExpectedVersion: 2, ArmTimers: []persistence.Timer{extra}})
	if exists(t, j, badgerjournal.IndexKeyOf(badgerjournal.TimerKey(id, extra.FireAt, extra.ID))) {
		t.Error("a timer armed with room in the row got an index key")
	}
	mustAppend(t, j, &persistence.Batch{InstanceID: id, ExpectedVersion: 3, Delete: true})
	timers, _ = j.Timers(t.Context(), time.Unix(100, 0), 0)
	if len(timers) != 1 || timers[0].InstanceID != "other" {
		t.Fatalf("timers after Delete: %+v, want only other's", timers)
	}
	// An instance that never existed may still own timers others armed for it.
	mustAppend(t, j, &persistence.Batch{InstanceID: "other", Delete: true})
	if timers, _ = j.Timers(t.Context(), time.Unix(100, 0), 0); len(timers) != 0 {
		t.Fatalf("timers after deleting other: %+v", timers)
	}
}

func TestOldLayoutIsRefused(t *testing.T) {
	dir := t.TempDir()
	j, err := badgerjournal.Open(badgerjournal.Config{Dir: dir, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	if err := j.DB().Update(func(txn *badger.Txn) error { return txn.Set(badgerjournal.FormatKey, []byte("1")) }); err != nil {
		t.Fatal(err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	j, err = badgerjournal.Open(badgerjournal.Config{Dir: dir, Logger: testLogger(t)})
	if err == nil {
		j.Close()
		t.Fatal("a database of layout 1 opened")
	}
	if !errors.Is(err, badgerjournal.ErrLayout) || !strings.Contains(err.Error(), `layout "1"`) || !strings.Contains(err.Error(), "cannot migrate") {
		t.Fatalf("error does not say what is wrong: %v", err)
	}
}

func TestInlineLimitsValidated(t *testing.T) {
	for _, cfg := range []badgerjournal.Config{
		{InMemory: true, MaxInlinePayload: 1 << 20},
		{InMemory: true, MaxInlineHistory: 1 << 20},
	} {
		if j, err := badgerjournal.Open(cfg); err == nil {
			j.Close()
			t.Errorf("Open(%+v) succeeded", cfg)
		}
	}
}

func ptr[T any](v T) *T { return &v }
