package orchestrator

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/godurable/durable/entities"
	"github.com/godurable/durable/history"
)

// wide uses every kind of work an orchestration can wait on, so that the fuzzer has a
// history to mutate beyond the golden activity chains: an event wait with a timeout,
// a retried activity, a sub-orchestration, an entity locked and called, a signal, a
// sent event and, with input 0, a continue-as-new that carries an unconsumed event.
func wide(ctx *Context, input []byte) ([]byte, error) {
	_ = ctx.SetCustomStatus("started")
	got, err := WaitForExternalEvent[string](ctx, "Go", WithTimeout(time.Hour)).Await()
	if err != nil {
		return nil, err
	}
	r, err := CallActivity[string](ctx, "Flaky", got, WithRetry(RetryPolicy{MaxAttempts: 3, FirstInterval: time.Minute})).Await()
	if err != nil {
		return nil, err
	}
	child, err := CallSubOrchestrator[string](ctx, "Child", r).Await()
	if err != nil {
		return nil, err
	}
	counter := entities.ID{Name: "counter", Key: "k"}
	cs, err := LockEntities(ctx, counter)
	if err != nil {
		return nil, err
	}
	n, err := CallEntity[int](ctx, counter, "add", 1).Await()
	cs.Release()
	if err != nil {
		return nil, err
	}
	if err := ctx.SignalEntity(counter, "reset", nil); err != nil {
		return nil, err
	}
	if err := ctx.SendEvent("other", "Ping", n); err != nil {
		return nil, err
	}
	if string(input) == "0" {
		return nil, ctx.ContinueAsNew(1)
	}
	return json.Marshal(child + ctx.NewGUID())
}

// answer returns what a runtime would append for the work ev scheduled, or false for
// work that needs no answer. Flaky fails on its first attempt; timers fire if they are
// due before horizon.
func answer(ev history.Event, horizon time.Time, attempts map[string]int) (history.Event, bool) {
	done := history.Event{TaskID: ev.ID}
	switch ev.Type {
	case history.EventTaskScheduled:
		if attempts[ev.Name]++; ev.Name == "Flaky" && attempts[ev.Name] == 1 {
			done.Type, done.Failure = history.EventTaskFailed, &history.Failure{ErrorType: "*errors.errorString", Message: "flaky"}
			return done, true
		}
		done.Type, done.Result = history.EventTaskCompleted, []byte(`"done"`)
	case history.EventSubOrchestrationCreated:
		done.Type, done.Result = history.EventSubOrchestrationCompleted, []byte(`"child"`)
	case history.EventTimerCreated:
		if !ev.FireAt.Before(horizon) {
			return done, false
		}
		done.Type, done.FireAt = history.EventTimerFired, ev.FireAt
	case history.EventEntityLockRequested:
		done.Type = history.EventEntityLockGranted
	case history.EventEntityOperationCalled:
		done.Type, done.Result = history.EventEntityOperationCompleted, []byte(`1`)
	default:
		return done, false
	}
	return done, true
}

// recordWide runs wide live against answer and returns its history.
func recordWide(tb testing.TB) []history.Event {
	e := NewExecution("inst", wide, Options{Logger: slog.New(slog.DiscardHandler)})
	defer e.Stop()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	next := []history.Event{
		{Type: history.EventExecutionStarted, Name: "wide", Input: []byte(`0`)},
		{Type: history.EventEventRaised, Name: "Extra", Input: []byte(`"carried"`)},
	}
	attempts := map[string]int{}
	var hist []history.Event
	for turn := 0; len(next) > 0 && turn < 50; turn++ {
		now = now.Add(time.Second)
		tr := e.Step(append([]history.Event{{Type: history.EventOrchestratorStarted, Time: now}}, next...))
		hist = append(hist, tr.Events...)
		next = nil
		if turn == 0 {
			next = append(next, history.Event{Type: history.EventEventRaised, Name: "go", Input: []byte(`"now"`)})
		}
		for _, ev := range tr.Events {
			// The event wait's timeout, an hour away, must not fire before the event.
			if done, ok := answer(ev, now.Add(time.Hour), attempts); ok {
				next = append(next, done)
			}
		}
	}
	if e.Status() != history.StatusContinuedAsNew {
		tb.Fatalf("recording wide ended %v %+v", e.Status(), e.failure)
	}
	return hist
}

// fuzzCase is code the fuzzer replays histories with, next to the history it recorded.
type fuzzCase struct {
	name string
	fn   Func
	hist []history.Event
}

func fuzzCases(tb testing.TB) []fuzzCase {
	var cases []fuzzCase
	for _, name := range []string{"chain", "fanout", "timer-race"} {
		b, err := os.ReadFile(goldenPath("good", name))
		if err != nil {
			tb.Fatal(err)
		}
		var hist []history.Event
		if err := json.Unmarshal(b, &hist); err != nil {
			tb.Fatal(err)
		}
		cases = append(cases, fuzzCase{name, goldenOrchestrators[name], hist})
	}
	return append(cases, fuzzCase{"wide", wide, recordWide(tb)})
}

// What the mutations draw from: the names, ids and payloads the histories hold, and a
// few they do not (invalid JSON among them).
var (
	fuzzNames    = []string{"", "F1", "F2", "F3", "Flaky", "Child", "Go", "go", "Extra", "add", "lock", "unlock", "test", "wide"}
	fuzzIDs      = []string{"", "inst", "inst:3", "@counter@k", "@counter@", "other"}
	fuzzPayloads = [][]byte{nil, []byte(`"x"`), []byte(`1`), []byte(`{`), []byte(`null`), []byte(`[]`), []byte(`"F1(x)"`), []byte(`{"a":1}`), []byte("\"\xff\"")}
	fuzzFailures = []*history.Failure{nil, {Message: "m"}, {Message: "fatal", NonRetriable: true}, {}, {Message: "outer", Inner: &history.Failure{Message: "inner"}}}
)

// mutate applies the edits program encodes, three bytes each: which edit, to which
// event, and with what. Edits replace fields rather than change what they point to, so
// the golden histories stay intact.
func mutate(h []history.Event, program []byte) []history.Event {
	h = slices.Clone(h)
	for ; len(program) >= 3; program = program[3:] {
		op, arg := program[0], program[2]
		if len(h) == 0 {
			h = append(h, history.Event{Type: history.EventType(arg % 26)})
			continue
		}
		i := int(program[1]) % len(h)
		ev := &h[i]
		switch op % 17 {
		case 0: // drop
			h = slices.Delete(h, i, i+1)
		case 1: // duplicate
			h = slices.Insert(h, i, h[i])
		case 2: // swap
			j := int(arg) % len(h)
			h[i], h[j] = h[j], h[i]
		case 3: // move
			moved := h[i]
			h = slices.Delete(h, i, i+1)
			h = slices.Insert(h, int(arg)%(len(h)+1), moved)
		case 4: // cut the history short
			h = h[:i]
		case 5: // insert an event of any type, unknown ones (0, 25) included
			h = slices.Insert(h, i, history.Event{Type: history.EventType(arg % 26), ID: int64(arg % 8), TaskID: int64(arg % 8)})
		case 6:
			ev.Type = history.EventType(arg % 26)
		case 7:
			ev.ID = int64(int8(arg))
		case 8:
			ev.TaskID = int64(int8(arg))
		case 9:
			ev.Name = fuzzNames[int(arg)%len(fuzzNames)]
		case 10:
			ev.InstanceID = fuzzIDs[int(arg)%len(fuzzIDs)]
		case 11:
			ev.Input = fuzzPayloads[int(arg)%len(fuzzPayloads)]
		case 12:
			ev.Result = fuzzPayloads[int(arg)%len(fuzzPayloads)]
		case 13:
			ev.Failure = fuzzFailures[int(arg)%len(fuzzFailures)]
		case 14:
			ev.Time = ev.Time.Add(time.Duration(int8(arg)) * time.Minute)
		case 15:
			ev.FireAt = ev.FireAt.Add(time.Duration(int8(arg)) * time.Minute)
		case 16:
			ev.Status = history.RuntimeStatus(arg % 10)
		}
	}
	return h
}

// outcome is everything a replay and the turns after it produced, compared between two
// runs of one input to prove replay deterministic.
type outcome struct {
	ReplayStatus history.RuntimeStatus
	ReplayError  string
	Turns        []Turn
}

// replayAndStep replays the first split events of h with fn, steps the rest as a new
// turn, then runs up to three more turns that complete whatever is open, checking each
// turn against the contract of Step.
func replayAndStep(t *testing.T, fn Func, h []history.Event, split int) outcome {
	e := NewExecution("inst", fn, Options{Logger: slog.New(slog.DiscardHandler)})
	defer e.Stop()
	e.Replay(h[:split])
	out := outcome{ReplayStatus: e.Status()}
	if e.fnErr != nil {
		out.ReplayError = e.fnErr.Error()
	}
	checkEnd(t, e, "replay")
	var nd *NonDeterminismError
	if errors.As(e.fnErr, &nd) && e.Status() != history.StatusFailed {
		t.Fatalf("replay refused the history (%v) but the status is %v", nd, e.Status())
	}

	now := time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)
	in := slices.Clone(h[split:])
	if len(in) == 0 {
		in = []history.Event{{Type: history.EventOrchestratorStarted, Time: now}}
	}
	for turn := 0; turn < 4; turn++ {
		out.Turns = append(out.Turns, step(t, e, in))
		if e.Ended() {
			break
		}
		now = now.Add(time.Minute)
		in = []history.Event{{Type: history.EventOrchestratorStarted, Time: now}, {Type: history.EventEventRaised, Name: "Go", Input: []byte(`"late"`)}}
		for _, ev := range e.Open() {
			if done, ok := answer(ev, maxTime, map[string]int{}); ok {
				in = append(in, done)
			}
		}
	}
	return out
}

// step runs one turn and checks it: the turn echoes its input, then adds the actions
// the code took (scheduling events in sequence order) and, if the execution ended in
// this turn, one ExecutionCompleted that says how. An execution that had already ended
// adds nothing.
func step(t *testing.T, e *Execution, in []history.Event) Turn {
	t.Helper()
	endedBefore := e.Ended() && !e.unrecorded
	tr := e.Step(slices.Clone(in))
	checkEnd(t, e, "step")
	if tr.Status != e.Status() {
		t.Fatalf("turn reports %v, execution %v", tr.Status, e.Status())
	}
	if endedBefore {
		if len(tr.Events) != 0 {
			t.Fatalf("ended execution added %+v", tr.Events)
		}
		return tr
	}
	if len(tr.Events) < len(in) || !slices.EqualFunc(tr.Events[:len(in)], in, func(a, b history.Event) bool {
		return a.Type == b.Type && a.ID == b.ID && a.TaskID == b.TaskID && a.Name == b.Name
	}) {
		t.Fatalf("turn does not begin with its input:\n%+v\n%+v", in, tr.Events)
	}
	added := tr.Events[len(in):]
	if e.Ended() {
		if len(added) == 0 {
			t.Fatalf("execution ended %v without an ExecutionCompleted", tr.Status)
		}
		last := added[len(added)-1]
		if last.Type != history.EventExecutionCompleted || last.Status != tr.Status ||
			!reflect.DeepEqual(last.Failure, tr.Failure) || !bytes.Equal(last.Result, tr.Output) {
			t.Fatalf("execution ended %v %+v %s, recorded as %+v", tr.Status, tr.Failure, tr.Output, last)
		}
		added = added[:len(added)-1]
	}
	for i, ev := range added {
		if !ev.Type.IsScheduling() || (i > 0 && ev.ID <= added[i-1].ID) {
			t.Fatalf("turn added %v (id %d) after %+v", ev.Type, ev.ID, added[:i])
		}
	}
	return tr
}

// checkEnd checks the state an execution is in: a known status, and for a failure, a
// failure recorded from an error the engine or the code returned. The orchestrators
// under test never panic, so a PanicError is the engine panicking inside the code's
// coroutine, which recoverBody would otherwise pass off as the code's failure.
func checkEnd(t *testing.T, e *Execution, when string) {
	t.Helper()
	switch e.Status() {
	case history.StatusPending, history.StatusRunning, history.StatusSuspended, history.StatusCompleted,
		history.StatusFailed, history.StatusTerminated, history.StatusContinuedAsNew:
	default:
		t.Fatalf("after %s: status %v", when, e.Status())
	}
	var pe *PanicError
	if errors.As(e.fnErr, &pe) {
		t.Fatalf("after %s: %v\n%s", when, pe, pe.Stack)
	}
	if e.Status() == history.StatusFailed && (e.failure == nil || e.failure.Message == "") {
		t.Fatalf("after %s: failed without a failure: %+v", when, e.failure)
	}
}

// maxTime is after every timer: live turns fire whatever is armed.
var maxTime = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

// FuzzReplay replays mutated histories: the golden ones and wide's, with events
// dropped, duplicated, swapped, moved or inserted and their types, ids, names and
// payloads changed, replayed by their own code or another's, cut at any point into
// replay and a live turn. Neither Replay, Step nor Stop may panic; the execution ends
// in a known status, failing with a recorded error (a NonDeterminismError when the
// code no longer matches) rather than a panic; every turn keeps Step's contract; and
// the same input gives the same outcome twice. An unmutated history replays to the
// end it recorded.
func FuzzReplay(f *testing.F) {
	cases := fuzzCases(f)
	for i, c := range cases {
		n := uint8(len(c.hist))
		f.Add(uint8(i), uint8(0), n, []byte{})
		f.Add(uint8(i), uint8(0), n/2, []byte{})
		f.Add(uint8(i), uint8(1), n, []byte{})        // another orchestrator's code
		f.Add(uint8(i), uint8(0), n, []byte{0, 3, 0}) // a step dropped
		f.Add(uint8(i), uint8(0), n, []byte{1, 2, 0, 2, 4, 6})
		f.Add(uint8(i), uint8(0), n, []byte{6, 5, 14, 8, 6, 3, 12, 5, 3})
		f.Add(uint8(i), uint8(0), n, []byte{4, byte(n - 1), 0})  // the end cut off
		f.Add(uint8(i), uint8(0), n, []byte{5, 3, 15, 5, 9, 16}) // suspended, later resumed
	}
	f.Fuzz(func(t *testing.T, which, code, split uint8, program []byte) {
		c := cases[int(which)%len(cases)]
		fn := cases[(int(which)+int(code))%len(cases)].fn
		h := mutate(c.hist, program)
		at := min(int(split), len(h))
		first := replayAndStep(t, fn, h, at)
		if again := replayAndStep(t, fn, h, at); !reflect.DeepEqual(first, again) {
			t.Fatalf("one history, two outcomes:\n%+v\n%+v", first, again)
		}
		if len(program) < 3 && int(code)%len(cases) == 0 && at == len(h) {
			want := c.hist[len(c.hist)-1].Status
			if first.ReplayStatus != want || first.ReplayError != "" {
				t.Fatalf("%s's own history replays to %v (%s), recorded %v", c.name, first.ReplayStatus, first.ReplayError, want)
			}
		}
	})
}
