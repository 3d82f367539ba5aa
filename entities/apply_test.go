package entities

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	counterA = ID{"Counter", "a"}
	batchNow = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
)

// counterFn is a function entity exercising the whole Context.
func counterFn(ctx *Context) error {
	var n int
	if err := ctx.GetState(&n); err != nil {
		return err
	}
	switch ctx.Operation() {
	case "add":
		var d int
		if err := ctx.Input(&d); err != nil {
			return err
		}
		return ctx.SetState(n + d)
	case "get":
		return ctx.Return(n)
	case "has":
		return ctx.Return(ctx.HasState())
	case "reset":
		ctx.DeleteState()
		return nil
	case "notify": // signals and starts, then succeeds
		if err := ctx.SignalEntity(ID{"Log", "x"}, "append", n); err != nil {
			return err
		}
		id, err := ctx.StartOrchestration("Report", n, WithInstanceID("report-1"))
		if err != nil {
			return err
		}
		return ctx.Return(id)
	case "addThenFail": // changes everything, then fails
		_ = ctx.SetState(n + 1000)
		_ = ctx.SignalEntity(ID{"Log", "x"}, "append", "lost")
		_, _ = ctx.StartOrchestration("Lost", nil)
		_ = ctx.Return("lost")
		return &testError{"insufficient funds"}
	case "addThenPanic":
		_ = ctx.SetState(n + 1000)
		_ = ctx.SignalEntity(ID{"Log", "x"}, "append", "lost")
		panic("boom")
	case "deleteThenFail":
		ctx.DeleteState()
		return errors.New("changed my mind")
	}
	return &UnknownOperationError{Entity: ctx.ID(), Operation: ctx.Operation()}
}

type testError struct{ msg string }

func (e *testError) Error() string { return e.msg }

type fatalError struct{}

func (fatalError) Error() string      { return "fatal" }
func (fatalError) NonRetriable() bool { return true }

func op(name string, input any) Operation {
	if input == nil {
		return Operation{Name: name}
	}
	b, err := json.Marshal(input)
	if err != nil {
		panic(err)
	}
	return Operation{Name: name, Input: b}
}

func outputs(results []Result) []string {
	var out []string
	for _, r := range results {
		switch {
		case r.Failure != nil:
			out = append(out, "!"+r.Failure.ErrorType)
		case r.Output == nil:
			out = append(out, "-")
		default:
			out = append(out, string(r.Output))
		}
	}
	return out
}

func TestApplyFunctionEntity(t *testing.T) {
	for _, tc := range []struct {
		name      string
		state     string // "" = no state
		ops       []Operation
		wantState string // "" = no state
		want      []string
	}{
		{"no ops keep the state", "5", nil, "5", nil},
		{"no state reads as zero", "", []Operation{op("get", nil), op("has", nil)}, "", []string{"0", "false"}},
		{"set then get", "", []Operation{op("add", 2), op("add", 3), op("get", nil), op("has", nil)}, "5", []string{"-", "-", "5", "true"}},
		{"existing state", "10", []Operation{op("add", 1), op("get", nil)}, "11", []string{"-", "11"}},
		{"input omitted leaves the default", "10", []Operation{op("add", nil), op("get", nil)}, "10", []string{"-", "10"}},
		{"delete by the entity", "10", []Operation{op("reset", nil), op("has", nil)}, "", []string{"-", "false"}},
		{"delete then recreate", "10", []Operation{op("reset", nil), op("add", 4)}, "4", []string{"-", "-"}},
		{"built-in delete", "10", []Operation{op("delete", nil), op("has", nil)}, "", []string{"-", "false"}},
		{"built-in delete in any case", "10", []Operation{op("DeLeTe", nil)}, "", []string{"-"}},
		{"built-in delete without state", "", []Operation{op("delete", nil)}, "", []string{"-"}},
		{"unknown operation", "10", []Operation{op("frobnicate", nil), op("get", nil)}, "10", []string{"!*entities.UnknownOperationError", "10"}},
		{"function names are exact", "10", []Operation{op("Add", 1), op("get", nil)}, "10", []string{"!*entities.UnknownOperationError", "10"}},
		{"undecodable input", "10", []Operation{op("add", "two"), op("add", 1)}, "11", []string{"!*entities.DecodeError", "-"}},
		{"malformed input", "10", []Operation{{Name: "add", Input: []byte("{")}, op("get", nil)}, "10", []string{"!*entities.DecodeError", "10"}},
		{"error rolls back", "10", []Operation{op("add", 1), op("addThenFail", nil), op("add", 1)}, "12", []string{"-", "!*entities.testError", "-"}},
		{"panic rolls back", "10", []Operation{op("add", 1), op("addThenPanic", nil), op("add", 1)}, "12", []string{"-", "!panic", "-"}},
		{"failed delete rolls back", "10", []Operation{op("deleteThenFail", nil), op("get", nil)}, "10", []string{"!Error", "10"}},
		{"state that no longer decodes", `"ten"`, []Operation{op("add", 1), op("get", nil)}, `"ten"`, []string{"!*entities.DecodeError", "!*entities.DecodeError"}},
		// counterFn decodes the state before it looks at the operation, so even its
		// "delete" fails; Typed entities look first (see TestTypedCounter).
		{"broken state fails every op", `"ten"`, []Operation{op("add", 1), op("delete", nil)}, `"ten"`, []string{"!*entities.DecodeError", "!*entities.DecodeError"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var state []byte
			if tc.state != "" {
				state = []byte(tc.state)
			}
			got, results := Apply(counterA, counterFn, state, tc.ops, batchNow)
			if string(got) != tc.wantState || (got == nil) != (tc.wantState == "") {
				t.Errorf("state = %q, want %q", got, tc.wantState)
			}
			if o := outputs(results); fmt.Sprint(o) != fmt.Sprint(tc.want) {
				t.Errorf("results = %v, want %v", o, tc.want)
			}
			for i, r := range results {
				if r.Failure != nil && (r.Output != nil || r.Signals != nil || r.Starts != nil) {
					t.Errorf("op %d failed but has effects: %+v", i, r)
				}
			}
		})
	}
}

func TestApplyEffects(t *testing.T) {
	_, results := Apply(counterA, counterFn, []byte("7"), []Operation{op("notify", nil)}, batchNow)
	r := results[0]
	if r.Failure != nil {
		t.Fatal(r.Failure.Message)
	}
	if string(r.Output) != `"report-1"` {
		t.Errorf("output = %s", r.Output)
	}
	want := []Signal{{Target: ID{"Log", "x"}, Operation: "append", Input: []byte("7")}}
	if fmt.Sprint(r.Signals) != fmt.Sprint(want) {
		t.Errorf("signals = %v, want %v", r.Signals, want)
	}
	if len(r.Starts) != 1 || r.Starts[0].Name != "Report" || r.Starts[0].InstanceID != "report-1" || string(r.Starts[0].Input) != "7" {
		t.Errorf("starts = %+v", r.Starts)
	}
}

func TestApplyEffectsInCallOrder(t *testing.T) {
	at := batchNow.Add(time.Hour)
	fn := func(ctx *Context) error {
		for i := range 3 {
			if err := ctx.SignalEntity(ID{"Log", fmt.Sprint(i)}, "append", i, SignalAt(at)); err != nil {
				return err
			}
			if _, err := ctx.StartOrchestration(fmt.Sprint("O", i), nil); err != nil {
				return err
			}
		}
		return nil
	}
	_, results := Apply(counterA, fn, nil, []Operation{op("x", nil), op("y", nil)}, batchNow)
	for _, r := range results {
		if len(r.Signals) != 3 || len(r.Starts) != 3 {
			t.Fatalf("effects = %+v", r)
		}
		for i := range 3 {
			s := r.Signals[i]
			if s.Target.Key != fmt.Sprint(i) || string(s.Input) != fmt.Sprint(i) || !s.At.Equal(at) {
				t.Errorf("signal %d = %+v", i, s)
			}
			if r.Starts[i].Name != fmt.Sprint("O", i) || r.Starts[i].Input != nil {
				t.Errorf("start %d = %+v", i, r.Starts[i])
			}
		}
	}
	if results[0].Starts[0].InstanceID == results[1].Starts[0].InstanceID {
		t.Error("generated instance ids repeat")
	}
}

func TestApplyFailureDescribesTheError(t *testing.T) {
	fn := func(ctx *Context) error {
		switch ctx.Operation() {
		case "plain":
			return errors.New("no luck")
		case "wrapped":
			return fmt.Errorf("while adding: %w", &testError{"overdrawn"})
		case "fatal":
			return fatalError{}
		case "panic":
			panic(fmt.Errorf("bad %d", 42))
		}
		return &UnknownOperationError{Entity: ctx.ID(), Operation: ctx.Operation()}
	}
	ops := []Operation{op("plain", nil), op("wrapped", nil), op("fatal", nil), op("panic", nil), op("frobnicate", nil), op("get", 1)}
	_, results := Apply(ID{"Counter", "a"}, fn, nil, ops, batchNow)
	for i, want := range []struct {
		typ, msg     string
		nonRetriable bool
	}{
		{"Error", "entity @counter@a operation plain: no luck", false},
		{"*entities.testError", "entity @counter@a operation wrapped: while adding: overdrawn", false},
		{"entities.fatalError", "entity @counter@a operation fatal: fatal", true},
		{"panic", "entity @counter@a operation panic: panic: bad 42", false},
		{"*entities.UnknownOperationError", `entity @counter@a has no operation "frobnicate"`, true},
		{"*entities.UnknownOperationError", `entity @counter@a has no operation "get"`, true},
	} {
		f := results[i].Failure
		if f == nil {
			t.Errorf("%s: no failure", ops[i].Name)
			continue
		}
		if f.ErrorType != want.typ || f.Message != want.msg || f.NonRetriable != want.nonRetriable {
			t.Errorf("%s: failure = %+v, want type %q message %q non-retriable %v", ops[i].Name, *f, want.typ, want.msg, want.nonRetriable)
		}
		if (f.ErrorType == "panic") != (f.Stack != "") {
			t.Errorf("%s: stack %q", ops[i].Name, f.Stack)
		}
	}
	if !strings.Contains(results[3].Failure.Stack, "apply_test.go") {
		t.Errorf("panic stack does not show where it panicked:\n%s", results[3].Failure.Stack)
	}
}

func TestApplyDecodeErrorsNameEntityAndOperation(t *testing.T) {
	_, results := Apply(counterA, counterFn, nil, []Operation{op("add", "two")}, batchNow)
	f := results[0].Failure
	if !strings.HasPrefix(f.Message, "entity @counter@a operation add: decode input: ") || !f.NonRetriable {
		t.Errorf("failure = %+v", f)
	}
	_, results = Apply(counterA, counterFn, []byte(`"ten"`), []Operation{op("get", nil)}, batchNow)
	f = results[0].Failure
	if !strings.HasPrefix(f.Message, "entity @counter@a operation get: state does not decode into int: ") {
		t.Errorf("failure = %+v", f)
	}
}

func TestApplyNilFunc(t *testing.T) {
	state, results := Apply(counterA, nil, []byte("1"), []Operation{op("add", 1), op("delete", nil)}, batchNow)
	if state != nil || results[0].Failure == nil || results[1].Failure != nil {
		t.Errorf("state %s, results %v", state, outputs(results))
	}
}

func TestApplyEmptyStateIsNoState(t *testing.T) {
	state, results := Apply(counterA, counterFn, []byte{}, []Operation{op("has", nil)}, batchNow)
	if state != nil || string(results[0].Output) != "false" {
		t.Errorf("state %q, results %v", state, outputs(results))
	}
}

func TestContextAccessors(t *testing.T) {
	var seen []string
	fn := func(ctx *Context) error {
		first, second := ctx.Logger(), ctx.Logger()
		if first == nil || first != second {
			return errors.New("logger is nil or not kept")
		}
		seen = append(seen, fmt.Sprint(ctx.ID(), " ", ctx.Operation(), " ", ctx.Now().Equal(batchNow)))
		return nil
	}
	Apply(counterA, fn, nil, []Operation{op("One", nil), op("two", nil)}, batchNow)
	if want := "[@counter@a One true @counter@a two true]"; fmt.Sprint(seen) != want {
		t.Errorf("seen %v, want %s", seen, want)
	}
}

func TestContextErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		do   func(ctx *Context) error
		want string
	}{
		{"signal bad target", func(ctx *Context) error { return ctx.SignalEntity(ID{"Log", "a/b"}, "x", nil) },
			`entity @counter@a operation op: signal: entity id "@log@a/b": invalid entity key "a/b": character '/' is not allowed`},
		{"signal no operation", func(ctx *Context) error { return ctx.SignalEntity(ID{"Log", "a"}, "", nil) },
			`entity @counter@a operation op: signal @log@a: operation name is empty`},
		{"signal bad input", func(ctx *Context) error { return ctx.SignalEntity(ID{"Log", "a"}, "x", make(chan int)) },
			`entity @counter@a operation op: encode input of signal @log@a x: json: unsupported type: chan int`},
		{"signal bad raw input", func(ctx *Context) error { return ctx.SignalEntity(ID{"Log", "a"}, "x", json.RawMessage("{")) },
			`entity @counter@a operation op: encode input of signal @log@a x: not valid JSON`},
		{"start no name", func(ctx *Context) error { _, err := ctx.StartOrchestration("", nil); return err },
			`entity @counter@a operation op: start orchestration: name is empty`},
		{"start bad id", func(ctx *Context) error {
			_, err := ctx.StartOrchestration("O", nil, WithInstanceID("@x"))
			return err
		}, `entity @counter@a operation op: start orchestration O: invalid instance id "@x": must not start with '@'`},
		{"return bad value", func(ctx *Context) error { return ctx.Return(func() {}) },
			`entity @counter@a operation op: encode result: json: unsupported type: func()`},
		{"set bad state", func(ctx *Context) error { return ctx.SetState(make(chan int)) },
			`entity @counter@a operation op: encode state: json: unsupported type: chan int`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got error
			_, results := Apply(counterA, func(ctx *Context) error { got = tc.do(ctx); return got }, nil, []Operation{op("op", nil)}, batchNow)
			if got == nil || got.Error() != tc.want {
				t.Errorf("error = %v\nwant    %s", got, tc.want)
			}
			if f := results[0].Failure; f == nil || f.Message != tc.want {
				t.Errorf("failure = %+v", f)
			}
		})
	}
}

func TestStartGeneratesInstanceIDs(t *testing.T) {
	fn := func(ctx *Context) error {
		id, err := ctx.StartOrchestration("O", nil, WithInstanceID(""))
		if err != nil {
			return err
		}
		return ctx.Return(id)
	}
	_, results := Apply(counterA, fn, nil, []Operation{op("a", nil), op("b", nil)}, batchNow)
	hex32 := regexp.MustCompile(`^"[0-9a-f]{32}"$`)
	for _, r := range results {
		if !hex32.Match(r.Output) || `"`+r.Starts[0].InstanceID+`"` != string(r.Output) {
			t.Errorf("instance id %s, start %+v", r.Output, r.Starts)
		}
	}
	if string(results[0].Output) == string(results[1].Output) {
		t.Error("generated instance ids repeat")
	}
}

func TestApplyOwnsWhatItReturns(t *testing.T) {
	in := json.RawMessage(`{"n":1}`)
	fn := func(ctx *Context) error {
		var v json.RawMessage
		if err := ctx.Input(&v); err != nil {
			return err
		}
		if err := ctx.SignalEntity(ID{"Log", "a"}, "x", in); err != nil {
			return err
		}
		if err := ctx.SetState(v); err != nil {
			return err
		}
		return ctx.Return(v)
	}
	ops := []Operation{{Name: "x", Input: []byte(`[1,2]`)}}
	state, results := Apply(counterA, fn, nil, ops, batchNow)
	copy(in, `{"n":9}`)
	copy(ops[0].Input, `[8,9]`)
	if string(state) != `[1,2]` || string(results[0].Output) != `[1,2]` || string(results[0].Signals[0].Input) != `{"n":1}` {
		t.Errorf("results alias the caller's buffers: state %s, result %+v", state, results[0])
	}
}

func TestApplyUnchangedStateMayBeTheInput(t *testing.T) {
	in := []byte("5")
	state, _ := Apply(counterA, counterFn, in, []Operation{op("get", nil)}, batchNow)
	if string(state) != "5" {
		t.Errorf("state = %s", state)
	}
}

// The Func of an entity kind is shared by all entities of the kind, which run
// concurrently.
func TestApplyConcurrently(t *testing.T) {
	fns := map[string]Func{"func": counterFn, "typed": Typed[Counter](), "typedLog": Typed[Log]()}
	var wg sync.WaitGroup
	for name, fn := range fns {
		for k := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ops := []Operation{op("add", 1), op("add", 2), op("append", 3)}
				Apply(ID{name, fmt.Sprint(k)}, fn, nil, ops, batchNow)
			}()
		}
	}
	wg.Wait()
}

// stackError formats a stack with %+v, as pkg/errors does.
type stackError struct{}

func (stackError) Error() string { return "with stack" }
func (e stackError) Format(s fmt.State, verb rune) {
	if verb == 'v' && s.Flag('+') {
		fmt.Fprint(s, "with stack\n\tmain.go:1")
		return
	}
	fmt.Fprint(s, e.Error())
}

func TestApplyFailureKeepsTheStackOfErrorsThatHaveOne(t *testing.T) {
	_, results := Apply(counterA, func(*Context) error { return stackError{} }, nil, []Operation{op("x", nil)}, batchNow)
	if f := results[0].Failure; f.Stack != "with stack\n\tmain.go:1" || f.ErrorType != "entities.stackError" {
		t.Errorf("failure = %+v", f)
	}
}
