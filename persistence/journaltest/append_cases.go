package journaltest

import (
	"bytes"
	"fmt"
	"sync"
	"time"

	"github.com/godurable/durable/history"
	"github.com/godurable/durable/persistence"
)

func testRoundTrip(h *harness) {
	const id = "round-trip"
	want := fullRow(id)
	evs := fullEvents(id)
	h.mustAppend(&persistence.Batch{InstanceID: id, Instance: want, SetInput: []byte(`{"in":true}`), Events: evs[:3]})

	inst, got := h.load(id)
	h.rowEqual(inst, want)
	h.equal("version", inst.Version, uint64(1))
	h.equal("history length", inst.HistoryLen, 3)
	h.equal("input", string(inst.Input), `{"in":true}`)
	h.equal("output", len(inst.Output), 0)
	h.eventsEqual(got, evs[:3])

	h.mustAppend(&persistence.Batch{InstanceID: id, ExpectedVersion: 1, Events: evs[3:], SetOutput: []byte(`"out"`)})
	inst, got = h.load(id)
	h.equal("version", inst.Version, uint64(2))
	h.equal("history length", inst.HistoryLen, len(evs))
	h.equal("output", string(inst.Output), `"out"`)
	h.eventsEqual(got, evs)
}

// testHistoryFrom reads history from every position across chunk boundaries.
func testHistoryFrom(h *harness) {
	const id = "history-from"
	h.mustAppend(create(id, events(0, 3)...))
	h.mustAppend(&persistence.Batch{InstanceID: id, ExpectedVersion: 1, Events: events(3, 1)})
	h.mustAppend(&persistence.Batch{InstanceID: id, ExpectedVersion: 2, Events: events(4, 4)})
	for from := -1; from <= 10; from++ {
		got, err := h.j.History(h.ctx, id, from)
		if err != nil {
			h.t.Fatalf("History from %d: %v", from, err)
		}
		start := min(max(from, 0), 8)
		h.equal(fmt.Sprintf("event ids from %d", from), eventIDs(got), seq(start, 8-start))
	}
	_, err := h.j.History(h.ctx, "no-such-instance", 0)
	h.wantErr("history of a missing instance", err, persistence.ErrNotFound)
}

func testRowKept(h *harness) {
	const id = "row-kept"
	want := row(id, "Kept", history.StatusRunning)
	h.mustAppend(&persistence.Batch{InstanceID: id, Instance: want, Events: events(0, 1)})
	h.mustAppend(&persistence.Batch{InstanceID: id, ExpectedVersion: 1, Events: events(1, 1)})
	inst := h.get(id, false)
	h.rowEqual(inst, want)
	h.equal("version", inst.Version, uint64(2))
	h.equal("history length", inst.HistoryLen, 2)

	replaced := row(id, "Kept", history.StatusCompleted)
	replaced.CustomStatus = nil
	h.mustAppend(&persistence.Batch{InstanceID: id, ExpectedVersion: 2, Instance: replaced})
	inst = h.get(id, false)
	h.rowEqual(inst, replaced)
	h.equal("history length", inst.HistoryLen, 2)
}

func testEmptyBatch(h *harness) {
	const id = "empty-batch"
	h.mustAppend(create(id, events(0, 2)...))
	h.mustAppend(&persistence.Batch{InstanceID: id, ExpectedVersion: 1})
	inst, evs := h.load(id)
	h.equal("version", inst.Version, uint64(2))
	h.equal("event ids", eventIDs(evs), seq(0, 2))
}

// testLargeBatch appends about 2 MB in one batch: more than one stored value is likely
// to hold, still one atomic append.
func testLargeBatch(h *harness) {
	const id = "large-batch"
	evs := events(0, 4000)
	for i := range evs {
		evs[i].Input = bytes.Repeat([]byte{'a' + byte(i%26)}, 500)
	}
	h.mustAppend(create(id, evs...))
	h.mustAppend(&persistence.Batch{InstanceID: id, ExpectedVersion: 1, Events: events(4000, 1)})
	inst, got := h.load(id)
	h.equal("history length", inst.HistoryLen, 4001)
	h.eventsEqual(got[:4000], evs)
	h.equal("last event", got[4000].ID, int64(4000))
}

func testFencing(h *harness) {
	const id = "fenced"
	h.wantErr("append to a missing instance at version 3",
		h.append(&persistence.Batch{InstanceID: id, ExpectedVersion: 3, Instance: row(id, "X", history.StatusRunning)}),
		persistence.ErrVersionConflict)
	_, err := h.j.Get(h.ctx, id, false)
	h.wantErr("Get after a fenced create", err, persistence.ErrNotFound)

	h.mustAppend(create(id, events(0, 1)...))
	h.wantErr("second create", h.append(create(id, events(1, 1)...)), persistence.ErrVersionConflict)
	h.wantErr("future version", h.append(&persistence.Batch{InstanceID: id, ExpectedVersion: 2}), persistence.ErrVersionConflict)
	h.mustAppend(&persistence.Batch{InstanceID: id, ExpectedVersion: 1, Events: events(1, 1)})
	h.wantErr("stale version", h.append(&persistence.Batch{InstanceID: id, ExpectedVersion: 1}), persistence.ErrVersionConflict)

	inst, evs := h.load(id)
	h.equal("version", inst.Version, uint64(2))
	h.equal("event ids", eventIDs(evs), seq(0, 2))
}

func testFencedAppliesNothing(h *harness) {
	const id = "fenced-nothing"
	h.mustAppend(&persistence.Batch{InstanceID: id, Instance: row(id, "Orch", history.StatusRunning),
		SetInput: []byte(`1`), Events: events(0, 2)})
	before, beforeEvents := h.load(id)

	stale := &persistence.Batch{
		InstanceID: id, ExpectedVersion: 0, Instance: row(id, "Other", history.StatusFailed),
		SetInput: []byte(`2`), SetOutput: []byte(`3`), ResetHistory: true, Events: events(10, 3),
		ArmTimers: []persistence.Timer{{InstanceID: id, ID: 1, FireAt: base}},
		Recover:   ptr(true),
		Send:      []persistence.Message{{ID: 1, To: "x", Payload: []byte(`{}`)}},
	}
	h.wantErr("stale batch", h.append(stale), persistence.ErrVersionConflict)
	stale.Delete, stale.ExpectedVersion = true, 7
	h.wantErr("stale delete", h.append(stale), persistence.ErrVersionConflict)

	after, afterEvents := h.load(id)
	h.equal("row", normInstance(*after), normInstance(*before))
	h.eventsEqual(afterEvents, beforeEvents)
	h.equal("timers", len(h.timers(at(time.Hour), 0)), 0)
	h.equal("recoverable", len(h.recoverable()), 0)
	h.equal("outbox", len(h.outbox()), 0)
}

// testAtomicVisibility loads while a writer appends batches of varying size: every
// load must see whole batches, never a row ahead of or behind its history.
func testAtomicVisibility(h *harness) {
	const id, batches = "atomic", 60
	size := func(v int) int { return v%4 + 1 } // events in batch v (0-based)
	h.mustAppend(create(id, events(0, size(0))...))
	stop := make(chan struct{})
	var wg sync.WaitGroup
	failures := make(chan string, 1)
	for range 2 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if msg := checkWhole(h, id, size); msg != "" {
					select {
					case failures <- msg:
					default:
					}
					return
				}
			}
		})
	}
	n := size(0)
	for v := 1; v < batches; v++ {
		h.mustAppend(&persistence.Batch{InstanceID: id, ExpectedVersion: uint64(v), Events: events(n, size(v))})
		n += size(v)
	}
	close(stop)
	wg.Wait()
	select {
	case msg := <-failures:
		h.t.Fatal(msg)
	default:
	}
}

// checkWhole is called off the test goroutine, so it reports rather than fails.
func checkWhole(h *harness, id string, size func(int) int) string {
	inst, evs, err := h.j.Load(h.ctx, id)
	if err != nil {
		return fmt.Sprintf("Load: %v", err)
	}
	want := 0
	for v := range int(inst.Version) {
		want += size(v)
	}
	if len(evs) != want || inst.HistoryLen != want {
		return fmt.Sprintf("at version %d: %d events, history length %d, want %d", inst.Version, len(evs), inst.HistoryLen, want)
	}
	for i, e := range evs {
		if e.ID != int64(i) {
			return fmt.Sprintf("event %d has id %d", i, e.ID)
		}
	}
	return ""
}

// testPipelinedOrder submits a run of appends without waiting for any: each names the
// version the previous one creates, so all succeed only if applied in call order. Their
// done calls must come in that order too. Appends to other instances are interleaved so
// that a group-committing journal mixes them into the same transactions.
func testPipelinedOrder(h *harness) {
	const id, n = "pipelined", 100
	var mu sync.Mutex
	var order []int
	chans := make([]<-chan error, n)
	for i := range n {
		b := &persistence.Batch{InstanceID: id, ExpectedVersion: uint64(i), Events: events(i, 1)}
		if i == 0 {
			b.Instance = row(id, "Orch", history.StatusRunning)
		}
		chans[i] = h.submitHook(b, func(error) {
			mu.Lock()
			order = append(order, i)
			mu.Unlock()
		})
		other := fmt.Sprintf("%s-other-%d", id, i)
		h.submit(&persistence.Batch{InstanceID: other, Instance: row(other, "O", history.StatusRunning)})
	}
	for i, ch := range chans {
		if err := h.wait(ch); err != nil {
			h.t.Fatalf("append %d: %v", i, err)
		}
	}
	inst, evs := h.load(id)
	h.equal("version", inst.Version, uint64(n))
	h.equal("event ids", eventIDs(evs), seq(0, n))
	mu.Lock()
	defer mu.Unlock()
	for i, got := range order {
		if got != i {
			h.t.Fatalf("done calls out of order: %v", order)
		}
	}
}

// testConflictIsolated mixes one bad append into many good ones submitted together,
// including a later append of the same instance that must not be affected.
func testConflictIsolated(h *harness) {
	const n, bad = 20, 7
	for i := range n {
		h.mustAppend(create(fmt.Sprintf("iso-%02d", i)))
	}
	chans := make([]<-chan error, n)
	for i := range n {
		v := uint64(1)
		if i == bad {
			v = 5
		}
		chans[i] = h.submit(&persistence.Batch{InstanceID: fmt.Sprintf("iso-%02d", i), ExpectedVersion: v, Events: events(0, 1)})
	}
	after := h.submit(&persistence.Batch{InstanceID: fmt.Sprintf("iso-%02d", bad), ExpectedVersion: 1, Events: events(0, 2)})
	for i, ch := range chans {
		err := h.wait(ch)
		if i == bad {
			h.wantErr("bad append", err, persistence.ErrVersionConflict)
		} else if err != nil {
			h.t.Fatalf("append %d: %v", i, err)
		}
	}
	if err := h.wait(after); err != nil {
		h.t.Fatalf("append after the conflict: %v", err)
	}
	_, evs := h.load(fmt.Sprintf("iso-%02d", bad))
	h.equal("events of the conflicted instance", eventIDs(evs), seq(0, 2))
}

func testConcurrentInstances(h *harness) {
	const workers, turns = 24, 20
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			id := fmt.Sprintf("concurrent-%02d", w)
			for v := range turns {
				b := &persistence.Batch{InstanceID: id, ExpectedVersion: uint64(v), Events: events(3*v, 3)}
				if v == 0 {
					b.Instance = row(id, "Orch", history.StatusRunning)
				}
				if err := persistence.AppendSync(h.ctx, h.j, b); err != nil {
					errs <- fmt.Errorf("%s turn %d: %w", id, v, err)
					return
				}
				if _, _, err := h.j.Load(h.ctx, id); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		h.t.Fatal(err)
	}
	for w := range workers {
		inst, evs := h.load(fmt.Sprintf("concurrent-%02d", w))
		h.equal("version", inst.Version, uint64(turns))
		h.equal("event ids", eventIDs(evs), seq(0, 3*turns))
	}
}
