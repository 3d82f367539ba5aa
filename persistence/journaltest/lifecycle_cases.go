package journaltest

import (
	"bytes"
	"fmt"
	"slices"
	"time"

	"github.com/godurable/durable/history"
	"github.com/godurable/durable/persistence"
)

// populate gives an instance one of everything the journal stores for it.
func populate(h *harness, id string) {
	b := create(id, events(0, 2)...)
	b.SetInput, b.SetOutput = []byte(`"in"`), []byte(`"out"`)
	b.ArmTimers = []persistence.Timer{{InstanceID: id, ID: 1, FireAt: at(time.Second)}, {InstanceID: id, ID: 2, FireAt: at(time.Minute)}}
	b.Recover = ptr(true)
	b.Send = []persistence.Message{{ID: 1, To: "peer"}, {ID: 2, To: "peer"}}
	h.mustAppend(b)
	h.mustAppend(&persistence.Batch{InstanceID: id, ExpectedVersion: 1, Events: events(2, 1)})
}

// testDelete also checks that ids which extend one another ("a", "ab", "a b") keep
// separate records.
func testDelete(h *harness) {
	ids := []string{"a", "a b", "ab"}
	for _, id := range ids {
		populate(h, id)
	}
	h.mustAppend(&persistence.Batch{InstanceID: "a", ExpectedVersion: 2, Delete: true})
	_, _, err := h.j.Load(h.ctx, "a")
	h.wantErr("Load after Delete", err, persistence.ErrNotFound)
	_, err = h.j.Get(h.ctx, "a", true)
	h.wantErr("Get after Delete", err, persistence.ErrNotFound)

	var timerOwners []string
	for _, t := range h.timers(at(time.Hour), 0) {
		timerOwners = append(timerOwners, t.InstanceID)
	}
	h.equal("timer owners", timerOwners, []string{"a b", "ab", "a b", "ab"})
	h.equal("recoverable", h.recoverable(), []string{"a b", "ab"})
	var senders []string
	for _, m := range h.outbox() {
		senders = append(senders, m.From)
	}
	h.equal("senders", senders, []string{"a b", "a b", "ab", "ab"})
	list, _, err := h.j.List(h.ctx, persistence.Query{})
	if err != nil {
		h.t.Fatal(err)
	}
	h.equal("listed", len(list), 2)
	for _, id := range ids[1:] {
		inst, evs := h.load(id)
		h.equal(id+" history", len(evs), 3)
		h.equal(id+" input", string(inst.Input), `"in"`)
	}

	// The id is free again, and nothing of the old instance shows through.
	h.mustAppend(create("a", events(7, 1)...))
	inst, evs := h.load("a")
	h.equal("version of the new instance", inst.Version, uint64(1))
	h.equal("history of the new instance", eventIDs(evs), []int64{7})
	h.equal("input of the new instance", len(inst.Input), 0)

	h.mustAppend(&persistence.Batch{InstanceID: "never-existed", Delete: true})
}

func testDeleteFenced(h *harness) {
	populate(h, "keep")
	h.wantErr("stale delete", h.append(&persistence.Batch{InstanceID: "keep", ExpectedVersion: 1, Delete: true}),
		persistence.ErrVersionConflict)
	_, evs := h.load("keep")
	h.equal("history", len(evs), 3)
}

func testResetHistory(h *harness) {
	const id = "reset"
	h.mustAppend(create(id, events(0, 3)...))
	h.mustAppend(&persistence.Batch{InstanceID: id, ExpectedVersion: 1, Events: events(3, 2)})
	next := row(id, "Orch", history.StatusRunning)
	next.ExecutionID = "second"
	h.mustAppend(&persistence.Batch{InstanceID: id, ExpectedVersion: 2, Instance: next, ResetHistory: true, Events: events(100, 2)})
	inst, evs := h.load(id)
	h.equal("history after reset", eventIDs(evs), seq(100, 2))
	h.equal("history length", inst.HistoryLen, 2)
	h.equal("execution", inst.ExecutionID, "second")
	h.equal("version", inst.Version, uint64(3))

	h.mustAppend(&persistence.Batch{InstanceID: id, ExpectedVersion: 3, Events: events(102, 1)})
	_, evs = h.load(id)
	h.equal("history after reset and append", eventIDs(evs), seq(100, 3))

	h.mustAppend(&persistence.Batch{InstanceID: id, ExpectedVersion: 4, ResetHistory: true})
	inst, evs = h.load(id)
	h.equal("history after an empty reset", len(evs), 0)
	h.equal("history length", inst.HistoryLen, 0)
}

// testResetPipelined resets a history whose latest events were appended by an append
// that may share the reset's transaction.
func testResetPipelined(h *harness) {
	const id = "reset-pipelined"
	chans := []<-chan error{
		h.submit(create(id, events(0, 2)...)),
		h.submit(&persistence.Batch{InstanceID: id, ExpectedVersion: 1, Events: events(2, 2)}),
		h.submit(&persistence.Batch{InstanceID: id, ExpectedVersion: 2, ResetHistory: true, Events: events(50, 1)}),
		h.submit(&persistence.Batch{InstanceID: id, ExpectedVersion: 3, Events: events(51, 1)}),
	}
	for i, ch := range chans {
		if err := h.wait(ch); err != nil {
			h.t.Fatalf("append %d: %v", i, err)
		}
	}
	_, evs := h.load(id)
	h.equal("history", eventIDs(evs), seq(50, 2))
}

func testPayloads(h *harness) {
	const id = "payloads"
	h.mustAppend(&persistence.Batch{InstanceID: id, Instance: row(id, "P", history.StatusRunning), SetInput: []byte(`{"x":1}`)})
	h.mustAppend(&persistence.Batch{InstanceID: id, ExpectedVersion: 1, SetOutput: []byte(`[true]`)})
	bare := h.get(id, false)
	if bare.Input != nil || bare.Output != nil {
		h.t.Fatalf("Get without payloads returned input %q, output %q", bare.Input, bare.Output)
	}
	full := h.get(id, true)
	h.equal("input", string(full.Input), `{"x":1}`)
	h.equal("output", string(full.Output), `[true]`)

	h.mustAppend(&persistence.Batch{InstanceID: id, ExpectedVersion: 2, SetInput: []byte(`"replaced"`)})
	inst, _ := h.load(id)
	h.equal("replaced input", string(inst.Input), `"replaced"`)
	h.equal("kept output", string(inst.Output), `[true]`)
}

// testPayloadSizes replaces payloads with larger, smaller and empty ones, across any
// size up to which a journal might keep them next to the row: every read returns the
// latest, and an empty payload reads as none.
func testPayloadSizes(h *harness) {
	const id = "payload-sizes"
	large := func(c byte) []byte { return append(append([]byte(`"`), bytes.Repeat([]byte{c}, 100<<10)...), '"') }
	steps := []struct{ input, output []byte }{
		{[]byte(`"small"`), []byte{}},
		{nil, large('o')},
		{large('i'), []byte(`1`)},
		{[]byte(`2`), large('p')},
		{[]byte{}, nil},
		{nil, []byte{}},
		{large('j'), nil},
	}
	var in, out []byte
	for v, s := range steps {
		b := &persistence.Batch{InstanceID: id, ExpectedVersion: uint64(v), SetInput: s.input, SetOutput: s.output}
		if v == 0 {
			b.Instance = row(id, "P", history.StatusRunning)
		}
		h.mustAppend(b)
		if s.input != nil {
			in = s.input
		}
		if s.output != nil {
			out = s.output
		}
		loaded, _ := h.load(id)
		got := h.get(id, true)
		page, _, err := h.j.List(h.ctx, persistence.Query{IDPrefix: id, WithPayloads: true})
		if err != nil || len(page) != 1 {
			h.t.Fatalf("step %d: List: %d instances, %v", v, len(page), err)
		}
		for what, inst := range map[string]*persistence.Instance{"Load": loaded, "Get": got, "List": page[0]} {
			if !bytes.Equal(inst.Input, in) || !bytes.Equal(inst.Output, out) {
				h.t.Fatalf("step %d: %s returned input %.12q (%d bytes), output %.12q (%d bytes); want %.12q (%d), %.12q (%d)",
					v, what, inst.Input, len(inst.Input), inst.Output, len(inst.Output), in, len(in), out, len(out))
			}
		}
	}
}

func testNotFound(h *harness) {
	_, _, err := h.j.Load(h.ctx, "missing")
	h.wantErr("Load", err, persistence.ErrNotFound)
	_, err = h.j.Get(h.ctx, "missing", false)
	h.wantErr("Get", err, persistence.ErrNotFound)
	_, err = h.j.Get(h.ctx, "missing", true)
	h.wantErr("Get with payloads", err, persistence.ErrNotFound)
}

// testClose closes the journal while appends are still queued: Close must answer all
// of them before it returns, and reject everything afterwards.
func testClose(h *harness) {
	const n = 50
	answered := make(chan error, n)
	for i := range n {
		h.submitHook(create(fmt.Sprintf("closing-%02d", i)), func(err error) { answered <- err })
	}
	if err := h.j.Close(); err != nil {
		h.t.Fatalf("Close: %v", err)
	}
	if len(answered) != n {
		h.t.Fatalf("Close returned with %d of %d appends answered", len(answered), n)
	}
	for range n {
		if err := <-answered; err != nil {
			h.t.Fatalf("append queued before Close: %v", err)
		}
	}
	h.wantErr("Append after Close", h.append(create("late")), persistence.ErrClosed)
	_, _, err := h.j.Load(h.ctx, "closing-00")
	h.wantErr("Load after Close", err, persistence.ErrClosed)
	_, err = h.j.Get(h.ctx, "closing-00", false)
	h.wantErr("Get after Close", err, persistence.ErrClosed)
	_, _, err = h.j.List(h.ctx, persistence.Query{})
	h.wantErr("List after Close", err, persistence.ErrClosed)
	_, err = h.j.Timers(h.ctx, base, 0)
	h.wantErr("Timers after Close", err, persistence.ErrClosed)
	h.wantErr("Recoverable after Close", h.j.Recoverable(h.ctx, func(string) error { return nil }), persistence.ErrClosed)
	h.wantErr("Outbox after Close", h.j.Outbox(h.ctx, func(persistence.Message) error { return nil }), persistence.ErrClosed)
}

// testCallersOwnReturned scribbles over everything the journal returned and reads again.
func testCallersOwnReturned(h *harness) {
	populate(h, "own")
	h.mustAppend(&persistence.Batch{InstanceID: "own", ExpectedVersion: 2, Instance: fullRow("own"), Events: fullEvents("own")})
	inst, evs := h.load("own")
	want, wantEvents := snapshot(inst, evs)

	scribble(inst.Input, inst.Output, inst.CustomStatus)
	inst.Failure.Message, inst.Failure.Inner.Message, inst.Parent.Name = "x", "x", "x"
	for i := range evs {
		scribble(evs[i].Input, evs[i].Result)
		if evs[i].Failure != nil {
			evs[i].Failure.Message = "x"
		}
		if evs[i].Parent != nil {
			evs[i].Parent.Name = "x"
		}
	}
	evs[0] = history.Event{}
	for _, t := range h.timers(at(time.Hour), 0) {
		scribble(t.Payload)
	}
	_ = h.j.Outbox(h.ctx, func(m persistence.Message) error { scribble(m.Payload); return nil })

	again, againEvents := h.load("own")
	h.equal("row after caller wrote to its copy", normInstance(*again), want)
	h.equal("events after caller wrote to its copy", normAll(againEvents, normEvent), wantEvents)
}

// testJournalKeepsNothing changes a batch after its done ran: the journal must have
// copied or encoded all of it by then.
func testJournalKeepsNothing(h *harness) {
	const id = "kept-nothing"
	b := &persistence.Batch{
		InstanceID: id, Instance: fullRow(id), Events: fullEvents(id),
		SetInput:  []byte(`"input"`),
		ArmTimers: []persistence.Timer{{InstanceID: id, ID: 1, FireAt: base, Payload: []byte(`"timer"`)}},
		Send:      []persistence.Message{{ID: 1, To: "peer", Payload: []byte(`"msg"`)}},
	}
	h.mustAppend(b)
	want, wantEvents := snapshot(h.load(id))

	scribble(b.SetInput, b.Instance.CustomStatus, b.ArmTimers[0].Payload, b.Send[0].Payload)
	b.Instance.Failure.Message = "x"
	for i := range b.Events {
		scribble(b.Events[i].Input, b.Events[i].Result)
	}
	b.Events[0].Name = "x"

	again, againEvents := h.load(id)
	h.equal("row after the caller reused its batch", normInstance(*again), want)
	h.equal("events after the caller reused its batch", normAll(againEvents, normEvent), wantEvents)
	h.equal("timer payload", string(h.timers(base, 0)[0].Payload), `"timer"`)
	h.equal("message payload", string(h.outbox()[0].Payload), `"msg"`)
}

// snapshot returns normalised deep copies, which later writes to the originals cannot
// reach.
func snapshot(inst *persistence.Instance, evs []history.Event) (persistence.Instance, []history.Event) {
	return deepCopyInstance(normInstance(*inst)), normAll(evs, func(e history.Event) history.Event {
		return deepCopyEvent(normEvent(e))
	})
}

func scribble(bufs ...[]byte) {
	for _, b := range bufs {
		for i := range b {
			b[i] = '#'
		}
	}
}

func deepCopyFailure(f *history.Failure) *history.Failure {
	if f == nil {
		return nil
	}
	c := *f
	c.Inner = deepCopyFailure(f.Inner)
	return &c
}

func deepCopyParent(p *history.ParentRef) *history.ParentRef {
	if p == nil {
		return nil
	}
	c := *p
	return &c
}

func deepCopyEvent(e history.Event) history.Event {
	e.Input, e.Result = slices.Clone(e.Input), slices.Clone(e.Result)
	e.Failure, e.Parent = deepCopyFailure(e.Failure), deepCopyParent(e.Parent)
	return e
}

func deepCopyInstance(in persistence.Instance) persistence.Instance {
	in.Input, in.Output, in.CustomStatus = slices.Clone(in.Input), slices.Clone(in.Output), slices.Clone(in.CustomStatus)
	in.Failure, in.Parent = deepCopyFailure(in.Failure), deepCopyParent(in.Parent)
	return in
}
