package orchestrator

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"github.com/godurable/durable/entities"
	"github.com/godurable/durable/history"
)

// An execution that continues as new at once, in the step that brought it events
// carried from the one before, hands those events on: they arrived, nobody consumed them.
func TestContinueAsNewCarriesEventsOfItsOwnStep(t *testing.T) {
	fn := func(ctx *Context, _ []byte) ([]byte, error) { return nil, ctx.ContinueAsNew(1) }
	for _, cold := range []bool{false, true} {
		d := newDriver(t, fn)
		d.cold = cold
		tr := d.turn(
			history.Event{Type: history.EventExecutionStarted, Name: "test", Input: []byte(`0`)},
			history.Event{Type: history.EventEventRaised, Name: "First", Input: []byte(`1`)},
			history.Event{Type: history.EventEventRaised, Name: "second", Input: []byte(`2`)},
		)
		if tr.Status != history.StatusContinuedAsNew || tr.ContinueAsNew == nil {
			t.Fatalf("cold=%v: status %v", cold, tr.Status)
		}
		got := tr.ContinueAsNew.Carry
		if len(got) != 2 || got[0].Name != "First" || string(got[0].Input) != "1" || got[1].Name != "second" {
			t.Fatalf("cold=%v: carried %+v", cold, got)
		}
		// An activation that replays the ended execution finds the same events to carry.
		replayed := NewExecution("inst", fn, Options{})
		replayed.Replay(d.history)
		if u := replayed.Unconsumed(); len(u) != 2 || u[0].Name != "First" || u[1].Name != "second" {
			t.Fatalf("cold=%v: after replay %+v", cold, u)
		}
		replayed.Stop()
	}
}

// Buffered events are carried in the order they arrived, whatever their names.
func TestCarriedEventsKeepArrivalOrder(t *testing.T) {
	fn := func(ctx *Context, _ []byte) ([]byte, error) {
		if _, err := WaitForExternalEvent[int](ctx, "Go").Await(); err != nil {
			return nil, err
		}
		return nil, ctx.ContinueAsNew(1)
	}
	d := newDriver(t, fn)
	d.start(nil)
	names := []string{"b", "a", "c", "a", "b"}
	var evs []history.Event
	for i, n := range names {
		evs = append(evs, history.Event{Type: history.EventEventRaised, Name: n, Input: json.RawMessage(string(rune('0' + i)))})
	}
	evs = append(evs, history.Event{Type: history.EventEventRaised, Name: "Go", Input: []byte(`0`)})
	tr := d.turn(evs...)
	if tr.ContinueAsNew == nil || len(tr.ContinueAsNew.Carry) != len(names) {
		t.Fatalf("carry: %+v", tr.ContinueAsNew)
	}
	for i, ev := range tr.ContinueAsNew.Carry {
		if ev.Name != names[i] || string(ev.Input) != string(rune('0'+i)) {
			t.Fatalf("carried event %d is %s %s, want %s %d", i, ev.Name, ev.Input, names[i], i)
		}
	}
}

// Work that outlives a terminate reports to an execution that has ended: nothing is
// open any more and a step adds nothing to the history.
func TestEndedExecutionTakesNoEvents(t *testing.T) {
	fn := func(ctx *Context, _ []byte) ([]byte, error) {
		return CallActivity[json.RawMessage](ctx, "Slow", nil).Await()
	}
	d := newDriver(t, fn)
	tr := d.start(nil)
	var scheduled int64 = -1
	for _, ev := range tr.Events {
		if ev.Type == history.EventTaskScheduled {
			scheduled = ev.ID
		}
	}
	if scheduled < 0 || !d.exec.IsOpen(scheduled) {
		t.Fatal("activity not scheduled")
	}
	tr = d.turn(history.Event{Type: history.EventExecutionTerminated, Input: []byte(`"stop"`)})
	if tr.Status != history.StatusTerminated {
		t.Fatalf("status %v", tr.Status)
	}
	if d.exec.IsOpen(scheduled) || !d.exec.Ended() {
		t.Fatal("terminated execution still reports its activity open")
	}
	before := len(d.history)
	tr = d.turn(history.Event{Type: history.EventTaskCompleted, TaskID: scheduled, Result: []byte(`1`)})
	if len(tr.Events) != 0 || len(d.history) != before {
		t.Fatalf("ended execution added %v", tr.Events)
	}
	if tr.Status != history.StatusTerminated || string(tr.Output) != `"stop"` {
		t.Fatalf("after the late result: %v %s", tr.Status, tr.Output)
	}
}

// A last turn that sends an event or signals an entity and then returns records those
// actions after the turn's input. Replay finds the code returned before it reaches
// them, and must take them as the code's last actions, not as actions after its end.
func TestLastTurnActionsReplay(t *testing.T) {
	counter := entities.ID{Name: "counter", Key: "k"}
	for name, fn := range map[string]Func{
		"completes": func(ctx *Context, _ []byte) ([]byte, error) {
			return nil, ctx.SendEvent("other", "Ping", 1)
		},
		"continues as new": func(ctx *Context, _ []byte) ([]byte, error) {
			if err := ctx.SignalEntity(counter, "add", 1); err != nil {
				return nil, err
			}
			return nil, ctx.ContinueAsNew(2)
		},
	} {
		d := newDriver(t, fn)
		want := d.start(nil).Status
		replayed := NewExecution("inst", fn, Options{})
		replayed.Replay(d.history)
		if replayed.Status() != want || replayed.fnErr != nil {
			t.Errorf("%s: recorded %v, replayed %v (%v)", name, want, replayed.Status(), replayed.fnErr)
		}
		replayed.Stop()
	}
	// Actions beyond those the code took are still refused.
	fn := func(ctx *Context, _ []byte) ([]byte, error) { return nil, ctx.SendEvent("other", "Ping", 1) }
	d := newDriver(t, fn)
	d.start(nil)
	extra := d.history[len(d.history)-2]
	extra.ID++
	hist := slices.Insert(slices.Clone(d.history), len(d.history)-1, extra)
	replayed := NewExecution("inst", fn, Options{})
	defer replayed.Stop()
	replayed.Replay(hist)
	var nd *NonDeterminismError
	if !errors.As(replayed.fnErr, &nd) || nd.Step != extra.ID {
		t.Fatalf("an action after the code's last one replayed: %v %v", replayed.Status(), replayed.fnErr)
	}
}

// Code that no longer matches its history while it holds entity locks fails, and
// failing releases the locks. The turn that records the failure must record the
// releases before ExecutionCompleted, as a live turn does: nothing follows an end.
func TestRefusedReplayReleasesLocksBeforeItsEnd(t *testing.T) {
	counter := entities.ID{Name: "counter", Key: "k"}
	calling := func(op string) Func {
		return func(ctx *Context, _ []byte) ([]byte, error) {
			if _, err := LockEntities(ctx, counter); err != nil {
				return nil, err
			}
			return CallEntity[json.RawMessage](ctx, counter, op, nil).Await()
		}
	}
	e := NewExecution("inst", calling("add"), Options{})
	hist := e.Step([]history.Event{{Type: history.EventOrchestratorStarted}, {Type: history.EventExecutionStarted, Name: "test"}}).Events
	lock := hist[len(hist)-1]
	hist = append(hist, e.Step([]history.Event{{Type: history.EventOrchestratorStarted}, {Type: history.EventEntityLockGranted, TaskID: lock.ID}}).Events...)
	e.Stop()

	changed := NewExecution("inst", calling("subtract"), Options{})
	defer changed.Stop()
	changed.Replay(hist)
	tr := changed.Step([]history.Event{{Type: history.EventOrchestratorStarted}})
	n := len(tr.Events)
	if tr.Status != history.StatusFailed || n < 3 || tr.Events[n-2].Type != history.EventEntityUnlockSent ||
		tr.Events[n-1].Type != history.EventExecutionCompleted {
		t.Fatalf("turn after the refusal: %v %+v", tr.Status, tr.Events)
	}
}
